// SPDX-License-Identifier: MIT
/* A sweep's manifest and summary; see sweep.h. */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
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

char *sweep_run_folder(size_t run)
{
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
		      struct error *err)
{
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	_cleanup_free_ char *t = text ? strdup_printf("%s\n", text) : NULL;
	int r = t ? results_write(dir, file, t) : -ENOMEM;

	if (r < 0)
		err_set(err, "cannot write %s/%s: %s", dir, file, strerror(-r));
	return r;
}

/* o[key] = the string s */
static void jstr(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

/* o[key] = the n strings v */
static void jstrs(json_object *o, const char *key, char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	json_object_object_add(o, key, a);
}

static json_object *point_values(const struct sweep *s, size_t p)
{
	json_object *v = json_object_new_object();

	for (size_t k = 0; v && k < s->n_keys; k++)
		jstr(v, s->keys[k].key, sweep_value(s, p, k));
	return v;
}

int sweep_write(const struct sweep *s, const char *dir, struct error *err)
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
	jstr(o, "name", s->name);
	jstr(o, "config", s->config);
	/* a string: JSON readers lose integers past 2^53 */
	jstr(o, "seed", seed);
	jstr(o, "order", s->shuffled ? "shuffled" : "sequential");
	json_object_object_add(o, "repeat", json_object_new_int(s->repeat));
	json_object_object_add(o, "tail_ms", json_object_new_int64(s->tail_ms));
	json_object_object_add(o, "interval_ms",
			       json_object_new_int64(s->interval_ms));
	json_object_object_add(o, "warm", json_object_new_boolean(s->warm));
	for (size_t k = 0; k < s->n_keys; k++) {
		json_object *e = json_object_new_object();

		jstr(e, "key", s->keys[k].key);
		jstrs(e, "values", s->keys[k].values, s->keys[k].n);
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
		_cleanup_free_ char *f = sweep_run_folder(i);

		json_object_object_add(e, "index", json_object_new_int64(i));
		json_object_object_add(e, "point",
				       json_object_new_int64(s->runs[i].point));
		json_object_object_add(
			e, "repetition",
			json_object_new_int(s->runs[i].repetition));
		jstr(e, "folder", f ? f : "");
		json_object_array_add(runs, e);
	}
	json_object_object_add(o, "runs", runs);
	r = write_json(dir, "manifest.json", o, err);
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

#define BAD(...)                           \
	do {                               \
		err_set(err, __VA_ARGS__); \
		ret = -EBADMSG;            \
		goto out;                  \
	} while (0)

int sweep_read(const char *dir, struct sweep *s, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/manifest.json", dir);
	_cleanup_free_ char *text = NULL;
	json_object *o = NULL, *keys, *runs, *warm;
	const char *name, *config, *order, *seed;
	enum json_tokener_error je;
	int64_t repeat, tail, interval;
	bool has_tail, has_interval, has_warm;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (!path)
		return -ENOMEM;
	if (access(path, R_OK) < 0)
		return err_fail(err, -errno, "%s: %s (not a sweep folder)",
				path, strerror(errno));
	ret = read_full_file(path, 64u << 20, &text, NULL);
	if (ret < 0)
		return err_fail(err, ret, "%s: %s", path, strerror(-ret));
	o = json_tokener_parse_verbose(text, &je);
	if (!o && je != json_tokener_success)
		BAD("%s: not valid JSON: %s", path,
		    json_tokener_error_desc(je));
	if (!json_object_is_type(o, json_type_object))
		BAD("%s: not a JSON object", path);
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
	has_tail = json_object_object_get_ex(o, "tail_ms", NULL);
	has_interval = json_object_object_get_ex(o, "interval_ms", NULL);
	has_warm = json_object_object_get_ex(o, "warm", &warm);
	if (has_tail || has_interval || has_warm) {
		if (!get_int(o, "tail_ms", &tail) || tail < 0 || tail > 3600000)
			BAD("%s: \"tail_ms\" is not 0..3600000", path);
		if (!get_int(o, "interval_ms", &interval) || interval < 10 ||
		    interval > 60000)
			BAD("%s: \"interval_ms\" is not 10..60000", path);
		if (!has_warm || !json_object_is_type(warm, json_type_boolean))
			BAD("%s: \"warm\" is not true or false", path);
		s->timing_known = true;
		s->tail_ms = (uint64_t)tail;
		s->interval_ms = (unsigned)interval;
		s->warm = json_object_get_boolean(warm);
	}
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
		_cleanup_free_ char *want = sweep_run_folder(i);

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

static struct sweep_figure *sweep_figures_find(const struct sweep_figures *pm,
					       const char *name)
{
	for (size_t i = 0; i < pm->n; i++)
		if (!strcmp(pm->m[i].name, name))
			return &pm->m[i];
	return NULL;
}

__attribute__((format(printf, 4, 5))) static int
metric_add(struct sweep_figures *pm, const char *unit, double value,
	   const char *fmt, ...)
{
	char name[256];
	struct sweep_figure *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (char *c = name; *c; c++)
		if (*c == ' ')
			*c = '-';
	m = sweep_figures_find(pm, name);
	if (!m) {
		m = ARRAY_PUSH(pm->m, pm->n);
		if (!m)
			return -ENOMEM;
		*m = (struct sweep_figure){ .name = strdup(name),
					    .unit = unit };
		if (!m->name)
			return -ENOMEM;
	}
	if (ARRAY_RESERVE(m->v, m->n, m->cap, 8) < 0 ||
	    ARRAY_RESERVE(m->run, m->n, m->run_cap, 8) < 0)
		return -ENOMEM;
	/* a run without the figure leaves no gap: say whose each value is */
	m->run[m->n] = pm->n_runs - 1;
	m->v[m->n++] = value;
	return 0;
}

/*
 * Adds run r (its folder's name: folder) and its headline figures (the
 * names the report uses) to pm. -ENOMEM.
 */
static int sweep_figures_add_run(struct sweep_figures *pm,
				 const struct report_run *r, const char *folder)
{
	static const char *const fio_name[] = { "iops", "p50_latency",
						"mean_latency", "p99_latency",
						"bytes_read" };
	static const char *const fio_unit[] = { "IO/s", "ns", "ns", "ns",
						"bytes" };
	char **run = ARRAY_PUSH(pm->runs, pm->n_runs);
	int k = 0;

	if (!run)
		return -ENOMEM;
	*run = strdup(folder);
	if (!*run)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_fio && !k; i++) {
		const struct report_fio *f = &r->fio[i];
		const double v[] = { f->iops, f->p50_ns, f->mean_ns, f->p99_ns,
				     (double)f->bytes };

		for (size_t j = 0; j < ARRAY_SIZE(v) && !k; j++)
			k = metric_add(pm, fio_unit[j], v[j], "%s.%s.%s", f->vm,
				       f->job, fio_name[j]);
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

static void sweep_figures_free(struct sweep_figures *pm)
{
	for (size_t i = 0; i < pm->n; i++) {
		free(pm->m[i].name);
		free(pm->m[i].v);
		free(pm->m[i].run);
	}
	free(pm->m);
	for (size_t i = 0; i < pm->n_runs; i++)
		free(pm->runs[i]);
	free(pm->runs);
}

static json_object *jnum(double v)
{
	/* NaN and infinities are not JSON: null */
	return isfinite(v) ? json_object_new_double(v) : NULL;
}

/* v in %.PRECg into b; none (an empty CSV cell, "-") if not finite */
static const char *num(char b[32], int prec, double v, const char *none)
{
	if (!isfinite(v))
		return none;
	snprintf(b, 32, "%.*g", prec, v);
	return b;
}

/*
 * Significant digits that show d's mean, median and interval down to the
 * second digit of the interval's half-width, at least 6: with 6 alone,
 * 10737418240 ± 5322 bytes printed as an interval of no width.
 */
static int ci_digits(const struct stats_desc *d)
{
	double hw = (d->ci95[1] - d->ci95[0]) / 2;
	double top = fmax(fabs(d->ci95[0]), fabs(d->ci95[1]));
	int k;

	if (!isfinite(hw) || hw <= 0 || !isfinite(top) || top <= 0)
		return 6;
	k = (int)floor(log10(top)) - (int)floor(log10(hw)) + 2;
	return k < 6 ? 6 : k > 17 ? 17 : k;
}

static json_object *metric_json(const struct sweep_figures *pm,
				const struct sweep_figure *m, FILE *csv,
				FILE *md, const char *point)
{
	json_object *o = json_object_new_object();
	json_object *runs = json_object_new_array();
	json_object *vals = json_object_new_array();
	json_object *ci = json_object_new_array();
	json_object *out = json_object_new_array();
	struct stats_desc d;
	char b[6][32];
	int dg;
	bool *flags = calloc(m->n ? m->n : 1, sizeof(*flags));

	if (!o || !runs || !vals || !ci || !out || !flags ||
	    stats_describe(m->v, m->n, &d) < 0 ||
	    stats_outliers(m->v, m->n, flags) < 0) {
		json_object_put(o);
		json_object_put(runs);
		json_object_put(vals);
		json_object_put(ci);
		json_object_put(out);
		free(flags);
		return NULL;
	}
	for (size_t i = 0; i < m->n; i++) {
		json_object_array_add(
			runs, json_object_new_string(pm->runs[m->run[i]]));
		json_object_array_add(vals, jnum(m->v[i]));
		if (flags[i])
			json_object_array_add(out, json_object_new_int64(i));
	}
	json_object_array_add(ci, jnum(d.ci95[0]));
	json_object_array_add(ci, jnum(d.ci95[1]));
	jstr(o, "name", m->name);
	jstr(o, "unit", m->unit);
	json_object_object_add(o, "n", json_object_new_int64(d.n));
	json_object_object_add(o, "runs", runs);
	json_object_object_add(o, "values", vals);
	json_object_object_add(o, "mean", jnum(d.mean));
	json_object_object_add(o, "median", jnum(d.median));
	json_object_object_add(o, "stddev", jnum(d.stddev));
	json_object_object_add(o, "cov", jnum(d.cov));
	json_object_object_add(o, "min", jnum(d.min));
	json_object_object_add(o, "max", jnum(d.max));
	json_object_object_add(o, "ci95", ci);
	json_object_object_add(o, "outliers", out);
	fprintf(csv, "%s,%s,%s,%zu,%s,%s,%s,%s,%s,%s,%d\n", point, m->name,
		m->unit, d.n, num(b[0], 17, d.mean, ""),
		num(b[1], 17, d.median, ""), num(b[2], 17, d.stddev, ""),
		num(b[3], 17, d.cov, ""), num(b[4], 17, d.ci95[0], ""),
		num(b[5], 17, d.ci95[1], ""),
		(int)json_object_array_length(out));
	dg = ci_digits(&d);
	fprintf(md, "| %s | %s | %s | %zu | %s | %s | [%s, %s] | %s | %d |\n",
		point, m->name, m->unit, d.n, num(b[0], dg, d.mean, "-"),
		num(b[1], dg, d.median, "-"), num(b[2], dg, d.ci95[0], "-"),
		num(b[3], dg, d.ci95[1], "-"), num(b[4], 3, d.cov, "-"),
		(int)json_object_array_length(out));
	free(flags);
	return o;
}

char *sweep_point_label(const struct sweep *s, size_t p)
{
	char *l = strdup(s->n_keys ? "" : "-");

	for (size_t k = 0; l && k < s->n_keys; k++) {
		char *n = strdup_printf("%s%s%s=%s", l, k ? " " : "",
					s->keys[k].key, sweep_value(s, p, k));

		free(l);
		l = n;
	}
	return l;
}

/*
 * What a run's figures depend on besides its point, from its provenance:
 * the same in every run of a sweep, or its means and intervals mix hosts
 * (a Slurm array over nodes of another kernel, qemu or NUMA layout) or
 * settings (a sweep resumed by an older daxlab with another --warm,
 * --tail or --interval).
 */
static const char *const mix_keys[] = {
	"kernel",
	"qemu",
	"virtiofsd",
	"fio",
	"daxlab",
	"accel",
	"cgroup",
	"topology.nodes",
	"mm.reclaim",
	"mm.numa_balancing",
	"mm.zone_reclaim_mode",
	"start_state",
	"monitor.tail_ms",
	"monitor.interval_ms",
};
#define MIX_VALUES 8

struct sweep_mix {
	struct {
		char *v[MIX_VALUES]; /* its values, in the order first seen */
		size_t runs[MIX_VALUES];
		size_t n;
	} k[ARRAY_SIZE(mix_keys)];
};

static void mix_free(struct sweep_mix *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(mix_keys); i++)
		for (size_t j = 0; j < m->k[i].n; j++)
			free(m->k[i].v[j]);
	memset(m, 0, sizeof(*m));
}

/* Counts r's values; one not known (or no memory) counts for none. */
static void mix_add(struct sweep_mix *m, const struct report_run *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(mix_keys); i++) {
		char *v = provenance_get(&r->prov, mix_keys[i]);
		size_t j;

		if (!v || !*v) {
			free(v);
			continue;
		}
		for (j = 0; j < m->k[i].n && strcmp(m->k[i].v[j], v); j++)
			;
		if (j < m->k[i].n) {
			m->k[i].runs[j]++;
			free(v);
		} else if (j < MIX_VALUES) {
			m->k[i].v[j] = v;
			m->k[i].runs[j] = 1;
			m->k[i].n++;
		} else {
			free(v); /* MIX_VALUES shown: enough to see */
		}
	}
}

/* "kernel: 'A' (3 runs), 'B' (1 run); ..." of the keys that differ. */
static void mix_text(const struct sweep_mix *m, char *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(mix_keys); i++) {
		char one[1024] = "";

		if (m->k[i].n < 2)
			continue;
		for (size_t j = 0; j < m->k[i].n; j++)
			str_appendf(one, sizeof(one), ", ", "'%s' (%zu run%s)",
				    m->k[i].v[j], m->k[i].runs[j],
				    m->k[i].runs[j] == 1 ? "" : "s");
		str_appendf(buf, len, "; ", "%s: %s", mix_keys[i], one);
	}
}

