// SPDX-License-Identifier: MIT
/* `daxlab guest image`: see guestimage.h. */
#include "guestimage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestbuild.h"
#include "qemu.h"
#include "spawn.h"
#include "util.h"

/* Bump when anything the image is made of changes: it keys the cache. */
#define RECIPE "daxlab-image-2"

#define ROOT_LABEL "daxlab-root"
#define MIB (1ULL << 20)
#define BOOT_START_MIB 1
#define BOOT_MIB 64

static const char *const guest_image_releases[] = { "bookworm", "trixie", NULL };

/*
 * What a cloud-init guest needs and nothing else: dbus for logind, which
 * turns the ACPI power button of `vm stop` into a clean power off;
 * iproute2, without which cloud-init has no network renderer (its
 * networkd one needs `ip`): bookworm's cloud-init brings it, trixie's
 * does not, and its guest never got an address.
 */
static const char *const guest_image_packages[] = {
	"systemd-sysv",
	"udev",
	"dbus",
	"iproute2",
	"cloud-init",
	"openssh-server",
	"fio",
	"e2fsprogs",
	"linux-image-amd64",
	NULL,
};

/* dpkg path filters: what a lab VM never reads. */
static const char *const dpkg_filters[] = {
	"path-exclude=/usr/share/doc/*",
	"path-include=/usr/share/doc/*/copyright",
	"path-exclude=/usr/share/man/*",
	"path-exclude=/usr/share/info/*",
	"path-exclude=/usr/share/locale/*",
	"path-include=/usr/share/locale/locale.alias",
	/* drivers for hardware a qemu VM does not have (about 220 MB) */
	"path-exclude=/lib/modules/*/kernel/drivers/gpu/*",
	"path-exclude=/lib/modules/*/kernel/drivers/media/*",
	"path-exclude=/lib/modules/*/kernel/drivers/net/wireless/*",
	"path-exclude=/lib/modules/*/kernel/drivers/net/ethernet/*",
	"path-exclude=/lib/modules/*/kernel/drivers/infiniband/*",
	"path-exclude=/lib/modules/*/kernel/drivers/staging/*",
	"path-exclude=/lib/modules/*/kernel/drivers/iio/*",
	"path-exclude=/lib/modules/*/kernel/drivers/comedi/*",
	"path-exclude=/lib/modules/*/kernel/drivers/usb/*",
	"path-exclude=/lib/modules/*/kernel/drivers/bluetooth/*",
	"path-exclude=/lib/modules/*/kernel/drivers/isdn/*",
	"path-exclude=/lib/modules/*/kernel/sound/*",
	"path-exclude=/lib/modules/*/kernel/net/wireless/*",
	"path-exclude=/lib/modules/*/kernel/net/mac80211/*",
	"path-exclude=/lib/modules/*/kernel/net/bluetooth/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/gpu/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/media/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/net/wireless/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/net/ethernet/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/infiniband/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/staging/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/iio/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/comedi/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/usb/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/bluetooth/*",
	"path-exclude=/usr/lib/modules/*/kernel/drivers/isdn/*",
	"path-exclude=/usr/lib/modules/*/kernel/sound/*",
	"path-exclude=/usr/lib/modules/*/kernel/net/wireless/*",
	"path-exclude=/usr/lib/modules/*/kernel/net/mac80211/*",
	"path-exclude=/usr/lib/modules/*/kernel/net/bluetooth/*",
	NULL,
};

/*
 * Put in place before the kernel is installed: an initramfs of what finds
 * the root disk (a few MB instead of 36: seconds less at every boot).
 * Both names of crc32c (see guest_module_roots): update-initramfs skips
 * the one the kernel lacks, and the boot's modprobe of it prints one
 * harmless line on the console.
 */
static const char initramfs_conf[] = "MODULES=list\nCOMPRESS=gzip\n";
static const char initramfs_modules[] =
	"virtio_pci\nvirtio_blk\nvirtio_scsi\next4\ncrc32c_generic\n"
	"crc32c_cryptoapi\n";

static const char fstab[] =
	"# Written by daxlab guest image\n"
	"LABEL=" ROOT_LABEL " / ext4 rw,errors=remount-ro 0 0\n";

