// SPDX-License-Identifier: MIT
/*
 * SVG time-series panels. Axes get "nice" ticks (1, 2, 5 times a power of
 * ten) in the scaled unit.
 */
#include "svg.h"

#include <errno.h>
#include <math.h>

#define PANEL_H 260
#define MARGIN_L 80
#define MARGIN_R 150
#define MARGIN_T 34
#define MARGIN_B 46
#define TITLE_H 30

static const char *const colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
	"#9467bd", "#8c564b", "#e377c2", "#17becf",
};

const char *svg_color(size_t i)
{
	return colors[i % (sizeof(colors) / sizeof(*colors))];
}

/* xml: ' too, and no control characters (XML 1.0 forbids them). */
static void escape(FILE *f, const char *s, bool xml)
{
	static const char *const entity[256] = {
		['&'] = "&amp;",
		['<'] = "&lt;",
		['>'] = "&gt;",
		['"'] = "&quot;",
	};

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (entity[c])
			fputs(entity[c], f);
		else if (xml && c == '\'')
			fputs("&apos;", f);
		else if (!xml || c >= 0x20 || c == '\t')
			fputc(c, f);
	}
}

void svg_escape(FILE *f, const char *s)
{
	escape(f, s, true);
}

void svg_escape_html(FILE *f, const char *s)
{
	escape(f, s, false);
}

void svg_html(FILE *f, const char *pre, const char *s, const char *post)
{
	fputs(pre ? pre : "", f);
	escape(f, s, false);
	fputs(post ? post : "", f);
}

/* Scale and unit name for values up to max. */
static double axis_scale(const struct svg_axis *a, double max,
			 const char **ret_unit)
{
	static const char *const bytes[] = { "B",   "KiB", "MiB",
					     "GiB", "TiB", "PiB" };
	double s = 1;
	size_t i = 0;

	switch (a->unit) {
	case SVG_UNIT_BYTES:
		while (max / s >= 1024 &&
		       i + 1 < sizeof(bytes) / sizeof(*bytes)) {
			s *= 1024;
			i++;
		}
		*ret_unit = bytes[i];
		return s;
	case SVG_UNIT_SECONDS:
		if (max >= 2 * 3600) {
			*ret_unit = "h";
			return 3600;
		}
		if (max >= 300) {
			*ret_unit = "min";
			return 60;
		}
		*ret_unit = "s";
		return 1;
	default:
		*ret_unit = a->unit_name;
		return 1;
	}
}

double svg_nice_step(double range, int want)
{
	double raw = range / want, p, f;

	if (raw <= 0)
		return 1;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	if (f <= 1)
		return p;
	if (f <= 2)
		return 2 * p;
	if (f <= 5)
		return 5 * p;
	return 10 * p;
}

static void fmt_tick(char *buf, size_t len, double v, double step)
{
	int dec = 0;

	if (step < 1)
		dec = (int)ceil(-log10(step) - 1e-9);
	if (dec > 6)
		dec = 6;
	snprintf(buf, len, "%.*f", dec, fabs(v) < step / 1e6 ? 0.0 : v);
}

/* An axis label, with its unit when it has one; ends the <text>. */
static void axis_label(FILE *f, const char *label, const char *unit)
{
	svg_escape(f, label);
	if (unit) {
		fputs(" (", f);
		svg_escape(f, unit);
		fputc(')', f);
	}
	fputs("</text>\n", f);
}