/* {"kernel": {"A": 3, "B": 1}, ...}: the keys that differ. */
static json_object *mix_json(const struct sweep_mix *m)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < ARRAY_SIZE(mix_keys); i++) {
		json_object *v;

		if (m->k[i].n < 2)
			continue;
		v = json_object_new_object();
		if (!v)
			break;
		for (size_t j = 0; j < m->k[i].n; j++)
			json_object_object_add(
				v, m->k[i].v[j],
				json_object_new_int64(
					(int64_t)m->k[i].runs[j]));
		json_object_object_add(o, mix_keys[i], v);
	}
	return o;
}

/*
 * The runs of s in dir that started: pts[p] (s->n_points of them, zeroed)
 * gets the figures of the complete runs of point p; runs, unless NULL
 * (room for s->n_runs), gets each run: runs[(*ret_n)++]. unread (may be
 * NULL) gets the folders that could not be read, and why; mix (may be
 * NULL, zeroed) what the complete runs' provenance says of their hosts.
 */
static int sweep_load_runs(const struct sweep *s, const char *dir,
			   struct sweep_figures *pts, struct report_run **runs,
			   size_t *ret_n, struct error *unread,
			   struct sweep_mix *mix)
{
	int k = 0;

	for (size_t i = 0; k == 0 && i < s->n_runs; i++) {
		_cleanup_free_ char *f = sweep_run_folder(i);
		_cleanup_free_ char *path =
			f ? strdup_printf("%s/%s", dir, f) : NULL;
		struct report_run *r = NULL;
		struct error err = { 0 };

		if (!path)
			return -ENOMEM;
		k = report_load(path, &r, &err);
		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			/* -ENOENT: not run yet */
			if (k != -ENOENT && unread)
				str_appendf(unread->msg, sizeof(unread->msg),
					    "; ", "%s: %s", f,
					    err.msg[0] ? err.msg :
							 strerror(-k));
			k = 0;
			continue;
		}
		/* complete, but its monitor's figures end early */
		if (r->status == RESULTS_COMPLETE && r->stats_cut) {
			if (unread)
				str_appendf(unread->msg, sizeof(unread->msg),
					    "; ", "%s: %s", f, r->stats_cut);
		} else if (r->status == RESULTS_COMPLETE) {
			k = sweep_figures_add_run(&pts[s->runs[i].point], r, f);
			if (mix)
				mix_add(mix, r);
		}
		if (runs)
			runs[(*ret_n)++] = r;
		else
			report_run_free(r);
	}
	return k;
}