/*
 * cloud-init: the NoCloud seed only, and only the modules a daxlab seed
 * uses. Each stage is a Python process that takes seconds under TCG;
 * locale, apt, grub, keys-to-console and the rest cost more than the
 * whole of what the seed asks.
 */
static const char cloud_cfg[] =
	"# Written by daxlab guest image: the NoCloud seed of daxlab vm\n"
	"# start, and the modules its user-data needs.\n"
	"datasource_list: [ NoCloud, None ]\n"
	"cloud_init_modules: [bootcmd, write_files, set_hostname,\n"
	"  update_hostname, update_etc_hosts, users_groups, ssh]\n"
	"cloud_config_modules: [runcmd]\n"
	"cloud_final_modules: [scripts-user, final-message]\n";

/*
 * Units that only cost boot time in a lab VM; wait-online holds
 * cloud-init back for seconds while the seed's static address is set at
 * once (the root file system needs no fsck either: every VM boots a fresh
 * overlay, fstab says pass 0).
 */
static const char *const masked_units[] = {
	"apt-daily.timer",
	"apt-daily-upgrade.timer",
	"dpkg-db-backup.timer",
	"fstrim.timer",
	"e2scrub_all.timer",
	"e2scrub_reap.service",
	"systemd-pstore.service",
	"getty@tty1.service",
	"cloud-init-hotplugd.socket",
	"systemd-networkd-wait-online.service",
	NULL,
};

void guest_image_result_done(struct guest_image_result *r)
{
	free(r->mirror);
	free(r->kernel);
	free(r->fio_version);
	memset(r, 0, sizeof(*r));
}

/* ---- apt's sources ---- */

static bool debian_suite(const char *suite)
{
	static const char *const names[] = {
		"buster",    "bullseye",     "bookworm", "trixie",  "forky",
		"duke",	     "sid",	     "stable",	 "testing", "unstable",
		"oldstable", "oldoldstable", NULL,
	};
	size_t n = strcspn(suite, "-/");

	for (size_t i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !strncmp(suite, names[i], n))
			return !strstr(suite, "security");
	return false;
}

static bool usable_uri(const char *uri)
{
	return str_has_prefix(uri, "http://") ||
	       str_has_prefix(uri, "https://") ||
	       str_has_prefix(uri, "ftp://") || str_has_prefix(uri, "file:/");
}

static bool has_word(const char *list, const char *w)
{
	_cleanup_free_ char *copy = strdup(list ? list : "");
	char *save = NULL;

	for (char *t = copy ? strtok_r(copy, " \t", &save) : NULL; t;
	     t = strtok_r(NULL, " \t", &save))
		if (!strcmp(t, w))
			return true;
	return false;
}

/* "deb [opts] URI SUITE COMPONENT..." of a .list file. */
static char *list_entry(char *line)
{
	char *save = NULL, *w, *uri, *suite;

	line[strcspn(line, "#\n")] = 0;
	w = strtok_r(line, " \t", &save);
	if (!w || strcmp(w, "deb"))
		return NULL;
	uri = strtok_r(NULL, " \t", &save);
	if (uri && uri[0] == '[') {
		while (uri && !strchr(uri, ']'))
			uri = strtok_r(NULL, " \t", &save);
		uri = strtok_r(NULL, " \t", &save);
	}
	suite = strtok_r(NULL, " \t", &save);
	if (!uri || !suite || !usable_uri(uri) || !debian_suite(suite))
		return NULL;
	for (w = strtok_r(NULL, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save))
		if (!strcmp(w, "main"))
			return strdup(uri);
	return NULL;
}

static char *list_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char *uri = list_entry(line);

		if (uri)
			return uri;
	}
	return NULL;
}

struct stanza {
	char types[256], uris[1024], suites[512], comps[512], enabled[16];
};

static char *stanza_uri(const struct stanza *s)
{
	_cleanup_free_ char *suites = strdup(s->suites);
	char *save = NULL;
	bool debian = false;

	if (!suites || !has_word(s->types, "deb") ||
	    !has_word(s->comps, "main") || !strcmp(s->enabled, "no"))
		return NULL;
	for (char *t = strtok_r(suites, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save))
		debian |= debian_suite(t);
	if (!debian)
		return NULL;
	{
		_cleanup_free_ char *uris = strdup(s->uris);

		save = NULL;
		for (char *u = uris ? strtok_r(uris, " \t", &save) : NULL; u;
		     u = strtok_r(NULL, " \t", &save))
			if (usable_uri(u))
				return strdup(u);
	}
	return NULL;
}

