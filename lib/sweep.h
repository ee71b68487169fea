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
#include <stdio.h>

#include "statistics.h"
#include "util.h"

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
	/*
	 * How each run samples and starts (run --tail, --interval, --warm):
	 * the same in every run, on every host; timing_known false for a
	 * manifest an older daxlab wrote without them
	 */
	bool timing_known;
	uint64_t tail_ms;
	unsigned interval_ms;
	bool warm;
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
/* "k=v k=v" of point p ("-" without keys), allocated. */
char *sweep_point_label(const struct sweep *s, size_t p);
/* "point-I", allocated. */
char *sweep_run_folder(size_t run);

int sweep_write(const struct sweep *s, const char *dir, struct error *err);
/* Reads dir/manifest.json; err names the file and what is wrong. */
int sweep_read(const char *dir, struct sweep *ret, struct error *err);
void sweep_free(struct sweep *s);
/* Whether dir is a sweep folder (has a manifest.json). */
bool sweep_is_dir(const char *dir);

/* What a summary left out or mixed, for the caller to say. */
struct sweep_notes {
	/*
	 * "point-I: why; ..." of the run folders that could not be read,
	 * and of complete runs whose stats.csv is cut short (the monitor
	 * died): left out of the summary, and listed in its "left_out"
	 */
	struct error unread;
	/*
	 * "kernel: 'A' (3 runs), 'B' (1 run); ...": what the complete runs'
	 * provenance says differs between their hosts (kernel, qemu,
	 * virtiofsd, fio, daxlab, accel, cgroup, NUMA nodes, the kernel's
	 * own paging): the means and intervals mix them
	 */
	struct error mixed;
};

/*
 * summary.json, summary.csv and summary.md of dir from the complete runs
 * there; alpha: the significance level. *ret_complete: how many runs are.
 * notes (may be NULL) gets what was left out (a malformed file) or mixed,
 * never silently: summary.json ("differs"), summary.md and
 * statistics.html say the mix too.
 */
int sweep_write_summary(const struct sweep *s, const char *dir, double alpha,
			size_t *ret_complete, struct sweep_notes *notes,
			struct error *err);

/*
 * The status of run i's folder in dir (lib/results.h); -ENOENT when it
 * has not started. A run that says "running" while no one holds its lock
 * died (its host or daxlab killed outright): RESULTS_INCOMPLETE.
 */
int sweep_run_status(const char *dir, size_t run, int *ret_status);

/*
 * The config a sweep began with, kept as dir/config.ini: written when it
 * begins; checked when it goes on (--resume, a Slurm task), so that the
 * runs of one sweep come from one config. -ESTALE with err naming both
 * files when the config at its path is another now; 0 for a sweep begun
 * by an older daxlab (no copy). ret_text (may be NULL) gets the config's
 * content as checked, *ret_len bytes: what a run then parses, so that an
 * edit after the check is not taken.
 */
int sweep_keep_config(const struct sweep *s, const char *dir,
		      struct error *err);
int sweep_check_config(const struct sweep *s, const char *dir, char **ret_text,
		       size_t *ret_len, struct error *err);

/*
 * The lock of run i of the sweep in dir (dir/.point-I.lock, an open file
 * description lock, which NFS carries between hosts): whoever runs it
 * holds it from before it looks at the run's folder until the run ended,
 * so that a --resume or a second Slurm task of the same index leaves a
 * run in progress alone. The lock's fd (close it to release; children
 * forked meanwhile hold it too), or -EBUSY when another holds it.
 */
int sweep_run_lock(const char *dir, size_t run);
/* Whether another holds that lock (taking nothing). */
bool sweep_run_locked(const char *dir, size_t run);
/*
 * Waits for dir/.summary.lock (an open file description lock): held
 * around writing the summary files and report, so that two hosts of a
 * sweep do not interleave their files. The fd (close it to release), or
 * -errno (a file system without locks, or -EINTR: a signal came while
 * waiting; write without it).
 */
int sweep_summary_lock(const char *dir);

/*
 * The headline figures of a group of runs (a point of a sweep, a results
 * folder): per figure, its values in run order. Names as in summary.json
 * ("vm0.private-hot.iops", "host.N0.pagecache_final", ...).
 */
struct sweep_figure {
	char *name;
	const char *unit;
	double *v;
	size_t n, cap;
	/* run[i]: of which run (its index in the group's runs) v[i] is */
	size_t *run;
	size_t run_cap;
};

struct sweep_figures {
	struct sweep_figure *m;
	size_t n;
	char **runs; /* folders of its complete runs */
	size_t n_runs;
};

/*
 * daxlab report A B ...: each folder (a results folder, or a sweep folder
 * whose points are groups of their own) against the first. A group of the
 * first folder is the base of each group of a later one: the point with
 * the same label, else the first folder's only group. Per headline figure:
 * both means, difference (b - a), ratio (b / a), and, when both have n >= 2,
 * Welch's p-value, Holm-adjusted over all the comparisons, significant
 * below alpha.
 */
struct sweep_group {
	char *label; /* "DIR" or "DIR [k=v ...]" */
	char *dir;
	char *point; /* the point's label, "-" for a results folder */
	size_t folder; /* index in the folders given */
	struct sweep_figures f;
};

struct sweep_cmp_row {
	size_t a, b; /* groups */
	const struct sweep_figure *fa;
	struct stats_desc da, db;
	double diff, ratio; /* of the means, whatever n */
	struct stats_cmp c; /* c.w.p NaN: n < 2 on a side */
};

struct sweep_comparison {
	struct sweep_group *g;
	size_t n_groups;
	struct sweep_cmp_row *rows;
	size_t n_rows;
	size_t n_tested; /* rows with a p-value */
	size_t n_pairs; /* (base, group) pairs compared */
	size_t n_unmatched; /* groups of later folders without a base */
	bool holm; /* several pairs: p-values Holm-adjusted over all rows */
	double alpha;
};

/*
 * Loads the folders; err names the folder at fault (-ENOENT: neither a
 * results nor a sweep folder; -EBADMSG: a malformed file; -EINVAL: a
 * results folder whose run did not complete). A sweep folder's runs
 * that did not complete are left out.
 */
int sweep_compare_folders(const char *const *dirs, size_t n, double alpha,
			  struct sweep_comparison *ret, struct error *err);
void sweep_comparison_free(struct sweep_comparison *c);
/* The comparison for scripts: {"alpha", "holm", "groups", "comparisons"}. */
char *sweep_comparison_json(const struct sweep_comparison *c);
/*
 * The sections of a report, as HTML and as text (summary.txt), allocated:
 * the comparison c, if any, then every headline figure of each group of
 * g: mean ± the half-width of its 95% interval (n). 0, or -ENOMEM.
 */
int sweep_sections(const struct sweep_comparison *c,
		   const struct sweep_group *g, size_t n, char **ret_html,
		   char **ret_text);

/* dir/report.html and dir/summary.txt of the runs there, side by side. */
int sweep_write_report(const struct sweep *s, const char *dir,
		       struct error *err);

#endif
