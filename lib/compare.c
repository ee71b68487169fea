// SPDX-License-Identifier: MIT
/*
 * Aggregates of one stat per (source, node) over a stats CSV. Large files
 * are read as a few ranges in parallel, split where a tick begins; each
 * range keeps its own tables, merged in file order at the end.
 */
#include "compare.h"
#include "array.h"
#include "csvread.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_JOBS 16
#define PARALLEL_MIN_SIZE (32u << 20)

void agg_add(struct agg *a, int64_t v, int64_t t_ms)
{
	if (a->n == 0) {
		a->first = a->min = a->max = v;
		a->first_ms = t_ms;
	} else {
		if (v < a->min)
			a->min = v;
		if (v > a->max)
			a->max = v;
	}
	if (a->n)
		a->c1 += ((double)v - (double)a->first) *
			 ((double)a->last - (double)a->first);
	a->last = v;
	a->last_ms = t_ms;
	a->sum += v;
	a->n++;
	{
		double d = (double)v - a->mean;

		a->mean += d / (double)a->n;
		a->m2 += d * ((double)v - a->mean);
	}
}

void agg_merge(struct agg *a, const struct agg *b)
{
	if (b->n == 0)
		return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;
	{
		/*
		 * b's cross products taken from a's first instead of b's, and
		 * the one pair across the boundary: d = b.first - a.first,
		 * (y - Ka)(z - Ka) = (y - Kb)(z - Kb) + d (y - Kb + z - Kb) + d^2
		 */
		double d = (double)b->first - (double)a->first;
		__int128 s2 = 2 * b->sum - b->first - b->last -
			      (__int128)2 * (__int128)(b->n - 1) * b->first;

		a->c1 += b->c1 + d * (double)s2 + (double)(b->n - 1) * d * d +
			 d * ((double)a->last - (double)a->first);
	}
	a->last = b->last;
	a->last_ms = b->last_ms;
	a->sum += b->sum;
	{
		/* Chan et al.: the two ranges' moments combined */
		double na = (double)a->n, nb = (double)b->n, n = na + nb;
		double d = b->mean - a->mean;

		a->mean += d * nb / n;
		a->m2 += b->m2 + d * d * na * nb / n;
	}
	a->n += b->n;
}

double agg_var(const struct agg *a)
{
	return a->n > 1 ? a->m2 / (double)(a->n - 1) : NAN;
}

double agg_r1(const struct agg *a)
{
	double n = (double)a->n, e, c;
	__int128 s;

	if (a->n < 3 || !(a->m2 > 0))
		return NAN;
	/* about the mean m = first + e: sums of (x - first) exact */
	s = a->sum - (__int128)a->n * a->first;
	e = (double)s / n;
	c = a->c1 -
	    e * ((double)(2 * s) - ((double)a->last - (double)a->first)) +
	    (n - 1) * e * e;
	return c / a->m2;
}

double agg_n_eff(const struct agg *a)
{
	double r = agg_r1(a);

	if (!(r > 0))
		return (double)a->n;
	return (double)a->n * (1 - r) / (1 + r);
}

double agg_mean(const struct agg *a)
{
	return a->n ? (double)a->sum / (double)a->n : 0.0;
}

/* a - b, held at INT64_MIN or INT64_MAX where it would not fit. */
static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

int64_t agg_delta(const struct agg *a)
{
	return sat_sub(a->last, a->first);
}

bool compare_change_pct(double base, double v, double *ret)
{
	if (base == 0.0)
		return false;
	*ret = (v - base) / (base < 0 ? -base : base) * 100.0;
	return true;
}

static void plotbuf_halve(struct plotbuf *p)
{
	for (size_t k = 0; k < PLOT_BUCKETS / 2; k++) {
		struct plot_bucket a = p->b[2 * k], b = p->b[2 * k + 1];

		if (!a.n) {
			a = b;
		} else if (b.n) {
			if (b.lo < a.lo)
				a.lo = b.lo;
			if (b.hi > a.hi)
				a.hi = b.hi;
			a.t_last = b.t_last;
			a.n += b.n;
		}
		p->b[k] = a;
	}
	memset(p->b + PLOT_BUCKETS / 2, 0,
	       PLOT_BUCKETS / 2 * sizeof(struct plot_bucket));
	p->width *= 2;
}

