// SPDX-License-Identifier: MIT
/*
 * daxlab files create|residency|evict|warm (the seed's filectl): the
 * workload's file sets on the host.
 */
#include "daxlab.h"
#include "cgroup.h"
#include "fileset.h"
#include "guestres.h"
#include "hostmm.h"
#include "imgextents.h"
#include "pageowner.h"
#include "residency.h"
#include "statedir.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <numa.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct files_ctl {
	struct workload_args w; /* w.cmd: "files create", ... */
	const char *manifest;
	const char *select;
	const char *vm;
	bool force;
	bool bytes;
	bool progress;
	bool by_cgroup, by_node; /* residency --by */
	uint64_t interval_ms;    /* residency --interval: a time series */
	const char *output;      /* residency --output: tidy CSV */
	bool guests;             /* residency --guests: inside the VMs too */
	char **paths;            /* residency PATH...: instead of the sets */
	int n_paths;
	/* progress bar */
	int64_t t0, last;
};

enum {
	OPT_MANIFEST = WL_OPT_END,
	OPT_VM,
	OPT_NO_PROGRESS,
	OPT_BY,
	OPT_INTERVAL,
	OPT_OUTPUT,
	OPT_GUESTS,
};

static const struct option longopts[] = {
	WORKLOAD_LONGOPTS,
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "force", no_argument, NULL, 'f' },
	{ "set", required_argument, NULL, 's' },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "bytes", no_argument, NULL, 'b' },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "by", required_argument, NULL, OPT_BY },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "guests", no_argument, NULL, OPT_GUESTS },
	COMMON_LONGOPTS,
};

static void usage(void)
{
	fputs("Usage:\n"
	      " daxlab files create [OPTIONS]\n"
	      " daxlab files residency [OPTIONS] [--by cgroup,node] [PATH...]\n"
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
	      "              kept, set files of an earlier layout removed; a manifest\n"
	      "              is written last\n"
	      "  residency   bytes of each set (or of each PATH, a file or a folder)\n"
	      "              in the host page cache, per NUMA node; with --by, per\n"
	      "              memory cgroup the pages are charged to and per node\n"
	      "              of their page frames (needs root)\n"
	      "  evict       drop a set from the host page cache\n"
	      "  warm        read a set into the host page cache (charged to\n"
	      "              daxlab's cgroup; run --warm reads as virtiofsd)\n"
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
	      "     --by LIST              residency per cgroup, node or cgroup,node\n"
	      "     --output FILE          residency as tidy CSV rows (elapsed_ms,where,\n"
	      "                              set,part,node,cgroup,bytes), per cgroup and\n"
	      "                              node, of the sets and their virtio-pmem images\n"
	      "     --interval TIME        with --output: a sample every TIME until\n"
	      "                              SIGINT or SIGTERM (then a last one)\n"
	      "     --guests               with --output: also each running VM's own\n"
	      "                              page cache of its sets, measured inside it\n"
	      "                              by daxlab-resident over ssh (rows with\n"
	      "                              where = the VM's name, node = the guest's)\n"
	      " -b, --bytes                sizes in bytes\n"
	      "     --no-progress          no progress bar\n"
	      " -q, --quiet                no progress or summary on stderr\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n"
	      "\n"
	      "See daxlab-files(1).\n",
	      stdout);
}

static void parse_by(struct files_ctl *c, const char *list)
{
	_cleanup_free_ char *copy = strdup(list);
	char *save = NULL;

	if (!copy)
		die("out of memory");
	for (char *w = strtok_r(copy, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "cgroup"))
			c->by_cgroup = true;
		else if (!strcmp(w, "node"))
			c->by_node = true;
		else
			usage_error(c->w.cmd,
				    "--by: unknown key '%s' (cgroup, node)", w);
	}
	if (!c->by_cgroup && !c->by_node)
		usage_error(c->w.cmd, "--by: give cgroup, node or cgroup,node");
}

