// SPDX-License-Identifier: MIT
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spawn.h"
#include "topology.h"
#include "util.h"
#include "vmplan.h"

/* A value inside a qemu option list: ',' is written ',,'. */
static char *qopt(const char *s)
{
	size_t n = 1;
	char *r, *o;

	for (const char *p = s; *p; p++)
		n += *p == ',' ? 2 : 1;
	r = malloc(n);
	if (!r)
		return NULL;
	for (o = r; *s; s++) {
		*o++ = *s;
		if (*s == ',')
			*o++ = ',';
	}
	*o = 0;
	return r;
}

/* Pushes each argument up to the NULL. */
static void push(struct strv *b, ...) __attribute__((sentinel));

static void push(struct strv *b, ...)
{
	const char *s;
	va_list ap;

	va_start(ap, b);
	while ((s = va_arg(ap, const char *)))
		strv_push(b, s);
	va_end(ap);
}

/* Pushes the option opt, then its value from the printf format. */
#define push_opt(b, opt, ...)               \
	do {                                \
		strv_push(b, opt);          \
		strv_pushf(b, __VA_ARGS__); \
	} while (0)

uint64_t qemu_pmem_align(uint64_t size)
{
	const uint64_t a = 2ULL << 20;

	return (size + a - 1) / a * a;
}

static uint64_t tree_bytes;

static int tree_add(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	/* data rounded to blocks, plus an inode and a directory entry */
	tree_bytes += ((uint64_t)st->st_size + 4095) / 4096 * 4096 + 512;
	return 0;
}

int qemu_pmem_size_for(const char *dir, uint64_t *ret)
{
	tree_bytes = 0;
	if (nftw(dir, tree_add, 32, FTW_PHYS) < 0)
		return -errno;
	/* ext4 metadata and journal: 10% plus 32 MiB, at least 64 MiB */
	*ret = qemu_pmem_align(tree_bytes + tree_bytes / 10 + (32ULL << 20));
	if (*ret < (64ULL << 20))
		*ret = 64ULL << 20;
	return 0;
}

int qemu_mkfs_argv(const char *source, const char *image, const char *label,
		   char ***ret)
{
	struct strv b = { 0 };

	/* DAX needs the file system block size (-b) to be the page size */
	push(&b, "mkfs.ext4", "-q", "-F", "-b", "4096", "-L", label, "-d",
	     source, image, NULL);
	*ret = strv_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

char *qemu_kernel_cmdline(const struct vm_plan *p)
{
	const struct vm_config *vm = p->vm;
	unsigned pmem = 0;
	char *r = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&r, &len);

	if (!f)
		return NULL;
	fprintf(f, "console=ttyS0 panic=-1 daxlab.name=%s", vm->name);
	/* the guest then does not wait for an eth0 that never comes */
	if (vm->net == VM_NET_NONE)
		fputs(" daxlab.net=none", f);
	for (size_t i = 0; i < p->n_shares; i++) {
		const struct share_config *s = p->shares[i].s;

		if (s->backend == SHARE_BACKEND_VIRTIO_PMEM)
			fprintf(f, " daxlab.pmem=%u:", pmem++);
		else
			fprintf(f, " daxlab.virtiofs=%s:", s->tag);
		fprintf(f, "%s%s%s", s->mount, s->options ? ":" : "",
			s->options ? s->options : "");
	}
	if (vm->append)
		fprintf(f, " %s", vm->append);
	return memstream_close(f, &r, true);
}

static void add_host_nodes(struct strv *b, char *opt, size_t optlen,
			   const char *mems)
{
	_cleanup_free_ char *copy = strdup(mems);
	char *save = NULL, *w;
	size_t n = strlen(opt);

	if (!copy) {
		b->err = -ENOMEM;
		return;
	}
	for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		n += (size_t)snprintf(opt + n, n < optlen ? optlen - n : 0,
				      ",host-nodes=%s", w);
	if (n < optlen)
		snprintf(opt + n, optlen - n, ",policy=bind");
}

