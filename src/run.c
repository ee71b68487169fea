// SPDX-License-Identifier: MIT
/*
 * daxlab run: the seed's whole procedure in one command. Files, VMs,
 * mounts checked, page cache brought to the starting state, fio job,
 * monitor on host cgroups and guests, fio through the client, tail,
 * residency, VMs stopped, report. A failure or SIGINT/SIGTERM at any step
 * tears everything down and keeps the partial results, marked incomplete.
 */
#include "daxlab.h"

#include "build-config.h"
#include "config.h"
#include "fileset.h"
#include "fleet.h"
#include "fiojob.h"
#include "fioresult.h"
#include "fiover.h"
#include "provenance.h"
#include "qemu.h"
#include "report.h"
#include "results.h"
#include "spawn.h"
#include "statedir.h"
#include "strv.h"
#include "sweep.h"
#include "util.h"
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SWEEP SWEEP_MAX_KEYS
#define MAX_VALUES SWEEP_MAX_VALUES

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct run_opts {
	const char *config;
	const char *name;
	const char *results;
	uint64_t tail_ms;
	unsigned interval_ms;
	bool warm;
	struct sweep_key sweep[MAX_SWEEP];
	size_t n_sweep;
	unsigned repeat;     /* --repeat, default 1 */
	double alpha;        /* --alpha: the sweep summary's markers */
	int order;           /* --order: -1 not given, 0 sequential, 1 shuffled */
	bool seed_given;
	uint64_t seed;
	const char *resume;  /* --resume DIR */
	long point;          /* --point I: only run I of the manifest, or -1 */
	bool slurm;          /* --slurm: submit the runs as a job array */
	const char *slurm_opts[32];
	size_t n_slurm_opts;
	unsigned slurm_parallel; /* --slurm-parallel K: %K, 0 none */
};

/* One experiment's state; everything teardown() has to undo. */
struct run {
	const struct run_opts *o;
	struct lab_config *c;
	char *dir;
	const char *step;
	int64_t t0_ns;
	struct vm_env env;
	bool env_ok;
	/* FLEET_STARTING: vm_start called (maybe half-way); FLEET_UP: ready */
	enum fleet_state vm_state[FLEET_MAX];
	pid_t monitor;
	pid_t residency; /* the residency sampler (files residency --output) */
	char *resident; /* daxlab-resident on the host, or NULL */
	pid_t fio;
	struct fileset_plan *plan;
	struct workload_cfgdata cfgdata;
	struct workload_spec spec;
	struct provenance prov;
	char reason[1024];
	bool failed; /* the measurement ran but is not valid (fio failed) */
	char *point; /* "private_ratio=25" or NULL */
	char vm_died[900]; /* "vm 1 had died: killed by ..." (teardown) */
	pid_t guard; /* see guard_start() */
	int guard_fd; /* its pipe's write end, or -1 */
};

static void progress(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void progress(struct run *r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *line = NULL;
	double t = (double)(now_monotonic_ns() - r->t0_ns) / 1e9;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	line = strdup_printf("[%6.1fs] %s\n", t, msg);
	if (!line)
		return;
	if (!daxlab_quiet)
		fputs(line, stderr);
	if (r->dir)
		results_append(r->dir, "run.log", line);
}

static void guard_say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void step(struct run *r, const char *name)
{
	r->step = name;
	guard_say(r, "step %s\n", name);
	progress(r, "%s", name);
}

/* Records why the run failed (first failure wins) and returns -1. */
static int fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct run *r, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "step '%s' failed: %s",
			 r->step, msg);
	error("%s", msg);
	if (r->dir) {
		_cleanup_free_ char *line = strdup_printf("error: %s\n", msg);

		if (line)
			results_append(r->dir, "run.log", line);
	}
	return -1;
}

static bool interrupted(struct run *r)
{
	if (!got_signal)
		return false;
	if (!r->reason[0])
		snprintf(r->reason, sizeof(r->reason),
			 "interrupted by %s during step '%s'",
			 got_signal == SIGINT ? "SIGINT" : "SIGTERM", r->step);
	return true;
}

static void vm_report_cb(void *ud, enum vm_report kind, const char *msg)
{
	struct run *r = ud;

	if (kind == VM_REPORT_WARN) {
		_cleanup_free_ char *line = strdup_printf("warning: %s\n", msg);

		warning("%s", msg);
		if (line && r->dir)
			results_append(r->dir, "run.log", line);
		return;
	}
	progress(r, "  %s", msg);
}

/* Sleeps up to ms; false when a signal came. */
static bool nap(struct run *r, int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	return !interrupted(r);
}

/*
 * Waits for pid; *ret_code gets its exit code. Returns -EINTR when a
 * signal came first (the child is left running).
 */
static int wait_child(struct run *r, pid_t pid, int *ret_code)
{
	for (;;) {
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			*ret_code = WIFEXITED(st) ? WEXITSTATUS(st) :
						    128 + WTERMSIG(st);
			return 0;
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		if (!nap(r, 100))
			return -EINTR;
	}
}

/* SIGTERM, then SIGKILL after ms; reaps. */
static int stop_child(pid_t pid, int64_t ms)
{
	int st;

	if (pid <= 0)
		return 0;
	kill(pid, SIGTERM);
	for (int64_t t = 0; t < ms; t += 50) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
					       128 + WTERMSIG(st);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 128 + SIGKILL;
}

/* --- configuration and sweeps --- */

static int apply_workload(struct lab_config *c, const char *key, const char *v,
			  char *err, size_t errlen)
{
	char msg[512];
	int r = config_workload_set(&c->workload, key, v, msg, sizeof(msg));

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		snprintf(err, errlen, "--sweep: %s", msg);
		return -EINVAL;
	}
	c->has_workload = true;
	return 0;
}

/*
 * The config file's text with [workload] keys replaced by the sweep
 * point's values (added when absent), and a header saying where it came
 * from.
 */