/* A row of c per figure of group a (figures ga) that group b has too. */
static int add_rows(struct sweep_comparison *c, size_t a, size_t b,
		    const struct sweep_figures *ga,
		    const struct sweep_figures *gb)
{
	for (size_t i = 0; i < ga->n; i++) {
		const struct sweep_figure *fa = &ga->m[i];
		const struct sweep_figure *fb =
			sweep_figures_find(gb, fa->name);
		struct sweep_cmp_row *row;

		if (!fb)
			continue;
		row = ARRAY_PUSH(c->rows, c->n_rows);
		if (!row)
			return -ENOMEM;
		*row = (struct sweep_cmp_row){ .a = a, .b = b, .fa = fa };
		if (stats_describe(fa->v, fa->n, &row->da) < 0 ||
		    stats_describe(fb->v, fb->n, &row->db) < 0)
			return -ENOMEM;
		row->diff = row->db.mean - row->da.mean;
		row->ratio =
			row->da.mean != 0 ? row->db.mean / row->da.mean : NAN;
		stats_welch(fa->v, fa->n, fb->v, fb->n, &row->c.w);
	}
	return 0;
}

/* Every point against the first: c's rows (the caller frees them), as JSON. */
static json_object *comparisons(const struct sweep *s,
				const struct sweep_figures *pts, double alpha,
				struct sweep_comparison *c)
{
	json_object *arr = json_object_new_array();
	_cleanup_free_ char *la = sweep_point_label(s, 0);

	if (!arr || !la)
		goto oom;
	for (size_t b = 1; b < s->n_points; b++)
		if (add_rows(c, 0, b, &pts[0], &pts[b]) < 0)
			goto oom;
	if (stats_compare_rows(c->rows, c->n_rows, sizeof(*c->rows),
			       offsetof(struct sweep_cmp_row, c), alpha,
			       NULL) < 0)
		goto oom;
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct stats_cmp *sc = &c->rows[i].c;
		json_object *o = json_object_new_object();
		_cleanup_free_ char *lb = sweep_point_label(s, c->rows[i].b);

		if (!o || !lb) {
			json_object_put(o);
			goto oom;
		}
		jstr(o, "a", la);
		jstr(o, "b", lb);
		jstr(o, "metric", c->rows[i].fa->name);
		json_object_object_add(o, "diff", jnum(sc->w.diff));
		json_object_object_add(o, "ratio", jnum(sc->w.ratio));
		json_object_object_add(o, "df", jnum(sc->w.df));
		json_object_object_add(o, "p", jnum(sc->w.p));
		json_object_object_add(o, "p_holm", jnum(sc->p_holm));
		json_object_object_add(
			o, "significant",
			json_object_new_boolean(sc->significant));
		json_object_array_add(arr, o);
	}
	return arr;
