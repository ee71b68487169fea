/* SPDX-License-Identifier: MIT */
/*
 * The workload's files: a shared set created once, a private set per VM,
 * each split into hot and cold files. The plan is computed from the
 * workload's numbers alone, so `daxlab files` and `daxlab fio job` always
 * agree on names. Nothing here prints or exits.
 */
#ifndef DAXLAB_FILESET_H
#define DAXLAB_FILESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

/* What the workload asks for (daxlab.ini(5) [workload]), independent of INI. */
struct workload_spec {
	uint64_t size; /* what one VM reads: private + shared */
	uint64_t file_size;
	unsigned private_ratio; /* % of a VM's files private to it */
	unsigned access_ratio; /* % of a VM's I/O to its private files */
	unsigned hot_ratio; /* % of each set's files that are hot */
	unsigned hot_access_ratio; /* % of a set's I/O to its hot files */
	unsigned vms; /* private sets to create */
	const char *shared_dir; /* host folder of the shared set */
	const char *private_dir; /* host folder of a private set, %i = VM */
	unsigned first_vm; /* id of the first VM (0) */
	/*
	 * Or, from a config: the VMs' ids and their private folders,
	 * vms entries each (both NULL: ids first_vm.. and private_dir).
	 */
	const char *const *vm_ids;
	const char *const *vm_private_dirs;
};

/* The defaults of [workload] in daxlab.ini(5), with no folders. */
void workload_spec_init(struct workload_spec *w);

/*
 * Sets one number by its [workload] key (size, file_size, private_ratio,
 * access_ratio, hot_ratio, hot_access_ratio; checked by
 * config_workload_set(), as in daxlab.ini) or vms. -EINVAL with err
 * "key 'K': bad value 'V': expected ...".
 */
int workload_spec_set(struct workload_spec *w, const char *key,
		      const char *value, struct error *err);

struct lab_config;
struct share_config;
struct vm_config;
/* What workload_spec_from_config() allocates. */
struct workload_cfgdata {
	char **ids;
	char **dirs;
	size_t n;
	const char *shared_mount; /* guest mount points, or NULL */
	const char *private_mount;
};
/*
 * Fills w from a config: [workload]'s numbers, the shared share's source
 * (a share whose source has no %i) and each VM's private folder (the
 * first share whose source has %i, for every VM that mounts it).
 */
int workload_spec_from_config(const struct lab_config *c,
			      struct workload_spec *w,
			      struct workload_cfgdata *d, struct error *err);
void workload_cfgdata_free(struct workload_cfgdata *d);
/* The first share that is shared (shared) or private, or NULL. */
const struct share_config *fs_set_share(const struct lab_config *c,
					bool shared);
/*
 * A set's share through virtiofs with [virtiofsd] cache = auto, or NULL:
 * there the guest kernel drops a file's page cache at every open (no
 * FOPEN_KEEP_CACHE), so measuring the guest's copy (which opens each
 * file) would empty what it measures.
 */
const struct share_config *fs_guest_open_drops(const struct lab_config *c);
/* Whether vm mounts sh: it names sh, or it names no shares at all. */
bool fs_vm_mounts(const struct vm_config *vm, const struct share_config *sh);

enum fs_set { FS_SHARED, FS_PRIVATE };
enum fs_temp { FS_HOT, FS_COLD };
/* Groups (set, temperature), index set * 2 + temp. */
#define FS_GROUPS 4
static inline unsigned fs_group(enum fs_set s, enum fs_temp t)
{
	return (unsigned)s * 2 + (unsigned)t;
}
const char *fs_temp_name(enum fs_temp t);
/* "shared-hot", "private-cold", ... */
const char *fs_group_name(unsigned g);

struct fs_file {
	char *path; /* host path */
	const char *name; /* last component of path */
	enum fs_set set;
	enum fs_temp temp;
	int vm; /* index of the VM, -1 for the shared set */
	const char *vm_id; /* its id, NULL for the shared set */
	uint64_t size;
};

struct fileset_plan {
	struct workload_spec spec; /* shared_dir is the plan's; the rest NULL */
	unsigned count[FS_GROUPS]; /* files per group (private: per VM) */
	/*
	 * Share of one VM's I/O per group in 1/10000 (sums to 10000), and
	 * the fio flow weight: round(1000 x share), 1..1000, 0 when unused.
	 */
	unsigned share[FS_GROUPS];
	unsigned weight[FS_GROUPS];
	size_t n_files;
	struct fs_file *files; /* shared first, then private by VM */
	char **vm_ids; /* spec.vms entries */
	char **vm_dirs; /* private folder per VM, NULL: none */
};

/*
 * Checks the numbers and computes the plan. On a bad value returns
 * -EINVAL with a message naming it in err.
 */
int fileset_plan_new(const struct workload_spec *w, struct fileset_plan **ret,
		     struct error *err);
void fileset_plan_free(struct fileset_plan *p);

