// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"

/* A delta beyond int64 is held at the limit, never wrapped (nor UB). */
static void test_agg_delta_saturates(void **state)
{
	struct agg a;

	(void)state;
	a = (struct agg){ 0 };
	agg_add(&a, INT64_MAX, 0);
	agg_add(&a, -INT64_MAX, 500);
	assert_true(agg_delta(&a) == INT64_MIN);
	a = (struct agg){ 0 };
	agg_add(&a, INT64_MIN, 0);
	agg_add(&a, INT64_MAX, 500);
	assert_true(agg_delta(&a) == INT64_MAX);
	a = (struct agg){ 0 };
	agg_add(&a, INT64_MIN, 0);
	agg_add(&a, 0, 500);
	assert_true(agg_delta(&a) == INT64_MAX);
}

static void test_agg(void **state)
{
	struct agg a, b;
	int64_t v[] = { 5, -3, 10, 7 };

	a = (struct agg){ 0 };
	for (int i = 0; i < 4; i++)
		agg_add(&a, v[i], i * 500);
	assert_int_equal(a.n, 4);
	assert_int_equal(a.first, 5);
	assert_int_equal(a.last, 7);
	assert_int_equal(agg_delta(&a), 2);
	assert_int_equal(a.min, -3);
	assert_int_equal(a.max, 10);
	assert_true(agg_mean(&a) == 19.0 / 4);
	assert_int_equal(a.first_ms, 0);
	assert_int_equal(a.last_ms, 1500);

	/* Merging the halves gives the whole. */
	b = (struct agg){ 0 };
	agg_add(&b, 1, 2000);
	agg_add(&b, 20, 2500);
	agg_merge(&a, &b);
	assert_int_equal(a.n, 6);
	assert_int_equal(a.first, 5);
	assert_int_equal(a.last, 20);
	assert_int_equal(a.max, 20);
	assert_int_equal(a.min, -3);
	assert_int_equal(a.last_ms, 2500);

	/* An empty part changes nothing; into an empty one, it copies. */
	b = (struct agg){ 0 };
	agg_merge(&a, &b);
	assert_int_equal(a.n, 6);
	agg_merge(&b, &a);
	assert_int_equal(b.first, 5);
	assert_int_equal(b.n, 6);
}

static void test_agg_var_merges(void **state)
{
	/* 1e12 + i: a large offset, where a naive sum of squares fails */
	struct agg all, a, b;
	double m = 0, ss = 0;

	(void)state;
	all = (struct agg){ 0 };
	a = (struct agg){ 0 };
	b = (struct agg){ 0 };
	for (int i = 0; i < 100; i++) {
		int64_t v = 1000000000000LL + (i * 37) % 101;

		agg_add(&all, v, i);
		agg_add(i < 40 ? &a : &b, v, i);
		m += (double)((i * 37) % 101);
	}
	m /= 100;
	for (int i = 0; i < 100; i++) {
		double d = (double)((i * 37) % 101) - m;

		ss += d * d;
	}
	agg_merge(&a, &b);
	assert_float_equal(agg_var(&all), ss / 99, 1e-6 * ss / 99);
	assert_float_equal(agg_var(&a), ss / 99, 1e-6 * ss / 99);
	b = (struct agg){ 0 };
	agg_add(&b, 5, 0);
	assert_true(isnan(agg_var(&b)));
}

/*
 * The lag-1 autocorrelation of an AR(1) series on a large offset (a page
 * cache of a few TiB), from one pass and from ranges merged, against a
 * two-pass computation of the small part alone.
 */
static void test_agg_r1_merges(void **state)
{
	enum { N = 2000 };
	static int64_t v[N];
	const int64_t off = 3000000000000LL;
	double x = 0, m = 0, c = 0, ss = 0, want;
	uint64_t seed = 12345;
	struct agg all = { 0 }, part[4] = { { 0 } };

	(void)state;
	for (int i = 0; i < N; i++) {
		double u;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		u = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
		x = 0.9 * x + 100000 * u;
		v[i] = off + (int64_t)x;
		m += (double)(v[i] - off);
	}
	m /= N;
	for (int i = 0; i < N; i++) {
		double d = (double)(v[i] - off) - m;

		ss += d * d;
		if (i)
			c += d * ((double)(v[i - 1] - off) - m);
	}
	want = c / ss;
	/* around 0.9, as made */
	assert_true(want > 0.8 && want < 0.95);
	for (int i = 0; i < N; i++) {
		agg_add(&all, v[i], i);
		/* ranges of 1, 699, 300 and 1000 samples */
		agg_add(&part[i < 1    ? 0 :
			      i < 700  ? 1 :
			      i < 1000 ? 2 :
					 3],
			v[i], i);
	}
	assert_float_equal(agg_r1(&all), want, 1e-9);
	for (int k = 1; k < 4; k++)
		agg_merge(&part[0], &part[k]);
	assert_float_equal(agg_r1(&part[0]), want, 1e-9);
	assert_float_equal(agg_n_eff(&all), N * (1 - want) / (1 + want), 1e-6);
	/* no autocorrelation to speak of: n; too few samples: NaN */
	all = (struct agg){ 0 };
	for (int i = 0; i < 10; i++)
		agg_add(&all, i % 2 ? 5 : 7, i);
	assert_true(agg_r1(&all) < 0);
	assert_true(agg_n_eff(&all) == 10);
	all = (struct agg){ 0 };
	agg_add(&all, 1, 0);
	agg_add(&all, 2, 1);
	assert_true(isnan(agg_r1(&all)));
	assert_true(agg_n_eff(&all) == 2);
}

