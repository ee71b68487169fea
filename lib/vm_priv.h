/* SPDX-License-Identifier: MIT */
/*
 * What lib/vm.c (the env, its checks and status), lib/vmstart.c and
 * lib/vmstop.c share; not for other callers.
 */
#ifndef DAXLAB_VM_PRIV_H
#define DAXLAB_VM_PRIV_H

#include "vm.h"
#include "vmplan.h"

#define report(e, k, ...) CALLBACK_PRINTF((e)->report, (e)->ud, k, __VA_ARGS__)

/* Fills e->err; returns r (-EINVAL unless r < 0). */
int vm_fail(struct vm_env *e, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The env's cgroups for lib/vmproc.h, or NULL when there are none. */
static inline const struct cg_ctx *vm_env_cg(const struct vm_env *e)
{
	return e->cg_ok ? &e->cg : NULL;
}

/* mkdir 0700; refuse a symlink or someone else's directory. */
int vm_make_private_dir(struct vm_env *e, const char *path);
/* flock()s vm's lock file; -EBUSY when another daxlab holds it. */
int vm_lock(struct vm_env *e, const struct vm_config *vm, int *ret_fd);

/*
 * The plan of vm, checked against the host; the error says "step 'check
 * the configuration' failed: ...".
 */
int vm_plan_checked(struct vm_env *e, const struct vm_config *vm,
		    struct vm_plan *ret);
/* The virtiofsd and qemu argument lists of plan p (vm_cmdlines()). */
int vm_plan_cmdlines(struct vm_env *e, const struct vm_plan *p,
		     char ****ret_fsd, char ***ret_qemu);

/* lib/vmstop.c: the lock of the shared virtiofsd cgroup (an fd) */
int vm_lock_cgroups(struct vm_env *e);
/*
 * Notes the VM cgroup that this start just made (p->cgroup_mark): only
 * the processes of that cgroup are a stop's to kill. -errno, e->err set.
 */
int vm_mark_cgroup(struct vm_env *e, const struct vm_plan *p);
/* Whether the VM's cgroup is the one its start made (lib/vmstop.c). */
bool vm_cgroup_ours(struct vm_env *e, const struct vm_plan *p);
/*
 * Kills and removes what p's VM left (the virtiofsd cgroup too when
 * shared and empty; locked: the caller holds vm_lock_cgroups()); whether
 * a process was left. See lib/vmstop.c.
 */
bool vm_cleanup(struct vm_env *e, const struct vm_plan *p, bool shared,
		bool locked, char *removed, size_t rlen);

#endif