static char *config_as_used(const struct run *r, const char *const *keys,
			    const char *const *vals, size_t n)
{
	_cleanup_free_ char *text = NULL;
	char *buf = NULL;
	size_t len = 0;
	bool in_workload = false, seen_workload = false;
	bool done[MAX_SWEEP + 1] = { false };
	FILE *f;

	if (read_full_file(r->c->path, 4u << 20, &text, NULL) < 0)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f,
		"; daxlab run: the configuration as used, from %s\n"
		"; (relative paths are relative to that file's folder)\n",
		r->c->path);
	if (r->point)
		fprintf(f, "; sweep point: %s\n", r->point);
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		const char *p = l;
		bool replaced = false;

		if (nl)
			*nl = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[') {
			if (in_workload)
				for (size_t i = 0; i < n; i++)
					if (!done[i]) {
						fprintf(f, "%s = %s\n", keys[i],
							vals[i]);
						done[i] = true;
					}
			in_workload = !strncmp(p, "[workload]", 10);
			seen_workload |= in_workload;
		} else if (in_workload) {
			for (size_t i = 0; i < n; i++) {
				size_t kl = strlen(keys[i]);

				if (!strncmp(p, keys[i], kl) &&
				    (p[kl] == ' ' || p[kl] == '=' ||
				     p[kl] == '\t')) {
					fprintf(f,
						"%s = %s ; daxlab run --sweep\n",
						keys[i], vals[i]);
					done[i] = replaced = true;
				}
			}
		}
		if (!replaced)
			fprintf(f, "%s\n", l);
		l = nl ? nl + 1 : NULL;
	}
	if (!seen_workload && n)
		fprintf(f, "[workload]\n");
	for (size_t i = 0; i < n; i++)
		if (!done[i])
			fprintf(f, "%s = %s ; daxlab run --sweep\n", keys[i],
				vals[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --- provenance --- */

static int save_provenance(struct run *r)
{
	return provenance_write(r->dir, &r->prov);
}

/* --- the steps --- */

static int write_cmdlines(struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = 0;

	if (!f)
		return fail(r, "out of memory");
	fprintf(f, "# the exact argument lists daxlab run started, one per "
		   "line, shell-quoted\n");
	for (size_t i = 0; i < r->c->n_vms; i++) {
		const struct vm_config *vm = &r->c->vms[i];
		char ***fsd = NULL;
		char **qemu = NULL;

		if (vm_cmdlines(&r->env, vm, &fsd, &qemu) < 0) {
			ret = fail(r, "vm %s: %s", vm->id, r->env.err);
			break;
		}
		for (size_t k = 0; fsd && fsd[k]; k++) {
			_cleanup_free_ char *l =
				shell_join((const char *const *)fsd[k]);

			fprintf(f, "vm %s virtiofsd: %s\n", vm->id, l ? l : "");
		}
		{
			_cleanup_free_ char *l =
				shell_join((const char *const *)qemu);

			fprintf(f, "vm %s qemu: %s\n", vm->id, l ? l : "");
		}
		vm_cmdlines_free(fsd, qemu);
	}
	if (fclose(f) != 0) {
		free(buf);
		return fail(r, "out of memory");
	}
	if (ret == 0 && results_write(r->dir, "cmdlines.txt", buf) < 0)
		ret = fail(r, "cannot write %s/cmdlines.txt", r->dir);
	free(buf);
	return ret;
}

/* A signal stops the writing at once; fileset_create() undoes it. */
static bool create_progress(void *ud, uint64_t done, uint64_t total)
{
	(void)ud;
	(void)done;
	(void)total;
	return !got_signal;
}

static int create_files(struct run *r)
{
	char err[512] = "";
	struct fileset_create_result res = { 0 };
	_cleanup_free_ char *manifest = NULL;
	int ret;

	ret = workload_spec_from_config(r->c, &r->spec, &r->cfgdata, err,
					sizeof(err));
	if (ret < 0)
		return fail(r, "%s", err);
	ret = fileset_plan_new(&r->spec, &r->plan, err, sizeof(err));
	if (ret < 0)
		return fail(r, "%s", err);
	manifest = fileset_default_manifest(r->plan);
	ret = fileset_create(r->plan, manifest, 0, create_progress, r, &res,
			     err, sizeof(err));
	if (ret == -EINTR && interrupted(r))
		return -1;
	if (ret < 0)
		return fail(r, "%s", *err ? err : strerror(-ret));
	progress(r, "  %zu files written, %zu kept", res.written, res.kept);
	return 0;
}

/* lib/fleet.h: a child per VM, all or nothing (VMs up are stopped again) */
static int fleet_start_vm(void *ud, size_t i, char *msg, size_t len)
{
	struct run *r = ud;

	/* a run killed outright: undo, and let its guard stop the rest */
	if (r->guard_fd >= 0)
		close(r->guard_fd);
	if (vm_start(&r->env, &r->c->vms[i], r->c->lab.boot_timeout) < 0)
		return snprintf(msg, len, "%s", r->env.err), -1;
	return 0;
}

static void guest_poweroff(struct run *r, const struct vm_config *vm);

/* msg: how a VM that had died before ended, with evidence of how */
static int fleet_stop_vm(void *ud, size_t i, char *msg, size_t len)
{
	struct run *r = ud;
	const struct vm_config *vm = &r->c->vms[i];
	struct vm_stop_info info;

	if (r->vm_state[i] == FLEET_UP)
		guest_poweroff(r, vm);
	if (vm_stop_report(&r->env, vm, &info) < 0)
		return snprintf(msg, len, "%s", r->env.err), -1;
	if (info.died &&
	    (info.end.how == VM_END_OOM || info.end.how == VM_END_SIGNAL ||
	     info.end.how == VM_END_EXIT))
		snprintf(msg, len, "%s", info.end.what);
	return 0;
}

static void fleet_vm_event(void *ud, size_t i, enum fleet_event ev,
			   const char *msg)
{
	struct run *r = ud;
	const char *id = r->c->vms[i].id;

	switch (ev) {
	case FLEET_EV_STARTING:
		guard_say(r, "started %zu\n", i);
		break;
	case FLEET_EV_UP:
		guard_say(r, "ready %zu\n", i);
		progress(r, "  vm %s ready", id);
		break;
	case FLEET_EV_FAILED: {
		_cleanup_free_ char *dir = vm_dir(&r->env, &r->c->vms[i]);

		if (interrupted(r))
			progress(r, "  vm %s: %s", id, msg);
		else
			fail(r, "vm %s did not start: %s (see %s/)", id,
			     *msg ? msg : "cause unknown", dir ? dir : "?");
		break;
	}
	case FLEET_EV_ROLLBACK:
		progress(r, "  stopping vm %s again", id);
		break;
	case FLEET_EV_STOPPED:
		if (*msg && !r->vm_died[0])
			snprintf(r->vm_died, sizeof(r->vm_died),
				 "vm %s had died: %s", id, msg);
		break;
	case FLEET_EV_STOP_FAILED:
		warning("vm %s: %s", id, msg);
		break;
	}
}

static struct fleet run_fleet(struct run *r)
{
	return (struct fleet){ .n = r->c->n_vms,
			       .start = fleet_start_vm,
			       .stop = fleet_stop_vm,
			       .event = fleet_vm_event,
			       .ud = r,
			       .interrupted = &got_signal };
}

static int start_vms(struct run *r)
{
	struct fleet f = run_fleet(r);
	int ret = fleet_start(&f, r->vm_state);

	if (ret < 0 && !r->reason[0] && !interrupted(r))
		fail(r, "cannot start the VMs: %s", strerror(-ret));
	return ret < 0 ? -1 : 0;
}

/*
 * fio's client (here) and servers (in the guests) must be the same
 * version, or the run ends in "fio exited with 1" and no more: ask every
 * guest over ssh before anything is measured.
 */
static int check_fio_versions(struct run *r)
{
	_cleanup_free_ char *cfg = vm_ssh_config_path(&r->env);
	_cleanup_free_ struct fiover_vm *v =
		calloc(r->c->n_vms ? r->c->n_vms : 1, sizeof(*v));
	char host[64], err[1024];
	struct prov_vm *pv;
	size_t n = 0;
	int bad = 0;

	if (!cfg || !v)
		return fail(r, "out of memory");
	if (fiover_host("fio", host, sizeof(host), err, sizeof(err)) < 0)
		return fail(r, "%s", err);
	for (size_t i = 0; i < r->c->n_vms; i++) {
		const struct vm_config *vm = &r->c->vms[i];

		if (vm->net != VM_NET_NONE) {
			v[n++].vm = vm;
			continue;
		}
		pv = provenance_vm(&r->prov, vm->id);
		if (pv)
			provenance_set(&pv->fio, "not checked (net = none)");
	}
	fiover_check_vms(cfg, "fio", host, v, n);
	for (size_t i = 0; i < n; i++) {
		pv = provenance_vm(&r->prov, v[i].vm->id);
		if (pv)
			provenance_set(&pv->fio, "%s", v[i].version);
		if (v[i].r < 0) {
			/* each VM's message; the first is the run's reason */
			fail(r, "%s", v[i].err);
			bad++;
		} else {
			progress(r, "  vm %s: %s, as on this host", v[i].vm->id,
				 v[i].version);
		}
	}
	save_provenance(r);
	return bad ? -1 : 0;
}

static bool asked_dax(const struct share_config *s)
{
	return s->backend == SHARE_BACKEND_VIRTIO_PMEM ||
	       results_options_have_dax(s->options);
}

static int check_mounts(struct run *r)
{
	int bad = 0;

	for (size_t i = 0; i < r->c->n_vms; i++) {
		const struct vm_config *vm = &r->c->vms[i];
		_cleanup_free_ char *dir = vm_dir(&r->env, vm);
		_cleanup_free_ char *log = NULL, *text = NULL;
		struct mount_line ml[32];
		size_t n = 0;
		bool shared_dax = true, any_shared = false;
		struct prov_vm *pv;
		char said[1024];

		/* an image VM's mounts were read at start (lib/vmimage.h) */
		log = dir ? strdup_printf("%s/%s", dir,
					  vm->image ? "mounts" : "console.log") :
			    NULL;
		if (log && read_full_file(log, 64u << 20, &text, NULL) == 0)
			n = results_parse_mount_lines(text, ml, ARRAY_SIZE(ml));
		for (size_t s = 0; s < r->c->n_shares; s++) {
			const struct share_config *sh = &r->c->shares[s];
			const struct mount_line *m = NULL;
			bool dax;

			if (!config_vm_has_share(vm, sh))
				continue;
			for (size_t k = 0; k < n; k++)
				if (!strcmp(ml[k].mount, sh->mount))
					m = &ml[k];
			dax = m && m->ok &&
			      results_options_have_dax(m->options);
			if (!m)
				snprintf(said, sizeof(said),
					 "unknown (no DAXLAB-MOUNT line on the "
					 "console)");
			else if (m->ok)
				snprintf(said, sizeof(said), "ok %s %s",
					 m->fstype, m->options);
			else
				snprintf(said, sizeof(said), "failed: %s",
					 m->options);
			provenance_share_mount(&r->prov, sh->name, vm->id, said,
					       !m  ? PROV_UNKNOWN :
					       dax ? PROV_YES :
						     PROV_NO);
			if (sh->shared) {
				any_shared = true;
				shared_dax &= dax;
			}
			if (!m) {
				warning("vm %s: share %s: the guest said "
					"nothing about %s",
					vm->id, sh->name, sh->mount);
			} else if (!m->ok) {
				error("vm %s: share %s: mount on %s failed: %s",
				      vm->id, sh->name, sh->mount, m->options);
				bad++;
			} else if (asked_dax(sh) && !dax) {
				warning("vm %s: share %s asked for DAX but is "
					"mounted without it (%s %s)",
					vm->id, sh->name, m->fstype,
					m->options);
			} else {
				progress(r, "  vm %s: %s on %s: %s%s", vm->id,
					 sh->name, sh->mount, m->fstype,
					 dax ? " with DAX" : " without DAX");
			}
		}
		pv = any_shared ? provenance_vm(&r->prov, vm->id) : NULL;
		if (pv)
			pv->shared_dax = shared_dax ? PROV_YES : PROV_NO;
	}
	save_provenance(r);
	if (bad)
		return fail(r, "%d share(s) not mounted", bad);
	return 0;
}

/* The virtio-pmem images there are, NULL-terminated. */
static char **pmem_images(struct run *r)
{
	size_t n = 0, cap = 1 + r->c->n_shares * r->c->n_vms;
	char **v = calloc(cap, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t s = 0; s < r->c->n_shares; s++) {
		const struct share_config *sh = &r->c->shares[s];

		if (sh->backend != SHARE_BACKEND_VIRTIO_PMEM)
			continue;
		for (size_t i = 0; i < r->c->n_vms; i++) {
			const struct vm_config *vm = &r->c->vms[i];
			char *p;

			if (!config_vm_has_share(vm, sh))
				continue;
			p = statedir_pmem_image(r->c, vm, sh);
			if (p && access(p, F_OK) == 0)
				v[n++] = p;
			else
				free(p);
			if (sh->shared)
				break;
		}
	}
	return v;
}

static int set_page_cache(struct run *r)
{
	char **img = pmem_images(r);
	int ret = 0;

	for (size_t i = 0; i < r->plan->n_files && !ret; i++) {
		const char *p = r->plan->files[i].path;
		int e = r->o->warm ? fileset_file_warm(p) :
				     fileset_file_evict(p);

		if (e < 0)
			ret = fail(r, "%s: %s", p, strerror(-e));
	}
	for (size_t i = 0; img && img[i] && !ret; i++) {
		int e = r->o->warm ? fileset_file_warm(img[i]) :
				     fileset_file_evict(img[i]);

		if (e < 0)
			ret = fail(r, "%s: %s", img[i], strerror(-e));
	}
	strv_free(img);
	if (!ret)
		progress(r, "  host page cache %s for %zu files",
			 r->o->warm ? "warmed" : "dropped", r->plan->n_files);
	return ret;
}

static int write_job(struct run *r)
{
	struct fiojob_opts jo;
	_cleanup_free_ char *job = NULL, *hosts = NULL;
	const char *hv[FLEET_MAX];
	unsigned ports[FLEET_MAX];
	size_t n = 0;
	char err[512] = "";
	int ret;

	fiojob_opts_init(&jo);
	jo.rw = r->c->workload.rw;
	jo.bs = r->c->workload.bs_bytes;
	jo.runtime = r->c->workload.runtime;
	jo.ioengine = r->c->workload.ioengine;
	/*
	 * invalidate=0: daxlab run sets the starting state; fio dropping a
	 * file's cache at every open (in the guest, too) would hide what
	 * the page caches really keep.
	 */
	jo.warm = true;
	jo.shared_path = r->cfgdata.shared_mount;
	jo.private_path = r->cfgdata.private_mount;
	jo.comment = "daxlab run";
	ret = fiojob_render(r->plan, &jo, &job, err, sizeof(err));
	if (ret < 0)
		return fail(r, "%s", *err ? err : strerror(-ret));
	if (results_write(r->dir, "fio.job", job) < 0)
		return fail(r, "cannot write %s/fio.job", r->dir);
	for (size_t i = 0; i < r->c->n_vms && n < FLEET_MAX; i++) {
		hv[n] = "127.0.0.1";
		ports[n++] = r->c->vms[i].fio_port;
	}
	hosts = strdup_printf("%s/fio.hosts", r->dir);
	if (!hosts)
		return fail(r, "out of memory");
	ret = fiojob_write_host_list(hosts, hv, ports, n);
	if (ret < 0)
		return fail(r, "cannot write %s: %s", hosts, strerror(-ret));
	return 0;
}

/* The host root's memory.numa_stat (not below cgroup_parent). */
static char *host_root_stat(const struct run *r)
{
	if (r->env.cg.version == CG_V1)
		return strdup_printf("%s/memory/memory.numa_stat",
				     r->env.cg.root);
	return strdup_printf("%s/memory.numa_stat", r->env.cg.root);
}

static bool csv_has_source(const char *path, const char *src)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *needle = strdup_printf(",%s,file,", src);

	if (!needle || read_full_file(path, 256u << 20, &text, NULL) < 0)
		return false;
	return strstr(text, needle) != NULL;
}

static int start_residency(struct run *r);

/*
 * A source of stats.csv in the provenance: its kind, its VM and, for a
 * host cgroup, its memory cgroup as residency.csv names it (below the
 * hierarchy's root), so that the report matches the page cache of each
 * source to the file sets' pages charged to it (the closure).
 */
static void source_provenance(struct run *r, const char *name, const char *kind,
			      const char *vm, const char *cgroup)
{
	const char *parent = r->env.cg.parent ? r->env.cg.parent : "";
	struct prov_source *s = provenance_source(&r->prov, name);

	if (!s)
		return;
	provenance_set(&s->kind, "%s", kind);
	if (vm)
		provenance_set(&s->vm, "%s", vm);
	if (cgroup)
		provenance_set(&s->memcg, "/%s%s%s", parent, *parent ? "/" : "",
			       cgroup);
}

static int start_monitor(struct run *r)
{
	const char *argv[64];
	char *owned[64];
	size_t n = 0, no = 0;
	_cleanup_free_ char *csv = strdup_printf("%s/stats.csv", r->dir);
	_cleanup_free_ char *log = strdup_printf("%s/monitor.log", r->dir);
	_cleanup_free_ char *sshcfg = vm_ssh_config_path(&r->env);
	_cleanup_free_ char *interval = strdup_printf("%u", r->o->interval_ms);
	_cleanup_close_ int logfd = -1;
	struct spawn_opts so;
	int ret = 0;

#define OWN(x) (owned[no++] = (x), argv[n++] = owned[no - 1])
	if (!csv || !log || !sshcfg || !interval)
		return fail(r, "out of memory");
	argv[n++] = "/proc/self/exe";
	argv[n++] = "stats";
	argv[n++] = "monitor";
	argv[n++] = "--cgroups";
	{
		_cleanup_free_ char *p = host_root_stat(r);

		OWN(strdup_printf("host=%s", p));
	}
	{
		_cleanup_free_ char *p =
			cg_path(&r->env.cg, "memory", r->c->virtiofsd.cg.cgroup,
				"memory.numa_stat");

		OWN(strdup_printf("virtiofsd=%s", p));
	}
	source_provenance(r, "host", "host", NULL, NULL);
	source_provenance(r, "virtiofsd", "virtiofsd", NULL,
			  r->c->virtiofsd.cg.cgroup);
	for (size_t i = 0; i < r->c->n_vms; i++) {
		const struct vm_config *vm = &r->c->vms[i];
		_cleanup_free_ char *p =
			cg_path(&r->env.cg, "memory", vm->cg.cgroup,
				"memory.numa_stat");
		_cleanup_free_ char *src = strdup_printf("%s-cg", vm->name);

		if (src)
			source_provenance(r, src, "vm-cgroup", vm->id,
					  vm->cg.cgroup);
		source_provenance(r, vm->name, "guest", vm->id, NULL);
		OWN(strdup_printf("%s-cg=%s", vm->name, p));
		OWN(strdup_printf("%s=%s:/sys/fs/cgroup/memory.numa_stat",
				  vm->name, vm->ssh));
	}
	argv[n++] = "--ssh-config";
	argv[n++] = sshcfg;
	argv[n++] = "--interval";
	argv[n++] = interval;
	argv[n++] = "--duration";
	argv[n++] = "0";
	argv[n++] = "--output";
	argv[n++] = csv;
	argv[n++] = "--quiet";
	argv[n] = NULL;
#undef OWN
	for (size_t i = 0; i < no; i++)
		if (!owned[i])
			ret = -ENOMEM;
	save_provenance(r);
	if (ret == 0) {
		_cleanup_free_ char *cmd = shell_join(argv);

		progress(r, "  %s", cmd ? cmd : "");
		logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		spawn_opts_init(&so, argv);
		so.fd_in = SPAWN_NULL;
		so.fd_out = logfd >= 0 ? logfd : SPAWN_NULL;
		so.fd_err = logfd >= 0 ? logfd : SPAWN_NULL;
		so.new_session = true;
		so.die_with_parent = true;
		ret = spawn(&so, &r->monitor);
	}
	for (size_t i = 0; i < no; i++)
		free(owned[i]);
	if (ret < 0)
		return fail(r, "cannot start the monitor: %s", strerror(-ret));

	/* the baseline: every guest answered once before fio starts */
	for (int64_t t = 0;; t += 200) {
		bool all = true;
		int st;

		if (waitpid(r->monitor, &st, WNOHANG) == r->monitor) {
			r->monitor = 0;
			return fail(r, "the monitor exited (see %s)", log);
		}
		for (size_t i = 0; i < r->c->n_vms && all; i++)
			all = csv_has_source(csv, r->c->vms[i].name);
		if (all && csv_has_source(csv, "host"))
			break;
		if (t > 60000)
			return fail(r,
				    "the monitor saw no guest in 60 s "
				    "(see %s)",
				    log);
		if (!nap(r, 200))
			return -1;
	}
	progress(r, "  monitor sampling every %u ms", r->o->interval_ms);
	if (start_residency(r) < 0)
		return -1;
	return 0;
}

/*
 * fio's stdout holds the servers' messages ("<vm0> ...") before the JSON:
 * the JSON goes to fio.json, the rest to fio.log.
 */
static int split_fio_output(struct run *r, const char *out_path)
{
	_cleanup_free_ char *text = NULL;
	const char *json = NULL;
	int ret;

	ret = read_full_file(out_path, 256u << 20, &text, NULL);
	if (ret < 0)
		return ret;
	for (const char *l = text; l && *l;) {
		if (*l == '{') {
			json = l;
			break;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	if (json) {
		ret = results_write(r->dir, "fio.json", json);
		if (ret < 0)
			return ret;
		text[json - text] = '\0';
	}
	if (*text)
		results_append(r->dir, "fio.log", text);
	unlink(out_path);
	return json ? 0 : -EBADMSG;
}

/*
 * The VMs whose fio gave no I/O or an error in fio.json, as "vm 1 (no
 * results), ..."; empty when every VM's fio did its part.
 */
static void fio_failed_vms(struct run *r, char *buf, size_t len)
{
	_cleanup_free_ char *path = strdup_printf("%s/fio.json", r->dir);
	_cleanup_free_ char *text = NULL;
	struct fio_result *fr = NULL;
	size_t used = 0;

	buf[0] = '\0';
	if (!path || read_full_file(path, 256u << 20, &text, NULL) < 0 ||
	    fioresult_parse(text, &fr) < 0)
		return;
	for (size_t i = 0; i < r->c->n_vms; i++) {
		const struct vm_config *vm = &r->c->vms[i];
		char port[16];
		bool seen = false, error = false;
		uint64_t ios = 0;

		snprintf(port, sizeof(port), ":%u", vm->fio_port);
		for (size_t j = 0; j < fr->n; j++) {
			if (!str_has_suffix(fr->jobs[j].host, port))
				continue;
			seen = true;
			error |= fr->jobs[j].error != 0;
			ios += fr->jobs[j].ios;
		}
		if (seen && !error && ios > 0)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%svm %s (%s)", used ? ", " : "",
					 vm->id,
					 !seen ? "no results" :
					 error ? "fio error" : "no I/O");
		if (used >= len)
			break;
	}
	fioresult_free(fr);
}

static int run_fio(struct run *r)
{
	_cleanup_free_ char *hosts =
		strdup_printf("--client=%s/fio.hosts", r->dir);
	_cleanup_free_ char *job = strdup_printf("%s/fio.job", r->dir);
	_cleanup_free_ char *log = strdup_printf("%s/fio.log", r->dir);
	_cleanup_free_ char *out = strdup_printf("%s/fio.out", r->dir);
	const char *argv[] = { "fio", hosts, "--output-format=json", job,
			       NULL };
	_cleanup_close_ int logfd = -1, outfd = -1;
	struct spawn_opts so;
	int code = 0, ret;

	if (!hosts || !out || !job || !log)
		return fail(r, "out of memory");
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (outfd < 0)
		return fail(r, "cannot write %s: %s", out, strerror(errno));
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = outfd;
	so.fd_err = logfd >= 0 ? logfd : SPAWN_NULL;
	so.new_session = true;
	so.die_with_parent = true;
	{
		_cleanup_free_ char *cmd = shell_join(argv);

		progress(r, "  %s (%u s)", cmd ? cmd : "",
			 r->c->workload.runtime);
	}
	ret = spawn(&so, &r->fio);
	if (ret < 0)
		return fail(r, "cannot start fio: %s", strerror(-ret));
	ret = wait_child(r, r->fio, &code);
	if (ret == -EINTR)
		return -1;
	r->fio = 0;
	if (ret < 0)
		return fail(r, "waiting for fio: %s", strerror(-ret));
	ret = split_fio_output(r, out);
	if (code != 0) {
		char vms[512];

		/* fio ran: what it measured is kept, but the run failed */
		r->failed = true;
		fio_failed_vms(r, vms, sizeof(vms));
		if (vms[0])
			return fail(r, "fio failed in %s; exit %d (see %s)",
				    vms, code, log);
		return fail(r, "fio exited with %d (see %s)", code, log);
	}
	if (ret < 0)
		return fail(r, "fio wrote no JSON (see %s)", log);
	return 0;
}

static int measure_residency(struct run *r)
{
	struct residency_row *rows = NULL;
	size_t n = 0;
	char **img = pmem_images(r);
	_cleanup_free_ char *csv = NULL;
	int ret = 0;

	for (int set = 0; set < 2 && !ret; set++) {
		size_t nv = set == 0 ? 1 : r->plan->spec.vms;

		for (size_t v = 0; v < nv && !ret; v++) {
			const char **paths =
				calloc(r->plan->n_files + 1, sizeof(*paths));
			const char *vm_id = set ? r->plan->vm_ids[v] : NULL;
			size_t k = 0;

			if (!paths) {
				ret = -ENOMEM;
				break;
			}
			for (size_t i = 0; i < r->plan->n_files; i++) {
				const struct fs_file *f = &r->plan->files[i];

				if ((set == 0) != (f->set == FS_SHARED))
					continue;
				if (set && strcmp(f->vm_id, vm_id) != 0)
					continue;
				paths[k++] = f->path;
			}
			if (k)
				ret = residency_measure(
					set ? "private" : "shared", vm_id,
					"files", paths, &rows, &n);
			free(paths);
		}
	}
	if (!ret && img && img[0])
		ret = residency_measure("shared", NULL, "image",
					(const char *const *)img, &rows, &n);
	strv_free(img);
	if (ret < 0) {
		free(rows);
		return fail(r, "residency: %s", strerror(-ret));
	}
	csv = residency_format(rows, n);
	free(rows);
	if (!csv || results_write(r->dir, "residency-end.csv", csv) < 0)
		return fail(r, "cannot write %s/residency-end.csv", r->dir);
	return 0;
}

/*
 * The file sets' host page cache per cgroup and node over time: `daxlab
 * files residency --output residency.csv --interval` on the plan of this
 * run, from the start of the monitor to its end (then a last sample).
 */
static int start_residency(struct run *r)
{
	const struct workload_config *w = &r->c->workload;
	_cleanup_free_ char *csv = strdup_printf("%s/residency.csv", r->dir);
	_cleanup_free_ char *log = strdup_printf("%s/residency.log", r->dir);
	_cleanup_free_ char *size = strdup_printf("%llu", (unsigned long long)w->size);
	_cleanup_free_ char *fsize =
		strdup_printf("%llu", (unsigned long long)w->file_size);
	_cleanup_free_ char *pr = strdup_printf("%u", w->private_ratio);
	_cleanup_free_ char *ar = strdup_printf("%u", w->access_ratio);
	_cleanup_free_ char *hr = strdup_printf("%u", w->hot_ratio);
	_cleanup_free_ char *har = strdup_printf("%u", w->hot_access_ratio);
	_cleanup_free_ char *iv = strdup_printf(
		"%llums", (unsigned long long)w->residency_interval_ms);
	_cleanup_close_ int logfd = -1;
	struct spawn_opts so;
	int ret;

	if (!w->residency_interval_ms)
		return 0;
	if (!csv || !log || !size || !fsize || !pr || !ar || !hr || !har ||
	    !iv)
		return fail(r, "out of memory");
	const char *argv[] = { "/proc/self/exe",
			       "files",
			       "residency",
			       "--config",
			       r->o->config,
			       "--size",
			       size,
			       "--file-size",
			       fsize,
			       "--private-ratio",
			       pr,
			       "--access-ratio",
			       ar,
			       "--hot-ratio",
			       hr,
			       "--hot-access-ratio",
			       har,
			       "--output",
			       csv,
			       "--interval",
			       iv,
			       "--guests",
			       "--quiet",
			       NULL };
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = logfd >= 0 ? logfd : SPAWN_NULL;
	so.fd_err = logfd >= 0 ? logfd : SPAWN_NULL;
	so.new_session = true;
	so.die_with_parent = true;
	ret = spawn(&so, &r->residency);
	if (ret < 0)
		return fail(r, "cannot start the residency sampler: %s",
			    strerror(-ret));
	progress(r, "  residency of the file sets every %llu ms into %s",
		 (unsigned long long)w->residency_interval_ms, csv);
	return 0;
}

static void stop_monitor(struct run *r)
{
	if (r->residency > 0) {
		int code = stop_child(r->residency, 30000);

		if (code != 0 && code != 128 + SIGTERM)
			warning("the residency sampler exited with %d (see %s/residency.log)",
				code, r->dir);
		r->residency = 0;
	}
	if (r->monitor > 0) {
		int code = stop_child(r->monitor, 5000);

		if (code != 0 && code != 128 + SIGTERM)
			warning("the monitor exited with %d", code);
		r->monitor = 0;
	}
}

/*
 * A fast path: a ready guest is asked over ssh to power off at once
 * (qemu runs with -no-reboot and exits); vm_stop_report() then only
 * cleans up. The ACPI power button that it presses also works (the tiny guest
 * unmounts and powers off), but takes about 3 s under TCG, and a guest
 * image may ignore it. Best effort: vm_stop_report() does the rest.
 */
static void guest_poweroff(struct run *r, const struct vm_config *vm)
{
	_cleanup_free_ char *cfg = vm_ssh_config_path(&r->env);
	_cleanup_free_ char *pidfile =
		statedir_vm_path(r->c, vm, STATEDIR_QEMU_PID);
	const char *argv[] = { "ssh",
			       "-F",
			       cfg,
			       "-o",
			       "BatchMode=yes",
			       "-o",
			       "ConnectTimeout=3",
			       "-o",
			       "ServerAliveInterval=1",
			       "-o",
			       "ServerAliveCountMax=2",
			       "-T",
			       vm->ssh,
			       "sync; poweroff -f",
			       NULL };
	_cleanup_free_ char *out = NULL;
	pid_t pid = 0;
	int code;

	if (!cfg || !pidfile || vm_read_pidfile(pidfile, &pid) < 0 || !pid)
		return;
	if (spawn_capture(argv, true, 1 << 16, &out, &code) < 0)
		return;
	for (int i = 0; i < 50 && kill(pid, 0) == 0; i++)
		usleep(100000);
}

/* Undoes everything; safe to call at any point, more than once. */
static void teardown(struct run *r)
{
	if (r->fio > 0) {
		stop_child(r->fio, 3000);
		r->fio = 0;
	}
	stop_monitor(r);
	if (!r->env_ok)
		return;
	/* a guest that ignores the power button costs stop_timeout once,
	 * not once per VM; then virtiofsd's cgroup, the leaf and the scope */
	struct fleet f = run_fleet(r);

	fleet_stop(&f, r->vm_state);
	(void)vm_cgroups_release(&r->env);
}

/*
 * The guard: a child of the run that outlives it. A run killed outright
 * (SIGKILL, a crash) cannot tear down; its monitor and fio die with it
 * (PR_SET_PDEATHSIG: the monitor ends on a whole tick), but the VMs would
 * run on. The run tells its guard through a pipe, a line at a time, the
 * step it is in and which VMs it started, and "done" once it tore down
 * itself; a pipe that ends without "done" means the run died, and the
 * guard stops the VMs the run started and marks the results incomplete.
 */
static void guard_say(struct run *r, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (r->guard_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write of less than PIPE_BUF: the line arrives whole */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(r->guard_fd, line, (size_t)n) != n) {
		close(r->guard_fd);
		r->guard_fd = -1;
	}
}

static _Noreturn void guard_main(struct run *r, int fd, pid_t run_pid)
{
	_cleanup_fclose_ FILE *f = NULL;
	char *line = NULL, laststep[128] = "prepare";
	size_t cap = 0;
	ssize_t n;
	unsigned long i;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	f = fdopen(fd, "r");
	if (!f)
		_exit(1);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!strcmp(line, "done")) {
			free(line);
			_exit(0);
		}
		if (!strncmp(line, "step ", 5))
			snprintf(laststep, sizeof(laststep), "%s", line + 5);
		else if (sscanf(line, "started %lu", &i) == 1 &&
			 i < ARRAY_SIZE(r->vm_state))
			r->vm_state[i] = FLEET_STARTING;
		else if (sscanf(line, "ready %lu", &i) == 1 &&
			 i < ARRAY_SIZE(r->vm_state))
			r->vm_state[i] = FLEET_UP;
	}
	free(line);
	/* the run is gone without tearing down */
	r->step = laststep;
	snprintf(r->reason, sizeof(r->reason),
		 "daxlab run (pid %d) died during step '%s'; its guard "
		 "stopped the VMs", (int)run_pid, laststep);
	progress(r, "daxlab run (pid %d) died during step '%s': stopping "
		 "its VMs", (int)run_pid, laststep);
	teardown(r);
	results_set_status(r->dir, RESULTS_INCOMPLETE, r->reason);
	progress(r, "%s: incomplete: %s", r->dir, r->reason);
	_exit(0);
}

