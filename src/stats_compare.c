// SPDX-License-Identifier: MIT
/*
 * daxlab stats compare: per source and node, the first, last, delta, min,
 * max and mean of one stat over a stats CSV (the seed's stats.py
 * compare); several files side by side; table, CSV or JSON; an SVG plot.
 */
#include "daxlab.h"
#include "array.h"
#include "compare.h"
#include "statistics.h"
#include "svg.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CMD "stats compare"

enum format { FORMAT_TABLE, FORMAT_CSV, FORMAT_JSON };

enum metric { M_FIRST, M_LAST, M_DELTA, M_MIN, M_MAX, M_MEAN, _M_MAX };

static const char *const metric_names[] = { "first", "last", "delta",
					    "min",   "max",  "mean" };

struct opts {
	const char **files;
	size_t n_files;
	const char **sources; /* NULL: every source of the first file */
	size_t n_sources;
	const char *stat;
	const char *plot;
	enum format format;
	bool raw;
	bool test; /* --test: Welch's t-test against the first file */
	double alpha;
	unsigned jobs;
};

/* --test: a (source, node) of file f against the same in the first. */
struct test_row {
	const char *source, *node;
	size_t f;
	double ma, mb, diff, ratio; /* of the means: the first file's, f's */
	struct stats_cmp c;
};

/* A (source, node) shown: the ni-th node of the si-th source. */
struct row {
	const char *source, *node;
	size_t si, ni;
};

struct ctx {
	struct opts o;
	struct compare_result **res; /* one per file */
	const char **sources; /* shown, in order */
	size_t n_sources;
	struct row *rows; /* each source's nodes over all files */
	size_t n_rows;
	FILE *plot; /* opened early: a bad path fails before the work */
	struct test_row *tests;
	size_t n_tests, n_tested;
};

static void usage(void)
{
	printf("Usage: daxlab stats compare --file FILE [--file FILE...] [options]\n"
	       "\n"
	       "Per source and NUMA node (and total), the first, last, delta, min,\n"
	       "max and mean of one stat over a stats CSV written by 'daxlab stats\n"
	       "monitor'. Several files are shown side by side, with the change\n"
	       "against the first in percent. The file is streamed: memory does not\n"
	       "grow with its length.\n"
	       "\n"
	       "Options:\n"
	       "  -f, --file FILE...      stats CSV to read; repeat (or list) for several\n"
	       "  -s, --stat STAT         stat to compare (default: file); 'pagecache'\n"
	       "                          is file - shmem per tick, source and node\n"
	       "                          (without shmem, as on v1: hierarchical_file,\n"
	       "                          else file)\n"
	       "  -c, --cgroups NAME...   sources to show, in this order (default: all,\n"
	       "                          in file order); also --sources\n"
	       "  -b, --bytes             raw numbers instead of KiB/MiB/GiB (table)\n"
	       "  -F, --format FORMAT     table (default), csv or json; csv and json\n"
	       "                          always hold raw numbers\n"
	       "  -p, --plot FILE.svg     also write a plot: a panel per source, a line\n"
	       "                          per node (and per file)\n"
	       "  -t, --test              with several files: per source and node,\n"
	       "                          Welch's t-test of the stat's samples over\n"
	       "                          time against the first file: difference and\n"
	       "                          ratio of the means, p (Holm-adjusted over all\n"
	       "                          comparisons), * where significant; each\n"
	       "                          series worth n(1-r1)/(1+r1) samples (r1: its\n"
	       "                          lag-1 autocorrelation)\n"
	       "  -a, --alpha P           significance level of --test (default 0.05)\n"
	       "  -j, --jobs N            read a file in N parallel ranges (default:\n"
	       "                          by size and CPUs)\n"
	       "  -q, --quiet             no notes on stderr\n"
	       "  -h, --help              show this help and exit\n"
	       "  -V, --version           show the version and exit\n"
	       "\n"
	       "Example (the seed's line):\n"
	       "  daxlab stats compare --file numa_stats.csv --stat file \\\n"
	       "      --cgroups host virtiofsd vm0-cg vm1-cg vm0 vm1\n"
	       "\n"
	       "See daxlab-stats-compare(1).\n");
}