/* deb822: "Field: value" lines, stanzas apart by blank lines. */
static char *sources_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	struct stanza s = { 0 };
	size_t cap = 0;
	ssize_t n;
	char *colon, *v;

	if (!f)
		return NULL;
	for (;;) {
		n = getline(&line, &cap, f);
		if (n <= 0 || strspn(line, " \t\r\n") == (size_t)n) {
			char *uri = stanza_uri(&s);

			if (uri || n <= 0)
				return uri;
			memset(&s, 0, sizeof(s));
			continue;
		}
		if (line[0] == '#' || line[0] == ' ' || line[0] == '\t')
			continue;
		line[strcspn(line, "\r\n")] = 0;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		v = colon + 1 + strspn(colon + 1, " \t");
		if (!strcasecmp(line, "Types"))
			snprintf(s.types, sizeof(s.types), "%s", v);
		else if (!strcasecmp(line, "URIs"))
			snprintf(s.uris, sizeof(s.uris), "%s", v);
		else if (!strcasecmp(line, "Suites"))
			snprintf(s.suites, sizeof(s.suites), "%s", v);
		else if (!strcasecmp(line, "Components"))
			snprintf(s.comps, sizeof(s.comps), "%s", v);
		else if (!strcasecmp(line, "Enabled"))
			snprintf(s.enabled, sizeof(s.enabled), "%s", v);
	}
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int guest_image_mirror(const char *apt_dir, char **ret, struct error *err)
{
	_cleanup_free_ char *main_list = NULL, *dir = NULL;
	struct dirent **ents = NULL;
	int n;

	if (!apt_dir)
		apt_dir = "/etc/apt";
	main_list = strdup_printf("%s/sources.list", apt_dir);
	dir = strdup_printf("%s/sources.list.d", apt_dir);
	if (!main_list || !dir)
		return -ENOMEM;
	*ret = list_file(main_list);
	if (*ret)
		return 0;
	/* apt reads the folder in name order: so do we */
	n = scandir(dir, &ents, NULL, by_name);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *p =
			strdup_printf("%s/%s", dir, ents[i]->d_name);

		if (!*ret && p && str_has_suffix(ents[i]->d_name, ".list"))
			*ret = list_file(p);
		else if (!*ret && p &&
			 str_has_suffix(ents[i]->d_name, ".sources"))
			*ret = sources_file(p);
		free(ents[i]);
	}
	free(ents);
	if (*ret)
		return 0;
	return err_fail(
		err, -ENOENT,
		"no Debian archive in %s or %s/*.list, *.sources (a 'deb' entry with a Debian suite and 'main'): give --mirror URL, e.g. http://deb.debian.org/debian",
		main_list, dir);
}

/* ---- the recipe ---- */

char *guest_image_syslinux_cfg(void)
{
	return strdup("# Written by daxlab guest image\n"
		      "DEFAULT linux\n"
		      "PROMPT 0\n"
		      "TIMEOUT 0\n"
		      "SERIAL 0 115200\n"
		      "LABEL linux\n"
		      "  LINUX /vmlinuz\n"
		      "  INITRD /initrd.img\n"
		      "  APPEND root=LABEL=" ROOT_LABEL
		      " rw console=ttyS0 quiet panic=-1\n");
}