int plotbuf_add(struct plotbuf *p, int64_t t_ms, int64_t v)
{
	struct plot_bucket *b;
	uint64_t i;

	if (!p->b) {
		p->b = calloc(PLOT_BUCKETS, sizeof(*p->b));
		if (!p->b)
			return -ENOMEM;
		p->t0 = t_ms;
		p->width = 1;
	}
	if (t_ms < p->t0) /* out of order: keep it in the first bucket */
		t_ms = p->t0;
	/* t_ms >= t0: the difference fits in 64 bits unsigned */
	i = ((uint64_t)t_ms - (uint64_t)p->t0) / (uint64_t)p->width;
	while (i >= PLOT_BUCKETS) {
		plotbuf_halve(p);
		i = ((uint64_t)t_ms - (uint64_t)p->t0) / (uint64_t)p->width;
	}
	b = &p->b[i];
	if (!b->n) {
		b->t_first = t_ms;
		b->lo = b->hi = v;
	} else {
		if (v < b->lo)
			b->lo = v;
		if (v > b->hi)
			b->hi = v;
	}
	b->t_last = t_ms;
	b->n++;
	return 0;
}

void plotbuf_free(struct plotbuf *p)
{
	free(p->b);
	p->b = NULL;
}

struct pending {
	int64_t tick, v;
	bool have;
};

/* One series within one range. */
struct tseries {
	bool used, bytes;
	struct agg agg, agg_alt[2];
	struct plotbuf plot, plot_alt[2];
	struct pending file, shmem;
	uint64_t n_shmem, n_hfile;
};

struct tsource {
	struct tseries *nodes;
	uint32_t n_nodes;
};

struct job {
	const char *path;
	int fd;
	uint64_t start, end;
	const struct compare_opts *o;
	struct csvread *r;
	bool derived;
	/* pagecache: the file and hierarchical_file rows; the others shmem */
	int id_file, id_hfile;
	struct tsource *src;
	uint32_t n_src;
	int ret;
	struct error err;
};

static struct tseries *job_series(struct job *j, uint32_t source, uint32_t node)
{
	struct tsource *s;

	if (source >= j->n_src) {
		uint32_t n = j->n_src ? j->n_src : 8;
		struct tsource *ns;

		while (n <= source)
			n *= 2;
		ns = realloc(j->src, n * sizeof(*ns));
		if (!ns)
			return NULL;
		memset(ns + j->n_src, 0, (n - j->n_src) * sizeof(*ns));
		j->src = ns;
		j->n_src = n;
	}
	s = &j->src[source];
	if (node >= s->n_nodes) {
		uint32_t n = s->n_nodes ? s->n_nodes : 4;
		struct tseries *nn;

		while (n <= node)
			n *= 2;
		nn = realloc(s->nodes, n * sizeof(*nn));
		if (!nn)
			return NULL;
		memset(nn + s->n_nodes, 0, (n - s->n_nodes) * sizeof(*nn));
		s->nodes = nn;
		s->n_nodes = n;
	}
	return &s->nodes[node];
}

static int emit(struct job *j, struct agg *a, struct plotbuf *p, int64_t v,
		int64_t t)
{
	agg_add(a, v, t);
	return j->o->plot ? plotbuf_add(p, t, v) : 0;
}

/* A file or shmem value of a tick; file - shmem once both are there. */
static int pair(struct job *j, struct tseries *s, bool is_file, int64_t v,
		int64_t tick)
{
	struct pending *me = is_file ? &s->file : &s->shmem;
	struct pending *other = is_file ? &s->shmem : &s->file;

	if (other->have && other->tick == tick) {
		other->have = false;
		me->have = false;
		return emit(j, &s->agg, &s->plot,
			    is_file ? sat_sub(v, other->v) :
				      sat_sub(other->v, v),
			    tick);
	}
	me->tick = tick;
	me->v = v;
	me->have = true;
	return 0;
}

