// SPDX-License-Identifier: MIT
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "array.h"
#include "fileset.h"
#include "imgextents.h"
#include "qemu.h"
#include "qmp.h"
#include "spawn.h"
#include "statedir.h"
#include "systemd.h"
#include "util.h"
#include "vmimage.h"
#include "vmplan.h"
#include "vmproc.h"

#define LOG_TAIL_LINES 15

#define report(e, k, ...) CALLBACK_PRINTF((e)->report, (e)->ud, k, __VA_ARGS__)

static int fail(struct vm_env *e, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct vm_env *e, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = err_vfail(&e->err, r < 0 ? r : -EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

/* The env's cgroups for lib/vmproc.h, or NULL when there are none. */
static const struct cg_ctx *env_cg(const struct vm_env *e)
{
	return e->cg_ok ? &e->cg : NULL;
}

static void cg_trace(void *ud, const char *op, const char *path,
		     const char *value)
{
	struct vm_env *e = ud;

	if (e->dry_run)
		report(e, VM_REPORT_DRY, "%s %s%s%s", op, path,
		       value ? " " : "", value ? value : "");
}

static void place_note(void *ud, enum cgplace_note kind, const char *msg)
{
	struct vm_env *e = ud;

	report(e,
	       kind == CGPLACE_NOTE_DRY	 ? VM_REPORT_DRY :
	       kind == CGPLACE_NOTE_WARN ? VM_REPORT_WARN :
					   VM_REPORT_STEP,
	       "%s", msg);
}

int vm_env_init(struct vm_env *e, const struct lab_config *c, bool dry_run,
		bool no_probe)
{
	*e = (struct vm_env){
		.c = c,
		.place = { .note = place_note, .ud = e },
		.dry_run = dry_run,
		.no_probe = no_probe,
		.cgroup_root =
			e->cgroup_root ? e->cgroup_root : "/sys/fs/cgroup",
		.systemd_dir = e->systemd_dir,
		.report = e->report,
		.ud = e->ud,
		.started_ms = now_realtime_ms(),
		.interrupted = e->interrupted,
		.resident = e->resident,
	};
	if (cg_ctx_init(&e->cg, e->cgroup_root, c->lab.cgroup_version,
			c->lab.cgroup_parent) == 0) {
		e->cg_ok = true;
		e->cg.dry_run = dry_run;
		e->cg.trace = cg_trace;
		e->cg.trace_ud = e;
		if (cgplace_init(&e->place, &e->cg, sysd_booted(e->systemd_dir),
				 c->lab.cgroup_parent, c->lab.state_dir) < 0) {
			cgplace_done(&e->place);
			cg_ctx_done(&e->cg);
			e->cg_ok = false;
			return -ENOMEM;
		}
	}
	return 0;
}

void vm_env_done(struct vm_env *e)
{
	if (e->cg_ok) {
		cgplace_done(&e->place);
		cg_ctx_done(&e->cg);
	}
	free(e->virtiofsd);
	free(e->virtiofsd_version);
	free(e->dry_stopped);
}

char *vm_dir(const struct vm_env *e, const struct vm_config *vm)
{
	return statedir_vm_dir(e->c, vm);
}

char *vm_ssh_config_path(const struct vm_env *e)
{
	return statedir_ssh_config(e->c);
}

/* Is there a virtiofs share (with a DAX window, if dax)? */
static bool any_virtiofs(const struct lab_config *c, bool dax)
{
	for (size_t i = 0; i < c->n_shares; i++)
		if (c->shares[i].backend == SHARE_BACKEND_VIRTIOFS &&
		    (!dax || c->shares[i].dax_window))
			return true;
	return false;
}

/*
 * [lab] accel: kvm where it works (auto) or where asked, else tcg with a
 * warning; accel_why says which and why, for the provenance.
 */
static int resolve_accel(struct vm_env *e)
{
	char why[400];
	bool kvm;

	if (e->c->lab.accel == LAB_ACCEL_TCG) {
		e->accel = "tcg";
		snprintf(e->accel_why, sizeof(e->accel_why),
			 "tcg: [lab] accel = tcg");
		return 0;
	}
	kvm = qemu_kvm_probe("/proc/cpuinfo", "/dev/kvm", why, sizeof(why));
	if (e->c->lab.accel == LAB_ACCEL_KVM) {
		if (!kvm)
			return fail(
				e, -ENODEV,
				"[lab] accel = kvm, but KVM is not usable here (%s); use accel = auto or tcg",
				why);
		e->accel = "kvm";
		snprintf(e->accel_why, sizeof(e->accel_why),
			 "kvm: [lab] accel = kvm, %s", why);
		return 0;
	}
	e->accel = kvm ? "kvm" : "tcg";
	snprintf(e->accel_why, sizeof(e->accel_why), "%s: accel = auto, %s",
		 e->accel, why);
	if (!kvm)
		report(e, VM_REPORT_WARN,
		       "KVM is not usable here (%s): using TCG, guests will be slow",
		       why);
	return 0;
}

/* The probes: accel, virtiofsd binary and style, qemu's cache-size. */
static int resolve(struct vm_env *e)
{
	const struct lab_config *c = e->c;
	int r;

	if (e->resolved)
		return 0;
	if (e->no_probe) {
		e->accel = c->lab.accel == LAB_ACCEL_TCG ? "tcg" : "kvm";
		e->have_cache_size = true;
		e->style = c->virtiofsd.style == VIRTIOFSD_STYLE_RUST ?
				   VIRTIOFSD_STYLE_RUST :
				   VIRTIOFSD_STYLE_C;
		/* where Debian keeps each: 13 the Rust one, 12 the C one */
		e->virtiofsd =
			strdup(c->virtiofsd.path ? c->virtiofsd.path :
			       e->style == VIRTIOFSD_STYLE_RUST ?
						   "/usr/libexec/virtiofsd" :
						   "/usr/lib/qemu/virtiofsd");
		if (!e->virtiofsd)
			return -ENOMEM;
		snprintf(e->accel_why, sizeof(e->accel_why),
			 "%s: assumed (--no-probe)", e->accel);
		e->resolved = true;
		return 0;
	}
	r = resolve_accel(e);
	if (r < 0)
		return r;
	if (!program_in_path(c->lab.qemu)) {
		r = strchr(c->lab.qemu, '/') && access(c->lab.qemu, X_OK) < 0 ?
			    -errno :
			    -ENOENT;
		return fail(e, r, "qemu '%s' (key 'qemu' in [lab]): %s",
			    c->lab.qemu, strerror(-r));
	}
	if (any_virtiofs(c, true)) {
		r = qemu_probe_cache_size(c->lab.qemu, &e->have_cache_size);
		if (r < 0)
			return fail(e, r,
				    "cannot run '%s -device vhost-user-fs-pci,help': %s",
				    c->lab.qemu, strerror(-r));
	}
	if (any_virtiofs(c, false)) {
		r = virtiofsd_find_in(NULL, c->virtiofsd.path, &e->virtiofsd);
		if (r < 0) {
			if (c->virtiofsd.path)
				return fail(e, r,
					    "virtiofsd '%s' (key 'path' in [virtiofsd]): %s",
					    c->virtiofsd.path, strerror(-r));
			return fail(
				e, r,
				"no virtiofsd found (looked for /usr/libexec/virtiofsd, /usr/lib/qemu/virtiofsd, /usr/lib/virtiofsd, /usr/local/libexec/virtiofsd, /usr/bin/virtiofsd, /usr/local/bin/virtiofsd): install the virtiofsd package (Debian 13) or qemu-system-x86 (Debian 12), or set [virtiofsd] path");
		}
		r = virtiofsd_probe(e->virtiofsd, &e->style,
				    &e->virtiofsd_version);
		if (r < 0 && c->virtiofsd.style == VIRTIOFSD_STYLE_AUTO)
			return fail(
				e, r,
				"cannot tell the option style of virtiofsd '%s' from its --help and --version (set [virtiofsd] style = c or rust): %s",
				e->virtiofsd, strerror(-r));
		e->style_probed = c->virtiofsd.style == VIRTIOFSD_STYLE_AUTO;
		if (!e->style_probed) {
			if (r == 0 && e->style != c->virtiofsd.style)
				report(e, VM_REPORT_WARN,
				       "[virtiofsd] style = %s, but the --help of %s is that of the %s virtiofsd: its command line may be refused",
				       virtiofsd_style_name(c->virtiofsd.style),
				       e->virtiofsd,
				       virtiofsd_style_name(e->style));
			e->style = c->virtiofsd.style;
		}
	}
	e->resolved = true;
	return 0;
}

int vm_env_resolve(struct vm_env *e)
{
	int r = resolve(e);

	if (r < 0)
		return r;
	r = topology_load("/sys/devices/system", &e->topo);
	if (r < 0)
		return fail(
			e, r,
			"cannot read the NUMA topology in /sys/devices/system: %s",
			strerror(-r));
	return 0;
}

static int build_fsd_argv(struct vm_env *e, const struct vm_plan *p,
			  const struct vm_plan_share *ps, char ***ret)
{
	int r = virtiofsd_build_argv(p, ps, e->virtiofsd, e->style, ret);

	if (r == -EOPNOTSUPP)
		return fail(
			e, r,
			"[virtiofsd] sandbox = none: the C virtiofsd (%s) has only namespace and chroot",
			e->virtiofsd);
	if (r == -EINVAL)
		return fail(
			e, r,
			"[share %s]: source '%s' holds a ',', which the C virtiofsd's -o source= cannot take",
			ps->s->name, ps->source);
	return r;
}

/* The virtiofsd argument lists and qemu's, from the plan. */
static int plan_cmdlines(struct vm_env *e, const struct vm_plan *p,
			 char ****ret_fsd, char ***ret_qemu)
{
	char ***fsd = calloc(p->n_virtiofs + 1, sizeof(*fsd));
	size_t n = 0;
	int r = 0;

	if (!fsd)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_shares && r >= 0; i++)
		if (p->shares[i].backend == SHARE_BACKEND_VIRTIOFS)
			r = build_fsd_argv(e, p, &p->shares[i], &fsd[n++]);
	if (r >= 0)
		r = qemu_build_argv(p, ret_qemu, &e->err);
	if (r < 0) {
		if (!e->err.msg[0])
			fail(e, r, "cannot build the qemu command line");
		vm_cmdlines_free(fsd, NULL);
		return r;
	}
	*ret_fsd = fsd;
	return 0;
}

int vm_cmdlines(struct vm_env *e, const struct vm_config *vm,
		char ****ret_fsd, char ***ret_qemu)
{
	struct vm_plan p;
	int r;

	*ret_fsd = NULL;
	*ret_qemu = NULL;
	r = vm_plan_make(e, vm, &p);
	if (r < 0)
		return r;
	r = plan_cmdlines(e, &p, ret_fsd, ret_qemu);
	vm_plan_free(&p);
	return r;
}

void vm_cmdlines_free(char ***fsd, char **qemu)
{
	if (fsd) {
		for (size_t i = 0; fsd[i]; i++)
			strv_free(fsd[i]);
		free(fsd);
	}
	strv_free(qemu);
}

/* ---- state directory ---- */

/* mkdir 0700; refuse a symlink or someone else's directory. */
static int make_private_dir(struct vm_env *e, const char *path)
{
	struct stat st;
	int r;

	r = mkdir_p(path, 0700);
	if (r < 0 && r != -EEXIST)
		return fail(e, r, "cannot create %s: %s", path, strerror(-r));
	if (lstat(path, &st) < 0)
		return fail(e, -errno, "cannot stat %s: %s", path,
			    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(e, -ENOTDIR,
			    "%s is not a directory (a symlink?): refusing to use it",
			    path);
	if (st.st_uid != geteuid())
		return fail(e, -EPERM, "%s belongs to uid %u, not to us",
			    path, (unsigned)st.st_uid);
	/* never loosen or tighten a folder we did not make, like /tmp */
	if (st.st_mode & 022)
		return fail(e, -EPERM,
			    "%s is writable by group or others: use a private state_dir",
			    path);
	return 0;
}

static int lock_vm(struct vm_env *e, const struct vm_config *vm, int *ret_fd)
{
	_cleanup_free_ char *p = NULL;
	int fd, r;

	r = make_private_dir(e, e->c->lab.state_dir);
	if (r < 0)
		return r;
	p = statedir_vm_lock(e->c, vm);
	if (!p)
		return -ENOMEM;
	fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(e, -errno, "cannot open the lock file %s: %s", p,
			    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		close(fd);
		if (r == -EWOULDBLOCK)
			return fail(e, -EBUSY,
				    "vm %s is being started or stopped by another daxlab (%s is locked)",
				    vm->id, p);
		return fail(e, r, "cannot lock %s: %s", p, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

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
			vmproc_terminate_tree(env_cg(e),
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
static int lock_cgroups(struct vm_env *e)
{
	_cleanup_free_ char *lp = statedir_cgroups_lock(e->c);
	int fd;

	if (!lp)
		return -ENOMEM;
	fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(e, -errno, "cannot open %s: %s", lp,
			    strerror(errno));
	if (flock(fd, LOCK_EX) < 0) {
		int r = -errno;

		close(fd);
		return fail(e, r, "cannot lock %s: %s", lp, strerror(-r));
	}
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
	fd = lock_cgroups(e);
	if (fd < 0) {
		report(e, VM_REPORT_WARN, "%s", e->err.msg);
		return fd;
	}
	r = release_locked(e);
	close(fd);
	return r;
}

static void remove_cgroups(struct vm_env *e, const struct vm_config *vm,
			   bool shared, bool locked, char *removed, size_t rlen)
{
	const char *fsd_cg = e->c->virtiofsd.cg.cgroup;
	bool had, fsd_had;

	if (!e->cg_ok)
		return;
	if (e->dry_run) {
		if (cg_exists(&e->cg, vm->cg.cgroup)) {
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
	/* anything still in the VM's own cgroup is ours */
	for (int i = 0; i < 50 && cg_exists(&e->cg, vm->cg.cgroup); i++) {
		if (cg_kill(&e->cg, vm->cg.cgroup, SIGKILL) <= 0 &&
		    cg_remove(&e->cg, vm->cg.cgroup) == 0)
			break;
		usleep(100000);
	}
	if (shared) {
		int fd = locked ? -1 : lock_cgroups(e);

		release_locked(e);
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
static bool cleanup_vm(struct vm_env *e, const struct vm_plan *p, bool shared,
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
	remove_cgroups(e, p->vm, shared, locked, removed, rlen);
	unlink_noted(e, p->qemu_pid, removed, rlen);
	unlink_noted(e, p->qmp, removed, rlen);
	unlink_noted(e, p->console_sock, removed, rlen);
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
	r = e->dry_run ? 0 : lock_vm(e, vm, &lock);
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
		r = qmp_execute(p.qmp, "system_powerdown", 5000, NULL);
		if (r < 0 || !vmproc_wait_gone(pid, start, stage_ms)) {
			report(e, VM_REPORT_STEP,
			       "vm %s did not power off: QMP quit", vm->id);
			r = qmp_execute(p.qmp, "quit", 5000, NULL);
			if (r < 0 || !vmproc_wait_gone(pid, start, stage_ms)) {
				report(e, VM_REPORT_STEP,
				       "vm %s: SIGTERM to qemu", vm->id);
				vmproc_terminate(pid, start, stage_ms);
			}
		}
	} else if (ret->died && !e->dry_run) {
		/* a pid file of a qemu that is gone: it died, or powered off */
		vmproc_qemu_end(env_cg(e), vm, &p, recorded, -1, &ret->end);
		if (ret->end.how != VM_END_POWEROFF)
			report(e, VM_REPORT_WARN,
			       "vm %s: qemu (pid %d) had died: %s", vm->id,
			       (int)recorded, ret->end.what);
	}
	cleanup_vm(e, &p, true, false, ret->removed, sizeof(ret->removed));
	unlink_noted(e, p.starting, ret->removed, sizeof(ret->removed));
	ret->stale = !ret->was_running && ret->removed[0];
	if (!e->dry_run && vm->image && vm->keep_disk)
		report(e, VM_REPORT_STEP,
		       "vm %s: keeping its disk %s (keep_disk = yes; the next start makes a new one)",
		       vm->id, p.disk);
	vm_plan_free(&p);
	return 0;
}

/* ---- start ---- */

static int check_file(struct vm_env *e, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return fail(e, -errno, "%s '%s': %s", what, path,
			    strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return fail(e, -EINVAL, "%s '%s': not a file", what, path);
	if (access(path, R_OK) < 0)
		return fail(e, -errno, "%s '%s': %s", what, path,
			    strerror(errno));
	return 0;
}

int vm_check_place(struct vm_env *e)
{
	const struct lab_config *c = e->c;
	const struct cgplace *p = &e->place;

	if (!e->cg_ok)
		return 0;
	if (p->refused)
		return fail(e, -EPERM, "%s%s%s",
			    p->mode == CGPLACE_PARENT ? c->path : "",
			    p->mode == CGPLACE_PARENT ? ": " : "", p->refused);
	if (p->mode == CGPLACE_ROOT || e->cg.version != CG_V2)
		return 0;
	for (size_t i = 0; i < c->n_vms; i++)
		if (!strcmp(c->vms[i].cg.cgroup, CGPLACE_LEAF))
			return fail(
				e, -EINVAL,
				"[vm %s]: cgroup = %s is the name of the leaf that daxlab moves the processes of %s into: choose another",
				c->vms[i].id, CGPLACE_LEAF, p->parent);
	if (!strcmp(c->virtiofsd.cg.cgroup, CGPLACE_LEAF))
		return fail(
			e, -EINVAL,
			"[virtiofsd]: cgroup = %s is the name of the leaf that daxlab moves the processes of %s into: choose another",
			CGPLACE_LEAF, p->parent);
	return 0;
}

/* The plan against the host: files, programs, cgroups, file systems. */
static int validate(struct vm_env *e, const struct vm_plan *p)
{
	const struct lab_config *c = e->c;
	const struct vm_config *vm = p->vm;
	struct error why = { 0 };
	int r;

	if (!e->cg_ok)
		return fail(e, -ENOENT,
			    "no usable cgroup hierarchy below %s (cgroup_version = %s): need cgroup2, or v1 cpuset and memory",
			    e->cgroup_root, c->lab.cgroup_version);
	r = vm_check_place(e);
	if (r < 0)
		return r;
	if (vm->image) {
		r = check_file(e, "image", vm->image);
		if (r < 0)
			return r;
		if (vm->seed && (r = check_file(e, "seed", vm->seed)) < 0)
			return r;
		if (!program_in_path("qemu-img"))
			return fail(e, -ENOENT,
				    "[vm %s]: image needs qemu-img (qemu-utils) for its overlay",
				    vm->id);
		if (!vm->seed && (!program_in_path("mkfs.vfat") ||
				  !program_in_path("mcopy")))
			return fail(e, -ENOENT,
				    "[vm %s]: image needs mkfs.vfat and mcopy (dosfstools, mtools) for its cloud-init seed",
				    vm->id);
		r = statedir_disk_fs("[lab] image_dir", p->image_dir, &why);
		if (r < 0)
			return fail(e, r, "[vm %s]: the overlay: %s", vm->id,
				    why.msg);
	} else {
		r = check_file(e, "kernel", vm->kernel);
		if (r < 0)
			return r;
		r = check_file(e, "initrd", vm->initrd);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];
		const struct share_config *s = ps->s;
		struct stat st;

		if (stat(ps->source, &st) < 0)
			return fail(e, -errno, "[share %s]: source '%s': %s",
				    s->name, ps->source, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return fail(e, -ENOTDIR,
				    "[share %s]: source '%s' is not a folder",
				    s->name, ps->source);
		if (strlen(ps->socket) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			return fail(
				e, -ENAMETOOLONG,
				"socket path '%s' is too long for a unix socket: use a shorter state_dir",
				ps->socket);
		if (s->backend == SHARE_BACKEND_VIRTIOFS && s->dax_window &&
		    !p->have_cache_size)
			return fail(e, -EOPNOTSUPP,
				    "[share %s]: dax_window needs a qemu whose vhost-user-fs-pci has 'cache-size' (the out-of-tree virtio-fs DAX branch); '%s -device vhost-user-fs-pci,help' shows none. Remove dax_window, or use backend = virtio-pmem for DAX with stock qemu",
				    s->name, c->lab.qemu);
		if (s->backend == SHARE_BACKEND_VIRTIO_PMEM &&
		    (!program_in_path("mkfs.ext4") ||
		     !program_in_path("debugfs")))
			return fail(
				e, -ENOENT,
				"[share %s]: backend = virtio-pmem needs mkfs.ext4 and debugfs (e2fsprogs)",
				s->name);
		/*
		 * What a guest reads must sit in real page cache: a virtiofs
		 * source, and a virtio-pmem image in image_dir, on a disk
		 * file system.
		 */
		if (ps->backend == SHARE_BACKEND_VIRTIOFS)
			r = statedir_disk_fs("source", ps->source, &why);
		else
			r = statedir_disk_fs("[lab] image_dir", ps->image_dir,
					     &why);
		if (r < 0)
			return fail(e, r, "[share %s]: %s", s->name, why.msg);
	}
	return 0;
}

/* What a dry run would run, in cgroup unless NULL. */
static void dry_cmd(struct vm_env *e, const char *cgroup, char **argv)
{
	_cleanup_free_ char *s = shell_join((const char *const *)argv);

	report(e, VM_REPORT_DRY, "run%s%s: %s", cgroup ? " in cgroup " : "",
	       cgroup ? cgroup : "", s ? s : "?");
}

static int step_failed(struct vm_env *e, const char *step, int r,
		       const char *log, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int step_failed(struct vm_env *e, const char *step, int r,
		       const char *log, const char *fmt, ...)
{
	_cleanup_free_ char *tail =
		log ? vmproc_log_tail(log, LOG_TAIL_LINES) : NULL;
	char why[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (tail && *tail)
		return err_fail(&e->err, r,
				"step '%s' failed: %s\nlast lines of %s:\n%s",
				step, why, log, tail);
	return err_fail(&e->err, r, "step '%s' failed: %s", step, why);
}

/*
 * Starts argv in cgroup, its output to log (truncated, not through a
 * symlink), and writes its pid file; what names it in step's error.
 */
static int spawn_step(struct vm_env *e, const char *step, const char *what,
		      const char *cgroup, char **argv, const char *log,
		      const char *pidfile, pid_t *ret_pid)
{
	_cleanup_close_ int logfd =
		open(log,
		     O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC |
			     O_APPEND,
		     0600);
	_cleanup_close_ int cgfd = -1;
	_cleanup_strv_ char **procs = NULL;
	struct spawn_opts o;
	int r = logfd < 0 ? -errno : 0;

	if (r == 0)
		r = cg_spawn_target(&e->cg, cgroup, &cgfd, &procs);
	if (r == 0) {
		spawn_opts_init(&o, (const char *const *)argv);
		o.fd_in = SPAWN_NULL;
		o.fd_out = logfd;
		o.fd_err = logfd;
		o.cgroup_fd = cgfd;
		o.cgroup_procs = (const char *const *)procs;
		o.new_session = true;
		r = spawn(&o, ret_pid);
	}
	if (r < 0)
		return step_failed(e, step, r, log, "%s: %s", what,
				   strerror(-r));
	r = vmproc_write_pidfile(pidfile, *ret_pid);
	if (r < 0) {
		kill(*ret_pid, SIGKILL);
		spawn_wait(*ret_pid);
		return step_failed(e, step, r, NULL, "cannot write %s: %s",
				   pidfile, strerror(-r));
	}
	return 0;
}

/* -ECHILD: pid ended first (*ret_wstatus: its wait status, or -1). */
static int wait_socket(const struct vm_env *e, const char *path, pid_t pid,
		       unsigned ms, int *ret_wstatus)
{
	int64_t end = now_monotonic_ns() + (int64_t)ms * 1000000;
	struct stat st;

	*ret_wstatus = -1;
	for (;;) {
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		if (vmproc_child_gone(pid, ret_wstatus))
			return -ECHILD;
		if (e->interrupted && *e->interrupted)
			return -EINTR;
		if (now_monotonic_ns() >= end)
			return -ETIMEDOUT;
		usleep(20000);
	}
}

static bool ssh_answers(struct vm_env *e, const struct vm_config *vm)
{
	_cleanup_free_ char *cfg = vm_ssh_config_path(e);
	const char *argv[] = { "ssh",	 "-F",	 cfg, "-o", "ConnectTimeout=5",
			       vm->name, "true", NULL };

	return cfg && spawn_run(argv, NULL, NULL) == 0;
}

/* qemu-img create of the overlay, and the seed, before qemu starts. */
static int make_image_disk(struct vm_env *e, const struct vm_plan *p)
{
	const struct vm_config *vm = p->vm;
	const char *disk = p->disk, *seed = p->seed;
	struct error why = { 0 };
	int r;

	if (e->dry_run) {
		const char *fmt = "qcow2";
		_cleanup_strv_ char **argv = NULL;

		vmimage_format(vm->image, &fmt);
		if (vmimage_overlay_argv(vm->image, fmt, disk, &argv) == 0)
			dry_cmd(e, NULL, argv);
		if (!vm->seed)
			report(e, VM_REPORT_DRY,
			       "write the NoCloud seed %s (mkfs.vfat, mcopy)",
			       seed);
		return 0;
	}
	report(e, VM_REPORT_STEP, "vm %s: overlay %s on %s", vm->id, disk,
	       vm->image);
	r = vmimage_make_overlay(vm->image, disk, &why);
	if (r < 0)
		return step_failed(e, "make the VM's disk", r, NULL, "%s",
				   why.msg);
	if (vm->seed)
		return 0;
	r = vmimage_make_seed(e->c, vm, seed, &why);
	if (r < 0)
		return step_failed(e, "make the VM's disk", r, NULL,
				   "the seed: %s", why.msg);
	return 0;
}

/*
 * What a start waits for: DAXLAB-READY on the console when daxlab boots
 * the kernel (the guest's /init says it), then ssh; without a network
 * (net = none) there is no ssh to wait for, and a disk image's guest
 * says nothing daxlab reads.
 */
static void report_waiting(struct vm_env *e, const struct vm_config *vm,
			   const struct vm_plan *p)
{
	bool kernel_boot = !vm->image, net = vm->net != VM_NET_NONE;

	if (kernel_boot && net)
		report(e, VM_REPORT_STEP,
		       "vm %s: waiting for DAXLAB-READY on the console (%s), then for ssh",
		       vm->id, p->console_log);
	else if (kernel_boot)
		report(e, VM_REPORT_STEP,
		       "vm %s: waiting for DAXLAB-READY on the console (%s); net = none: no ssh to wait for",
		       vm->id, p->console_log);
	else if (net)
		report(e, VM_REPORT_STEP,
		       "vm %s: waiting for ssh, then cloud-init, the shares and fio (a disk image; console: %s)",
		       vm->id, p->console_log);
	else
		report(e, VM_REPORT_STEP,
		       "vm %s: a disk image and net = none: nothing to wait for, qemu runs (console: %s)",
		       vm->id, p->console_log);
}

/*
 * An image VM whose ssh answers: cloud-init done, the shares mounted as
 * asked, fio of the host's version, its server answering. The mounts go
 * to <vm_dir>/mounts as DAXLAB-MOUNT lines, for `daxlab run`.
 */
static int image_ready(struct vm_env *e, const struct vm_config *vm,
		       const struct vm_plan *p, int64_t end)
{
	_cleanup_free_ char *cfg = vm_ssh_config_path(e);
	struct vmimage_ready rd = {
		.c = e->c,
		.vm = vm,
		.ssh_config = cfg,
		.mounts_file = p->mounts,
		.fio = "fio",
		.deadline_ns = end,
		.interrupted = e->interrupted,
	};
	struct error why = { 0 };
	int r;

	if (!cfg)
		return -ENOMEM;
	report(e, VM_REPORT_STEP,
	       "vm %s: ssh answers; checking cloud-init, the shares and fio",
	       vm->id);
	r = vmimage_wait_ready(&rd, &why);
	if (rd.warn[0])
		report(e, VM_REPORT_WARN, "vm %s: %s", vm->id, rd.warn);
	if (r < 0)
		return step_failed(e, "check the guest", r, NULL,
				   "vm %s: %s (console log: %s)", vm->id,
				   why.msg, p->console_log);
	/* what measures the page cache inside it (the tiny guest has it) */
	if (e->resident) {
		r = vmimage_copy_helper(&rd, e->resident, &why);
		if (r < 0)
			return step_failed(e, "copy daxlab-resident", r, NULL,
					   "vm %s: %s", vm->id, why.msg);
	}
	return 0;
}

/* Polls the console log for DAXLAB-READY while qemu lives. */
static int wait_ready(struct vm_env *e, const struct vm_config *vm,
		      const struct vm_plan *p, pid_t qemu, int64_t end)
{
	bool kernel_boot = !vm->image;
	bool ready = !kernel_boot;
	int wstatus = -1;

	for (;;) {
		if (vmproc_child_gone(qemu, &wstatus)) {
			struct stat st;
			bool qlog = stat(p->qemu_log, &st) == 0 &&
				    st.st_size > 0;
			struct vm_end_info qend;

			vmproc_qemu_end(env_cg(e), vm, p, qemu, wstatus, &qend);
			return step_failed(e, "wait for the guest", -ECHILD,
					   qlog ? p->qemu_log : p->console_log,
					   "qemu exited: %s (console log: %s)",
					   qend.what, p->console_log);
		}
		if (!ready) {
			_cleanup_free_ char *log = NULL;
			_cleanup_close_ int fd =
				vmproc_open_nofollow_read(p->console_log);

			if (fd >= 0)
				read_full_fd(fd, 64 << 20, &log, NULL);
			if (log) {
				char *f = strstr(log, "DAXLAB-MOUNT-FAILED");

				if (f) {
					f[strcspn(f, "\n")] = 0;
					cg_trim(f);
					return step_failed(
						e, "mount shares in the guest",
						-EIO, NULL,
						"the guest says '%s' (console log: %s)",
						f, p->console_log);
				}
				if (strstr(log, "DAXLAB-READY")) {
					ready = true;
					if (vm->net != VM_NET_NONE)
						report(e, VM_REPORT_STEP,
						       "vm %s: guest is up (DAXLAB-READY), waiting for ssh",
						       vm->id);
					else
						report(e, VM_REPORT_STEP,
						       "vm %s: guest is up (DAXLAB-READY; net = none: no ssh to wait for)",
						       vm->id);
				}
			}
		}
		if (ready && vm->net != VM_NET_NONE && ssh_answers(e, vm))
			return vm->image ? image_ready(e, vm, p, end) : 0;
		if (ready && vm->net == VM_NET_NONE)
			return 0;
		if (e->interrupted && *e->interrupted)
			return step_failed(e, "wait for the guest", -EINTR,
					   NULL, "interrupted by a signal");
		if (now_monotonic_ns() >= end)
			return step_failed(
				e, "wait for the guest", -ETIMEDOUT,
				p->console_log,
				ready ? "ssh to %s did not answer in time" :
					"no DAXLAB-READY on the console of %s in time",
				vm->name);
		usleep(ready ? 500000 : 100000);
	}
}

/*
 * mkfs.ext4 leaves the image in the page cache, charged to daxlab and on
 * daxlab's node. Dropped, the first guest access brings each page in,
 * charged to that VM's cgroup on that VM's node. -EBUSY when pages stay.
 */
static int drop_image_cache(const char *path)
{
	for (int tries = 0; tries < 3; tries++) {
		struct fs_residency res = { 0 };
		int r = fileset_file_evict(path);

		if (r < 0)
			return r;
		r = fileset_file_residency(path, NULL, &res);
		if (r < 0)
			return r;
		if (!res.resident)
			return 0;
	}
	return -EBUSY;
}

static int build_pmem_images(struct vm_env *e, const struct vm_plan *p)
{
	static const char step[] = "build virtio-pmem image";
	const struct lab_config *c = e->c;

	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];
		const struct share_config *s = ps->s;
		const char *src = ps->source, *image = ps->image;
		_cleanup_free_ char *tmp = NULL, *kib = NULL, *out = NULL;
		_cleanup_strv_ char **argv = NULL;
		_cleanup_close_ int lockfd = -1, fd = -1;
		struct error xerr = { 0 };
		int ex, r;

		if (ps->backend != SHARE_BACKEND_VIRTIO_PMEM)
			continue;
		if (!e->dry_run) {
			r = mkdir_p(ps->image_dir, 0755);
			if (r < 0)
				return step_failed(e, step, r, NULL,
						   "mkdir %s: %s",
						   ps->image_dir, strerror(-r));
		}
		if (s->shared && !e->dry_run) {
			/* another running VM may map it: keep it then */
			bool busy = false;
			_cleanup_free_ char *lp =
				strdup_printf("%s.lock", image);
			struct stat st;

			/* VMs started together build it once */
			if (!lp)
				return -ENOMEM;
			lockfd = lock_file(lp, 0600, LOCK_EX, NULL);
			if (lockfd < 0)
				return step_failed(e, step, lockfd, NULL,
						   "lock %s: %s", lp,
						   strerror(-lockfd));
			if (stat(image, &st) == 0 &&
			    (int64_t)st.st_mtim.tv_sec * 1000 +
					    st.st_mtim.tv_nsec / 1000000 >=
				    e->started_ms)
				continue;

			for (size_t j = 0; j < c->n_vms; j++) {
				_cleanup_free_ char *pf = NULL;
				pid_t pid = 0;

				if (&c->vms[j] == p->vm ||
				    !config_vm_has_share(&c->vms[j], s))
					continue;
				pf = statedir_vm_path(c, &c->vms[j],
						      STATEDIR_QEMU_PID);
				if (pf && vm_read_pidfile(pf, &pid) == 0 && pid)
					busy = true;
			}
			if (busy && access(image, R_OK) == 0)
				continue;
		}
		tmp = strdup_printf("%s.tmp", image);
		if (!tmp)
			return -ENOMEM;
		r = qemu_mkfs_argv(src, tmp, s->tag, &argv);
		if (r < 0)
			return r;
		/* size in KiB as the last argument */
		kib = strdup_printf("%lluk",
				    (unsigned long long)(ps->image_size >> 10));
		if (!kib || strv_append(&argv, kib) < 0)
			return -ENOMEM;
		if (e->dry_run) {
			dry_cmd(e, NULL, argv);
			continue;
		}
		report(e, VM_REPORT_STEP,
		       "building the virtio-pmem image of share %s (%s)",
		       s->name, image);
		(void)unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
		if (fd < 0 || ftruncate(fd, (off_t)ps->image_size) < 0)
			return step_failed(e, step, -errno, NULL, "%s: %s", tmp,
					   strerror(errno));
		close(TAKE_FD(fd));
		r = spawn_capture((const char *const *)argv, true, 65536, &out,
				  &ex);
		if (r < 0 || ex != 0) {
			(void)unlink(tmp);
			return step_failed(e, step, r < 0 ? r : -EIO, NULL,
					   "mkfs.ext4 -d %s %s: %s", src, tmp,
					   r < 0 ? strerror(-r) :
						   (out ? cg_trim(out) : "?"));
		}
		if (rename(tmp, image) < 0) {
			r = -errno;
			(void)unlink(tmp);
			return step_failed(e, step, r, NULL, "rename to %s: %s",
					   image, strerror(-r));
		}
		/* where its files' data sit: the rest is not their copy */
		r = imgextents_build(image, src, &xerr);
		if (r < 0)
			return step_failed(e, step, r, NULL, "%s",
					   xerr.msg[0] ? xerr.msg :
							 strerror(-r));
		r = drop_image_cache(image);
		if (r < 0)
			return step_failed(
				e, step, r, NULL, "%s: %s", image,
				r == -EBUSY ?
					"still in the page cache after fsync and POSIX_FADV_DONTNEED" :
					strerror(-r));
	}
	return 0;
}

/* Writes <state_dir>/ssh_config for every VM of the config. */
static int write_ssh_config(struct vm_env *e)
{
	const struct lab_config *c = e->c;
	_cleanup_free_ char *path = vm_ssh_config_path(e);
	_cleanup_free_ char *tmp = NULL, *key = config_ssh_key(c);
	_cleanup_fclose_ FILE *f = NULL;
	int fd, r;

	if (!path || !key)
		return -ENOMEM;
	tmp = strdup_printf("%s.%d.tmp", path, (int)getpid());
	if (!tmp)
		return -ENOMEM;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return fail(e, -errno, "cannot write %s: %s", tmp,
			    strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	fprintf(f, "# Written by daxlab vm start from %s\n", c->path);
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = &c->vms[i];
		const char *at = strchr(vm->ssh, '@');
		/* ssh is USER@HOST, or HOST to log in as root */
		const char *user = at ? vm->ssh : "root";

		fprintf(f, "\nHost %s\n", vm->name);
		if (vm->net == VM_NET_USER)
			fprintf(f, "\tHostName 127.0.0.1\n\tPort %u\n",
				vm->ssh_port);
		else
			fprintf(f, "\tHostName %s\n", at ? at + 1 : vm->ssh);
		fprintf(f,
			"\tUser %.*s\n\tIdentityFile %s\n\tIdentitiesOnly yes\n"
			"\tStrictHostKeyChecking no\n"
			"\tUserKnownHostsFile /dev/null\n\tLogLevel ERROR\n"
			"\tBatchMode yes\n\tConnectTimeout 10\n"
			"\tServerAliveInterval 15\n",
			(int)strcspn(user, "@"), user, key);
	}
	if (fflush(f) != 0 || ferror(f)) {
		r = -errno;
		(void)unlink(tmp);
		return fail(e, r, "cannot write %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		return fail(e, r, "cannot rename %s to %s: %s", tmp, path,
			    strerror(-r));
	}
	return 0;
}

/* 0 when 127.0.0.1:port can be bound now, as qemu's hostfwd binds it. */
static int port_bindable(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -errno;
	return 0;
}

/*
 * The VM's host forwards, before anything starts: a port taken by a
 * listener or by a connection (whose local port cannot be bound again,
 * SO_REUSEADDR or not) would make qemu exit. A port in the ephemeral
 * range can be taken by any connection this host makes before qemu binds
 * it: a warning.
 */
static int check_ports(struct vm_env *e, const struct vm_config *vm)
{
	const struct {
		const char *key;
		unsigned port;
	} fw[] = { { "ssh_port", vm->ssh_port }, { "fio_port", vm->fio_port } };
	_cleanup_free_ char *range = NULL;
	unsigned lo = 0, hi = 0;

	if (read_full_file("/proc/sys/net/ipv4/ip_local_port_range", 64, &range,
			   NULL) < 0 ||
	    sscanf(range, "%u %u", &lo, &hi) != 2)
		lo = hi = 0;
	for (size_t i = 0; i < ARRAY_SIZE(fw); i++) {
		int r = port_bindable(fw[i].port);

		if (r == -EADDRINUSE)
			return fail(
				e, r,
				"vm %s: %s %u on 127.0.0.1 is taken (by a listener, or as the local port of a connection); set another [vm %s] %s",
				vm->id, fw[i].key, fw[i].port, vm->id,
				fw[i].key);
		if (fw[i].port >= lo && fw[i].port <= hi)
			report(e, VM_REPORT_WARN,
			       "vm %s: %s %u is in this host's ephemeral port range %u-%u (net.ipv4.ip_local_port_range): a connection the host makes can take it before qemu binds it; ports below %u are safe",
			       vm->id, fw[i].key, fw[i].port, lo, hi, lo);
	}
	return 0;
}

/*
 * The plan of vm, checked against the host; the error says "step 'check
 * the configuration' failed: ...".
 */
static int plan_checked(struct vm_env *e, const struct vm_config *vm,
			struct vm_plan *ret)
{
	struct error why;
	int r;

	e->err.msg[0] = 0;
	r = vm_plan_make(e, vm, ret);
	if (r >= 0) {
		r = validate(e, ret);
		if (r >= 0)
			return 0;
		vm_plan_free(ret);
	}
	why = e->err;
	err_set(&e->err, "step 'check the configuration' failed: %s", why.msg);
	return r;
}

int vm_check(struct vm_env *e, const struct vm_config *vm)
{
	struct vm_plan p;
	int r = plan_checked(e, vm, &p);

	if (r >= 0)
		vm_plan_free(&p);
	return r;
}

/* A symlink where a pid file, socket or log of ours goes: refused. */
static int refuse_symlink(struct vm_env *e, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return fail(e, -ELOOP,
			    "%s is a symlink: refusing to use it (remove it if it is yours)",
			    path);
	return 0;
}

static int refuse_symlinks(struct vm_env *e, const struct vm_plan *p)
{
	const char *const mine[] = { p->qemu_pid, p->qemu_log, p->qmp,
				     p->console_sock, p->console_log };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(mine); i++)
		if ((r = refuse_symlink(e, mine[i])) < 0)
			return r;
	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];

		if (ps->backend != SHARE_BACKEND_VIRTIOFS)
			continue;
		if ((r = refuse_symlink(e, ps->pidfile)) < 0 ||
		    (r = refuse_symlink(e, ps->socket)) < 0)
			return r;
	}
	return 0;
}

int vm_start(struct vm_env *e, const struct vm_config *vm,
	     unsigned timeout_s)
{
	const struct lab_config *c = e->c;
	int64_t end = now_monotonic_ns() + (int64_t)timeout_s * 1000000000LL;
	_cleanup_close_ int lock = -1;
	_cleanup_close_ int cglock = -1;
	char ***fsd = NULL;
	char **qemu = NULL;
	struct vm_plan p;
	pid_t qpid = 0;
	struct error why = { 0 };
	size_t k;
	int wstatus = -1;
	int r;

	e->console_ours = false;
	r = plan_checked(e, vm, &p);
	if (r < 0)
		return r;
	r = plan_cmdlines(e, &p, &fsd, &qemu);
	if (r < 0)
		goto out;

	if (e->dry_run) {
		report(e, VM_REPORT_DRY, "mkdir %s (0700)", p.dir);
		cgplace_prepare(&e->place, &e->cg, NULL, NULL);
		cg_create(&e->cg, c->virtiofsd.cg.cgroup, p.fsd_cpus,
			  p.fsd_mems, c->virtiofsd.cg.memory_max, NULL);
		cg_create(&e->cg, vm->cg.cgroup, p.cpus, p.mems,
			  vm->cg.memory_max, NULL);
		build_pmem_images(e, &p);
		for (k = 0; fsd[k]; k++)
			dry_cmd(e, c->virtiofsd.cg.cgroup, fsd[k]);
		if (vm->image)
			make_image_disk(e, &p);
		dry_cmd(e, vm->cg.cgroup, qemu);
		if (vm->image && vm->net == VM_NET_NONE)
			report(e, VM_REPORT_DRY,
			       "wait for nothing (a disk image and net = none)");
		else if (vm->image)
			report(e, VM_REPORT_DRY,
			       "wait for ssh %s, then check cloud-init, the shares and fio over it",
			       vm->name);
		else if (vm->net == VM_NET_NONE)
			report(e, VM_REPORT_DRY,
			       "wait for DAXLAB-READY on %s (net = none: no ssh)",
			       p.console_log);
		else
			report(e, VM_REPORT_DRY,
			       "wait for DAXLAB-READY on %s, then ssh %s",
			       p.console_log, vm->name);
		r = 0;
		goto out;
	}

	r = lock_vm(e, vm, &lock);
	if (r < 0)
		goto out;
	r = refuse_symlinks(e, &p);
	if (r < 0)
		goto out;
	if (access(p.starting, F_OK) == 0) {
		/* we hold the lock: the daxlab that wrote it died mid-start */
		if (cleanup_vm(e, &p, false, false, NULL, 0))
			report(e, VM_REPORT_WARN,
			       "vm %s: stopped what an interrupted start left running",
			       vm->id);
		(void)unlink(p.starting);
	}
	if (vmproc_read_pidfile(p.qemu_pid, &qpid, NULL, NULL) == 0 && qpid) {
		r = fail(
			e, -EALREADY,
			"vm %s is already running (qemu pid %d); stop it first",
			vm->id, (int)qpid);
		goto out;
	}
	if (vm->net != VM_NET_NONE) {
		r = check_ports(e, vm);
		if (r < 0)
			goto out;
	}
	r = make_private_dir(e, p.dir);
	if (r < 0)
		goto out;
	r = write_text_file(p.starting, "", 0600, false);
	if (r < 0) {
		r = fail(e, r, "cannot create %s: %s", p.starting,
			 strerror(-r));
		goto out;
	}
	/* a daxlab killed half-way leaves this behind */
	if (cleanup_vm(e, &p, false, false, NULL, 0))
		report(e, VM_REPORT_WARN,
		       "vm %s: cleaned up processes left by an earlier start",
		       vm->id);
	r = write_ssh_config(e);
	if (r < 0)
		goto out;

	report(e, VM_REPORT_STEP, "vm %s: cgroups %s and %s", vm->id,
	       c->virtiofsd.cg.cgroup, vm->cg.cgroup);
	/* until its virtiofsd runs in it, no one may remove the cgroup */
	r = lock_cgroups(e);
	if (r < 0) {
		r = step_failed(e, "create the virtiofsd cgroup", r, NULL, "%s",
				e->err.msg);
		goto rollback;
	}
	cglock = r;
	{
		_cleanup_free_ char *desc = strdup_printf(
			"daxlab lab %s (%s)", c->lab.state_dir, c->path);

		r = desc ? cgplace_prepare(&e->place, &e->cg, desc, &why) :
			   -ENOMEM;
		if (r < 0) {
			r = step_failed(e, "place the cgroups", r, NULL, "%s",
					r == -ENOMEM ? "out of memory" :
						       why.msg);
			goto rollback;
		}
	}
	r = cg_create(&e->cg, c->virtiofsd.cg.cgroup, p.fsd_cpus, p.fsd_mems,
		      c->virtiofsd.cg.memory_max, &why);
	if (r < 0) {
		r = step_failed(e, "create the virtiofsd cgroup", r, NULL,
				"%s: %s", why.msg, strerror(-r));
		goto rollback;
	}
	r = cg_create(&e->cg, vm->cg.cgroup, p.cpus, p.mems, vm->cg.memory_max,
		      &why);
	if (r < 0) {
		r = step_failed(e, "create the VM cgroup", r, NULL, "%s: %s",
				why.msg, strerror(-r));
		goto rollback;
	}
	r = build_pmem_images(e, &p);
	if (r < 0)
		goto rollback;

	k = 0;
	for (size_t i = 0; i < p.n_shares; i++) {
		const struct share_config *s = p.shares[i].s;
		const char *log = p.shares[i].log, *sock = p.shares[i].socket;
		_cleanup_free_ char *what = NULL;
		pid_t pid;

		if (p.shares[i].backend != SHARE_BACKEND_VIRTIOFS)
			continue;
		report(e, VM_REPORT_STEP,
		       "vm %s: virtiofsd for share %s (%s, %s style)", vm->id,
		       s->name, e->virtiofsd, virtiofsd_style_name(e->style));
		(void)unlink(sock);
		what = strdup_printf("%s (share %s)", e->virtiofsd, s->name);
		r = what ? spawn_step(e, "start virtiofsd", what,
				      c->virtiofsd.cg.cgroup, fsd[k++], log,
				      p.shares[i].pidfile, &pid) :
			   -ENOMEM;
		if (r < 0)
			goto rollback;
		r = wait_socket(e, sock, pid, 10000, &wstatus);
		if (r < 0) {
			r = step_failed(
				e, "start virtiofsd", r, log,
				r == -ECHILD ?
					"%s exited before creating %s" :
				r == -EINTR ?
					"%s: interrupted before %s appeared" :
					"%s did not create %s in 10 s",
				what, sock);
			goto rollback;
		}
	}

	close(cglock);
	cglock = -1;
	if (vm->image) {
		(void)unlink(p.mounts);
		r = make_image_disk(e, &p);
		if (r < 0)
			goto rollback;
	}
	report(e, VM_REPORT_STEP, "vm %s: qemu (%s, %s)", vm->id, p.accel,
	       c->lab.qemu);
	(void)unlink(p.qmp);
	(void)unlink(p.console_sock);
	(void)unlink(p.console_log);
	e->console_ours = true;
	r = spawn_step(e, "start qemu", c->lab.qemu, vm->cg.cgroup, qemu,
		       p.qemu_log, p.qemu_pid, &qpid);
	if (r < 0)
		goto rollback;
	r = wait_socket(e, p.qmp, qpid, 30000, &wstatus);
	if (r == -ECHILD) {
		struct vm_end_info qend;

		vmproc_qemu_end(env_cg(e), vm, &p, qpid, wstatus, &qend);
		r = step_failed(e, "start qemu", r, p.qemu_log,
				"%s exited at once: %s", c->lab.qemu,
				qend.what);
		goto rollback;
	}
	if (r < 0) {
		r = step_failed(e, "start qemu", r, p.qemu_log,
				r == -EINTR ? "%s: interrupted by a signal" :
					      "%s did not open its QMP socket",
				c->lab.qemu);
		goto rollback;
	}
	report_waiting(e, vm, &p);
	r = wait_ready(e, vm, &p, qpid, end);
	if (r < 0)
		goto rollback;
	(void)unlink(p.starting);
	r = 0;
	goto out;

rollback:
	/* the failure's message, not one the cleanup may write */
	why = e->err;
	cleanup_vm(e, &p, true, cglock >= 0, NULL, 0);
	(void)unlink(p.starting);
	e->err = why;
out:
	vm_cmdlines_free(fsd, qemu);
	vm_plan_free(&p);
	return r;
}

/* ---- status ---- */

int vm_status(struct vm_env *e, const struct vm_config *vm,
	      struct vm_status *ret)
{
	const struct lab_config *c = e->c;
	struct vm_plan p;
	pid_t recorded = 0;
	size_t n = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = vm_plan_paths(c, vm, &p);
	if (r < 0)
		return r;
	vmproc_read_pidfile(p.qemu_pid, &ret->qemu_pid, NULL, &recorded);
	ret->running = ret->qemu_pid > 0;
	if (e->cg_ok &&
	    cg_oom_kills(&e->cg, vm->cg.cgroup, &ret->oom_kills, NULL) == 0)
		ret->oom_known = true;
	if (!ret->running && recorded) {
		ret->qemu_died = true;
		vmproc_qemu_end(env_cg(e), vm, &p, recorded, -1, &ret->end);
	}
	ret->fsd_share = calloc(c->n_shares + 1, sizeof(*ret->fsd_share));
	ret->fsd_pid = calloc(c->n_shares + 1, sizeof(pid_t));
	if (!ret->fsd_share || !ret->fsd_pid) {
		vm_plan_free(&p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p.n_shares; i++) {
		const char *pf = p.shares[i].pidfile;

		if (p.shares[i].backend != SHARE_BACKEND_VIRTIOFS)
			continue;
		ret->fsd_share[n] = p.shares[i].s->name;
		vm_read_pidfile(pf, &ret->fsd_pid[n]);
		if (access(pf, F_OK) == 0 && !ret->fsd_pid[n])
			ret->stale = true;
		n++;
	}
	ret->n_fsd = n;
	if (!ret->running && access(p.qemu_pid, F_OK) == 0)
		ret->stale = true;
	if (e->cg_ok) {
		if (cg_exists(&e->cg, vm->cg.cgroup)) {
			ret->cgroup = cg_path(&e->cg, "cpuset", vm->cg.cgroup,
					      NULL);
			cg_effective(&e->cg, vm->cg.cgroup, &ret->cg_cpus,
				     &ret->cg_mems);
			cg_pids(&e->cg, vm->cg.cgroup, &ret->cg_pids,
				&ret->n_cg_pids);
			cg_read_numa_stat(&e->cg, vm->cg.cgroup,
					  &ret->numa_stat, NULL);
			if (!ret->running)
				ret->stale = true;
		}
		if (cg_exists(&e->cg, c->virtiofsd.cg.cgroup)) {
			ret->fsd_cgroup = cg_path(&e->cg, "cpuset",
						  c->virtiofsd.cg.cgroup, NULL);
			cg_effective(&e->cg, c->virtiofsd.cg.cgroup,
				     &ret->fsd_cpus, &ret->fsd_mems);
			cg_read_numa_stat(&e->cg, c->virtiofsd.cg.cgroup,
					  &ret->fsd_numa_stat, NULL);
		}
	}
	vm_plan_free(&p);
	return 0;
}

void vm_status_free(struct vm_status *s)
{
	free(s->fsd_share);
	free(s->fsd_pid);
	free(s->cgroup);
	free(s->cg_cpus);
	free(s->cg_mems);
	free(s->cg_pids);
	free(s->numa_stat);
	free(s->fsd_cgroup);
	free(s->fsd_cpus);
	free(s->fsd_mems);
	free(s->fsd_numa_stat);
	memset(s, 0, sizeof(*s));
}
