// SPDX-License-Identifier: MIT
#include "guestbuild.h"
#include "array.h"
#include "cpio.h"
#include "decompress.h"
#include "residency.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <nettle/sha2.h>

/*
 * Loaded in modules.dep order; "a|b": the first of a and b the kernel has.
 * crc32c is here because ext4 asks for "crc32c" through the crypto API (a
 * softdep), which modules.dep does not list, and the guest has no
 * modprobe to find it when mounting: crc32c_generic in older kernels,
 * crc32c-cryptoapi since the CRC rework of 6.14 and 6.15 (where ext4
 * uses the CRC library and no longer needs it; loading it costs nothing).
 * button (the ACPI power button, an input device) and evdev (its
 * /dev/input/event* node) let acpid see QMP system_powerdown; Debian
 * builds both as modules, a kernel with them built in needs neither.
 */
const char *const guest_module_roots[] = {
	"virtio_pci", "virtio_net",  "virtio_blk",
	"virtiofs",   "virtio_pmem", "nd_pmem",
	"dax",	      "ext4",	     "crc32c_generic|crc32c_cryptoapi",
	"button",     "evdev",	     NULL,
};

/* Programs copied with every library ldd lists for them. */
static const char *const dynamic_programs[] = {
	"/usr/bin/fio",
	"/usr/sbin/dropbear",
	"/usr/bin/dropbearkey",
	"/usr/bin/dropbearconvert",
	NULL,
};

static const char *const needed_packages[] = {
	"busybox-static", "fio", "dropbear-bin", "openssh-client", "gzip", NULL,
};

#define KERNEL_PACKAGE "linux-image-amd64"

/* ---- SHA-256 (nettle), for the input hash ---- */