oom:
	json_object_put(arr);
	return NULL;
}

/* ---- statistics.html: each figure's repetitions, interval and test ---- */

/* The comparison of figure name of point b with point 0, or NULL. */
static const struct stats_cmp *cmp_of(const struct sweep_comparison *c,
				      const char *name, size_t b)
{
	for (size_t i = 0; i < c->n_rows; i++)
		if (c->rows[i].b == b && !strcmp(c->rows[i].fa->name, name))
			return &c->rows[i].c;
	return NULL;
}

/*
 * A strip plot of one figure: a column per point, a dot per repetition
 * (outliers hollow), the mean with its 95% interval as an error bar.
 */
static void strip_plot(FILE *f, const struct sweep_figures *pts, size_t np,
		       const char *name)
{
	const double w = 120.0 * (double)np + 80, h = 170, top = 10,
		     bottom = 140, left = 70;
	double lo = INFINITY, hi = -INFINITY, step;

	for (size_t p = 0; p < np; p++) {
		const struct sweep_figure *m = sweep_figures_find(&pts[p], name);
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
		const struct sweep_figure *m = sweep_figures_find(&pts[p], name);
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

/* done: how many runs are complete */
static void write_stats_html(FILE *f, const struct sweep *s,
			     const struct sweep_figures *pts,
			     const struct sweep_comparison *c, double alpha,
			     size_t done, const char *mixed)
{
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
	      ".warn{color:#a00}"
	      "</style></head><body>\n<h1>",
	      f);
	svg_escape_html(f, s->name);
	fprintf(f,
		": %zu of %zu runs complete, %zu points &times; %u repetitions (%s, seed %llu)</h1>\n"
		"<p>Each figure: its repetitions (dots; hollow red: outliers by the median absolute deviation, "
		"kept), the mean (bar) and its 95%% confidence interval (Student's t). "
		"<b>*</b>: differs from point 0 (Welch's t-test, Holm-adjusted over all tested comparisons, p &lt; %g).</p>\n<table><tr><th>point</th>",
		done, s->n_runs, s->n_points, s->repeat,
		s->shuffled ? "shuffled" : "in order",
		(unsigned long long)s->seed, alpha);
	if (*mixed)
		svg_html(
			f,
			"<p class=\"warn\"><b>The runs' hosts or settings differ</b> (",
			mixed, "): the means and intervals mix them.</p>\n");
	for (size_t k = 0; k < s->n_keys; k++)
		svg_html(f, "<th>", s->keys[k].key, "</th>");
	fputs("<th>runs</th></tr>\n", f);
	for (size_t p = 0; p < s->n_points; p++) {
		fprintf(f, "<tr><td>%zu</td>", p);
		for (size_t k = 0; k < s->n_keys; k++)
			svg_html(f, "<td>", sweep_value(s, p, k), "</td>");
		fprintf(f, "<td>%zu</td></tr>\n", pts[p].n_runs);
	}
	fputs("</table>\n", f);
	for (size_t i = 0; s->n_points && i < pts[0].n; i++) {
		const struct sweep_figure *m0 = &pts[0].m[i];

		svg_html(f, "<h3>", m0->name, NULL);
		fprintf(f, " (%s)</h3>\n", m0->unit);
		strip_plot(f, pts, s->n_points, m0->name);
		fputs("<table><tr><th>point</th><th>n</th><th>mean</th><th>95% CI</th>"
		      "<th>median</th><th>CoV</th><th>outliers</th><th>p (Holm)</th><th></th></tr>\n",
		      f);
		for (size_t p = 0; p < s->n_points; p++) {
			const struct sweep_figure *m = sweep_figures_find(&pts[p], m0->name);
			const struct stats_cmp *sc = cmp_of(c, m0->name, p);
			struct stats_desc d;
			_cleanup_free_ bool *flags = NULL;
			char b[5][32];
			int nout, dg;

			if (!m || stats_describe(m->v, m->n, &d) < 0)
				continue;
			flags = calloc(m->n ? m->n : 1, sizeof(*flags));
			nout = flags ? stats_outliers(m->v, m->n, flags) : -1;
			dg = ci_digits(&d);
			fprintf(f,
				"<tr><td>%zu</td><td>%zu</td><td>%s</td><td>[%s, %s]</td>"
				"<td>%s</td><td>%s</td><td>%d</td>",
				p, d.n, num(b[0], dg, d.mean, "&ndash;"),
				num(b[1], dg, d.ci95[0], "&ndash;"),
				num(b[2], dg, d.ci95[1], "&ndash;"),
				num(b[3], dg, d.median, "&ndash;"),
				num(b[4], 3, d.cov, "&ndash;"), nout);
			if (!sc || isnan(sc->p_holm))
				fputs("<td>&ndash;</td>", f);
			else
				fprintf(f, "<td>%.3g</td>", sc->p_holm);
			fprintf(f, "<td>%s</td></tr>\n",
				sc && sc->significant ? "*" : "");
		}
		fputs("</table>\n", f);
	}
	fputs("</body></html>\n", f);
}

int sweep_write_summary(const struct sweep *s, const char *dir, double alpha,
			size_t *ret_complete, struct sweep_notes *notes,
			struct error *err)
{
	struct sweep_mix mix = { 0 };
	char mixed[sizeof(notes->mixed.msg)] = "";
	struct error unread = { 0 };
	struct sweep_figures *pts = calloc(s->n_points, sizeof(*pts));
	json_object *o = json_object_new_object();
	json_object *points = json_object_new_array();
	json_object *cmp = NULL;
	struct sweep_comparison c = { 0 }; /* its rows only */
	char *csv_text = NULL, *md_text = NULL, *html = NULL;
	size_t csv_len = 0, md_len = 0, html_len = 0;
	FILE *csv = open_memstream(&csv_text, &csv_len);
	FILE *md = open_memstream(&md_text, &md_len);
	FILE *hf = open_memstream(&html, &html_len);
	int r = -ENOMEM;

	if (notes)
		*notes = (struct sweep_notes){ 0 };
	if (!pts || !o || !points || !csv || !md || !hf)
		goto out;
	r = sweep_load_runs(s, dir, pts, NULL, NULL, &unread, &mix);
	if (r < 0)
		goto out;
	mix_text(&mix, mixed, sizeof(mixed));
	if (notes) {
		notes->unread = unread;
		snprintf(notes->mixed.msg, sizeof(notes->mixed.msg), "%s",
			 mixed);
	}
	*ret_complete = 0;
	for (size_t p = 0; p < s->n_points; p++)
		*ret_complete += pts[p].n_runs;
	fprintf(csv,
		"point,metric,unit,n,mean,median,stddev,cov,ci95_low,ci95_high,outliers\n");
	if (mixed[0])
		fprintf(md,
			"The runs' hosts or settings differ (%s): the means and intervals mix them.\n\n",
			mixed);
	if (unread.msg[0])
		fprintf(md, "Left out: %s.\n\n", unread.msg);
	fprintf(md,
		"| point | metric | unit | n | mean | median | 95%% CI | CoV | outliers |\n"
		"|---|---|---|---|---|---|---|---|---|\n");
	for (size_t p = 0; p < s->n_points; p++) {
		json_object *e = json_object_new_object();
		json_object *ms = json_object_new_array();
		_cleanup_free_ char *label = sweep_point_label(s, p);

		if (!e || !ms || !label) {
			json_object_put(e);
			json_object_put(ms);
			r = -ENOMEM;
			goto out;
		}
		/* points holds e, and e ms, from here */
		json_object_array_add(points, e);
		json_object_object_add(e, "point", point_values(s, p));
		jstrs(e, "runs", pts[p].runs, pts[p].n_runs);
		json_object_object_add(e, "metrics", ms);
		for (size_t i = 0; i < pts[p].n; i++) {
			json_object *m = metric_json(&pts[p], &pts[p].m[i], csv,
						     md, label);

			if (!m) {
				r = -ENOMEM;
				goto out;
			}
			json_object_array_add(ms, m);
		}
	}
	json_object_object_add(o, "points", points);
	points = NULL;
	json_object_object_add(o, "differs", mix_json(&mix));
	if (unread.msg[0])
		jstr(o, "left_out", unread.msg);
	cmp = comparisons(s, pts, alpha, &c);
	if (!cmp) {
		r = -ENOMEM;
		goto out;
	}
	json_object_object_add(o, "comparisons", cmp);
	json_object_object_add(o, "alpha", json_object_new_double(alpha));
	jstr(o, "comparisons_note",
	     "every point against the first, Welch's t-test; p_holm: Holm-adjusted over all tested comparisons (one of two groups without noise has no df and keeps its p), significant when below alpha");
	r = write_json(dir, "summary.json", o, err);
	if (r < 0)
		goto out;
	write_stats_html(hf, s, pts, &c, alpha, *ret_complete, mixed);
	fclose(hf);
	hf = NULL;
	r = results_write(dir, "statistics.html", html);
	if (r < 0) {
		err_set(err, "cannot write %s/statistics.html: %s", dir,
			strerror(-r));
		goto out;
	}
	fclose(csv);
	csv = NULL;
	fclose(md);
	md = NULL;
	r = results_write(dir, "summary.csv", csv_text);
	if (r == 0)
		r = results_write(dir, "summary.md", md_text);
	if (r < 0)
		err_set(err, "cannot write the summary in %s: %s", dir,
			strerror(-r));
out:
	if (csv)
		fclose(csv);
	if (md)
		fclose(md);
	if (hf)
		fclose(hf);
	free(csv_text);
	free(md_text);
	free(html);
	for (size_t p = 0; pts && p < s->n_points; p++)
		sweep_figures_free(&pts[p]);
	free(pts);
	free(c.rows);
	mix_free(&mix);
	json_object_put(points);
	json_object_put(o);
	if (r == -ENOMEM && !err->msg[0])
		err_set(err, "out of memory");
	return r;
}

#define SWEEP_CONFIG_MAX (1u << 20)

int sweep_keep_config(const struct sweep *s, const char *dir, struct error *err)
{
	_cleanup_free_ char *text = NULL;
	int r = read_full_file(s->config, SWEEP_CONFIG_MAX, &text, NULL);

	if (r < 0)
		return err_fail(err, r, "cannot read %s: %s", s->config,
				strerror(-r));
	r = results_write(dir, "config.ini", text);
	if (r < 0)
		return err_fail(err, r, "cannot write %s/config.ini: %s", dir,
				strerror(-r));
	return 0;
}

int sweep_check_config(const struct sweep *s, const char *dir, char **ret_text,
		       size_t *ret_len, struct error *err)
{
	_cleanup_free_ char *kept = strdup_printf("%s/config.ini", dir);
	_cleanup_free_ char *was = NULL, *now = NULL;
	size_t lw = 0, ln = 0;
	int r, kept_r;

	if (!kept)
		return -ENOMEM;
	r = read_full_file(kept, SWEEP_CONFIG_MAX, &was, &lw);
	if (r < 0 && r != -ENOENT)
		return err_fail(err, r, "cannot read %s: %s", kept,
				strerror(-r));
	if (r == -ENOENT && !ret_text)
		return 0;
	kept_r = r;
	r = read_full_file(s->config, SWEEP_CONFIG_MAX, &now, &ln);
	if (r < 0)
		return err_fail(err, r, "cannot read %s: %s", s->config,
				strerror(-r));
	if (kept_r == 0 && (lw != ln || memcmp(was, now, lw)))
		return err_fail(
			err, -ESTALE,
			"%s is not the config the sweep began with (%s): its runs would not be comparable; put it back, or begin a new sweep",
			s->config, kept);
	if (ret_text) {
		*ret_text = TAKE_PTR(now);
		*ret_len = ln;
	}
	return 0;
}

static char *run_lock_path(const char *dir, size_t run)
{
	return strdup_printf("%s/.point-%zu.lock", dir, run);
}

/* fcntl cmd F_OFD_SETLK(W) or F_OFD_GETLK on the whole file of fd */
static int ofd_lock(int fd, int cmd, struct flock *fl)
{
	*fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
	return fcntl(fd, cmd, fl) < 0 ? -errno : 0;
}

/*
 * Path p (NULL: -ENOMEM) opened and locked with cmd: its fd, or -errno;
 * -EBUSY when another holds it (F_OFD_SETLK), -EINTR when a signal came
 * while waiting (F_OFD_SETLKW).
 */
static int ofd_lock_file(const char *p, int cmd)
{
	struct flock fl;
	int fd, r;

	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = ofd_lock(fd, cmd, &fl);
	if (r < 0) {
		close(fd);
		return r == -EAGAIN || r == -EACCES ? -EBUSY : r;
	}
	return fd;
}

int sweep_run_lock(const char *dir, size_t run)
{
	_cleanup_free_ char *p = run_lock_path(dir, run);

	return ofd_lock_file(p, F_OFD_SETLK);
}

int sweep_summary_lock(const char *dir)
{
	_cleanup_free_ char *p = strdup_printf("%s/.summary.lock", dir);

	return ofd_lock_file(p, F_OFD_SETLKW);
}

bool sweep_run_locked(const char *dir, size_t run)
{
	_cleanup_free_ char *p = run_lock_path(dir, run);
	_cleanup_close_ int fd =
		p ? open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	struct flock fl;

	/* a read-only fd may test for a write lock */
	return fd >= 0 && ofd_lock(fd, F_OFD_GETLK, &fl) == 0 &&
	       fl.l_type != F_UNLCK;
}

int sweep_run_status(const char *dir, size_t run, int *ret_status)
{
	_cleanup_free_ char *f = sweep_run_folder(run);
	_cleanup_free_ char *path = f ? strdup_printf("%s/%s", dir, f) : NULL;
	enum results_status st;
	int r;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0)
		return -errno;
	r = results_get_status(path, &st, NULL);
	if (r == 0 && st == RESULTS_RUNNING && !sweep_run_locked(dir, run))
		st = RESULTS_INCOMPLETE;
	/* the summary leaves it out: it is to be run again */
	if (r == 0 && st == RESULTS_COMPLETE && results_stats_cut(path))
		st = RESULTS_INCOMPLETE;
	*ret_status = r < 0 ? RESULTS_UNKNOWN : (int)st;
	return 0;
}

