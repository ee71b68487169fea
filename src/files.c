// SPDX-License-Identifier: MIT
/*
 * daxlab files create|residency|evict|warm (the seed's filectl): the
 * workload's file sets on the host.
 */
#include "daxlab.h"
#include "fileset.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct files_ctl {
	struct workload_args w; /* w.cmd: "files create", ... */
	const char *manifest;
	const char *select;
	const char *vm;
	bool force;
	bool bytes;
	bool progress;
	/* progress bar */
	int64_t t0, last;
};

enum {
	OPT_MANIFEST = WL_OPT_END,
	OPT_SET,
	OPT_VM,
	OPT_BYTES,
	OPT_NO_PROGRESS,
};

static const struct option longopts[] = {
	WORKLOAD_LONGOPTS,
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "force", no_argument, NULL, 'f' },
	{ "set", required_argument, NULL, 's' },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "bytes", no_argument, NULL, 'b' },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	fputs("Usage:\n"
	      " daxlab files create [OPTIONS]\n"
	      " daxlab files residency [OPTIONS]\n"
	      " daxlab files evict [OPTIONS]\n"
	      " daxlab files warm [OPTIONS]\n"
	      "\n"
	      "The workload's files (the seed's filectl): a shared set once in the\n"
	      "shared folder, a private set per VM in its private folder, each\n"
	      "split into hot and cold files.\n"
	      "\n"
	      "Commands:\n"
	      "  create      write the files (incompressible data), then sync them and\n"
	      "              drop them from the page cache; files of the right size are\n"
	      "              kept; a manifest is written last\n"
	      "  residency   bytes of each set in the host page cache, per NUMA node\n"
	      "  evict       drop a set from the host page cache\n"
	      "  warm        read a set into the host page cache\n"
	      "\n"
	      "Workload (override the config's [workload], shares and VMs):\n",
	      stdout);
	fputs(WORKLOAD_USAGE, stdout);
	fputs("     --vms N                number of private sets (1)\n"
	      "     --shared-dir DIR       folder of the shared set\n"
	      "     --private-dir DIR      folder of a VM's private set; %i is the VM id\n"
	      "\n"
	      "Options:\n"
	      "     --manifest FILE        manifest (default SHARED-DIR/.daxlab-manifest)\n"
	      " -f, --force                rewrite files even when their size is right\n"
	      " -s, --set SET              all (default), shared, private, hot, cold,\n"
	      "                              shared-hot, shared-cold, private-hot,\n"
	      "                              private-cold\n"
	      "     --vm ID                only this VM's private files\n"
	      " -b, --bytes                sizes in bytes\n"
	      "     --no-progress          no progress bar\n"
	      " -q, --quiet                no progress or summary on stderr\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n"
	      "\n"
	      "See daxlab-files(1).\n",
	      stdout);
}

static void parse_args(struct files_ctl *c, int argc, char **argv)
{
	static const char shortopts[] = "c:fs:bqhV";
	const struct workload_spec *spec = &c->w.spec;
	int o;

	workload_args_config(&c->w, argc, argv, shortopts, longopts);
	while ((o = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (o) {
		case OPT_MANIFEST:
			c->manifest = optarg;
			break;
		case 'f':
			c->force = true;
			break;
		case 's':
			c->select = optarg;
			break;
		case OPT_VM:
			c->vm = optarg;
			break;
		case 'b':
			c->bytes = true;
			break;
		case OPT_NO_PROGRESS:
			c->progress = false;
			break;
		default:
			if (!workload_args_option(&c->w, o, optarg))
				common_option(c->w.cmd, o, usage);
		}
	}
	if (optind < argc)
		usage_error(c->w.cmd, "unexpected argument '%s'", argv[optind]);
	workload_args_done(&c->w);
	if (!spec->shared_dir && !spec->private_dir && !spec->vm_private_dirs)
		usage_error(
			c->w.cmd,
			"no folders: give --shared-dir and --private-dir, or a config with shares");
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Draws the progress bar; false once a signal came (stops the writing). */
static bool progress(void *userdata, uint64_t done, uint64_t total)
{
	struct files_ctl *c = userdata;
	int64_t now = now_monotonic_ns();
	double secs, mbs, frac;
	char bar[31];
	int fill;

	if (got_signal)
		return false;
	if (!c->progress || daxlab_quiet)
		return true;
	if (now - c->last < 100000000 && done < total)
		return true;
	c->last = now;
	secs = (double)(now - c->t0) / 1e9;
	mbs = secs > 0 ? (double)done / 1e6 / secs : 0;
	frac = total ? (double)done / (double)total : 1;
	fill = (int)(frac * 30);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(30 - fill));
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %3.0f%% %llu/%llu MiB %.0f MB/s", bar,
		frac * 100, (unsigned long long)(done >> 20),
		(unsigned long long)(total >> 20), mbs);
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
	return true;
}

static int do_create(struct files_ctl *c, struct fileset_plan *p)
{
	_cleanup_free_ char *manifest = NULL;
	struct fileset_create_result res = { 0 };
	char err[1024] = "", a[32];
	double secs;
	int r;

	manifest =
		c->manifest ? strdup(c->manifest) : fileset_default_manifest(p);
	if (!manifest)
		return error("out of memory");
	c->t0 = c->last = now_monotonic_ns();
	c->last -= 1000000000;
	/* a signal stops the writing; what was half written is removed */
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	r = fileset_create(p, manifest, c->force ? FILESET_FORCE : 0,
			   progress, c, &res, err, sizeof(err));
	if (r == -EINTR && got_signal) {
		if (c->progress && !daxlab_quiet)
			fputc('\n', stderr);
		error("interrupted by SIG%s: the files being written were "
		      "removed and %s was not written; the set is incomplete",
		      sigabbrev_np(got_signal) ? sigabbrev_np(got_signal) :
						 "?",
		      manifest);
		return 128 + got_signal;
	}
	if (r < 0)
		return error("%s", *err ? err : strerror(-r));
	secs = (double)res.write_ns / 1e9;
	info("%zu files written (%s), %zu kept, manifest %s", res.written,
	     format_bytes(res.bytes_written, a, sizeof(a)), res.kept, manifest);
	if (res.bytes_written && secs > 0)
		info("%.0f MB/s to disk",
		     (double)res.bytes_written / 1e6 / secs);
	return 0;
}

