// SPDX-License-Identifier: MIT
#include "cloudinit.h"
#include "config.h"
#include "qemu.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

char *cloudinit_mount_unit(const char *path)
{
	struct sbuf b = { 0 };
	const char *p = path;

	if (!path || path[0] != '/')
		return NULL;
	while (*p == '/')
		p++;
	if (!*p)
		return strdup("-.mount");
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && !strncmp(p, "..", 2))) {
			free(b.s);
			return NULL;
		}
		if (b.len)
			sb_printf(&b, "-");
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];
			bool keep = (ch >= 'a' && ch <= 'z') ||
				    (ch >= 'A' && ch <= 'Z') ||
				    (ch >= '0' && ch <= '9') || ch == ':' ||
				    ch == '_' || (ch == '.' && b.len);

			if (keep)
				sb_printf(&b, "%c", ch);
			else
				sb_printf(&b, "\\x%02x", ch);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	sb_printf(&b, ".mount");
	return sb_take(&b);
}

char *cloudinit_mount_where(const char *path)
{
	char *r = strdup(path), *o = r;

	if (!r)
		return NULL;
	for (const char *s = path; *s; s++)
		if (*s != '/' || o == r || o[-1] != '/')
			*o++ = *s;
	if (o > r + 1 && o[-1] == '/')
		o--;
	*o = 0;
	return r;
}

int cloudinit_share_mount(const struct lab_config *c,
			  const struct vm_config *vm, size_t i, char **ret_what,
			  const char **ret_type, char **ret_options)
{
	const struct share_config *s = &c->shares[i];
	unsigned pmem = 0;

	if (!config_vm_has_share(vm, s))
		return -ENOENT;
	/* /dev/pmemN in the order qemu adds the VM's pmem devices */
	for (size_t k = 0; k < i; k++)
		if (c->shares[k].backend == SHARE_BACKEND_VIRTIO_PMEM &&
		    config_vm_has_share(vm, &c->shares[k]))
			pmem++;
	if (s->backend == SHARE_BACKEND_VIRTIO_PMEM) {
		*ret_what = strdup_printf("/dev/pmem%u", pmem);
		*ret_type = "ext4";
		*ret_options =
			strdup(s->options ? s->options : "dax,ro,noload");
	} else {
		*ret_what = strdup(s->tag ? s->tag : s->name);
		*ret_type = "virtiofs";
		*ret_options = strdup(s->options ? s->options : "");
	}
	if (!*ret_what || !*ret_options) {
		free(*ret_what);
		free(*ret_options);
		return -ENOMEM;
	}
	return 0;
}

/* One write_files entry; content lines are indented by the caller. */
static void file_head(struct sbuf *b, const char *path)
{
	sb_printf(b, "  - path: ");
	sb_yaml(b, path);
	sb_printf(b, "\n    permissions: \"0644\"\n    content: |\n");
}

char *cloudinit_user_data(const struct lab_config *c,
			  const struct vm_config *vm, const char *ssh_pubkey)
{
	struct sbuf b = { 0 }, units = { 0 }; /* " UNIT" per share */
	_cleanup_free_ char *key = strdup(ssh_pubkey ? ssh_pubkey : "");

	if (!key)
		return NULL;
	key[strcspn(key, "\r\n")] = '\0';
	sb_printf(&b,
		  "#cloud-config\n"
		  "# Written by daxlab for [vm %s].\n",
		  vm->id);
	sb_printf(&b, "hostname: ");
	sb_yaml(&b, vm_name(vm));
	sb_printf(
		&b,
		"\n"
		"manage_etc_hosts: true\n"
		"# stats and fio log in as root@vm: root gets the lab's key.\n"
		"disable_root: false\n"
		"ssh_pwauth: false\n"
		"# one host key: RSA keys take seconds to make under TCG\n"
		"ssh_genkeytypes: [ed25519]\n"
		"ssh_authorized_keys:\n  - ");
	sb_yaml(&b, key);
	sb_printf(&b,
		  "\n"
		  "# The shares as systemd mount units (cloud-init's mounts:\n"
		  "# drops virtiofs tags), a fio server, and %s,\n"
		  "# which wants them all; no packages: the guest has no way\n"
		  "# out, fio must be in the image.\n"
		  "write_files:\n",
		  CLOUDINIT_TARGET);
	for (size_t i = 0; i < c->n_shares; i++) {
		const struct share_config *s = &c->shares[i];
		_cleanup_free_ char *what = NULL, *opts = NULL, *unit = NULL;
		_cleanup_free_ char *where = NULL, *path = NULL;
		const char *type;

		if (cloudinit_share_mount(c, vm, i, &what, &type, &opts) < 0)
			continue;
		where = cloudinit_mount_where(s->mount);
		unit = where ? cloudinit_mount_unit(where) : NULL;
		path = unit ? strdup_printf("/etc/systemd/system/%s", unit) :
			      NULL;
		if (!path) {
			b.failed = true;
			break;
		}
		file_head(&b, path);
		sb_printf(&b,
			  "      [Unit]\n"
			  "      Description=daxlab share %s (%s %s)\n"
			  "      [Mount]\n"
			  "      What=%s\n"
			  "      Where=%s\n"
			  "      Type=%s\n",
			  s->name, type, what, what, where, type);
		if (*opts)
			sb_printf(&b, "      Options=%s\n", opts);
		sb_printf(&b, "      TimeoutSec=60\n");
		sb_printf(&units, " %s", unit);
	}
	file_head(&b, "/etc/systemd/system/" CLOUDINIT_FIO_UNIT);
	sb_printf(&b, "      [Unit]\n"
		      "      Description=fio server for daxlab (fio --client "
		      "from the host, port 8765)\n"
		      "      [Service]\n"
		      "      ExecStart=fio --server\n"
		      "      WorkingDirectory=/tmp\n"
		      "      Restart=always\n"
		      "      RestartSec=2\n");
	file_head(&b, "/etc/systemd/system/" CLOUDINIT_TARGET);
	sb_printf(&b,
		  "      [Unit]\n"
		  "      Description=daxlab: the lab's shares and fio server\n"
		  "      Wants=%s%s\n",
		  CLOUDINIT_FIO_UNIT, units.s ? units.s : "");
	if (units.s)
		sb_printf(&b, "      After=%s\n", units.s + 1);
	sb_printf(&b,
		  "# A failed mount does not fail the target: daxlab reads\n"
		  "# /proc/mounts and names the share. systemd 246 and later\n"
		  "# load new unit files without a daemon-reload (seconds\n"
		  "# under TCG); older ones get one.\n"
		  "runcmd:\n"
		  "  - [systemctl, start, %s]\n"
		  "  - [sh, -c, \"systemctl is-active -q %s || { systemctl "
		  "daemon-reload; systemctl start %s; }\"]\n",
		  CLOUDINIT_TARGET, CLOUDINIT_TARGET, CLOUDINIT_TARGET);
	if (units.failed)
		b.failed = true;
	free(units.s);
	return sb_take(&b);
}