static void parse_args(struct files_ctl *c, int argc, char **argv)
{
	static const char shortopts[] = ":c:fs:bqhV";
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
		case OPT_BY:
			parse_by(c, optarg);
			break;
		case OPT_INTERVAL:
			if (parse_duration_ms(optarg, &c->interval_ms) < 0 ||
			    c->interval_ms < 10)
				usage_error(c->w.cmd,
					    "--interval: '%s' is not a duration of 10ms or more",
					    optarg);
			break;
		case OPT_GUESTS:
			c->guests = true;
			break;
		case OPT_OUTPUT:
			if (!*optarg)
				usage_error(c->w.cmd, "--output needs a file");
			c->output = optarg;
			break;
		default:
			workload_args_option(&c->w, o, optarg, usage);
		}
	}
	if (optind < argc && strcmp(c->w.cmd, "files residency"))
		usage_error(c->w.cmd, "unexpected argument '%s'", argv[optind]);
	c->paths = argv + optind;
	c->n_paths = argc - optind;
	if (c->n_paths && (c->select || c->vm))
		usage_error(c->w.cmd, "--set and --vm do not apply to PATHs");
	if (c->interval_ms && !c->output)
		usage_error(c->w.cmd, "--interval goes with --output");
	if (c->guests && !c->output)
		usage_error(c->w.cmd, "--guests goes with --output");
	if (c->guests && !c->w.config)
		usage_error(c->w.cmd, "--guests needs a config with the VMs");
	if (c->guests && fs_guest_open_drops(c->w.config))
		die("--guests: share %s is virtiofs with [virtiofsd] cache = auto, where every open of a file in the guest drops its page cache there: measuring the guests' copies would empty them (use cache = always)",
		    fs_guest_open_drops(c->w.config)->name);
	if (c->output && (c->n_paths || c->by_cgroup || c->by_node))
		usage_error(c->w.cmd,
			    "--output writes every set per cgroup and node: no PATHs or --by with it");
	workload_args_done(&c->w);
	if (c->n_paths)
		return;
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
	struct error err = { 0 };
	char a[32];
	double secs;
	int r;

	manifest =
		c->manifest ? strdup(c->manifest) : fileset_default_manifest(p);
	if (!manifest)
		return error("out of memory");
	c->t0 = c->last = now_monotonic_ns();
	c->last -= 1000000000;
	/* a signal stops the writing; what was half written is removed */
	trap_signals(on_signal, true);
	r = fileset_create(p, manifest, c->force ? FILESET_FORCE : 0, progress,
			   c, &res, &err);
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
		return error("%s", err.msg[0] ? err.msg : strerror(-r));
	secs = (double)res.write_ns / 1e9;
	info("%zu files written (%s), %zu kept, manifest %s", res.written,
	     format_bytes(res.bytes_written, a, sizeof(a)), res.kept, manifest);
	if (res.bytes_written && secs > 0)
		info("%.0f MB/s to disk",
		     (double)res.bytes_written / 1e6 / secs);
	if (res.removed)
		info("%zu files of an earlier layout removed (%s)", res.removed,
		     format_bytes(res.bytes_removed, a, sizeof(a)));
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

/* ---- residency by owner: memory cgroup and node of each page ---- */

static int owner_open(struct pageowner **ret)
{
	const char *root = getenv("DAXLAB_CGROUP_ROOT");
	_cleanup_free_ char *mem = NULL;
	enum cg_version v;
	int r;

	if (!root)
		root = "/sys/fs/cgroup";
	/* kpagecgroup names a folder of the memory hierarchy */
	if (cg_detect(root, "auto", &v) == 0)
		mem = v == CG_V2 ? strdup(root) :
				   strdup_printf("%s/memory", root);
	r = pageowner_new("/sys/devices/system/memory", mem, ret);
	if (r < 0)
		return error_errno(r, "cannot read page owners");
	if (!mem)
		warning("no memory cgroup hierarchy below %s: cgroups not shown",
			root);
	return 0;
}

static int cmp_count(const void *a, const void *b)
{
	const struct po_count *x = a, *y = b;

	return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : 0;
}