int sweep_write_report(const struct sweep *s, const char *dir,
		       struct error *err)
{
	_cleanup_free_ char *html = strdup_printf("%s/report.html", dir);
	_cleanup_free_ char *txt = strdup_printf("%s/summary.txt", dir);
	_cleanup_free_ char *fig_html = NULL, *fig_text = NULL;
	struct report_run **runs = calloc(s->n_runs + 1, sizeof(*runs));
	struct sweep_figures *pts = calloc(s->n_points, sizeof(*pts));
	/* each point's headline figures, of its complete runs */
	struct sweep_group *g = calloc(s->n_points, sizeof(*g));
	size_t nr = 0;
	int r = html && txt && runs && pts && g ?
			sweep_load_runs(s, dir, pts, runs, &nr, NULL, NULL) :
			-ENOMEM;

	for (size_t p = 0; g && pts && p < s->n_points; p++) {
		_cleanup_free_ char *pl = sweep_point_label(s, p);

		g[p].f = pts[p];
		g[p].label = !pl       ? NULL :
			     s->n_keys ? strdup_printf("point %zu: %s", p, pl) :
					 strdup_printf("point %zu", p);
		if (r == 0 && !g[p].label)
			r = -ENOMEM;
	}
	if (r == 0)
		r = sweep_sections(NULL, g, s->n_points, &fig_html, &fig_text);
	if (r == 0 && nr) {
		r = report_save(html, runs, nr, true, fig_html, err);
		if (r == 0)
			r = report_save(txt, runs, nr, false, fig_text, err);
	}
	for (size_t i = 0; i < nr; i++)
		report_run_free(runs[i]);
	free(runs);
	for (size_t p = 0; g && p < s->n_points; p++) {
		free(g[p].label);
		sweep_figures_free(&g[p].f);
	}
	free(g);
	free(pts);
	return r;
}

