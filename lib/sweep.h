/* SPDX-License-Identifier: MIT */
/*
 * A sweep: every (point, repetition) of an experiment, in the order they
 * run, written to SWEEPDIR/manifest.json before the first one starts. The
 * local loop (daxlab run --sweep/--repeat) and --resume read the same
 * manifest; run i of it goes to SWEEPDIR/point-i/.
 *
 *   {"name": N, "config": PATH, "seed": S, "order": "shuffled",
 *    "repeat": R, "keys": [{"key": K, "values": [V...]}...],
 *    "points": [{"index": P, "values": {K: V...}}...],
 *    "runs": [{"index": I, "point": P, "repetition": R,
 *              "folder": "point-I"}...]}
 *
 * Points are the grid of the keys, last key fastest; the runs are every
 * point R times, shuffled with the seed (xoshiro256**, Fisher-Yates) so
 * that drift over time does not look like an effect, or in order.
 *
 * summary.json (sweep_write_summary) holds, per point, every headline
 * figure of its complete runs with its statistics (lib/statistics.h), and
 * the comparison of every other point with the first (Welch's t-test,
 * Holm-adjusted over all comparisons):
 *
 *   {"points": [{"point": {K: V...}, "runs": [FOLDER...],
 *     "metrics": [{"name", "unit", "n", "values", "mean", "median",
 *                  "stddev", "cov", "ci95": [LOW, HIGH],
 *                  "outliers": [INDEX...]}...]}...],
 *    "comparisons": [{"a", "b", "metric", "diff", "ratio", "p",
 *                     "p_holm", "significant"}...], "alpha": 0.05}
 */
#ifndef DAXLAB_SWEEP_H
#define DAXLAB_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_KEYS 8
#define SWEEP_MAX_VALUES 64

struct sweep_key {
	char *key;
	char *values[SWEEP_MAX_VALUES];
	size_t n;
};

struct sweep_run {
	size_t point;
	unsigned repetition; /* 0-based */
};

struct sweep {
	char *name;
	char *config; /* absolute */
	uint64_t seed;
	bool shuffled;
	unsigned repeat;
	struct sweep_key keys[SWEEP_MAX_KEYS];
	size_t n_keys;
	size_t n_points;
	struct sweep_run *runs; /* in the order they run */
	size_t n_runs;
};

/* Fills the points and runs of s from its keys, repeat and order. */
int sweep_plan(struct sweep *s);
/* The value of key k at point p. */
const char *sweep_value(const struct sweep *s, size_t p, size_t k);
/* "point-I", allocated. */
char *sweep_run_folder(const struct sweep *s, size_t run);

int sweep_write(const struct sweep *s, const char *dir, char *err,
		size_t errlen);
/* Reads dir/manifest.json; err names the file and what is wrong. */
int sweep_read(const char *dir, struct sweep *ret, char *err, size_t errlen);
void sweep_free(struct sweep *s);

/*
 * summary.json, summary.csv and summary.md of dir from the complete runs
 * there; alpha: the significance level. *ret_complete: how many runs are.
 */
int sweep_write_summary(const struct sweep *s, const char *dir, double alpha,
			size_t *ret_complete, char *err, size_t errlen);

/*
 * The status of run i's folder in dir (lib/results.h); -ENOENT when it
 * has not started.
 */
int sweep_run_status(const struct sweep *s, const char *dir, size_t run,
		     int *ret_status);

/* dir/report.html and dir/summary.txt of the runs there, side by side. */
int sweep_write_report(const struct sweep *s, const char *dir, char *err,
		       size_t errlen);

#endif