static void push(const char ***v, size_t *n, const char *s)
{
	const char **nv = ARRAY_PUSH(*v, *n);

	if (!nv)
		die("out of memory");
	*nv = s;
}

/*
 * Words after an option up to the next option; commas split names too
 * (in place: argv strings are ours to change).
 */
static void take_words(int argc, char **argv, char *first, const char ***v,
		       size_t *n, bool split_commas)
{
	char *w = first;

	for (;;) {
		char *save = NULL;

		if (!split_commas) {
			if (*w)
				push(v, n, w);
		} else {
			for (char *t = strtok_r(w, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				push(v, n, t);
		}
		if (optind >= argc || argv[optind][0] == '-')
			break;
		w = argv[optind++];
	}
}

static bool valid_stat(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 255 &&
	       strspn(s, "_-.abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "stat", required_argument, NULL, 's' },
		{ "cgroups", required_argument, NULL, 'c' },
		{ "sources", required_argument, NULL, 'c' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ "plot", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "test", no_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		COMMON_LONGOPTS,
	};
	int c;

	o->stat = "file";
	o->alpha = 0.05;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:f:s:c:bF:p:j:ta:qhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			take_words(argc, argv, optarg, &o->files, &o->n_files,
				   false);
			break;
		case 's':
			o->stat = optarg;
			if (!valid_stat(o->stat))
				usage_error(CMD, "invalid stat name '%s'",
					    optarg);
			break;
		case 'c':
			take_words(argc, argv, optarg, &o->sources,
				   &o->n_sources, true);
			break;
		case 'b':
			o->raw = true;
			break;
		case 'F':
			if (strcmp(optarg, "table") == 0)
				o->format = FORMAT_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				o->format = FORMAT_CSV;
			else if (strcmp(optarg, "json") == 0)
				o->format = FORMAT_JSON;
			else
				usage_error(
					CMD,
					"unknown format '%s' (table, csv or json)",
					optarg);
			break;
		case 'p':
			o->plot = optarg;
			break;
		case 'j':
			if (parse_uint_range(optarg, 1, 16, &o->jobs) < 0)
				usage_error(CMD, "--jobs wants 1..16, not '%s'",
					    optarg);
			break;
		case 't':
			o->test = true;
			break;
		case 'a':
			o->alpha = parse_alpha(CMD, optarg);
			break;
		default:
			common_option(CMD, c, argv, usage);
		}
	}
	if (optind < argc)
		usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (o->n_files == 0)
		usage_error(CMD, "no --file given");
	if (o->test && o->n_files < 2)
		usage_error(CMD, "--test compares files: give two or more");
}

/* "a, b, c" of a list of names. */
static char *join_names(char **v, size_t n)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 2;
	s = p = malloc(len);
	if (!s)
		die("out of memory");
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? ", " : "", v[i]);
	return s;
}

static const struct compare_series *find_series(const struct compare_result *r,
						const char *source,
						const char *node)
{
	for (size_t i = 0; i < r->n_series; i++)
		if (strcmp(r->series[i].source, source) == 0 &&
		    (!node || strcmp(r->series[i].node, node) == 0))
			return &r->series[i];
	return NULL;
}

/* Checks what was asked for against what each file holds. */
static int check_result(struct ctx *c, const struct compare_result *r)
{
	if (!compare_has_stat(r)) {
		_cleanup_free_ char *have = join_names(r->stats, r->n_stats);

		return error("stat '%s' not in %s; it holds: %s", r->stat,
			     r->path, r->n_stats ? have : "no rows");
	}
	/* Sources asked for must be there; the default ones may be missing. */
	for (size_t i = 0; c->o.sources && i < c->n_sources; i++) {
		if (compare_find_source(r, c->sources[i]) < 0) {
			_cleanup_free_ char *have =
				join_names(r->sources, r->n_sources);

			return error("source '%s' not in %s; it holds: %s",
				     c->sources[i], r->path, have);
		}
		if (!find_series(r, c->sources[i], NULL))
			return error("source '%s' has no '%s' rows in %s",
				     c->sources[i], r->stat, r->path);
	}
	return 0;
}

