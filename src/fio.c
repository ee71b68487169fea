// SPDX-License-Identifier: MIT
/*
 * daxlab fio job|run (the seed's fioctl.py and `bin/fio --client`): the
 * job file for the workload's file sets, and runs with their summary.
 */
#include "daxlab.h"
#include "config.h"
#include "fileset.h"
#include "fiofwd.h"
#include "fiojob.h"
#include "statedir.h"
#include "fioprobe.h"
#include "fioresult.h"
#include "fiover.h"
#include "spawn.h"
#include "strv.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 256

struct fio_ctl {
	struct workload_args w; /* w.cmd: "fio job" or "fio run" */
	struct fiojob_opts job;
	struct workload_config flags; /* --rw, --bs, --runtime, --ioengine */
	const char *output;
	bool host_side;
	bool no_link;
	const char *vm;
	const char *hosts[MAX_HOSTS]; /* --client / --host */
	size_t n_hosts;
	/* run */
	const char *job_path;
	const char *host_list;
	const char *json;
	const char *fio;
	bool local;
	double max_dev; /* percentage points; < 0: no check */
	unsigned wait; /* seconds to wait for the servers to answer */
};

enum {
	OPT_RW = WL_OPT_END,
	OPT_BS,
	OPT_RUNTIME,
	OPT_IOENGINE,
	OPT_DIRECT,
	OPT_WARM,
	OPT_HOST_SIDE,
	OPT_SHARED_PATH,
	OPT_PRIVATE_PATH,
	OPT_VM,
	OPT_NO_LINK,
	OPT_JOB,
	OPT_HOSTS,
	OPT_JSON,
	OPT_FIO,
	OPT_LOCAL,
	OPT_MAX_DEV,
	OPT_WAIT,
};

static const struct option job_longopts[] = {
	WORKLOAD_LONGOPTS,
	{ "rw", required_argument, NULL, OPT_RW },
	{ "bs", required_argument, NULL, OPT_BS },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "ioengine", required_argument, NULL, OPT_IOENGINE },
	{ "direct", no_argument, NULL, OPT_DIRECT },
	{ "warm", no_argument, NULL, OPT_WARM },
	{ "host-side", no_argument, NULL, OPT_HOST_SIDE },
	{ "shared-path", required_argument, NULL, OPT_SHARED_PATH },
	{ "private-path", required_argument, NULL, OPT_PRIVATE_PATH },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "host", required_argument, NULL, 'H' },
	{ "no-link", no_argument, NULL, OPT_NO_LINK },
	{ "output", required_argument, NULL, 'o' },
	COMMON_LONGOPTS,
};

static const struct option run_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "job", required_argument, NULL, OPT_JOB },
	{ "hosts", required_argument, NULL, OPT_HOSTS },
	{ "client", required_argument, NULL, 'H' },
	{ "local", no_argument, NULL, OPT_LOCAL },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "fio", required_argument, NULL, OPT_FIO },
	{ "max-deviation", required_argument, NULL, OPT_MAX_DEV },
	{ "wait", required_argument, NULL, OPT_WAIT },
	COMMON_LONGOPTS,
};

