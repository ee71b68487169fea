// SPDX-License-Identifier: MIT
/* Node and memory cgroup of each resident page; see pageowner.h. */
#include "pageowner.h"
#include "array.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileset.h"
#include "util.h"

struct po_cg {
	uint64_t ino;
	char *path;
};

struct pageowner {
	int pagemap_fd;
	int kpagecgroup_fd; /* -1: not there, or no cgroup root given */
	bool no_pfn; /* a resident page showed no frame number */
	long psz;
	int *block_node;
	size_t n_blocks;
	uint64_t block_pages;
	struct po_cg *cg;
	size_t n_cg;
	char missing[128];
};

bool po_pagemap_pfn(uint64_t entry, uint64_t *ret_pfn)
{
	/* bit 63 present, bit 62 swapped, bits 0-54 the frame number */
	*ret_pfn = entry & ((1ULL << 55) - 1);
	return (entry >> 63) & 1;
}

/* The N of "memoryN" or "nodeN", -1 for other names. */
static long name_number(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t v;

	if (strncmp(name, prefix, n) || parse_u64(name + n, &v) < 0 ||
	    v > 1u << 24)
		return -1;
	return (long)v;
}

static int block_node_of(const char *memory_dir, const char *block)
{
	_cleanup_free_ char *p = strdup_printf("%s/%s", memory_dir, block);
	DIR *d;
	struct dirent *de;
	int node = PO_NODE_UNKNOWN;

	if (!p || !(d = opendir(p)))
		return PO_NODE_UNKNOWN;
	while ((de = readdir(d))) {
		long k = name_number(de->d_name, "node");

		if (k >= 0) {
			node = (int)k;
			break;
		}
	}
	closedir(d);
	return node;
}

int po_read_blocks(const char *memory_dir, int **ret_nodes, size_t *ret_n,
		   uint64_t *ret_block_bytes)
{
	_cleanup_free_ char *bs =
		strdup_printf("%s/block_size_bytes", memory_dir);
	_cleanup_free_ char *t = NULL;
	char *end;
	int *nodes = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int r;

	if (!bs)
		return -ENOMEM;
	/* block_size_bytes is in hex */
	r = read_full_file(bs, 64, &t, NULL);
	if (r < 0)
		return r;
	errno = 0;
	*ret_block_bytes = strtoull(t, &end, 16);
	if (errno || end == t || (*end && *end != '\n') || !*ret_block_bytes)
		return -EINVAL;
	d = opendir(memory_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		long k = name_number(de->d_name, "memory");
		int node;

		if (k < 0)
			continue;
		node = block_node_of(memory_dir, de->d_name);
		if ((size_t)k >= n) {
			size_t nn = (size_t)k + 1;
			int *v = realloc(nodes, nn * sizeof(*v));

			if (!v) {
				closedir(d);
				free(nodes);
				return -ENOMEM;
			}
			for (size_t i = n; i < nn; i++)
				v[i] = PO_NODE_UNKNOWN;
			nodes = v;
			n = nn;
		}
		nodes[k] = node;
	}
	closedir(d);
	*ret_nodes = nodes;
	*ret_n = n;
	return 0;
}

/* ---- cgroup folders by inode ---- */

static struct pageowner *walking;
static const char *walk_root;
static int walk_err;

static int walk_one(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	struct pageowner *po = walking;
	const char *rel = path + strlen(walk_root);
	struct po_cg *v;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	v = ARRAY_PUSH(po->cg, po->n_cg);
	if (v) {
		v->ino = st->st_ino;
		v->path = strdup(*rel ? rel : "/");
	}
	if (!v || !v->path) {
		walk_err = -ENOMEM;
		return 1;
	}
	return 0;
}

