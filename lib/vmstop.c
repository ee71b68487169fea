// SPDX-License-Identifier: MIT
/*
 * Stopping a VM and cleaning up after it: its virtiofsds, cgroups, image
 * disk and state files (lib/vm.h).
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "array.h"
#include "qmp.h"
#include "statedir.h"
#include "systemd.h"
#include "util.h"
#include "vmplan.h"
#include "vmproc.h"

#include "vm_priv.h"

/* ---- stop and clean up ---- */

/* "A, B, C": what a cleanup removed. buf may be NULL. */
#define note(buf, len, ...) str_appendf(buf, len, ", ", __VA_ARGS__)

/* unlink, or in a dry run say "rm": whether path was there. */
static bool remove_file(struct vm_env *e, const char *path)
{
	if ((e->dry_run ? access(path, F_OK) : unlink(path)) < 0)
		return false;
	if (e->dry_run)
		report(e, VM_REPORT_DRY, "rm %s", path);
	return true;
}

/* remove_file(), noting the name of a file of the VM's folder. */
static void unlink_noted(struct vm_env *e, const char *path, char *buf,
			 size_t len)
{
	const char *base;

	if (!remove_file(e, path))
		return;
	base = strrchr(path, '/');
	note(buf, len, "%s", base ? base + 1 : path);
}

/*
 * Stops virtiofsd of each share, removes its socket and pid file; a dry
 * run says so.
 */
static bool stop_virtiofsds(struct vm_env *e, const struct vm_plan *p,
			    char *removed, size_t rlen)
{
	bool any = false;

	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];
		unsigned long long start = 0;
		pid_t pid = 0;

		vmproc_read_pidfile(ps->pidfile, &pid, &start, NULL);
		if (pid && e->dry_run) {
			/* what cg_live() then does not count */
			pid_t *v = ARRAY_PUSH(e->dry_stopped, e->n_dry_stopped);

			report(e, VM_REPORT_DRY,
			       "SIGTERM, SIGKILL after 5 s, to virtiofsd of share %s (pid %d) and its children",
			       ps->s->name, (int)pid);
			if (v)
				*v = pid;
		} else if (pid) {
			any = true;
			report(e, VM_REPORT_STEP,
			       "stopping virtiofsd for share %s (pid %d)",
			       ps->s->name, (int)pid);
			vmproc_terminate_tree(vm_env_cg(e),
					      e->c->virtiofsd.cg.cgroup, pid,
					      start);
			note(removed, rlen,
			     "virtiofsd of share %s (pid %d, stopped)",
			     ps->s->name, (int)pid);
		}
		unlink_noted(e, ps->pidfile, removed, rlen);
		unlink_noted(e, ps->socket, removed, rlen);
		unlink_noted(e, ps->own_pidfile, removed, rlen);
	}
	return any;
}

/*
 * virtiofsd's cgroup is shared by the VMs: creating it and spawning into
 * it, and removing it when empty, happen under this lock.
 */
int vm_lock_cgroups(struct vm_env *e)
{
	_cleanup_free_ char *lp = statedir_cgroups_lock(e->c);
	int fd;

	if (!lp)
		return -ENOMEM;
	fd = lock_file(lp, 0600, LOCK_EX, NULL);
	if (fd < 0)
		return vm_fail(e, fd, "cannot lock %s: %s", lp, strerror(-fd));
	return fd;
}

static bool dry_stopped(const struct vm_env *e, pid_t pid)
{
	for (size_t i = 0; i < e->n_dry_stopped; i++)
		if (e->dry_stopped[i] == pid)
			return true;
	return false;
}

/*
 * Whether cgroup name holds a live process (not a zombie); a dry run's
 * stopped virtiofsds and their children do not count. -errno.
 */
static int cg_live(struct vm_env *e, const char *name)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = cg_pids(&e->cg, name, &pids, &n);

	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++) {
		unsigned long long st;
		char state = 0;
		pid_t ppid = 0;

		if (vmproc_stat(pids[k], &st, &state, &ppid) < 0 ||
		    (e->n_dry_stopped &&
		     (dry_stopped(e, pids[k]) || dry_stopped(e, ppid))))
			continue;
		if (state != 'Z' && state != 'X')
			return 1;
	}
	return 0;
}