static void test_agg_sum_does_not_overflow(void **state)
{
	struct agg a;

	a = (struct agg){ 0 };
	agg_add(&a, INT64_MAX, 0);
	agg_add(&a, INT64_MAX, 1);
	assert_true(agg_mean(&a) > 9.2e18);
}

static void test_change_pct(void **state)
{
	double p;

	assert_true(compare_change_pct(200, 300, &p));
	assert_true(p == 50.0);
	assert_true(compare_change_pct(-200, -100, &p));
	assert_true(p == 50.0);
	assert_false(compare_change_pct(0, 5, &p));
}

static void test_plotbuf_is_bounded(void **state)
{
	struct plotbuf p = { 0 };
	uint64_t n = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	for (int i = 0; i < 100000; i++)
		assert_int_equal(plotbuf_add(&p, i * 500LL, (i * 7919) % 1000),
				 0);
	for (int i = 0; i < PLOT_BUCKETS; i++) {
		if (!p.b[i].n)
			continue;
		n += p.b[i].n;
		lo = p.b[i].lo < lo ? p.b[i].lo : lo;
		hi = p.b[i].hi > hi ? p.b[i].hi : hi;
		assert_true(p.b[i].t_first <= p.b[i].t_last);
	}
	assert_int_equal(n, 100000);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 999);
	assert_true(p.width * PLOT_BUCKETS >= 100000LL * 500);
	plotbuf_free(&p);
}

static void test_plotbuf_keeps_small_series_exact(void **state)
{
	struct plotbuf p = { 0 };
	int used = 0;

	for (int i = 0; i < 100; i++)
		assert_int_equal(plotbuf_add(&p, i * 500LL, i), 0);
	for (int i = 0; i < PLOT_BUCKETS; i++)
		if (p.b[i].n) {
			used++;
			assert_int_equal(p.b[i].n, 1);
		}
	assert_int_equal(used, 100);
	plotbuf_free(&p);
}

static const struct compare_series *series(const struct compare_result *r,
					   const char *source, const char *node)
{
	for (size_t i = 0; i < r->n_series; i++)
		if (!strcmp(r->series[i].source, source) &&
		    !strcmp(r->series[i].node, node))
			return &r->series[i];
	fail_msg("no series %s %s", source, node);
	return NULL;
}

