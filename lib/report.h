/* SPDX-License-Identifier: MIT */
/*
 * The report of one or more results folders (lib/results.h): where file
 * data sat at the end and over time, how much of the data set was cached
 * once and how much twice, and fio's results per VM and set. Written as
 * report.html (self-contained: inline CSS and SVG) and summary.txt.
 *
 * The accounting (man daxlab-report(1), "HOW BYTES ARE COUNTED"):
 *
 * - page cache of a source = file - shmem (shmem 0 where the source has
 *   none: cgroup v1 keeps shmem out of file), per node and total; for
 *   the host's root cgroup on v1, hierarchical_file (its own file counts
 *   only pages charged to the root itself);
 * - a guest's copy = growth of its page cache from the first tick to the
 *   last; it is attributed to its private set first (up to the set's
 *   size), the rest to the shared set unless that share had DAX in that
 *   guest;
 * - the host's copy of a set = its resident bytes at the end
 *   (residency.csv; for a shared set on virtio-pmem, the image's);
 * - for each set, with its copies sorted c1 >= c2 >= ...: cached = c1,
 *   cached twice or more = c2, cached once = c1 - c2 (the smaller copies
 *   are taken to be subsets of the larger, which holds when the guest
 *   reads through the host's page cache), extra = c2 + c3 + ...
 *
 * Nothing here prints or exits.
 */
#ifndef DAXLAB_REPORT_H
#define DAXLAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "provenance.h"
#include "results.h"
#include "util.h"

enum source_kind {
	SRC_HOST, /* the host's root cgroup */
	SRC_VIRTIOFSD, /* virtiofsd's cgroup */
	SRC_VM_CGROUP, /* a VM's cgroup on the host (qemu) */
	SRC_GUEST, /* inside a guest */
	SRC_OTHER,
};
const char *report_kind_name(enum source_kind k);

/* Page cache (file - shmem) of one source and node, per tick. */
struct report_series {
	char *source;
	char *node; /* "N0", ..., "total" */
	enum source_kind kind;
	char *vm; /* the VM's id for VM cgroups and guests, else NULL */
	size_t n, cap; /* points, and room for them in each column */
	int64_t *t_ms; /* elapsed_ms */
	int64_t *file; /* bytes */
	int64_t *shmem; /* bytes, 0 when the source has none */
	int64_t *hfile; /* hierarchical_file (cgroup v1) */
	bool has_shmem;
	bool has_hfile;
};
/* The page cache of point i. */
int64_t report_pagecache(const struct report_series *s, size_t i);

/* One set's copies and the once/twice split (header comment). */
struct report_set {
	char name[80]; /* "shared", "private vm 0" */
	char vm[65]; /* empty for the shared set */
	bool shared;
	uint64_t size; /* bytes of the set (residency.csv) */
	uint64_t host; /* host copy */
	char host_via[16]; /* files | image */
	uint64_t guest[16]; /* copy in guest i (report_run.vms order) */
	bool dax[16]; /* the share had DAX in guest i */
	uint64_t cached; /* c1 */
	uint64_t twice; /* c2 */
	uint64_t once; /* c1 - c2 */
	uint64_t extra; /* c2 + c3 + ... */
};

/* fio's result of one job on one VM. */
struct report_fio {
	char vm[128]; /* VM name, or the host:port fio named */
	char job[64]; /* shared-hot, private-cold, ... */
	uint64_t ios, bytes; /* all I/Os; bytes read */
	double iops, mean_ns, p50_ns, p99_ns; /* of the reads, if any */
	double achieved_pct; /* share of the VM's I/Os */
	double asked_pct; /* from the job file's flow weights, -1 if unknown */
};

struct report_vm {
	char id[65];
	char name[65];
	int64_t guest_first, guest_last; /* guest page cache, total */
	bool have_guest;
};

/*
 * The closure of one source and node: its page cache (file - shmem at
 * the last tick of stats.csv) against the file sets' pages charged to it
 * at the last sample of residency.csv (its cgroup and those below; a
 * guest: all of the guest's). other = pagecache - explained. It adds up
 * unless explained exceeds the page cache by more than REPORT_CLOSURE_TOL
 * of it plus REPORT_CLOSURE_SLACK bytes.
 */
