/* SPDX-License-Identifier: MIT */
/*
 * The file sets' page cache inside the guests: daxlab-resident
 * (guest/PROTOCOL.md) run in each guest, over one ssh connection per
 * guest kept for the whole series (lib/sshchan.c, every word quoted), its
 * lines parsed by rs_helper_parse() and summed per set, part, node and
 * cgroup into rows of residency.csv with where = the VM's name.
 *
 * The caller drives it per sample: gres_ask() before its own (host)
 * measurement, gres_wait() after, then gres_rows() of each guest that
 * answered. A guest that is not connected yet, or still busy with an
 * older sample, is not asked: it has no rows in that sample. Nothing here
 * prints or exits.
 */
#ifndef DAXLAB_GUESTRES_H
#define DAXLAB_GUESTRES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct gres;

/*
 * A guest: where (its name in residency.csv), ssh_host ([user@]host, an
 * alias of ssh_config or NULL for ssh's own), helper: the program's path
 * in the guest (RS_GUEST_HELPER).
 */
struct gres *gres_new(const char *where, const char *ssh_host,
		      const char *ssh_config, const char *helper);
void gres_free(struct gres *g);

/* A file to measure: its path in the guest, and its set and part. */
int gres_add_file(struct gres *g, const char *guest_path, const char *set,
		  const char *part);

const char *gres_where(const struct gres *g);

/*
 * Asks every guest that can answer for sample seq (connects those that
 * are down, at most every 5 s). Returns how many were asked.
 */
size_t gres_ask(struct gres *const *g, size_t n, uint64_t seq, int64_t now_ns);

/*
 * Reads answers until every guest asked for seq has answered (at once
 * when none was asked), or until deadline_ns (CLOCK_MONOTONIC). Guests
 * that are still connecting make progress too. Returns how many answered.
 */
size_t gres_wait(struct gres *const *g, size_t n, uint64_t seq,
		 int64_t deadline_ns);

/*
 * Makes progress on connections and late answers until deadline_ns, or
 * until *stop becomes nonzero; with stop NULL, until every guest with
 * files is connected (or was refused: see gres_last_error()).
 */
void gres_idle(struct gres *const *g, size_t n, int64_t deadline_ns,
	       const volatile int *stop);

/* Whether g answered sample seq (since gres_ask()). */
bool gres_answered(const struct gres *g, uint64_t seq);

typedef void (*gres_row_fn)(void *ud, const char *set, const char *part,
			    const char *node, const char *cgroup,
			    uint64_t bytes);

/*
 * The rows of g's answer: per (set, part), each node and cgroup with its
 * bytes, or one row with node and cgroup "-" and bytes 0 when nothing is
 * resident. A (set, part) of whose files none could be read has no rows;
 * err then names the first such file ("PATH: strerror"). missing: what
 * the guest could not measure (pageowner_missing(), e.g. "cgroup"), ""
 * when all. -EPROTO with err for an answer that does not parse or a
 * helper that failed (its output in err).
 */
int gres_rows(const struct gres *g, gres_row_fn fn, void *ud, char *missing,
	      size_t missing_len, struct error *err);

/* gres_rows() of a helper's output text and exit status rc (for tests). */
int gres_rows_text(const struct gres *g, const char *text, size_t len, int rc,
		   gres_row_fn fn, void *ud, char *missing, size_t missing_len,
		   struct error *err);

/* Why g is not connected, or "" (ssh's last error). */
const char *gres_last_error(const struct gres *g);

#endif