/* A row's first columns: SET, VM, and CGROUP and NODE as --by asks. */
static void print_owner_cols(const struct files_ctl *c, const char *set,
			     const char *vm, const char *cgroup,
			     const char *node)
{
	printf("%-13s %-6s", set, vm);
	if (c->by_cgroup)
		printf(" %-32s", cgroup);
	if (c->by_node)
		printf(" %-5s", node);
}

/* The rows of one set: its tally summed over what --by leaves out. */
static int print_owner_rows(const struct files_ctl *c,
			    const struct pageowner *po, const char *set,
			    const char *vm, const struct po_tally *t)
{
	struct po_tally sum = { 0 };

	for (size_t i = 0; i < t->n; i++)
		if (po_tally_add(&sum, c->by_cgroup ? t->c[i].cgroup : 0,
				 c->by_node ? t->c[i].node : 0,
				 t->c[i].bytes) < 0) {
			po_tally_free(&sum);
			return error("out of memory");
		}
	if (sum.n > 1)
		qsort(sum.c, sum.n, sizeof(*sum.c), cmp_count);
	for (size_t i = 0; i < sum.n; i++) {
		const struct po_count *k = &sum.c[i];
		char node[16] = "?";

		if (k->node != PO_NODE_UNKNOWN)
			snprintf(node, sizeof(node), "N%d", k->node);
		print_owner_cols(c, set, vm,
				 pageowner_cgroup_path(po, k->cgroup), node);
		print_size(c->bytes, k->bytes);
		printf(" %5.1f%%\n",
		       t->span ? 100.0 * (double)k->bytes / (double)t->span :
				 0.0);
	}
	if (!sum.n) {
		print_owner_cols(c, set, vm, "-", "-");
		print_size(c->bytes, 0);
		printf(" %5.1f%%\n", 0.0);
	}
	po_tally_free(&sum);
	return 0;
}

/* ---- the measurement of one set or PATH, either way ---- */

struct measure {
	struct pageowner *po; /* --by */
	struct po_tally t;
	struct fs_residency acc;
	size_t files;
	int ret;
};

static void measure_file(struct measure *m, const char *path)
{
	int r = m->po ? pageowner_file(m->po, path, NULL, &m->t, NULL) :
			fileset_file_residency(path, NULL, &m->acc);

	m->files++;
	if (r < 0)
		m->ret = error_errno(r, "cannot read %s", path);
}

static void print_measure(const struct files_ctl *c, struct measure *m,
			  const char *set, const char *vm, unsigned nodes)
{
	if (m->po) {
		if (print_owner_rows(c, m->po, set, vm, &m->t) < 0)
			m->ret = -1;
		po_tally_free(&m->t);
		return;
	}
	printf("%-13s %-6s %6zu", set, vm, m->files);
	print_size(c->bytes, m->acc.size);
	print_size(c->bytes, m->acc.resident);
	printf(" %5.1f%%", m->acc.span ? 100.0 * (double)m->acc.resident /
						 (double)m->acc.span :
					 0.0);
	for (unsigned n = 0; n < nodes; n++)
		print_size(c->bytes, m->acc.node[n]);
	print_size(c->bytes, m->acc.node_unknown);
	putchar('\n');
}

static void print_header(const struct files_ctl *c, unsigned nodes)
{
	if (c->by_cgroup || c->by_node) {
		print_owner_cols(c, "SET", "VM", "CGROUP", "NODE");
		printf(" %14s %6s\n", "RESIDENT", "PCT");
		return;
	}
	printf("%-13s %-6s %6s %14s %14s %6s", "SET", "VM", "FILES", "SIZE",
	       "RESIDENT", "PCT");
	for (unsigned n = 0; n < nodes; n++)
		printf(" %13s%u", "N", n);
	printf(" %14s\n", "UNKNOWN");
}

static struct measure *walking;

static int walk_file(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		measure_file(walking, path);
	return 0;
}