/* ---- daxlab report A B: folders against the first ---- */

static int add_group(struct sweep_comparison *c, const char *dir,
		     const char *point, const char *label, size_t folder)
{
	struct sweep_group *g = ARRAY_PUSH(c->g, c->n_groups);

	if (!g)
		return -ENOMEM;
	*g = (struct sweep_group){ .dir = strdup(dir),
				   .point = strdup(point),
				   .label = strdup(label),
				   .folder = folder };
	return g->dir && g->point && g->label ? 0 : -ENOMEM;
}

bool sweep_is_dir(const char *dir)
{
	_cleanup_free_ char *m = strdup_printf("%s/manifest.json", dir);

	return m && access(m, F_OK) == 0;
}

static int load_sweep_groups(struct sweep_comparison *c, const char *dir,
			     size_t folder, struct error *err)
{
	struct sweep s;
	struct sweep_figures *pts;
	int r = sweep_read(dir, &s, err);

	if (r < 0)
		return r;
	pts = calloc(s.n_points, sizeof(*pts));
	r = pts ? sweep_load_runs(&s, dir, pts, NULL, NULL, NULL, NULL) :
		  -ENOMEM;
	for (size_t p = 0; r == 0 && p < s.n_points; p++) {
		_cleanup_free_ char *pl = sweep_point_label(&s, p);
		_cleanup_free_ char *label =
			!pl			? NULL :
			s.n_points == 1 ? strdup(dir) :
					  strdup_printf("%s [%s]", dir, pl);

		r = label ? add_group(c, dir, pl, label, folder) : -ENOMEM;
		if (r == 0) {
			c->g[c->n_groups - 1].f = pts[p];
			memset(&pts[p], 0, sizeof(pts[p]));
		}
	}
	for (size_t p = 0; pts && p < s.n_points; p++)
		sweep_figures_free(&pts[p]);
	free(pts);
	sweep_free(&s);
	return r;
}

static int load_run_group(struct sweep_comparison *c, const char *dir,
			  size_t folder, struct error *err)
{
	struct report_run *r = NULL;
	const char *base = strrchr(dir, '/');
	int k = report_load(dir, &r, err);

	if (k < 0) {
		if (!err->msg[0])
			err_set(err,
				"%s: not a results folder or a sweep folder: %s",
				dir, strerror(-k));
		return k;
	}
	/* as in a sweep: the figures of complete runs only */
	if (r->status != RESULTS_COMPLETE) {
		err_set(err,
			"%s: its run is %s%s%s: its figures are not compared (daxlab report %s alone shows what it has)",
			dir, results_status_name(r->status),
			r->reason ? ": " : "", r->reason ? r->reason : "", dir);
		report_run_free(r);
		return -EINVAL;
	}
	k = add_group(c, dir, "-", dir, folder);
	if (k == 0)
		k = sweep_figures_add_run(&c->g[c->n_groups - 1].f, r,
					  base && base[1] ? base + 1 : dir);
	report_run_free(r);
	return k;
}