char *cloudinit_meta_data(const struct vm_config *vm)
{
	return strdup_printf("instance-id: daxlab-vm%s\nlocal-hostname: %s\n",
			     vm->id, vm_name(vm));
}

char *cloudinit_network_config(const struct vm_config *vm)
{
	if (vm->net == VM_NET_NONE)
		return strdup("");
	return strdup_printf(
		"# Written by daxlab for [vm %s]: the NIC qemu gives it.\n"
		"version: 2\n"
		"ethernets:\n"
		"  daxlab0:\n"
		"    match:\n"
		"      macaddress: \"%s\"\n"
		"%s",
		vm->id, QEMU_GUEST_MAC,
		vm->net == VM_NET_TAP ?
			"    dhcp4: true\n" :
			"    # qemu's user network: ssh and fio are forwarded "
			"to 10.0.2.15\n"
			"    addresses: [10.0.2.15/24]\n"
			"    routes:\n"
			"      - to: 0.0.0.0/0\n"
			"        via: 10.0.2.2\n"
			"    nameservers:\n"
			"      addresses: [10.0.2.3]\n");
}

int cloudinit_write_seed(const char *path, const char *user_data,
			 const char *meta_data, const char *network_config,
			 struct error *err)
{
	char dir[] = "/tmp/daxlab-seed.XXXXXX";
	_cleanup_free_ char *ud = NULL, *md = NULL, *nc = NULL, *tmp = NULL;
	bool net = network_config && *network_config;
	const char *hint = "dosfstools and mtools";
	int r;

	if (!mkdtemp(dir))
		return err_fail(err, -errno, "mkdtemp: %s", strerror(errno));
	/* cloud-init looks for the files by these exact names. */
	ud = strdup_printf("%s/user-data", dir);
	md = strdup_printf("%s/meta-data", dir);
	nc = strdup_printf("%s/network-config", dir);
	tmp = strdup_printf("%s.tmp", path);
	if (!ud || !md || !nc || !tmp) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = write_text_file(ud, user_data, 0644, false)) < 0 ||
	    (r = write_text_file(md, meta_data, 0644, false)) < 0 ||
	    (net &&
	     (r = write_text_file(nc, network_config, 0644, false)) < 0)) {
		err_set(err, "%s: %s", dir, strerror(-r));
		goto out;
	}
	unlink(tmp);
	{
		const char *mkfs[] = { "mkfs.vfat", "-n",   "CIDATA", "-C",
				       tmp,	    "1024", NULL };
		const char *mcopy[] = { "mcopy",
					"-o",
					"-i",
					tmp,
					ud,
					md,
					net ? nc : "::",
					net ? "::" : NULL,
					NULL };

		if ((r = spawn_run(mkfs, hint, err)) < 0 ||
		    (r = spawn_run(mcopy, hint, err)) < 0) {
			unlink(tmp);
			goto out;
		}
	}
	if (rename(tmp, path) < 0) {
		r = err_fail(err, -errno, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (ud)
		unlink(ud);
	if (md)
		unlink(md);
	if (nc)
		unlink(nc);
	rmdir(dir);
	return r;
}