static void usage(void)
{
	fputs("Usage:\n"
	      " daxlab fio job [OPTIONS] [--output FILE]\n"
	      " daxlab fio run [OPTIONS]\n"
	      "\n"
	      "fio job files for the workload's file sets, and runs of them in the\n"
	      "guests (the seed's fioctl.py and fio's client mode). Invoked as\n"
	      "fioctl, daxlab runs daxlab fio job.\n"
	      "\n"
	      "Commands:\n"
	      "  job   write the job file, FIO/current and FIO/host.list\n"
	      "  run   run the job with fio --client and print the split achieved\n"
	      "\n"
	      "job: one job per set (shared/private x hot/cold) in one flow_id, with\n"
	      "flow weights round(1000 x share), time_based, the same runtime.\n",
	      stdout);
	fputs(WORKLOAD_USAGE, stdout);
	fputs("     --rw MODE              randread (default), read, randwrite, ...\n"
	      "     --bs SIZE              block size of every job (4k)\n"
	      "     --runtime SECONDS      run time of every job (60)\n"
	      "     --ioengine ENGINE      psync (default), mmap, sync, vsync, pvsync,\n"
	      "                              pvsync2, libaio or io_uring\n"
	      "     --direct               O_DIRECT (direct=1)\n"
	      "     --warm                 keep cached data (invalidate=0)\n"
	      "     --shared-path DIR      the shared set in the guests (the shared\n"
	      "                              share's mount, or /srv/dax/shared)\n"
	      "     --private-path DIR     the private set in the guests (the private\n"
	      "                              share's mount, or /srv/dax/private)\n"
	      "     --host-side            use the host folders instead (local runs)\n"
	      "     --shared-dir DIR       host folder of the shared set\n"
	      "     --private-dir DIR      host folder of a private set; %i is the VM id\n"
	      "     --vms N                number of VMs (1)\n"
	      "     --vm ID                the VM whose private folder --host-side uses\n"
	      " -H, --host HOST[,PORT]     a line of the host list (repeatable; default\n"
	      "                              the config's VMs, forwarded by ssh:\n"
	      "                              sock:STATE_DIR/vm-ID/fio.sock)\n"
	      " -o, --output FILE          the job file (default: standard output); also\n"
	      "                              updates FIO/current and writes FIO/host.list,\n"
	      "                              FIO being the folder above jobs/\n"
	      "     --no-link              do not touch FIO/current and FIO/host.list\n"
	      "\n"
	      "run: fio --client against the hosts, fio's JSON (its output) kept;\n"
	      "prints per host and set the share of I/O achieved against the share\n"
	      "asked, IOPS, bandwidth and completion latency p50 and p99. First,\n"
	      "each host that is a VM of the config is asked over ssh for its fio\n"
	      "--version: fio's client and server must be the same version, and a\n"
	      "guest of another version (or without fio) stops the run, naming the\n"
	      "VM and both versions.\n"
	      "     --job FILE             the job (default fio/current)\n"
	      "     --hosts FILE           host list (default host.list next to current)\n"
	      " -H, --client HOST[,PORT]   a host (repeatable), instead of --hosts\n"
	      "     --local                run fio here, not as a client\n"
	      "     --json FILE            where fio's JSON goes (default\n"
	      "                              FIO/results/YYYYmmdd-HHMMSS.json)\n"
	      "     --fio PATH             the fio binary (default fio); the guests'\n"
	      "                              fio must be its version\n"
	      "     --max-deviation PTS    fail when a set's share is off by more\n"
	      "     --wait SECONDS         wait for every server to answer first (60;\n"
	      "                              0: do not ask)\n"
	      "\n"
	      " -q, --quiet                no info on stderr\n"
	      " -h, --help                 display this help\n"
	      " -V, --version              display version\n"
	      "\n"
	      "See daxlab-fio(1).\n",
	      stdout);
}

/* The config's first pass, then the job's defaults from the config. */
static void parse_config_first(struct fio_ctl *c, int argc, char **argv,
			       const char *shortopts,
			       const struct option *longopts)
{
	workload_args_config(&c->w, argc, argv, shortopts, longopts);
	if (!c->w.config)
		return;
	fiojob_opts_from_config(&c->job, &c->w.config->workload, &c->w.cfgdata);
}

/* HOST[,PORT], checked before anything is written or started */
static void add_host(struct fio_ctl *c, const char *h)
{
	const char *comma = strchr(h, ',');
	unsigned port;

	if (c->n_hosts == MAX_HOSTS)
		usage_error(c->w.cmd, "more than %d hosts", MAX_HOSTS);
	if (!*h || comma == h || strpbrk(h, " \t\n"))
		usage_error(c->w.cmd, "bad host '%s'", h);
	if (comma && parse_uint_range(comma + 1, 1, 65535, &port) < 0)
		usage_error(
			c->w.cmd,
			"bad port in host '%s': HOST[,PORT], PORT in 1..65535",
			h);
	c->hosts[c->n_hosts++] = h;
}