static void write_panel(FILE *f, const struct svg_panel *p, unsigned width,
			unsigned top)
{
	double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY,
	       ymax = -INFINITY;
	double xs, ys, xstep, ystep, x0, x1, y0, y1;
	const char *xu, *yu;
	unsigned pw = width - MARGIN_L - MARGIN_R,
		 ph = PANEL_H - MARGIN_T - MARGIN_B;
	unsigned left = MARGIN_L, ptop = top + MARGIN_T;
	char buf[64];

	for (size_t s = 0; s < p->n_series; s++)
		for (size_t i = 0; i < p->series[s].n_points; i++) {
			const struct svg_point *pt = &p->series[s].points[i];

			xmin = fmin(xmin, pt->x);
			xmax = fmax(xmax, pt->x);
			ymin = fmin(ymin, pt->y);
			ymax = fmax(ymax, pt->y);
		}
	if (xmin > xmax) /* no points: 0 to 1 below */
		xmin = xmax = ymin = ymax = 0;
	if (ymin > 0)
		ymin = 0; /* amounts read best from zero */
	if (ymax <= ymin)
		ymax = ymin + 1;
	if (xmax <= xmin)
		xmax = xmin + 1;
	xs = axis_scale(&p->x, fmax(fabs(xmin), fabs(xmax)), &xu);
	ys = axis_scale(&p->y, fmax(fabs(ymin), fabs(ymax)), &yu);
	xstep = svg_nice_step((xmax - xmin) / xs, 6);
	ystep = svg_nice_step((ymax - ymin) / ys, 5);
	x0 = floor(xmin / xs / xstep) * xstep;
	x1 = ceil(xmax / xs / xstep) * xstep;
	y0 = floor(ymin / ys / ystep) * ystep;
	y1 = ceil(ymax / ys / ystep) * ystep;
	if (x1 <= x0)
		x1 = x0 + xstep;
	if (y1 <= y0)
		y1 = y0 + ystep;

	fprintf(f,
		"<g class=\"panel\">\n<text x=\"%u\" y=\"%u\" "
		"class=\"title\">",
		left, top + 20);
	svg_escape(f, p->title);
	fputs("</text>\n", f);
	fprintf(f,
		"<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
		"fill=\"none\" stroke=\"#888\"/>\n",
		left, ptop, pw, ph);
	for (double v = x0; v <= x1 + xstep / 2; v += xstep) {
		double px = left + (v - x0) / (x1 - x0) * pw;

		fmt_tick(buf, sizeof(buf), v, xstep);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" "
			"class=\"grid\"/><text x=\"%.1f\" y=\"%u\" "
			"text-anchor=\"middle\">%s</text>\n",
			px, ptop, px, ptop + ph, px, ptop + ph + 14, buf);
	}
	for (double v = y0; v <= y1 + ystep / 2; v += ystep) {
		double py = ptop + ph - (v - y0) / (y1 - y0) * ph;

		fmt_tick(buf, sizeof(buf), v, ystep);
		fprintf(f,
			"<line x1=\"%u\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\" "
			"class=\"grid\"/><text x=\"%u\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>\n",
			left, py, left + pw, py, left - 4, py + 4, buf);
	}
	fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">",
		left + pw / 2, ptop + ph + 32);
	axis_label(f, p->x.label, xu);
	fprintf(f,
		"<text transform=\"translate(%u,%u) rotate(-90)\" "
		"text-anchor=\"middle\">",
		left - 58, ptop + ph / 2);
	axis_label(f, p->y.label, yu);

	for (size_t s = 0; s < p->n_series; s++) {
		const struct svg_series *se = &p->series[s];
		const char *c = se->color ? se->color : svg_color(s);
		unsigned ly = ptop + 14 + (unsigned)s * 18;
		double px = 0, py = 0;

		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"1.5\"%s points=\"",
			c, se->dashed ? " stroke-dasharray=\"6,3\"" : "");
		for (size_t i = 0; i < se->n_points; i++) {
			px = left +
			     (se->points[i].x / xs - x0) / (x1 - x0) * pw;
			py = ptop + ph -
			     (se->points[i].y / ys - y0) / (y1 - y0) * ph;
			fprintf(f, "%s%.1f,%.1f", i ? " " : "", px, py);
		}
		fputs("\"/>\n", f);
		/* a lone point: a dot where its polyline shows nothing */
		if (se->n_points == 1)
			fprintf(f,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
				"fill=\"%s\"/>\n",
				px, py, c);
		fprintf(f,
			"<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" "
			"stroke=\"%s\" stroke-width=\"2\"%s/>"
			"<text x=\"%u\" y=\"%u\">",
			left + pw + 10, ly - 4, left + pw + 30, ly - 4, c,
			se->dashed ? " stroke-dasharray=\"6,3\"" : "",
			left + pw + 34, ly);
		svg_escape(f, se->label);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

int svg_write(FILE *f, const char *title, const struct svg_panel *panels,
	      size_t n_panels, unsigned width)
{
	unsigned height;

	if (width == 0)
		width = 900;
	if (width < MARGIN_L + MARGIN_R + 100)
		width = MARGIN_L + MARGIN_R + 100;
	height = TITLE_H + (unsigned)n_panels * PANEL_H + 10;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n"
		"<style>.grid{stroke:#ddd;stroke-width:1}"
		".title{font-weight:bold;font-size:14px}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<title>",
		width, height, width, height);
	svg_escape(f, title);
	fprintf(f,
		"</title>\n<text x=\"%u\" y=\"20\" class=\"title\" "
		"text-anchor=\"middle\">",
		width / 2);
	svg_escape(f, title);
	fputs("</text>\n", f);
	for (size_t i = 0; i < n_panels; i++)
		write_panel(f, &panels[i], width,
			    TITLE_H + (unsigned)i * PANEL_H);
	fputs("</svg>\n", f);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	return 0;
}
