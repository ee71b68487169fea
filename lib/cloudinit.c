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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* A YAML double-quoted scalar: only " and \ need escaping in our values. */
static void put_yaml(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static const char *vm_name(const struct vm_config *vm)
{
	return vm->name ? vm->name : vm->id;
}

char *cloudinit_mount_unit(const char *path)
{
	const char *p = path;
	char *r, *o;

	if (!path || path[0] != '/')
		return NULL;
	while (*p == '/')
		p++;
	if (!*p)
		return strdup("-.mount");
	/* each byte becomes at most 4, each '/' at most one '-' */
	r = o = malloc(strlen(p) * 4 + sizeof(".mount"));
	if (!r)
		return NULL;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && !strncmp(p, "..", 2))) {
			free(r);
			return NULL;
		}
		if (o > r)
			*o++ = '-';
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];
			bool keep = (ch >= 'a' && ch <= 'z') ||
				    (ch >= 'A' && ch <= 'Z') ||
				    (ch >= '0' && ch <= '9') || ch == ':' ||
				    ch == '_' || (ch == '.' && o > r);

			if (keep)
				*o++ = (char)ch;
			else
				o += sprintf(o, "\\x%02x", ch);
		}
		p += n;
		while (*p == '/')
			p++;
	}
	strcpy(o, ".mount");
	return r;
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
static void file_head(FILE *f, const char *path)
{
	fprintf(f, "  - path: ");
	put_yaml(f, path);
	fprintf(f, "\n    permissions: \"0644\"\n    content: |\n");
}

char *cloudinit_user_data(const struct lab_config *c,
			  const struct vm_config *vm, const char *ssh_pubkey,
			  const char *host_key, const char *host_pub)
{
	_cleanup_free_ char *key = strdup(ssh_pubkey ? ssh_pubkey : "");
	char *text = NULL, *units = NULL; /* " UNIT" per share */
	size_t len = 0, ulen = 0;
	FILE *f = open_memstream(&text, &len);
	FILE *u = open_memstream(&units, &ulen);
	bool ok = key && f && u;

	if (!ok)
		goto out;
	key[strcspn(key, "\r\n")] = '\0';
	fprintf(f,
		"#cloud-config\n"
		"# Written by daxlab for [vm %s].\n",
		vm->id);
	fprintf(f, "hostname: ");
	put_yaml(f, vm_name(vm));
	fprintf(f,
		"\n"
		"manage_etc_hosts: true\n"
		"# stats and fio log in as root@vm: root gets the lab's key.\n"
		"disable_root: false\n"
		"ssh_pwauth: false\n"
		"# one host key: RSA keys take seconds to make under TCG\n"
		"ssh_genkeytypes: [ed25519]\n");
	if (host_key && host_pub) {
		fprintf(f, "# the host key daxlab checks (known_hosts)\n"
			   "ssh_deletekeys: true\n"
			   "ssh_keys:\n  ed25519_private: ");
		put_yaml(f, host_key);
		fprintf(f, "\n  ed25519_public: ");
		put_yaml(f, host_pub);
		fputc('\n', f);
	}
	fprintf(f, "ssh_authorized_keys:\n  - ");
	put_yaml(f, key);
	fprintf(f,
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
			ok = false;
			goto out;
		}
		file_head(f, path);
		fprintf(f,
			"      [Unit]\n"
			"      Description=daxlab share %s (%s %s)\n"
			"      [Mount]\n"
			"      What=%s\n"
			"      Where=%s\n"
			"      Type=%s\n",
			s->name, type, what, what, where, type);
		if (*opts)
			fprintf(f, "      Options=%s\n", opts);
		fprintf(f, "      TimeoutSec=60\n");
		fprintf(u, " %s", unit);
	}
	file_head(f, "/etc/systemd/system/" CLOUDINIT_FIO_UNIT);
	fprintf(f, "      [Unit]\n"
		   "      Description=fio server for daxlab (fio --client "
		   "from the host, through ssh)\n"
		   "      [Service]\n"
		   "      ExecStart=fio --server=ip:127.0.0.1\n"
		   "      WorkingDirectory=/tmp\n"
		   "      Restart=always\n"
		   "      RestartSec=2\n");
	file_head(f, "/etc/systemd/system/" CLOUDINIT_TARGET);
	if (fflush(u) != 0) {
		ok = false;
		goto out;
	}
	fprintf(f,
		"      [Unit]\n"
		"      Description=daxlab: the lab's shares and fio server\n"
		"      Wants=%s%s\n",
		CLOUDINIT_FIO_UNIT, units);
	if (ulen)
		fprintf(f, "      After=%s\n", units + 1);
	fprintf(f,
		"# A failed mount does not fail the target: daxlab reads\n"
		"# /proc/mounts and names the share. systemd 246 and later\n"
		"# load new unit files without a daemon-reload (seconds\n"
		"# under TCG); older ones get one.\n"
		"runcmd:\n"
		"  - [systemctl, start, %s]\n"
		"  - [sh, -c, \"systemctl is-active -q %s || { systemctl "
		"daemon-reload; systemctl start %s; }\"]\n",
		CLOUDINIT_TARGET, CLOUDINIT_TARGET, CLOUDINIT_TARGET);
out:
	ok = memstream_close(u, &units, ok) != NULL;
	free(units);
	return memstream_close(f, &text, ok);
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
	/* mkfs.vfat takes a name that starts with '-' for an option */
	tmp = strdup_printf("%s%s.tmp", path[0] == '-' ? "./" : "", path);
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
	/* it may hold the guest's private host key */
	if (chmod(tmp, 0600) < 0 || rename(tmp, path) < 0) {
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