/* A job flag, checked as daxlab.ini's [workload] key of its name. */
static void set_job_key(struct fio_ctl *c, const char *key, const char *v)
{
	struct error err = { 0 };
	int r = config_workload_set(&c->flags, key, v, &err);

	if (r == -ENOMEM)
		die("out of memory");
	if (r < 0)
		usage_error(c->w.cmd, "%s", err.msg);
}

static void parse_job_args(struct fio_ctl *c, int argc, char **argv)
{
	static const char shortopts[] = ":c:H:o:qhV";
	/* of OPT_RW ... OPT_IOENGINE, in that order */
	static const char *const job_keys[] = { "rw", "bs", "runtime",
						"ioengine" };
	const struct workload_spec *spec = &c->w.spec;
	int o;

	parse_config_first(c, argc, argv, shortopts, job_longopts);
	while ((o = getopt_long(argc, argv, shortopts, job_longopts, NULL)) !=
	       -1) {
		switch (o) {
		case OPT_RW:
		case OPT_BS:
		case OPT_RUNTIME:
		case OPT_IOENGINE:
			set_job_key(c, job_keys[o - OPT_RW], optarg);
			break;
		case OPT_DIRECT:
			c->job.direct = true;
			break;
		case OPT_WARM:
			c->job.warm = true;
			break;
		case OPT_HOST_SIDE:
			c->host_side = true;
			break;
		case OPT_SHARED_PATH:
			c->job.shared_path = optarg;
			break;
		case OPT_PRIVATE_PATH:
			c->job.private_path = optarg;
			break;
		case OPT_VM:
			c->vm = optarg;
			break;
		case 'H':
			add_host(c, optarg);
			break;
		case OPT_NO_LINK:
			c->no_link = true;
			break;
		case 'o':
			c->output = optarg;
			break;
		default:
			workload_args_option(&c->w, o, optarg, usage);
		}
	}
	if (optind < argc)
		usage_error(c->w.cmd, "unexpected argument '%s'", argv[optind]);
	if (c->flags.rw)
		c->job.rw = c->flags.rw;
	if (c->flags.bs)
		c->job.bs = c->flags.bs_bytes;
	if (c->flags.runtime)
		c->job.runtime = c->flags.runtime;
	if (c->flags.ioengine)
		c->job.ioengine = c->flags.ioengine;
	workload_args_done(&c->w);
	if (c->host_side && !spec->shared_dir && spec->private_ratio < 100)
		usage_error(c->w.cmd,
			    "--host-side needs --shared-dir (or a config)");
	if (c->host_side && !spec->private_dir && !spec->vm_private_dirs &&
	    spec->private_ratio > 0)
		usage_error(c->w.cmd,
			    "--host-side needs --private-dir (or a config)");
}

/*
 * host.list lines: --host as "HOST,PORT", else the config's VMs as
 * "sock:state_dir/vm-ID/fio.sock", which fio run forwards over ssh.
 */
