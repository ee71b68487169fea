/* SPDX-License-Identifier: MIT */
/*
 * fio job files for a file set plan: one job per (set, temperature) in
 * one flow_id, flow weights round(1000 x share), time_based, as docs/architecture.md
 * explains. Nothing here prints or exits.
 */
#ifndef DAXLAB_FIOJOB_H
#define DAXLAB_FIOJOB_H

#include "fileset.h"

#include <stdbool.h>
#include <stdint.h>
#include "util.h"

struct fiojob_opts {
	const char *rw; /* fio rw=, e.g. randread */
	uint64_t bs; /* bytes, one for all jobs */
	unsigned runtime; /* seconds */
	const char *ioengine; /* psync, mmap, ...: as [workload] ioengine */
	bool direct;
	bool warm; /* invalidate=0: keep what is cached */
	/*
	 * Where the sets are as fio sees them: in the guests (the share's
	 * mount points, the same in every VM) or on the host.
	 */
	const char *shared_path;
	const char *private_path;
	const char *comment; /* first line, without "; ", or NULL */
};

void fiojob_opts_init(struct fiojob_opts *o);
struct workload_config;
/*
 * [workload]'s rw, bs, runtime and ioengine, and the guests' mount points
 * of the sets where the config has them (d: workload_from_config()'s).
 */
void fiojob_opts_from_config(struct fiojob_opts *o,
			     const struct workload_config *w,
			     const struct workload_cfgdata *d);

/* fio's limits (docs/architecture.md). */
#define FIOJOB_MAX_VALUE 4096 /* characters of one filename= value */
#define FIOJOB_MAX_LINE 8192 /* bytes of one job-file line */

/*
 * The job file for the plan's file names under the given paths. Checks
 * rw, bs, runtime and ioengine with config_workload_set() (the same
 * answer and message as daxlab.ini's [workload] keys) and the paths;
 * -EINVAL with the value named in err.
 * *ret is allocated.
 */
int fiojob_render(const struct fileset_plan *p, const struct fiojob_opts *o,
		  char **ret, struct error *err);

/* The sections of a job file and their flow weights. */
struct fiojob_section {
	char name[64];
	unsigned flow;
};
/*
 * Reads section names and flow= values of a job file (as written by
 * fiojob_render). Returns the number of sections (at most max).
 */
int fiojob_parse_flows(const char *text, struct fiojob_section *ret,
		       size_t max);

/*
 * The fio folder of a job file (seed layout: fio/jobs/main.fio -> fio):
 * the parent of the job's folder when that is named "jobs", else the
 * job's folder. Allocated.
 */
char *fiojob_fio_dir(const char *job_path);

/*
 * Points DIR/current at the job (relative when it lies below DIR),
 * replacing the link atomically.
 */
int fiojob_update_current(const char *fio_dir, const char *job_path);

/*
 * Writes a host list, a word ("HOST,PORT", "sock:PATH") a line, from the
 * NULL-terminated words, with write_file_atomic().
 */
int fiojob_write_host_list(const char *path, const char *const *words);

#endif