static unsigned node_count(void)
{
	int n = numa_available() < 0 ? 0 : numa_max_node();

	if (n < 0)
		n = 0;
	return (unsigned)n + 1 > FS_MAX_NODES ? FS_MAX_NODES : (unsigned)n + 1;
}

static void print_size(bool bytes, uint64_t v)
{
	char b[32];

	if (bytes)
		printf(" %14llu", (unsigned long long)v);
	else
		printf(" %14s", format_bytes(v, b, sizeof(b)));
}

static int do_residency(struct files_ctl *c, struct fileset_plan *p,
			const struct fs_select *sel)
{
	unsigned nodes = node_count();
	int ret = 0;

	printf("%-13s %-6s %6s %14s %14s %6s", "SET", "VM", "FILES", "SIZE",
	       "RESIDENT", "PCT");
	for (unsigned n = 0; n < nodes; n++)
		printf(" %13s%u", "N", n);
	printf(" %14s\n", "UNKNOWN");
	/* one row per group, and per VM for the private groups */
	for (unsigned g = 0; g < FS_GROUPS; g++) {
		unsigned rows = g < 2 ? 1 : p->spec.vms;

		if (!sel->group[g])
			continue;
		for (unsigned v = 0; v < rows; v++) {
			struct fs_residency acc = { 0 };
			const char *vm = g < 2 ? "-" : p->vm_ids[v];
			size_t files = 0;

			if (g >= 2 && sel->vm && strcmp(sel->vm, vm))
				continue;
			if (g >= 2 && !p->vm_dirs[v])
				continue;
			if (g < 2 && !p->spec.shared_dir)
				continue;
			for (size_t i = 0; i < p->n_files; i++) {
				const struct fs_file *f = &p->files[i];
				int r;

				if (fs_group(f->set, f->temp) != g ||
				    (g >= 2 && f->vm != (int)v))
					continue;
				files++;
				r = fileset_file_residency(f->path, &acc);
				if (r < 0)
					ret = error_errno(r, "cannot read %s",
							  f->path);
			}
			printf("%-13s %-6s %6zu", fs_group_name(g), vm, files);
			print_size(c->bytes, acc.size);
			print_size(c->bytes, acc.resident);
			printf(" %5.1f%%",
			       acc.size ? 100.0 * (double)acc.resident /
						  (double)acc.size :
					  0.0);
			for (unsigned n = 0; n < nodes; n++)
				print_size(c->bytes, acc.node[n]);
			print_size(c->bytes, acc.node_unknown);
			putchar('\n');
		}
	}
	return ret;
}

static int do_each(struct files_ctl *c, struct fileset_plan *p,
		   const struct fs_select *sel, bool warm)
{
	uint64_t bytes = 0;
	size_t files = 0;
	char b[32];

	for (size_t i = 0; i < p->n_files; i++) {
		const struct fs_file *f = &p->files[i];
		int r;

		if (!fs_select_match(sel, f))
			continue;
		r = warm ? fileset_file_warm(f->path) :
			   fileset_file_evict(f->path);
		if (r < 0)
			return error_errno(r, "cannot %s %s",
					   warm ? "warm" : "evict", f->path);
		files++;
		bytes += f->size;
	}
	info("%s %zu files (%s) of set %s", warm ? "warmed" : "evicted", files,
	     format_bytes(bytes, b, sizeof(b)), c->select ? c->select : "all");
	return 0;
}

int cmd_files(int argc, char **argv)
{
	static const char *const cmds[] = { "create", "residency", "evict",
					    "warm" };
	struct files_ctl c = { .progress = isatty(STDERR_FILENO) };
	struct fileset_plan *p = NULL;
	struct fs_select sel;
	char cmdname[32];
	size_t which;
	int r;

	which = pick_command("files", argc, argv, cmds, ARRAY_SIZE(cmds),
			     usage);
	snprintf(cmdname, sizeof(cmdname), "files %s", cmds[which]);
	workload_args_init(&c.w, cmdname);
	parse_args(&c, argc - 1, argv + 1);
	if (fs_select_parse(c.select ? c.select : "all", &sel) < 0)
		usage_error(c.w.cmd, "unknown set '%s'", c.select);
	sel.vm = c.vm;
	if (which == 0 && (c.select || c.vm))
		usage_error(c.w.cmd, "--set and --vm do not apply to create");

	r = workload_args_plan(&c.w, &p);
	if (r == 0 && c.vm && workload_plan_vm(p, c.vm) < 0)
		r = -1;
	if (r == 0) {
		switch (which) {
		case 0:
			r = do_create(&c, p);
			break;
		case 1:
			r = do_residency(&c, p, &sel);
			break;
		default:
			r = do_each(&c, p, &sel, which == 3);
			break;
		}
	}
	fileset_plan_free(p);
	workload_args_free(&c.w);
	return r < 0 ? 1 : r; /* 128 + signal: create was interrupted */
}
