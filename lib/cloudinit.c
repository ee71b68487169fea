// SPDX-License-Identifier: MIT
#include "cloudinit.h"
#include "config.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A growing string; on allocation failure it becomes NULL and stays so. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = (b->len + (size_t)n + 1) * 2;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static char *sb_take(struct sbuf *b)
{
	if (b->failed || !b->s) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

/* A YAML double-quoted scalar: only " and \ need escaping in our values. */
static void sb_yaml(struct sbuf *b, const char *s)
{
	sb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			sb_printf(b, "\\x%02x", (unsigned char)*s);
		else
			sb_printf(b, "%c", *s);
	}
	sb_printf(b, "\"");
}

static const char *vm_name(const struct vm_config *vm)
{
	return vm->name ? vm->name : vm->id;
}

char *cloudinit_user_data(const struct lab_config *c,
			  const struct vm_config *vm, const char *ssh_pubkey)
{
	struct sbuf b = { 0 };
	_cleanup_free_ char *key = strdup(ssh_pubkey ? ssh_pubkey : "");
	unsigned pmem = 0;

	if (!key)
		return NULL;
	key[strcspn(key, "\r\n")] = '\0';
	sb_printf(&b,
		  "#cloud-config\n"
		  "# Written by daxlab guest cloud-init for [vm %s].\n",
		  vm->id);
	sb_printf(&b, "hostname: ");
	sb_yaml(&b, vm_name(vm));
	sb_printf(&b, "\n"
		      "# The seed logs in as root@vm (stats, fio): root gets "
		      "the lab's key.\n"
		      "disable_root: false\n"
		      "ssh_pwauth: false\n"
		      "ssh_authorized_keys:\n  - ");
	sb_yaml(&b, key);
	sb_printf(&b, "\n");

	/*
	 * fstab: virtiofs shares by tag; virtio-pmem shares as /dev/pmemN,
	 * numbered in the order of the VM's pmem shares (as qemu adds them).
	 * nofail: a missing device must not stop the boot.
	 */
	sb_printf(&b, "mounts:\n");
	for (size_t i = 0; i < c->n_shares; i++) {
		const struct share_config *s = &c->shares[i];
		_cleanup_free_ char *opts = NULL;

		if (!config_vm_has_share(vm, s))
			continue;
		if (s->backend == SHARE_BACKEND_VIRTIO_PMEM) {
			char dev[32];

			snprintf(dev, sizeof(dev), "/dev/pmem%u", pmem++);
			opts = strdup_printf("%s,nofail",
					     s->options ? s->options :
							  "dax,ro,noload");
			if (!opts) {
				free(b.s);
				return NULL;
			}
			sb_printf(&b, "  - [");
			sb_yaml(&b, dev);
			sb_printf(&b, ", ");
			sb_yaml(&b, s->mount);
			sb_printf(&b, ", \"ext4\", ");
		} else {
			opts = strdup_printf("%s%snofail",
					     s->options ? s->options : "",
					     s->options ? "," : "");
			if (!opts) {
				free(b.s);
				return NULL;
			}
			sb_printf(&b, "  - [");
			sb_yaml(&b, s->tag ? s->tag : s->name);
			sb_printf(&b, ", ");
			sb_yaml(&b, s->mount);
			sb_printf(&b, ", \"virtiofs\", ");
		}
		sb_yaml(&b, opts);
		sb_printf(&b, ", \"0\", \"0\"]\n");
	}

	sb_printf(
		&b,
		"# fio for `fio --client` from the host (port 8765).\n"
		"packages:\n"
		"  - fio\n"
		"write_files:\n"
		"  - path: /etc/systemd/system/daxlab-fio-server.service\n"
		"    permissions: \"0644\"\n"
		"    content: |\n"
		"      [Unit]\n"
		"      Description=fio server for daxlab (fio --client)\n"
		"      After=network-online.target local-fs.target\n"
		"      Wants=network-online.target\n"
		"      [Service]\n"
		"      ExecStart=/usr/bin/fio --server\n"
		"      WorkingDirectory=/tmp\n"
		"      Restart=always\n"
		"      [Install]\n"
		"      WantedBy=multi-user.target\n"
		"runcmd:\n"
		"  - [systemctl, daemon-reload]\n"
		"  - [systemctl, enable, --now, daxlab-fio-server.service]\n");
	return sb_take(&b);
}

char *cloudinit_meta_data(const struct vm_config *vm)
{
	struct sbuf b = { 0 };

	sb_printf(&b, "instance-id: daxlab-vm%s\nlocal-hostname: %s\n", vm->id,
		  vm_name(vm));
	return sb_take(&b);
}

static int run(const char *const *argv, char *err, size_t errlen)
{
	_cleanup_free_ char *out = NULL;
	int r, ex;

	r = spawn_capture(argv, true, 1 << 16, &out, &ex);
	if (r < 0) {
		seterr(err, errlen, "%s: %s%s", argv[0], strerror(-r),
		       r == -ENOENT ? " (install dosfstools and mtools)" : "");
		return r;
	}
	if (ex != 0) {
		out[strcspn(out, "\n")] = '\0';
		seterr(err, errlen, "%s exited with %d: %s", argv[0], ex, out);
		return -EIO;
	}
	return 0;
}

static int write_text(const char *path, const char *text)
{
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	return write_all(fd, text, strlen(text));
}

int cloudinit_write_seed(const char *path, const char *user_data,
			 const char *meta_data, char *err, size_t errlen)
{
	char dir[] = "/tmp/daxlab-seed.XXXXXX";
	_cleanup_free_ char *ud = NULL, *md = NULL, *tmp = NULL;
	int r;

	if (!mkdtemp(dir)) {
		seterr(err, errlen, "mkdtemp: %s", strerror(errno));
		return -errno;
	}
	/* cloud-init looks for the files by these exact names. */
	ud = strdup_printf("%s/user-data", dir);
	md = strdup_printf("%s/meta-data", dir);
	tmp = strdup_printf("%s.tmp", path);
	if (!ud || !md || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = write_text(ud, user_data)) < 0 ||
	    (r = write_text(md, meta_data)) < 0) {
		seterr(err, errlen, "%s: %s", dir, strerror(-r));
		goto out;
	}
	unlink(tmp);
	{
		const char *mkfs[] = { "mkfs.vfat", "-n",   "CIDATA", "-C",
				       tmp,	    "1024", NULL };
		const char *mcopy[] = { "mcopy", "-o", "-i", tmp,
					ud,	 md,   "::", NULL };

		if ((r = run(mkfs, err, errlen)) < 0 ||
		    (r = run(mcopy, err, errlen)) < 0) {
			unlink(tmp);
			goto out;
		}
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (ud)
		unlink(ud);
	if (md)
		unlink(md);
	rmdir(dir);
	return r;
}