static void notes(const struct compare_result *r)
{
	const char *last = NULL;

	if (r->partial_line)
		info("note: %s:%" PRIu64 ": incomplete last line ignored "
		     "(file still being written?)",
		     r->path, r->partial_line);
	for (size_t i = 0; i < r->n_series; i++) {
		const struct compare_series *s = &r->series[i];

		if (!s->pagecache_from ||
		    (last && strcmp(last, s->source) == 0))
			continue;
		last = s->source;
		info("note: %s: source '%s' has no shmem rows (cgroup v1?): "
		     "its pagecache is its %s",
		     r->path, s->source, s->pagecache_from);
	}
}

static int64_t metric_int(const struct agg *a, enum metric m)
{
	switch (m) {
	case M_FIRST:
		return a->first;
	case M_LAST:
		return a->last;
	case M_DELTA:
		return agg_delta(a);
	case M_MIN:
		return a->min;
	default:
		return a->max;
	}
}

static double metric(const struct agg *a, enum metric m)
{
	return m == M_MEAN ? agg_mean(a) : (double)metric_int(a, m);
}

/* The change of metric m of s against base in percent, if there is one. */
static bool change_pct(const struct compare_series *base,
		       const struct compare_series *s, enum metric m, double *p)
{
	return base && s &&
	       compare_change_pct(metric(&base->agg, m), metric(&s->agg, m), p);
}

/* A value for the table: human bytes unless raw or a count. */
static void fmt_value(char *buf, size_t len, const struct compare_series *s,
		      enum metric m, bool raw)
{
	const struct agg *a = &s->agg;

	if (raw || !s->bytes) {
		if (m == M_MEAN)
			snprintf(buf, len, "%.2f", agg_mean(a));
		else if (m == M_DELTA)
			snprintf(buf, len, "%+" PRId64, agg_delta(a));
		else
			snprintf(buf, len, "%" PRId64, metric_int(a, m));
		return;
	}
	double v = metric(a, m);
	const char *sign = v < 0 ? "-" : (m == M_DELTA && v > 0 ? "+" : "");
	char h[32];

	format_bytes((uint64_t)llround(fabs(v)), h, sizeof(h));
	snprintf(buf, len, "%s%s", sign, h);
}

/* --- a table of text cells, columns padded to their widest cell --- */

struct table {
	char **cells;
	size_t n, cap, cols;
	bool *right;
};

static void table_add(struct table *t, const char *s)
{
	if (ARRAY_RESERVE(t->cells, t->n, t->cap, 64) < 0)
		die("out of memory");
	t->cells[t->n] = strdup(s);
	if (!t->cells[t->n])
		die("out of memory");
	t->n++;
}

static void table_print(struct table *t)
{
	_cleanup_free_ size_t *w = calloc(t->cols, sizeof(*w));

	if (!w)
		die("out of memory");
	for (size_t i = 0; i < t->n; i++) {
		size_t l = strlen(t->cells[i]);

		if (l > w[i % t->cols])
			w[i % t->cols] = l;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t col = i % t->cols;
		bool lastcol = col == t->cols - 1;

		if (t->right[col])
			printf("%*s", (int)w[col], t->cells[i]);
		else if (lastcol)
			fputs(t->cells[i], stdout);
		else
			printf("%-*s", (int)w[col], t->cells[i]);
		fputs(lastcol ? "\n" : "  ", stdout);
	}
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
}

/* cols columns, right_from..right_to - 1 right aligned; head: row 1, or NULL */
static void table_init(struct table *t, size_t cols, const char *const *head,
		       size_t right_from, size_t right_to)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->right = calloc(cols, sizeof(*t->right));
	if (!t->right)
		die("out of memory");
	for (size_t i = right_from; i < right_to; i++)
		t->right[i] = true;
	for (size_t i = 0; head && i < cols; i++)
		table_add(t, head[i]);
}