void guest_image_key(const char *release, char out[65])
{
	_cleanup_free_ char *cfg = guest_image_syslinux_cfg();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		memset(out, '0', 64);
		out[64] = 0;
		return;
	}
	fprintf(f, "%s\n%s\n", RECIPE, release);
	for (size_t i = 0; guest_image_packages[i]; i++)
		fprintf(f, "package %s\n", guest_image_packages[i]);
	for (size_t i = 0; dpkg_filters[i]; i++)
		fprintf(f, "dpkg %s\n", dpkg_filters[i]);
	for (size_t i = 0; masked_units[i]; i++)
		fprintf(f, "mask %s\n", masked_units[i]);
	fprintf(f, "%s%s%s%s%s", initramfs_conf, initramfs_modules, fstab,
		cloud_cfg, cfg ? cfg : "");
	fclose(f);
	guest_sha256_hex(buf ? buf : "", buf ? len : 0, out);
	free(buf);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void mbr_entry(unsigned char *e, bool active, unsigned char type,
		      uint32_t start, uint32_t sectors)
{
	e[0] = active ? 0x80 : 0;
	/* CHS: "use LBA" (1023/254/63), as every tool writes past 8 GB */
	e[1] = 0xfe, e[2] = 0xff, e[3] = 0xff;
	e[4] = type;
	e[5] = 0xfe, e[6] = 0xff, e[7] = 0xff;
	put_le32(e + 8, start);
	put_le32(e + 12, sectors);
}

void guest_image_mbr(unsigned char mbr[512], const unsigned char *code,
		     size_t code_len, uint32_t boot_start,
		     uint32_t boot_sectors, uint32_t root_start,
		     uint32_t root_sectors)
{
	memset(mbr, 0, 512);
	if (code)
		memcpy(mbr, code, code_len > 440 ? 440 : code_len);
	mbr_entry(mbr + 446, true, 0x0e, boot_start, boot_sectors);
	mbr_entry(mbr + 462, false, 0x83, root_start, root_sectors);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
}

/* ---- the build ---- */

struct build {
	const struct guest_image_opts *o;
	char *work; /* output's folder/.daxlab-image.XXXXXX */
	char *root; /* work/root: the tree */
	char *disk; /* work/disk.raw */
	char *hooks; /* /tmp/daxlab-image-hooks.XXXXXX */
	char *log; /* output.log */
	int logfd;
	struct error *err;
};

__attribute__((format(printf, 2, 3))) static void
progress(struct build *b, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->logfd >= 0)
		dprintf(b->logfd, "== %s\n", msg);
	if (b->o->progress)
		b->o->progress(b->o->userdata, msg);
}

/* The last lines of the build's log, one line. */
static void log_tail(struct build *b, char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;
	char *p;
	int lines = 0;

	buf[0] = 0;
	if (read_full_file(b->log, 64u << 20, &text, &n) < 0 || !n)
		return;
	while (n && text[n - 1] == '\n')
		text[--n] = 0;
	for (p = text + n; p > text; p--)
		if (p[-1] == '\n' && ++lines == 4)
			break;
	snprintf(buf, len, "%s", p);
	for (char *q = buf; *q; q++)
		if (*q == '\n')
			*q = '|';
}

/* Runs argv with its output into the build's log. */
static int run(struct build *b, const char *step, const char *const *argv)
{
	_cleanup_free_ char *cmd = shell_join(argv);
	struct spawn_opts so;
	char tail[1024];
	pid_t pid;
	int r;

	dprintf(b->logfd, "$ %s\n", cmd ? cmd : argv[0]);
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = b->logfd;
	so.fd_err = b->logfd;
	r = spawn(&so, &pid);
	if (r < 0)
		return err_fail(b->err, r, "%s: %s: %s", step, argv[0],
				strerror(-r));
	r = spawn_wait(pid);
	if (r != 0) {
		log_tail(b, tail, sizeof(tail));
		return err_fail(b->err, -EIO,
				"%s: '%s' exited with %d (log %s: ...%s)", step,
				cmd ? cmd : argv[0], r, b->log, tail);
	}
	return 0;
}

/* run() of the vector that a built, which it frees. */
static int run_strv(struct build *b, const char *step, struct strv *a)
{
	_cleanup_strv_ char **argv = strv_steal(a);

	if (!argv)
		return -ENOMEM;
	return run(b, step, (const char *const *)argv);
}

/* chroot ROOT systemctl VERB UNIT... */
static int systemctl(struct build *b, const char *verb,
		     const char *const *units)
{
	struct strv a = { 0 };

	strv_push_all(&a, "chroot", b->root, "systemctl", verb, NULL);
	for (size_t i = 0; units[i]; i++)
		strv_push(&a, units[i]);
	return run_strv(b, "set up the tree", &a);
}

