/* SPDX-License-Identifier: MIT */
/*
 * Who holds each resident page of a file in the host page cache: the NUMA
 * node of its page frame and the memory cgroup it is charged to.
 *
 *   resident pages  mincore() of a shared read-only mapping of the file
 *   page frame      /proc/self/pagemap of that mapping, after touching
 *                   only the resident pages (minor faults, no I/O)
 *   memory cgroup   /proc/kpagecgroup: the inode of the cgroup's folder,
 *                   matched to the folders below the memory hierarchy
 *   NUMA node       the frame's memory block (/sys/devices/system/memory:
 *                   block_size_bytes, memoryN/nodeK)
 *
 * Reading page frames needs CAP_SYS_ADMIN; /proc/kpagecgroup needs a
 * kernel with CONFIG_MEMCG and CONFIG_PROC_PAGE_MONITOR. What is missing
 * is said (pageowner_missing()), never guessed: its figures are counted
 * as unknown.
 */
#ifndef DAXLAB_PAGEOWNER_H
#define DAXLAB_PAGEOWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PO_NODE_UNKNOWN (-1)
#define PO_CGROUP_NONE (-1)    /* charged to no cgroup */
#define PO_CGROUP_UNKNOWN (-2) /* no /proc/kpagecgroup, or no frame */
#define PO_CGROUP_GONE (-3)    /* a cgroup whose folder was removed */

/* Bytes of one (cgroup, node) pair. */
struct po_count {
	int cgroup; /* index for pageowner_cgroup_path(), or PO_CGROUP_* */
	int node;   /* or PO_NODE_UNKNOWN */
	uint64_t bytes;
};

struct po_tally {
	struct po_count *c;
	size_t n, cap;
	uint64_t size;     /* bytes of the files */
	uint64_t span; /* the same in whole pages: what bytes are out of */
	uint64_t resident; /* bytes resident, the sum of c[] */
};

struct pageowner;

/*
 * memory_dir: /sys/devices/system/memory; cgroup_root: the memory
 * hierarchy's root (/sys/fs/cgroup on v2, /sys/fs/cgroup/memory on v1),
 * or NULL to attribute no cgroups. Missing kernel files are not an
 * error: see pageowner_missing().
 */
int pageowner_new(const char *memory_dir, const char *cgroup_root,
		  struct pageowner **ret);
void pageowner_free(struct pageowner *po);

/* What cannot be measured here, "" when all can; e.g. "cgroup". */
const char *pageowner_missing(const struct pageowner *po);

struct fs_ranges;
/*
 * Adds the resident pages of path (of its ranges only, if not NULL) to t,
 * in one pass: with only and rest, the pages no range touches to rest.
 * Each tally gets the file's size.
 */
int pageowner_file(struct pageowner *po, const char *path,
		   const struct fs_ranges *only, struct po_tally *t,
		   struct po_tally *rest);

/* The cgroup's path below the root ("/" for the root itself). */
const char *pageowner_cgroup_path(const struct pageowner *po, int cgroup);

void po_tally_free(struct po_tally *t);
/* Adds bytes to (cgroup, node). */
int po_tally_add(struct po_tally *t, int cgroup, int node, uint64_t bytes);

/* ---- the parsers, for tests ---- */

/* A pagemap entry: whether the page is present, and its frame number. */
bool po_pagemap_pfn(uint64_t entry, uint64_t *ret_pfn);

/*
 * The node of every memory block below memory_dir: *ret_nodes[i] for
 * block i (PO_NODE_UNKNOWN where none), *ret_block_bytes from
 * block_size_bytes (hexadecimal).
 */
int po_read_blocks(const char *memory_dir, int **ret_nodes, size_t *ret_n,
		   uint64_t *ret_block_bytes);

#endif