/* residency PATH...: each a file, or a folder and every file below it. */
static int residency_paths(struct files_ctl *c, struct pageowner *po)
{
	unsigned nodes = node_count();
	int ret = 0;

	print_header(c, nodes);
	for (int i = 0; i < c->n_paths; i++) {
		struct measure m = { .po = po };
		struct stat st;

		if (stat(c->paths[i], &st) < 0) {
			ret = error_errno(errno, "cannot read %s", c->paths[i]);
			continue;
		}
		walking = &m;
		if (S_ISDIR(st.st_mode)) {
			if (nftw(c->paths[i], walk_file, 32, FTW_PHYS) < 0)
				m.ret = error_errno(errno, "cannot walk %s",
						    c->paths[i]);
		} else {
			measure_file(&m, c->paths[i]);
		}
		walking = NULL;
		print_measure(c, &m, c->paths[i], "-", nodes);
		if (m.ret < 0)
			ret = m.ret;
	}
	return ret;
}

/* ---- residency over time: tidy rows, per set, part, cgroup and node ---- */

static volatile sig_atomic_t series_stop;

static void on_series_stop(int sig)
{
	(void)sig;
	series_stop = 1;
}

static void series_rows(FILE *f, const struct pageowner *po, int64_t t,
			const char *set, const char *part,
			const struct po_tally *tally)
{
	if (!tally->n)
		rs_write_row(f, t, "host", set, part, "-", "-", 0);
	for (size_t i = 0; i < tally->n; i++) {
		const struct po_count *k = &tally->c[i];
		char node[16] = "?";

		if (k->node != PO_NODE_UNKNOWN)
			snprintf(node, sizeof(node), "N%d", k->node);
		/* cgroup paths hold no comma: they are valid names */
		rs_write_row(f, t, "host", set, part, node,
			     pageowner_cgroup_path(po, k->cgroup), k->bytes);
	}
}

/*
 * A virtio-pmem image of set: where its files' data sit, as the set's
 * part "image"; the rest of it (its ext4's metadata, free blocks faulted
 * in around what guests read) as the set SET:image-rest, which explains
 * page cache but is no copy of the set. An image without its ranges (an
 * older daxlab's) counts whole.
 */
static int image_rows(FILE *f, struct pageowner *po, int64_t t, const char *img,
		      const char *set)
{
	struct fs_ranges only = { 0 };
	struct po_tally tally = { 0 }, rest = { 0 };
	_cleanup_free_ char *rest_set = strdup_printf("%s:image-rest", set);
	int r = imgextents_load(img, &only);

	if (r < 0 && r != -ENOENT) {
		_cleanup_free_ char *x = statedir_image_extents(img);

		return error_errno(r, "cannot read %s", x ? x : img);
	}
	if (!rest_set) {
		imgextents_free(&only);
		return error("out of memory");
	}
	/* one pass over the image for both */
	if (pageowner_file(po, img, r ? NULL : &only, &tally, &rest) == 0) {
		series_rows(f, po, t, set, "image", &tally);
		if (r == 0)
			series_rows(f, po, t, rest_set, "image", &rest);
	}
	po_tally_free(&tally);
	po_tally_free(&rest);
	imgextents_free(&only);
	return 0;
}

/* One sample of every set (and image) into f at elapsed time t. */
static int series_sample(const struct files_ctl *c, struct fileset_plan *p,
			 struct pageowner *po, FILE *f, int64_t t)
{
	const struct lab_config *cfg = c->w.config;
	const struct share_config *sh;
	const struct vm_config *vm;
	size_t pos = 0;

