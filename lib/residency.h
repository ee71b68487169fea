/* SPDX-License-Identifier: MIT */
/*
 * residency.csv: where the file sets' pages sit, over time. Tidy rows,
 * header exactly
 *
 *   elapsed_ms,where,set,part,node,cgroup,bytes
 *
 * elapsed_ms  the sample's scheduled offset (the same on every row of it)
 * where       host, or the VM's name (measured inside the guest)
 * set         shared, private-ID
 * part        hot, cold, image (the virtio-pmem image of a set, host only)
 * node        N0, N1, ... (in a guest: the guest's own nodes), ? unknown
 * cgroup      the memory cgroup's path below the root ("/" for the root),
 *             - charged to none, ? not measurable, (removed)
 * bytes       resident bytes (whole pages)
 *
 * A sample of a set with nothing resident is one row with node and
 * cgroup "-" and bytes 0. Also here: the lines of guest/daxlab-resident,
 * the helper that measures inside a guest (guest/PROTOCOL.md). Nothing
 * here prints or exits.
 */
#ifndef DAXLAB_RESIDENCY_H
#define DAXLAB_RESIDENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "util.h"

#define RS_HEADER "elapsed_ms,where,set,part,node,cgroup,bytes"

enum rs_field { RS_WHERE, RS_SET, RS_PART, RS_NODE, RS_CGROUP, RS_FIELDS };

struct rs_row {
	int64_t t_ms;
	uint32_t f[RS_FIELDS]; /* interned names, see rs_name() */
	uint64_t bytes;
};

/* A whole residency.csv in memory, its names interned. */
struct rs_series {
	struct rs_row *rows;
	size_t n, cap;
	char **names;
	size_t n_names, cap_names;
	uint32_t *hash; /* open addressing over names, 0 = empty */
	size_t hash_cap;
	size_t n_samples; /* distinct elapsed_ms */
};

void rs_init(struct rs_series *s);
void rs_free(struct rs_series *s);

/*
 * Parses text (len bytes, read from path) into s, replacing what it held,
 * with csvread_text(): a last line without '\n' (a sampler still
 * writing) is left out. -EBADMSG with "FILE:LINE: what" in err for a
 * wrong header, a wrong field count, a bad number, an elapsed_ms that
 * goes back, or a name with a control character, a quote or non-ASCII.
 */
int rs_parse(struct rs_series *s, const char *path, const char *text,
	     size_t len, struct error *err);

const char *rs_name(const struct rs_series *s, uint32_t id);
/* The id of a name, or -1 when no row has it. */
int64_t rs_lookup(const struct rs_series *s, const char *name);

/*
 * Whether a name can go into a field: printable ASCII without ',', '"'
 * or a space at either end; not empty.
 */
bool rs_name_ok(const char *name);

/* One row as CSV text to f (names must pass rs_name_ok()). */
void rs_write_row(FILE *f, int64_t t_ms, const char *where, const char *set,
		  const char *part, const char *node, const char *cgroup,
		  uint64_t bytes);

/*
 * Whether a cgroup path (as residency.csv writes it) is dir or below it:
 * "/a/b" is below "/a" and "/"; "/ab" is not below "/a".
 */
bool rs_cgroup_within(const char *cgroup, const char *dir);

/*
 * ---- guest/daxlab-resident's output (guest/PROTOCOL.md) ----
 *
 *   daxlab-resident 1           first line: the protocol's version
 *   F INDEX SIZE                file INDEX (of the arguments, from 0)
 *   R INDEX NODE BYTES CGROUP   of it BYTES resident on NODE, charged
 *                               to CGROUP (the rest of the line)
 *   E INDEX ERRNO               file INDEX could not be read
 *   M TEXT                      what cannot be measured there
 */
#define RS_HELPER_VERSION 1

/*
 * Where guests have the helper: the tiny guest carries it
 * (lib/guestbuild.c); run with the guest paths of the sets' files.
 */
#define RS_GUEST_HELPER "/usr/libexec/daxlab/daxlab-resident"

struct rs_helper_cb {
	void *ud;
	/* a resident piece of file index; a negative return stops */
	int (*resident)(void *ud, size_t index, const char *node,
			const char *cgroup, uint64_t bytes);
	/* file index could not be read (errno value); may be NULL */
	void (*failed)(void *ud, size_t index, int err);
	/* file index was read (its F line); may be NULL */
	void (*file)(void *ud, size_t index);
};

/*
 * Parses the helper's output for n_files arguments. -EPROTO with "line N:
 * what" in err for a line that does not parse, an index out of range or
 * another version; what cannot be measured goes into missing ("" when
 * all can).
 */
int rs_helper_parse(const char *text, size_t len, size_t n_files,
		    const struct rs_helper_cb *cb, char *missing,
		    size_t missing_len, struct error *err);

#endif
