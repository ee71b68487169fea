// SPDX-License-Identifier: MIT
/* The layout of state_dir and image_dir; see statedir.h. */
#include "statedir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/vfs.h>

#include "config.h"
#include "util.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif
#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

char *statedir_ssh_config(const struct lab_config *c)
{
	return strdup_printf("%s/ssh_config", c->lab.state_dir);
}

char *statedir_cgroups_lock(const struct lab_config *c)
{
	return strdup_printf("%s/cgroups.lock", c->lab.state_dir);
}

char *statedir_vm_dir(const struct lab_config *c, const struct vm_config *vm)
{
	return strdup_printf("%s/vm-%s", c->lab.state_dir, vm->id);
}

char *statedir_vm_lock(const struct lab_config *c, const struct vm_config *vm)
{
	return strdup_printf("%s/vm-%s.lock", c->lab.state_dir, vm->id);
}

char *statedir_vm_file(const char *vm_dir, enum statedir_vm_file f)
{
	static const char *const names[] = {
		[STATEDIR_QEMU_PID] = "qemu.pid",
		[STATEDIR_QEMU_LOG] = "qemu.log",
		[STATEDIR_QMP] = "qmp.sock",
		[STATEDIR_CONSOLE_SOCK] = "console.sock",
		[STATEDIR_CONSOLE_LOG] = "console.log",
		[STATEDIR_MOUNTS] = "mounts",
		[STATEDIR_STARTING] = "starting",
		[STATEDIR_CGROUP] = "cgroup",
		[STATEDIR_KNOWN_HOSTS] = "known_hosts",
		[STATEDIR_HOST_KEY] = "ssh_host_ed25519_key",
		[STATEDIR_FIO_SOCK] = "fio.sock",
		[STATEDIR_FIO_LOCK] = "fio.lock",
	};

	return strdup_printf("%s/%s", vm_dir, names[f]);
}

char *statedir_vm_path(const struct lab_config *c, const struct vm_config *vm,
		       enum statedir_vm_file f)
{
	_cleanup_free_ char *dir = statedir_vm_dir(c, vm);

	return dir ? statedir_vm_file(dir, f) : NULL;
}

bool statedir_fio_sock_vm(const char *host, char *id, size_t len)
{
	const char *end = strrchr(host, ':'), *p;
	size_t n = end ? (size_t)(end - host) : strlen(host);
	const char tail[] = "/fio.sock";

	if (str_has_prefix(host, "sock:"))
		return statedir_fio_sock_vm(host + 5, id, len);
	if (n < sizeof(tail) ||
	    memcmp(host + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1))
		return false;
	n -= sizeof(tail) - 1;
	for (p = host + n; p > host && p[-1] != '/'; p--)
		;
	if (!str_has_prefix(p, "vm-") || (size_t)(host + n - p) - 3 >= len ||
	    host + n - p == 3)
		return false;
	memcpy(id, p + 3, (size_t)(host + n - p) - 3);
	id[host + n - p - 3] = '\0';
	return true;
}

char *statedir_share_socket(const char *vm_dir, const char *share)
{
	return strdup_printf("%s/virtiofsd-%s.sock", vm_dir, share);
}

char *statedir_share_pidfile(const char *vm_dir, const char *share)
{
	return strdup_printf("%s/virtiofsd-%s.pid", vm_dir, share);
}

char *statedir_share_own_pidfile(const char *vm_dir, const char *share)
{
	return strdup_printf("%s/virtiofsd-%s.sock.pid", vm_dir, share);
}

char *statedir_share_log(const char *vm_dir, const char *share)
{
	return strdup_printf("%s/virtiofsd-%s.log", vm_dir, share);
}

char *statedir_pmem_image_dir(const struct lab_config *c,
			      const struct vm_config *vm,
			      const struct share_config *s)
{
	if (s->shared)
		return strdup(c->lab.image_dir);
	return statedir_vm_image_dir(c, vm);
}

char *statedir_pmem_image(const struct lab_config *c,
			  const struct vm_config *vm,
			  const struct share_config *s)
{
	_cleanup_free_ char *dir = statedir_pmem_image_dir(c, vm, s);

	if (!dir)
		return NULL;
	return strdup_printf("%s/share-%s.img", dir, s->name);
}

static bool mounts_before(const struct lab_config *c, size_t i,
			  const struct share_config *s)
{
	for (size_t j = 0; j < i; j++)
		if (config_vm_has_share(&c->vms[j], s))
			return true;
	return false;
}

bool statedir_pmem_next(const struct lab_config *c, size_t *pos,
			const struct share_config **ret_s,
			const struct vm_config **ret_vm)
{
	for (; *pos < c->n_shares * c->n_vms; (*pos)++) {
		const struct share_config *s = &c->shares[*pos / c->n_vms];
		size_t i = *pos % c->n_vms;

		if (s->backend != SHARE_BACKEND_VIRTIO_PMEM ||
		    !config_vm_has_share(&c->vms[i], s) ||
		    (s->shared && mounts_before(c, i, s)))
			continue;
		*ret_s = s;
		*ret_vm = &c->vms[i];
		(*pos)++;
		return true;
	}
	return false;
}

char *statedir_image_extents(const char *image)
{
	return strdup_printf("%s.extents", image);
}