static int write_host_list(struct fio_ctl *c, const char *fio_dir)
{
	_cleanup_free_ char *path = strdup_printf("%s/host.list", fio_dir);
	_cleanup_strv_ char **words = NULL;
	const struct lab_config *cfg = c->n_hosts ? NULL : c->w.config;
	struct strv b = { 0 };
	size_t n = 0;
	int r;

	if (!path)
		return error("out of memory");
	for (; n < c->n_hosts; n++) {
		const char *comma = strrchr(c->hosts[n], ',');
		unsigned port = 8765;

		if (str_has_prefix(c->hosts[n], "sock:")) {
			strv_push(&b, c->hosts[n]);
			continue;
		}
		if (comma && parse_uint_range(comma + 1, 1, 65535, &port) < 0)
			return error("bad port in host '%s'", c->hosts[n]);
		strv_pushf(&b, "%.*s,%u",
			   (int)(comma ? comma - c->hosts[n] :
					 (ptrdiff_t)strlen(c->hosts[n])),
			   c->hosts[n], port);
	}
	/* no --host: the config's VMs */
	for (size_t i = 0; cfg && i < cfg->n_vms && n < MAX_HOSTS; i++, n++) {
		_cleanup_free_ char *w = fiofwd_client(cfg, &cfg->vms[i]);

		if (!w)
			return error("out of memory");
		strv_push(&b, w);
	}
	if (!n) {
		info("no hosts (no --host, no VMs in a config): %s not written",
		     path);
		return 0;
	}
	words = strv_steal(&b);
	if (!words)
		return error("out of memory");
	r = fiojob_write_host_list(path, (const char *const *)words);
	if (r < 0)
		return error_errno(r, "cannot write %s", path);
	info("wrote %s (%zu hosts)", path, n);
	return 0;
}

/* Creates the folder that path is in, if it names one; reported. */
static int make_parent(const char *path)
{
	struct error err = { 0 };

	if (mkdir_parent(path, 0755, &err) < 0)
		return error("%s", err.msg);
	return 0;
}

static void plan_freep(struct fileset_plan **p)
{
	fileset_plan_free(*p);
}

static int do_job(struct fio_ctl *c)
{
	__attribute__((cleanup(plan_freep))) struct fileset_plan *p = NULL;
	_cleanup_free_ char *text = NULL, *fio_dir = NULL;
	struct error err = { 0 };
	int r;

	if (!c->host_side) {
		/* the guests' paths: only names matter, no host folders */
		c->w.spec.shared_dir = NULL;
		c->w.spec.private_dir = NULL;
		c->w.spec.vm_private_dirs = NULL;
	}
	if (workload_args_plan(&c->w, &p) < 0)
		return -1;
	if (c->host_side) {
		int v = c->vm ? workload_plan_vm(p, c->vm) : 0;

		if (v < 0)
			return -1;
		if (p->spec.shared_dir)
			c->job.shared_path = p->spec.shared_dir;
		if (p->vm_dirs[v])
			c->job.private_path = p->vm_dirs[v];
	}
	r = fiojob_render(p, &c->job, &text, &err);
	if (r < 0)
		return error("%s", err.msg[0] ? err.msg : strerror(-r));
	if (!c->output || !strcmp(c->output, "-")) {
		fputs(text, stdout);
		return 0;
	}
	if (make_parent(c->output) < 0)
		return -1;
	if (write_file_atomic(c->output, text, strlen(text), 0644, &err) < 0)
		return error("%s", err.msg);
	if (!c->no_link) {
		fio_dir = fiojob_fio_dir(c->output);
		if (!fio_dir)
			return error("out of memory");
		r = fiojob_update_current(fio_dir, c->output);
		if (r < 0)
			return error_errno(r, "cannot update %s/current",
					   fio_dir);
		if (write_host_list(c, fio_dir) < 0)
			return -1;
	}
	info("wrote %s", c->output);
	return 0;
}