int qemu_build_argv(const struct vm_plan *p, char ***ret, struct error *err)
{
	const struct lab_config *c = p->c;
	const struct vm_config *vm = p->vm;
	struct strv b = { 0 };
	uint64_t mem_mib = vm->memory >> 20, pmem_total = 0;
	unsigned fs = 0, pm = 0;
	_cleanup_free_ char *qmp = qopt(p->qmp);
	_cleanup_free_ char *con_sock = qopt(p->console_sock);
	_cleanup_free_ char *con_log = qopt(p->console_log);
	const char *nic;
	char opt[4096];

	*ret = NULL;
	if (!qmp || !con_sock || !con_log)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];

		if (ps->backend == SHARE_BACKEND_VIRTIO_PMEM)
			pmem_total += ps->image_size;
		else if (ps->s->dax_window && !p->have_cache_size)
			return err_fail(
				err, -EOPNOTSUPP,
				"[share %s]: dax_window = %llu bytes needs a qemu whose vhost-user-fs-pci has 'cache-size' (the out-of-tree virtio-fs DAX branch); %s has none. Remove dax_window, or use backend = virtio-pmem for DAX with stock qemu",
				ps->s->name,
				(unsigned long long)ps->s->dax_window,
				c->lab.qemu);
	}

	push(&b, c->lab.qemu, "-name", NULL);
	strv_pushf(&b, "%s,debug-threads=on", vm->name);
	push(&b, "-nodefaults", "-no-user-config", "-no-reboot", "-display",
	     "none", "-machine", "q35", "-accel", p->accel, "-cpu",
	     strcmp(p->accel, "kvm") ? "max" : "host", "-smp", NULL);
	strv_pushf(&b, "%u", vm->vcpus);
	strv_push(&b, "-m");
	if (p->n_pmem)
		strv_pushf(&b, "%lluM,slots=%zu,maxmem=%lluM",
			   (unsigned long long)mem_mib, p->n_pmem,
			   (unsigned long long)(mem_mib + (pmem_total >> 20)));
	else
		strv_pushf(&b, "%lluM", (unsigned long long)mem_mib);

	/* guest RAM: shared memory, as vhost-user needs, maybe node-bound */
	snprintf(opt, sizeof(opt),
		 "memory-backend-memfd,id=mem0,size=%lluM,share=on",
		 (unsigned long long)mem_mib);
	if (p->mems)
		add_host_nodes(&b, opt, sizeof(opt), p->mems);
	push(&b, "-object", opt, "-numa", "node,memdev=mem0", NULL);

	if (vm->image) {
		_cleanup_free_ char *img = qopt(p->disk);
		_cleanup_free_ char *seed = qopt(p->seed);

		if (!img || !seed)
			b.err = -ENOMEM;
		push_opt(&b, "-drive", "file=%s,if=virtio,format=qcow2", img);
		push_opt(&b, "-drive",
			 "file=%s,if=virtio,format=raw,readonly=on", seed);
	} else {
		_cleanup_free_ char *cmdline = qemu_kernel_cmdline(p);

		if (!cmdline)
			b.err = -ENOMEM;
		push(&b, "-kernel", vm->kernel, "-initrd", vm->initrd,
		     "-append", cmdline ? cmdline : "", NULL);
	}

	for (size_t i = 0; i < p->n_shares; i++) {
		const struct vm_plan_share *ps = &p->shares[i];
		const struct share_config *s = ps->s;

		if (ps->backend == SHARE_BACKEND_VIRTIO_PMEM) {
			_cleanup_free_ char *img = qopt(ps->image);

			if (!img)
				b.err = -ENOMEM;
			push_opt(
				&b, "-object",
				"memory-backend-file,id=pm%u,mem-path=%s,size=%lluM,share=on,readonly=on",
				pm, img,
				(unsigned long long)(ps->image_size >> 20));
			push_opt(&b, "-device",
				 "virtio-pmem-pci,memdev=pm%u,id=pmem%u", pm,
				 pm);
			pm++;
			continue;
		}
		_cleanup_free_ char *qsock = qopt(ps->socket);

		if (!qsock)
			b.err = -ENOMEM;
		push_opt(&b, "-chardev", "socket,id=fs%u,path=%s", fs,
			 qsock ? qsock : "");
		if (s->dax_window)
			push_opt(
				&b, "-device",
				"vhost-user-fs-pci,chardev=fs%u,tag=%s,queue-size=%u,cache-size=%lluM",
				fs, s->tag, s->queue_size,
				(unsigned long long)(s->dax_window >> 20));
		else
			push_opt(
				&b, "-device",
				"vhost-user-fs-pci,chardev=fs%u,tag=%s,queue-size=%u",
				fs, s->tag, s->queue_size);
		fs++;
	}

	/* an image's seed matches its NIC by this MAC (qemu's default) */
	nic = vm->image ? "virtio-net-pci,netdev=n0,mac=" QEMU_GUEST_MAC :
			  "virtio-net-pci,netdev=n0";
	if (vm->net != VM_NET_NONE) {
		if (vm->net == VM_NET_USER)
			push_opt(
				&b, "-netdev",
				"user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%u-:22",
				vm->ssh_port);
		else
			push_opt(&b, "-netdev", "bridge,id=n0,br=%s",
				 vm->bridge);
		push(&b, "-device", nic, NULL);
	}

	push_opt(&b, "-chardev", "socket,id=qmp,path=%s,server=on,wait=off",
		 qmp);
	push(&b, "-mon", "chardev=qmp,mode=control", NULL);
	push_opt(
		&b, "-chardev",
		"socket,id=ser0,path=%s,server=on,wait=off,logfile=%s,logappend=off",
		con_sock, con_log);
	push(&b, "-serial", "chardev:ser0", NULL);
	for (size_t i = 0; i < vm->n_qemu_args; i++)
		strv_push(&b, vm->qemu_args[i]);

	*ret = strv_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