static int write_file(struct build *b, const char *rel, const char *text,
		      unsigned mode)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", b->root, rel);
	int r;

	if (!path)
		return -ENOMEM;
	r = write_text_file(path, text, mode, true);
	if (r < 0)
		err_set(b->err, "set up the tree: %s: %s", path, strerror(-r));
	return r;
}

static int write_hook_file(const char *dir, const char *rel, const char *text)
{
	_cleanup_free_ char *path = strdup_printf("%s/%s", dir, rel);
	int r;

	if (!path)
		return -ENOMEM;
	r = mkdir_parent(path, 0755, NULL);
	if (r < 0)
		return r;
	return write_text_file(path, text, 0644, true);
}

/* The files mmdebstrap copies in before the kernel is installed. */
static int make_hooks(struct build *b)
{
	char tmpl[] = "/tmp/daxlab-image-hooks.XXXXXX";
	int r;

	if (!mkdtemp(tmpl))
		return err_fail(b->err, -errno, "mkdtemp %s: %s", tmpl,
				strerror(errno));
	b->hooks = strdup(tmpl);
	if (!b->hooks)
		return -ENOMEM;
	/* sync-in copies the folder's own mode onto the tree's root */
	r = chmod(b->hooks, 0755) < 0 ? -errno : 0;
	if (r == 0)
		r = write_hook_file(b->hooks,
				    "etc/initramfs-tools/conf.d/daxlab",
				    initramfs_conf);
	if (r == 0)
		r = write_hook_file(
			b->hooks, "usr/share/initramfs-tools/modules.d/daxlab",
			initramfs_modules);
	if (r < 0)
		return err_fail(b->err, r, "%s: %s", b->hooks, strerror(-r));
	return 0;
}

static int mmdebstrap(struct build *b, const char *mirror)
{
	struct strv a = { 0 };
	char inc[1024] = "";

	strv_push_all(&a, "mmdebstrap", "--variant=apt", "--mode=root",
		      "--format=directory", "--aptopt=Acquire::Retries \"3\"",
		      NULL);
	for (size_t i = 0; guest_image_packages[i]; i++)
		str_appendf(inc, sizeof(inc), ",", "%s",
			    guest_image_packages[i]);
	strv_pushf(&a, "--include=%s", inc);
	for (size_t i = 0; dpkg_filters[i]; i++)
		strv_pushf(&a, "--dpkgopt=%s", dpkg_filters[i]);
	strv_pushf(&a, "--essential-hook=sync-in %s /", b->hooks);
	strv_push_all(&a, b->o->release, b->root, mirror, NULL);
	return run_strv(b, "mmdebstrap", &a);
}

/* What a first boot must make itself, and cloud-init's settings. */
static int set_up_tree(struct build *b)
{
	_cleanup_free_ char *sshdir = strdup_printf("%s/etc/ssh", b->root);
	_cleanup_free_ char *ccd =
		strdup_printf("%s/etc/cloud/cloud.cfg.d", b->root);
	DIR *d;
	int r;

	if (!sshdir || !ccd)
		return -ENOMEM;
	/* every VM makes its own host keys (cloud-init's ssh module) */
	d = opendir(sshdir);
	for (struct dirent *de; d && (de = readdir(d));)
		if (str_has_prefix(de->d_name, "ssh_host_")) {
			_cleanup_free_ char *p =
				strdup_printf("%s/%s", sshdir, de->d_name);

			if (p)
				(void)unlink(p);
		}
	if (d)
		closedir(d);
	r = mkdir_p(ccd, 0755);
	if (r < 0)
		return err_fail(b->err, r, "set up the tree: %s: %s", ccd,
				strerror(-r));
	if ((r = write_file(b, "etc/fstab", fstab, 0644)) < 0 ||
	    (r = write_file(b, "etc/hostname", "debian\n", 0644)) < 0 ||
	    (r = write_file(b, "etc/machine-id", "", 0444)) < 0 ||
	    (r = write_file(b, "etc/cloud/cloud.cfg.d/90-daxlab.cfg", cloud_cfg,
			    0644)) < 0)
		return r;
	/* the seed's network-config is rendered for networkd */
	r = systemctl(
		b, "enable",
		(const char *const[]){ "systemd-networkd.service", NULL });
	if (r < 0)
		return r;
	return systemctl(b, "mask", masked_units);
}

