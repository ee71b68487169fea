/* SPDX-License-Identifier: MIT */
/*
 * daxlab run's parts: the options (src/run.c), one experiment and its
 * report (src/run.c), sweeps and Slurm (src/run_sweep.c).
 */
#ifndef DAXLAB_RUN_H
#define DAXLAB_RUN_H

#include "sweep.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct run_opts {
	const char *config;
	/* its content as read and checked (a sweep's run), or NULL */
	const char *config_text;
	size_t config_len;
	const char *name;
	const char *results;
	uint64_t tail_ms;
	unsigned interval_ms;
	bool warm;
	bool timing_given; /* --tail, --interval or --warm given */
	struct sweep_key sweep[SWEEP_MAX_KEYS];
	size_t n_sweep;
	unsigned repeat; /* --repeat, default 1 */
	double alpha; /* --alpha: the sweep summary's markers */
	int order; /* --order: -1 not given, 0 sequential, 1 shuffled */
	bool seed_given;
	uint64_t seed;
	const char *resume; /* --resume DIR */
	long point; /* --point I: only run I of the manifest, or -1 */
	bool slurm; /* --slurm: submit the runs as a job array */
	const char *slurm_opts[32];
	size_t n_slurm_opts;
	unsigned slurm_parallel; /* --slurm-parallel K: %K, 0 none */
	/* SIGINT or SIGTERM once one came (the handler's), else 0 */
	const volatile sig_atomic_t *interrupted;
};

/*
 * One experiment, in a new folder of base (or in exactly folder, when not
 * NULL), with the sweep point's values; then its report. 0: complete.
 */
int run_experiment(const struct run_opts *o, const char *base,
		   const char *folder, const char *name,
		   const char *const *keys, const char *const *vals, size_t nk);

/*
 * The runs of a sweep (new, or --resume DIR), or their submission with
 * --slurm; 0, or -1 after saying why.
 */
int run_sweep(const struct run_opts *o, const char *name);

#endif
