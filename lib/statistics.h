/* SPDX-License-Identifier: MIT */
/*
 * The statistics of repeated runs: what mmtests' compare and hyperfine
 * report, computed the way scipy.stats does.
 *
 *   describe   n, mean, median, sample stddev (n - 1), CoV, min, max and a
 *              95% confidence interval of the mean from Student's t
 *   outliers   modified Z-score on the median absolute deviation,
 *              0.6745 (x - median) / MAD, |z| > 3.5 (Iglewicz and Hoaglin,
 *              as hyperfine); flagged, never dropped
 *   welch      Welch's t-test of two groups (unequal variances), two-sided
 *   holm       Holm's step-down adjustment of many p-values
 *
 * Degenerate cases, said here once: with n = 1 the stddev, CoV and the
 * interval are NaN; a group whose values are all equal has stddev 0 and
 * an interval [mean, mean]. Welch's test of two zero-variance groups gives
 * p = 1 when their means are equal and p = 0 when they differ (scipy says
 * NaN; a difference measured without any noise is certain), and no df:
 * such an exact row is no test, and not one of the m of Holm's adjustment
 * (an idle node's 0 bytes in every run would raise every other row's
 * p_holm); a group of fewer than 2 values gives NaN. With MAD = 0 (most values equal), every
 * value unequal to the median is an outlier.
 */
#ifndef DAXLAB_STATISTICS_H
#define DAXLAB_STATISTICS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

struct stats_desc {
	size_t n;
	double mean, median, stddev, cov, min, max;
	double ci95[2];
};

/* x is not changed. n = 0 gives n = 0 and NaNs. -ENOMEM. */
int stats_describe(const double *x, size_t n, struct stats_desc *ret);

/*
 * ret_flags[i] set for each outlier of x (ret_flags has n entries);
 * returns how many, or -ENOMEM.
 */
int stats_outliers(const double *x, size_t n, bool *ret_flags);

struct stats_welch {
	double t, df, p; /* two-sided */
	double diff;     /* mean(b) - mean(a) */
	double ratio;    /* mean(b) / mean(a), NaN when mean(a) is 0 */
};
void stats_welch(const double *a, size_t na, const double *b, size_t nb,
		 struct stats_welch *ret);
/* Two zero-variance groups: p is 0 or 1 without a test (see above). */
static inline bool stats_welch_exact(const struct stats_welch *w)
{
	return !isnan(w->p) && isnan(w->df);
}

/*
 * The same from each group's size, mean and sample variance: what a
 * stream of samples keeps (lib/compare.h) without the samples. A size
 * may be an effective one (agg_n_eff()): no p-value below 2.
 */
void stats_welch_moments(double na, double mean_a, double var_a, double nb,
			 double mean_b, double var_b, struct stats_welch *ret);

/* Holm-adjusted p-values of p[0..n) into ret (may be p itself). -ENOMEM. */
int stats_holm(const double *p, size_t n, double *ret);

/*
 * Many comparisons at once, over n rows of stride bytes of the caller's,
 * each holding its stats_cmp offset bytes in (offsetof): w filled by the
 * caller (stats_welch), then stats_compare_rows() sets p_holm (Holm over
 * the comparisons that have a p-value from a test; p itself for an exact
 * one, NaN for the others) and significant (p_holm < alpha). *ret_tested
 * (may be NULL): how many were tested, Holm's m. -ENOMEM.
 */
struct stats_cmp {
	struct stats_welch w;
	double p_holm;
	bool significant;
};
int stats_compare_rows(void *rows, size_t n, size_t stride, size_t offset,
		       double alpha, size_t *ret_tested);

/* The quantile of Student's t with df degrees of freedom. */
double stats_t_quantile(double q, double df);

#endif
