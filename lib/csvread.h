/* SPDX-License-Identifier: MIT */
/*
 * A streaming reader of the stats CSV (docs/architecture.md):
 *
 *   epoch_ms,elapsed_ms,source,stat,node,value,unit
 *
 * It reads a byte range of a file in large blocks, finds separators a
 * vector at a time, interns source, stat, node and unit names, and hands
 * every row whose stat was asked for to a callback. Rows of other stats
 * are checked for their field count and for stray bytes, and their source
 * and stat are recorded, but their numbers are not parsed. Memory does not
 * grow with the file: one block buffer plus the name tables.
 *
 * Malformed input (wrong header, wrong field count, a non-numeric or
 * out-of-range number, an invalid name, control or non-ASCII bytes) ends
 * the run with -EBADMSG and a message "FILE:LINE: what". CRLF line ends
 * are accepted. A last line without its newline (a file still being
 * written) is not an error: it is skipped and reported by
 * csvread_partial_line().
 */
#ifndef DAXLAB_CSVREAD_H
#define DAXLAB_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv.h" /* CSV_HEADER */
#include "util.h"

enum csv_name_kind {
	CSV_SOURCE,
	CSV_STAT,
	CSV_NODE,
	CSV_UNIT,
	_CSV_NAME_KIND_MAX,
};

/* One row; names are ids, see csvread_name(). */
struct csv_row {
	int64_t epoch_ms;
	int64_t elapsed_ms;
	int64_t value;
	uint32_t source;
	uint32_t stat;
	uint32_t node;
	uint32_t unit;
};

/* Returns 0 to go on, or a negative errno to stop the run with it. */
typedef int (*csv_row_fn)(const struct csv_row *row, void *userdata);

struct csvread;

/*
 * A reader of bytes [start, end) of path; fd is open on it (the reader
 * does not close it). start must be 0 (the header is checked there) or
 * the first byte of a line. end is where the caller stops; when it is the
 * file's size, a line cut there is the file's partial last line.
 */
int csvread_new(const char *path, int fd, uint64_t start, uint64_t end,
		struct csvread **ret);
void csvread_free(struct csvread *r);

/*
 * Asks for the rows of stat; returns its id (>= 0) or -errno. Without
 * any call, every row is handed over.
 */
int csvread_want(struct csvread *r, const char *stat);

/*
 * Reads the range, calling fn for each row asked for. 0 on success; else
 * -errno, with csvread_error() telling what (and where) went wrong.
 */
int csvread_run(struct csvread *r, csv_row_fn fn, void *userdata);
const char *csvread_error(const struct csvread *r);

/* The names seen so far, in order of first appearance. */
uint32_t csvread_count(const struct csvread *r, enum csv_name_kind kind);
const char *csvread_name(const struct csvread *r, enum csv_name_kind kind,
			 uint32_t id);
/* Whether the name was seen in the data (csvread_want() adds unseen ones). */
bool csvread_seen(const struct csvread *r, enum csv_name_kind kind,
		  uint32_t id);

/* Rows read (all stats). */
uint64_t csvread_rows(const struct csvread *r);

/* The 1-based line number of an incomplete last line, or 0. */
uint64_t csvread_partial_line(const struct csvread *r);

/*
 * Splits [0, size) of the file into n ranges that start at a line where
 * elapsed_ms changes (a new tick), so that no tick is split. ret_bounds
 * gets n + 1 offsets; ranges may be empty. Returns the number of ranges.
 */
int csvread_split(int fd, uint64_t size, unsigned n, uint64_t *ret_bounds);

/*
 * The scan uses AVX-512BW or AVX2 where the CPU has them (avx2 < 0:
 * check, the default); 0 forces the generic code, 1 the AVX2 code, for
 * tests. Returns whether AVX2 (or more) is used.
 */
bool csvread_simd(int avx2);

/*
 * ---- a small CSV in memory (residency.csv) ----
 *
 * text[0, len) is a header line, exactly header, then lines of n_fields
 * fields (at most CSV_TEXT_MAX_FIELDS), each handed to fn as spans. CRLF
 * line ends are accepted and blank lines skipped; a last line without its
 * newline is a line when the text is whole, else left out (a file still
 * being written). A wrong header, a
 * wrong field count, a control or non-ASCII byte, or fn's -EBADMSG (with
 * what is wrong in msg) end it with -EBADMSG and err "FILE:LINE: what";
 * fn's other errors end it as they are.
 */
#define CSV_TEXT_MAX_FIELDS 16
struct csv_span {
	const char *p;
	size_t len;
};
typedef int (*csv_fields_fn)(const struct csv_span *f, void *ud,
			     struct error *msg);
int csvread_text(const char *path, const char *text, size_t len,
		 const char *header, unsigned n_fields, bool whole,
		 csv_fields_fn fn, void *ud, struct error *err);

/* 1-based line number of a byte offset (counts newlines before it). */
uint64_t csvread_line_of(int fd, uint64_t offset);

#endif
