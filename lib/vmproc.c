// SPDX-License-Identifier: MIT
#include "vmproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "util.h"
#include "vm.h"
#include "vmplan.h"

/* ---- pid files, processes ---- */

/* From /proc/PID/stat: its start time, state and parent (may be NULL). */
int vmproc_stat(pid_t pid, unsigned long long *ret, char *state,
		pid_t *ret_ppid)
{
	char path[64];
	_cleanup_free_ char *s = NULL;
	char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = read_full_file(path, 8192, &s, NULL);
	if (r < 0)
		return r;
	p = strrchr(s, ')');
	if (!p)
		return -EINVAL;
	if (state)
		*state = p[2];
	if (ret_ppid && sscanf(p + 2, "%*c %d", ret_ppid) != 1)
		return -EINVAL;
	/* field 3 is the state, 4 the parent; starttime is field 22 */
	p += 2;
	for (int f = 3; f < 22; f++) {
		p = strchr(p, ' ');
		if (!p)
			return -EINVAL;
		p++;
	}
	*ret = strtoull(p, NULL, 10);
	return 0;
}

static bool pid_alive(pid_t pid, unsigned long long start)
{
	unsigned long long st;
	char state = 0;

	/* our own child: reap it if it has exited */
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return false;
	if (vmproc_stat(pid, &st, &state, NULL) < 0)
		return false;
	if (state == 'Z' || state == 'X')
		return false;
	return !start || st == start;
}

int vmproc_open_nofollow_read(const char *path)
{
	return open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

/*
 * "PID STARTTIME": pid 0 when the process recorded is gone.
 * *ret_recorded (may be NULL): the pid in the file, alive or not.
 */
int vmproc_read_pidfile(const char *path, pid_t *ret,
			unsigned long long *ret_start, pid_t *ret_recorded)
{
	_cleanup_close_ int fd = vmproc_open_nofollow_read(path);
	_cleanup_free_ char *s = NULL;
	unsigned long long pid = 0, start = 0;
	int r;

	*ret = 0;
	if (ret_start)
		*ret_start = 0;
	if (ret_recorded)
		*ret_recorded = 0;
	if (fd < 0)
		return -errno;
	r = read_full_fd(fd, 128, &s, NULL);
	if (r < 0)
		return r;
	if (sscanf(s, "%llu %llu", &pid, &start) < 1 || !pid || pid > 4194304)
		return -EINVAL;
	if (ret_start)
		*ret_start = start;
	if (ret_recorded)
		*ret_recorded = (pid_t)pid;
	if (pid_alive((pid_t)pid, start))
		*ret = (pid_t)pid;
	return 0;
}

/*
 * A child of ours (qemu or virtiofsd during a start): has it ended?
 * *ret_wstatus gets its wait status when we reaped it, else stays -1.
 */
bool vmproc_child_gone(pid_t pid, int *ret_wstatus)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, WNOHANG);

	if (r == pid) {
		*ret_wstatus = st;
		return true;
	}
	if (r == 0)
		return false;
	return !pid_alive(pid, 0);
}

int vm_read_pidfile(const char *path, pid_t *ret)
{
	return vmproc_read_pidfile(path, ret, NULL, NULL);
}

int vmproc_write_pidfile(const char *path, pid_t pid)
{
	unsigned long long st = 0;
	char buf[64];

	vmproc_stat(pid, &st, NULL, NULL);
	snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, st);
	return write_text_file(path, buf, 0600, true);
}

/* Waits until pid is gone; true if it went within ms. */
bool vmproc_wait_gone(pid_t pid, unsigned long long start, unsigned ms)
{
	int64_t end = now_monotonic_ns() + (int64_t)ms * 1000000;

	for (;;) {
		if (!pid_alive(pid, start))
			return true;
		if (now_monotonic_ns() >= end)
			return false;
		usleep(20000);
	}
}

/* SIGTERM, then SIGKILL after ms. */
void vmproc_terminate(pid_t pid, unsigned long long start, unsigned ms)
{
	if (!pid_alive(pid, start))
		return;
	kill(pid, SIGTERM);
	if (vmproc_wait_gone(pid, start, ms))
		return;
	kill(pid, SIGKILL);
	vmproc_wait_gone(pid, start, 5000);
}

/*
 * The C virtiofsd forks a worker that outlives its parent for a moment:
 * stop the children found in virtiofsd's cgroup too, so the cgroup can go.
 */
void vmproc_terminate_tree(const struct cg_ctx *cg, const char *cgroup,
			   pid_t pid, unsigned long long start)
{
	_cleanup_free_ pid_t *pids = NULL;
	pid_t kids[64];
	unsigned long long kstart[64];
	size_t n = 0, nk = 0;
	pid_t ppid;

	if (cg && cg_pids(cg, cgroup, &pids, &n) == 0)
		for (size_t i = 0; i < n && nk < ARRAY_SIZE(kids); i++)
			if (vmproc_stat(pids[i], &kstart[nk], NULL, &ppid) ==
				    0 &&
			    ppid == pid)
				kids[nk++] = pids[i];
	vmproc_terminate(pid, start, 5000);
	for (size_t i = 0; i < nk; i++)
		vmproc_terminate(kids[i], kstart[i], 5000);
}