/* The host folder of VM vm's private set (%i expanded). Allocated. */
char *fileset_private_dir(const char *pattern, unsigned vm);
/* The file name of index i in a group: "shared-hot-0000.dat". Allocated. */
char *fileset_file_name(unsigned g, unsigned i);

/* Which files an operation covers. */
struct fs_select {
	bool group[FS_GROUPS];
	const char *vm; /* a VM's id; NULL: every VM */
};
/*
 * all, shared, private, hot, cold, shared-hot, shared-cold, private-hot,
 * private-cold. -EINVAL for anything else.
 */
int fs_select_parse(const char *s, struct fs_select *ret);
bool fs_select_match(const struct fs_select *sel, const struct fs_file *f);

/* Creation. */
#define FILESET_FORCE 1u /* rewrite files even when their size is right */

/*
 * Called after every buffer written; returns false to stop: the files
 * written so far are removed and fileset_create() returns -EINTR.
 */
typedef bool (*fileset_progress_fn)(void *userdata, uint64_t done,
				    uint64_t total);

struct fileset_create_result {
	size_t written, kept;
	size_t removed; /* set files of an earlier layout, not this plan's */
	uint64_t bytes_written, bytes_removed;
	int64_t write_ns; /* from first write to data on disk */
};

/*
 * The default manifest: ".daxlab-manifest" in the shared folder.
 * Allocated.
 */
char *fileset_default_manifest(const struct fileset_plan *p);

/*
 * Creates every file of the plan. Checks first (folders writable, enough
 * space per file system); writes each file as NAME.tmp with incompressible
 * data, then fdatasync, POSIX_FADV_DONTNEED and rename to NAME; the
 * manifest (completeness marker last) is written only when everything is
 * on disk. The old manifest is removed before anything is written. Set
 * files in the plan's folders that the plan does not name (an earlier
 * layout's) are removed once the plan's files are in place.
 * Errors: -errno with the path or value in err.
 */
int fileset_create(const struct fileset_plan *p, const char *manifest,
		   unsigned flags, fileset_progress_fn progress, void *userdata,
		   struct fileset_create_result *ret, struct error *err);

/* Fills buf with the PRNG stream of state s (xoshiro256**). */
struct fs_rng {
	uint64_t s[4];
};
void fs_rng_seed(struct fs_rng *r, uint64_t seed);
void fs_rng_fill(struct fs_rng *r, void *buf, size_t len);

/* Residency in the host page cache. */
#define FS_MAX_NODES 64
struct fs_residency {
	uint64_t size;
	uint64_t span; /* size in whole pages: what resident is out of */
	uint64_t resident;
	uint64_t node[FS_MAX_NODES]; /* resident bytes per NUMA node */
	uint64_t node_unknown; /* resident, node not found */
};
/*
 * A read-only shared mapping of a file and which of its pages are in the
 * page cache (mincore, with readahead off so that touching a resident
 * page brings no other in). map is NULL for an empty file. In
 * lib/mincore.c.
 */
struct fs_mapped {
	unsigned char *map;
	size_t size, npages, page;
	/*
	 * vec[i] & 1: page i is resident (and a range of only touches it);
	 * vec[i] & FS_PAGE_REST: resident, but no range of only touches it
	 */
	unsigned char *vec;
};
#define FS_PAGE_REST 2
/* Byte ranges [r[i][0], r[i][1]) of a file, sorted and apart. */
struct fs_ranges {
	uint64_t (*r)[2];
	size_t n;
};
/*
 * only (NULL: the whole file): the pages no range of only touches count
 * as not resident (FS_PAGE_REST instead), e.g. a virtio-pmem image's
 * pages that hold none of its files' data (lib/imgextents.h). -EINVAL
 * for what is neither a regular file nor a block device (a FIFO).
 */
int fileset_map_resident(const char *path, const struct fs_ranges *only,
			 struct fs_mapped *ret);
/*
 * Asks mincore() again for pages [i, i + n) of m, just before they are
 * touched, and forgets those evicted since: touching one would read it
 * back in, charged to the caller and counted as resident. A whole file
 * takes long enough to walk for a reclaim to take pages meanwhile.
 */
void fileset_recheck(struct fs_mapped *m, size_t i, size_t n);
void fileset_unmap(struct fs_mapped *m);

/*
 * Adds path's size, resident bytes (mincore) and their NUMA nodes
 * (move_pages on the resident pages only: they are mapped without I/O)
 * to *acc.
 */
int fileset_file_residency(const char *path, const struct fs_ranges *only,
			   struct fs_residency *acc);
/*
 * fdatasync then POSIX_FADV_DONTNEED; and POSIX_FADV_WILLNEED and a read
 * of the whole file. Of a regular file only, never through a link
 * (-ELOOP), -EINVAL for anything else: a guest may have put it there.
 */
int fileset_file_evict(const char *path);
int fileset_file_warm(const char *path);
/*
 * fileset_file_evict() of every regular file below dir (not through
 * links, nor into other file systems): what mkfs.ext4 -d read in; the
 * first error, once all were tried.
 */
int fileset_tree_evict(const char *dir);

#endif
