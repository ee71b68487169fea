// SPDX-License-Identifier: MIT
/*
 * daxlab guest build: the tiny guest from the host's own packages.
 */
#include "daxlab.h"
#include "array.h"
#include "build-config.h"
#include "config.h"
#include "cloudinit.h"
#include "fiover.h"
#include "guestbuild.h"
#include "guestimage.h"
#include "lib/config.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	printf("Usage:\n"
	       " daxlab guest build [options]\n\n"
	       "Build the tiny guest (kernel and initramfs) from the host's\n"
	       "own Debian packages: busybox-static, fio with its libraries,\n"
	       "dropbear, the virtio, virtiofs, virtio-pmem and ext4 modules.\n"
	       "An unchanged guest is not rebuilt.\n\n"
	       "Options:\n"
	       " -o, --output DIR     where to write it (default: %s)\n"
	       " -k, --kernel PATH    the kernel (default: newest /boot/vmlinuz-*)\n"
	       "     --init FILE      the guest's /init (default: daxlab's own)\n"
	       " -a, --add HOST[:GUEST]\n"
	       "                      also put the host file HOST into the guest at\n"
	       "                      GUEST (default: the same path), with its mode;\n"
	       "                      an ELF program gets the libraries ldd lists\n"
	       "                      for it; repeatable\n"
	       " -f, --force          rebuild even if nothing changed\n"
	       "     --install-deps   install missing packages with apt-get (root)\n"
	       " -q, --quiet          no progress lines\n"
	       " -h, --help           display this help\n"
	       " -V, --version        display version\n\n"
	       "Output: DIR/vmlinuz, DIR/initrd.img, DIR/id_ed25519 (the lab's ssh\n"
	       "key, made once), DIR/known_hosts (the guest's host key). A config\n"
	       "without [lab] guest_dir boots the guest from %s.\n"
	       "See daxlab-guest(1).\n",
	       DAXLAB_DEFAULT_GUEST_DIR, DAXLAB_DEFAULT_GUEST_DIR);
}

/* guest/init of the source tree, else the installed copy. */
static const char *default_init(void)
{
	static const char *const candidates[] = {
		DAXLAB_SOURCE_ROOT "/guest/init",
		DAXLAB_DATADIR "/guest/init",
	};

	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return candidates[0];
}

