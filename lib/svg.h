/* SPDX-License-Identifier: MIT */
/*
 * Time-series plots as standalone SVG: panels stacked vertically, each
 * with labelled axes, units, a legend and a line per series. Values in
 * bytes get a binary unit (KiB, MiB, GiB) picked from their range; time
 * in seconds gets minutes or hours when long.
 */
#ifndef DAXLAB_SVG_H
#define DAXLAB_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum svg_unit {
	SVG_UNIT_PLAIN, /* numbers as they are; label says the unit */
	SVG_UNIT_BYTES, /* scaled to B/KiB/MiB/GiB/TiB */
	SVG_UNIT_SECONDS, /* scaled to s/min/h */
};

struct svg_point {
	double x, y;
};

struct svg_series {
	const char *label;
	const struct svg_point *points; /* in x order */
	size_t n_points;
	bool dashed;
	const char *color; /* CSS colour; NULL: svg_color(its position) */
};

struct svg_axis {
	const char *label; /* "time", "file", ... */
	enum svg_unit unit;
	const char *unit_name; /* for SVG_UNIT_PLAIN, e.g. "count"; or NULL */
};

struct svg_panel {
	const char *title;
	struct svg_axis x, y;
	const struct svg_series *series;
	size_t n_series;
};

/*
 * Writes a whole SVG document with the panels, width pixels wide (0:
 * 900). Returns 0 or -errno (-EIO when writing failed).
 */
int svg_write(FILE *f, const char *title, const struct svg_panel *panels,
	      size_t n_panels, unsigned width);

/* The i-th colour of the palette (it wraps around). */
const char *svg_color(size_t i);

/* XML-escaped text (&, <, >, ", ') to f; control characters dropped. */
void svg_escape(FILE *f, const char *s);

/* Text for HTML (inline SVG too): only &, <, > and " escaped. */
void svg_escape_html(FILE *f, const char *s);
/* pre, then s as svg_escape_html() writes it, then post (NULL: nothing). */
void svg_html(FILE *f, const char *pre, const char *s, const char *post);

/* A step of 1, 2 or 5 times a power of ten, for about want ticks. */
double svg_nice_step(double range, int want);

#endif