static void sha_final_hex(struct sha256_ctx *s, char out[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_digest(s, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

void guest_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256_ctx s;

	sha256_init(&s);
	sha256_update(&s, len, data);
	sha_final_hex(&s, out);
}

__attribute__((format(printf, 2, 3))) static void
sha_printf(struct sha256_ctx *s, const char *fmt, ...)
{
	char buf[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		sha256_update(s,
			      (size_t)n < sizeof(buf) ? (size_t)n :
							sizeof(buf) - 1,
			      (const uint8_t *)buf);
}

/* ---- kernel and modules ---- */

int guest_newest_kernel(const char *bootdir, char **ret)
{
	DIR *d = opendir(bootdir);
	struct dirent *de;
	_cleanup_free_ char *best = NULL;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!str_has_prefix(de->d_name, "vmlinuz-") ||
		    str_has_suffix(de->d_name, ".old") ||
		    str_has_suffix(de->d_name, ".bak"))
			continue;
		if (best && strverscmp(de->d_name, best) <= 0)
			continue;
		free(best);
		best = strdup(de->d_name);
		if (!best) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (!best)
		return -ENOENT;
	*ret = strdup_printf("%s/%s", bootdir, best);
	return *ret ? 0 : -ENOMEM;
}

int guest_kernel_release(const char *kernel, char **ret)
{
	_cleanup_close_ int fd = open(kernel, O_RDONLY | O_CLOEXEC);
	unsigned char hdr[0x210];
	char ver[128];
	const char *base;

	if (fd < 0)
		return -errno;
	/* Boot protocol: "HdrS" at 0x202, version string offset at 0x20e. */
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    memcmp(hdr + 0x202, "HdrS", 4) == 0) {
		unsigned off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
		ssize_t n = off ? pread(fd, ver, sizeof(ver) - 1,
					(off_t)off + 0x200) :
				  -1;

		if (n > 0) {
			size_t len;

			ver[n] = '\0';
			len = strcspn(ver, " ");
			if (len > 0 && len < (size_t)n) {
				ver[len] = '\0';
				*ret = strdup(ver);
				return *ret ? 0 : -ENOMEM;
			}
		}
	}
	base = strrchr(kernel, '/');
	base = base ? base + 1 : kernel;
	if (!str_has_prefix(base, "vmlinuz-") || !base[8])
		return -EINVAL;
	*ret = strdup(base + 8);
	return *ret ? 0 : -ENOMEM;
}

/* "kernel/fs/ext4/ext4.ko.xz" -> "ext4" with '-' as '_'. */
static void module_name(const char *path, char *out, size_t outlen)
{
	const char *b = strrchr(path, '/');
	size_t len;

	b = b ? b + 1 : path;
	len = strcspn(b, ".");
	if (len >= outlen)
		len = outlen - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[len] = '\0';
}

struct moddep {
	char *buf; /* modules.dep, each line cut at its ':' */
	struct {
		char *path; /* a module's path */
		char *deps; /* the rest of its line */
	} * v;
	size_t n;
};

static void moddep_free(struct moddep *m)
{
	free(m->buf);
	free(m->v);
}

static int moddep_load(const char *moddir, struct moddep *m, struct error *err)
{
	_cleanup_free_ char *path = strdup_printf("%s/modules.dep", moddir);
	size_t len, cap = 0;
	char *line, *save = NULL;
	int r;

	if (!path)
		return -ENOMEM;
	r = read_full_file(path, 64 << 20, &m->buf, &len);
	if (r < 0)
		return err_fail(err, r, "%s: %s", path, strerror(-r));
	for (line = strtok_r(m->buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		if (ARRAY_RESERVE(m->v, m->n, cap, 1024) < 0)
			return -ENOMEM;
		m->v[m->n].path = line;
		m->v[m->n++].deps = colon + 1;
	}
	return 0;
}

static ssize_t moddep_find_name(const struct moddep *m, const char *name)
{
	char n[256];

	for (size_t i = 0; i < m->n; i++) {
		module_name(m->v[i].path, n, sizeof(n));
		if (strcmp(n, name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static ssize_t moddep_find_path(const struct moddep *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].path, path) == 0)
			return (ssize_t)i;
	return -1;
}

/* Depth first, dependencies before the module: a valid load order. */
static int visit(const struct moddep *m, size_t i, bool *seen, char ***out,
		 struct error *err)
{
	_cleanup_free_ char *deps = NULL;
	char *tok, *save = NULL;
	int r;

	if (seen[i])
		return 0;
	seen[i] = true;
	deps = strdup(m->v[i].deps);
	if (!deps)
		return -ENOMEM;
	for (tok = strtok_r(deps, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		ssize_t j = moddep_find_path(m, tok);

		if (j < 0)
			return err_fail(
				err, -ENOENT,
				"modules.dep: %s needs %s, which has no line",
				m->v[i].path, tok);
		r = visit(m, (size_t)j, seen, out, err);
		if (r < 0)
			return r;
	}
	return strv_append(out, m->v[i].path);
}

static bool module_builtin(const char *moddir, const char *name)
{
	_cleanup_free_ char *path = strdup_printf("%s/modules.builtin", moddir);
	_cleanup_free_ char *buf = NULL;
	char *line, *save = NULL, n[256];
	size_t len;

	if (!path || read_full_file(path, 16 << 20, &buf, &len) < 0)
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		module_name(line, n, sizeof(n));
		if (strcmp(n, name) == 0)
			return true;
	}
	return false;
}

int guest_modules_order(const char *moddir, const char *const *roots,
			char ***ret, struct error *err)
{
	struct moddep m __attribute__((cleanup(moddep_free))) = { 0 };
	_cleanup_free_ bool *seen = NULL;
	_cleanup_strv_ char **out = NULL;
	int r;

	r = moddep_load(moddir, &m, err);
	if (r < 0)
		return r;
	seen = calloc(m.n ? m.n : 1, sizeof(*seen));
	out = calloc(1, sizeof(*out));
	if (!seen || !out)
		return -ENOMEM;
	for (size_t k = 0; roots[k]; k++) {
		_cleanup_free_ char *alts = strdup(roots[k]);
		char *save = NULL, *name;
		bool found = false;

		if (!alts)
			return -ENOMEM;
		/* "a|b": the first of them the kernel has */
		for (name = strtok_r(alts, "|", &save); name && !found;
		     name = strtok_r(NULL, "|", &save)) {
			ssize_t i = moddep_find_name(&m, name);

			found = i >= 0 || module_builtin(moddir, name);
			if (i >= 0 &&
			    (r = visit(&m, (size_t)i, seen, &out, err)) < 0)
				return r;
		}
		if (!found)
			return err_fail(
				err, -ENOENT,
				"%s/modules.dep: no module %s (and not built in)",
				moddir, roots[k]);
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int guest_ldd_parse(const char *out, char ***ret, struct error *err)
{
	_cleanup_free_ char *buf = strdup(out);
	_cleanup_strv_ char **v = calloc(1, sizeof(char *));
	char *line, *save = NULL;
	int r;

	if (!buf || !v)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *arrow, *end;

		while (*p == ' ' || *p == '\t')
			p++;
		arrow = strstr(p, "=> ");
		if (arrow) {
			p = arrow + 3;
			if (str_has_prefix(p, "not found")) {
				arrow[-1] = '\0';
				return err_fail(err, -ENOENT,
						"library %s not found",
						line + strspn(line, " \t"));
			}
		}
		if (*p != '/')
			continue; /* linux-vdso.so.1, statically linked, ... */
		end = strstr(p, " (");
		if (end)
			*end = '\0';
		if (strv_contains(v, p))
			continue;
		r = strv_append(&v, p);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

int guest_missing_packages(bool with_kernel, char ***ret)
{
	const char *argv[16] = { "dpkg-query", "-W", "-f",
				 "${Package} ${Status}\\n" };
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_ char **missing = calloc(1, sizeof(char *));
	size_t n = 4;
	int r, ex;

	if (!missing)
		return -ENOMEM;
	for (size_t i = 0; needed_packages[i]; i++)
		argv[n++] = needed_packages[i];
	if (with_kernel)
		argv[n++] = KERNEL_PACKAGE;
	argv[n] = NULL;
	r = spawn_capture(argv, false, 1 << 20, &out, &ex);
	if (r < 0)
		return r;
	for (size_t i = 4; i < n; i++) {
		_cleanup_free_ char *want =
			strdup_printf("%s install ok installed\n", argv[i]);
		const char *hit;

		if (!want)
			return -ENOMEM;
		hit = strstr(out, want);
		while (hit && hit != out && hit[-1] != '\n')
			hit = strstr(hit + 1, want);
		if (!hit) {
			r = strv_append(&missing, argv[i]);
			if (r < 0)
				return r;
		}
	}
	*ret = TAKE_PTR(missing);
	return 0;
}

/* ---- the plan: what goes into the archive ---- */

enum entry_kind { E_DIR, E_FILE, E_DATA, E_SYMLINK, E_CHR, E_PACKED };

struct entry {
	enum entry_kind kind;
	char *dest;
	char *src; /* E_FILE, E_PACKED; the target for E_SYMLINK */
	char *data; /* E_DATA */
	size_t len;
	mode_t mode;
	unsigned major, minor;
};

struct plan {
	struct entry *e;
	size_t n, cap;
	size_t n_modules;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].dest);
		free(p->e[i].src);
		free(p->e[i].data);
	}
	free(p->e);
}

static int plan_add(struct plan *p, enum entry_kind kind, const char *dest,
		    const char *src, const void *data, size_t len, mode_t mode)
{
	struct entry *e;

	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->e[i].dest, dest) == 0)
			return 0; /* first one wins (a library seen twice) */
	if (ARRAY_RESERVE(p->e, p->n, p->cap, 128) < 0)
		return -ENOMEM;
	e = &p->e[p->n];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->mode = mode;
	e->dest = strdup(dest);
	if (src)
		e->src = strdup(src);
	if (data) {
		e->data = malloc(len ? len : 1);
		if (e->data)
			memcpy(e->data, data, len);
		e->len = len;
	}
	if (!e->dest || (src && !e->src) || (data && !e->data)) {
		free(e->dest);
		free(e->src);
		free(e->data);
		return -ENOMEM;
	}
	p->n++;
	return 0;
}

static int plan_text(struct plan *p, const char *dest, mode_t mode,
		     const char *text)
{
	return plan_add(p, E_DATA, dest, NULL, text, strlen(text), mode);
}

/*
 * Where a host file goes in the guest: its directory resolved (so that
 * /lib/x86_64-linux-gnu/libc.so.6 lands in /usr/lib/... on a merged-/usr
 * host, under the guest's lib -> usr/lib link) and its own name kept
 * (the soname, not the file the symlink points to).
 */
static int guest_path_of(const char *host, char **ret)
{
	_cleanup_free_ char *dir = strdup(host);
	char *slash, real[PATH_MAX];

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	if (!realpath(*dir ? dir : "/", real))
		return -errno;
	*ret = strdup_printf("%s/%s", strcmp(real, "/") ? real : "", slash + 1);
	return *ret ? 0 : -ENOMEM;
}

static int plan_host_file(struct plan *p, const char *host, mode_t mode,
			  struct error *err)
{
	_cleanup_free_ char *dest = NULL;
	int r;

	if (access(host, R_OK) < 0)
		return err_fail(err, -errno, "%s: %s", host, strerror(errno));
	r = guest_path_of(host, &dest);
	if (r < 0)
		return err_fail(err, r, "%s: %s", host, strerror(-r));
	return plan_add(p, E_FILE, dest, host, NULL, 0, mode);
}

/*
 * The libraries ldd lists for prog. static_ok: a program that is not
 * dynamic (ldd says so and exits 1) needs none.
 */
static int plan_libraries(struct plan *p, const char *prog, bool static_ok,
			  struct error *err)
{
	const char *argv[] = { "ldd", prog, NULL };
	_cleanup_free_ char *out = NULL;
	_cleanup_strv_ char **libs = NULL;
	int r, ex;

	r = spawn_capture(argv, true, 1 << 20, &out, &ex);
	if (r < 0)
		return err_fail(err, r, "ldd %s: %s", prog, strerror(-r));
	if (ex != 0 && static_ok && strstr(out, "not a dynamic executable"))
		return 0;
	if (ex != 0)
		return err_fail(err, -EINVAL, "ldd %s exited with %d: %s", prog,
				ex, out);
	r = guest_ldd_parse(out, &libs, err);
	if (r < 0)
		return r;
	for (size_t i = 0; libs[i]; i++) {
		r = plan_host_file(p, libs[i], 0755, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int guest_extra_parse(const char *arg, char **ret_host, char **ret_guest,
		      struct error *err)
{
	const char *colon = strchr(arg, ':');
	_cleanup_free_ char *host = NULL, *guest = NULL;

	host = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
	if (!host)
		return -ENOMEM;
	if (!*host)
		return err_fail(err, -EINVAL,
				"'%s': no host path before the ':'", arg);
	if (colon) {
		const char *g = colon + 1, *c;
		bool named = false;

		if (*g != '/')
			return err_fail(
				err, -EINVAL,
				"'%s': the guest path '%s' is not absolute",
				arg, g);
		for (c = g; *c;) {
			size_t len;

			c += strspn(c, "/");
			len = strcspn(c, "/");
			if ((len == 1 && c[0] == '.') ||
			    (len == 2 && c[0] == '.' && c[1] == '.'))
				return err_fail(
					err, -EINVAL,
					"'%s': the guest path '%s' has a '.' or "
					"'..' component",
					arg, g);
			if (len)
				named = true;
			c += len;
		}
		if (!named || g[strlen(g) - 1] == '/')
			return err_fail(
				err, -EINVAL,
				"'%s': the guest path '%s' names no file", arg,
				g);
		guest = strdup(g);
		if (!guest)
			return -ENOMEM;
	}
	*ret_host = TAKE_PTR(host);
	*ret_guest = TAKE_PTR(guest);
	return 0;
}

/* "/x/y" and "x/y" name the same archive entry. */
static const struct entry *plan_find(const struct plan *p, const char *dest)
{
	const char *d = dest + strspn(dest, "/");

	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->e[i].dest + strspn(p->e[i].dest, "/"), d) == 0)
			return &p->e[i];
	return NULL;
}

/*
 * A guest path under a top-level link of the plan (bin -> usr/bin on a
 * merged-/usr host) rewritten to where the link points, so the archive
 * never needs a directory where it holds a link.
 */
static char *guest_path_resolved(const struct plan *p, const char *guest)
{
	const char *g = guest + strspn(guest, "/");
	size_t len = strcspn(g, "/");

	for (size_t i = 0; g[len] && i < p->n; i++) {
		const struct entry *e = &p->e[i];

		if (e->kind == E_SYMLINK && strlen(e->dest) == len &&
		    strncmp(e->dest, g, len) == 0 && e->src[0] != '/')
			return strdup_printf("/%s%s", e->src, g + len);
	}
	return strdup_printf("/%s", g);
}

static bool is_elf(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char m[4];

	return fd >= 0 && read(fd, m, 4) == 4 && memcmp(m, "\177ELF", 4) == 0;
}

/* One --add: the file with its mode, and an ELF program's libraries. */
static int plan_extra(struct plan *p, const struct guest_extra *x,
		      struct error *err)
{
	_cleanup_free_ char *dest = NULL;
	const struct entry *old;
	struct stat st;
	int r;

	if (stat(x->host, &st) < 0 || access(x->host, R_OK) < 0)
		return err_fail(err, -errno, "--add %s: %s", x->host,
				strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_fail(err, -EINVAL, "--add %s: not a regular file",
				x->host);
	if (x->guest)
		dest = guest_path_resolved(p, x->guest);
	else if ((r = guest_path_of(x->host, &dest)) < 0)
		return err_fail(err, r, "--add %s: %s", x->host, strerror(-r));
	if (!dest)
		return -ENOMEM;
	old = plan_find(p, dest);
	if (old && !(old->kind == E_FILE && strcmp(old->src, x->host) == 0))
		return err_fail(err, -EEXIST,
				"--add %s: %s is already in the guest (%s)",
				x->host, dest,
				old->kind == E_FILE ? old->src :
						      "made by the builder");
	r = plan_add(p, E_FILE, dest, x->host, NULL, 0, st.st_mode & 07777);
	if (r < 0)
		return r;
	if (is_elf(x->host))
		return plan_libraries(p, x->host, true, err);
	return 0;
}

static int plan_modules(struct plan *p, const char *release, struct error *err)
{
	_cleanup_free_ char *moddir = strdup_printf("/lib/modules/%s", release);
	_cleanup_free_ char *list = NULL, *load = NULL;
	_cleanup_strv_ char **order = NULL;
	char real[PATH_MAX], mods[PATH_MAX];
	int r;

	if (!moddir)
		return -ENOMEM;
	r = guest_modules_order(moddir, guest_module_roots, &order, err);
	if (r < 0)
		return r;
	if (!realpath(moddir, real))
		return err_fail(err, -errno, "%s: %s", moddir, strerror(errno));
	list = strdup("");
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; order[i]; i++) {
		_cleanup_free_ char *src =
			strdup_printf("%s/%s", moddir, order[i]);
		_cleanup_free_ char *dest =
			strdup_printf("%s/%s", real, order[i]);
		char *base, *dot, *nl;
		bool packed;

		if (!src || !dest)
			return -ENOMEM;
		/* kernel/fs/ext4/ext4.ko.xz goes in as .../ext4.ko. */
		base = strrchr(dest, '/');
		dot = strstr(base ? base : dest, ".ko");
		packed = dot && dot[3] != '\0';
		if (packed && !decompress_codec_of(dot + 3))
			return err_fail(
				err, -EOPNOTSUPP,
				"%s: compressed in a way daxlab cannot read "
				"(it reads .ko, .ko.gz, .ko.xz and .ko.zst)",
				src);
		if (packed)
			dot[3] = '\0';
		if (access(src, R_OK) < 0)
			return err_fail(err, -errno, "%s: %s", src,
					strerror(errno));
		r = plan_add(p, packed ? E_PACKED : E_FILE, dest, src, NULL, 0,
			     0644);
		if (r < 0)
			return r;
		nl = strdup_printf("%s%s\n", list, dest);
		if (!nl)
			return -ENOMEM;
		free(list);
		list = nl;
		p->n_modules++;
	}
	/* /lib/modules/load.list: what /init loads, in this order. */
	if (!realpath("/lib/modules", mods))
		return -errno;
	load = strdup_printf("%s/load.list", mods);
	if (!load)
		return -ENOMEM;
	return plan_text(p, load, 0644, list);
}

/* bin -> usr/bin and friends, as on the host (merged /usr). */
static int plan_top_links(struct plan *p)
{
	static const char *const tops[] = { "bin", "sbin", "lib", "lib64",
					    NULL };

	for (size_t i = 0; tops[i]; i++) {
		char host[32], target[PATH_MAX];
		ssize_t n;
		int r;

		snprintf(host, sizeof(host), "/%s", tops[i]);
		n = readlink(host, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		r = plan_add(p, E_SYMLINK, tops[i], target, NULL, 0, 0777);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char inittab[] =
	"# The setup is done by /init before it runs busybox init.\n"
	"ttyS0::respawn:-/bin/sh\n"
	"::ctrlaltdel:/sbin/poweroff -f\n"
	"::shutdown:/bin/umount -a -r\n";

/*
 * What busybox acpid (started by /init) runs for the ACPI power button
 * (QMP system_powerdown): a clean poweroff. Its console line gets a line
 * of its own (the root shell's prompt may be on the last one). Once /init
 * has handed over to busybox init (it leaves /run/daxlab-init-done just
 * before), poweroff asks init, which runs ::shutdown (umount -a -r), stops
 * every process, syncs and powers off. Before that pid 1 is /init's shell,
 * which ignores poweroff's signal, so the handler does init's part itself.
 */
static const char power_button_handler[] =
	"#!/bin/sh\n"
	"# The ACPI power button (daxlab vm stop): power off cleanly.\n"
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	"printf '\\nDAXLAB-POWEROFF\\n' >/dev/console\n"
	"if [ -e /run/daxlab-init-done ]; then\n"
	"\texec poweroff\n"
	"fi\n"
	"sync\n"
	"umount -a -r\n"
	"sync\n"
	"exec poweroff -f\n";

/*
 * busybox has no getconf; ssh clients such as the monitor's ask for the
 * page size with it. The guest runs the host's kernel, so the host's page
 * size is the guest's.
 */
static int plan_getconf(struct plan *p)
{
	_cleanup_free_ char *text = strdup_printf(
		"#!/bin/sh\n"
		"# daxlab's getconf: the page size only (busybox has none)\n"
		"case $1 in\n"
		"PAGESIZE | PAGE_SIZE) echo %ld ;;\n"
		"*) echo \"getconf: $1: not supported here\" >&2; exit 1 ;;\n"
		"esac\n",
		sysconf(_SC_PAGESIZE));

	if (!text)
		return -ENOMEM;
	return plan_text(p, "usr/bin/getconf", 0755, text);
}

static int plan_build(struct plan *p, const char *release,
		      const char *init_path, const char *lab_pub,
		      const char *host_key, struct error *err)
{
	static const char *const dirs[] = { "dev",     "proc",	  "sys",
					    "run",     "mnt",	  "etc",
					    "var/log", "var/run", NULL };
	_cleanup_free_ char *init = NULL, *bb = NULL, *sh = NULL;
	char bindir[PATH_MAX];
	size_t len;
	int r;

	r = plan_top_links(p);
	if (r < 0)
		return r;
	for (size_t i = 0; dirs[i]; i++) {
		r = plan_add(p, E_DIR, dirs[i], NULL, NULL, 0, 0755);
		if (r < 0)
			return r;
	}
	if ((r = plan_add(p, E_DIR, "tmp", NULL, NULL, 0, 01777)) < 0 ||
	    (r = plan_add(p, E_DIR, "root", NULL, NULL, 0, 0700)) < 0 ||
	    (r = plan_add(p, E_DIR, "root/.ssh", NULL, NULL, 0, 0700)) < 0 ||
	    (r = plan_add(p, E_DIR, "etc/dropbear", NULL, NULL, 0, 0700)) < 0)
		return r;
	/* The kernel opens /dev/console for /init before devtmpfs exists. */
	r = plan_add(p, E_CHR, "dev/console", NULL, NULL, 0, 0600);
	if (r < 0)
		return r;
	p->e[p->n - 1].major = 5;
	p->e[p->n - 1].minor = 1;
	r = plan_add(p, E_CHR, "dev/null", NULL, NULL, 0, 0666);
	if (r < 0)
		return r;
	p->e[p->n - 1].major = 1;
	p->e[p->n - 1].minor = 3;

	/* busybox, and /bin/sh for the kernel (#!) and dropbear. */
	if (!realpath("/bin", bindir))
		return err_fail(err, -errno, "/bin: %s", strerror(errno));
	bb = strdup_printf("%s/busybox", bindir);
	sh = strdup_printf("%s/sh", bindir);
	if (!bb || !sh)
		return -ENOMEM;
	if (access("/bin/busybox", X_OK) < 0)
		return err_fail(err, -errno, "/bin/busybox: %s",
				strerror(errno));
	if ((r = plan_add(p, E_FILE, bb, "/bin/busybox", NULL, 0, 0755)) < 0 ||
	    (r = plan_add(p, E_SYMLINK, sh, "busybox", NULL, 0, 0777)) < 0)
		return r;

	for (size_t i = 0; dynamic_programs[i]; i++) {
		const char *prog = dynamic_programs[i];

		if ((r = plan_host_file(p, prog, 0755, err)) < 0 ||
		    (r = plan_libraries(p, prog, false, err)) < 0)
			return r;
	}
	r = plan_modules(p, release, err);
	if (r < 0)
		return r;

	r = read_full_file(init_path, 1 << 20, &init, &len);
	if (r < 0)
		return err_fail(err, r, "%s: %s", init_path, strerror(-r));
	if ((r = plan_add(p, E_DATA, "init", NULL, init, len, 0755)) < 0 ||
	    (r = plan_text(p, "etc/passwd", 0644,
			   "root:x:0:0:root:/root:/bin/sh\n")) < 0 ||
	    (r = plan_text(p, "etc/group", 0644, "root:x:0:\n")) < 0 ||
	    (r = plan_text(p, "etc/shells", 0644, "/bin/sh\n")) < 0 ||
	    (r = plan_text(p, "etc/inittab", 0644, inittab)) < 0 ||
	    (r = plan_add(p, E_DIR, "etc/acpi", NULL, NULL, 0, 0755)) < 0 ||
	    (r = plan_add(p, E_DIR, "etc/acpi/PWRF", NULL, NULL, 0, 0755)) <
		    0 ||
	    (r = plan_text(p, "etc/acpi/PWRF/00000080", 0755,
			   power_button_handler)) < 0 ||
	    (r = plan_getconf(p)) < 0 ||
	    (r = plan_text(p, "root/.ssh/authorized_keys", 0600, lab_pub)) <
		    0 ||
	    (r = plan_add(p, E_FILE, "etc/dropbear/dropbear_ed25519_host_key",
			  host_key, NULL, 0, 0600)) < 0)
		return r;
	return 0;
}

/* ---- keys ---- */

/*
 * The key's folder, flock()ed: VMs start in parallel, one process each,
 * and the first image VM of a lab makes the key while the others wait.
 */
static int lock_key_dir(const char *key, struct error *err)
{
	_cleanup_free_ char *dir = path_parent(key);
	int fd, r;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_fail(err, -errno, "%s: %m", dir);
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = err_fail(err, -errno, "flock %s: %m", dir);
		close(fd);
		return r;
	}
	return fd;
}

int guest_lab_key(const char *key, char **ret_pub, struct error *err)
{
	_cleanup_free_ char *pub = strdup_printf("%s.pub", key);
	_cleanup_close_ int lock = -1;
	size_t len;
	int r;

	if (!pub)
		return -ENOMEM;
	lock = lock_key_dir(key, err);
	if (lock < 0)
		return lock;
	if (access(key, F_OK) < 0) {
		const char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519",
				       "-N",	     "",   "-C", "daxlab-lab",
				       "-f",	     key,  NULL };

		unlink(pub);
		r = spawn_run(argv, NULL, err);
		if (r < 0)
			return r;
	} else if (access(pub, F_OK) < 0) {
		const char *argv[] = { "ssh-keygen", "-y", "-f", key, NULL };
		_cleanup_free_ char *out = NULL;
		int ex;

		r = spawn_capture(argv, false, 1 << 16, &out, &ex);
		if (r < 0 || ex != 0)
			return err_fail(err, r, "ssh-keygen -y -f %s failed",
					key);
		r = write_text_file(pub, out, 0644, false);
		if (r < 0)
			return err_fail(err, -EIO, "%s: %s", pub, strerror(-r));
	}
	r = read_full_file(pub, 1 << 16, ret_pub, &len);
	if (r < 0)
		err_set(err, "%s: %s", pub, strerror(-r));
	return r;
}

/*
 * DIR/dropbear_ed25519_host_key: the guest's host key, made once so that
 * known_hosts entries stay valid; DIR/known_hosts gets its public line.
 */
static int ensure_host_key(const char *dir, char **ret_key, struct error *err)
{
	_cleanup_free_ char *key =
		strdup_printf("%s/dropbear_ed25519_host_key", dir);
	_cleanup_free_ char *kh = strdup_printf("%s/known_hosts", dir);
	_cleanup_free_ char *out = NULL;
	_cleanup_close_ int fd = -1;
	char *line;
	int r, ex;

	if (!key || !kh)
		return -ENOMEM;
	if (access(key, F_OK) < 0) {
		const char *argv[] = { "dropbearkey", "-t", "ed25519",
				       "-f",	      key,  NULL };

		r = spawn_run(argv, NULL, err);
		if (r < 0)
			return r;
	}
	{
		const char *argv[] = { "dropbearkey", "-y", "-f", key, NULL };

		r = spawn_capture(argv, false, 1 << 16, &out, &ex);
	}
	if (r < 0 || ex != 0)
		return err_fail(err, r, "dropbearkey -y -f %s failed", key);
	line = strstr(out, "ssh-ed25519 ");
	if (!line)
		return err_fail(err, -EINVAL,
				"dropbearkey -y -f %s: no public key", key);
	/* The key type and the key, without dropbear's comment. */
	{
		char *sp = strchr(line + 12, ' '), *nl = strchr(line, '\n');

		if (sp && (!nl || sp < nl))
			*sp = '\0';
		else if (nl)
			*nl = '\0';
	}
	fd = open(kh, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, line, strlen(line)) < 0 ||
	    write_all(fd, "\n", 1) < 0)
		return err_fail(err, -errno, "%s: %s", kh, strerror(errno));
	*ret_key = TAKE_PTR(key);
	return 0;
}

/* ---- hashing the inputs ---- */

static void hash_inputs(const struct plan *p, const char *version,
			const char *kernel, const char *release,
			const char *dpkg, char out[65])
{
	struct sha256_ctx s;
	struct stat st;

	sha256_init(&s);
	sha_printf(&s, "daxlab %s\nkernel %s %s\n", version, kernel, release);
	if (stat(kernel, &st) == 0)
		sha_printf(&s, "%lld %lld.%09ld\n", (long long)st.st_size,
			   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	sha_printf(&s, "packages\n%s\n", dpkg);
	for (size_t i = 0; i < p->n; i++) {
		const struct entry *e = &p->e[i];

		sha_printf(&s, "%d %s %o %u:%u\n", e->kind, e->dest,
			   (unsigned)e->mode, e->major, e->minor);
		if (e->src)
			sha_printf(&s, "src %s\n", e->src);
		if ((e->kind == E_FILE || e->kind == E_PACKED) &&
		    stat(e->src, &st) == 0)
			sha_printf(&s, "%lld %lld.%09ld %llu\n",
				   (long long)st.st_size,
				   (long long)st.st_mtim.tv_sec,
				   st.st_mtim.tv_nsec,
				   (unsigned long long)st.st_ino);
		if (e->kind == E_DATA) {
			sha_printf(&s, "%zu\n", e->len);
			sha256_update(&s, e->len, (const uint8_t *)e->data);
		}
	}
	sha_final_hex(&s, out);
}

static char *package_versions(void)
{
	const char *argv[] = { "dpkg-query",
			       "-W",
			       "-f",
			       "${Package} ${Version}\\n",
			       "busybox-static",
			       "fio",
			       "dropbear-bin",
			       "libc6",
			       NULL };
	char *out = NULL;
	int ex;

	if (spawn_capture(argv, false, 1 << 16, &out, &ex) < 0)
		return strdup("(no dpkg-query)");
	return out;
}

/* ---- writing ---- */

static int write_entry(struct cpio *c, const struct entry *e, struct error *err)
{
	int r = 0;

	switch (e->kind) {
	case E_DIR:
		r = cpio_add_dir(c, e->dest, e->mode);
		break;
	case E_FILE:
		r = cpio_add_file(c, e->dest, e->mode, e->src);
		break;
	case E_DATA:
		r = cpio_add_data(c, e->dest, e->mode, e->data, e->len);
		break;
	case E_SYMLINK:
		r = cpio_add_symlink(c, e->dest, e->src);
		break;
	case E_CHR:
		r = cpio_add_chardev(c, e->dest, e->mode, e->major, e->minor);
		break;
	case E_PACKED: {
		/* A compressed module, decompressed in memory. */
		_cleanup_free_ unsigned char *data = NULL;
		size_t len;

		r = decompress_file(e->src, &data, &len, err);
		if (r < 0)
			return r;
		r = cpio_add_data(c, e->dest, e->mode, data, len);
		break;
	}
	}
	if (r < 0)
		err_set(err, "%s (archive %s): %s", e->src ? e->src : "data",
			e->dest, strerror(-r));
	return r;
}

static int write_initrd(const struct plan *p, const char *path,
			uint64_t *ret_size, struct error *err)
{
	const char *argv[] = { "gzip", "-1", "-n", "-c", NULL };
	_cleanup_close_ int fd = -1;
	struct spawn_opts o;
	struct cpio *c = NULL;
	struct stat st;
	int pipefd[2], r, ex;
	pid_t pid;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	spawn_opts_init(&o, argv);
	o.fd_in = pipefd[0];
	o.fd_out = fd;
	r = spawn(&o, &pid);
	close(pipefd[0]);
	if (r < 0) {
		close(pipefd[1]);
		return err_fail(err, r, "gzip: %s", strerror(-r));
	}
	c = cpio_new(pipefd[1]);
	if (!c)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < p->n; i++)
		r = write_entry(c, &p->e[i], err);
	if (r >= 0) {
		r = cpio_finish(c);
		if (r < 0)
			err_set(err, "writing to gzip: %s", strerror(-r));
	}
	cpio_free(c);
	close(pipefd[1]);
	ex = spawn_wait(pid);
	if (r < 0)
		return r;
	if (ex != 0)
		return err_fail(err, -EIO, "gzip -1 exited with %d", ex);
	if (fstat(fd, &st) < 0)
		return -errno;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

__attribute__((format(printf, 2, 3))) static void
progress(const struct guest_build_opts *o, const char *fmt, ...)
{
	char buf[PATH_MAX + 128];
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	o->progress(o->userdata, buf);
}

void guest_build_result_done(struct guest_build_result *r)
{
	free(r->kernel);
	free(r->kernel_version);
	memset(r, 0, sizeof(*r));
}

static bool hash_matches(const char *dir, const char *hash)
{
	_cleanup_free_ char *path = strdup_printf("%s/inputs.sha256", dir);
	_cleanup_free_ char *old = NULL;
	_cleanup_free_ char *initrd = strdup_printf("%s/initrd.img", dir);
	_cleanup_free_ char *kernel = strdup_printf("%s/vmlinuz", dir);
	size_t len;

	if (!path || !initrd || !kernel)
		return false;
	if (access(initrd, R_OK) < 0 || access(kernel, R_OK) < 0)
		return false;
	if (read_full_file(path, 256, &old, &len) < 0)
		return false;
	return len >= 64 && strncmp(old, hash, 64) == 0;
}

/* DIR/vmlinuz, a copy of the kernel at src, written in one piece. */
static int install_kernel(const char *dir, const char *src, struct error *err)
{
	_cleanup_free_ char *dst = strdup_printf("%s/vmlinuz", dir);
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	if (!dst)
		return -ENOMEM;
	r = read_full_file(src, 1u << 30, &buf, &len);
	if (r < 0)
		return err_fail(err, r, "%s: %s", src, strerror(-r));
	return write_file_atomic(dst, buf, len, 0644, err);
}

/* DIR/initrd.img written as DIR/.initrd.img.tmp, then renamed into place. */
static int install_initrd(const char *dir, const struct plan *p,
			  uint64_t *ret_size, struct error *err)
{
	_cleanup_free_ char *tmp = strdup_printf("%s/.initrd.img.tmp", dir);
	_cleanup_free_ char *dst = strdup_printf("%s/initrd.img", dir);
	int r;

	if (!tmp || !dst)
		return -ENOMEM;
	r = write_initrd(p, tmp, ret_size, err);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	if (rename(tmp, dst) < 0)
		return err_fail(err, -errno, "%s: %s", dst, strerror(errno));
	return 0;
}

static int build_locked(const struct guest_build_opts *o,
			struct guest_build_result *res, struct error *err)
{
	const char *dir = o->output_dir;
	struct plan p __attribute__((cleanup(plan_free))) = { 0 };
	_cleanup_free_ char *key = strdup_printf("%s/id_ed25519", dir);
	_cleanup_free_ char *pub = NULL, *host_key = NULL, *dpkg = NULL;
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	progress(o, "kernel %s (%s)", res->kernel, res->kernel_version);
	if (!key)
		return -ENOMEM;
	/* DIR/id_ed25519{,.pub}: made once, kept across rebuilds. */
	r = guest_lab_key(key, &pub, err);
	if (r < 0)
		return r;
	r = ensure_host_key(dir, &host_key, err);
	if (r < 0)
		return r;
	progress(o, "collecting files (ldd, modules.dep)");
	r = plan_build(&p, res->kernel_version, o->init_path, pub, host_key,
		       err);
	if (r < 0)
		return r;
	if (o->resident) {
		const struct guest_extra x = { o->resident, RS_GUEST_HELPER };

		r = plan_extra(&p, &x, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < o->n_extras; i++) {
		r = plan_extra(&p, &o->extras[i], err);
		if (r < 0)
			return r;
	}
	res->n_modules = p.n_modules;
	dpkg = package_versions();
	if (!dpkg)
		return -ENOMEM;
	hash_inputs(&p, o->version ? o->version : "", res->kernel,
		    res->kernel_version, dpkg, res->hash);
	if (!o->force && hash_matches(dir, res->hash)) {
		res->up_to_date = true;
		return 0;
	}

	progress(o, "copying the kernel");
	r = install_kernel(dir, res->kernel, err);
	if (r < 0)
		return r;
	progress(o, "writing the initramfs (%zu entries, %zu modules, gzip -1)",
		 p.n, p.n_modules);
	r = install_initrd(dir, &p, &res->initrd_bytes, err);
	if (r < 0)
		return r;
	path = strdup_printf("%s/inputs.sha256", dir);
	text = strdup_printf("%s\n", res->hash);
	if (!path || !text)
		return -ENOMEM;
	/* the hash last, and whole: it says the image above is complete */
	return write_file_atomic(path, text, strlen(text), 0644, err);
}

int guest_build(const struct guest_build_opts *o,
		struct guest_build_result *res, struct error *err)
{
	_cleanup_free_ char *lock = NULL;
	_cleanup_close_ int lfd = -1;
	int r;

	memset(res, 0, sizeof(*res));
	if (!o->output_dir || !o->init_path)
		return -EINVAL;
	if (o->kernel) {
		res->kernel = strdup(o->kernel);
		if (!res->kernel)
			return -ENOMEM;
	} else {
		r = guest_newest_kernel("/boot", &res->kernel);
		if (r < 0)
			return err_fail(err, r, "no /boot/vmlinuz-*: %s",
					strerror(-r));
	}
	r = guest_kernel_release(res->kernel, &res->kernel_version);
	if (r < 0)
		return err_fail(err, r, "%s: %s", res->kernel,
				r == -EINVAL ?
					"cannot tell the kernel's release "
					"(no bzImage header, not named "
					"vmlinuz-RELEASE)" :
					strerror(-r));
	r = mkdir_p(o->output_dir, 0755);
	if (r < 0)
		return err_fail(err, r, "%s: %s", o->output_dir, strerror(-r));
	r = dir_check_ours(
		o->output_dir, false,
		"a build there could be made to write through links that others put in it; use a folder only root can write",
		err);
	if (r < 0)
		return r;
	/* Two builds into one directory (parallel tests) take turns. */
	lock = strdup_printf("%s/.lock", o->output_dir);
	if (!lock)
		return -ENOMEM;
	lfd = lock_file(lock, 0644, LOCK_EX, err);
	if (lfd < 0)
		return lfd;
	return build_locked(o, res, err);
}
