// SPDX-License-Identifier: MIT
/*
 * daxlab guest build: the tiny guest from the host's own packages.
 */
#include "daxlab.h"
#include "config.h"
#include "guestbuild.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
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
	       " -f, --force          rebuild even if nothing changed\n"
	       "     --install-deps   install missing packages with apt-get (root)\n"
	       " -q, --quiet          no progress lines\n"
	       " -h, --help           display this help\n"
	       " -V, --version        display version\n\n"
	       "Output: DIR/vmlinuz, DIR/initrd.img, DIR/id_ed25519 (the lab's ssh\n"
	       "key, made once), DIR/known_hosts (the guest's host key).\n"
	       "See daxlab-guest(1).\n",
	       getuid() == 0 ? "/var/lib/daxlab/guest"
			     : "~/.cache/daxlab/guest");
}

static char *default_output(void)
{
	const char *env = getenv("DAXLAB_GUEST_DIR");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (env && *env)
		return strdup(env);
	if (getuid() == 0)
		return strdup("/var/lib/daxlab/guest");
	if (xdg && *xdg)
		return strdup_printf("%s/daxlab/guest", xdg);
	if (home && *home)
		return strdup_printf("%s/.cache/daxlab/guest", home);
	return NULL;
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
	char **missing = NULL;
	_cleanup_free_ char *list = NULL;
	int r;

	r = guest_missing_packages(with_kernel, &missing);
	if (r == -ENOENT) {
		warning("dpkg-query not found: not checking packages");
		return 0;
	}
	if (r < 0)
		return error_errno(r, "dpkg-query");
	if (!missing[0]) {
		strv_free(missing);
		return 0;
	}
	list = strdup("");
	for (size_t i = 0; list && missing[i]; i++) {
		char *n = strdup_printf("%s%s%s", list, i ? " " : "",
					missing[i]);

		free(list);
		list = n;
	}
	if (!list) {
		strv_free(missing);
		return error("out of memory");
	}
	if (!install) {
		strv_free(missing);
		return error("guest: missing packages: %s (install them, or "
			     "run 'daxlab guest build --install-deps' as root)",
			     list);
	}
	if (getuid() != 0) {
		strv_free(missing);
		return error("guest: missing packages: %s; --install-deps "
			     "needs root", list);
	}
	info("guest: installing %s", list);
	r = install_packages(missing);
	strv_free(missing);
	return r;
}

static int guest_build_main(int argc, char **argv)
{
	enum { OPT_INSTALL_DEPS = 0x100, OPT_INIT };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "init", required_argument, NULL, OPT_INIT },
		{ "force", no_argument, NULL, 'f' },
		{ "install-deps", no_argument, NULL, OPT_INSTALL_DEPS },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct guest_build_opts o = { 0 };
	struct guest_build_result res;
	_cleanup_free_ char *output = NULL;
	bool install = false;
	char err[1024] = "";
	char size[32];
	int64_t t0 = now_monotonic_ns();
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:k:fqhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			free(output);
			output = strdup(optarg);
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case OPT_INIT:
			o.init_path = optarg;
			break;
		case 'f':
			o.force = true;
			break;
		case OPT_INSTALL_DEPS:
			install = true;
			break;
		case 'q':
			daxlab_quiet = true;
			break;
		case 'h':
			usage();
			return 0;
		case 'V':
			print_version();
		case ':':
			usage_error("guest build", "option '%s' needs a value",
				    argv[optind - 1]);
		default:
			usage_error("guest build", "unrecognized option '%s'",
				    argv[optind - 1]);
		}
	}
	if (optind < argc)
		usage_error("guest build", "unexpected argument '%s'",
			    argv[optind]);
	if (!output)
		output = default_output();
	if (!output) {
		error("guest: no output directory: give --output");
		return 1;
	}
	if (o.kernel && access(o.kernel, F_OK) < 0) {
		error_errno(errno, "guest: kernel %s", o.kernel);
		return 1;
	}
	if (!o.init_path)
		o.init_path = default_init();

	r = check_packages(!o.kernel, install);
	if (r < 0)
		return 1;

	o.output_dir = output;
	o.version = DAXLAB_VERSION;
	o.progress = on_progress;
	/* gzip dying must be an error message, not a silent SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	r = guest_build(&o, &res, err, sizeof(err));
	if (r < 0) {
		error("guest build: %s", err[0] ? err : strerror(-r));
		guest_build_result_done(&res);
		return 1;
	}
	if (res.up_to_date)
		info("guest: %s is up to date", output);
	else
		info("guest: built %s/initrd.img (%s, %zu modules) in %.1f s",
		     output, format_bytes(res.initrd_bytes, size, sizeof(size)),
		     res.n_modules, (double)(now_monotonic_ns() - t0) / 1e9);
	guest_build_result_done(&res);
	return 0;
}

static void usage_guest(void)
{
	printf("Usage:\n"
	       " daxlab guest build [options]\n\n"
	       "The tiny guest, built from the host's packages.\n\n"
	       "Commands:\n"
	       " build   build the kernel and initramfs (see 'daxlab guest build --help')\n\n"
	       "Options:\n"
	       " -h, --help     display this help\n"
	       " -V, --version  display version\n");
}

int cmd_guest(int argc, char **argv)
{
	if (argc < 2)
		usage_error("guest", "no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage_guest();
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		print_version();
	if (!strcmp(argv[1], "build"))
		return guest_build_main(argc - 1, argv + 1);
	usage_error("guest", "unknown command '%s'", argv[1]);
}