/*
 * Removes a cgroup shared with other VMs. A virtiofsd just stopped may
 * still be exiting in it (rmdir: EBUSY) for a moment: wait for that, up to
 * 2 s, but not for a live process of another VM.
 */
static void remove_when_empty(struct vm_env *e, const char *name)
{
	for (int i = 0; i < 20; i++) {
		int live;

		if (cg_remove(&e->cg, name) != -EBUSY)
			return;
		live = cg_live(e, name);
		if (live < 0 || (live && i >= 5))
			return;
		usleep(100000);
	}
}

/*
 * virtiofsd's cgroup is shared by every VM: removed when empty; then the
 * leaf, and the scope if nothing runs in it any more (cgplace_release(),
 * a failure is a warning: the VM is stopped). Under the lock.
 */
static int release_locked(struct vm_env *e)
{
	struct error why = { 0 };
	int r;

	if (cg_exists(&e->cg, e->c->virtiofsd.cg.cgroup))
		remove_when_empty(e, e->c->virtiofsd.cg.cgroup);
	r = cgplace_release(&e->place, &e->cg, &why);
	if (r < 0)
		report(e, VM_REPORT_WARN, "%s", why.msg);
	return r;
}

int vm_cgroups_release(struct vm_env *e)
{
	int fd, r;

	if (!e->cg_ok)
		return 0;
	if (e->dry_run)
		return cgplace_release(&e->place, &e->cg, NULL);
	/* no state folder: nothing was started here */
	if (access(e->c->lab.state_dir, F_OK) < 0)
		return 0;
	fd = vm_lock_cgroups(e);
	if (fd < 0) {
		report(e, VM_REPORT_WARN, "%s", e->err.msg);
		return fd;
	}
	r = release_locked(e);
	close(fd);
	return r;
}

int vm_mark_cgroup(struct vm_env *e, const struct vm_plan *p)
{
	uint64_t ino;
	char text[32];
	int r;

	r = cg_inode(&e->cg, p->vm->cg.cgroup, &ino);
	if (r < 0)
		return vm_fail(e, r, "cannot stat the cgroup %s: %s",
			       p->vm->cg.cgroup, strerror(-r));
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)ino);
	r = write_text_file(p->cgroup_mark, text, 0600, true);
	if (r < 0)
		return vm_fail(e, r, "cannot write %s: %s", p->cgroup_mark,
			       strerror(-r));
	return 0;
}

/*
 * Whether the VM's cgroup is the one its start made (vm_mark_cgroup()):
 * not one of another program's that a config names, nor one made again
 * since. Only then is what runs in it the VM's to kill. A VM that an
 * older daxlab started has no mark, but its qemu.pid.
 */
bool vm_cgroup_ours(struct vm_env *e, const struct vm_plan *p)
{
	_cleanup_free_ char *text = NULL;
	unsigned long long want;
	uint64_t ino;
	char *end;
	int r;

	if (cg_inode(&e->cg, p->vm->cg.cgroup, &ino) < 0)
		return false;
	r = read_full_file(p->cgroup_mark, 64, &text, NULL);
	if (r == -ENOENT)
		return access(p->qemu_pid, F_OK) == 0;
	if (r < 0)
		return false;
	errno = 0;
	want = strtoull(text, &end, 10);
	return !errno && end != text && *end == '\n' && want == ino;
}