int virtiofsd_build_argv(const struct vm_plan *p,
			 const struct vm_plan_share *ps, const char *binary,
			 enum virtiofsd_style style, char ***ret)
{
	const struct virtiofsd_section *d = &p->c->virtiofsd;
	const char *socket = ps->socket, *source = ps->source;
	struct strv b = { 0 };
	/* the C virtiofsd says "none" where the Rust one says "never" */
	const char *cache = d->cache;

	if (style == VIRTIOFSD_STYLE_RUST && !strcmp(cache, "none"))
		cache = "never";
	if (style != VIRTIOFSD_STYLE_RUST && !strcmp(cache, "never"))
		cache = "none";
	/* -o takes a comma list: a ',' in the folder is refused */
	if (style != VIRTIOFSD_STYLE_RUST && strchr(source, ','))
		return -EINVAL;
	/* the C virtiofsd sandboxes always: namespace or chroot */
	if (style != VIRTIOFSD_STYLE_RUST && d->sandbox &&
	    !strcmp(d->sandbox, "none"))
		return -EOPNOTSUPP;
	strv_push(&b, binary);
	if (style == VIRTIOFSD_STYLE_RUST) {
		push(&b, "--socket-path", socket, "--shared-dir", source,
		     "--cache", cache, NULL);
		if (d->sandbox)
			push(&b, "--sandbox", d->sandbox, NULL);
		if (d->thread_pool_size)
			push_opt(&b, "--thread-pool-size", "%u",
				 d->thread_pool_size);
	} else {
		strv_pushf(&b, "--socket-path=%s", socket);
		push_opt(&b, "-o", "source=%s", source);
		push_opt(&b, "-o", "cache=%s", cache);
		if (d->sandbox)
			push_opt(&b, "-o", "sandbox=%s", d->sandbox);
		if (d->thread_pool_size)
			strv_pushf(&b, "--thread-pool-size=%u",
				   d->thread_pool_size);
	}
	for (size_t i = 0; i < d->n_extra_args; i++)
		strv_push(&b, d->extra_args[i]);
	*ret = strv_steal(&b);
	return *ret ? 0 : -ENOMEM;
}

const char *qemu_cpuinfo_virt_flag(const char *cpuinfo)
{
	const char *line = cpuinfo;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *colon = memchr(line, ':', len);

		/* "flags\t\t: fpu vme ... vmx ..." (x86) */
		if (colon && str_has_prefix(line, "flags") &&
		    strspn(line + 5, " \t") == (size_t)(colon - line - 5)) {
			for (const char *w = colon + 1; w < line + len;) {
				size_t n;

				w += strspn(w, " \t");
				n = strcspn(w, " \t\n");
				if (n == 3 && !strncmp(w, "vmx", 3))
					return "vmx";
				if (n == 3 && !strncmp(w, "svm", 3))
					return "svm";
				w += n;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

bool qemu_kvm_probe(const char *cpuinfo, const char *kvm, char *why, size_t len)
{
	_cleanup_free_ char *ci = NULL;
	_cleanup_close_ int fd = -1;
	const char *flag;
	int r, vm;

	r = read_full_file(cpuinfo, 16 << 20, &ci, NULL);
	if (r < 0) {
		snprintf(why, len, "cannot read %s: %s", cpuinfo, strerror(-r));
		return false;
	}
	flag = qemu_cpuinfo_virt_flag(ci);
	if (!flag) {
		snprintf(why, len, "no vmx or svm flag in %s", cpuinfo);
		return false;
	}
	fd = open(kvm, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len,
			 "%s in %s, but %s does not open read-write: %s", flag,
			 cpuinfo, kvm, strerror(errno));
		return false;
	}
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		snprintf(why, len, "%s in %s, but %s: KVM_GET_API_VERSION %s",
			 flag, cpuinfo, kvm,
			 r < 0 ? strerror(errno) : "is not 12");
		return false;
	}
	/* a /dev/kvm that opens may still refuse VMs (e.g. kvm disabled) */
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, len, "%s in %s, but %s: KVM_CREATE_VM failed: %s",
			 flag, cpuinfo, kvm, strerror(errno));
		return false;
	}
	close(vm);
	snprintf(why, len, "%s in %s, %s creates VMs", flag, cpuinfo, kvm);
	return true;
}