static void parse_run_args(struct fio_ctl *c, int argc, char **argv)
{
	static const char shortopts[] = ":c:H:qhV";
	int o;

	parse_config_first(c, argc, argv, shortopts, run_longopts);
	while ((o = getopt_long(argc, argv, shortopts, run_longopts, NULL)) !=
	       -1) {
		switch (o) {
		case OPT_JOB:
			c->job_path = optarg;
			break;
		case OPT_HOSTS:
			c->host_list = optarg;
			break;
		case 'H':
			add_host(c, optarg);
			break;
		case OPT_LOCAL:
			c->local = true;
			break;
		case OPT_JSON:
			c->json = optarg;
			break;
		case OPT_FIO:
			c->fio = optarg;
			break;
		case OPT_MAX_DEV: {
			char *end;

			errno = 0;
			c->max_dev = strtod(optarg, &end);
			if (errno || *end || end == optarg || c->max_dev < 0)
				usage_error(
					c->w.cmd,
					"max-deviation '%s' is not a number of points",
					optarg);
			break;
		}
		case OPT_WAIT:
			if (parse_uint_range(optarg, 0, 3600, &c->wait) < 0)
				usage_error(
					c->w.cmd,
					"wait '%s' is not a number of seconds in 0..3600",
					optarg);
			break;
		default:
			workload_args_option(&c->w, o, optarg, usage);
		}
	}
	if (optind < argc)
		usage_error(c->w.cmd, "unexpected argument '%s'", argv[optind]);
	if (c->local && (c->n_hosts || c->host_list))
		usage_error(c->w.cmd, "--local excludes --hosts and --client");
	if (c->n_hosts && c->host_list)
		usage_error(c->w.cmd,
			    "--hosts and --client exclude each other");
}

static void print_duration_ns(double ns)
{
	char b[32];

	if (ns >= 1e6)
		snprintf(b, sizeof(b), "%.2fms", ns / 1e6);
	else
		snprintf(b, sizeof(b), "%.1fus", ns / 1e3);
	printf(" %10s", b);
}

/*
 * The config's VM behind a host-list word, "sock:state_dir/vm-ID/fio.sock"
 * as `fio job` writes them (lib/fiofwd.h), or NULL.
 */
static const struct vm_config *vm_of_client(const struct lab_config *c,
					    const char *word)
{
	for (size_t i = 0; i < c->n_vms; i++) {
		_cleanup_free_ char *w = fiofwd_client(c, &c->vms[i]);

		if (w && !strcmp(w, word))
			return &c->vms[i];
	}
	return NULL;
}

/* The config's VM behind fio's "PATH:PORT" of a sock: client, or "-". */
static const char *vm_of_host(const struct fio_ctl *c, const char *host)
{
	const struct vm_config *vm = NULL;
	const char *colon = strrchr(host, ':');
	_cleanup_free_ char *w = NULL;

	if (c->w.config && colon)
		w = strdup_printf("sock:%.*s", (int)(colon - host), host);
	if (w)
		vm = vm_of_client(c->w.config, w);
	return vm ? vm->id : "-";
}

/*
 * The table; returns -1 when a set got no I/O or is off by more than max,
 * or fewer than want hosts have results.
 */
static int report(struct fio_ctl *c, const struct fio_result *res,
		  const struct fiojob_section *secs, size_t nsec, size_t want)
{
	const char *hosts[MAX_HOSTS];
	size_t nh = fioresult_hosts(res, hosts, MAX_HOSTS);
	unsigned wsum = 0;
	int ret = 0;

	for (size_t s = 0; s < nsec; s++)
		wsum += secs[s].flow;
	printf("%-6s %-22s %-13s %8s %9s %11s %12s %10s %10s\n", "VM", "HOST",
	       "SET", "ASKED", "ACHIEVED", "IOPS", "BW", "P50", "P99");
	for (size_t h = 0; h < nh; h++) {
		uint64_t total = fioresult_host_ios(res, hosts[h]);

		for (size_t s = 0; s < nsec; s++) {
			const struct fio_jobres *j =
				fioresult_find(res, hosts[h], secs[s].name);
			double asked = wsum ? 100.0 * secs[s].flow / wsum : 0;
			double got;
			char bw[32], jn[64], hn[128];

			if (!j) {
				ret = error(
					"%s: job %s is missing in fio's output",
					hosts[h], secs[s].name);
				continue;
			}
			got = total ? 100.0 * (double)j->ios / (double)total :
				      0;
			/* fio.json's, which a guest's fio server writes */
			snprintf(jn, sizeof(jn), "%s", j->name);
			snprintf(hn, sizeof(hn), "%s", hosts[h]);
			str_no_controls(jn);
			str_no_controls(hn);
			printf("%-6s %-22s %-13s %7.2f%% %8.2f%% %11.1f %10s/s",
			       vm_of_host(c, hosts[h]), hn, jn, asked, got,
			       j->iops,
			       format_bytes((uint64_t)j->bw_bytes, bw,
					    sizeof(bw)));
			print_duration_ns(j->p50_ns);
			print_duration_ns(j->p99_ns);
			putchar('\n');
			if (j->error)
				ret = error("%s: job %s failed with error %d",
					    hosts[h], j->name, j->error);
			if (secs[s].flow && !j->ios)
				ret = error("%s: job %s did no I/O", hosts[h],
					    j->name);
			if (c->max_dev >= 0 && fabs(got - asked) > c->max_dev)
				ret = error(
					"%s: %s got %.2f%% of the I/O, asked %.2f%% (more than %.2f points off)",
					hosts[h], j->name, got, asked,
					c->max_dev);
		}
	}
	if (nh < want)
		ret = error("fio's JSON holds results of %zu of the %zu hosts",
			    nh, want);
	return ret;
}

