/* SPDX-License-Identifier: MIT */
/*
 * The processes of a VM (lib/vm.h): qemu's and virtiofsd's pid files
 * ("PID STARTTIME", so a pid reused by another process is not taken for
 * them), waiting for them and stopping them; and how a qemu that is gone
 * ended, from its memory cgroup, its wait status, its log and the guest's
 * console. Nothing here reports: lib/vmstart.c and lib/vmstop.c say what
 * they do.
 */
#ifndef DAXLAB_VMPROC_H
#define DAXLAB_VMPROC_H

#include <stdbool.h>
#include <sys/types.h>

struct cg_ctx;
struct vm_config;
struct vm_end_info;
struct vm_plan;

/* From /proc/PID/stat: its start time, state and parent (may be NULL). */
int vmproc_stat(pid_t pid, unsigned long long *ret, char *state,
		pid_t *ret_ppid);

/* open(O_RDONLY), not through a symlink. -1 with errno. */
int vmproc_open_nofollow_read(const char *path);

/*
 * "PID STARTTIME": pid 0 when the process recorded is gone.
 * *ret_start, *ret_recorded (may be NULL): the start time and the pid in
 * the file, alive or not.
 */
int vmproc_read_pidfile(const char *path, pid_t *ret,
			unsigned long long *ret_start, pid_t *ret_recorded);
int vmproc_write_pidfile(const char *path, pid_t pid);

/*
 * A child of ours (qemu or virtiofsd during a start): has it ended?
 * *ret_wstatus gets its wait status when we reaped it, else stays -1.
 */
bool vmproc_child_gone(pid_t pid, int *ret_wstatus);

/* Waits until pid is gone; true if it went within ms. */
bool vmproc_wait_gone(pid_t pid, unsigned long long start, unsigned ms);

/* SIGTERM, then SIGKILL after ms. */
void vmproc_terminate(pid_t pid, unsigned long long start, unsigned ms);

/*
 * vmproc_terminate(), and the children of pid found in cgroup (the C
 * virtiofsd's worker); cg NULL: no cgroups to look in.
 */
void vmproc_terminate_tree(const struct cg_ctx *cg, const char *cgroup,
			   pid_t pid, unsigned long long start);

/* Last lines of a log file, for error messages. Allocated or NULL. */
char *vmproc_log_tail(const char *path, unsigned lines);

/*
 * Why qemu (pid, gone) ended. The evidence, strongest first: the oom_kill
 * counter of the VM's memory cgroup (cg NULL: no cgroups), its wait status
 * when daxlab is its parent (wstatus >= 0), qemu's log, the guest's
 * console (p's qemu_log and console_log). Read before the cgroup is
 * removed.
 */
void vmproc_qemu_end(const struct cg_ctx *cg, const struct vm_config *vm,
		     const struct vm_plan *p, pid_t pid, int wstatus,
		     struct vm_end_info *r);

#endif