char *daxlab_resident_path(void)
{
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	char *slash = self ? strrchr(self, '/') : NULL;
	const char *const dirs[] = { self, DAXLAB_LIBEXECDIR };

	if (slash)
		*slash = '\0';
	for (size_t i = slash ? 0 : 1; i < ARRAY_SIZE(dirs); i++) {
		char *p = strdup_printf("%s/daxlab-resident", dirs[i]);

		if (p && access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static void on_progress(void *userdata, const char *msg)
{
	info("guest: %s", msg);
}

static int install_packages(char **pkgs)
{
	const char *argv[64] = { "apt-get", "install", "-y", "-q",
				 "--no-install-recommends" };
	size_t n = 5;
	pid_t pid;
	struct spawn_opts o;
	int r;

	for (size_t i = 0; pkgs[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = pkgs[i];
	argv[n] = NULL;
	setenv("DEBIAN_FRONTEND", "noninteractive", 1);
	spawn_opts_init(&o, argv);
	o.fd_in = SPAWN_NULL;
	o.fd_out = STDERR_FILENO;
	r = spawn(&o, &pid);
	if (r < 0)
		return error_errno(r, "apt-get");
	r = spawn_wait(pid);
	if (r != 0)
		return error("apt-get install exited with %d", r);
	return 0;
}

static int check_packages(bool with_kernel, bool install)
{
	_cleanup_strv_ char **missing = NULL;
	char list[512] = ""; /* of the few packages guest build needs */
	int r = guest_missing_packages(with_kernel, &missing);

	if (r == -ENOENT) {
		warning("dpkg-query not found: not checking packages");
		return 0;
	}
	if (r < 0)
		return error_errno(r, "dpkg-query");
	if (!missing[0])
		return 0;
	for (size_t i = 0; missing[i]; i++)
		str_appendf(list, sizeof(list), " ", "%s", missing[i]);
	if (!install)
		return error("guest: missing packages: %s (install them, or "
			     "run 'daxlab guest build --install-deps' as root)",
			     list);
	if (getuid() != 0)
		return error("guest: missing packages: %s; --install-deps "
			     "needs root",
			     list);
	info("guest: installing %s", list);
	return install_packages(missing);
}

struct extras {
	struct guest_extra *v;
	size_t n;
};

static void extras_free(struct extras *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free((char *)x->v[i].host);
		free((char *)x->v[i].guest);
	}
	free(x->v);
}

static int extras_push(struct extras *x, const char *arg, struct error *err)
{
	struct guest_extra *nv;
	char *host = NULL, *gpath = NULL;
	int r;

	r = guest_extra_parse(arg, &host, &gpath, err);
	if (r < 0)
		return r;
	nv = ARRAY_PUSH(x->v, x->n);
	if (!nv) {
		free(host);
		free(gpath);
		return -ENOMEM;
	}
	nv->host = host;
	nv->guest = gpath;
	return 0;
}

enum { OPT_INSTALL_DEPS = 0x100, OPT_INIT };

/*
 * The options every guest command takes alike, for the default: branch of
 * its getopt_long(":...") loop: -f and --install-deps where force and
 * install are given, else common_option(): -q, -h (print_usage(), exit 0),
 * -V, and bad_option()'s usage error of cmd.
 */
static void guest_option(const char *cmd, int c, char **argv,
			 void (*print_usage)(void), bool *force, bool *install)
{
	if (c == 'f' && force)
		*force = true;
	else if (c == OPT_INSTALL_DEPS && install)
		*install = true;
	else
		common_option(cmd, c, argv, print_usage);
}

static int guest_build_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "add", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "init", required_argument, NULL, OPT_INIT },
		{ "force", no_argument, NULL, 'f' },
		{ "install-deps", no_argument, NULL, OPT_INSTALL_DEPS },
		COMMON_LONGOPTS,
	};
	struct guest_build_opts o = { 0 };
	struct guest_build_result res
		__attribute__((cleanup(guest_build_result_done))) = { 0 };
	const char *output = NULL;
	struct extras extras __attribute__((cleanup(extras_free))) = { 0 };
	_cleanup_free_ char *resident = NULL;
	bool install = false, default_dir = false;
	struct error err = { 0 };
	char size[32];
	int64_t t0 = now_monotonic_ns();
	int c, r;

	while ((c = getopt_long(argc, argv, ":a:o:k:fqhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'a':
			r = extras_push(&extras, optarg, &err);
			if (r == -EINVAL)
				usage_error("guest build", "--add %s", err.msg);
			if (r < 0)
				return error("out of memory");
			break;
		case 'o':
			output = optarg;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case OPT_INIT:
			o.init_path = optarg;
			break;
		default:
			guest_option("guest build", c, argv, usage, &o.force,
				     &install);
		}
	}
	if (optind < argc)
		usage_error("guest build", "unexpected argument '%s'",
			    argv[optind]);
	if (!output) {
		output = DAXLAB_DEFAULT_GUEST_DIR;
		default_dir = true;
	}
	if (o.kernel && access(o.kernel, F_OK) < 0)
		return error_errno(errno, "guest: kernel %s", o.kernel);
	if (!o.init_path)
		o.init_path = default_init();

	r = check_packages(!o.kernel, install);
	if (r < 0)
		return 1;

	resident = daxlab_resident_path();
	if (!resident)
		return error(
			"guest build: no daxlab-resident next to daxlab or in %s "
			"(build or install daxlab whole)",
			DAXLAB_LIBEXECDIR);
	o.resident = resident;
	o.output_dir = output;
	o.extras = extras.v;
	o.n_extras = extras.n;
	o.version = DAXLAB_VERSION;
	o.progress = on_progress;
	/* gzip dying is an error message: SIGPIPE is ignored (main()) */
	r = guest_build(&o, &res, &err);
	if (r < 0)
		return error(
			"guest build: %s%s",
			err.msg[0] ? err.msg : strerror(-r),
			default_dir && r == -EACCES ?
				" (the default folder: run as root, or give "
				"--output DIR and set [lab] guest_dir to it)" :
				"");
	if (res.up_to_date)
		info("guest: %s is up to date", output);
	else
		info("guest: built %s/initrd.img (%s, %zu modules) in %.1f s",
		     output, format_bytes(res.initrd_bytes, size, sizeof(size)),
		     res.n_modules, (double)(now_monotonic_ns() - t0) / 1e9);
	return 0;
}

static void usage_cloud_init(void)
{
	printf("Usage:\n"
	       " daxlab guest cloud-init [options] ID\n\n"
	       "Write the NoCloud seed image (vfat, label CIDATA) that 'daxlab vm\n"
	       "start' makes for VM ID of the lab config when it boots an image:\n"
	       "the host name, root's ssh key (the lab's), the network, a systemd\n"
	       "mount unit per share and a fio --server service.\n\n"
	       "Options:\n"
	       " -c, --config FILE    the lab config (default: $DAXLAB_CONFIG,\n"
	       "                      ./daxlab.ini if yours, /etc/daxlab/daxlab.ini)\n"
	       " -o, --output FILE    the seed image (default: seed-ID.img next\n"
	       "                      to the VM's image, else in the current directory)\n"
	       " -q, --quiet          no progress lines\n"
	       " -h, --help           display this help\n"
	       " -V, --version        display version\n\n"
	       "To boot with an edited one instead: [vm ID] seed = FILE.\n");
}

static char *seed_path(const struct vm_config *vm)
{
	_cleanup_free_ char *img = NULL;

	if (!vm->image)
		return strdup_printf("seed-%s.img", vm->id);
	img = strdup(vm->image);
	if (!img)
		return NULL;
	return strdup_printf("%s/seed-%s.img", dirname(img), vm->id);
}

static void lab_config_freep(struct lab_config **c)
{
	config_free(*c);
}

static int guest_cloud_init_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		COMMON_LONGOPTS,
	};
	const char *config_path = NULL, *output = NULL;
	_cleanup_free_ char *out = NULL, *keyfile = NULL, *pubfile = NULL;
	_cleanup_free_ char *pub = NULL, *ud = NULL, *md = NULL, *nc = NULL;
	struct lab_config *c __attribute__((cleanup(lab_config_freep))) = NULL;
	const struct vm_config *vm;
	struct error err = { 0 };
	size_t len;
	int opt, r;

	while ((opt = getopt_long(argc, argv, ":c:o:qhV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		default:
			guest_option("guest cloud-init", opt, argv,
				     usage_cloud_init, NULL, NULL);
		}
	}
	if (optind >= argc)
		usage_error("guest cloud-init", "no VM ID given");
	if (optind + 1 < argc)
		usage_error("guest cloud-init", "unexpected argument '%s'",
			    argv[optind + 1]);
	/* mcopy writes into the image in place: no standard output */
	if (output && !strcmp(output, "-"))
		usage_error("guest cloud-init",
			    "--output wants a file (the seed is a vfat image "
			    "written in place), not '-'");

	c = load_lab_config(config_path);
	if (!c)
		return 1;
	vm = config_find_vm(c, argv[optind]);
	if (!vm)
		return error("%s: no [vm %s]", c->path, argv[optind]);
	keyfile = config_ssh_key(c);
	pubfile = keyfile ? strdup_printf("%s.pub", keyfile) : NULL;
	if (!pubfile)
		return error("out of memory");
	r = read_full_file(pubfile, 1 << 16, &pub, &len);
	if (r < 0)
		return error_errno(
			r,
			"the lab's public key %s (made by 'daxlab guest "
			"build', or set [lab] ssh_key)",
			pubfile);
	ud = cloudinit_user_data(c, vm, pub, NULL, NULL);
	md = cloudinit_meta_data(vm);
	nc = cloudinit_network_config(vm);
	out = output ? strdup(output) : seed_path(vm);
	if (!ud || !md || !nc || !out)
		return error("out of memory");
	r = cloudinit_write_seed(out, ud, md, nc, &err);
	if (r < 0)
		return error("guest cloud-init: %s",
			     err.msg[0] ? err.msg : strerror(-r));
	info("guest: wrote %s for [vm %s] (vm start makes its own; to use "
	     "this one, set seed = %s in [vm %s])",
	     out, vm->id, out, vm->id);
	return 0;
}

static void usage_image(void)
{
	printf("Usage:\n"
	       " daxlab guest image [options]\n\n"
	       "Build a Debian cloud-style qcow2 image for [vm] image: systemd,\n"
	       "cloud-init, openssh-server, fio, e2fsprogs and a kernel, made with\n"
	       "mmdebstrap from the Debian mirror in apt's sources; syslinux on a\n"
	       "vfat boot partition boots it, cloud-init takes the seed that\n"
	       "'daxlab vm start' makes. An image of the same release and package\n"
	       "list is not rebuilt (FILE.inputs holds its key). Needs root.\n\n"
	       "Options:\n"
	       " -r, --release NAME   bookworm (default: fio 3.33, Debian 12's)\n"
	       "                      or trixie (fio 3.39, Debian 13's)\n"
	       " -o, --output FILE    the image (default: %s)\n"
	       " -m, --mirror URL     the Debian mirror (default: apt's)\n"
	       " -f, --force          rebuild even if nothing changed\n"
	       "     --install-deps   install mmdebstrap, syslinux, mtools,\n"
	       "                      dosfstools and qemu-utils with apt-get\n"
	       " -q, --quiet          no progress lines\n"
	       " -h, --help           display this help\n"
	       " -V, --version        display version\n\n"
	       "Also written: FILE.inputs (key, mirror, kernel, fio version),\n"
	       "FILE.log (the build's log). See daxlab-guest(1).\n",
	       "/var/lib/daxlab/images/debian-RELEASE.qcow2");
}

static int guest_image_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "install-deps", no_argument, NULL, OPT_INSTALL_DEPS },
		COMMON_LONGOPTS,
	};
	static char *deps[] = { "mmdebstrap", "syslinux", "syslinux-common",
				"mtools",     "dosfstools", "e2fsprogs",
				"qemu-utils", NULL };
	struct guest_image_opts o = { .release = "bookworm" };
	struct guest_image_result res
		__attribute__((cleanup(guest_image_result_done))) = { 0 };
	_cleanup_free_ char *output = NULL, *cwd = NULL;
	const char *out = NULL;
	bool install = false;
	struct error err = { 0 };
	char size[32], host_fio[128];
	int64_t t0 = now_monotonic_ns();
	int c, r;

	while ((c = getopt_long(argc, argv, ":r:o:m:fqhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r':
			o.release = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'm':
			o.mirror = optarg;
			break;
		default:
			guest_option("guest image", c, argv, usage_image,
				     &o.force, &install);
		}
	}
	if (optind < argc)
		usage_error("guest image", "unexpected argument '%s'",
			    argv[optind]);
	if (strcmp(o.release, "bookworm") && strcmp(o.release, "trixie"))
		usage_error("guest image",
			    "--release '%s': expected bookworm or trixie",
			    o.release);
	if (!out)
		output = strdup_printf("/var/lib/daxlab/images/debian-%s.qcow2",
				       o.release);
	else if (out[0] == '/')
		output = strdup(out);
	else if ((cwd = realpath(".", NULL)))
		output = strdup_printf("%s/%s", cwd, out);
	if (!output)
		return error("out of memory");
	if (install) {
		if (getuid() != 0)
			return error("guest image: --install-deps needs root");
		if (install_packages(deps) < 0)
			return 1;
	}
	o.output = output;
	o.progress = on_progress;
	r = guest_image_build(&o, &res, &err);
	if (r < 0)
		return error("guest image: %s",
			     err.msg[0] ? err.msg : strerror(-r));
	if (res.up_to_date)
		info("guest: %s is up to date (%s)", output,
		     format_bytes(res.bytes, size, sizeof(size)));
	else
		info("guest: built %s (%s; Debian %s, kernel %s, %s) in %.0f s",
		     output, format_bytes(res.bytes, size, sizeof(size)),
		     o.release, res.kernel ? res.kernel : "?",
		     res.fio_version ? res.fio_version : "no fio",
		     (double)(now_monotonic_ns() - t0) / 1e9);
	if (res.fio_version &&
	    fiover_host("fio", host_fio, sizeof(host_fio), &err) == 0 &&
	    strcmp(res.fio_version, host_fio))
		warning("guest image: fio in the image is %s, the host's is %s: fio's client and server must be the same version, so daxlab vm start refuses this image here",
			res.fio_version, host_fio);
	return 0;
}

static void usage_guest(void)
{
	printf("Usage:\n"
	       " daxlab guest build [options]\n"
	       " daxlab guest image [options]\n"
	       " daxlab guest cloud-init [options] ID\n\n"
	       "The tiny guest, built from the host's packages; a Debian cloud\n"
	       "image for [vm] image; cloud-init seeds for such images.\n\n"
	       "Commands:\n"
	       " build        build the kernel and initramfs\n"
	       " image        build a Debian qcow2 image with cloud-init and fio\n"
	       " cloud-init   write a NoCloud seed image for VM ID\n\n"
	       "Options:\n"
	       " -h, --help     display this help\n"
	       " -V, --version  display version\n\n"
	       "Run 'daxlab guest COMMAND --help' for a command's options.\n");
}

int cmd_guest(int argc, char **argv)
{
	static const char *const cmds[] = { "build", "image", "cloud-init" };
	static int (*const fns[])(int, char **) = {
		guest_build_main,
		guest_image_main,
		guest_cloud_init_main,
	};
	size_t i = pick_command_as(CMDS_UNLISTED, "guest", argc, argv, cmds,
				   ARRAY_SIZE(cmds), usage_guest);

	return fns[i](argc - 1, argv + 1);
}