	for (unsigned g = 0; g < FS_GROUPS; g++) {
		unsigned rows = g < 2 ? 1 : p->spec.vms;

		for (unsigned v = 0; v < rows; v++) {
			struct po_tally tally = { 0 };
			_cleanup_free_ char *set =
				g < 2 ? strdup("shared") :
					strdup_printf("private-%s", p->vm_ids[v]);
			const char *part = g % 2 ? "cold" : "hot";
			size_t files = 0;

			if (!set)
				return -ENOMEM;
			for (size_t i = 0; i < p->n_files; i++) {
				const struct fs_file *fl = &p->files[i];
				int r;

				if (fs_group(fl->set, fl->temp) != g ||
				    (g >= 2 && fl->vm != (int)v))
					continue;
				files++;
				r = pageowner_file(po, fl->path, NULL, &tally,
						   NULL);
				if (r < 0 && r != -ENOENT) {
					po_tally_free(&tally);
					return error_errno(r, "cannot read %s",
							   fl->path);
				}
			}
			if (files)
				series_rows(f, po, t, set, part, &tally);
			po_tally_free(&tally);
		}
	}
	/* the virtio-pmem images of the sets: the host copy guests read */
	while (cfg && statedir_pmem_next(cfg, &pos, &sh, &vm)) {
		_cleanup_free_ char *img = statedir_pmem_image(cfg, vm, sh);
		_cleanup_free_ char *set =
			sh->shared ? strdup("shared") :
				     strdup_printf("private-%s", vm->id);
		int r;

		if (sh != fs_set_share(cfg, sh->shared))
			continue;
		if (!img || !set)
			return -ENOMEM;
		r = image_rows(f, po, t, img, set);
		if (r < 0)
			return r;
	}
	return fflush(f) == 0 ? 0 : -errno;
}

/* ---- inside the guests (--guests) ---- */

struct guest_rows {
	FILE *f;
	int64_t t;
	const char *where;
};

static void guest_row(void *ud, const char *set, const char *part,
		      const char *node, const char *cgroup, uint64_t bytes)
{
	struct guest_rows *gr = ud;

	rs_write_row(gr->f, gr->t, gr->where, set, part, node, cgroup, bytes);
}

/*
 * A gres per VM of the config with its files at their guest paths: the
 * shared set under the shared share's mount point, its own private set
 * under the private share's (as fio's job names them, lib/fiojob.c).
 */
static int guests_new(const struct files_ctl *c, const struct fileset_plan *p,
		      struct gres ***ret, size_t *ret_n)
{
	const struct lab_config *cfg = c->w.config;
	const struct share_config *shs = fs_set_share(cfg, true);
	const struct share_config *shp = fs_set_share(cfg, false);
	_cleanup_free_ char *sshcfg = statedir_ssh_config(cfg);
	struct gres **gv = calloc(cfg->n_vms ? cfg->n_vms : 1, sizeof(*gv));
	size_t n = 0;

	if (!gv || !sshcfg)
		goto nomem;
	for (size_t v = 0; v < cfg->n_vms; v++) {
		const struct vm_config *vm = &cfg->vms[v];
		struct gres *g =
			gres_new(vm->name, vm->ssh, sshcfg, RS_GUEST_HELPER);

		if (!g)
			goto nomem;
		gv[n++] = g;
		for (size_t i = 0; i < p->n_files; i++) {
			const struct fs_file *fl = &p->files[i];
			bool shared = fl->set == FS_SHARED;
			const struct share_config *sh = shared ? shs : shp;
			_cleanup_free_ char *path = NULL, *set = NULL;

			if (!sh || !fs_vm_mounts(vm, sh) || !sh->mount ||
			    (!shared && strcmp(fl->vm_id, vm->id)))
				continue;
			path = strdup_printf("%s/%s", sh->mount, fl->name);
			set = shared ? strdup("shared") :
				       strdup_printf("private-%s", fl->vm_id);
			if (!path || !set ||
			    gres_add_file(g, path, set,
					  fs_temp_name(fl->temp)) < 0)
				goto nomem;
		}
	}
	*ret = gv;
	*ret_n = n;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		gres_free(gv[i]);
	free(gv);
	return -ENOMEM;
}

/*
 * The guests' rows of sample seq at elapsed time t, of those that
 * answered; what a guest could not measure or read is said once.
 */
