/* SPDX-License-Identifier: MIT */
/*
 * cgroups for VMs and virtiofsd, v1 (cpuset and memory hierarchies) and v2.
 * Every cgroup write daxlab makes is in lib/cgroup.c. With dry_run set,
 * nothing is written: each step is only handed to the trace callback.
 */
#ifndef DAXLAB_CGROUP_H
#define DAXLAB_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strv.h"
#include "util.h"

enum cg_version {
	CG_V1 = 1,
	CG_V2 = 2,
};

struct cg_ctx {
	enum cg_version version;
	char *root;   /* "/sys/fs/cgroup" */
	char *parent; /* relative to the hierarchy's root, "" for the root */
	/*
	 * v2 under systemd: the delegated cgroup (relative) at or above
	 * parent. daxlab writes only in it and below; above it, systemd
	 * enables the controllers. NULL: anywhere (no systemd).
	 */
	char *delegated;
	bool dry_run;
	/* op: "mkdir", "write", "rmdir"; value NULL except for writes */
	void (*trace)(void *ud, const char *op, const char *path,
		      const char *value);
	void *trace_ud;
};

/*
 * Which version to use below root: want is "auto", "v1" or "v2". auto:
 * v2 when root is a cgroup2 mount (or holds cgroup.controllers), v1 when
 * root/cpuset and root/memory exist. -ENOENT when none fits.
 */
int cg_detect(const char *root, const char *want, enum cg_version *ret);

int cg_ctx_init(struct cg_ctx *ctx, const char *root, const char *want,
		const char *parent);
void cg_ctx_done(struct cg_ctx *ctx);
/* Sets parent and delegated (NULL: no limit), both relative. */
int cg_ctx_place(struct cg_ctx *ctx, const char *parent, const char *delegated);

/*
 * The path of a cgroup (name "" = the parent itself). controller is
 * "cpuset" or "memory" on v1, ignored on v2. Allocated.
 */
char *cg_path(const struct cg_ctx *ctx, const char *controller,
	      const char *name, const char *file);

/*
 * Creates the cgroup (and the parent levels), binds it to cpus and mems
 * (NULL: inherit the parent's), sets memory_max (0: none), and checks that
 * the effective cpus and mems are what was asked. err names the file and
 * value at fault. An existing cgroup is reused, and set as a new one would
 * be: NULL and 0 put back the parent's lists and no limit.
 */
int cg_create(const struct cg_ctx *ctx, const char *name, const char *cpus,
	      const char *mems, uint64_t memory_max, struct error *err);

/*
 * Moves the calling process into the cgroup (in every hierarchy of v1):
 * what it reads from then on is charged to it, on its cpuset's nodes.
 */
int cg_enter(const struct cg_ctx *ctx, const char *name, struct error *err);

/*
 * How spawn() puts a child into the cgroup: v2 an O_DIRECTORY fd
 * (*ret_fd, close it), v1 a NULL-terminated list of cgroup.procs paths
 * (*ret_procs, free with strv_free()).
 */
int cg_spawn_target(const struct cg_ctx *ctx, const char *name, int *ret_fd,
		    char ***ret_procs);

/* The pids in the cgroup (cgroup.procs of the cpuset hierarchy on v1). */
int cg_pids(const struct cg_ctx *ctx, const char *name, pid_t **ret,
	    size_t *ret_n);
/*
 * The inode of the cgroup's folder (the cpuset hierarchy's on v1): a
 * cgroup made again has another. -errno.
 */
int cg_inode(const struct cg_ctx *ctx, const char *name, uint64_t *ret);
/* Sends sig to every process in the cgroup; returns how many. */
int cg_kill(const struct cg_ctx *ctx, const char *name, int sig);
/*
 * Removes the cgroup from every hierarchy. -EBUSY when it still has
 * processes; a cgroup that does not exist is not an error.
 */
int cg_remove(const struct cg_ctx *ctx, const char *name);
bool cg_exists(const struct cg_ctx *ctx, const char *name);

/* Effective cpus and mems as the kernel shows them (trimmed). */
int cg_effective(const struct cg_ctx *ctx, const char *name, char **ret_cpus,
		 char **ret_mems);
/* memory.numa_stat of the cgroup (memory hierarchy on v1). */
int cg_read_numa_stat(const struct cg_ctx *ctx, const char *name,
		      char **ret, size_t *ret_len);