/* A source's nodes over all files, in the first file's order then new. */
static void add_rows(struct ctx *c, size_t si)
{
	size_t n = 0;

	for (size_t f = 0; f < c->o.n_files; f++) {
		const struct compare_result *r = c->res[f];

		for (size_t i = 0; i < r->n_series; i++) {
			const char *node = r->series[i].node;
			struct row *w;
			bool dup = false;

			if (strcmp(r->series[i].source, c->sources[si]) != 0)
				continue;
			for (size_t k = c->n_rows - n; k < c->n_rows; k++)
				dup |= strcmp(c->rows[k].node, node) == 0;
			if (dup)
				continue;
			w = ARRAY_PUSH(c->rows, c->n_rows);
			if (!w)
				die("out of memory");
			*w = (struct row){ c->sources[si], node, si, n++ };
		}
	}
}

static const struct compare_series *row_series(const struct ctx *c, size_t f,
					       const struct row *w)
{
	return find_series(c->res[f], w->source, w->node);
}

/*
 * Welch's t-test of every (source, node) of every later file against the
 * first, from the samples' moments, each series' samples counted as the
 * independent ones they are worth (agg_n_eff(): ticks of a page cache
 * are each close to the last); Holm over all of them.
 */
static void run_tests(struct ctx *c)
{
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct compare_series *a = row_series(c, 0, &c->rows[i]);

		for (size_t f = 1; a && f < c->o.n_files; f++) {
			const struct compare_series *b =
				row_series(c, f, &c->rows[i]);
			struct test_row *t;

			if (!b)
				continue;
			t = ARRAY_PUSH(c->tests, c->n_tests);
			if (!t)
				die("out of memory");
			/* the node names live in the results */
			*t = (struct test_row){ .source = c->rows[i].source,
						.node = b->node,
						.f = f,
						.ma = agg_mean(&a->agg),
						.mb = agg_mean(&b->agg) };
			t->diff = t->mb - t->ma;
			t->ratio = t->ma != 0 ? t->mb / t->ma : NAN;
			stats_welch_moments(agg_n_eff(&a->agg), t->ma,
					    agg_var(&a->agg),
					    agg_n_eff(&b->agg), t->mb,
					    agg_var(&b->agg), &t->c.w);
		}
	}
	if (stats_compare_rows(c->tests, c->n_tests, sizeof(*c->tests),
			       offsetof(struct test_row, c), c->o.alpha,
			       &c->n_tested) < 0)
		die("out of memory");
}

static const struct test_row *find_test(const struct ctx *c,
					const char *source, const char *node,
					size_t f)
{
	for (size_t i = 0; i < c->n_tests; i++)
		if (c->tests[i].f == f && !strcmp(c->tests[i].source, source) &&
		    !strcmp(c->tests[i].node, node))
			return &c->tests[i];
	return NULL;
}

static void print_tests(struct ctx *c)
{
	static const char *const head[] = { "SOURCE", "NODE",	"FILE",
					    "MEAN",   "BASE MEAN", "DIFF",
					    "RATIO",  "P (HOLM)", "" };
	struct table t;
	char buf[64];

	printf("\nWelch's t-test of the samples over time against %s, each series' samples\n"
	       "worth n (1 - r1) / (1 + r1) independent ones (r1: their lag-1 autocorrelation);\n"
	       "%zu comparisons tested, p Holm-adjusted over them (two series without any variance\n"
	       "are exact: p 1 or 0, not counted); *: significant at alpha %g\n",
	       c->o.files[0], c->n_tested, c->o.alpha);
	table_init(&t, ARRAY_SIZE(head), head, 3, ARRAY_SIZE(head) - 1);
	for (size_t i = 0; i < c->n_tests; i++) {
		const struct test_row *r = &c->tests[i];

		table_add(&t, r->source);
		table_add(&t, r->node);
		table_add(&t, c->o.files[r->f]);
		snprintf(buf, sizeof(buf), "%.6g", r->mb);
		table_add(&t, buf);
		snprintf(buf, sizeof(buf), "%.6g", r->ma);
		table_add(&t, buf);
		snprintf(buf, sizeof(buf), "%+.6g", r->diff);
		table_add(&t, buf);
		if (isnan(r->ratio))
			snprintf(buf, sizeof(buf), "-");
		else
			snprintf(buf, sizeof(buf), "%.4f", r->ratio);
		table_add(&t, buf);
		if (isnan(r->c.p_holm))
			snprintf(buf, sizeof(buf), "n_eff<2");
		else
			snprintf(buf, sizeof(buf), "%.4g", r->c.p_holm);
		table_add(&t, buf);
		table_add(&t, r->c.significant ? "*" : "");
	}
	table_print(&t);
}