/* Last lines of a log file, for error messages. Allocated or NULL. */
char *vmproc_log_tail(const char *path, unsigned lines)
{
	_cleanup_close_ int fd = vmproc_open_nofollow_read(path);
	char s[16385], *p;
	off_t size;
	ssize_t k;
	size_t len;
	unsigned n = 0;

	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	k = pread(fd, s, sizeof(s) - 1, size > 16384 ? size - 16384 : 0);
	if (k <= 0)
		return NULL;
	s[k] = 0;
	len = (size_t)k;
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = 0;
	for (p = s + len; p > s; p--)
		if (p[-1] == '\n' && ++n == lines)
			break;
	return strdup(p);
}

/* ---- how a qemu ended ---- */

/* Appends to r->what. */
#define end_add(r, ...) \
	str_appendf((r)->what, sizeof((r)->what), "", __VA_ARGS__)

static const char *signame(int sig)
{
	const char *s = sigabbrev_np(sig);

	return s ? s : "?";
}

/* "terminating on signal N from pid P (PROG)" in qemu's own log. */
static bool qemu_log_signal(const char *log, struct vm_end_info *r)
{
	_cleanup_free_ char *tail = vmproc_log_tail(log, 10);
	char *t = tail ? strstr(tail, "terminating on signal ") : NULL;
	int sig = 0;

	if (!t || sscanf(t, "terminating on signal %d", &sig) != 1 ||
	    sig <= 0 || sig >= 65)
		return false;
	t[strcspn(t, "\n")] = 0;
	r->how = VM_END_SIGNAL;
	r->sig = sig;
	end_add(r, "ended on signal %d (SIG%s): its log says '%s'", sig,
		signame(sig), t);
	return true;
}

/* The guest's last words on the console: a power off, reboot, panic. */
static bool console_end(const char *log, struct vm_end_info *r)
{
	_cleanup_free_ char *tail = vmproc_log_tail(log, 60);

	if (!tail)
		return false;
	if (strstr(tail, "Kernel panic")) {
		r->how = VM_END_POWEROFF;
		end_add(r, "the guest kernel panicked (see %s)", log);
	} else if (strstr(tail, "reboot: Power down")) {
		r->how = VM_END_POWEROFF;
		end_add(r, "the guest powered off");
	} else if (strstr(tail, "reboot: Restarting system")) {
		r->how = VM_END_POWEROFF;
		end_add(r,
			"the guest rebooted (qemu runs with -no-reboot: it exits)");
	} else {
		return false;
	}
	return true;
}

/*
 * Why qemu (pid, gone) ended. The evidence, strongest first: the oom_kill
 * counter of the VM's memory cgroup, its wait status when daxlab is its
 * parent (wstatus >= 0), qemu's log, the guest's console. Read before the
 * cgroup is removed.
 */
void vmproc_qemu_end(const struct cg_ctx *cg, const struct vm_config *vm,
		     const struct vm_plan *p, pid_t pid, int wstatus,
		     struct vm_end_info *r)
{
	bool sig_known = wstatus >= 0 && WIFSIGNALED(wstatus);

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	if (sig_known)
		r->sig = WTERMSIG(wstatus);
	if (cg) {
		_cleanup_free_ char *file = NULL;
		uint64_t limit = 0;
		char b[32];

		if (cg_oom_kills(cg, vm->cg.cgroup, &r->oom_kills, &file) ==
			    0 &&
		    r->oom_kills > 0) {
			r->how = VM_END_OOM;
			end_add(r, "killed by the OOM killer (");
			if (sig_known)
				end_add(r, "signal %d, SIG%s; ", r->sig,
					signame(r->sig));
			end_add(r, "oom_kill %llu in %s",
				(unsigned long long)r->oom_kills, file);
			if (cg_memory_limit(cg, vm->cg.cgroup, &limit) == 0 &&
			    limit != UINT64_MAX)
				end_add(r, "; memory limit %s%s",
					format_bytes(limit, b, sizeof(b)),
					vm->cg.memory_max ?
						", [vm] memory_max" :
						"");
			end_add(r, ")");
			return;
		}
	}
	if (sig_known) {
		r->how = VM_END_SIGNAL;
		end_add(r, "killed by signal %d (SIG%s)", r->sig,
			signame(r->sig));
		return;
	}
	if (qemu_log_signal(p->qemu_log, r))
		return;
	if (console_end(p->console_log, r))
		return;
	if (wstatus >= 0 && WIFEXITED(wstatus)) {
		r->how = VM_END_EXIT;
		r->code = WEXITSTATUS(wstatus);
		end_add(r, "exit status %d", r->code);
		return;
	}
	r->how = VM_END_UNKNOWN;
	end_add(r,
		"cause unknown: no OOM kill counted in its memory cgroup, no signal in %s, and no exit status (daxlab is not its parent)",
		p->qemu_log);
}