/* Starts the guard; without one (fork failed) the run goes on. */
static void guard_start(struct run *r)
{
	int fds[2];
	pid_t run_pid = getpid();

	r->guard_fd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		warning("no guard for this run: pipe: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	r->guard = fork();
	if (r->guard < 0) {
		warning("no guard for this run: fork: %s", strerror(errno));
		r->guard = 0;
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (r->guard == 0) {
		close(fds[1]);
		/* its own group: a ^C meant for the run is not for it */
		setpgid(0, 0);
		guard_main(r, fds[0], run_pid);
	}
	close(fds[0]);
	r->guard_fd = fds[1];
	guard_say(r, "step %s\n", r->step);
}

/* The run tore down itself: the guard ends. */
static void guard_end(struct run *r)
{
	guard_say(r, "done\n");
	if (r->guard_fd >= 0)
		close(r->guard_fd);
	r->guard_fd = -1;
	if (r->guard > 0)
		while (waitpid(r->guard, NULL, 0) < 0 && errno == EINTR)
			;
	r->guard = 0;
}

static int write_report(struct run *r)
{
	struct report_run *rr = NULL;
	char err[512] = "";
	_cleanup_free_ char *html = strdup_printf("%s/report.html", r->dir);
	_cleanup_free_ char *txt = strdup_printf("%s/summary.txt", r->dir);
	FILE *f;
	int ret;

	ret = report_load(r->dir, &rr, err, sizeof(err));
	if (ret < 0)
		return error("report: %s", *err ? err : strerror(-ret));
	ret = -EIO;
	f = html ? fopen(html, "we") : NULL;
	if (f) {
		ret = report_write_html(f, &rr, 1);
		if (fclose(f) != 0)
			ret = -EIO;
	}
	if (ret == 0)
		ret = report_save_closure(rr);
	f = txt && ret == 0 ? fopen(txt, "we") : NULL;
	if (f) {
		ret = report_write_summary(f, &rr, 1);
		if (fclose(f) != 0)
			ret = -EIO;
		if (ret == 0 && !daxlab_quiet)
			report_write_summary(stderr, &rr, 1);
	}
	report_run_free(rr);
	if (ret < 0)
		return error("cannot write the report in %s", r->dir);
	return 0;
}

/*
 * One experiment, in a new folder of base (or in exactly folder, when not
 * NULL); point: its sweep values.
 */
static int experiment(const struct run_opts *o, const char *base,
		      const char *folder, const char *name,
		      const char *const *keys, const char *const *vals,
		      size_t nk, char **ret_dir)
{
	struct run r = { .o = o, .step = "prepare", .guard_fd = -1 };
	char err[1024] = "";
	_cleanup_free_ char *used = NULL;
	bool ok = false;
	int ret;

	r.t0_ns = now_monotonic_ns();
	provenance_init(&r.prov);
	*ret_dir = NULL;
	ret = config_load(o->config, &r.c, err, sizeof(err));
	if (ret < 0)
		return error("%s", *err ? err : strerror(-ret));
	if (!r.c->n_vms) {
		config_free(r.c);
		return error("%s: no [vm ID] section", o->config);
	}
	if (r.c->n_vms > FLEET_MAX) {
		config_free(r.c);
		return error("%s: at most %d VMs", o->config, FLEET_MAX);
	}
	for (size_t i = 0; i < nk; i++) {
		ret = apply_workload(r.c, keys[i], vals[i], err, sizeof(err));
		if (ret < 0) {
			config_free(r.c);
			return error("%s", err);
		}
		if (!r.point)
			r.point = strdup_printf("%s=%s", keys[i], vals[i]);
		else {
			char *p = strdup_printf("%s %s=%s", r.point, keys[i],
						vals[i]);

			free(r.point);
			r.point = p;
		}
	}
	/*
	 * A sweep of private_ratio to 0 (or 100) leaves a set without files;
	 * unless access_ratio is swept too, its I/O goes to the other set.
	 */
	const char *keys2[MAX_SWEEP + 1], *vals2[MAX_SWEEP + 1];
	bool access_swept = false;
	unsigned pr = r.c->workload.private_ratio;
	unsigned ar = r.c->workload.access_ratio;

	for (size_t i = 0; i < nk; i++) {
		keys2[i] = keys[i];
		vals2[i] = vals[i];
		access_swept |= !strcmp(keys[i], "access_ratio");
	}
	if (nk && !access_swept &&
	    ((pr == 0 && ar != 0) || (pr == 100 && ar != 100))) {
		r.c->workload.access_ratio = pr;
		keys2[nk] = "access_ratio";
		vals2[nk++] = pr ? "100" : "0";
		warning("private_ratio %u: access_ratio %u -> %u for this "
			"point (a set without files gets no I/O)",
			pr, ar, pr);
	}
	keys = keys2;
	vals = vals2;

	if (folder)
		ret = results_create_at(folder, &r.dir);
	else
		ret = results_create(base, name, time(NULL), &r.dir);
	if (ret < 0) {
		config_free(r.c);
		free(r.point);
		return error_errno(ret, "cannot create a results folder in %s",
				   folder ? folder : base);
	}
	*ret_dir = strdup(r.dir);
	results_set_status(r.dir, RESULTS_RUNNING, NULL);
	progress(&r, "results in %s%s%s", r.dir,
		 r.point ? ", sweep point " : "", r.point ? r.point : "");
	provenance_add_start(&r.prov, name);
	used = config_as_used(&r, keys, vals, nk);
	if (!used || results_write(r.dir, "config.ini", used) < 0) {
		fail(&r, "cannot write %s/config.ini", r.dir);
		goto out;
	}

	vm_env_init(&r.env, r.c, false, false);
	r.env.interrupted = &got_signal;
	/* image VMs get a copy, to measure their page cache inside */
	r.resident = daxlab_resident_path();
	r.env.resident = r.resident;
	r.env.report = vm_report_cb;
	r.env.ud = &r;
	r.env_ok = true;
	if (!r.env.cg_ok) {
		fail(&r, "no usable cgroup hierarchy below /sys/fs/cgroup");
		goto out;
	}
	/* where the cgroups go is known now: refused before files are made */
	if (vm_check_place(&r.env) < 0) {
		fail(&r, "%s", r.env.err);
		goto out;
	}
	guard_start(&r);
	provenance_add_config(&r.prov, r.c, r.point, o->warm);
	provenance_add_topology(&r.prov, "/sys/devices/system");
	save_provenance(&r);

	/* the pmem image is made from the folder: files come first */
	step(&r, "create files");
	if (interrupted(&r) || create_files(&r) < 0)
		goto out;
	if (write_cmdlines(&r) < 0)
		goto out;
	provenance_add_host(&r.prov, r.c, &r.env);
	save_provenance(&r);
	step(&r, "start VMs");
	if (interrupted(&r) || start_vms(&r) < 0)
		goto out;
	step(&r, "check fio versions");
	if (interrupted(&r) || check_fio_versions(&r) < 0)
		goto out;
	step(&r, "check mounts");
	if (interrupted(&r) || check_mounts(&r) < 0)
		goto out;
	step(&r, o->warm ? "warm the page cache" : "drop the page cache");
	if (interrupted(&r) || set_page_cache(&r) < 0)
		goto out;
	step(&r, "write the fio job");
	if (interrupted(&r) || write_job(&r) < 0)
		goto out;
	step(&r, "start the monitor");
	if (interrupted(&r) || start_monitor(&r) < 0)
		goto out;
	step(&r, "run fio");
	if (interrupted(&r) || run_fio(&r) < 0)
		goto out;
	step(&r, "tail");
	for (int64_t t = 0; t < (int64_t)o->tail_ms; t += 100)
		if (!nap(&r, 100))
			goto out;
	stop_monitor(&r);
	step(&r, "measure residency");
	if (interrupted(&r) || measure_residency(&r) < 0)
		goto out;
	ok = true;
out:
	if (!ok && !r.reason[0])
		interrupted(&r);
	if (!ok && !r.reason[0])
		snprintf(r.reason, sizeof(r.reason), "step '%s' failed",
			 r.step);
	/* a residency table even for a run cut short, when files exist */
	if (!ok && r.plan && r.monitor > 0) {
		stop_monitor(&r);
		measure_residency(&r);
	}
	step(&r, "stop VMs");
	teardown(&r);
	if (r.vm_died[0]) {
		/* the cause, before what it made fail */
		char was[sizeof(r.reason)];

		size_t k;

		snprintf(was, sizeof(was), "%s", r.reason);
		k = (size_t)snprintf(r.reason, sizeof(r.reason), "%s",
				     r.vm_died);
		if (*was && k + 2 < sizeof(r.reason))
			snprintf(r.reason + k, sizeof(r.reason) - k, "; %.*s",
				 (int)(sizeof(r.reason) - k - 3), was);
		ok = false;
		r.failed = true;
	}
	provenance_add_end(&r.prov, r.t0_ns);
	save_provenance(&r);
	results_set_status(r.dir,
			   ok	     ? RESULTS_COMPLETE :
			   r.failed ? RESULTS_FAILED :
				      RESULTS_INCOMPLETE,
			   ok ? NULL : r.reason);
	guard_end(&r);
	step(&r, "report");
	write_report(&r);
	progress(&r, "%s: %s%s%s", r.dir,
		 ok ? "complete" : r.failed ? "failed" : "incomplete",
		 ok ? "" : ": ", ok ? "" : r.reason);
	if (r.env_ok)
		vm_env_done(&r.env);
	fileset_plan_free(r.plan);
	if (r.cfgdata.ids || r.cfgdata.dirs)
		workload_cfgdata_free(&r.cfgdata);
	provenance_free(&r.prov);
	config_free(r.c);
	free(r.point);
	free(r.dir);
	free(r.resident);
	return ok ? 0 : -1;
}

/* --- sweeps --- */

static int parse_sweep(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct sweep_key *k;
	_cleanup_free_ char *vals = NULL;
	char *save = NULL;

	if (o->n_sweep == MAX_SWEEP)
		usage_error("run", "at most %d --sweep keys", MAX_SWEEP);
	if (!eq || eq == arg || !eq[1])
		usage_error("run", "--sweep wants KEY=V1,V2,...: '%s'", arg);
	k = &o->sweep[o->n_sweep];
	k->key = strndup(arg, (size_t)(eq - arg));
	vals = strdup(eq + 1);
	if (!k->key || !vals)
		die("out of memory");
	for (size_t i = 0; i < o->n_sweep; i++)
		if (!strcmp(o->sweep[i].key, k->key))
			usage_error("run", "--sweep %s given twice", k->key);
	for (char *v = strtok_r(vals, ",", &save); v;
	     v = strtok_r(NULL, ",", &save)) {
		if (k->n == MAX_VALUES)
			usage_error("run", "--sweep %s: at most %d values",
				    k->key, MAX_VALUES);
		if (!valid_name(v))
			usage_error("run", "--sweep %s: bad value '%s'", k->key,
				    v);
		k->values[k->n] = strdup(v);
		if (!k->values[k->n++])
			die("out of memory");
	}
	if (!k->n)
		usage_error("run", "--sweep %s: no values", k->key);
	o->n_sweep++;
	return 0;
}

static int check_sweep_values(const struct run_opts *o)
{
	struct lab_config *c = NULL;
	char err[1024] = "";
	int ret = config_load(o->config, &c, err, sizeof(err));

	if (ret < 0)
		return error("%s", *err ? err : strerror(-ret));
	for (size_t i = 0; i < o->n_sweep; i++)
		for (size_t v = 0; v < o->sweep[i].n; v++)
			if (apply_workload(c, o->sweep[i].key,
					   o->sweep[i].values[v], err,
					   sizeof(err)) < 0) {
				config_free(c);
				usage_error("run", "%s", err);
			}
	config_free(c);
	return 0;
}

/* The sweep of o: its keys, repeat, order and seed. */
static int sweep_from_opts(const struct run_opts *o, const char *name,
			   struct sweep *sw)
{
	memset(sw, 0, sizeof(*sw));
	sw->name = strdup(name);
	sw->config = realpath(o->config, NULL);
	if (!sw->name || !sw->config)
		return -errno ? -errno : -ENOMEM;
	sw->repeat = o->repeat;
	/* shuffled by default when there is something to shuffle */
	sw->shuffled = o->order >= 0 ? o->order : o->repeat > 1;
	if (o->seed_given) {
		sw->seed = o->seed;
	} else if (getrandom(&sw->seed, sizeof(sw->seed), 0) !=
		   sizeof(sw->seed)) {
		sw->seed = (uint64_t)now_realtime_ms() ^ (uint64_t)getpid();
	}
	for (size_t k = 0; k < o->n_sweep; k++) {
		struct sweep_key *d = &sw->keys[sw->n_keys++];

		d->key = strdup(o->sweep[k].key);
		if (!d->key)
			return -ENOMEM;
		for (size_t v = 0; v < o->sweep[k].n; v++) {
			d->values[v] = strdup(o->sweep[k].values[v]);
			if (!d->values[d->n++])
				return -ENOMEM;
		}
	}
	return sweep_plan(sw);
}

/*
 * Whether run i of the sweep in sdir must run: its folder is missing, or
 * not complete (then moved aside to point-I.attempt-K: nothing is lost).
 */
static bool needs_run(const char *path)
{
	enum results_status st;

	if (access(path, F_OK) < 0)
		return true;
	if (results_get_status(path, &st, NULL) == 0 && st == RESULTS_COMPLETE)
		return false;
	for (unsigned k = 1; k < 1000; k++) {
		_cleanup_free_ char *old = strdup_printf("%s.attempt-%u", path, k);

		if (!old)
			return false;
		if (access(old, F_OK) == 0)
			continue;
		if (rename(path, old) == 0) {
			info("%s was not complete: kept as %s", path, old);
			return true;
		}
		warning("cannot move %s aside: %s", path, strerror(errno));
		return false;
	}
	return false;
}

/* ---- Slurm: the same manifest, its runs as a job array ---- */

/* "0-3,5,7-8" of the indexes set in want. Allocated. */
static char *index_list(const bool *want, size_t n)
{
	char *l = strdup("");

	for (size_t i = 0; l && i < n; i++) {
		size_t j = i;
		char *nl;

		if (!want[i])
			continue;
		while (j + 1 < n && want[j + 1])
			j++;
		nl = j > i ? strdup_printf("%s%s%zu-%zu", l, *l ? "," : "", i, j) :
			     strdup_printf("%s%s%zu", l, *l ? "," : "", i);
		free(l);
		l = nl;
		i = j;
	}
	return l;
}

/* DIR/NAME, a script that execs daxlab with words, each quoted. */
static int write_script(const char *dir, const char *name,
			const char *const *words, const char *tail)
{
	_cleanup_free_ char *text = strdup_printf(
		"#!/bin/sh\n# written by daxlab run --slurm; the words are quoted\nexec");
	_cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);
	int r;

	for (size_t i = 0; text && words[i]; i++) {
		_cleanup_free_ char *q = shell_quote(words[i]);
		char *n = q ? strdup_printf("%s %s", text, q) : NULL;

		free(text);
		text = n;
	}
	if (text) {
		char *n = strdup_printf("%s%s\n", text, tail);

		free(text);
		text = n;
	}
	if (!text || !path)
		return -ENOMEM;
	r = results_write(dir, name, text);
	if (r == 0 && chmod(path, 0755) < 0)
		r = -errno;
	return r;
}

/* Runs sbatch with argv; *ret_id: the job id it printed (--parsable). */
static int sbatch(const char *const *argv, char **ret_id)
{
	_cleanup_free_ char *out = NULL;
	int ex, r = spawn_capture(argv, true, 65536, &out, &ex);

	if (r < 0)
		return error_errno(r, "cannot run sbatch");
	if (ex != 0)
		return error("sbatch exited with %d: %s", ex,
			     out ? cg_trim(out) : "");
	out[strcspn(out, ";\n")] = 0;
	if (!*out || strspn(out, "0123456789") != strlen(out))
		return error("sbatch printed no job id: '%s'", out);
	*ret_id = TAKE_PTR(out);
	return 0;
}

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = strdup(path ? path : "/usr/bin:/bin");
	char *save = NULL;

	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d;
	     d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = strdup_printf("%s/%s", d, name);

		if (p && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Submits the runs of the sweep in sdir that are not complete: an array
 * task per run (daxlab run --resume SDIR --point I on a whole node), then
 * a gather job (daxlab report SDIR) once they all ended.
 */
static int slurm_submit(const struct run_opts *o, const struct sweep *sw,
			const char *sdir)
{
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	_cleanup_free_ char *list = NULL, *array = NULL, *arrayid = NULL;
	_cleanup_free_ char *gatherid = NULL, *out = NULL, *dep = NULL;
	_cleanup_free_ char *jobname = NULL, *log = NULL, *glog = NULL;
	_cleanup_free_ char *task = NULL, *gather = NULL, *jobs = NULL;
	bool *want = calloc(sw->n_runs + 1, sizeof(*want));
	const char *argv[64];
	size_t n = 0, k = 0;
	int ret;

	if (!self || !want) {
		free(want);
		return error("cannot find daxlab's own binary");
	}
	for (size_t i = 0; i < sw->n_runs; i++) {
		int st;

		if (sweep_run_status(sw, sdir, i, &st) < 0 ||
		    st != RESULTS_COMPLETE) {
			want[i] = true;
			n++;
		}
	}
	if (!n) {
		free(want);
		info("every run of %s is complete: nothing to submit", sdir);
		return 0;
	}
	list = index_list(want, sw->n_runs);
	free(want);
	{
		char alpha[32];
		const char *tw[] = { self, "run", "--resume", sdir, NULL };
		const char *gw[] = { self, "report", "--alpha", alpha, sdir,
				     NULL };

		snprintf(alpha, sizeof(alpha), "%.15g", o->alpha);

		ret = write_script(sdir, "slurm-task.sh", tw,
				   " --point \"$SLURM_ARRAY_TASK_ID\"");
		if (ret == 0)
			ret = write_script(sdir, "slurm-gather.sh", gw, "");
		if (ret < 0)
			return error_errno(ret, "cannot write the job scripts in %s",
					   sdir);
	}
	array = o->slurm_parallel ?
			strdup_printf("--array=%s%%%u", list, o->slurm_parallel) :
			strdup_printf("--array=%s", list);
	jobname = strdup_printf("--job-name=daxlab-%s", sw->name);
	log = strdup_printf("--output=%s/slurm-%%A_%%a.out", sdir);
	glog = strdup_printf("--output=%s/slurm-gather-%%j.out", sdir);
	task = strdup_printf("%s/slurm-task.sh", sdir);
	gather = strdup_printf("%s/slurm-gather.sh", sdir);
	if (!list || !array || !jobname || !log || !glog || !task || !gather)
		return error("out of memory");
	argv[k++] = "sbatch";
	argv[k++] = "--parsable";
	argv[k++] = array;
	argv[k++] = "--exclusive";
	argv[k++] = "--nodes=1";
	argv[k++] = jobname;
	argv[k++] = log;
	for (size_t i = 0; i < o->n_slurm_opts; i++)
		argv[k++] = o->slurm_opts[i];
	argv[k++] = task;
	argv[k] = NULL;
	if (sbatch(argv, &arrayid) < 0)
		return -1;
	dep = strdup_printf("--dependency=afterany:%s", arrayid);
	if (!dep)
		return error("out of memory");
	k = 0;
	argv[k++] = "sbatch";
	argv[k++] = "--parsable";
	argv[k++] = dep;
	argv[k++] = "--nodes=1";
	argv[k++] = jobname;
	argv[k++] = glog;
	for (size_t i = 0; i < o->n_slurm_opts; i++)
		argv[k++] = o->slurm_opts[i];
	argv[k++] = gather;
	argv[k] = NULL;
	if (sbatch(argv, &gatherid) < 0)
		return error("the runs are job %s, but the gather job was not submitted: daxlab report %s writes the summary",
			     arrayid, sdir);
	jobs = strdup_printf("array %s %s\ngather %s\n", arrayid, list,
			     gatherid);
	if (!jobs || results_append(sdir, "slurm-jobs.txt", jobs) < 0)
		warning("cannot record the job ids in %s/slurm-jobs.txt", sdir);
	printf("%s: runs %s as job array %s, gather job %s\n", sdir, list,
	       arrayid, gatherid);
	return 0;
}

/*
 * The runs of a sweep (new, or --resume DIR) in the manifest's order; the
 * summary is written after every run, so a stopped sweep keeps it.
 */
static int sweep(const struct run_opts *o, const char *name)
{
	_cleanup_free_ char *sdir = NULL;
	struct sweep sw;
	char err[1024] = "";
	size_t failed = 0, ran = 0, complete = 0;
	int ret;

	if (o->resume) {
		ret = sweep_read(o->resume, &sw, err, sizeof(err));
		if (ret < 0)
			return error("%s", err);
		sdir = strdup(o->resume);
		info("resuming the sweep in %s (%zu runs, seed %llu)", sdir,
		     sw.n_runs, (unsigned long long)sw.seed);
	} else {
		_cleanup_free_ char *sname = strdup_printf("%s-sweep", name);

		if (o->slurm && !have_program("sbatch"))
			return error("--slurm: no sbatch in PATH (Debian's slurm-client)");
		ret = sweep_from_opts(o, name, &sw);
		if (ret < 0 || !sname) {
			sweep_free(&sw);
			return error("cannot plan the sweep: %s",
				     strerror(ret < 0 ? -ret : ENOMEM));
		}
		ret = results_create(o->results, sname, time(NULL), &sdir);
		if (ret < 0) {
			sweep_free(&sw);
			return error_errno(
				ret, "cannot create a results folder in %s",
				o->results);
		}
		if (sweep_write(&sw, sdir, err, sizeof(err)) < 0) {
			sweep_free(&sw);
			return error("%s", err);
		}
		info("sweep: %zu points x %u in %s (%s, seed %llu)",
		     sw.n_points, sw.repeat, sdir,
		     sw.shuffled ? "shuffled" : "in order",
		     (unsigned long long)sw.seed);
	}
	if (o->slurm) {
		if (!have_program("sbatch"))
			ret = error("--slurm: no sbatch in PATH (Debian's slurm-client)");
		else
			ret = slurm_submit(o, &sw, sdir);
		sweep_free(&sw);
		return ret;
	}
	if (o->point >= (long)sw.n_runs) {
		ret = error("--point %ld: the sweep in %s has runs 0..%zu", o->point,
			    sdir, sw.n_runs - 1);
		sweep_free(&sw);
		return ret;
	}
	for (size_t i = 0; i < sw.n_runs && !got_signal; i++) {
		const struct sweep_run *sr = &sw.runs[i];
		const char *keys[MAX_SWEEP], *vals[MAX_SWEEP];
		_cleanup_free_ char *f = sweep_run_folder(&sw, i);
		_cleanup_free_ char *path =
			f ? strdup_printf("%s/%s", sdir, f) : NULL;
		char *dir = NULL;

		if (!path) {
			failed++;
			break;
		}
		if (o->point >= 0 && (size_t)o->point != i)
			continue;
		if (!needs_run(path)) {
			if (o->point >= 0)
				info("run %zu of %s is complete already", i, sdir);
			continue;
		}
		for (size_t k = 0; k < sw.n_keys; k++) {
			keys[k] = sw.keys[k].key;
			vals[k] = sweep_value(&sw, sr->point, k);
		}
		info("sweep run %zu of %zu: point %zu, repetition %u", i + 1,
		     sw.n_runs, sr->point, sr->repetition + 1);
		ran++;
		/* the manifest's config: the same lab on every node */
		{
			struct run_opts ro = *o;

			ro.config = sw.config;
			if (experiment(&ro, sdir, path, sw.name, keys, vals,
				       sw.n_keys, &dir) < 0)
				failed++;
		}
		free(dir);
		if (sweep_write_summary(&sw, sdir, o->alpha, &complete, err,
					sizeof(err)) < 0)
			warning("%s", err);
	}
	if (!ran && sweep_write_summary(&sw, sdir, o->alpha, &complete, err,
					sizeof(err)) < 0)
		warning("%s", err);
	if (sweep_write_report(&sw, sdir, err, sizeof(err)) < 0)
		warning("%s", err);
	info("sweep summary: %s/summary.json (%zu of %zu runs complete)", sdir,
	     complete, sw.n_runs);
	ret = 0;
	if (got_signal)
		ret = error("sweep interrupted: daxlab run --resume %s runs the rest",
			    sdir);
	else if (o->point >= 0)
		ret = failed ? -1 : 0;
	else if (complete < sw.n_runs)
		ret = error("%zu of %zu sweep runs incomplete: daxlab run --resume %s runs them again",
			    sw.n_runs - complete, sw.n_runs, sdir);
	(void)failed;
	sweep_free(&sw);
	return ret;
}

static void run_usage(void)
{
	printf("Usage: daxlab run [OPTIONS]\n\n"
	       "The whole experiment in one command: creates the files, "
	       "starts the VMs\nand waits until they are ready, checks that "
	       "every guest's fio is the\nhost's version (fio's client and "
	       "server must match: a guest of another\nversion stops the run, "
	       "naming the VM and both versions), checks the\nshares are "
	       "mounted as configured (DAX where asked), brings the page\n"
	       "cache to the starting state, writes the fio job, starts the "
	       "monitor on\nthe host cgroups (host, virtiofsd, each VM's "
	       "cgroup) and in each guest\nover ssh, samples where the file "
	       "sets' pages sit every [workload]\nresidency_interval into "
	       "residency.csv (on the host per memory cgroup and\nnode; "
	       "inside each guest, rows whose 'where' is the VM's name, "
	       "measured\nthere by daxlab-resident over ssh), runs fio "
	       "through the client, stops\nthe monitor after a tail, "
	       "measures the host page cache of the file sets,\nstops the "
	       "VMs and writes the report.\n\n"
	       "Results go to RESULTS/<YYYYmmdd-HHMMSS>-<NAME>/. Ctrl-C "
	       "(SIGINT), SIGTERM or\na failure at any step tears everything "
	       "down and keeps the partial\nresults, marked incomplete.\n\n"
	       "Options:\n"
	       "  -c, --config FILE      lab configuration (default "
	       "$DAXLAB_CONFIG, else\n"
	       "                         ./daxlab.ini, else "
	       "/etc/daxlab/daxlab.ini)\n"
	       "  -n, --name NAME        name of the run (default: the "
	       "config file's name)\n"
	       "  -s, --sweep KEY=V1,V2,...\n"
	       "                         one experiment per value of a "
	       "[workload] key;\n"
	       "                         several --sweep keys make a grid; "
	       "a summary\n"
	       "                         compares the points\n"
	       "  -r, --results DIR      where results folders go (default "
	       "./results)\n"
	       "  -t, --tail S           keep sampling S seconds after fio "
	       "ends (default 2)\n"
	       "  -i, --interval MS      sampling interval in ms (default "
	       "500)\n"
	       "      --warm             start with the files in the host "
	       "page cache\n"
	       "                         (default: cold, dropped)\n"
	       "      --repeat N         each point N times, each its own "
	       "experiment\n"
	       "      --order ORDER      shuffled (default with --repeat) or "
	       "sequential:\n"
	       "                         the order of the (point, repetition) "
	       "runs\n"
	       "      --seed N           the shuffle's seed (default: random, "
	       "recorded)\n"
	       "      --alpha P          significance level of the sweep "
	       "summary's\n"
	       "                         markers (default 0.05)\n"
	       "      --resume DIR       run what is missing or incomplete of "
	       "the sweep\n"
	       "                         in DIR (its manifest.json)\n"
	       "      --slurm            submit the runs as a Slurm job array, "
	       "one whole\n"
	       "                         node each, and a gather job; with "
	       "--resume DIR,\n"
	       "                         only the runs not complete\n"
	       "      --slurm-opt OPT    an sbatch option for both jobs "
	       "(repeatable)\n"
	       "      --slurm-parallel K at most K array tasks at once\n"
	       "      --point I          run I of --resume DIR only (an "
	       "array task)\n"
	       "  -q, --quiet            no progress lines\n"
	       "  -h, --help             show this help and exit\n"
	       "  -V, --version          show the version and exit\n\n"
	       "Example:\n"
	       "  daxlab run --config examples/demo.ini\n"
	       "  daxlab run --config examples/demo.ini --sweep "
	       "private_ratio=0,25,50,75\n"
	       "  daxlab run --config examples/demo.ini --sweep "
	       "private_ratio=25,75 --repeat 5\n\n"
	       "See daxlab-run(1) for the results folder and "
	       "daxlab-report(1).\n");
}

int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "sweep", required_argument, NULL, 's' },
		{ "results", required_argument, NULL, 'r' },
		{ "tail", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "warm", no_argument, NULL, 'W' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "order", required_argument, NULL, 'O' },
		{ "seed", required_argument, NULL, 'S' },
		{ "resume", required_argument, NULL, 'E' },
		{ "alpha", required_argument, NULL, 'A' },
		{ "point", required_argument, NULL, 'P' },
		{ "slurm", no_argument, NULL, 'L' },
		{ "slurm-opt", required_argument, NULL, 'X' },
		{ "slurm-parallel", required_argument, NULL, 'K' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .results = "results",
			      .tail_ms = 2000,
			      .interval_ms = 500,
			      .repeat = 1,
			      .alpha = 0.05,
			      .order = -1,
			      .point = -1 };
	const char *explicit_config = NULL;
	_cleanup_free_ char *name = NULL, *dir = NULL;
	struct sigaction sa;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+c:n:s:r:t:i:qhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			explicit_config = optarg;
			break;
		case 'n':
			if (!valid_name(optarg))
				usage_error("run",
					    "--name: '%s' is not a valid name "
					    "(1-64 of A-Z a-z 0-9 . _ -)",
					    optarg);
			o.name = optarg;
			break;
		case 's':
			parse_sweep(&o, optarg);
			break;
		case 'r':
			if (!*optarg)
				usage_error("run", "--results needs a folder");
			o.results = optarg;
			break;
		case 't':
			if (parse_duration_ms(optarg, &o.tail_ms) < 0 ||
			    o.tail_ms > 3600000)
				usage_error("run", "--tail: bad duration '%s'",
					    optarg);
			break;
		case 'i':
			if (parse_uint_range(optarg, 10, 60000,
					     &o.interval_ms) < 0)
				usage_error("run",
					    "--interval: '%s' is not 10..60000 "
					    "ms",
					    optarg);
			break;
		case 'W':
			o.warm = true;
			break;
		case 'R':
			if (parse_uint_range(optarg, 1, 1000, &o.repeat) < 0)
				usage_error("run", "--repeat: '%s' is not 1..1000",
					    optarg);
			break;
		case 'A':
			o.alpha = parse_alpha("run", optarg);
			break;
		case 'O':
			if (!strcmp(optarg, "sequential"))
				o.order = 0;
			else if (!strcmp(optarg, "shuffled"))
				o.order = 1;
			else
				usage_error("run",
					    "--order: '%s' is not sequential or shuffled",
					    optarg);
			break;
		case 'S':
			if (parse_u64(optarg, &o.seed) < 0)
				usage_error("run",
					    "--seed: '%s' is not a whole number",
					    optarg);
			o.seed_given = true;
			break;
		case 'E':
			o.resume = optarg;
			break;
		case 'P': {
			uint64_t v;

			if (parse_u64(optarg, &v) < 0 || v > 1000000)
				usage_error("run", "--point: '%s' is not a run index",
					    optarg);
			o.point = (long)v;
			break;
		}
		case 'L':
			o.slurm = true;
			break;
		case 'X':
			if (o.n_slurm_opts == ARRAY_SIZE(o.slurm_opts))
				usage_error("run", "at most %zu --slurm-opt",
					    ARRAY_SIZE(o.slurm_opts));
			o.slurm_opts[o.n_slurm_opts++] = optarg;
			break;
		case 'K':
			if (parse_uint_range(optarg, 1, 100000,
					     &o.slurm_parallel) < 0)
				usage_error("run",
					    "--slurm-parallel: '%s' is not a count",
					    optarg);
			break;
		default:
			common_option("run", c, run_usage);
		}
	}
	if (optind < argc)
		usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (o.resume && (o.n_sweep || o.repeat > 1 || o.order >= 0 ||
			 o.seed_given || explicit_config))
		usage_error("run",
			    "--resume takes the sweep, repeat, order, seed and config from DIR/manifest.json");
	if (o.point >= 0 && (!o.resume || o.slurm))
		usage_error("run", "--point I runs run I of --resume DIR (what a Slurm array task does)");
	if ((o.n_slurm_opts || o.slurm_parallel) && !o.slurm)
		usage_error("run", "--slurm-opt and --slurm-parallel go with --slurm");
	if (o.resume) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		return sweep(&o, NULL) < 0 ? 1 : 0;
	}
	o.config = config_default_path(explicit_config);
	if (access(o.config, R_OK) < 0)
		return error_errno(errno, "cannot read the configuration %s",
				   o.config);
	if (o.name) {
		name = strdup(o.name);
	} else {
		const char *b = strrchr(o.config, '/');
		size_t len;

		b = b ? b + 1 : o.config;
		len = strlen(b);
		if (str_has_suffix(b, ".ini"))
			len -= 4;
		name = strndup(b, len);
		if (name && !valid_name(name)) {
			free(name);
			name = strdup("run");
		}
	}
	if (!name)
		return error("out of memory");
	if (o.n_sweep)
		check_sweep_values(&o);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.n_sweep || o.repeat > 1 || o.slurm)
		ret = sweep(&o, name);
	else
		ret = experiment(&o, o.results, NULL, name, NULL, NULL, 0, &dir);
	for (size_t i = 0; i < o.n_sweep; i++) {
		free(o.sweep[i].key);
		for (size_t v = 0; v < o.sweep[i].n; v++)
			free(o.sweep[i].values[v]);
	}
	return ret < 0 ? 1 : 0;
}