static void print_table_one(struct ctx *c)
{
	const struct compare_result *r = c->res[0];
	static const char *const head[] = { "SOURCE", "NODE", "SAMPLES",
					    "FIRST",  "LAST", "DELTA",
					    "MIN",    "MAX",  "MEAN" };
	struct table t;
	char buf[64];

	table_init(&t, ARRAY_SIZE(head), head, 2, ARRAY_SIZE(head));
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;

	for (size_t i = 0; i < r->n_series; i++) {
		if (r->series[i].agg.first_ms < t0)
			t0 = r->series[i].agg.first_ms;
		if (r->series[i].agg.last_ms > t1)
			t1 = r->series[i].agg.last_ms;
	}
	printf("%s: stat %s, %" PRIu64 " rows, %.1f s of samples\n", r->path,
	       r->stat, r->rows, t1 >= t0 ? (double)(t1 - t0) / 1000.0 : 0.0);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct compare_series *s = row_series(c, 0, &c->rows[i]);

		table_add(&t, s->source);
		table_add(&t, s->node);
		snprintf(buf, sizeof(buf), "%" PRIu64, s->agg.n);
		table_add(&t, buf);
		for (int m = 0; m < _M_MAX; m++) {
			fmt_value(buf, sizeof(buf), s, (enum metric)m,
				  c->o.raw);
			table_add(&t, buf);
		}
	}
	table_print(&t);
}

static void print_table_many(struct ctx *c)
{
	size_t nf = c->o.n_files, cols = 3 + nf + (nf - 1);
	struct table t;
	char buf[64];

	table_init(&t, cols, NULL, 3, cols);
	table_add(&t, "SOURCE");
	table_add(&t, "NODE");
	table_add(&t, "METRIC");
	for (size_t f = 0; f < nf; f++) {
		table_add(&t, c->o.files[f]);
		if (f)
			table_add(&t, "CHANGE");
	}
	printf("stat %s\n", c->o.stat);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct row *w = &c->rows[i];
		const struct compare_series *base = row_series(c, 0, w);

		for (int m = 0; m < _M_MAX; m++) {
			table_add(&t, m == 0 ? w->source : "");
			table_add(&t, m == 0 ? w->node : "");
			table_add(&t, metric_names[m]);
			for (size_t f = 0; f < nf; f++) {
				const struct compare_series *s =
					row_series(c, f, w);
				double p;

				if (s)
					fmt_value(buf, sizeof(buf), s,
						  (enum metric)m, c->o.raw);
				else
					snprintf(buf, sizeof(buf), "-");
				table_add(&t, buf);
				if (!f)
					continue;
				if (change_pct(base, s, (enum metric)m, &p))
					snprintf(buf, sizeof(buf), "%+.1f%%",
						 p);
				else
					snprintf(buf, sizeof(buf), "-");
				table_add(&t, buf);
			}
		}
	}
	table_print(&t);
}

/* CSV fields here are names of [A-Za-z0-9._:@/+=-] and paths: quote paths. */
static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void csv_num(double v)
{
	if (isfinite(v))
		printf(",%.17g", v);
	else
		putchar(',');
}

static void print_csv_test(struct ctx *c, const struct compare_series *s,
			   size_t f)
{
	const struct test_row *t = find_test(c, s->source, s->node, f);

	csv_num(sqrt(agg_var(&s->agg)));
	if (!t) {
		fputs(",,,,,", stdout);
		return;
	}
	csv_num(t->diff);
	csv_num(t->ratio);
	csv_num(t->c.w.p);
	csv_num(t->c.p_holm);
	printf(",%s", isnan(t->c.p_holm) ? "" :
		      t->c.significant	  ? "true" :
					    "false");
}