static int cmp_cg(const void *a, const void *b)
{
	const struct po_cg *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int load_cgroups(struct pageowner *po, const char *root)
{
	/* nftw() has no user pointer: one walk at a time */
	walking = po;
	walk_root = root;
	walk_err = 0;
	if (nftw(root, walk_one, 32, FTW_PHYS | FTW_MOUNT) < 0 && !walk_err)
		walk_err = -errno;
	walking = NULL;
	if (walk_err)
		return walk_err;
	if (po->n_cg > 1)
		qsort(po->cg, po->n_cg, sizeof(*po->cg), cmp_cg);
	return 0;
}

static int cgroup_of_ino(const struct pageowner *po, uint64_t ino)
{
	size_t lo = 0, hi = po->n_cg;

	if (!ino)
		return PO_CGROUP_NONE;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (po->cg[mid].ino == ino)
			return (int)mid;
		if (po->cg[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return PO_CGROUP_GONE;
}

const char *pageowner_cgroup_path(const struct pageowner *po, int cgroup)
{
	switch (cgroup) {
	case PO_CGROUP_NONE:
		return "-";
	case PO_CGROUP_UNKNOWN:
		return "?";
	case PO_CGROUP_GONE:
		return "(removed)";
	}
	if (cgroup < 0 || (size_t)cgroup >= po->n_cg)
		return "?";
	return po->cg[cgroup].path;
}

/* ---- set up ---- */

static void add_missing(struct pageowner *po, const char *what)
{
	str_appendf(po->missing, sizeof(po->missing), ", ", "%s", what);
}

int pageowner_new(const char *memory_dir, const char *cgroup_root,
		  struct pageowner **ret)
{
	struct pageowner *po = calloc(1, sizeof(*po));
	uint64_t block_bytes = 0;
	int r;

	if (!po)
		return -ENOMEM;
	po->psz = sysconf(_SC_PAGESIZE);
	po->kpagecgroup_fd = -1;
	po->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (po->pagemap_fd < 0) {
		r = -errno;
		free(po);
		return r;
	}
	if (po_read_blocks(memory_dir, &po->block_node, &po->n_blocks,
			   &block_bytes) < 0 ||
	    block_bytes < (uint64_t)po->psz) {
		free(po->block_node);
		po->block_node = NULL;
		po->n_blocks = 0;
		add_missing(po, "node (no memory blocks in sysfs)");
	} else {
		po->block_pages = block_bytes / (uint64_t)po->psz;
	}
	if (cgroup_root) {
		po->kpagecgroup_fd =
			open("/proc/kpagecgroup", O_RDONLY | O_CLOEXEC);
		if (po->kpagecgroup_fd < 0)
			add_missing(po, "cgroup (no /proc/kpagecgroup)");
		r = load_cgroups(po, cgroup_root);
		if (r < 0) {
			pageowner_free(po);
			return r;
		}
	}
	*ret = po;
	return 0;
}

void pageowner_free(struct pageowner *po)
{
	if (!po)
		return;
	if (po->pagemap_fd >= 0)
		close(po->pagemap_fd);
	if (po->kpagecgroup_fd >= 0)
		close(po->kpagecgroup_fd);
	for (size_t i = 0; i < po->n_cg; i++)
		free(po->cg[i].path);
	free(po->cg);
	free(po->block_node);
	free(po);
}

const char *pageowner_missing(const struct pageowner *po)
{
	return po->missing;
}

/* ---- the tally ---- */

int po_tally_add(struct po_tally *t, int cgroup, int node, uint64_t bytes)
{
	for (size_t i = t->n; i-- > 0;)
		if (t->c[i].cgroup == cgroup && t->c[i].node == node) {
			t->c[i].bytes += bytes;
			t->resident += bytes;
			return 0;
		}
	if (ARRAY_RESERVE(t->c, t->n, t->cap, 16) < 0)
		return -ENOMEM;
	t->c[t->n++] = (struct po_count){ cgroup, node, bytes };
	t->resident += bytes;
	return 0;
}

void po_tally_free(struct po_tally *t)
{
	free(t->c);
	memset(t, 0, sizeof(*t));
}

/* ---- one file ---- */

static int node_of_pfn(const struct pageowner *po, uint64_t pfn)
{
	uint64_t b;

	if (!po->block_pages)
		return PO_NODE_UNKNOWN;
	b = pfn / po->block_pages;
	return b < po->n_blocks ? po->block_node[b] : PO_NODE_UNKNOWN;
}

static int cgroup_of_pfn(const struct pageowner *po, uint64_t pfn)
{
	uint64_t ino;

	if (po->kpagecgroup_fd < 0 ||
	    pread(po->kpagecgroup_fd, &ino, sizeof(ino),
		  (off_t)(pfn * sizeof(ino))) != (ssize_t)sizeof(ino))
		return PO_CGROUP_UNKNOWN;
	return cgroup_of_ino(po, ino);
}

#define PO_BATCH 4096 /* pagemap entries read at once */

int pageowner_file(struct pageowner *po, const char *path,
		   const struct fs_ranges *only, struct po_tally *t,
		   struct po_tally *rest)
{
	unsigned char want = 1 | (only && rest ? FS_PAGE_REST : 0);
	uint64_t pm[PO_BATCH];
	struct fs_mapped m;
	int r = fileset_map_resident(path, only, &m);

	if (r < 0)
		return r;
	t->size += m.size;
	t->span += (uint64_t)m.npages * m.page;
	if (want & FS_PAGE_REST) {
		rest->size += m.size;
		rest->span += (uint64_t)m.npages * m.page;
	}
	if (!m.size)
		return 0;
	for (size_t i = 0; i < m.npages; i += PO_BATCH) {
		size_t n = m.npages - i < PO_BATCH ? m.npages - i : PO_BATCH;
		off_t off = (off_t)((uintptr_t)(m.map + i * m.page) / m.page *
				    sizeof(uint64_t));
		bool any = false;

		fileset_recheck(&m, i, n);
		for (size_t j = 0; j < n; j++)
			if (m.vec[i + j] & want) {
				/* a minor fault maps the cached page */
				(void)*(volatile unsigned char *)(m.map +
								  (i +
								   j) * m.page);
				any = true;
			}
		if (!any)
			continue;
		if (pread(po->pagemap_fd, pm, n * sizeof(*pm), off) !=
		    (ssize_t)(n * sizeof(*pm))) {
			r = errno ? -errno : -EIO;
			goto out;
		}
		for (size_t j = 0; j < n; j++) {
			uint64_t pfn = 0;
			int node = PO_NODE_UNKNOWN, cg = PO_CGROUP_UNKNOWN;

			if (!(m.vec[i + j] & want))
				continue;
			/* without CAP_SYS_ADMIN the frame number reads 0 */
			if (po_pagemap_pfn(pm[j], &pfn) && pfn) {
				node = node_of_pfn(po, pfn);
				cg = cgroup_of_pfn(po, pfn);
			} else if (!po->no_pfn) {
				po->no_pfn = true;
				add_missing(
					po,
					"node and cgroup (no page frames in /proc/self/pagemap: needs CAP_SYS_ADMIN)");
			}
			r = po_tally_add(m.vec[i + j] & 1 ? t : rest, cg, node,
					 m.page);
			if (r < 0)
				goto out;
		}
	}
out:
	fileset_unmap(&m);
	return r;
}
