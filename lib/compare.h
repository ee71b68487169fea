/* SPDX-License-Identifier: MIT */
/*
 * Per-series aggregates of one stat in a stats CSV: for each (source,
 * node), the first, last, min, max and mean value, and a bounded,
 * downsampled copy of the series for plots. The stat may be the derived
 * "pagecache" = file - shmem, paired per (tick, source, node).
 *
 * compare_file() streams the file (in parallel ranges on large files);
 * memory depends on the number of series, not on the file's length.
 */
#ifndef DAXLAB_COMPARE_H
#define DAXLAB_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define COMPARE_PAGECACHE "pagecache"

struct agg {
	uint64_t n;
	int64_t first, last, min, max;
	int64_t first_ms, last_ms; /* elapsed_ms of the first and last */
	__int128 sum;
	double mean, m2; /* Welford's running mean and sum of squares */
	/*
	 * The sum of x[t] x[t-1] over t >= 1, both taken from first (so
	 * that no large squares cancel): the lag-1 autocorrelation from it.
	 */
	double c1;
};

void agg_add(struct agg *a, int64_t v, int64_t t_ms);
/* Adds b, whose samples all come after a's. */
void agg_merge(struct agg *a, const struct agg *b);
double agg_mean(const struct agg *a);
/* The sample variance (n - 1) of the values, NaN below 2 samples. */
double agg_var(const struct agg *a);
/*
 * The lag-1 autocorrelation of the values in order, r1 = sum (x[t] - m)
 * (x[t-1] - m) / sum (x[t] - m)^2; NaN below 3 samples or without
 * variance.
 */
double agg_r1(const struct agg *a);
/*
 * How many independent samples the values are worth for their mean, as
 * an AR(1) process: n (1 - r1) / (1 + r1), at most n (Wilks, Statistical
 * Methods in the Atmospheric Sciences, 5.2.4). Samples taken every few
 * hundred ms of a page cache are anything but independent.
 */
double agg_n_eff(const struct agg *a);
int64_t agg_delta(const struct agg *a);

/* One plot bucket: the samples within [t_first, t_last]. */
struct plot_bucket {
	int64_t t_first, t_last;
	int64_t lo, hi;
	uint32_t n;
};

#define PLOT_BUCKETS 1024

/*
 * At most PLOT_BUCKETS buckets of equal width from t0; when a sample lands
 * beyond them, the width doubles and neighbours merge.
 */
struct plotbuf {
	int64_t t0, width;
	struct plot_bucket *b; /* PLOT_BUCKETS, or NULL before the first add */
};

int plotbuf_add(struct plotbuf *p, int64_t t_ms, int64_t v);
void plotbuf_free(struct plotbuf *p);

struct compare_series {
	char *source;
	char *node;
	bool bytes; /* unit is bytes, else count */
	/*
	 * Derived stat, source without shmem (v1): the stat taken instead,
	 * hierarchical_file where there is one (the v1 root's file is its
	 * own pages only), else file. NULL: file - shmem.
	 */
	const char *pagecache_from;
	struct agg agg;
	/* Downsampled points, in time order (only with opts.plot). */
	struct plot_bucket *points;
	size_t n_points;
};

struct compare_opts {
	const char *stat; /* a stat of the file, or "pagecache" */
	bool plot;
	unsigned jobs; /* parallel ranges; 0: chosen by size */
};

struct compare_result {
	char *path;
	char *stat;
	/* Every source and stat the file holds, in order of appearance. */
	char **sources;
	size_t n_sources;
	char **stats;
	size_t n_stats;
	/* Series grouped by source (file order), nodes N0, N1, ..., total. */
	struct compare_series *series;
	size_t n_series;
	uint64_t rows;
	uint64_t partial_line; /* an incomplete last line, skipped */
	unsigned jobs;
};

/*
 * Reads path. On a malformed file, returns -EBADMSG and puts
 * "FILE:LINE: what" in err; other failures are -errno (err says more).
 */
int compare_file(const char *path, const struct compare_opts *opts,
		 struct compare_result **ret, struct error *err);
void compare_result_free(struct compare_result *r);

/* Index of a name in the result's sources or stats, or -1. */
int compare_find_source(const struct compare_result *r, const char *name);
int compare_find_stat(const struct compare_result *r, const char *name);
/* Whether the file holds what the stat needs ("file" for pagecache). */
bool compare_has_stat(const struct compare_result *r);

/* Percent change from base to v; false when base is 0. */
bool compare_change_pct(double base, double v, double *ret);

#endif