static void guests_rows(struct gres **gv, size_t n, uint64_t seq, FILE *f,
			int64_t t, bool *said, uint64_t *answers)
{
	for (size_t i = 0; i < n; i++) {
		struct guest_rows gr = { f, t, gres_where(gv[i]) };
		char missing[256];
		struct error err = { 0 };
		int r;

		if (!gres_answered(gv[i], seq))
			continue;
		answers[i]++;
		r = gres_rows(gv[i], guest_row, &gr, missing, sizeof(missing),
			      &err);
		if (said[i])
			continue;
		if (r < 0)
			warning("%s: no residency measured inside it: %s",
				gres_where(gv[i]),
				err.msg[0] ? err.msg : strerror(-r));
		else if (err.msg[0])
			warning("%s: %s", gres_where(gv[i]), err.msg);
		if (missing[0])
			warning("%s: not measured inside it: %s (those figures "
				"are written as '?')",
				gres_where(gv[i]), missing);
		said[i] = r < 0 || err.msg[0] || missing[0];
	}
}

/*
 * residency --output FILE [--interval T]: samples on absolute deadlines
 * until a signal (then one last sample), each sample written whole. With
 * --guests, each VM is asked at the start of a sample and its rows follow
 * the host's once it answered (by the next tick; the last sample waits up
 * to 20 s); a guest that has not answered has no rows in that sample.
 */
/* Page cache that leaves on its own makes any residency figure smaller. */
static void warn_host_reclaim(void)
{
	_cleanup_free_ char *mm = NULL;

	if (hostmm_reclaim("", &mm) == 0 && mm)
		warning("this host's kernel pages out or moves memory on its own (%s): page cache can leave without memory pressure, and these figures count that",
			mm);
}

static int residency_series(struct files_ctl *c, struct fileset_plan *p)
{
	struct pageowner *po = NULL;
	struct gres **gv = NULL;
	size_t ng = 0;
	_cleanup_free_ bool *said = NULL;
	_cleanup_free_ uint64_t *answers = NULL;
	uint64_t samples = 0;
	FILE *f;
	int64_t t0 = now_monotonic_ns(), k = 0;
	int r = 0;

	c->by_cgroup = c->by_node = true;
	if (owner_open(&po) < 0)
		return -1;
	warn_host_reclaim();
	if (c->guests) {
		if (guests_new(c, p, &gv, &ng) < 0 ||
		    !(said = calloc(ng ? ng : 1, sizeof(*said))) ||
		    !(answers = calloc(ng ? ng : 1, sizeof(*answers)))) {
			r = error_errno(ENOMEM, "guests");
			goto out;
		}
		/* connect now: the first samples may come before the guests */
		gres_ask(gv, ng, 0, now_monotonic_ns());
		/* one sample only: it waits for them */
		if (!c->interval_ms)
			gres_idle(gv, ng,
				  now_monotonic_ns() + 30 * (int64_t)1000000000,
				  NULL);
	}
	f = fopen(c->output, "we");
	if (!f) {
		r = error_errno(errno, "cannot write %s", c->output);
		goto out;
	}
	trap_signals(on_series_stop, false);
	fputs(RS_HEADER "\n", f);
	for (;;) {
		int64_t t = (now_monotonic_ns() - t0) / 1000000;
		bool last = series_stop || !c->interval_ms;
		uint64_t seq = (uint64_t)k + 1;
		/* the last sample waits for the guests up to 20 s in all */
		int64_t due = t0 + (k + 1) * (int64_t)c->interval_ms * 1000000,
			end_by = now_monotonic_ns() + 20 * (int64_t)1000000000;

		/* whole ticks: the scheduled offset, like stats.csv */
		if (c->interval_ms && !last)
			t = k * (int64_t)c->interval_ms;
		if (ng && last) /* an answer still out for an older sample */
			gres_wait(gv, ng, seq - 1, end_by);
		if (ng)
			gres_ask(gv, ng, seq, now_monotonic_ns());
		r = series_sample(c, p, po, f, t);
		if (r < 0)
			break;
		samples++; /* taken: a late tick is skipped, not counted */
		if (ng) {
			gres_wait(gv, ng, seq, last ? end_by : due);
			guests_rows(gv, ng, seq, f, t, said, answers);
			if (fflush(f) != 0) {
				r = -errno;
				break;
			}
		}
		if (last)
			break;
		k++;
		for (;;) {
			int64_t now = now_monotonic_ns();

			due = t0 + k * (int64_t)c->interval_ms * 1000000;
			if (series_stop || now >= due)
				break;
			if (ng) {
				/* connections make progress meanwhile */
				gres_idle(gv, ng, due, &series_stop);
				continue;
			}
			usleep((useconds_t)((due - now) / 1000 > 100000 ?
						    100000 :
						    (due - now) / 1000));
		}
		/* late: the missed ticks are skipped, not made up */
		while (!series_stop && t0 + (k + 1) * (int64_t)c->interval_ms *
						       1000000 <=
					       now_monotonic_ns())
			k++;
	}
	if (fclose(f) != 0 && r == 0)
		r = error_errno(errno, "cannot write %s", c->output);
	if (*pageowner_missing(po))
		warning("not measured here: %s", pageowner_missing(po));
	/* a guest's missed samples have no rows: say how many, and why */
	for (size_t i = 0; i < ng; i++) {
		const char *why = gres_last_error(gv[i]);

		if (!samples)
			continue; /* the host's first sample failed: said */
		if (!answers[i])
			warning("%s: answered none of the %" PRIu64
				" samples: no rows for it%s%s",
				gres_where(gv[i]), samples, why[0] ? ": " : "",
				why);
		else if (answers[i] < samples)
			warning("%s: answered %" PRIu64 " of %" PRIu64
				" samples in time; the others have no rows "
				"for it%s%s",
				gres_where(gv[i]), answers[i], samples,
				why[0] ? ": " : "", why);
		else if (!said[i] && why[0])
			warning("%s: %s", gres_where(gv[i]), why);
	}
out:
	for (size_t i = 0; i < ng; i++)
		gres_free(gv[i]);
	free(gv);
	pageowner_free(po);
	return r < 0 ? -1 : 0;
}