static void print_csv(struct ctx *c)
{
	bool many = c->o.n_files > 1;

	fputs("file,source,stat,node,unit,samples,first,last,delta,min,max,mean",
	      stdout);
	if (many)
		for (int m = 0; m < _M_MAX; m++)
			printf(",%s_change_pct", metric_names[m]);
	if (c->o.test)
		fputs(",stddev,diff,ratio,p,p_holm,significant", stdout);
	putchar('\n');
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct compare_series *base =
			row_series(c, 0, &c->rows[i]);

		for (size_t f = 0; f < c->o.n_files; f++) {
			const struct compare_series *s =
				row_series(c, f, &c->rows[i]);
			const struct agg *a;

			if (!s)
				continue;
			a = &s->agg;
			csv_field(c->o.files[f]);
			printf(",%s,%s,%s,%s,%" PRIu64 ",%" PRId64 ",%" PRId64
			       ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.2f",
			       s->source, c->o.stat, s->node,
			       s->bytes ? "bytes" : "count", a->n, a->first,
			       a->last, agg_delta(a), a->min, a->max,
			       agg_mean(a));
			for (int m = 0; many && m < _M_MAX; m++) {
				double p;

				if (f &&
				    change_pct(base, s, (enum metric)m, &p))
					printf(",%.2f", p);
				else
					putchar(',');
			}
			if (c->o.test)
				print_csv_test(c, s, f);
			putchar('\n');
		}
	}
}

static json_object *jnew(json_object *o)
{
	if (!o)
		die("out of memory");
	return o;
}

/* o[key] = the string s */
static void jstr(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, jnew(json_object_new_string(s)));
}

/* o[key] = the integer v */
static void jint(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, jnew(json_object_new_int64(v)));
}

static json_object *jdouble(double v)
{
	return isfinite(v) ? jnew(json_object_new_double(v)) : NULL;
}

static void json_add_test(struct ctx *c, json_object *v,
			  const struct compare_series *s, size_t f)
{
	const struct test_row *t = find_test(c, s->source, s->node, f);
	json_object *o;

	json_object_object_add(v, "stddev", jdouble(sqrt(agg_var(&s->agg))));
	json_object_object_add(v, "r1", jdouble(agg_r1(&s->agg)));
	json_object_object_add(v, "n_eff", jdouble(agg_n_eff(&s->agg)));
	if (!t)
		return;
	o = jnew(json_object_new_object());
	json_object_object_add(o, "diff", jdouble(t->diff));
	json_object_object_add(o, "ratio", jdouble(t->ratio));
	json_object_object_add(o, "p", jdouble(t->c.w.p));
	json_object_object_add(o, "p_holm", jdouble(t->c.p_holm));
	json_object_object_add(o, "significant",
			       jnew(json_object_new_boolean(t->c.significant)));
	json_object_object_add(v, "test", o);
}

/* File f's figures of a series, its change against base after the first. */
static json_object *json_series(struct ctx *c,
				const struct compare_series *base,
				const struct compare_series *s, size_t f)
{
	json_object *v = jnew(json_object_new_object()), *chg;

	jint(v, "samples", (int64_t)s->agg.n);
	for (int m = 0; m < M_MEAN; m++)
		jint(v, metric_names[m], metric_int(&s->agg, (enum metric)m));
	json_object_object_add(v, "mean",
			       jnew(json_object_new_double(agg_mean(&s->agg))));
	if (s->pagecache_from)
		json_object_object_add(
			v, "pagecache_from",
			jnew(json_object_new_string(s->pagecache_from)));
	if (c->o.test)
		json_add_test(c, v, s, f);
	if (!f)
		return v;
	chg = jnew(json_object_new_object());
	for (int m = 0; m < _M_MAX; m++) {
		double p;
		bool ok = change_pct(base, s, (enum metric)m, &p);

		json_object_object_add(chg, metric_names[m],
				       ok ? jnew(json_object_new_double(p)) :
					    NULL);
	}
	json_object_object_add(v, "change_pct", chg);
	return v;
}