/*
 * The whitespace-separated words of a host list file, allocated in *ret
 * (NUL-separated), the first max of them in words; returns how many the
 * file holds.
 */
static size_t read_hosts(const char *path, char **ret, const char **words,
			 size_t max)
{
	size_t n = 0, len;
	char *text = NULL;

	if (read_full_file(path, 1u << 20, &text, &len) < 0)
		return 0;
	for (char *t = strtok(text, " \t\n"); t; t = strtok(NULL, " \t\n"), n++)
		if (n < max)
			words[n] = t;
	*ret = text;
	return n;
}

static int wait_for_hosts(struct fio_ctl *c, const char *fio,
			  const char *const *hosts, size_t n)
{
	int64_t deadline = now_monotonic_ns() + (int64_t)c->wait * 1000000000;
	_cleanup_free_ char *probe = NULL;
	int r = fioprobe_job(&probe);

	/*
	 * An ssh forward accepts connections before the guest's server
	 * listens, and a client that then loses a host still exits 0, so ask
	 * before the real run.
	 */
	if (r < 0)
		return error_errno(r, "cannot write a probe job under /tmp");
	for (size_t i = 0; i < n; i++) {
		while (!fioprobe_answers(fio, hosts[i], probe)) {
			if (now_monotonic_ns() > deadline) {
				r = error(
					"fio server %s does not answer (waited %u s)",
					hosts[i], c->wait);
				break;
			}
			usleep(500000);
		}
		if (r)
			break;
	}
	unlink(probe);
	return r;
}

/*
 * fio's client and servers must be the same version, or fio fails with
 * exit 1 and no more (and the servers never answer wait_for_hosts()'s
 * probe): every server that is a VM of the config is asked first.
 */
static int check_versions(struct fio_ctl *c, const char *fio,
			  const char *const *hosts, size_t n)
{
	const struct lab_config *cfg = c->w.config;
	_cleanup_free_ char *sshcfg = NULL;
	_cleanup_free_ struct fiover_vm *v = NULL;
	const char *vhost[MAX_HOSTS];
	char host[64];
	struct error err = { 0 };
	size_t nv = 0;
	int r = 0;

	if (!cfg) {
		info("no config: the fio versions of the servers are not checked");
		return 0;
	}
	sshcfg = statedir_ssh_config(cfg);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!sshcfg || !v)
		return error("out of memory");
	if (fiover_host(fio, host, sizeof(host), &err) < 0)
		return error("%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		const struct vm_config *vm = vm_of_client(cfg, hosts[i]);

		if (!vm) {
			info("fio server %s is not a VM of %s: its fio version is not checked",
			     hosts[i], cfg->path);
			continue;
		}
		vhost[nv] = hosts[i];
		v[nv++].vm = vm;
	}
	fiover_check_vms(sshcfg, fio, host, v, nv);
	for (size_t i = 0; i < nv; i++) {
		if (v[i].r < 0)
			r = error("%s", v[i].err.msg);
		else
			info("vm %s (%s): %s, as on this host", v[i].vm->id,
			     vhost[i], v[i].version);
	}
	return r;
}