bool qemu_device_help_has(const char *help, const char *prop)
{
	size_t n = strlen(prop);

	/* "  cache-size=<size>    - ..." (7.2 and 10.0 alike) */
	for (const char *l = help; l && *l;) {
		const char *w = l + strspn(l, " \t");

		if (!strncmp(w, prop, n) && w[n] == '=')
			return true;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return false;
}

int qemu_probe_cache_size(const char *qemu, bool *ret)
{
	const char *argv[] = { qemu, "-device", "vhost-user-fs-pci,help",
			       NULL };
	_cleanup_free_ char *out = NULL;
	int ex, r;

	r = spawn_capture(argv, true, 1 << 20, &out, &ex);
	if (r < 0)
		return r;
	if (ex != 0 && !qemu_device_help_has(out, "chardev"))
		return -ENOEXEC;
	*ret = qemu_device_help_has(out, "cache-size");
	return 0;
}

/* Where virtiofsd is looked for: Debian 13's Rust one first. */
/* clang-format off */
static const char *const virtiofsd_places[] = {
	"/usr/libexec/virtiofsd",  /* Debian 13, Fedora: the Rust one */
	"/usr/lib/qemu/virtiofsd", /* Debian 12: qemu's C one */
	"/usr/lib/virtiofsd",      /* Arch */
	"/usr/local/libexec/virtiofsd",
	"/usr/bin/virtiofsd",
	"/usr/local/bin/virtiofsd",
	NULL,
};
/* clang-format on */

int virtiofsd_find_in(const char *root, const char *configured, char **ret)
{
	if (!root)
		root = "";
	if (configured) {
		if (strchr(configured, '/') && access(configured, X_OK) < 0)
			return -errno;
		/* a bare name is looked up in PATH by spawn */
		*ret = strdup(configured);
		return *ret ? 0 : -ENOMEM;
	}
	for (size_t i = 0; virtiofsd_places[i]; i++) {
		_cleanup_free_ char *p =
			strdup_printf("%s%s", root, virtiofsd_places[i]);
		struct stat st;

		if (!p)
			return -ENOMEM;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(p, X_OK) == 0) {
			*ret = strdup(virtiofsd_places[i]);
			return *ret ? 0 : -ENOMEM;
		}
	}
	return -ENOENT;
}

int virtiofsd_style_of(const char *help, const char *version,
		       enum virtiofsd_style *ret)
{
	/* --help first: it names the options that the command line uses */
	if (help && strstr(help, "--shared-dir"))
		*ret = VIRTIOFSD_STYLE_RUST;
	else if (help && strstr(help, "-o source="))
		*ret = VIRTIOFSD_STYLE_C;
	/* qemu's: "virtiofsd version 7.2.22 (...)"; Rust: "virtiofsd 1.13.2" */
	else if (version && str_has_prefix(version, "virtiofsd version "))
		*ret = VIRTIOFSD_STYLE_C;
	else if (version && str_has_prefix(version, "virtiofsd ") &&
		 version[10] >= '0' && version[10] <= '9')
		*ret = VIRTIOFSD_STYLE_RUST;
	else
		return -ENOEXEC;
	return 0;
}

/* The first non-empty line of text, allocated. */
static char *first_line(const char *text)
{
	const char *s = text + strspn(text, " \t\r\n");
	size_t n = strcspn(s, "\r\n");

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n ? strndup(s, n) : NULL;
}

int virtiofsd_probe(const char *binary, enum virtiofsd_style *ret_style,
		    char **ret_version)
{
	const char *hv[] = { binary, "--help", NULL };
	const char *vv[] = { binary, "--version", NULL };
	_cleanup_free_ char *help = NULL, *ver = NULL, *line = NULL;
	int ex, r;

	r = spawn_capture(hv, true, 1 << 20, &help, &ex);
	if (r < 0)
		return r;
	r = spawn_capture(vv, true, 1 << 16, &ver, &ex);
	if (r < 0)
		return r;
	line = ex == 0 ? first_line(ver) : NULL;
	r = virtiofsd_style_of(help, line, ret_style);
	if (r < 0)
		return r;
	if (ret_version) {
		*ret_version = line ? TAKE_PTR(line) : strdup("unknown");
		if (!*ret_version)
			return -ENOMEM;
	}
	return 0;
}

const char *virtiofsd_style_name(enum virtiofsd_style s)
{
	switch (s) {
	case VIRTIOFSD_STYLE_C:
		return "c";
	case VIRTIOFSD_STYLE_RUST:
		return "rust";
	default:
		return "auto";
	}
}
