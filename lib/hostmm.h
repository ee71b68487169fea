/* SPDX-License-Identifier: MIT */
/*
 * What the host's kernel does to page cache on its own, without memory
 * pressure: proactive reclaim and migration by DAMON. A residency figure
 * taken on such a host counts the kernel's evictions as if the workload
 * had never read the data, so a run names them (docs/architecture.md,
 * "What the kernel, qemu and fio make us do").
 */
#ifndef DAXLAB_HOSTMM_H
#define DAXLAB_HOSTMM_H

/*
 * One line naming every DAMON scheme that pages out or migrates memory
 * (a kdamond of the sysfs interface that is on, and the DAMON_RECLAIM
 * module when enabled), e.g. "DAMON kdamond 0: pageout of memory not
 * accessed for 60 s, up to 128 MiB/s", in *ret; NULL when there is none.
 * root is "" for the running system, or a folder holding sys/ (tests).
 * 0, or -ENOMEM.
 */
int hostmm_reclaim(const char *root, char **ret);

/*
 * A whole-number sysctl under /proc/sys, e.g. "kernel/numa_balancing" (0
 * off, 1 on, 2 tiering) or "vm/zone_reclaim_mode" (not 0: a node reclaims
 * its own page cache before it allocates on another); -1 unknown.
 */
int hostmm_sysctl(const char *root, const char *name);

#endif
