// SPDX-License-Identifier: MIT
/* Statistics of repeated runs; see statistics.h. */
#include "statistics.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of a sorted array. */
static double median_sorted(const double *s, size_t n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int sorted_copy(const double *x, size_t n, double **ret)
{
	double *s = malloc((n ? n : 1) * sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (n)
		memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*ret = s;
	return 0;
}

/* Mean and sample variance, two passes for accuracy. */
static void mean_var(const double *x, size_t n, double *ret_mean,
		     double *ret_var)
{
	double m = 0, ss = 0, c = 0;

	for (size_t i = 0; i < n; i++)
		m += x[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double d = x[i] - m;

		ss += d * d;
		c += d;
	}
	*ret_mean = m;
	/* the compensated form (c is 0 but for rounding) */
	*ret_var = n > 1 ? (ss - c * c / (double)n) / (double)(n - 1) : NAN;
}

int stats_describe(const double *x, size_t n, struct stats_desc *ret)
{
	double *s, var;
	int r;

	*ret = (struct stats_desc){ .n = n,
				    .mean = NAN,
				    .median = NAN,
				    .stddev = NAN,
				    .cov = NAN,
				    .min = NAN,
				    .max = NAN,
				    .ci95 = { NAN, NAN } };
	if (!n)
		return 0;
	r = sorted_copy(x, n, &s);
	if (r < 0)
		return r;
	mean_var(x, n, &ret->mean, &var);
	ret->median = median_sorted(s, n);
	ret->min = s[0];
	ret->max = s[n - 1];
	free(s);
	if (n < 2)
		return 0;
	ret->stddev = sqrt(var);
	ret->cov = ret->mean != 0 ? ret->stddev / fabs(ret->mean) : NAN;
	if (var == 0) {
		ret->ci95[0] = ret->ci95[1] = ret->mean;
	} else {
		double h = stats_t_quantile(0.975, (double)(n - 1)) *
			   ret->stddev / sqrt((double)n);

		ret->ci95[0] = ret->mean - h;
		ret->ci95[1] = ret->mean + h;
	}
	return 0;
}

int stats_outliers(const double *x, size_t n, bool *ret_flags)
{
	double *s, med, mad;
	int count = 0, r;

	if (!n)
		return 0;
	r = sorted_copy(x, n, &s);
	if (r < 0)
		return r;
	med = median_sorted(s, n);
	for (size_t i = 0; i < n; i++)
		s[i] = fabs(x[i] - med);
	qsort(s, n, sizeof(*s), cmp_double);
	mad = median_sorted(s, n);
	free(s);
	for (size_t i = 0; i < n; i++) {
		bool out = mad == 0 ? x[i] != med :
				      fabs(0.6745 * (x[i] - med) / mad) > 3.5;

		ret_flags[i] = out;
		count += out;
	}
	return count;
}

/*
 * The continued fraction of the regularized incomplete beta function
 * (modified Lentz), which converges fast for x < (a + 1) / (a + b + 2).
 */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-16;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 10000; m++) {
		double m2 = 2.0 * m, num, del;

		num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + num * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		d = fabs(d) < tiny ? tiny : d;
		c = 1 + num / c;
		c = fabs(c) < tiny ? tiny : c;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

/* I_x(a, b), with 1 - x given as y to keep its precision. */
static double beta_reg(double a, double b, double x, double y)
{
	double lead;

	if (x <= 0)
		return 0;
	if (y <= 0)
		return 1;
	lead = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) +
		   b * log(y));
	if (x < (a + 1) / (a + b + 2))
		return lead * beta_cf(a, b, x) / a;
	return 1 - lead * beta_cf(b, a, y) / b;
}

/* P(|T| > |t|) for Student's t with df degrees of freedom. */
static double t_two_sided(double t, double df)
{
	double t2 = t * t;

	if (isinf(t))
		return 0;
	/* x = df / (df + t²), 1 - x = t² / (df + t²) */
	return beta_reg(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}

double stats_t_quantile(double q, double df)
{
	double lo = 0, hi = 1, want;

	if (!(q > 0 && q < 1) || !(df > 0))
		return NAN;
	if (q == 0.5)
		return 0;
	if (q < 0.5)
		return -stats_t_quantile(1 - q, df);
	/* the upper tail 1 - q is what is compared: no rounding near 1 */
	want = 2 * (1 - q);
	while (t_two_sided(hi, df) > want)
		hi *= 2;
	for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
		double mid = (lo + hi) / 2;

		if (t_two_sided(mid, df) > want)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void stats_welch_moments(double na, double ma, double va, double nb, double mb,
			 double vb, struct stats_welch *ret)
{
	double sa, sb, se2;

	*ret = (struct stats_welch){ NAN, NAN, NAN, NAN, NAN };
	if (!(na >= 2 && nb >= 2))
		return;
	ret->diff = mb - ma;
	ret->ratio = ma != 0 ? mb / ma : NAN;
	sa = va / na;
	sb = vb / nb;
	se2 = sa + sb;
	if (se2 == 0) {
		/* no noise in either group: the difference is exact */
		ret->t = ma == mb ? 0 : copysign(INFINITY, ma - mb);
		ret->p = ma == mb ? 1 : 0;
		return;
	}
	ret->t = (ma - mb) / sqrt(se2);
	ret->df = se2 * se2 / (sa * sa / (na - 1) + sb * sb / (nb - 1));
	ret->p = t_two_sided(ret->t, ret->df);
}

void stats_welch(const double *a, size_t na, const double *b, size_t nb,
		 struct stats_welch *ret)
{
	double ma = NAN, va = NAN, mb = NAN, vb = NAN;

	if (na >= 2 && nb >= 2) {
		mean_var(a, na, &ma, &va);
		mean_var(b, nb, &mb, &vb);
	}
	stats_welch_moments((double)na, ma, va, (double)nb, mb, vb, ret);
}

struct holm_item {
	double p;
	size_t i;
};

static int cmp_holm(const void *x, const void *y)
{
	const struct holm_item *a = x, *b = y;

	return a->p < b->p ? -1 : a->p > b->p;
}

int stats_holm(const double *p, size_t n, double *ret)
{
	_cleanup_free_ struct holm_item *v = malloc((n ? n : 1) * sizeof(*v));
	double run = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct holm_item){ p[i], i };
	qsort(v, n, sizeof(*v), cmp_holm);
	for (size_t k = 0; k < n; k++) {
		double adj = (double)(n - k) * v[k].p;

		/* step-down: never below an earlier one, never above 1 */
		run = adj > run ? adj : run;
		ret[v[k].i] = run < 1 ? run : 1;
	}
	return 0;
}

int stats_compare_rows(void *rows, size_t n, size_t stride, size_t offset,
		       double alpha, size_t *ret_tested)
{
#define C(i) ((struct stats_cmp *)((char *)rows + (i)*stride + offset))
	_cleanup_free_ double *p = calloc(n ? n : 1, sizeof(*p));
	size_t k = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!isnan(C(i)->w.p) && !stats_welch_exact(&C(i)->w))
			p[k++] = C(i)->w.p;
	if (stats_holm(p, k, p) < 0)
		return -ENOMEM;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (stats_welch_exact(&C(i)->w))
			C(i)->p_holm = C(i)->w.p;
		else
			C(i)->p_holm = isnan(C(i)->w.p) ? NAN : p[k++];
		C(i)->significant =
			!isnan(C(i)->p_holm) && C(i)->p_holm < alpha;
	}
	if (ret_tested)
		*ret_tested = k;
	return 0;
#undef C
}