struct forwards {
	struct fiofwd fw[MAX_HOSTS];
	size_t n;
};

static void forwards_stop(struct forwards *f)
{
	fiofwd_stop(f->fw, f->n);
	f->n = 0;
}

/* The ssh forwards of the hosts that are VMs of the config (fiofwd.h). */
static int forwards_start(struct fio_ctl *c, const char *const *hosts, size_t n,
			  struct forwards *f)
{
	const struct lab_config *cfg = c->w.config;
	const struct vm_config *vms[MAX_HOSTS];
	struct error err = { 0 };
	size_t nv = 0;
	int r;

	for (size_t i = 0; cfg && i < n; i++) {
		const struct vm_config *vm = vm_of_client(cfg, hosts[i]);
		size_t j = 0;

		while (j < nv && vms[j] != vm)
			j++;
		if (vm && j == nv) /* once, if listed twice */
			vms[nv++] = vm;
	}
	if (!nv)
		return 0;
	r = fiofwd_start(cfg, vms, nv, f->fw,
			 now_monotonic_ns() + 60 * INT64_C(1000000000), NULL,
			 &err);
	if (r < 0)
		return error("%s", err.msg[0] ? err.msg : strerror(-r));
	f->n = nv;
	return 0;
}

/* The job file's folder layout: FIO/current -> jobs/x.fio. */
static char *default_json(const char *job)
{
	_cleanup_free_ char *dir = fiojob_fio_dir(job);
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	if (!dir)
		return NULL;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return strdup_printf("%s/results/%s.json", dir, stamp);
}

