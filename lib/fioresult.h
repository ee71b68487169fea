/* SPDX-License-Identifier: MIT */
/*
 * fio's JSON output, local (`jobs`) or client/server (`client_stats`),
 * and the split of I/O between jobs per host. Nothing here prints.
 */
#ifndef DAXLAB_FIORESULT_H
#define DAXLAB_FIORESULT_H

#include <stddef.h>
#include <stdint.h>

struct fio_jobres {
	char host[128]; /* "local" for a local run; "host:port" on clients */
	char name[64]; /* jobname */
	int error;
	uint64_t ios; /* read + write + trim total_ios */
	uint64_t bytes; /* read + write + trim io_bytes */
	uint64_t read_bytes; /* read io_bytes */
	double iops;
	double bw_bytes; /* bytes per second */
	/*
	 * Completion latency of the reads when there are any, else of the
	 * writes, else of the trims: which, the workload says, not which
	 * direction happened to do a few more I/Os.
	 */
	double mean_ns, p50_ns, p99_ns;
};

struct fio_result {
	size_t n;
	struct fio_jobres *jobs;
};

/*
 * Parses fio's JSON from text; text before the first line starting with
 * '{' is skipped, the "All clients" sum too. -EBADMSG when no JSON or no
 * jobs are found.
 */
int fioresult_parse(const char *text, struct fio_result **ret);
void fioresult_free(struct fio_result *r);

/* Hosts in order of first appearance; returns how many (at most max). */
size_t fioresult_hosts(const struct fio_result *r, const char **ret,
		       size_t max);
/* The job of host called name, or NULL. */
const struct fio_jobres *fioresult_find(const struct fio_result *r,
					const char *host, const char *name);
/* Total I/Os of a host. */
uint64_t fioresult_host_ios(const struct fio_result *r, const char *host);

#endif
