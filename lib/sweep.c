// SPDX-License-Identifier: MIT
/* A sweep's manifest and summary; see sweep.h. */
#include "sweep.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileset.h" /* fs_rng */
#include "report.h"
#include "statistics.h"
#include "svg.h"
#include "util.h"

/* ---- the plan ---- */

const char *sweep_value(const struct sweep *s, size_t p, size_t k)
{
	/* the grid, last key fastest */
	for (size_t i = s->n_keys; i-- > k + 1;)
		p /= s->keys[i].n;
	return s->keys[k].values[p % s->keys[k].n];
}

int sweep_plan(struct sweep *s)
{
	size_t points = 1;

	for (size_t k = 0; k < s->n_keys; k++) {
		if (!s->keys[k].n)
			return -EINVAL;
		points *= s->keys[k].n;
	}
	if (!s->repeat || points * s->repeat > 100000)
		return -EINVAL;
	free(s->runs);
	s->n_points = points;
	s->n_runs = points * s->repeat;
	s->runs = calloc(s->n_runs, sizeof(*s->runs));
	if (!s->runs)
		return -ENOMEM;
	/* repetition by repetition: in order, each round sees every point */
	for (size_t i = 0; i < s->n_runs; i++)
		s->runs[i] = (struct sweep_run){ i % points,
						 (unsigned)(i / points) };
	if (s->shuffled) {
		struct fs_rng rng;

		fs_rng_seed(&rng, s->seed);
		for (size_t i = s->n_runs; i > 1; i--) {
			uint64_t u;
			size_t j;
			struct sweep_run t;

			fs_rng_fill(&rng, &u, sizeof(u));
			j = (size_t)(u % i);
			t = s->runs[i - 1];
			s->runs[i - 1] = s->runs[j];
			s->runs[j] = t;
		}
	}
	return 0;
}

char *sweep_run_folder(const struct sweep *s, size_t run)
{
	(void)s;
	return strdup_printf("point-%zu", run);
}

void sweep_free(struct sweep *s)
{
	free(s->name);
	free(s->config);
	for (size_t k = 0; k < s->n_keys; k++) {
		free(s->keys[k].key);
		for (size_t v = 0; v < s->keys[k].n; v++)
			free(s->keys[k].values[v]);
	}
	free(s->runs);
	memset(s, 0, sizeof(*s));
}

/* ---- manifest.json ---- */

static int write_json(const char *dir, const char *file, json_object *o,
		      char *err, size_t errlen)
{
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *t = text ? strdup_printf("%s\n", text) : NULL;
	int r = t ? results_write(dir, file, t) : -ENOMEM;

	if (r < 0)
		snprintf(err, errlen, "cannot write %s/%s: %s", dir, file,
			 strerror(-r));
	return r;
}

static json_object *point_values(const struct sweep *s, size_t p)
{
	json_object *v = json_object_new_object();

	for (size_t k = 0; v && k < s->n_keys; k++)
		json_object_object_add(
			v, s->keys[k].key,
			json_object_new_string(sweep_value(s, p, k)));
	return v;
}

int sweep_write(const struct sweep *s, const char *dir, char *err,
		size_t errlen)
{
	json_object *o = json_object_new_object();
	json_object *keys = json_object_new_array();
	json_object *points = json_object_new_array();
	json_object *runs = json_object_new_array();
	char seed[32];
	int r;

	if (!o || !keys || !points || !runs) {
		json_object_put(o);
		json_object_put(keys);
		json_object_put(points);
		json_object_put(runs);
		return -ENOMEM;
	}
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)s->seed);
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "config", json_object_new_string(s->config));
	/* a string: JSON readers lose integers past 2^53 */
	json_object_object_add(o, "seed", json_object_new_string(seed));
	json_object_object_add(o, "order",
			       json_object_new_string(s->shuffled ?
							      "shuffled" :
							      "sequential"));
	json_object_object_add(o, "repeat", json_object_new_int(s->repeat));
	for (size_t k = 0; k < s->n_keys; k++) {
		json_object *e = json_object_new_object();
		json_object *vals = json_object_new_array();

		json_object_object_add(e, "key",
				       json_object_new_string(s->keys[k].key));
		for (size_t v = 0; v < s->keys[k].n; v++)
			json_object_array_add(
				vals,
				json_object_new_string(s->keys[k].values[v]));
		json_object_object_add(e, "values", vals);
		json_object_array_add(keys, e);
	}
	json_object_object_add(o, "keys", keys);
	for (size_t p = 0; p < s->n_points; p++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "index", json_object_new_int64(p));
		json_object_object_add(e, "values", point_values(s, p));
		json_object_array_add(points, e);
	}
	json_object_object_add(o, "points", points);
	for (size_t i = 0; i < s->n_runs; i++) {
		json_object *e = json_object_new_object();
		_cleanup_free_ char *f = sweep_run_folder(s, i);

		json_object_object_add(e, "index", json_object_new_int64(i));
		json_object_object_add(e, "point",
				       json_object_new_int64(s->runs[i].point));
		json_object_object_add(
			e, "repetition",
			json_object_new_int(s->runs[i].repetition));
		json_object_object_add(e, "folder",
				       json_object_new_string(f ? f : ""));
		json_object_array_add(runs, e);
	}
	json_object_object_add(o, "runs", runs);
	r = write_json(dir, "manifest.json", o, err, errlen);
	json_object_put(o);
	return r;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_int(json_object *o, const char *key, int64_t *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return false;
	*ret = json_object_get_int64(v);
	return true;
}

