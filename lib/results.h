/* SPDX-License-Identifier: MIT */
/*
 * The results folder of one experiment (man daxlab-run(1)):
 *
 *   results/<YYYYmmdd-HHMMSS>-<name>/   0755
 *     status          complete | incomplete: REASON | failed: REASON
 *                     (running while the run is on)
 *     config.ini      the configuration as used
 *     provenance.json versions, topology, accel, VMs, shares and whether
 *                     each really had DAX (lib/provenance.h)
 *     provenance.txt  the same as "key = value" lines, for people
 *     cmdlines.txt    the exact virtiofsd and qemu argument lists
 *     fio.job         the job file; fio.json fio's client JSON
 *     stats.csv       the monitor's CSV (docs/architecture.md)
 *     residency.csv   host page cache per file set at the end
 *     run.log         the progress lines
 *     report.html, summary.txt
 *
 * Nothing here prints or exits; failures are -errno.
 */
#ifndef DAXLAB_RESULTS_H
#define DAXLAB_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "util.h"

enum results_status {
	RESULTS_RUNNING,
	RESULTS_COMPLETE,
	RESULTS_INCOMPLETE,
	RESULTS_FAILED,
	RESULTS_UNKNOWN, /* no status file, or one we cannot read */
};

const char *results_status_name(enum results_status s);

/*
 * Creates base (and its parents) and base/<YYYYmmdd-HHMMSS>-<name>, local
 * time of when, mode 0755. When that folder exists, "-2", "-3", ... is
 * appended. name must pass valid_name(). *ret_dir is allocated.
 */
int results_create(const char *base, const char *name, time_t when,
		   char **ret_dir);

/* Creates exactly dir (its parent must exist), mode 0755. */
int results_create_at(const char *dir, char **ret_dir);

/* Writes dir/file (0644) with write_file_atomic(). */
int results_write(const char *dir, const char *file, const char *text);
/* Appends text to dir/file, creating it. */
int results_append(const char *dir, const char *file, const char *text);

/*
 * The status file: "complete", "running", "incomplete: REASON" or
 * "failed: REASON", one line. A reason holds no newline (they are turned
 * into spaces).
 */
/*
 * Whether dir's stats.csv is missing, empty or ends in the middle of a
 * line: a complete run with such a one had its monitor cut short (an
 * older daxlab marked it complete), and report_load() says so.
 */
bool results_stats_cut(const char *dir);
/*
 * Syncs the file system of dir: what the run wrote (stats.csv, its
 * helpers' CSVs) is on disk before its status says complete.
 */
int results_sync(const char *dir);
int results_set_status(const char *dir, enum results_status s,
		       const char *reason);
/* *ret_reason (may be NULL) is allocated or NULL when there is none. */
int results_get_status(const char *dir, enum results_status *ret,
		       char **ret_reason);

/* "key = value" lists, in order; keys hold no '=' or spaces. */
struct kv {
	char *key;
	char *value;
};
struct kvlist {
	struct kv *v;
	size_t n;
};

/* Adds (or replaces) key; newlines in the value become spaces. */
int kv_set(struct kvlist *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Allocated text, one "key = value" line per entry. */
char *kv_format(const struct kvlist *l);
/* Parses text; blank lines and lines starting with '#' are skipped. */
int kv_parse(const char *text, struct kvlist *ret);
void kv_free(struct kvlist *l);

/*
 * The first non-empty output line of argv (e.g. {"fio", "--version"}),
 * allocated; "unknown (REASON)" when it cannot be run. Never NULL unless
 * out of memory.
 */
char *results_tool_version(const char *const *argv);

/*
 * Whether a mount's options (as /proc/mounts shows them) mean DAX for
 * every file: dax or dax=always (not dax=inode, which is per file).
 */
bool results_options_have_dax(const char *options);

/* What the tiny guest said about one mount on its console. */
struct mount_line {
	char mount[256];
	bool ok;
	char fstype[32];
	char options[512]; /* options when ok, the error text when not */
};
/*
 * Finds the DAXLAB-MOUNT-OK and DAXLAB-MOUNT-FAILED lines of a console
 * log (guest/PROTOCOL.md). Returns how many (at most max).
 */
size_t results_parse_mount_lines(const char *console, struct mount_line *ret,
				 size_t max);

/*
 * residency.csv: the host page cache of each file set at the end.
 *
 *   set,vm,via,node,resident,size
 *
 * set: shared | private; vm: the VM's id for a private set, empty for the
 * shared one; via: files (the set's files on the host) or image (the
 * virtio-pmem image the shared set was served from); node: total, N0,
 * N1, ..., unknown; resident and size in bytes (size only on total rows,
 * empty elsewhere).
 */
#define RESIDENCY_HEADER "set,vm,via,node,resident,size"
struct residency_row {
	char set[16];
	char vm[65];
	char via[16];
	char node[16];
	uint64_t resident;
	uint64_t size; /* total rows only */
};
/* Allocated CSV text of the rows. */
char *residency_format(const struct residency_row *rows, size_t n);
/*
 * Parses the table (residency-end.csv, an old residency.csv) read from
 * path, with csvread_text(); -EBADMSG with "FILE:LINE: what" in err.
 */
int residency_parse(const char *path, const char *text,
		    struct residency_row **ret, size_t *ret_n,
		    struct error *err);

/*
 * Measures files (NULL-terminated paths) in the host page cache: appends
 * a total row and one row per node with resident bytes to *rows. For via
 * "image", a virtio-pmem image's pages that hold its files' data, where
 * their ranges are known (lib/imgextents.h); else the whole image.
 */
int residency_measure(const char *set, const char *vm, const char *via,
		      const char *const *paths, struct residency_row **rows,
		      size_t *n);

#endif