static const char *mbr_code_path(void)
{
	static const char *const paths[] = { "/usr/lib/syslinux/mbr/mbr.bin",
					     "/usr/lib/SYSLINUX/mbr.bin",
					     NULL };

	for (size_t i = 0; paths[i]; i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

static int make_disk(struct build *b, char **ret_kernel)
{
	_cleanup_free_ char *bootdir = strdup_printf("%s/boot", b->root);
	_cleanup_free_ char *kernel = NULL, *release = NULL, *initrd = NULL;
	_cleanup_free_ char *cfg = guest_image_syslinux_cfg();
	_cleanup_free_ char *cfgpath =
		strdup_printf("%s/syslinux.cfg", b->work);
	_cleanup_free_ char *code = NULL, *mtarget = NULL, *sizek = NULL;
	_cleanup_free_ char *ext4off = NULL, *fatsize = NULL;
	_cleanup_close_ int fd = -1;
	const char *code_path = mbr_code_path();
	unsigned char mbr[512];
	uint64_t tree = 0, root_bytes, total;
	size_t code_len = 0;
	int r;

	if (!bootdir || !cfg || !cfgpath)
		return -ENOMEM;
	r = guest_newest_kernel(bootdir, &kernel);
	if (r < 0)
		return err_fail(b->err, r, "no kernel in %s/vmlinuz-*",
				bootdir);
	r = guest_kernel_release(kernel, &release);
	if (r < 0)
		return err_fail(b->err, r, "%s: cannot tell its release",
				kernel);
	initrd = strdup_printf("%s/initrd.img-%s", bootdir, release);
	if (!initrd)
		return -ENOMEM;
	if (access(initrd, R_OK) < 0)
		return err_fail(b->err, -ENOENT,
				"%s: %s (no initramfs was made)", initrd,
				strerror(errno));
	r = read_full_file(code_path, 4096, &code, &code_len);
	if (r < 0)
		return err_fail(b->err, r, "syslinux's mbr.bin: %s",
				strerror(-r));
	r = qemu_pmem_size_for(b->root, &tree);
	if (r < 0)
		return err_fail(b->err, r, "%s: %s", b->root, strerror(-r));
	/* room to work in: what the tree needs, plus 1 GiB, 2 GiB at least */
	root_bytes = (tree + 1024 * MIB + 255 * MIB) / (256 * MIB) * 256 * MIB;
	if (root_bytes < 2048 * MIB)
		root_bytes = 2048 * MIB;
	total = (BOOT_START_MIB + BOOT_MIB) * MIB + root_bytes;

	progress(b, "the disk: MBR, a vfat boot partition with syslinux, %s",
		 release);
	fd = open(b->disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)total) < 0)
		return err_fail(b->err, -errno, "%s: %s", b->disk,
				strerror(errno));
	guest_image_mbr(mbr, (const unsigned char *)code, code_len,
			BOOT_START_MIB * 2048, BOOT_MIB * 2048,
			(BOOT_START_MIB + BOOT_MIB) * 2048,
			(uint32_t)(root_bytes / 512));
	if (pwrite(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
		return err_fail(b->err, -errno, "%s: %s", b->disk,
				strerror(errno));
	close(fd);
	fd = -1;
	if ((r = write_text_file(cfgpath, cfg, 0644, true)) < 0)
		return err_fail(b->err, r, "%s: %s", cfgpath, strerror(-r));
	mtarget = strdup_printf("%s@@%llu", b->disk,
				(unsigned long long)(BOOT_START_MIB * MIB));
	fatsize = strdup_printf("%llu", (unsigned long long)BOOT_MIB * 1024);
	ext4off = strdup_printf(
		"offset=%llu",
		(unsigned long long)((BOOT_START_MIB + BOOT_MIB) * MIB));
	sizek = strdup_printf("%lluk", (unsigned long long)(root_bytes >> 10));
	if (!mtarget || !fatsize || !ext4off || !sizek)
		return -ENOMEM;
	{
		char offset[32];
		const char *mkfat[] = { "mkfs.vfat", "-F",    "16",
					"--offset",  "2048",  "-n",
					"DAXBOOT",   b->disk, fatsize,
					NULL };
		const char *const copies[][2] = { { kernel, "::vmlinuz" },
						  { initrd, "::initrd.img" },
						  { cfgpath,
						    "::syslinux.cfg" } };
		const char *sysl[] = { "syslinux",  "--offset", offset,
				       "--install", b->disk,	NULL };
		const char *mkext4[] = {
			"mkfs.ext4", "-q", "-F",    "-E",    ext4off, "-L",
			ROOT_LABEL,  "-d", b->root, b->disk, sizek,   NULL
		};

		snprintf(offset, sizeof(offset), "%llu",
			 (unsigned long long)(BOOT_START_MIB * MIB));
		r = run(b, "the boot partition", mkfat);
		for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(copies); i++) {
			const char *mcopy[] = { "mcopy",      "-i",
						mtarget,      copies[i][0],
						copies[i][1], NULL };

			r = run(b, "the boot partition", mcopy);
		}
		if (r < 0 || (r = run(b, "syslinux", sysl)) < 0)
			return r;
		progress(b, "the root file system: mkfs.ext4 -d, %llu MiB",
			 (unsigned long long)(root_bytes / MIB));
		if ((r = run(b, "the root file system", mkext4)) < 0)
			return r;
	}
	*ret_kernel = TAKE_PTR(release);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

static void remove_tree(const char *path)
{
	if (path && access(path, F_OK) == 0)
		nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool up_to_date(const char *output, const char *inputs, const char *key)
{
	_cleanup_free_ char *text = NULL;
	char want[80];

	if (access(output, R_OK) < 0 ||
	    read_full_file(inputs, 1 << 20, &text, NULL) < 0)
		return false;
	snprintf(want, sizeof(want), "key %s\n", key);
	return str_has_prefix(text, want);
}

static int check_tools(struct error *err)
{
	static const char *const tools[] = { "mmdebstrap", "mkfs.vfat",
					     "mcopy",	   "syslinux",
					     "mkfs.ext4",  "qemu-img",
					     "chroot",	   NULL };

	for (size_t i = 0; tools[i]; i++)
		if (!program_in_path(tools[i]))
			goto missing;
	if (!mbr_code_path())
		goto missing;
	return 0;
missing:
	return err_fail(
		err, -ENOENT,
		"guest image needs mmdebstrap, syslinux, syslinux-common, mtools, dosfstools, e2fsprogs and qemu-utils (apt-get install them, or use --install-deps)");
}

static int build_locked(const struct guest_image_opts *o,
			struct guest_image_result *res, struct build *b,
			const char *mirror)
{
	_cleanup_free_ char *inputs = strdup_printf("%s.inputs", o->output);
	_cleanup_free_ char *tmp = strdup_printf("%s.tmp", o->output);
	_cleanup_free_ char *outdir = path_parent(o->output);
	_cleanup_free_ char *fio = NULL, *text = NULL;
	struct stat st;
	int r;

	if (!inputs || !tmp || !outdir)
		return -ENOMEM;
	b->work = strdup_printf("%s/.daxlab-image.XXXXXX",
				strcmp(outdir, "/") ? outdir : "");
	if (!b->work || !mkdtemp(b->work))
		return err_fail(b->err, -errno, "mkdtemp in %s: %s", outdir,
				strerror(errno));
	b->root = strdup_printf("%s/root", b->work);
	b->disk = strdup_printf("%s/disk.raw", b->work);
	if (!b->root || !b->disk)
		return -ENOMEM;
	r = make_hooks(b);
	if (r < 0)
		return r;
	progress(b, "mmdebstrap %s from %s (a few minutes; log %s)", o->release,
		 mirror, b->log);
	r = mmdebstrap(b, mirror);
	if (r < 0)
		return r;
	progress(b, "setting up the tree for cloud-init");
	r = set_up_tree(b);
	if (r < 0)
		return r;
	{
		const char *argv[] = { "chroot", b->root, "fio", "--version",
				       NULL };
		int ex = -1;

		if (spawn_capture(argv, true, 4096, &fio, &ex) == 0 &&
		    ex == 0) {
			fio[strcspn(fio, "\r\n")] = 0;
			res->fio_version = strdup(fio);
		}
	}
	r = make_disk(b, &res->kernel);
	if (r < 0)
		return r;
	progress(b, "qcow2: qemu-img convert");
	{
		const char *conv[] = { "qemu-img", "convert", "-f", "raw", "-O",
				       "qcow2",	   b->disk,   tmp,  NULL };

		(void)unlink(tmp);
		r = run(b, "qemu-img convert", conv);
		if (r < 0) {
			(void)unlink(tmp);
			return r;
		}
	}
	if (chmod(tmp, 0644) < 0 || rename(tmp, o->output) < 0) {
		r = err_fail(b->err, -errno, "%s: %s", o->output,
			     strerror(errno));
		(void)unlink(tmp);
		return r;
	}
	text = strdup_printf("key %s\nrecipe %s\nrelease %s\nmirror %s\n"
			     "kernel %s\nfio %s\n",
			     res->key, RECIPE, o->release, mirror,
			     res->kernel ? res->kernel : "?",
			     res->fio_version ? res->fio_version : "none");
	if (!text || (r = write_text_file(inputs, text, 0644, true)) < 0)
		return err_fail(b->err, text ? r : -ENOMEM, "%s: %s", inputs,
				strerror(text ? -r : ENOMEM));
	if (stat(o->output, &st) == 0)
		res->bytes = (uint64_t)st.st_size;
	return 0;
}

int guest_image_build(const struct guest_image_opts *o,
		      struct guest_image_result *res, struct error *err)
{
	struct build b = { .o = o, .logfd = -1, .err = err };
	_cleanup_free_ char *lock = NULL;
	_cleanup_close_ int lfd = -1;
	bool known = false;
	int r;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; guest_image_releases[i]; i++)
		known |= !strcmp(o->release, guest_image_releases[i]);
	if (!known)
		return err_fail(err, -EINVAL,
				"release '%s': expected bookworm or trixie",
				o->release);
	guest_image_key(o->release, res->key);
	if (o->mirror) {
		res->mirror = strdup(o->mirror);
	} else {
		r = guest_image_mirror(NULL, &res->mirror, err);
		if (r < 0)
			return r;
	}
	if (!res->mirror)
		return -ENOMEM;
	r = mkdir_parent(o->output, 0755, err);
	if (r < 0)
		return r;
	{
		_cleanup_free_ char *dir = path_parent(o->output);

		if (!dir)
			return -ENOMEM;
		r = dir_check_ours(
			dir, false,
			"a build there could be made to write through links that others put in it; use a folder only root can write",
			err);
		if (r < 0)
			return r;
	}
	/* builds into one file take turns */
	lock = strdup_printf("%s.lock", o->output);
	if (!lock)
		return -ENOMEM;
	lfd = lock_file(lock, 0644, LOCK_EX, err);
	if (lfd < 0)
		return lfd;
	{
		_cleanup_free_ char *inputs =
			strdup_printf("%s.inputs", o->output);

		if (!inputs)
			return -ENOMEM;
		if (!o->force && up_to_date(o->output, inputs, res->key)) {
			struct stat st;

			res->up_to_date = true;
			if (stat(o->output, &st) == 0)
				res->bytes = (uint64_t)st.st_size;
			return 0;
		}
	}
	if (geteuid() != 0)
		return err_fail(
			err, -EPERM,
			"guest image needs root: mmdebstrap's root mode keeps the owners of the image's files for mkfs.ext4 -d");
	r = check_tools(err);
	if (r < 0)
		return r;
	b.log = strdup_printf("%s.log", o->output);
	if (!b.log)
		return -ENOMEM;
	b.logfd = open(b.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (b.logfd < 0) {
		r = err_fail(err, -errno, "%s: %s", b.log, strerror(errno));
		free(b.log);
		return r;
	}
	r = build_locked(o, res, &b, res->mirror);
	if (b.work) {
		progress(&b, "removing %s", b.work);
		remove_tree(b.work);
	}
	remove_tree(b.hooks);
	close(b.logfd);
	free(b.work);
	free(b.root);
	free(b.disk);
	free(b.hooks);
	free(b.log);
	return r;
}