static int do_run(struct fio_ctl *c)
{
	const char *job = c->job_path ? c->job_path : "fio/current";
	_cleanup_free_ char *jobtext = NULL, *json_path = NULL;
	_cleanup_free_ char *hostlist = NULL;
	_cleanup_free_ char *client_arg = NULL;
	_cleanup_close_ int json_fd = -1;
	_cleanup_free_ char *words_text = NULL;
	const char *words[MAX_HOSTS];
	size_t nw = 0, n_listed = 0;
	const char *argv[8 + 3 * MAX_HOSTS];
	struct fiojob_section secs[16];
	struct fio_result *res = NULL;
	struct forwards fw __attribute__((cleanup(forwards_stop))) = { 0 };
	struct spawn_opts so;
	size_t n = 0, len;
	int nsec, r, status;
	pid_t pid;

	r = read_full_file(job, 16u << 20, &jobtext, &len);
	if (r < 0)
		return error_errno(r, "cannot read job %s", job);
	nsec = fiojob_parse_flows(jobtext, secs, ARRAY_SIZE(secs));
	if (nsec <= 0)
		return error("%s: no jobs in the job file", job);

	json_path = c->json ? strdup(c->json) : default_json(job);
	if (!json_path)
		return error("out of memory");
	if (make_parent(json_path) < 0)
		return -1;
	unlink(json_path);

	if (!c->local && !c->n_hosts) {
		if (c->host_list) {
			hostlist = strdup(c->host_list);
		} else {
			_cleanup_free_ char *dir = fiojob_fio_dir(job);

			hostlist =
				dir ? strdup_printf("%s/host.list", dir) : NULL;
		}
		if (!hostlist)
			return error("out of memory");
		if (access(hostlist, R_OK) < 0)
			return error_errno(errno, "cannot read host list %s",
					   hostlist);
	}
	/*
	 * fio's JSON goes to its stdout, which we keep in the file: with
	 * --output, fio also sends the option to every server, which then
	 * fails to open that path in the guest and reports nothing.
	 */
	argv[n++] = c->fio ? c->fio : "fio";
	argv[n++] = "--output-format=json";
	if (hostlist) {
		client_arg = strdup_printf("--client=%s", hostlist);
		if (!client_arg)
			return error("out of memory");
		argv[n++] = client_arg;
		argv[n++] = job;
	} else if (c->n_hosts) {
		for (size_t i = 0; i < c->n_hosts; i++) {
			argv[n++] = "--client";
			argv[n++] = c->hosts[i];
			/* fio wants each client's job right after it */
			argv[n++] = job;
		}
	} else {
		argv[n++] = job;
	}
	argv[n] = NULL;

	if (!c->local) {
		if (hostlist) {
			n_listed = read_hosts(hostlist, &words_text, words,
					      MAX_HOSTS);
			nw = n_listed < MAX_HOSTS ? n_listed : MAX_HOSTS;
		} else {
			for (nw = 0; nw < c->n_hosts; nw++)
				words[nw] = c->hosts[nw];
		}
		/*
		 * first the forwards, which refuse a VM whose server others
		 * can reach; then the versions: a server of another version
		 * never answers
		 */
		if (forwards_start(c, words, nw, &fw) < 0 ||
		    check_versions(c, argv[0], words, nw) < 0)
			return -1;
	}
	json_fd =
		open(json_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (json_fd < 0)
		return error_errno(errno, "cannot create %s", json_path);
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = json_fd;
	if (!c->local && c->wait && wait_for_hosts(c, argv[0], words, nw) < 0)
		return -1;
	r = spawn(&so, &pid);
	if (r < 0)
		return error_errno(r, "cannot run %s", argv[0]);
	info("running %s on %s", job,
	     hostlist	? hostlist :
	     c->n_hosts ? "the given clients" :
			  "this host");
	status = spawn_wait(pid);
	forwards_stop(&fw);

	{
		_cleanup_free_ char *text = NULL;

		r = read_full_file(json_path, 256u << 20, &text, &len);
		if (r < 0) {
			if (status)
				return error(
					"fio failed (exit status %d) and wrote no JSON to %s",
					status, json_path);
			return error_errno(r, "cannot read fio's output %s",
					   json_path);
		}
		r = fioresult_parse(text, &res);
		if (r < 0) {
			if (status)
				return error(
					"fio failed (exit status %d); %s holds no results",
					status, json_path);
			return error("%s: no results in fio's JSON", json_path);
		}
	}
	r = report(c, res, secs, (size_t)nsec,
		   c->local   ? 1 :
		   c->n_hosts ? c->n_hosts :
				n_listed);
	fioresult_free(res);
	info("fio's JSON: %s", json_path);
	if (status)
		return error(
			"fio failed with exit status %d (see its messages above; a missing file fails the run even when the JSON says error 0)",
			status);
	return r;
}

int cmd_fio(int argc, char **argv)
{
	static const char *const cmds[] = { "job", "run" };
	struct fio_ctl c = { .max_dev = -1, .wait = 60 };
	char cmdname[32];
	bool job;
	int r;

	job = pick_command("fio", argc, argv, cmds, ARRAY_SIZE(cmds), usage) ==
	      0;
	snprintf(cmdname, sizeof(cmdname), "fio %s", argv[1]);
	workload_args_init(&c.w, cmdname);
	fiojob_opts_init(&c.job);
	if (job) {
		parse_job_args(&c, argc - 1, argv + 1);
		r = do_job(&c);
	} else {
		parse_run_args(&c, argc - 1, argv + 1);
		r = do_run(&c);
	}
	free(c.flags.rw);
	free(c.flags.bs);
	free(c.flags.ioengine);
	workload_args_free(&c.w);
	return r < 0 ? 1 : 0;
}