static int on_row(const struct csv_row *row, void *userdata)
{
	struct job *j = userdata;
	struct tseries *s = job_series(j, row->source, row->node);
	int k;

	if (!s)
		return -ENOMEM;
	if (!s->used) {
		s->used = true;
		s->bytes = strcmp(csvread_name(j->r, CSV_UNIT, row->unit),
				  "bytes") == 0;
	}
	if (!j->derived)
		return emit(j, &s->agg, &s->plot, row->value, row->elapsed_ms);
	/* v1, no shmem: file, or where there is one hierarchical_file */
	if ((int)row->stat == j->id_hfile) {
		s->n_hfile++;
		return emit(j, &s->agg_alt[1], &s->plot_alt[1], row->value,
			    row->elapsed_ms);
	}
	if ((int)row->stat == j->id_file) {
		k = emit(j, &s->agg_alt[0], &s->plot_alt[0], row->value,
			 row->elapsed_ms);
		return k < 0 ? k :
			       pair(j, s, true, row->value, row->elapsed_ms);
	}
	s->n_shmem++;
	return pair(j, s, false, row->value, row->elapsed_ms);
}

static void *job_run(void *arg)
{
	struct job *j = arg;

	j->ret = csvread_run(j->r, on_row, j);
	if (j->ret < 0)
		err_set(&j->err, "%s",
			*csvread_error(j->r) ? csvread_error(j->r) :
					       strerror(-j->ret));
	return NULL;
}

static void job_free(struct job *j)
{
	for (uint32_t i = 0; i < j->n_src; i++) {
		for (uint32_t n = 0; n < j->src[i].n_nodes; n++) {
			plotbuf_free(&j->src[i].nodes[n].plot);
			plotbuf_free(&j->src[i].nodes[n].plot_alt[0]);
			plotbuf_free(&j->src[i].nodes[n].plot_alt[1]);
		}
		free(j->src[i].nodes);
	}
	free(j->src);
	csvread_free(j->r);
}

static int job_setup(struct job *j)
{
	int k = csvread_new(j->path, j->fd, j->start, j->end, &j->r);

	if (k < 0)
		return k;
	j->derived = strcmp(j->o->stat, COMPARE_PAGECACHE) == 0;
	if (j->derived) {
		j->id_file = csvread_want(j->r, "file");
		j->id_hfile = csvread_want(j->r, "hierarchical_file");
		k = csvread_want(j->r, "shmem");
		if (j->id_file < 0 || j->id_hfile < 0)
			return j->id_file < 0 ? j->id_file : j->id_hfile;
		return k < 0 ? k : 0;
	}
	k = csvread_want(j->r, j->o->stat);
	return k < 0 ? k : 0;
}

/* --- merging the ranges into the result --- */

struct mseries {
	struct compare_series s;
	struct agg agg_alt[2];
	uint64_t n_shmem, n_hfile;
	struct plot_bucket *pts_alt[2];
	size_t n_pts_alt[2];
	size_t source_idx;
};

static int str_index(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (int)i;
	return -1;
}

static int add_name(char ***v, size_t *n, const char *s)
{
	char **nv;

	if (str_index(*v, *n, s) >= 0)
		return 0;
	nv = ARRAY_PUSH(*v, *n);
	if (!nv)
		return -ENOMEM;
	*nv = strdup(s);
	return *nv ? 0 : -ENOMEM;
}

