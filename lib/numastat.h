/* SPDX-License-Identifier: MIT */
/*
 * memory.numa_stat of a cgroup, both kernel formats, parsed by key:
 *
 *   v2:  "file N0=1234 N1=0"         bytes; event counters (workingset_*,
 *                                     pg*: pgdemote_*, pgpromote_*) counts
 *   v1:  "file=3 N0=2 N1=1"           pages, converted to bytes with the
 *                                     page size of the machine the text
 *                                     came from; the first value is the
 *                                     kernel's own total
 *
 * Unknown keys are kept, never dropped; their unit follows the same rule.
 * Every stat gets a total: the kernel's where the line gives one (v1),
 * else the sum over its nodes. A value or total that does not fit in 64
 * bits is an error (-ERANGE), never saturated.
 */
#ifndef DAXLAB_NUMASTAT_H
#define DAXLAB_NUMASTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#define NUMASTAT_KEY_MAX 64 /* longest key, with its NUL */
#define NUMASTAT_NODES_MAX 1024 /* highest node id + 1 accepted */

enum numastat_unit {
	NUMASTAT_BYTES,
	NUMASTAT_COUNT,
};

struct numastat_node {
	unsigned id; /* N<id> */
	uint64_t value;
};

struct numastat_stat {
	char key[NUMASTAT_KEY_MAX];
	size_t klen; /* strlen(key) */
	enum numastat_unit unit;
	bool kernel_total; /* total came from the kernel (v1) */
	uint64_t total;
	size_t n_nodes;
	size_t node_off; /* its nodes: numastat.node_pool[node_off...] */
};

/*
 * One parsed file. Reused from one read to the next: parsing again does not
 * allocate unless the file grew (more keys or nodes than ever before), and
 * keys that come in the same order as in the last parse are taken without
 * scanning or comparing them again (the result is the same as a fresh
 * parse's).
 */
struct numastat {
	struct numastat_stat *stats;
	size_t n_stats, cap_stats;
	struct numastat_node *node_pool;
	size_t n_pool, cap_pool;
	bool v1; /* at least one line was in the v1 format */
};

void numastat_init(struct numastat *ns);
void numastat_free(struct numastat *ns);

/*
 * Parses text of len bytes (no NUL needed) into ns, replacing what it held.
 * page_size converts v1 pages to bytes. Empty lines, a trailing '\r' and a
 * last line without '\n' are accepted. On error returns -EINVAL (malformed),
 * -ERANGE (number too big) or -ENOMEM, and writes "line N: what" into err
 * (if err is not NULL); ns then holds no stats.
 */
int numastat_parse(struct numastat *ns, const char *text, size_t len,
		   uint64_t page_size, struct error *err);

static inline const struct numastat_node *
numastat_nodes(const struct numastat *ns, const struct numastat_stat *st)
{
	return ns->node_pool + st->node_off;
}

/* The stat with that key, or NULL. */
const struct numastat_stat *numastat_find(const struct numastat *ns,
					  const char *key);

const char *numastat_unit_name(enum numastat_unit u);

#endif