static int print_json(struct ctx *c)
{
	json_object *root = jnew(json_object_new_object());
	json_object *files = jnew(json_object_new_array());
	json_object *series = jnew(json_object_new_array());

	jstr(root, "stat", c->o.stat);
	for (size_t f = 0; f < c->o.n_files; f++) {
		const struct compare_result *r = c->res[f];
		json_object *jf = jnew(json_object_new_object());

		jstr(jf, "path", c->o.files[f]);
		jint(jf, "rows", (int64_t)r->rows);
		json_object_object_add(
			jf, "partial_line",
			r->partial_line ? jnew(json_object_new_int64(
						  (int64_t)r->partial_line)) :
					  NULL);
		json_object_array_add(files, jf);
	}
	json_object_object_add(root, "files", files);
	for (size_t i = 0; i < c->n_rows; i++) {
		const struct compare_series *base =
			row_series(c, 0, &c->rows[i]);
		json_object *js = jnew(json_object_new_object());
		json_object *per = jnew(json_object_new_array());
		const char *unit = NULL;

		jstr(js, "source", c->rows[i].source);
		jstr(js, "node", c->rows[i].node);
		for (size_t f = 0; f < c->o.n_files; f++) {
			const struct compare_series *s =
				row_series(c, f, &c->rows[i]);

			if (s)
				unit = s->bytes ? "bytes" : "count";
			json_object_array_add(
				per, s ? json_series(c, base, s, f) : NULL);
		}
		jstr(js, "unit", unit ? unit : "bytes");
		json_object_object_add(js, "files", per);
		json_object_array_add(series, js);
	}
	json_object_object_add(root, "series", series);
	if (c->o.test) {
		json_object *t = jnew(json_object_new_object());

		jstr(t, "name",
		     "welch, the samples over time against the first file, each series' n its n_eff = n (1 - r1) / (1 + r1) (AR(1), r1 > 0); p_holm: Holm over the comparisons tested (two series without any variance are exact, p 1 or 0, and not counted)");
		json_object_object_add(t, "alpha",
				       jnew(json_object_new_double(c->o.alpha)));
		jint(t, "comparisons", (int64_t)c->n_tested);
		json_object_object_add(root, "test", t);
	}
	puts(json_object_to_json_string_ext(
		root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

/* Each bucket: one point, or its low and high at its middle. */
static struct svg_point *bucket_points(const struct compare_series *s,
				       size_t *ret_n)
{
	struct svg_point *p = calloc(2 * s->n_points + 1, sizeof(*p));
	size_t n = 0;

	if (!p)
		die("out of memory");
	for (size_t i = 0; i < s->n_points; i++) {
		const struct plot_bucket *b = &s->points[i];
		double x = ((double)b->t_first + (double)b->t_last) / 2000.0;

		p[n++] = (struct svg_point){ x, (double)b->lo };
		if (b->hi != b->lo)
			p[n++] = (struct svg_point){ x, (double)b->hi };
	}
	*ret_n = n;
	return p;
}

static int write_plot(struct ctx *c)
{
	size_t nf = c->o.n_files;
	struct svg_panel *panels = calloc(c->n_sources, sizeof(*panels));
	/* their labels and points ours to free */
	struct svg_series *all = calloc(c->n_rows * nf + 1, sizeof(*all));
	size_t n_all = 0;
	_cleanup_free_ char *title = NULL;
	FILE *out = TAKE_PTR(c->plot);
	int k;

	if (!panels || !all)
		die("out of memory");
	for (size_t si = 0; si < c->n_sources; si++) {
		struct svg_panel *p = &panels[si];
		bool bytes = true;

		p->title = c->sources[si];
		p->series = all + n_all;
		for (size_t f = 0; f < nf; f++)
			for (size_t i = 0; i < c->n_rows; i++) {
				const struct row *w = &c->rows[i];
				const struct compare_series *s =
					row_series(c, f, w);
				struct svg_series *ss = &all[n_all];

				if (w->si != si || !s)
					continue;
				bytes = s->bytes;
				ss->label =
					nf > 1 ? strdup_printf("%s %s", w->node,
							       c->o.files[f]) :
						 strdup(w->node);
				if (!ss->label)
					die("out of memory");
				ss->points = bucket_points(s, &ss->n_points);
				ss->dashed = f > 0;
				ss->color = svg_color(
					w->ni); /* a node's colour in every file */
				n_all++;
				p->n_series++;
			}
		p->x = (struct svg_axis){ "time", SVG_UNIT_SECONDS, NULL };
		p->y = (struct svg_axis){ c->o.stat,
					  bytes ? SVG_UNIT_BYTES :
						  SVG_UNIT_PLAIN,
					  bytes ? NULL : "count" };
	}
	title = strdup_printf("daxlab stats compare: %s", c->o.stat);
	if (!title)
		die("out of memory");
	k = svg_write(out, title, panels, c->n_sources, 0);
	if (fclose(out) != 0 && k == 0)
		k = -errno;
	if (k < 0)
		error_errno(k, "cannot write %s", c->o.plot);

	for (size_t i = 0; i < n_all; i++) {
		free((void *)all[i].points);
		free((void *)all[i].label);
	}
	free(all);
	free(panels);
	return k < 0 ? -1 : 0;
}

int cmd_stats_compare(int argc, char **argv)
{
	/*
	 * static: a usage error exits from parse_args() with the lists of
	 * c.o allocated; LeakSanitizer sees them reachable, not leaked.
	 */
	static struct ctx c;
	struct compare_opts co = { 0 };
	struct error err = { 0 };
	int ret = 1;

	parse_args(argc, argv, &c.o);
	if (c.o.plot) {
		c.plot = fopen(c.o.plot, "we");
		if (!c.plot) {
			error_errno(errno, "cannot write %s", c.o.plot);
			free(c.o.sources);
			free(c.o.files);
			return 1;
		}
	}
	co.stat = c.o.stat;
	co.plot = c.o.plot != NULL;
	co.jobs = c.o.jobs;
	c.res = calloc(c.o.n_files, sizeof(*c.res));
	if (!c.res)
		die("out of memory");
	for (size_t f = 0; f < c.o.n_files; f++) {
		int k = compare_file(c.o.files[f], &co, &c.res[f], &err);

		if (k < 0) {
			error("%s", err.msg);
			goto out;
		}
	}
	if (c.o.sources) {
		c.sources = c.o.sources;
		c.n_sources = c.o.n_sources;
	} else {
		/* Every source of the first file that has the stat. */
		const struct compare_result *r = c.res[0];

		for (size_t i = 0; i < r->n_sources; i++)
			if (find_series(r, r->sources[i], NULL))
				push(&c.sources, &c.n_sources, r->sources[i]);
	}
	for (size_t f = 0; f < c.o.n_files; f++) {
		if (check_result(&c, c.res[f]) < 0)
			goto out;
		notes(c.res[f]);
	}
	for (size_t si = 0; si < c.n_sources; si++)
		add_rows(&c, si);
	if (c.o.test)
		run_tests(&c);
	switch (c.o.format) {
	case FORMAT_TABLE:
		if (c.o.n_files == 1)
			print_table_one(&c);
		else
			print_table_many(&c);
		if (c.o.test)
			print_tests(&c);
		break;
	case FORMAT_CSV:
		print_csv(&c);
		break;
	case FORMAT_JSON:
		print_json(&c);
		break;
	}
	if (fflush(stdout) != 0) {
		error_errno(errno, "cannot write the output");
		goto out;
	}
	if (c.o.plot && write_plot(&c) < 0)
		goto out;
	ret = 0;
out:
	if (c.plot) { /* failed before the plot: leave no empty file */
		fclose(c.plot);
		unlink(c.o.plot);
	}
	for (size_t f = 0; f < c.o.n_files; f++)
		compare_result_free(c.res[f]);
	free(c.res);
	free(c.tests);
	free(c.rows);
	if (!c.o.sources)
		free(c.sources);
	free(c.o.sources);
	free(c.o.files);
	return ret;
}