static struct compare_result *run(const char *fixture, const char *stat,
				  unsigned jobs)
{
	struct compare_opts o = { .stat = stat, .plot = true, .jobs = jobs };
	struct compare_result *r = NULL;
	char path[4096];
	struct error err = { 0 };

	snprintf(path, sizeof(path), "%s/compare/%s", FIXTURES, fixture);
	if (compare_file(path, &o, &r, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static void test_file_aggregates(void **state)
{
	struct compare_result *r = run("small.csv", "file", 1);
	const struct compare_series *s;

	assert_int_equal(r->n_sources, 2);
	assert_int_equal(r->n_stats, 3);
	assert_true(compare_has_stat(r));
	/* host N0, N1, total then vm0 N0, total. */
	assert_int_equal(r->n_series, 5);
	assert_string_equal(r->series[2].node, "total");
	assert_string_equal(r->series[3].source, "vm0");
	s = series(r, "host", "N0");
	assert_int_equal(s->agg.n, 3);
	assert_int_equal(s->agg.first, 100);
	assert_int_equal(s->agg.last, 200);
	assert_int_equal(s->agg.min, 100);
	assert_int_equal(s->agg.max, 300);
	assert_true(agg_mean(&s->agg) == 200.0);
	assert_true(s->bytes);
	assert_int_equal(s->n_points, 3);
	s = series(r, "vm0", "total");
	assert_int_equal(agg_delta(&s->agg), 200);
	compare_result_free(r);

	r = run("small.csv", "workingset_refault_file", 1);
	s = series(r, "vm0", "N0");
	assert_false(s->bytes);
	assert_int_equal(s->agg.last, 12);
	compare_result_free(r);
}

static void test_pagecache_file_minus_shmem(void **state)
{
	struct compare_result *r = run("small.csv", COMPARE_PAGECACHE, 1);
	const struct compare_series *s = series(r, "host", "N0");

	/* 100-10, 300-30, 200-20 */
	assert_int_equal(s->agg.n, 3);
	assert_int_equal(s->agg.first, 90);
	assert_int_equal(s->agg.max, 270);
	assert_int_equal(s->agg.last, 180);
	assert_null(s->pagecache_from);
	s = series(r, "host", "total");
	assert_int_equal(s->agg.first, 140);
	compare_result_free(r);
}

static void test_pagecache_of_v1_source_is_file(void **state)
{
	struct compare_result *r = run("v1v2.csv", COMPARE_PAGECACHE, 1);
	const struct compare_series *s = series(r, "host", "N0");

	/* the v1 root: the tree's, not its own file */
	assert_string_equal(s->pagecache_from, "hierarchical_file");
	assert_int_equal(s->agg.first, 8192);
	assert_int_equal(s->agg.last, 16384);
	assert_int_equal(s->n_points, 2);
	assert_int_equal(s->points[1].hi, 16384);
	/* v1 without hierarchical_ rows: its file */
	s = series(r, "leaf", "N0");
	assert_string_equal(s->pagecache_from, "file");
	assert_int_equal(s->agg.first, 300);
	assert_int_equal(s->agg.last, 500);
	/* shmem before file in a tick pairs too. */
	s = series(r, "vm0", "N0");
	assert_null(s->pagecache_from);
	assert_int_equal(s->agg.first, 4000);
	assert_int_equal(s->agg.last, 5000);
	compare_result_free(r);
}

static void test_missing_stat_and_bad_file(void **state)
{
	struct compare_opts o = { .stat = "file" };
	struct compare_result *r = run("small.csv", "anon", 1);
	char path[4096];
	struct error err = { 0 };

	assert_false(compare_has_stat(r));
	assert_int_equal(compare_find_stat(r, "anon"), -1);
	assert_int_equal(r->n_series, 0);
	compare_result_free(r);

	r = NULL;
	snprintf(path, sizeof(path), "%s/compare/truncated.csv", FIXTURES);
	assert_int_equal(compare_file(path, &o, &r, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "truncated.csv:4:"));
	assert_null(r);
	assert_int_equal(compare_file("/nonexistent/x.csv", &o, &r, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/x.csv"));
}

/* Parallel ranges give exactly what one pass gives. */
static void test_parallel_equals_serial(void **state)
{
	char path[] = "/tmp/test_compare_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct compare_opts o1 = { .stat = COMPARE_PAGECACHE, .jobs = 1 };
	struct compare_opts o3 = { .stat = COMPARE_PAGECACHE, .jobs = 3 };
	struct compare_result *a, *b;
	struct error err = { 0 };

	assert_non_null(f);
	fprintf(f, "epoch_ms,elapsed_ms,source,stat,node,value,unit\n");
	for (int t = 0; t < 30000; t++)
		for (int s = 0; s < 3; s++)
			for (int n = 0; n < 2; n++) {
				fprintf(f, "%d,%d,s%d,file,N%d,%d,bytes\n", t,
					t * 10, s, n, (t * 7919 + s) % 100000);
				fprintf(f, "%d,%d,s%d,anon,N%d,1,bytes\n", t,
					t * 10, s, n);
				fprintf(f, "%d,%d,s%d,shmem,N%d,%d,bytes\n", t,
					t * 10, s, n, t % 77);
			}
	fclose(f);
	assert_int_equal(compare_file(path, &o1, &a, &err), 0);
	assert_int_equal(compare_file(path, &o3, &b, &err), 0);
	assert_int_equal(b->jobs, 3);
	assert_int_equal(a->n_series, b->n_series);
	assert_int_equal(a->rows, b->rows);
	for (size_t i = 0; i < a->n_series; i++) {
		assert_string_equal(a->series[i].source, b->series[i].source);
		assert_string_equal(a->series[i].node, b->series[i].node);
		const struct agg *x = &a->series[i].agg, *y = &b->series[i].agg;

		assert_int_equal(x->first, y->first);
		assert_int_equal(x->last, y->last);
		assert_int_equal(x->min, y->min);
		assert_int_equal(x->max, y->max);
		assert_true(x->sum == y->sum);
		assert_int_equal(x->n, y->n);
		assert_int_equal(a->series[i].agg.n, 30000);
	}
	compare_result_free(a);
	compare_result_free(b);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agg),
		cmocka_unit_test(test_agg_delta_saturates),
		cmocka_unit_test(test_agg_sum_does_not_overflow),
		cmocka_unit_test(test_agg_var_merges),
		cmocka_unit_test(test_agg_r1_merges),
		cmocka_unit_test(test_change_pct),
		cmocka_unit_test(test_plotbuf_is_bounded),
		cmocka_unit_test(test_plotbuf_keeps_small_series_exact),
		cmocka_unit_test(test_file_aggregates),
		cmocka_unit_test(test_pagecache_file_minus_shmem),
		cmocka_unit_test(test_pagecache_of_v1_source_is_file),
		cmocka_unit_test(test_missing_stat_and_bad_file),
		cmocka_unit_test(test_parallel_equals_serial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