/* The group of the first folder that group b is compared with, or -1. */
static ssize_t base_of(const struct sweep_comparison *c, size_t b)
{
	size_t first = 0;
	ssize_t only = -1;

	for (size_t a = 0; a < c->n_groups && c->g[a].folder == 0; a++) {
		if (!strcmp(c->g[a].point, c->g[b].point))
			return (ssize_t)a;
		only = first++ ? -1 : (ssize_t)a;
	}
	return only;
}

int sweep_compare_folders(const char *const *dirs, size_t n, double alpha,
			  struct sweep_comparison *c, struct error *err)
{
	int r = 0;

	memset(c, 0, sizeof(*c));
	c->alpha = alpha;
	err->msg[0] = '\0';
	for (size_t i = 0; r == 0 && i < n; i++)
		r = sweep_is_dir(dirs[i]) ?
			    load_sweep_groups(c, dirs[i], i, err) :
			    load_run_group(c, dirs[i], i, err);
	for (size_t b = 0; r == 0 && b < c->n_groups; b++) {
		ssize_t a;

		if (c->g[b].folder == 0)
			continue;
		a = base_of(c, b);
		if (a < 0) {
			c->n_unmatched++;
			continue;
		}
		c->n_pairs++;
		r = add_rows(c, (size_t)a, b, &c->g[a].f, &c->g[b].f);
	}
	if (r == 0 && c->n_pairs > 1) {
		if (stats_compare_rows(c->rows, c->n_rows, sizeof(*c->rows),
				       offsetof(struct sweep_cmp_row, c), alpha,
				       &c->n_tested) < 0)
			r = -ENOMEM;
		c->holm = true;
	} else if (r == 0) {
		/* one pair: each figure's own test, as mmtests shows it */
		for (size_t i = 0; i < c->n_rows; i++) {
			struct stats_cmp *x = &c->rows[i].c;

			x->p_holm = x->w.p;
			x->significant = !isnan(x->w.p) && x->w.p < alpha;
			c->n_tested +=
				!isnan(x->w.p) && !stats_welch_exact(&x->w);
		}
	}
	if (r < 0) {
		if (!err->msg[0])
			err_set(err, "%s", strerror(-r));
		sweep_comparison_free(c);
	}
	return r;
}

void sweep_comparison_free(struct sweep_comparison *c)
{
	for (size_t i = 0; i < c->n_groups; i++) {
		free(c->g[i].label);
		free(c->g[i].dir);
		free(c->g[i].point);
		sweep_figures_free(&c->g[i].f);
	}
	free(c->g);
	free(c->rows);
	memset(c, 0, sizeof(*c));
}

/* "mean ± half-width (n)": the half-width only when there is one. */
static void fmt_mean(char *buf, size_t len, const struct stats_desc *d)
{
	if (!d->n)
		snprintf(buf, len, "-");
	else if (isfinite(d->ci95[0]))
		snprintf(buf, len, "%.*g \u00b1 %.3g (%zu)", ci_digits(d),
			 d->mean, (d->ci95[1] - d->ci95[0]) / 2, d->n);
	else
		snprintf(buf, len, "%.6g (%zu)", d->mean, d->n);
}

#define NO_P_NOTE                                                        \
	"no p-value (n<2): a side has a single run; Welch's test needs at " \
	"least 2 repetitions on each side (daxlab run --repeat N)"

/* The comparison c, as HTML in h and as text in t: the same table walk. */
static void sweep_comparison_section(FILE *h, FILE *t,
				     const struct sweep_comparison *c)
{
	const char *p_head = c->holm ? "p (Holm)" : "p";
	char intro[256];
	size_t last_b = SIZE_MAX;
	bool single = false;

	if (c->holm)
		snprintf(
			intro, sizeof(intro),
			"%zu pairs, each group against the first folder's; the comparisons are many (%zu tested): "
			"p-values Holm-adjusted over all of them",
			c->n_pairs, c->n_tested);
	else
		snprintf(
			intro, sizeof(intro),
			"one pair; %zu figures tested, each p-value its own (not adjusted across figures)",
			c->n_tested);
	fprintf(h,
		"<section class=\"comparison\"><h2>Comparison</h2>\n<p>Each figure: mean &plusmn; "
		"half-width of its 95%% confidence interval (Student's t) and n; difference b &minus; a "
		"and ratio b / a of the means; Welch's t-test p; <b>*</b>: significant at "
		"&alpha; = %g. ",
		c->alpha);
	svg_html(h, NULL, intro, ".</p>\n");
	fprintf(t,
		"comparison: mean \u00b1 95%% CI half-width (n), difference b - a, ratio b / a,\n"
		"Welch's t-test p; *: significant at alpha %g\n%s\n",
		c->alpha, intro);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct sweep_cmp_row *r = &c->rows[i];
		const char *sig = r->c.significant ? "*" : "";
		char ma[64], mb[64], p[32], rt[32];

		if (r->b != last_b) {
			if (last_b != SIZE_MAX)
				fputs("</table>\n", h);
			last_b = r->b;
			svg_html(h, "<h3>a: ", c->g[r->a].label,
				 " &mdash; b: ");
			svg_escape_html(h, c->g[r->b].label);
			fprintf(h,
				"</h3>\n<table><tr><th class=\"l\">figure</th><th>unit</th><th>a</th>"
				"<th>b</th><th>diff</th><th>ratio</th><th>%s</th><th></th></tr>\n",
				p_head);
			fprintf(t,
				"\na: %s\nb: %s\n%-36s %-6s %24s %24s %12s %8s %10s\n",
				c->g[r->a].label, c->g[r->b].label, "figure",
				"unit", "a", "b", "diff", "ratio", p_head);
		}
		fmt_mean(ma, sizeof(ma), &r->da);
		fmt_mean(mb, sizeof(mb), &r->db);
		single |= isnan(r->c.w.p);
		snprintf(p, sizeof(p), "%.4g", r->c.p_holm);
		if (isfinite(r->ratio))
			snprintf(rt, sizeof(rt), "%.4f", r->ratio);
		else
			snprintf(rt, sizeof(rt), "-");
		svg_html(h, "<tr><td class=\"l\">", r->fa->name, NULL);
		fprintf(h,
			"</td><td>%s</td><td>%s</td><td>%s</td><td>%+.6g</td><td>%s</td>",
			r->fa->unit, ma, mb, r->diff, rt);
		if (isnan(r->c.w.p))
			fputs("<td title=\"" NO_P_NOTE "\">n&lt;2</td>", h);
		else
			fprintf(h, "<td>%s</td>", p);
		fprintf(h, "<td>%s</td></tr>\n", sig);
		fprintf(t, "%-36s %-6s %24s %24s %+12.6g %8s %10s %s\n",
			r->fa->name, r->fa->unit, ma, mb, r->diff, rt,
			isnan(r->c.w.p) ? "n<2" : p, sig);
	}
	if (last_b != SIZE_MAX)
		fputs("</table>\n", h);
	if (single) {
		fputs("<p>" NO_P_NOTE ".</p>\n", h);
		fputs("\n" NO_P_NOTE "\n", t);
	}
	if (c->n_unmatched) {
		fprintf(h,
			"<p class=\"warn\">%zu group(s) had no base: the first folder has several points and none "
			"with their values.</p>\n",
			c->n_unmatched);
		fprintf(t,
			"\n%zu group(s) had no base: the first folder has several points and none with their values\n",
			c->n_unmatched);
	}
	fputs("</section>\n", h);
}