static int do_residency(struct files_ctl *c, struct fileset_plan *p,
			const struct fs_select *sel)
{
	unsigned nodes = node_count();
	struct pageowner *po = NULL;
	int ret = 0;

	if ((c->by_cgroup || c->by_node) && owner_open(&po) < 0)
		return -1;
	warn_host_reclaim();
	if (c->n_paths) {
		ret = residency_paths(c, po);
		goto out;
	}
	print_header(c, nodes);
	/* one row per group, and per VM for the private groups */
	for (unsigned g = 0; g < FS_GROUPS; g++) {
		unsigned rows = g < 2 ? 1 : p->spec.vms;

		if (!sel->group[g])
			continue;
		for (unsigned v = 0; v < rows; v++) {
			struct measure m = { .po = po };
			const char *vm = g < 2 ? "-" : p->vm_ids[v];

			if (g >= 2 && sel->vm && strcmp(sel->vm, vm))
				continue;
			if (g >= 2 && !p->vm_dirs[v])
				continue;
			if (g < 2 && !p->spec.shared_dir)
				continue;
			for (size_t i = 0; i < p->n_files; i++) {
				const struct fs_file *f = &p->files[i];

				if (fs_group(f->set, f->temp) != g ||
				    (g >= 2 && f->vm != (int)v))
					continue;
				measure_file(&m, f->path);
			}
			print_measure(c, &m, fs_group_name(g), vm, nodes);
			if (m.ret < 0)
				ret = m.ret;
		}
	}
out:
	if (po && *pageowner_missing(po))
		warning("not measured here: %s", pageowner_missing(po));
	pageowner_free(po);
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

	/* PATHs: no plan (and no --vm) */
	r = c.n_paths ? do_residency(&c, NULL, &sel) :
			workload_args_plan(&c.w, &p);
	if (r == 0 && c.vm && workload_plan_vm(p, c.vm) < 0)
		r = -1;
	if (r == 0 && p) {
		switch (which) {
		case 0:
			r = do_create(&c, p);
			break;
		case 1:
			r = c.output ? residency_series(&c, p) :
				       do_residency(&c, p, &sel);
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
