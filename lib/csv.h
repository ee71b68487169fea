/* SPDX-License-Identifier: MIT */
/*
 * The stats CSV writer (docs/architecture.md): header exactly
 *
 *   epoch_ms,elapsed_ms,source,stat,node,value,unit
 *
 * Rows are collected per tick in memory and written with one write(2) when
 * the tick is committed, so a reader (or a crash, or a signal) never sees
 * half a tick in a regular file. If a write fails (ENOSPC, EIO), a regular
 * file is cut back to the end of the last whole tick, so what was written
 * stays intact and ends with a complete line.
 *
 * Fields are written as given: callers pass names that need no quoting
 * (valid_name() sources, kernel keys); csv_field_ok() checks that.
 */
#ifndef DAXLAB_CSV_H
#define DAXLAB_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The header line, without its newline; the writer and the reader use it. */
#define CSV_HEADER "epoch_ms,elapsed_ms,source,stat,node,value,unit"

struct csv_writer {
	int fd;
	bool regular; /* fd is a regular file: can be cut back */
	off_t committed; /* bytes of whole ticks written so far */
	char *buf;
	size_t len, cap;
	/* the current tick's first two fields, formatted once */
	char prefix[48];
	size_t prefix_len;
	uint64_t rows; /* rows committed */
	uint64_t pending_rows;
};

/* Takes fd (not closed by the writer) and writes the header. */
int csv_writer_open(struct csv_writer *w, int fd);
void csv_writer_free(struct csv_writer *w);

/* Starts a tick; rows added after belong to it. */
void csv_tick_begin(struct csv_writer *w, int64_t epoch_ms,
		    uint64_t elapsed_ms);
/*
 * Adds a row (source, stat and unit given with their lengths); node is
 * "N<id>" when node_id >= 0, else "total". -ENOMEM only.
 */
int csv_add_row_n(struct csv_writer *w, const char *source, size_t ls,
		  const char *stat, size_t lk, long node_id, uint64_t value,
		  const char *unit, size_t lu);
/* Writes the tick in one write(2). Returns 0 or -errno (see above). */
int csv_tick_commit(struct csv_writer *w);
/* Drops the rows of the current tick. */
void csv_tick_abort(struct csv_writer *w);

/* A field that needs no quoting: no ',', '"', CR, LF, not empty. */
bool csv_field_ok(const char *s);

/* Decimal digits of v at p (needs 20 bytes); returns the length. */
size_t csv_format_u64(char *p, uint64_t v);

#endif