#define REPORT_CLOSURE_TOL 0.02
#define REPORT_CLOSURE_SLACK (1u << 20)
#define REPORT_MAX_SETS 17 /* the shared set and a private set per VM */
struct report_closure {
	char source[64];
	enum source_kind kind;
	char where[65]; /* host, or the VM's name */
	char cgroup[256]; /* "/" for the host root and for guests */
	char node[16]; /* N0, ..., total */
	int64_t pagecache;
	uint64_t explained;
	int64_t other;
	bool adds_up;
	uint64_t by_set[REPORT_MAX_SETS]; /* report_run.rs_sets order */
};

/*
 * How many times each byte of a set is cached at the end, per host node
 * (node "all": the copies wherever they are). The places that hold a
 * copy: the host's files, the host's virtio-pmem image, each guest (a
 * guest's copy sits on its VM's node). With the copies sorted c1 >= c2
 * >= ..., and each taken to be a subset of the larger ones (a guest reads
 * through the host's cache): times[k] = c(k+1) - c(k+2), the bytes cached
 * exactly k + 1 times; c1 = the bytes cached at all.
 */
struct report_copies {
	char set[80]; /* shared, private-0, ... (residency.csv's names) */
	char node[16]; /* N0, ..., ?, all */
	size_t n_places; /* places with a copy there */
	uint64_t cached; /* c1 */
	uint64_t times[REPORT_MAX_SETS + 2]; /* times[k]: exactly k + 1 */
};

struct rs_series;

struct report_run {
	char *dir;
	char *name; /* the folder's last component */
	enum results_status status;
	char *reason;
	struct provenance prov;
	char **warnings; /* what was missing or odd, for the report */
	size_t n_warnings;

	struct report_series *series;
	size_t n_series;
	int64_t duration_ms; /* last tick */
	/*
	 * stats.csv missing, empty or ending in the middle of a line: the
	 * monitor was cut short, so the page-cache figures end early: the
	 * warning that says so (in warnings), else NULL
	 */
	const char *stats_cut;

	struct report_vm vms[16];
	size_t n_vms;

	struct residency_row *res;
	size_t n_res;
	struct report_set *sets;
	size_t n_sets;

	struct report_fio *fio;
	size_t n_fio;

	/* residency.csv over time (lib/report_residency.c) */
	struct rs_series *rs; /* NULL: none, or the old end table */
	/* each place's (host's, guest's) rows at its own last sample */
	struct rs_row *rs_end;
	size_t n_rs_end;
	char rs_sets[REPORT_MAX_SETS][80]; /* its sets, in order */
	size_t n_rs_sets;
	struct report_closure *closure;
	size_t n_closure;
	struct report_copies *copies;
	size_t n_copies;
};

/*
 * Loads a results folder. Missing parts (no stats.csv yet, no fio.json)
 * are not errors: they are listed in warnings. A malformed file is
 * -EBADMSG with "FILE:LINE: what" in err; a folder that is not a results
 * folder (no status and no provenance) is -ENOENT.
 */
int report_load(const char *dir, struct report_run **ret, struct error *err);
void report_run_free(struct report_run *r);

const struct report_series *report_find_series(const struct report_run *r,
					       const char *source,
					       const char *node);
/* Growth of a source's page cache (last - first), total node. */
bool report_growth(const struct report_run *r, const char *source,
		   int64_t *ret);

/*
 * closure.csv of a run: one row per source and node,
 *   source,kind,where,cgroup,node,pagecache,explained,other,explained_pct,adds_up,by_set
 * by_set: "SET=BYTES" for each set that explains some, ';'-separated.
 */
#define REPORT_CLOSURE_HEADER                                               \
	"source,kind,where,cgroup,node,pagecache,explained,other,"         \
	"explained_pct,adds_up,by_set"
int report_write_closure_csv(FILE *f, const struct report_run *r);
/* Writes r->dir/closure.csv when the run has a closure (0 when not). */
int report_save_closure(const struct report_run *r);

/*
 * Writes the report of runs (one: that run; several: side by side), with
 * a section (HTML, or text for the summary; NULL: none) before the runs:
 * the statistics of repetitions (lib/sweep.h).
 */
int report_write_html(FILE *f, struct report_run *const *runs, size_t n,
		      const char *section);
int report_write_summary(FILE *f, struct report_run *const *runs, size_t n,
			 const char *section);
/*
 * The report (html) or summary of runs, with section, written to path in
 * one piece (write_file_atomic): the one writer of report files for run,
 * report and a sweep's folder.
 */
int report_save(const char *path, struct report_run *const *runs, size_t n,
		bool html, const char *section, struct error *err);

#endif
