// SPDX-License-Identifier: MIT
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu.h"
#include "statedir.h"
#include "systemd.h"
#include "util.h"
#include "vmplan.h"
#include "vmproc.h"

#include "vm_priv.h"

int vm_fail(struct vm_env *e, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = err_vfail(&e->err, r < 0 ? r : -EINVAL, fmt, ap);
	va_end(ap);
	return r;
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
			return vm_fail(
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
		return vm_fail(e, r, "qemu '%s' (key 'qemu' in [lab]): %s",
			       c->lab.qemu, strerror(-r));
	}
	if (any_virtiofs(c, true)) {
		r = qemu_probe_cache_size(c->lab.qemu, &e->have_cache_size);
		if (r < 0)
			return vm_fail(
				e, r,
				"cannot run '%s -device vhost-user-fs-pci,help': %s",
				c->lab.qemu, strerror(-r));
	}
	if (any_virtiofs(c, false)) {
		r = virtiofsd_find_in(NULL, c->virtiofsd.path, &e->virtiofsd);
		if (r < 0) {
			if (c->virtiofsd.path)
				return vm_fail(
					e, r,
					"virtiofsd '%s' (key 'path' in [virtiofsd]): %s",
					c->virtiofsd.path, strerror(-r));
			return vm_fail(
				e, r,
				"no virtiofsd found (looked for /usr/libexec/virtiofsd, /usr/lib/qemu/virtiofsd, /usr/lib/virtiofsd, /usr/local/libexec/virtiofsd, /usr/bin/virtiofsd, /usr/local/bin/virtiofsd): install the virtiofsd package (Debian 13) or qemu-system-x86 (Debian 12), or set [virtiofsd] path");
		}
		r = virtiofsd_probe(e->virtiofsd, &e->style,
				    &e->virtiofsd_version);
		if (r < 0 && c->virtiofsd.style == VIRTIOFSD_STYLE_AUTO)
			return vm_fail(
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
		return vm_fail(
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
		return vm_fail(
			e, r,
			"[virtiofsd] sandbox = none: the C virtiofsd (%s) has only namespace and chroot",
			e->virtiofsd);
	if (r == -EINVAL)
		return vm_fail(
			e, r,
			"[share %s]: source '%s' holds a ',', which the C virtiofsd's -o source= cannot take",
			ps->s->name, ps->source);
	return r;
}

/* The virtiofsd argument lists and qemu's, from the plan. */
int vm_plan_cmdlines(struct vm_env *e, const struct vm_plan *p,
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
			vm_fail(e, r, "cannot build the qemu command line");
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
	r = vm_plan_cmdlines(e, &p, ret_fsd, ret_qemu);
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

int vm_make_private_dir(struct vm_env *e, const char *path)
{
	int r;

	r = mkdir_p(path, 0700);
	if (r < 0 && r != -EEXIST)
		return vm_fail(e, r, "cannot create %s: %s", path,
			       strerror(-r));
	/* never loosen or tighten a folder we did not make, like /tmp */
	return dir_check_ours(path, true, "use a private state_dir", &e->err);
}

int vm_lock(struct vm_env *e, const struct vm_config *vm, int *ret_fd)
{
	_cleanup_free_ char *p = NULL;
	int fd, r;

	r = vm_make_private_dir(e, e->c->lab.state_dir);
	if (r < 0)
		return r;
	p = statedir_vm_lock(e->c, vm);
	if (!p)
		return -ENOMEM;
	fd = lock_file(p, 0600, LOCK_EX | LOCK_NB, NULL);
	if (fd == -EWOULDBLOCK)
		return vm_fail(
			e, -EBUSY,
			"vm %s is being started or stopped by another daxlab (%s is locked)",
			vm->id, p);
	if (fd < 0)
		return vm_fail(e, fd, "cannot lock %s: %s", p, strerror(-fd));
	*ret_fd = fd;
	return 0;
}

/* ---- checks ---- */

static int check_file(struct vm_env *e, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vm_fail(e, -errno, "%s '%s': %s", what, path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vm_fail(e, -EINVAL, "%s '%s': not a file", what, path);
	if (access(path, R_OK) < 0)
		return vm_fail(e, -errno, "%s '%s': %s", what, path,
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
		return vm_fail(e, -EPERM, "%s%s%s",
			       p->mode == CGPLACE_PARENT ? c->path : "",
			       p->mode == CGPLACE_PARENT ? ": " : "",
			       p->refused);
	if (p->mode == CGPLACE_ROOT || e->cg.version != CG_V2)
		return 0;
	for (size_t i = 0; i < c->n_vms; i++)
		if (!strcmp(c->vms[i].cg.cgroup, CGPLACE_LEAF))
			return vm_fail(
				e, -EINVAL,
				"[vm %s]: cgroup = %s is the name of the leaf that daxlab moves the processes of %s into: choose another",
				c->vms[i].id, CGPLACE_LEAF, p->parent);
	if (!strcmp(c->virtiofsd.cg.cgroup, CGPLACE_LEAF))
		return vm_fail(
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
		return vm_fail(
			e, -ENOENT,
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
			return vm_fail(
				e, -ENOENT,
				"[vm %s]: image needs qemu-img (qemu-utils) for its overlay",
				vm->id);
		if (!vm->seed && (!program_in_path("mkfs.vfat") ||
				  !program_in_path("mcopy")))
			return vm_fail(
				e, -ENOENT,
				"[vm %s]: image needs mkfs.vfat and mcopy (dosfstools, mtools) for its cloud-init seed",
				vm->id);
		r = statedir_disk_fs("[lab] image_dir", p->image_dir, &why);
		if (r < 0)
			return vm_fail(e, r, "[vm %s]: the overlay: %s", vm->id,
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
			return vm_fail(e, -errno, "[share %s]: source '%s': %s",
				       s->name, ps->source, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return vm_fail(
				e, -ENOTDIR,
				"[share %s]: source '%s' is not a folder",
				s->name, ps->source);
		if (strlen(ps->socket) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			return vm_fail(
				e, -ENAMETOOLONG,
				"socket path '%s' is too long for a unix socket: use a shorter state_dir",
				ps->socket);
		if (s->backend == SHARE_BACKEND_VIRTIOFS && s->dax_window &&
		    !p->have_cache_size)
			return vm_fail(
				e, -EOPNOTSUPP,
				"[share %s]: dax_window needs a qemu whose vhost-user-fs-pci has 'cache-size' (the out-of-tree virtio-fs DAX branch); '%s -device vhost-user-fs-pci,help' shows none. Remove dax_window, or use backend = virtio-pmem for DAX with stock qemu",
				s->name, c->lab.qemu);
		if (s->backend == SHARE_BACKEND_VIRTIO_PMEM &&
		    (!program_in_path("mkfs.ext4") ||
		     !program_in_path("debugfs")))
			return vm_fail(
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
			return vm_fail(e, r, "[share %s]: %s", s->name,
				       why.msg);
	}
	return 0;
}

int vm_plan_checked(struct vm_env *e, const struct vm_config *vm,
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
	int r = vm_plan_checked(e, vm, &p);

	if (r >= 0)
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
		vmproc_qemu_end(vm_env_cg(e), vm, &p, recorded, -1, &ret->end);
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
			if (!ret->running && ret->n_cg_pids &&
			    !vm_cgroup_ours(e, &p))
				ret->foreign_cgroup = true;
			else if (!ret->running)
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