char *statedir_vm_image_dir(const struct lab_config *c,
			    const struct vm_config *vm)
{
	return strdup_printf("%s/vm-%s", c->lab.image_dir, vm->id);
}

char *statedir_vm_disk(const struct lab_config *c, const struct vm_config *vm)
{
	return strdup_printf("%s/vm-%s/disk.qcow2", c->lab.image_dir, vm->id);
}

char *statedir_vm_seed(const struct lab_config *c, const struct vm_config *vm)
{
	return strdup_printf("%s/vm-%s/seed.img", c->lab.image_dir, vm->id);
}

/* The deepest existing folder at or above path, absolute. Allocated. */
static char *existing_parent(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return NULL;
	for (;;) {
		char *real = realpath(p, NULL);
		char *slash;

		if (real)
			return real;
		if (errno != ENOENT && errno != ENOTDIR)
			return NULL;
		slash = strrchr(p, '/');
		if (!slash)
			return realpath(".", NULL);
		if (slash == p)
			p[1] = 0;
		else
			*slash = 0;
	}
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static bool under_mount(const char *path, const char *mnt)
{
	size_t n = strlen(mnt);

	if (!strcmp(mnt, "/"))
		return true;
	return !strncmp(path, mnt, n) && (path[n] == '/' || !path[n]);
}

/*
 * The mountinfo entry that holds real (an absolute, resolved path): the
 * last of the longest matching mount points, as the kernel lists mounts
 * in the order they were made. ret_type and ret_upper (an overlay's
 * upperdir=, or "") are filled.
 */
static int mount_of(const char *real, char *ret_type, size_t tlen,
		    char *ret_upper, size_t ulen)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, best = 0;
	bool found = false;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *w, *mnt = NULL, *dash;
		char *type, *src, *opts, *o;
		size_t n;

		dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = 0;
		w = strtok_r(line, " ", &save);
		for (int i = 0; w && i < 4; i++)
			w = strtok_r(NULL, " ", &save);
		mnt = w; /* the fifth field */
		if (!mnt)
			continue;
		unescape(mnt);
		n = strlen(mnt);
		if (!under_mount(real, mnt) || n < best)
			continue;
		save = NULL;
		type = strtok_r(dash + 3, " \n", &save);
		src = strtok_r(NULL, " \n", &save);
		opts = strtok_r(NULL, " \n", &save);
		if (!type || !src)
			continue;
		best = n;
		found = true;
		snprintf(ret_type, tlen, "%s", type);
		ret_upper[0] = 0;
		for (o = opts ? strtok_r(opts, ",", &save) : NULL; o;
		     o = strtok_r(NULL, ",", &save))
			if (str_has_prefix(o, "upperdir=")) {
				unescape(o);
				snprintf(ret_upper, ulen, "%s", o + 9);
			}
	}
	return found ? 0 : -ENOENT;
}

int statedir_fs_type(const char *path, char *ret_type, size_t len,
		     bool *ret_memory)
{
	_cleanup_free_ char *real = existing_parent(path);
	char type[64] = "", upper[PATH_MAX] = "";
	struct statfs sf;

	*ret_memory = false;
	if (!real)
		return -errno;
	if (statfs(real, &sf) < 0)
		return -errno;
	if (mount_of(real, type, sizeof(type), upper, sizeof(upper)) < 0)
		snprintf(type, sizeof(type), "file system 0x%lx",
			 (unsigned long)sf.f_type);
	if (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC) {
		*ret_memory = true;
	} else if (sf.f_type == OVERLAYFS_SUPER_MAGIC && upper[0]) {
		struct statfs us;

		if (statfs(upper, &us) == 0 &&
		    (us.f_type == TMPFS_MAGIC || us.f_type == RAMFS_MAGIC)) {
			*ret_memory = true;
			snprintf(ret_type, len, "overlay on %s",
				 us.f_type == TMPFS_MAGIC ? "tmpfs" : "ramfs");
			return 0;
		}
	}
	snprintf(ret_type, len, "%s", type);
	return 0;
}

/* ZFS caches file data in its ARC, not the page cache */
#define ZFS_SUPER_MAGIC 0x2fc12fc1

int statedir_disk_fs(const char *what, const char *path, struct error *err)
{
	_cleanup_free_ char *real = existing_parent(path);
	struct statfs sf;
	char type[96];
	bool memory;
	int r = statedir_fs_type(path, type, sizeof(type), &memory);

	if (r < 0)
		return err_fail(err, r, "%s '%s': %s", what, path,
				strerror(-r));
	if (real && statfs(real, &sf) == 0 &&
	    (unsigned long)sf.f_type == ZFS_SUPER_MAGIC)
		return err_fail(
			err, -EMEDIUMTYPE,
			"%s '%s' is on zfs: its file data is cached in ZFS's ARC, which neither memory.numa_stat nor mincore sees, so every page-cache figure would read 0; put it on a disk file system (ext4, xfs, btrfs)",
			what, path);
	if (memory)
		return err_fail(
			err, -EMEDIUMTYPE,
			"%s '%s' is on %s: its pages would be shmem, never evicted and never charged to the guests that read them; put it on a disk file system (ext4, xfs, btrfs)",
			what, path, type);
	return 0;
}