#define BAD(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		ret = -EBADMSG;                     \
		goto out;                           \
	} while (0)

int sweep_read(const char *dir, struct sweep *s, char *err, size_t errlen)
{
	_cleanup_free_ char *path = strdup_printf("%s/manifest.json", dir);
	json_object *o = NULL, *keys, *runs;
	const char *name, *config, *order, *seed;
	int64_t repeat;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!path)
		return -ENOMEM;
	if (access(path, R_OK) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s (not a sweep folder)", path,
			 strerror(errno));
		return ret;
	}
	o = json_object_from_file(path);
	if (!o)
		BAD("%s: not valid JSON", path);
	name = get_str(o, "name");
	config = get_str(o, "config");
	order = get_str(o, "order");
	seed = get_str(o, "seed");
	if (!name || !valid_name(name))
		BAD("%s: no valid \"name\"", path);
	if (!config || config[0] != '/')
		BAD("%s: no absolute \"config\"", path);
	if (!order ||
	    (strcmp(order, "shuffled") && strcmp(order, "sequential")))
		BAD("%s: \"order\" is not shuffled or sequential", path);
	if (!seed || parse_u64(seed, &s->seed) < 0)
		BAD("%s: \"seed\" is not a whole number", path);
	if (!get_int(o, "repeat", &repeat) || repeat < 1 || repeat > 10000)
		BAD("%s: \"repeat\" is not 1..10000", path);
	s->name = strdup(name);
	s->config = strdup(config);
	if (!s->name || !s->config) {
		ret = -ENOMEM;
		goto out;
	}
	s->shuffled = !strcmp(order, "shuffled");
	s->repeat = (unsigned)repeat;
	if (!json_object_object_get_ex(o, "keys", &keys) ||
	    !json_object_is_type(keys, json_type_array) ||
	    json_object_array_length(keys) > SWEEP_MAX_KEYS)
		BAD("%s: \"keys\" is not a list of at most %d keys", path,
		    SWEEP_MAX_KEYS);
	for (size_t k = 0; k < json_object_array_length(keys); k++) {
		json_object *e = json_object_array_get_idx(keys, k), *vals;
		const char *key = get_str(e, "key");
		struct sweep_key *sk = &s->keys[s->n_keys];

		if (!key || !valid_name(key) ||
		    !json_object_object_get_ex(e, "values", &vals) ||
		    !json_object_is_type(vals, json_type_array) ||
		    !json_object_array_length(vals) ||
		    json_object_array_length(vals) > SWEEP_MAX_VALUES)
			BAD("%s: keys[%zu] is not {\"key\", \"values\"}", path,
			    k);
		sk->key = strdup(key);
		s->n_keys++;
		if (!sk->key) {
			ret = -ENOMEM;
			goto out;
		}
		for (size_t v = 0; v < json_object_array_length(vals); v++) {
			json_object *jv = json_object_array_get_idx(vals, v);

			if (!json_object_is_type(jv, json_type_string) ||
			    !valid_name(json_object_get_string(jv)))
				BAD("%s: keys[%zu].values[%zu] is not a value",
				    path, k, v);
			sk->values[sk->n] = strdup(json_object_get_string(jv));
			if (!sk->values[sk->n++]) {
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	/* the runs are planned again and must be the ones written */
	ret = sweep_plan(s);
	if (ret < 0)
		BAD("%s: a sweep of no points, or too many", path);
	if (!json_object_object_get_ex(o, "runs", &runs) ||
	    !json_object_is_type(runs, json_type_array) ||
	    json_object_array_length(runs) != s->n_runs)
		BAD("%s: \"runs\" does not list the %zu runs of its keys, repeat and seed",
		    path, s->n_runs);
	for (size_t i = 0; i < s->n_runs; i++) {
		json_object *e = json_object_array_get_idx(runs, i);
		int64_t idx, point, rep;
		const char *folder = get_str(e, "folder");
		_cleanup_free_ char *want = sweep_run_folder(s, i);

		if (!get_int(e, "index", &idx) ||
		    !get_int(e, "point", &point) ||
		    !get_int(e, "repetition", &rep) || !folder || !want ||
		    idx != (int64_t)i || point != (int64_t)s->runs[i].point ||
		    rep != (int64_t)s->runs[i].repetition ||
		    strcmp(folder, want))
			BAD("%s: runs[%zu] is not the run its keys, repeat and seed give",
			    path, i);
	}
out:
	json_object_put(o);
	if (ret < 0)
		sweep_free(s);
	return ret;
}

/* ---- the summary ---- */

struct metric {
	char *name;
	const char *unit;
	double *v; /* per run of the point, in run order */
	size_t n, cap;
};

struct point_metrics {
	struct metric *m;
	size_t n;
	char **runs; /* folders of its complete runs */
	size_t n_runs;
};

static struct metric *metric_get(struct point_metrics *pm, const char *name,
				 const char *unit)
{
	struct metric *m;

	for (size_t i = 0; i < pm->n; i++)
		if (!strcmp(pm->m[i].name, name))
			return &pm->m[i];
	m = realloc(pm->m, (pm->n + 1) * sizeof(*m));
	if (!m)
		return NULL;
	pm->m = m;
	m = &pm->m[pm->n];
	*m = (struct metric){ .name = strdup(name), .unit = unit };
	if (!m->name)
		return NULL;
	pm->n++;
	return m;
}

static int metric_add(struct point_metrics *pm, const char *unit, double value,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int metric_add(struct point_metrics *pm, const char *unit, double value,
		      const char *fmt, ...)
{
	char name[256];
	struct metric *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (char *c = name; *c; c++)
		if (*c == ' ')
			*c = '-';
	m = metric_get(pm, name, unit);
	if (!m)
		return -ENOMEM;
	if (m->n == m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 8;
		double *v = realloc(m->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = nc;
	}
	m->v[m->n++] = value;
	return 0;
}

/* The headline figures of one run (the names the report uses). */
static int run_metrics(const struct report_run *r, struct point_metrics *pm)
{
	int k = 0;

	for (size_t i = 0; i < r->n_fio && !k; i++) {
		const struct report_fio *f = &r->fio[i];

		k = metric_add(pm, "IO/s", f->iops, "%s.%s.iops", f->vm,
			       f->job);
		k = k	  ?:
			    metric_add(pm, "ns", f->p50_ns, "%s.%s.p50_latency",
				       f->vm, f->job);
		k = k	  ?:
			    metric_add(pm, "ns", f->p99_ns, "%s.%s.p99_latency",
				       f->vm, f->job);
		k = k	  ?:
			    metric_add(pm, "bytes", (double)f->bytes,
				       "%s.%s.bytes_read", f->vm, f->job);
	}
	for (size_t i = 0; i < r->n_series && !k; i++) {
		const struct report_series *s = &r->series[i];
		int64_t peak = INT64_MIN;

		if (!s->n)
			continue;
		for (size_t j = 0; j < s->n; j++)
			if (report_pagecache(s, j) > peak)
				peak = report_pagecache(s, j);
		k = metric_add(pm, "bytes",
			       (double)report_pagecache(s, s->n - 1),
			       "%s.%s.pagecache_final", s->source, s->node);
		k = k	  ?:
			    metric_add(pm, "bytes", (double)peak,
				       "%s.%s.pagecache_peak", s->source,
				       s->node);
	}
	for (size_t i = 0; i < r->n_sets && !k; i++) {
		const struct report_set *s = &r->sets[i];

		k = metric_add(pm, "bytes", (double)s->once, "%s.cached_once",
			       s->name);
		k = k	  ?:
			    metric_add(pm, "bytes", (double)s->twice,
				       "%s.cached_twice", s->name);
	}
	return k;
}

static void point_free(struct point_metrics *pm)
{
	for (size_t i = 0; i < pm->n; i++) {
		free(pm->m[i].name);
		free(pm->m[i].v);
	}
	free(pm->m);
	for (size_t i = 0; i < pm->n_runs; i++)
		free(pm->runs[i]);
	free(pm->runs);
}

static const struct metric *find_metric(const struct point_metrics *pm,
					const char *name)
{
	for (size_t i = 0; i < pm->n; i++)
		if (!strcmp(pm->m[i].name, name))
			return &pm->m[i];
	return NULL;
}

static json_object *jnum(double v)
{
	/* NaN and infinities are not JSON: null */
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

static json_object *metric_json(const struct metric *m, FILE *csv, FILE *md,
				const char *point)
{
	json_object *o = json_object_new_object();
	json_object *vals = json_object_new_array();
	json_object *ci = json_object_new_array();
	json_object *out = json_object_new_array();
	struct stats_desc d;
	bool *flags = calloc(m->n ? m->n : 1, sizeof(*flags));

	if (!o || !vals || !ci || !out || !flags ||
	    stats_describe(m->v, m->n, &d) < 0 ||
	    stats_outliers(m->v, m->n, flags) < 0) {
		json_object_put(o);
		json_object_put(vals);
		json_object_put(ci);
		json_object_put(out);
		free(flags);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		json_object_array_add(vals, jnum(m->v[i]));
		if (flags[i])
			json_object_array_add(out, json_object_new_int64(i));
	}
	json_object_array_add(ci, jnum(d.ci95[0]));
	json_object_array_add(ci, jnum(d.ci95[1]));
	json_object_object_add(o, "name", json_object_new_string(m->name));
	json_object_object_add(o, "unit", json_object_new_string(m->unit));
	json_object_object_add(o, "n", json_object_new_int64(d.n));
	json_object_object_add(o, "values", vals);
	json_object_object_add(o, "mean", jnum(d.mean));
	json_object_object_add(o, "median", jnum(d.median));
	json_object_object_add(o, "stddev", jnum(d.stddev));
	json_object_object_add(o, "cov", jnum(d.cov));
	json_object_object_add(o, "min", jnum(d.min));
	json_object_object_add(o, "max", jnum(d.max));
	json_object_object_add(o, "ci95", ci);
	json_object_object_add(o, "outliers", out);
	if (csv)
		fprintf(csv,
			"%s,%s,%s,%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%d\n",
			point, m->name, m->unit, d.n, d.mean, d.median,
			d.stddev, d.cov, d.ci95[0], d.ci95[1],
			(int)json_object_array_length(out));
	if (md)
		fprintf(md,
			"| %s | %s | %s | %zu | %.6g | %.6g | [%.6g, %.6g] | %.3g | %d |\n",
			point, m->name, m->unit, d.n, d.mean, d.median,
			d.ci95[0], d.ci95[1], d.cov,
			(int)json_object_array_length(out));
	free(flags);
	return o;
}

/* "k=v k=v", allocated. */
static char *point_label(const struct sweep *s, size_t p)
{
	char *l = strdup("");

	for (size_t k = 0; l && k < s->n_keys; k++) {
		char *n = strdup_printf("%s%s%s=%s", l, k ? " " : "",
					s->keys[k].key, sweep_value(s, p, k));

		free(l);
		l = n;
	}
	if (l && !*l) {
		free(l);
		l = strdup("-");
	}
	return l;
}

static int load_points(const struct sweep *s, const char *dir,
		       struct point_metrics *pts, size_t *ret_complete)
{
	*ret_complete = 0;
	for (size_t i = 0; i < s->n_runs; i++) {
		struct point_metrics *pm = &pts[s->runs[i].point];
		_cleanup_free_ char *f = sweep_run_folder(s, i);
		_cleanup_free_ char *path =
			f ? strdup_printf("%s/%s", dir, f) : NULL;
		struct report_run *r = NULL;
		char err[512];
		char **v;

		if (!path)
			return -ENOMEM;
		if (report_load(path, &r, err, sizeof(err)) < 0)
			continue; /* not run yet */
		if (r->status != RESULTS_COMPLETE) {
			report_run_free(r);
			continue;
		}
		v = realloc(pm->runs, (pm->n_runs + 1) * sizeof(*v));
		if (!v || run_metrics(r, pm) < 0) {
			report_run_free(r);
			return -ENOMEM;
		}
		pm->runs = v;
		pm->runs[pm->n_runs++] = TAKE_PTR(f);
		report_run_free(r);
		(*ret_complete)++;
	}
	return 0;
}

static json_object *comparisons(const struct sweep *s,
				const struct point_metrics *pts, double alpha)
{
	json_object *arr = json_object_new_array();
	size_t n = 0, cap = 0;
	struct cmp {
		size_t b;
		const char *metric;
		struct stats_welch w;
	} *c = NULL;
	double *p = NULL, *adj = NULL;
	_cleanup_free_ char *la = point_label(s, 0);

	if (!arr || !la)
		goto oom;
	for (size_t b = 1; b < s->n_points; b++)
		for (size_t i = 0; i < pts[0].n; i++) {
			const struct metric *ma = &pts[0].m[i];
			const struct metric *mb =
				find_metric(&pts[b], ma->name);

			if (!mb)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct cmp *v = realloc(c, nc * sizeof(*v));

				if (!v)
					goto oom;
				c = v;
				cap = nc;
			}
			c[n].b = b;
			c[n].metric = ma->name;
			stats_welch(ma->v, ma->n, mb->v, mb->n, &c[n].w);
			n++;
		}
	p = malloc((n ? n : 1) * sizeof(*p));
	adj = malloc((n ? n : 1) * sizeof(*adj));
	if (!p || !adj)
		goto oom;
	/* Holm over the comparisons that have a p-value */
	{
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (!isnan(c[i].w.p))
				p[k++] = c[i].w.p;
		if (stats_holm(p, k, adj) < 0)
			goto oom;
		k = 0;
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();
			_cleanup_free_ char *lb = point_label(s, c[i].b);
			double ph = isnan(c[i].w.p) ? NAN : adj[k++];

			if (!o || !lb)
				goto oom;
			json_object_object_add(o, "a",
					       json_object_new_string(la));
			json_object_object_add(o, "b",
					       json_object_new_string(lb));
			json_object_object_add(
				o, "metric",
				json_object_new_string(c[i].metric));
			json_object_object_add(o, "diff", jnum(c[i].w.diff));
			json_object_object_add(o, "ratio", jnum(c[i].w.ratio));
			json_object_object_add(o, "p", jnum(c[i].w.p));
			json_object_object_add(o, "p_holm", jnum(ph));
			json_object_object_add(
				o, "significant",
				json_object_new_boolean(!isnan(ph) &&
							ph < alpha));
			json_object_array_add(arr, o);
		}
	}
	free(c);
	free(p);
	free(adj);
	return arr;
oom:
	free(c);
	free(p);
	free(adj);
	json_object_put(arr);
	return NULL;
}

/* ---- statistics.html: each figure's repetitions, interval and test ---- */

static const char *cmp_mark(json_object *cmp, const char *metric, const char *b,
			    double *ret_p)
{
	*ret_p = NAN;
	for (size_t i = 0; cmp && i < json_object_array_length(cmp); i++) {
		json_object *e = json_object_array_get_idx(cmp, i), *v;

		if (strcmp(get_str(e, "metric"), metric) ||
		    strcmp(get_str(e, "b"), b))
			continue;
		if (json_object_object_get_ex(e, "p_holm", &v) && v)
			*ret_p = json_object_get_double(v);
		if (json_object_object_get_ex(e, "significant", &v) &&
		    json_object_get_boolean(v))
			return "*";
		return "";
	}
	return "";
}

/*
 * A strip plot of one figure: a column per point, a dot per repetition
 * (outliers hollow), the mean with its 95% interval as an error bar.
 */
static void strip_plot(FILE *f, const struct point_metrics *pts, size_t np,
		       const char *name)
{
	const double w = 120.0 * (double)np + 80, h = 170, top = 10,
		     bottom = 140, left = 70;
	double lo = INFINITY, hi = -INFINITY, step;

	for (size_t p = 0; p < np; p++) {
		const struct metric *m = find_metric(&pts[p], name);
		struct stats_desc d;

		if (!m || stats_describe(m->v, m->n, &d) < 0)
			continue;
		for (size_t i = 0; i < m->n; i++) {
			lo = fmin(lo, m->v[i]);
			hi = fmax(hi, m->v[i]);
		}
		if (isfinite(d.ci95[0])) {
			lo = fmin(lo, d.ci95[0]);
			hi = fmax(hi, d.ci95[1]);
		}
	}
	if (!isfinite(lo))
		return;
	if (hi - lo < 1e-12 * fmax(1, fabs(hi))) {
		lo -= fmax(1, fabs(lo) * 0.05);
		hi += fmax(1, fabs(hi) * 0.05);
	}
	step = svg_nice_step(hi - lo, 4);
	lo = floor(lo / step) * step;
	hi = ceil(hi / step) * step;
#define Y(v) (bottom - ((v)-lo) / (hi - lo) * (bottom - top))
	fprintf(f, "<svg width=\"%.0f\" height=\"%.0f\" class=\"strip\">\n", w,
		h);
	for (double t = lo; t <= hi + step / 2; t += step)
		fprintf(f,
			"<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" class=\"tick\">%.4g</text>\n",
			left, w - 10, Y(t), Y(t), left - 4, Y(t) + 4, t);
	for (size_t p = 0; p < np; p++) {
		const struct metric *m = find_metric(&pts[p], name);
		double x = left + 60 + 120.0 * (double)p;
		struct stats_desc d;
		bool flags[4096];

		if (!m || m->n > 4096 || stats_describe(m->v, m->n, &d) < 0 ||
		    stats_outliers(m->v, m->n, flags) < 0)
			continue;
		for (size_t i = 0; i < m->n; i++)
			fprintf(f,
				"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" class=\"%s\"/>\n",
				x - 20 +
					40.0 * ((double)i + 0.5) / (double)m->n,
				Y(m->v[i]), flags[i] ? "outlier" : "rep");
		if (isfinite(d.ci95[0]))
			fprintf(f,
				"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"ci\"/>\n",
				x + 28, x + 28, Y(d.ci95[0]), Y(d.ci95[1]));
		fprintf(f,
			"<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"mean\"/>\n"
			"<text x=\"%.1f\" y=\"%.0f\" class=\"pt\">point %zu</text>\n",
			x + 20, x + 36, Y(d.mean), Y(d.mean), x, bottom + 22,
			p);
	}
	fputs("</svg>\n", f);
#undef Y
}

static void write_stats_html(FILE *f, const struct sweep *s,
			     const struct point_metrics *pts, json_object *cmp,
			     double alpha)
{
	size_t done = 0;

	for (size_t p = 0; p < s->n_points; p++)
		done += pts[p].n_runs;
	fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>",
	      f);
	svg_escape_html(f, s->name);
	fputs(": repetitions</title>\n<style>body{font-family:sans-serif;margin:1em 2em}"
	      "table{border-collapse:collapse;margin-bottom:1.5em}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	      "th{background:#eee}.grid{stroke:#ddd}.tick{font-size:10px;text-anchor:end}"
	      ".pt{font-size:11px;text-anchor:middle}.rep{fill:#1f77b4}"
	      ".outlier{fill:none;stroke:#d62728;stroke-width:1.5}"
	      ".ci{stroke:#333;stroke-width:2}.mean{stroke:#333;stroke-width:3}"
	      "</style></head><body>\n<h1>",
	      f);
	svg_escape_html(f, s->name);
	fprintf(f,
		": %zu of %zu runs complete, %zu points &times; %u repetitions (%s, seed %llu)</h1>\n"
		"<p>Each figure: its repetitions (dots; hollow red: outliers by the median absolute deviation, "
		"kept), the mean (bar) and its 95%% confidence interval (Student's t). "
		"<b>*</b>: differs from point 0 (Welch's t-test, Holm-adjusted over all comparisons, p &lt; %g).</p>\n<table><tr><th>point</th>",
		done, s->n_runs, s->n_points, s->repeat,
		s->shuffled ? "shuffled" : "in order",
		(unsigned long long)s->seed, alpha);
	for (size_t k = 0; k < s->n_keys; k++) {
		fputs("<th>", f);
		svg_escape_html(f, s->keys[k].key);
		fputs("</th>", f);
	}
	fputs("<th>runs</th></tr>\n", f);
	for (size_t p = 0; p < s->n_points; p++) {
		fprintf(f, "<tr><td>%zu</td>", p);
		for (size_t k = 0; k < s->n_keys; k++) {
			fputs("<td>", f);
			svg_escape_html(f, sweep_value(s, p, k));
			fputs("</td>", f);
		}
		fprintf(f, "<td>%zu</td></tr>\n", pts[p].n_runs);
	}
	fputs("</table>\n", f);
	for (size_t i = 0; s->n_points && i < pts[0].n; i++) {
		const struct metric *m0 = &pts[0].m[i];

		fputs("<h3>", f);
		svg_escape_html(f, m0->name);
		fprintf(f, " (%s)</h3>\n", m0->unit);
		strip_plot(f, pts, s->n_points, m0->name);
		fputs("<table><tr><th>point</th><th>n</th><th>mean</th><th>95% CI</th>"
		      "<th>median</th><th>CoV</th><th>outliers</th><th>p (Holm)</th><th></th></tr>\n",
		      f);
		for (size_t p = 0; p < s->n_points; p++) {
			const struct metric *m = find_metric(&pts[p], m0->name);
			_cleanup_free_ char *label = point_label(s, p);
			struct stats_desc d;
			bool flags[4096];
			const char *mark = "";
			double ph = NAN;
			int nout;

			if (!m || m->n > 4096 ||
			    stats_describe(m->v, m->n, &d) < 0)
				continue;
			nout = stats_outliers(m->v, m->n, flags);
			if (p && label)
				mark = cmp_mark(cmp, m0->name, label, &ph);
			fprintf(f,
				"<tr><td>%zu</td><td>%zu</td><td>%.6g</td><td>[%.6g, %.6g]</td>"
				"<td>%.6g</td><td>%.3g</td><td>%d</td>",
				p, d.n, d.mean, d.ci95[0], d.ci95[1], d.median,
				d.cov, nout);
			if (isnan(ph))
				fputs("<td>&ndash;</td>", f);
			else
				fprintf(f, "<td>%.3g</td>", ph);
			fprintf(f, "<td>%s</td></tr>\n", mark);
		}
		fputs("</table>\n", f);
	}
	fputs("</body></html>\n", f);
}

int sweep_write_summary(const struct sweep *s, const char *dir, double alpha,
			size_t *ret_complete, char *err, size_t errlen)
{
	struct point_metrics *pts = calloc(s->n_points, sizeof(*pts));
	json_object *o = json_object_new_object();
	json_object *points = json_object_new_array();
	json_object *cmp = NULL;
	char *csv_text = NULL, *md_text = NULL;
	size_t csv_len = 0, md_len = 0;
	FILE *csv = open_memstream(&csv_text, &csv_len);
	FILE *md = open_memstream(&md_text, &md_len);
	int r = -ENOMEM;

	if (!pts || !o || !points || !csv || !md)
		goto out;
	r = load_points(s, dir, pts, ret_complete);
	if (r < 0)
		goto out;
	fprintf(csv,
		"point,metric,unit,n,mean,median,stddev,cov,ci95_low,ci95_high,outliers\n");
	fprintf(md,
		"| point | metric | unit | n | mean | median | 95%% CI | CoV | outliers |\n"
		"|---|---|---|---|---|---|---|---|---|\n");
	for (size_t p = 0; p < s->n_points; p++) {
		json_object *e = json_object_new_object();
		json_object *runs = json_object_new_array();
		json_object *ms = json_object_new_array();
		_cleanup_free_ char *label = point_label(s, p);

		if (!e || !runs || !ms || !label) {
			json_object_put(e);
			json_object_put(runs);
			json_object_put(ms);
			r = -ENOMEM;
			goto out;
		}
		json_object_object_add(e, "point", point_values(s, p));
		for (size_t i = 0; i < pts[p].n_runs; i++)
			json_object_array_add(
				runs, json_object_new_string(pts[p].runs[i]));
		json_object_object_add(e, "runs", runs);
		for (size_t i = 0; i < pts[p].n; i++) {
			json_object *m =
				metric_json(&pts[p].m[i], csv, md, label);

			if (!m) {
				json_object_put(e);
				json_object_put(ms);
				r = -ENOMEM;
				goto out;
			}
			json_object_array_add(ms, m);
		}
		json_object_object_add(e, "metrics", ms);
		json_object_array_add(points, e);
	}
	json_object_object_add(o, "points", points);
	points = NULL;
	cmp = comparisons(s, pts, alpha);
	if (!cmp) {
		r = -ENOMEM;
		goto out;
	}
	json_object_object_add(o, "comparisons", cmp);
	json_object_object_add(o, "alpha", json_object_new_double(alpha));
	json_object_object_add(
		o, "comparisons_note",
		json_object_new_string(
			"every point against the first, Welch's t-test; p_holm: Holm-adjusted over all comparisons, significant when below alpha"));
	r = write_json(dir, "summary.json", o, err, errlen);
	if (r < 0)
		goto out;
	{
		char *html = NULL;
		size_t hl = 0;
		FILE *hf = open_memstream(&html, &hl);

		if (!hf) {
			r = -ENOMEM;
			goto out;
		}
		write_stats_html(hf, s, pts, cmp, alpha);
		fclose(hf);
		r = results_write(dir, "statistics.html", html);
		free(html);
		if (r < 0) {
			snprintf(err, errlen,
				 "cannot write %s/statistics.html: %s", dir,
				 strerror(-r));
			goto out;
		}
	}
	fclose(csv);
	csv = NULL;
	fclose(md);
	md = NULL;
	r = results_write(dir, "summary.csv", csv_text);
	if (r == 0)
		r = results_write(dir, "summary.md", md_text);
	if (r < 0)
		snprintf(err, errlen, "cannot write the summary in %s: %s", dir,
			 strerror(-r));
out:
	if (csv)
		fclose(csv);
	if (md)
		fclose(md);
	free(csv_text);
	free(md_text);
	for (size_t p = 0; pts && p < s->n_points; p++)
		point_free(&pts[p]);
	free(pts);
	json_object_put(points);
	json_object_put(o);
	if (r == -ENOMEM && !*err)
		snprintf(err, errlen, "out of memory");
	return r;
}

int sweep_run_status(const struct sweep *s, const char *dir, size_t run,
		     int *ret_status)
{
	_cleanup_free_ char *f = sweep_run_folder(s, run);
	_cleanup_free_ char *path = f ? strdup_printf("%s/%s", dir, f) : NULL;
	enum results_status st;
	int r;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return -errno;
	r = results_get_status(path, &st, NULL);
	*ret_status = r < 0 ? RESULTS_UNKNOWN : (int)st;
	return 0;
}

static int write_with(const char *path, struct report_run *const *runs,
		      size_t n, bool html)
{
	FILE *f = fopen(path, "we");
	int r;

	if (!f)
		return -errno;
	r = html ? report_write_html(f, runs, n) :
		   report_write_summary(f, runs, n);
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	return r < 0 ? r : 0;
}

int sweep_write_report(const struct sweep *s, const char *dir, char *err,
		       size_t errlen)
{
	_cleanup_free_ char *html = strdup_printf("%s/report.html", dir);
	_cleanup_free_ char *txt = strdup_printf("%s/summary.txt", dir);
	struct report_run **runs = calloc(s->n_runs + 1, sizeof(*runs));
	size_t nr = 0;
	int r = 0;

	if (!html || !txt || !runs) {
		free(runs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n_runs; i++) {
		_cleanup_free_ char *f = sweep_run_folder(s, i);
		_cleanup_free_ char *d =
			f ? strdup_printf("%s/%s", dir, f) : NULL;
		char e[512] = "";

		if (!d) {
			r = -ENOMEM;
			break;
		}
		/* runs not started are not in the report */
		if (access(d, F_OK) == 0 &&
		    report_load(d, &runs[nr], e, sizeof(e)) == 0)
			nr++;
	}
	if (r == 0 && nr) {
		r = write_with(html, runs, nr, true);
		if (r == 0)
			r = write_with(txt, runs, nr, false);
		if (r < 0)
			snprintf(err, errlen,
				 "cannot write the report in %s: %s", dir,
				 strerror(-r));
	}
	for (size_t i = 0; i < nr; i++)
		report_run_free(runs[i]);
	free(runs);
	return r;
}