char *sweep_comparison_json(const struct sweep_comparison *c)
{
	json_object *o = json_object_new_object();
	json_object *groups = json_object_new_array();
	json_object *rows = json_object_new_array();
	char *out = NULL;

	if (!o || !groups || !rows) {
		json_object_put(o);
		json_object_put(groups);
		json_object_put(rows);
		return NULL;
	}
	json_object_object_add(o, "alpha", json_object_new_double(c->alpha));
	json_object_object_add(o, "holm", json_object_new_boolean(c->holm));
	json_object_object_add(o, "tested", json_object_new_int64(c->n_tested));
	for (size_t i = 0; i < c->n_groups; i++) {
		json_object *g = json_object_new_object();

		jstr(g, "label", c->g[i].label);
		jstr(g, "folder", c->g[i].dir);
		jstr(g, "point", c->g[i].point);
		jstrs(g, "runs", c->g[i].f.runs, c->g[i].f.n_runs);
		json_object_array_add(groups, g);
	}
	json_object_object_add(o, "groups", groups);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct sweep_cmp_row *r = &c->rows[i];
		json_object *e = json_object_new_object();

		jstr(e, "a", c->g[r->a].label);
		jstr(e, "b", c->g[r->b].label);
		jstr(e, "metric", r->fa->name);
		jstr(e, "unit", r->fa->unit);
		json_object_object_add(e, "n_a", json_object_new_int64(r->da.n));
		json_object_object_add(e, "n_b", json_object_new_int64(r->db.n));
		json_object_object_add(e, "mean_a", jnum(r->da.mean));
		json_object_object_add(e, "mean_b", jnum(r->db.mean));
		json_object_object_add(e, "diff", jnum(r->diff));
		json_object_object_add(e, "ratio", jnum(r->ratio));
		json_object_object_add(e, "df", jnum(r->c.w.df));
		json_object_object_add(e, "p", jnum(r->c.w.p));
		json_object_object_add(e, "p_holm",
				       c->holm ? jnum(r->c.p_holm) : NULL);
		json_object_object_add(
			e, "significant",
			json_object_new_boolean(r->c.significant));
		json_object_array_add(rows, e);
	}
	json_object_object_add(o, "comparisons", rows);
	out = strdup_printf("%s\n", json_object_to_json_string_ext(
					    o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

/* ---- every headline figure of each group with its interval ---- */

/* fmt_mean() of the figure name in pm; "-" when pm has none to describe. */
static void fmt_figure(char *buf, size_t len, const struct sweep_figures *pm,
		       const char *name)
{
	const struct sweep_figure *m = sweep_figures_find(pm, name);
	struct stats_desc d = { 0 };

	snprintf(buf, len, "-");
	if (m && stats_describe(m->v, m->n, &d) == 0)
		fmt_mean(buf, len, &d);
}

/* Every headline figure of each group of g, as HTML in h and as text in t. */
static void sweep_figures_section(FILE *h, FILE *t, const struct sweep_group *g,
				  size_t n)
{
	if (!n)
		return;
	fputs("<section class=\"figures\"><h2>Headline figures</h2>\n"
	      "<p>Mean &plusmn; half-width of the 95% confidence interval of the mean "
	      "(Student's t), and n, the complete repetitions; a single run shows its value. "
	      "statistics.html has each repetition, the outliers and the tests.</p>\n"
	      "<table><tr><th class=\"l\">figure</th><th>unit</th>",
	      h);
	fputs("headline figures: mean \u00b1 95% CI half-width (n)\n", t);
	for (size_t k = 0; k < n; k++) {
		svg_html(h, "<th>", g[k].label, "</th>");
		fprintf(t, "  [%zu] %s (%zu runs)\n", k, g[k].label,
			g[k].f.n_runs);
	}
	fputs("</tr>\n", h);
	fprintf(t, "%-36s %-6s", "figure", "unit");
	for (size_t k = 0; k < n; k++)
		fprintf(t, " %26s[%zu]", "", k);
	fputc('\n', t);
	for (size_t i = 0; i < g[0].f.n; i++) {
		const struct sweep_figure *m0 = &g[0].f.m[i];

		svg_html(h, "<tr><td class=\"l\">", m0->name, NULL);
		fprintf(h, "</td><td>%s</td>", m0->unit);
		fprintf(t, "%-36s %-6s", m0->name, m0->unit);
		for (size_t k = 0; k < n; k++) {
			char b[64];

			fmt_figure(b, sizeof(b), &g[k].f, m0->name);
			fprintf(h, "<td>%s</td>", b);
			fprintf(t, " %29s", b);
		}
		fputs("</tr>\n", h);
		fputc('\n', t);
	}
	fputs("</table></section>\n", h);
}

int sweep_sections(const struct sweep_comparison *c,
		   const struct sweep_group *g, size_t n, char **ret_html,
		   char **ret_text)
{
	size_t hl = 0, tl = 0;
	FILE *h = open_memstream(ret_html, &hl);
	FILE *t = open_memstream(ret_text, &tl);

	if (h && t) {
		if (c) {
			sweep_comparison_section(h, t, c);
			fputc('\n', t);
		}
		sweep_figures_section(h, t, g, n);
	}
	if (h)
		fclose(h);
	if (t)
		fclose(t);
	return h && t ? 0 : -ENOMEM;
}
