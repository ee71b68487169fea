// SPDX-License-Identifier: MIT
/*
 * lib/statistics.c on values that can be checked by hand; the agreement
 * with scipy on many more is tests/integration/statistics.bats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>

#include "statistics.h"

static void test_describe(void **state)
{
	const double x[] = { 4, 1, 3, 2, 10 };
	struct stats_desc d;

	(void)state;
	assert_int_equal(stats_describe(x, 5, &d), 0);
	assert_int_equal(d.n, 5);
	assert_float_equal(d.mean, 4, 1e-12);
	assert_float_equal(d.median, 3, 1e-12);
	/* sum of squares 9 + 4 + 1 + 0 + 36 = 50 over 4 */
	assert_float_equal(d.stddev, sqrt(12.5), 1e-12);
	assert_float_equal(d.min, 1, 0);
	assert_float_equal(d.max, 10, 0);
	/* t(0.975, 4) = 2.7764451051977987 */
	assert_float_equal(d.ci95[1] - d.mean,
			   2.7764451051977987 * sqrt(12.5) / sqrt(5), 1e-12);
	/* the input is left as it was */
	assert_float_equal(x[0], 4, 0);
}

static void test_degenerate(void **state)
{
	const double one[] = { 7 }, same[] = { 2, 2, 2 };
	struct stats_desc d;
	struct stats_welch w;

	(void)state;
	assert_int_equal(stats_describe(one, 1, &d), 0);
	assert_true(isnan(d.stddev) && isnan(d.ci95[0]));
	assert_int_equal(stats_describe(same, 3, &d), 0);
	assert_float_equal(d.stddev, 0, 0);
	assert_float_equal(d.ci95[0], 2, 0);
	assert_float_equal(d.ci95[1], 2, 0);
	stats_welch(same, 3, same, 3, &w);
	assert_float_equal(w.p, 1, 0);
	stats_welch(one, 1, same, 3, &w);
	assert_true(isnan(w.p));
}

static void test_t(void **state)
{
	(void)state;
	/* t with 1 degree of freedom is Cauchy: quantile(3/4) = 1 */
	assert_float_equal(stats_t_quantile(0.75, 1), 1, 1e-12);
	assert_float_equal(stats_t_quantile(0.025, 3),
			   -stats_t_quantile(0.975, 3), 1e-15);
}

static void test_outliers_and_holm(void **state)
{
	const double x[] = { 10, 11, 9, 10, 100 };
	const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	bool f[5];
	double adj[4];

	(void)state;
	assert_int_equal(stats_outliers(x, 5, f), 1);
	assert_true(f[4] && !f[0]);
	assert_int_equal(stats_holm(p, 4, adj), 0);
	/* sorted 0.005 0.01 0.03 0.04: x4, x3, x2, x1, running maximum */
	assert_float_equal(adj[3], 0.02, 1e-15);
	assert_float_equal(adj[0], 0.03, 1e-15);
	assert_float_equal(adj[2], 0.06, 1e-15);
	assert_float_equal(adj[1], 0.06, 1e-15);
}

static void test_moments_and_many(void **state)
{
	const double a[] = { 3.1, 2.7, 3.3, 2.9, 3.0 };
	const double b[] = { 3.6, 3.9, 3.4, 3.8, 4.1, 3.7 };
	const double one[] = { 1 };
	struct stats_desc da, db;
	struct stats_welch w, m;
	struct stats_cmp c[3];
	size_t tested;

	(void)state;
	stats_describe(a, 5, &da);
	stats_describe(b, 6, &db);
	stats_welch(a, 5, b, 6, &w);
	stats_welch_moments(5, da.mean, da.stddev * da.stddev, 6, db.mean,
			    db.stddev * db.stddev, &m);
	assert_float_equal(m.p, w.p, 1e-12 * w.p);
	assert_float_equal(m.df, w.df, 1e-12 * w.df);
	/* two tested, one without a p-value (n = 1) */
	c[0].w = w;
	stats_welch(a, 5, a, 5, &c[1].w);
	stats_welch(one, 1, b, 6, &c[2].w);
	assert_int_equal(stats_compare_rows(c, 3, sizeof(*c), 0, 0.05, &tested),
			 0);
	assert_int_equal(tested, 2);
	assert_float_equal(c[0].p_holm, 2 * w.p, 1e-15);
	assert_true(c[0].significant);
	assert_float_equal(c[1].p_holm, 1, 0);
	assert_false(c[1].significant);
	assert_true(isnan(c[2].p_holm) && !c[2].significant);
}

/* Exact rows (two zero-variance groups) are not among Holm's m. */
static void test_holm_exact(void **state)
{
	const double a[] = { 3.1, 2.7, 3.3, 2.9, 3.0 };
	const double b[] = { 3.6, 3.9, 3.4, 3.8, 4.1, 3.7 };
	const double z[] = { 0, 0, 0 }, k[] = { 4096, 4096, 4096 };
	struct stats_cmp c[4];
	size_t tested;

	(void)state;
	stats_welch(a, 5, b, 6, &c[0].w);
	stats_welch(z, 3, z, 3, &c[1].w);
	stats_welch(z, 3, z, 3, &c[2].w);
	stats_welch(z, 3, k, 3, &c[3].w);
	assert_true(stats_welch_exact(&c[1].w) && stats_welch_exact(&c[3].w));
	assert_false(stats_welch_exact(&c[0].w));
	assert_int_equal(stats_compare_rows(c, 4, sizeof(*c), 0, 0.05, &tested),
			 0);
	assert_int_equal(tested, 1);
	assert_float_equal(c[0].p_holm, c[0].w.p, 0);
	assert_float_equal(c[1].p_holm, 1, 0);
	assert_false(c[1].significant);
	assert_float_equal(c[3].p_holm, 0, 0);
	assert_true(c[3].significant);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_t),
		cmocka_unit_test(test_outliers_and_holm),
		cmocka_unit_test(test_moments_and_many),
		cmocka_unit_test(test_holm_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