static int append_points(struct plot_bucket **pts, size_t *n,
			 const struct plotbuf *p)
{
	size_t k = 0;
	struct plot_bucket *np;

	if (!p->b)
		return 0;
	for (size_t i = 0; i < PLOT_BUCKETS; i++)
		k += p->b[i].n > 0;
	np = realloc(*pts, (*n + k) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	*pts = np;
	for (size_t i = 0; i < PLOT_BUCKETS; i++)
		if (p->b[i].n)
			np[(*n)++] = p->b[i];
	return 0;
}

/* N0 < N1 < ... < N10 < other names < total. */
static long node_rank(const char *n)
{
	if (n[0] == 'N' && n[1])
		return strtol(n + 1, NULL, 10);
	if (strcmp(n, "total") == 0)
		return 1L << 40;
	return 1L << 30;
}

static int cmp_mseries(const void *a, const void *b)
{
	const struct mseries *x = a, *y = b;
	long rx, ry;

	if (x->source_idx != y->source_idx)
		return x->source_idx < y->source_idx ? -1 : 1;
	rx = node_rank(x->s.node);
	ry = node_rank(y->s.node);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(x->s.node, y->s.node);
}

static int merge_job(struct compare_result *res, struct mseries **ms,
		     size_t *n_ms, struct job *j)
{
	struct csvread *r = j->r;
	int k;

	for (uint32_t i = 0; i < csvread_count(r, CSV_SOURCE); i++) {
		k = add_name(&res->sources, &res->n_sources,
			     csvread_name(r, CSV_SOURCE, i));
		if (k < 0)
			return k;
	}
	for (uint32_t i = 0; i < csvread_count(r, CSV_STAT); i++) {
		if (!csvread_seen(r, CSV_STAT, i))
			continue;
		k = add_name(&res->stats, &res->n_stats,
			     csvread_name(r, CSV_STAT, i));
		if (k < 0)
			return k;
	}
	res->rows += csvread_rows(r);
	if (csvread_partial_line(r))
		res->partial_line = csvread_partial_line(r);

	for (uint32_t si = 0; si < j->n_src; si++) {
		const char *sname = csvread_name(r, CSV_SOURCE, si);

		for (uint32_t ni = 0; ni < j->src[si].n_nodes; ni++) {
			struct tseries *t = &j->src[si].nodes[ni];
			const char *nname = csvread_name(r, CSV_NODE, ni);
			struct mseries *m = NULL;

			if (!t->used)
				continue;
			for (size_t x = 0; x < *n_ms; x++)
				if (strcmp((*ms)[x].s.source, sname) == 0 &&
				    strcmp((*ms)[x].s.node, nname) == 0)
					m = &(*ms)[x];
			if (!m) {
				m = ARRAY_PUSH(*ms, *n_ms);
				if (!m)
					return -ENOMEM;
				m->s.source = strdup(sname);
				m->s.node = strdup(nname);
				if (!m->s.source || !m->s.node)
					return -ENOMEM;
				m->s.bytes = t->bytes;
				m->source_idx = (size_t)str_index(
					res->sources, res->n_sources, sname);
			}
			agg_merge(&m->s.agg, &t->agg);
			m->n_shmem += t->n_shmem;
			m->n_hfile += t->n_hfile;
			k = append_points(&m->s.points, &m->s.n_points,
					  &t->plot);
			for (int a = 0; a < 2; a++) {
				agg_merge(&m->agg_alt[a], &t->agg_alt[a]);
				if (k == 0)
					k = append_points(&m->pts_alt[a],
							  &m->n_pts_alt[a],
							  &t->plot_alt[a]);
			}
			if (k < 0)
				return k;
		}
	}
	return 0;
}

static int finish_result(struct compare_result *res, struct mseries *ms,
			 size_t n_ms, bool derived)
{
	if (n_ms)
		qsort(ms, n_ms, sizeof(*ms), cmp_mseries);
	res->series = calloc(n_ms ? n_ms : 1, sizeof(*res->series));
	if (!res->series)
		return -ENOMEM;
	for (size_t i = 0; i < n_ms; i++) {
		struct compare_series *s = &ms[i].s;

		int a = ms[i].n_hfile > 0;

		if (derived && ms[i].n_shmem == 0) {
			s->pagecache_from = a ? "hierarchical_file" : "file";
			s->agg = ms[i].agg_alt[a];
			free(s->points);
			s->points = ms[i].pts_alt[a];
			s->n_points = ms[i].n_pts_alt[a];
			ms[i].pts_alt[a] = NULL;
		}
		free(ms[i].pts_alt[0]);
		free(ms[i].pts_alt[1]);
		ms[i].pts_alt[0] = ms[i].pts_alt[1] = NULL;
		res->series[res->n_series++] = *s;
		memset(s, 0, sizeof(*s));
	}
	return 0;
}

static void free_series(struct compare_series *s)
{
	free(s->source);
	free(s->node);
	free(s->points);
}

static unsigned choose_jobs(const struct compare_opts *o, uint64_t size)
{
	long cpus;

	if (o->jobs)
		return o->jobs > MAX_JOBS ? MAX_JOBS : o->jobs;
	if (size < PARALLEL_MIN_SIZE)
		return 1;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	return cpus > 4 ? 4 : (unsigned)cpus;
}

int compare_file(const char *path, const struct compare_opts *opts,
		 struct compare_result **ret, struct error *err)
{
	struct job jobs[MAX_JOBS];
	pthread_t tids[MAX_JOBS];
	bool started[MAX_JOBS] = { false };
	uint64_t bounds[MAX_JOBS + 1];
	struct compare_result *res = NULL;
	struct mseries *ms = NULL;
	size_t n_ms = 0;
	unsigned n;
	struct stat st;
	int fd, k = 0;

	err->msg[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		k = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		err_set(err, "%s: %s", path,
			k == -EINVAL ? "not a regular file" : strerror(-k));
		close(fd);
		return k;
	}
	n = choose_jobs(opts, (uint64_t)st.st_size);
	csvread_split(fd, (uint64_t)st.st_size, n, bounds);
	for (unsigned i = 0; i < n; i++) {
		jobs[i] = (struct job){ .path = path,
					.fd = fd,
					.start = bounds[i],
					.end = bounds[i + 1],
					.o = opts };
		k = job_setup(&jobs[i]);
		if (k < 0) {
			err_set(err, "%s: %s", path, strerror(-k));
			n = i + 1;
			goto out;
		}
	}
	for (unsigned i = 1; i < n; i++) {
		k = -pthread_create(&tids[i], NULL, job_run, &jobs[i]);
		if (k < 0) {
			jobs[i].ret = k;
			err_set(&jobs[i].err, "%s: cannot start a thread: %s",
				path, strerror(-k));
		} else {
			started[i] = true;
		}
	}
	job_run(&jobs[0]);
	for (unsigned i = 1; i < n; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	for (unsigned i = 0; i < n; i++)
		if (jobs[i].ret < 0) {
			k = jobs[i].ret;
			err_set(err, "%s", jobs[i].err.msg);
			goto out;
		}

	res = calloc(1, sizeof(*res));
	if (!res || !(res->path = strdup(path)) ||
	    !(res->stat = strdup(opts->stat))) {
		k = -ENOMEM;
		goto nomem;
	}
	res->jobs = n;
	for (unsigned i = 0; i < n; i++) {
		k = merge_job(res, &ms, &n_ms, &jobs[i]);
		if (k < 0)
			goto nomem;
	}
	k = finish_result(res, ms, n_ms, jobs[0].derived);
	if (k < 0)
		goto nomem;
	*ret = TAKE_PTR(res);
	goto out;
nomem:
	err_set(err, "%s: %s", path, strerror(-k));
out:
	for (size_t i = 0; i < n_ms; i++) {
		free_series(&ms[i].s);
		free(ms[i].pts_alt[0]);
		free(ms[i].pts_alt[1]);
	}
	free(ms);
	compare_result_free(res);
	for (unsigned i = 0; i < n; i++)
		job_free(&jobs[i]);
	close(fd);
	return k;
}

void compare_result_free(struct compare_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_sources; i++)
		free(r->sources[i]);
	free(r->sources);
	for (size_t i = 0; i < r->n_stats; i++)
		free(r->stats[i]);
	free(r->stats);
	for (size_t i = 0; i < r->n_series; i++)
		free_series(&r->series[i]);
	free(r->series);
	free(r->path);
	free(r->stat);
	free(r);
}

int compare_find_source(const struct compare_result *r, const char *name)
{
	return str_index(r->sources, r->n_sources, name);
}

int compare_find_stat(const struct compare_result *r, const char *name)
{
	return str_index(r->stats, r->n_stats, name);
}

bool compare_has_stat(const struct compare_result *r)
{
	if (compare_find_stat(r, r->stat) >= 0)
		return true;
	return strcmp(r->stat, COMPARE_PAGECACHE) == 0 &&
	       compare_find_stat(r, "file") >= 0;
}
