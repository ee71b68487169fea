// SPDX-License-Identifier: MIT
/*
 * Starting a VM (lib/vm.h): cgroups, virtio-pmem images, virtiofsd,
 * qemu, and the wait until it is ready; undone on failure.
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fileset.h"
#include "imgextents.h"
#include "qemu.h"
#include "spawn.h"
#include "statedir.h"
#include "systemd.h"
#include "util.h"
#include "vmimage.h"
#include "vmplan.h"
#include "vmproc.h"

#include "vm_priv.h"

#define LOG_TAIL_LINES 15

/* ---- start ---- */

/* What a dry run would run, in cgroup unless NULL. */
static void dry_cmd(struct vm_env *e, const char *cgroup, char **argv)
{
	_cleanup_free_ char *s = shell_join((const char *const *)argv);

	report(e, VM_REPORT_DRY, "run%s%s: %s", cgroup ? " in cgroup " : "",
	       cgroup ? cgroup : "", s ? s : "?");
}

__attribute__((format(printf, 5, 6))) static int
step_failed(struct vm_env *e, const char *step, int r, const char *log,
	    const char *fmt, ...)
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
	_cleanup_free_ char *cfg = statedir_ssh_config(e->c);
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
	r = vmimage_make_seed(e->c, vm, seed, p->host_key, &why);
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
	_cleanup_free_ char *cfg = statedir_ssh_config(e->c);
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
			bool qlog =
				stat(p->qemu_log, &st) == 0 && st.st_size > 0;
			struct vm_end_info qend;

			vmproc_qemu_end(vm_env_cg(e), vm, p, qemu, wstatus,
					&qend);
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
					str_trim(f);
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
		fd = open(tmp,
			  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
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
						   (out ? str_trim(out) : "?"));
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
		/*
		 * mkfs read the folder's files into the host page cache,
		 * charged to daxlab's cgroup on its node: no VM's copy, yet
		 * every host figure would count it
		 */
		r = fileset_tree_evict(src);
		if (r < 0)
			return step_failed(
				e, step, r, NULL,
				"cannot drop %s from the page cache: %s", src,
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

/*
 * The tiny guest's host key, as its build wrote it beside the initrd
 * (DIR/known_hosts). Allocated; NULL for an image VM.
 */
static char *tiny_guest_known_hosts(const struct vm_config *vm)
{
	_cleanup_free_ char *dir = vm->image ? NULL : path_parent(vm->initrd);

	return dir ? strdup_printf("%s/known_hosts", dir) : NULL;
}

/*
 * Whether ssh can check vm's host key: the tiny guest's, when its build
 * says it, or the one daxlab's seed gives an image VM. Not a seed of the
 * user's ([vm] seed), nor a kernel and initrd from elsewhere.
 */
static bool host_key_known(const struct vm_config *vm)
{
	_cleanup_free_ char *kh = tiny_guest_known_hosts(vm);

	if (vm->image)
		return !vm->seed;
	return kh && access(kh, R_OK) == 0;
}

/*
 * Writes <state_dir>/ssh_config for every VM of the config. A VM whose
 * host key is known is checked against <state_dir>/vm-ID/known_hosts,
 * which its own start writes (host_key(), before this): no start writes
 * another's. Where there is none (a VM an older daxlab started, or one
 * whose start has not come that far), that VM is not checked.
 */
static int write_ssh_config(struct vm_env *e)
{
	const struct lab_config *c = e->c;
	_cleanup_free_ char *path = statedir_ssh_config(e->c);
	_cleanup_free_ char *key = config_ssh_key(c), *text = NULL;
	size_t len;
	FILE *f;

	if (!path || !key || !(f = open_memstream(&text, &len)))
		return -ENOMEM;
	fprintf(f, "# Written by daxlab vm start from %s\n", c->path);
	for (size_t i = 0; i < c->n_vms; i++) {
		const struct vm_config *vm = &c->vms[i];
		const char *at = strchr(vm->ssh, '@');
		/* ssh is USER@HOST, or HOST to log in as root */
		const char *user = at ? vm->ssh : "root";
		_cleanup_free_ char *kh =
			statedir_vm_path(c, vm, STATEDIR_KNOWN_HOSTS);

		if (!kh) {
			fclose(f);
			return -ENOMEM;
		}
		fprintf(f, "\nHost %s\n", vm->name);
		if (vm->net == VM_NET_USER)
			fprintf(f, "\tHostName 127.0.0.1\n\tPort %u\n",
				vm->ssh_port);
		else
			fprintf(f, "\tHostName %s\n", at ? at + 1 : vm->ssh);
		fprintf(f,
			"\tUser %.*s\n\tIdentityFile %s\n\tIdentitiesOnly yes\n",
			(int)strcspn(user, "@"), user, key);
		if (host_key_known(vm) && access(kh, F_OK) == 0) {
			fprintf(f,
				"\tHostKeyAlias daxlab-vm-%s\n"
				"\tStrictHostKeyChecking yes\n"
				"\tUserKnownHostsFile %s\n",
				vm->id, kh);
		} else {
			fprintf(f, "\tStrictHostKeyChecking no\n"
				   "\tUserKnownHostsFile /dev/null\n");
		}
		fprintf(f, "\tLogLevel ERROR\n\tBatchMode yes\n"
			   "\tConnectTimeout 10\n\tServerAliveInterval 15\n");
	}
	if (!memstream_close(f, &text, true))
		return -ENOMEM;
	return write_file_atomic(path, text, strlen(text), 0600, &e->err);
}

/*
 * <state_dir>/vm-ID/known_hosts, what ssh_config checks the guest
 * against: the tiny guest's key, or an image VM's, made anew here for its
 * seed (ssh-keygen; the seed is 0600 and goes at stop, as the key does).
 */
static int host_key(struct vm_env *e, const struct vm_plan *p)
{
	const struct vm_config *vm = p->vm;
	_cleanup_free_ char *kh = tiny_guest_known_hosts(vm);
	_cleanup_free_ char *line = NULL, *text = NULL;
	const char *from = kh;
	int r;

	(void)unlink(p->known_hosts);
	if (!host_key_known(vm))
		return 0;
	if (vm->image) {
		const char *argv[] = {
			"ssh-keygen", "-q",	   "-t", "ed25519",
			"-N",	      "",	   "-C", "daxlab-guest",
			"-f",	      p->host_key, NULL
		};

		(void)unlink(p->host_key);
		(void)unlink(p->host_key_pub);
		r = spawn_run(argv, "openssh-client", &e->err);
		if (r < 0)
			return step_failed(e, "make the guest's host key", r,
					   NULL, "%s", e->err.msg);
		from = p->host_key_pub;
	}
	r = read_full_file(from, 1 << 16, &line, NULL);
	if (r < 0)
		return step_failed(e, "know the guest's host key", r, NULL,
				   "%s: %s", from, strerror(-r));
	line[strcspn(line, "\r\n")] = '\0';
	if (!str_has_prefix(line, "ssh-ed25519 "))
		return step_failed(e, "know the guest's host key", -EINVAL,
				   NULL, "%s: not an ssh-ed25519 key", from);
	text = strdup_printf("daxlab-vm-%s %s\n", vm->id, line);
	if (!text)
		return -ENOMEM;
	r = write_text_file(p->known_hosts, text, 0644, true);
	if (r < 0)
		return step_failed(e, "know the guest's host key", r, NULL,
				   "%s: %s", p->known_hosts, strerror(-r));
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
 * The VM's host forward (ssh; fio goes through ssh: lib/fiofwd.h), before
 * anything starts: a port taken by a listener or by a connection (whose
 * local port cannot be bound again, SO_REUSEADDR or not) would make qemu
 * exit. A port in the ephemeral range can be taken by any connection this
 * host makes before qemu binds it: a warning.
 */
static int check_ports(struct vm_env *e, const struct vm_config *vm)
{
	_cleanup_free_ char *range = NULL;
	unsigned lo = 0, hi = 0, port = vm->ssh_port;

	if (read_full_file("/proc/sys/net/ipv4/ip_local_port_range", 64, &range,
			   NULL) < 0 ||
	    sscanf(range, "%u %u", &lo, &hi) != 2)
		lo = hi = 0;
	if (port >= lo && port <= hi)
		report(e, VM_REPORT_WARN,
		       "vm %s: ssh_port %u is in this host's ephemeral port range %u-%u (net.ipv4.ip_local_port_range): a connection the host makes can take it before qemu binds it; ports below %u are safe",
		       vm->id, port, lo, hi, lo);
	if (port_bindable(port) == -EADDRINUSE)
		return vm_fail(
			e, -EADDRINUSE,
			"vm %s: ssh_port %u on 127.0.0.1 is taken (by a listener, or as the local port of a connection); set another [vm %s] ssh_port",
			vm->id, port, vm->id);
	return 0;
}

/* A symlink where a pid file, socket or log of ours goes: refused. */
static int refuse_symlink(struct vm_env *e, const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return vm_fail(
			e, -ELOOP,
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

int vm_start(struct vm_env *e, const struct vm_config *vm, unsigned timeout_s)
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
	r = vm_plan_checked(e, vm, &p);
	if (r < 0)
		return r;
	r = vm_plan_cmdlines(e, &p, &fsd, &qemu);
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

	r = vm_lock(e, vm, &lock);
	if (r < 0)
		goto out;
	r = refuse_symlinks(e, &p);
	if (r < 0)
		goto out;
	if (access(p.starting, F_OK) == 0) {
		/* we hold the lock: the daxlab that wrote it died mid-start */
		if (vm_cleanup(e, &p, false, false, NULL, 0))
			report(e, VM_REPORT_WARN,
			       "vm %s: stopped what an interrupted start left running",
			       vm->id);
		(void)unlink(p.starting);
	}
	if (vmproc_read_pidfile(p.qemu_pid, &qpid, NULL, NULL) == 0 && qpid) {
		r = vm_fail(
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
	r = vm_make_private_dir(e, p.dir);
	if (r < 0)
		goto out;
	r = write_text_file(p.starting, "", 0600, false);
	if (r < 0) {
		r = vm_fail(e, r, "cannot create %s: %s", p.starting,
			    strerror(-r));
		goto out;
	}
	/* a daxlab killed half-way leaves this behind */
	if (vm_cleanup(e, &p, false, false, NULL, 0))
		report(e, VM_REPORT_WARN,
		       "vm %s: cleaned up processes left by an earlier start",
		       vm->id);
	r = host_key(e, &p);
	if (r == 0)
		r = write_ssh_config(e);
	if (r < 0)
		goto out;

	report(e, VM_REPORT_STEP, "vm %s: cgroups %s and %s", vm->id,
	       c->virtiofsd.cg.cgroup, vm->cg.cgroup);
	/* until its virtiofsd runs in it, no one may remove the cgroup */
	r = vm_lock_cgroups(e);
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
	/*
	 * The cleanup above removed it, unless it could not (a cgroup
	 * below it, a process that does not die): its limits and counters
	 * (oom_kill, numa_stat) would be taken for this start's.
	 */
	if (cg_exists(&e->cg, vm->cg.cgroup)) {
		_cleanup_free_ char *cg =
			cg_path(&e->cg, "memory", vm->cg.cgroup, NULL);

		r = step_failed(
			e, "create the VM cgroup", -EBUSY, NULL,
			"%s is left from before and cannot be removed (a cgroup below it, a process that does not die, or processes that daxlab did not start there): its counters would be taken for this start's",
			cg ? cg : vm->cg.cgroup);
		goto rollback;
	}
	r = cg_create(&e->cg, vm->cg.cgroup, p.cpus, p.mems, vm->cg.memory_max,
		      &why);
	if (r < 0) {
		r = step_failed(e, "create the VM cgroup", r, NULL, "%s: %s",
				why.msg, strerror(-r));
		goto rollback;
	}
	r = vm_mark_cgroup(e, &p);
	if (r < 0)
		goto rollback;
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

		vmproc_qemu_end(vm_env_cg(e), vm, &p, qpid, wstatus, &qend);
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
	vm_cleanup(e, &p, true, cglock >= 0, NULL, 0);
	(void)unlink(p.starting);
	e->err = why;
out:
	vm_cmdlines_free(fsd, qemu);
	vm_plan_free(&p);
	return r;
}