static void remove_cgroups(struct vm_env *e, const struct vm_plan *p,
			   bool shared, bool locked, char *removed, size_t rlen)
{
	const struct vm_config *vm = p->vm;
	const char *fsd_cg = e->c->virtiofsd.cg.cgroup;
	bool had, fsd_had, ours;

	if (!e->cg_ok)
		return;
	if (e->dry_run) {
		if (cg_exists(&e->cg, vm->cg.cgroup) && !vm_cgroup_ours(e, p) &&
		    cg_live(e, vm->cg.cgroup) > 0) {
			report(e, VM_REPORT_DRY,
			       "leave cgroup %s: it holds processes that daxlab did not start there",
			       vm->cg.cgroup);
		} else if (cg_exists(&e->cg, vm->cg.cgroup)) {
			cg_remove(&e->cg, vm->cg.cgroup);
			note(removed, rlen, "cgroup %s", vm->cg.cgroup);
		}
		/* remove_when_empty(): once its virtiofsds are gone */
		if (cg_exists(&e->cg, fsd_cg) && cg_live(e, fsd_cg) == 0)
			cg_remove(&e->cg, fsd_cg);
		cgplace_release(&e->place, &e->cg, NULL);
		return;
	}
	had = cg_exists(&e->cg, vm->cg.cgroup);
	fsd_had = shared && cg_exists(&e->cg, fsd_cg);
	ours = had && vm_cgroup_ours(e, p);
	/*
	 * Anything still in the cgroup that the VM's start made is its; in
	 * another, only what is exiting (still listed a moment) is waited for.
	 */
	for (int i = 0; i < 50 && cg_exists(&e->cg, vm->cg.cgroup); i++) {
		if ((!ours || cg_kill(&e->cg, vm->cg.cgroup, SIGKILL) <= 0) &&
		    cg_remove(&e->cg, vm->cg.cgroup) == 0)
			break;
		if (!ours && i >= 10)
			break;
		usleep(100000);
	}
	if (cg_exists(&e->cg, vm->cg.cgroup)) {
		/* a start's error says it (removed is NULL there) */
		if (removed && had && !ours)
			report(e, VM_REPORT_WARN,
			       "vm %s: cgroup %s holds processes that daxlab did not start there (or a cgroup below it): left as it is",
			       vm->id, vm->cg.cgroup);
	} else {
		(void)unlink(p->cgroup_mark);
	}
	if (shared) {
		int fd = locked ? -1 : vm_lock_cgroups(e);

		/* not unlocked: another daxlab may be joining the scope */
		if (locked || fd >= 0)
			release_locked(e);
		else
			report(e, VM_REPORT_WARN,
			       "%s: the lab's cgroups are left (daxlab vm stop again removes them)",
			       e->err.msg);
		if (fd >= 0)
			close(fd);
	}
	if (had && !cg_exists(&e->cg, vm->cg.cgroup))
		note(removed, rlen, "cgroup %s%s", vm->cg.cgroup,
		     e->cg.version == CG_V1 ? " (cpuset, memory)" : "");
	if (fsd_had && !cg_exists(&e->cg, fsd_cg))
		note(removed, rlen, "cgroup %s (virtiofsd's, now empty)",
		     fsd_cg);
}

/* ---- image VMs: the overlay and the seed (lib/vmimage.h) ---- */

/*
 * The overlay and the seed made at start go, unless keep_disk; the VM's
 * folder in image_dir too when nothing else is left in it.
 */
static void remove_image_disk(struct vm_env *e, const struct vm_plan *p,
			      char *removed, size_t rlen)
{
	const struct vm_config *vm = p->vm;

	if (!vm->image || vm->keep_disk)
		return;
	/* named in full, dry or not: they are not in the VM's folder */
	if (remove_file(e, p->disk))
		note(removed, rlen, "%s (the VM's overlay)", p->disk);
	if (!vm->seed && remove_file(e, p->seed))
		note(removed, rlen, "%s", p->seed);
	if (!e->dry_run)
		(void)rmdir(p->image_dir);
}

/*
 * Everything but the logs; quiet about what is already gone. removed
 * (may be NULL) gets the names of what was there. A dry run (stop
 * --dry-run) says each step (VM_REPORT_DRY, the cgroup trace), does none.
 */
