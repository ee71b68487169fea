// SPDX-License-Identifier: MIT
#include "fiofwd.h"
#include "config.h"
#include "spawn.h"
#include "statedir.h"
#include "vmproc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

char *fiofwd_client(const struct lab_config *c, const struct vm_config *vm)
{
	_cleanup_free_ char *sock = statedir_vm_path(c, vm, STATEDIR_FIO_SOCK);

	return sock ? strdup_printf("sock:%s", sock) : NULL;
}

/* 0 when something listens on the unix socket path. */
static int sock_answers(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? -errno : 0;
}

/*
 * Whether the VM's qemu forwards a host port to the guest's fio server,
 * as an older daxlab started it: any local user reaches that server.
 */
static bool qemu_forwards_fio(const struct lab_config *c,
			      const struct vm_config *vm)
{
	_cleanup_free_ char *pidfile =
		statedir_vm_path(c, vm, STATEDIR_QEMU_PID);
	_cleanup_free_ char *path = NULL, *args = NULL;
	size_t len = 0;
	pid_t pid = 0;

	if (!pidfile || vmproc_read_pidfile(pidfile, &pid, NULL, NULL) < 0 ||
	    pid <= 0)
		return false;
	path = strdup_printf("/proc/%d/cmdline", (int)pid);
	if (!path || read_full_file(path, 1u << 20, &args, &len) < 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (args[i] == '\0')
			args[i] = ' ';
	return strstr(args, "-:8765") != NULL;
}

/* The first line of what ssh wrote to fd, for an error. */
static void first_line(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
}

static int spawn_one(const struct lab_config *c, const struct vm_config *vm,
		     const char *ssh_config, int log, struct fiofwd *f,
		     struct error *err)
{
	_cleanup_free_ char *fwd = NULL, *dir = statedir_vm_dir(c, vm);
	_cleanup_free_ char *lock = statedir_vm_path(c, vm, STATEDIR_FIO_LOCK);
	struct sockaddr_un a;
	struct spawn_opts so;
	int r;

	f->sock = statedir_vm_path(c, vm, STATEDIR_FIO_SOCK);
	if (!f->sock || !dir || !lock)
		return -ENOMEM;
	if (strlen(f->sock) >= sizeof(a.sun_path) || strchr(f->sock, ':'))
		return err_fail(
			err, -ENAMETOOLONG,
			"vm %s: %s: longer than a unix socket path can be (%zu bytes), or with a ':', which ssh -L cannot take: choose a shorter [lab] state_dir",
			vm->id, f->sock, sizeof(a.sun_path) - 1);
	/* root's fio client connects by this name: no one else may place it */
	r = dir_check_ours(dir, true, "its fio forward is not made there", err);
	if (r == -ENOENT)
		return err_fail(err, r, "vm %s: no %s: is the VM started?",
				vm->id, dir);
	if (r < 0)
		return r;
	if (qemu_forwards_fio(c, vm))
		return err_fail(
			err, -EPERM,
			"vm %s: its qemu, started by an older daxlab, forwards a host port to the guest's fio server, where any local user can run commands as root: restart it (daxlab vm stop %s; daxlab vm start %s)",
			vm->id, vm->id, vm->id);
	f->lock = lock_file(lock, 0600, LOCK_EX | LOCK_NB, err);
	if (f->lock == -EWOULDBLOCK)
		return err_fail(
			err, -EBUSY,
			"vm %s: another fio run uses its fio server now (%s is held)",
			vm->id, lock);
	if (f->lock < 0)
		return f->lock;
	fwd = strdup_printf("%s:127.0.0.1:8765", f->sock);
	if (!fwd)
		return -ENOMEM;
	const char *const argv[] = { "ssh",
				     "-F",
				     ssh_config,
				     "-N",
				     "-T",
				     "-o",
				     "ExitOnForwardFailure=yes",
				     "-o",
				     "StreamLocalBindUnlink=yes",
				     "-o",
				     "StreamLocalBindMask=0177",
				     "-L",
				     fwd,
				     vm->name,
				     NULL };
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = SPAWN_NULL;
	so.fd_err = log;
	so.die_with_parent = true;
	r = spawn(&so, &f->pid);
	if (r < 0)
		return err_fail(err, r, "vm %s: cannot run ssh: %s", vm->id,
				strerror(-r));
	return 0;
}

int fiofwd_start(const struct lab_config *c, const struct vm_config *const *vms,
		 size_t n, struct fiofwd *fw, int64_t deadline_ns,
		 const volatile sig_atomic_t *interrupted, struct error *err)
{
	_cleanup_free_ char *cfg = statedir_ssh_config(c);
	_cleanup_free_ int *logs = calloc(n ? n : 1, sizeof(*logs));
	size_t up = 0;
	int r = 0;

	memset(fw, 0, n * sizeof(*fw));
	for (size_t i = 0; i < n; i++)
		fw[i].lock = -1;
	if (!cfg || !logs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		logs[i] = -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		logs[i] = memfd_create("daxlab-fiofwd", MFD_CLOEXEC);
		r = logs[i] < 0 ?
			    -errno :
			    spawn_one(c, vms[i], cfg, logs[i], &fw[i], err);
	}
	while (r == 0 && up < n) {
		up = 0;
		for (size_t i = 0; i < n && r == 0; i++) {
			struct stat st;
			char why[256];
			int status;

			if (fw[i].ino) {
				up++;
				continue;
			}
			if (waitpid(fw[i].pid, &status, WNOHANG) == fw[i].pid) {
				fw[i].pid = 0;
				first_line(logs[i], why, sizeof(why));
				r = err_fail(
					err, -EIO,
					"vm %s: ssh, forwarding its fio server to %s, exited: %s",
					vms[i]->id, fw[i].sock,
					*why ? why : "(it said nothing)");
			} else if (sock_answers(fw[i].sock) == 0 &&
				   lstat(fw[i].sock, &st) == 0) {
				fw[i].ino = st.st_ino;
				up++;
			}
		}
		if (r == 0 && up < n) {
			if (interrupted && *interrupted)
				r = err_fail(
					err, -EINTR,
					"interrupted while forwarding the fio servers");
			else if (now_monotonic_ns() >= deadline_ns)
				r = err_fail(
					err, -ETIMEDOUT,
					"ssh forwards of the fio servers: %zu of %zu up in time",
					up, n);
			else
				usleep(50000);
		}
	}
	for (size_t i = 0; i < n; i++)
		if (logs[i] >= 0)
			close(logs[i]);
	if (r < 0)
		fiofwd_stop(fw, n);
	return r;
}

void fiofwd_stop(struct fiofwd *fw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (fw[i].pid > 0) {
			kill(fw[i].pid, SIGTERM);
			(void)spawn_wait(fw[i].pid);
		}
		/* not a socket a later ssh made there */
		if (fw[i].sock && fw[i].ino && lstat(fw[i].sock, &st) == 0 &&
		    st.st_ino == fw[i].ino)
			unlink(fw[i].sock);
		if (fw[i].sock && fw[i].lock >= 0)
			close(fw[i].lock);
		free(fw[i].sock);
		memset(&fw[i], 0, sizeof(fw[i]));
		fw[i].lock = -1;
	}
}