/*
 * How many processes of the cgroup the OOM killer has killed: the
 * "oom_kill N" line of memory.oom_control (v1, Linux >= 4.13) or of
 * memory.events (v2), in the memory hierarchy. -ENOENT: no such cgroup;
 * -ENODATA: the kernel does not count OOM kills. ret_path (may be NULL):
 * the file read, allocated.
 */
int cg_oom_kills(const struct cg_ctx *ctx, const char *name, uint64_t *ret,
		 char **ret_path);
/*
 * The cgroup's memory limit: memory.limit_in_bytes (v1) or memory.max
 * (v2). UINT64_MAX when there is none ("max", or v1's page-counter
 * maximum).
 */
int cg_memory_limit(const struct cg_ctx *ctx, const char *name, uint64_t *ret);
/*
 * The value of "KEY N" in a flat-keyed cgroup file's text (memory.events,
 * memory.oom_control, memory.stat). -ENODATA when KEY is not there,
 * -ERANGE or -EINVAL when its value is not a number.
 */
int cg_keyed_value(const char *text, const char *key, uint64_t *ret);

/*
 * ---- v2: cgroups by their path relative to the hierarchy's root ----
 * ("" is the root), for the placement of a lab's cgroups (lib/cgplace.c).
 */

/* root/rel/file (file may be NULL). Allocated. */
char *cg_path_at(const struct cg_ctx *ctx, const char *rel, const char *file);

/*
 * Whether systemd marked the cgroup folder as delegated: the xattr
 * trusted.delegate (system manager, v251+) or user.delegate (user
 * manager) is "1". 1 yes, 0 no, -errno when it cannot be read (e.g.
 * -ENOTSUP, or -EPERM: trusted.* needs root) and is not there.
 */
int cg_delegated_mark(const char *dir);
/*
 * The nearest cgroup at or above rel (rel itself, then its parents, not
 * the root) that cg_delegated_mark() finds delegated: *ret relative, or
 * NULL. *ret_unreadable: some mark could not be read.
 */
int cg_find_delegated(const struct cg_ctx *ctx, const char *rel, char **ret,
		      bool *ret_unreadable);
/* The nearest of rel and its parents that exists (may be ""). */
char *cg_nearest_existing(const struct cg_ctx *ctx, const char *rel);

/* "populated" of rel's cgroup.events: 1, 0, or -errno. */
int cg_populated_at(const struct cg_ctx *ctx, const char *rel);

/*
 * Moves every process of rel into rel/leaf (created), until rel holds
 * none: cgroup v2 lets no cgroup that has processes enable controllers
 * for its children. Also moves the process also_pid (0: none) into the
 * leaf. *ret_moved, *ret_n (may be NULL): the pids moved, to be freed.
 * Dry run: the writes for the processes there now are traced.
 */
int cg_move_to_leaf(const struct cg_ctx *ctx, const char *rel, const char *leaf,
		    pid_t also_pid, pid_t **ret_moved, size_t *ret_n,
		    struct error *err);
/* rmdir rel/leaf when it is there; -EBUSY when it holds processes. */
int cg_remove_leaf(const struct cg_ctx *ctx, const char *rel, const char *leaf);

/*
 * Which of cpuset and memory a controller list ("cpuset cpu memory")
 * lacks: "", "cpuset", "cpuset and memory".
 */
void cg_missing_controllers(const char *list, char *buf, size_t len);

/* rel is top or below it (every rel is below ""). */
bool cg_is_below(const char *rel, const char *top);
/*
 * The level of target one component below cur (a prefix of target):
 * "a" and "a/b/c" give "a/b". NULL when cur is target (or ENOMEM).
 */
char *cg_next_level(const char *cur, const char *target);

/*
 * Before a start (v2): can cg_create() enable cpuset and memory at every
 * level from the delegated cgroup (or the root) down to parent? For each
 * level that exists and has not both in cgroup.subtree_control: both
 * must be in its cgroup.controllers, and it must hold no processes; but
 * the processes of movable and the levels below it (NULL: none) are for
 * cg_move_to_leaf(): *ret_busy. err names the file or the processes at
 * fault.
 */
int cg_check_levels(const struct cg_ctx *ctx, const char *movable,
		    bool *ret_busy, struct error *err);

#endif