bool vm_cleanup(struct vm_env *e, const struct vm_plan *p, bool shared,
		bool locked, char *removed, size_t rlen)
{
	unsigned long long start = 0;
	pid_t pid = 0;
	bool any = false;

	if (!e->dry_run &&
	    vmproc_read_pidfile(p->qemu_pid, &pid, &start, NULL) == 0 && pid) {
		any = true;
		vmproc_terminate(pid, start, 5000);
		note(removed, rlen, "qemu (pid %d, killed)", (int)pid);
	}
	any |= stop_virtiofsds(e, p, removed, rlen);
	remove_image_disk(e, p, removed, rlen);
	remove_cgroups(e, p, shared, locked, removed, rlen);
	unlink_noted(e, p->qemu_pid, removed, rlen);
	unlink_noted(e, p->qmp, removed, rlen);
	unlink_noted(e, p->console_sock, removed, rlen);
	(void)remove_file(e, p->known_hosts);
	(void)remove_file(e, p->host_key);
	(void)remove_file(e, p->host_key_pub);
	return any;
}

int vm_stop_report(struct vm_env *e, const struct vm_config *vm,
		   struct vm_stop_info *ret)
{
	const unsigned stage_ms = e->c->lab.stop_timeout * 1000;
	_cleanup_close_ int lock = -1;
	struct vm_plan p;
	unsigned long long start = 0;
	pid_t pid = 0, recorded = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	/* no state folder: nothing was started here, and a stop makes none */
	if (access(e->c->lab.state_dir, F_OK) < 0 && errno == ENOENT)
		return 0;
	/* a dry run: the same decisions from the same files, none done */
	r = e->dry_run ? 0 : vm_lock(e, vm, &lock);
	if (r < 0)
		return r;
	r = vm_plan_paths(e->c, vm, &p);
	if (r < 0)
		return r;
	if (vmproc_read_pidfile(p.qemu_pid, &pid, &start, &recorded) == 0 &&
	    pid)
		ret->was_running = true;
	else if (recorded)
		ret->died = true;
	if (ret->was_running && e->dry_run) {
		report(e, VM_REPORT_DRY, "qmp %s system_powerdown", p.qmp);
		report(e, VM_REPORT_DRY,
		       "then qmp quit, SIGTERM and SIGKILL, %u s apart, to qemu (pid %d)",
		       e->c->lab.stop_timeout, (int)pid);
	} else if (ret->was_running) {
		report(e, VM_REPORT_STEP, "powering vm %s down (qemu pid %d)",
		       vm->id, (int)pid);
		r = qmp_execute(p.qmp, "system_powerdown", 5000);
		if (r < 0 || !vmproc_wait_gone(pid, start, stage_ms)) {
			report(e, VM_REPORT_STEP,
			       "vm %s did not power off: QMP quit", vm->id);
			r = qmp_execute(p.qmp, "quit", 5000);
			if (r < 0 || !vmproc_wait_gone(pid, start, stage_ms)) {
				report(e, VM_REPORT_STEP,
				       "vm %s: SIGTERM to qemu", vm->id);
				vmproc_terminate(pid, start, stage_ms);
			}
		}
	} else if (ret->died && !e->dry_run) {
		/* a pid file of a qemu that is gone: it died, or powered off */
		vmproc_qemu_end(vm_env_cg(e), vm, &p, recorded, -1, &ret->end);
		if (ret->end.how != VM_END_POWEROFF)
			report(e, VM_REPORT_WARN,
			       "vm %s: qemu (pid %d) had died: %s", vm->id,
			       (int)recorded, ret->end.what);
	}
	vm_cleanup(e, &p, true, false, ret->removed, sizeof(ret->removed));
	unlink_noted(e, p.starting, ret->removed, sizeof(ret->removed));
	ret->stale = !ret->was_running && ret->removed[0];
	if (!e->dry_run && vm->image && vm->keep_disk)
		report(e, VM_REPORT_STEP,
		       "vm %s: keeping its disk %s (keep_disk = yes; the next start makes a new one)",
		       vm->id, p.disk);
	vm_plan_free(&p);
	return 0;
}
