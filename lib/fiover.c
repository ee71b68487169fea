// SPDX-License-Identifier: MIT
#include "fiover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

/* What to do about a guest whose fio is not the host's. */
#define FIOVER_ADVICE                                                           \
	"rebuild the tiny guest on this host (daxlab guest build), or install " \
	"%s in the VM's image"

int fiover_parse(const char *out, char *ret, size_t len)
{
	for (const char *l = out; l && *l;) {
		const char *s = l + strspn(l, " \t");
		size_t n = strcspn(s, "\r\n");

		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n > 4 && !strncmp(s, "fio-", 4) && n < len &&
		    !memchr(s, ' ', n)) {
			memcpy(ret, s, n);
			ret[n] = 0;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -EINVAL;
}

/* The last non-empty line of text, at most len - 1 bytes of it. */
static void last_line(const char *text, char *ret, size_t len)
{
	const char *best = NULL;
	size_t best_n = 0;

	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\r\n");

		if (n) {
			best = l;
			best_n = n;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	if (best_n >= len)
		best_n = len - 1;
	/* no raw bytes in messages: control characters become '?' */
	for (size_t i = 0; i < best_n; i++)
		ret[i] = (unsigned char)best[i] < 0x20 ? '?' : best[i];
	ret[best_n] = 0;
}

int fiover_host(const char *fio, char *ret, size_t len, struct error *err)
{
	const char *argv[] = { fio, "--version", NULL };
	_cleanup_free_ char *out = NULL;
	char last[200];
	int ex, r;

	r = spawn_capture(argv, true, 1 << 16, &out, &ex);
	if (r < 0)
		return err_fail(
			err, r, "cannot run %s --version on this host: %s%s",
			fio, strerror(-r),
			r == -ENOENT ? " (install fio, or give its path)" : "");
	if (ex == 0 && fiover_parse(out, ret, len) == 0)
		return 0;
	last_line(out, last, sizeof(last));
	return err_fail(
		err, -EINVAL,
		"%s --version on this host exited %d and said '%s', not a fio version",
		fio, ex, last);
}

/* The ssh that asks vm's fio for --version: started, not waited for. */
struct ask {
	pid_t pid;
	int fd; /* its stdout and stderr, or -1 */
};

static int ask_start(const char *ssh_config, const struct vm_config *vm,
		     struct ask *a, struct error *err)
{
	/*
	 * fio's own protocol cannot ask: a server of another version drops
	 * the client's first command. ssh can, the way `vm ssh` does.
	 */
	const char *argv[] = { "ssh",
			       "-F",
			       ssh_config,
			       "-o",
			       "BatchMode=yes",
			       "-o",
			       "ConnectTimeout=10",
			       "-o",
			       "ServerAliveInterval=5",
			       "-o",
			       "ServerAliveCountMax=3",
			       "-T",
			       vm->name,
			       "--",
			       "fio --version",
			       NULL };
	struct spawn_opts o;
	int p[2], r;

	a->pid = 0;
	a->fd = -1;
	if (access(ssh_config, R_OK) < 0)
		return err_fail(
			err, -EHOSTUNREACH,
			"vm %s: cannot ask the guest for its fio version: %s: %s (daxlab vm start writes it)",
			vm->id, ssh_config, strerror(errno));
	if (pipe2(p, O_CLOEXEC) < 0)
		r = -errno;
	else {
		spawn_opts_init(&o, argv);
		o.fd_in = SPAWN_NULL;
		o.fd_out = o.fd_err = p[1];
		r = spawn(&o, &a->pid);
		close(p[1]);
		if (r < 0)
			close(p[0]);
		else
			a->fd = p[0];
	}
	if (r < 0)
		err_set(err, "vm %s: cannot run ssh: %s", vm->id, strerror(-r));
	return r;
}

/* Reads what ssh said, reaps it, and tells what that means. */
static int ask_finish(struct ask *a, const char *ssh_config,
		      const struct vm_config *vm, char *ret, size_t len,
		      struct error *err)
{
	_cleanup_free_ char *out = NULL;
	char last[200];
	int ex, r;

	r = spawn_collect(a->fd, a->pid, 4096, 0, NULL, &out, &ex);
	a->fd = -1;
	if (r < 0)
		return err_fail(err, r, "vm %s: reading from ssh: %s", vm->id,
				strerror(-r));
	if (ex == 0 && fiover_parse(out, ret, len) == 0)
		return 0;
	last_line(out, last, sizeof(last));
	if (ex == 127)
		return err_fail(
			err, -ENOENT,
			"vm %s: no fio in the guest (ssh %s fio --version: '%s'); fio --server must run there: rebuild the tiny guest (daxlab guest build), or install fio in the VM's image",
			vm->id, vm->name, last);
	if (ex == 255)
		return err_fail(
			err, -EHOSTUNREACH,
			"vm %s: cannot ask the guest for its fio version: ssh -F %s %s failed (exit 255)%s%s",
			vm->id, ssh_config, vm->name, *last ? ": " : "", last);
	return err_fail(
		err, -EINVAL,
		"vm %s: 'fio --version' in the guest exited %d and said '%s', not a fio version",
		vm->id, ex, last);
}

int fiover_compare(const struct vm_config *vm, const char *guest_version,
		   const char *fio, const char *host_version, struct error *err)
{
	if (!strcmp(guest_version, host_version))
		return 0;
	return err_fail(
		err, -EPROTO,
		"vm %s: the guest's fio is %s, this host's (%s) is %s; fio's client and server must be the same version: " FIOVER_ADVICE,
		vm->id, guest_version, fio, host_version, host_version);
}

void fiover_check_vms(const char *ssh_config, const char *fio,
		      const char *host_version, struct fiover_vm *v, size_t n)
{
	_cleanup_free_ struct ask *a = calloc(n ? n : 1, sizeof(*a));

	/* every ssh at once: under TCG each takes about a second */
	for (size_t i = 0; i < n; i++) {
		v[i].err.msg[0] = 0;
		v[i].r = a ? ask_start(ssh_config, v[i].vm, &a[i], &v[i].err) :
			     -ENOMEM;
		if (!a)
			err_set(&v[i].err, "vm %s: out of memory", v[i].vm->id);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].r == 0)
			v[i].r = ask_finish(&a[i], ssh_config, v[i].vm,
					    v[i].version, sizeof(v[i].version),
					    &v[i].err);
		if (v[i].r < 0)
			snprintf(v[i].version, sizeof(v[i].version), "%s",
				 v[i].r == -ENOENT ? "missing" : "unknown");
		else
			v[i].r = fiover_compare(v[i].vm, v[i].version, fio,
						host_version, &v[i].err);
	}
}
