/* SPDX-License-Identifier: MIT */
/*
 * Between lib/report.c and the report's parts in other files
 * (lib/report_residency.c): the chart helpers and the hooks. Not for
 * other parts of daxlab.
 */
#ifndef DAXLAB_REPORT_PRIV_H
#define DAXLAB_REPORT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "util.h"

/* ---- lib/report.c ---- */

/* Adds a line to r->warnings, printf-style. */
int report_warn(struct report_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * An inline <svg> chart (class cls, W x H, its title) of MiB over time
 * (s), for the report's CSS: the plot area at (L, T), pw by ph; the
 * largest values *xmax and *ymax rounded up to a step for about 5 ticks,
 * a grid line every y step, a tick every x step, the axes' titles.
 */
void report_time_chart(FILE *f, const char *cls, const char *title, double W,
		       double H, double L, double T, double pw, double ph,
		       double *xmax, double *ymax);
/* The shared set (vm "") or the private set of vm; NULL when none. */
struct report_set *report_find_set(struct report_run *r, bool shared,
				   const char *vm);
/* The report's i-th series colour. */
const char *report_color(size_t i);
/* qsort() of uint64_t from the largest down. */
int report_cmp_desc(const void *a, const void *b);

/* ---- lib/report_residency.c ---- */

/*
 * Loads residency.csv over time (after stats.csv and the VMs) and
 * computes the closure. No residency.csv, or the end
 * table of older runs under that name: a warning, or nothing. A
 * malformed one: -EBADMSG with "FILE:LINE: what" in err.
 */
int report_residency_load(struct report_run *r, struct error *err);
/*
 * After the sets table is made: the copies of each set per node, an
 * image counted for no more than its set's size (it holds metadata too).
 */
int report_residency_copies(struct report_run *r);
void report_residency_free(struct report_run *r);
/*
 * The guest copy of a set as measured inside guest vm (its name) at the
 * last sample; false when that guest was not measured.
 */
bool report_residency_guest(const struct report_run *r, bool shared,
			    const char *vm_id, const char *vm_name,
			    uint64_t *ret);
/* The per-set charts (HTML), the copies and the closure, for one run. */
void report_residency_write(FILE *f, const struct report_run *r, bool html);

#endif
