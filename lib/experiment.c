// SPDX-License-Identifier: MIT
/*
 * One experiment of daxlab run (lib/experiment.h): files, VMs, mounts
 * checked, page cache brought to the starting state, fio job, monitor on
 * host cgroups and guests, fio through the client, tail, residency; the
 * undos stop what runs and remove the cgroups. A failure or a signal at
 * any step keeps the partial results, marked incomplete.
 */
#include "experiment.h"

#include "fiofwd.h"
#include "fiojob.h"
#include "fioresult.h"
#include "fiover.h"
#include "residency.h"
#include "results.h"
#include "spawn.h"
#include "statedir.h"
#include "strv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the driver ---- */

static void emit(const struct steps *s, size_t i, enum step_event ev,
		 const char *msg)
{
	if (s->event)
		s->event(s->ud, i, ev, msg);
}

int steps_run(const struct steps *s)
{
	struct error err = { 0 };
	size_t ran = 0;
	int ret = 0;

	for (size_t i = 0; i < s->n; i++) {
		emit(s, i, STEP_EV_BEGIN, "");
		if (s->interrupted && *s->interrupted) {
			emit(s, i, STEP_EV_INTERRUPTED, "");
			ret = -EINTR;
			break;
		}
		err.msg[0] = '\0';
		ran = i + 1;
		ret = s->v[i].run(s->ud, &err);
		if (ret < 0) {
			emit(s, i, STEP_EV_FAILED, err.msg);
			break;
		}
		ret = 0;
		emit(s, i, STEP_EV_DONE, "");
	}
	emit(s, ran, STEP_EV_UNWIND, "");
	while (ran--) {
		if (!s->v[ran].undo)
			continue;
		emit(s, ran, STEP_EV_UNDO, "");
		err.msg[0] = '\0';
		if (s->v[ran].undo(s->ud, &err) < 0)
			emit(s, ran, STEP_EV_UNDO_FAILED, err.msg);
	}
	return ret;
}

/* ---- what the experiment says, and run.log ---- */

/*
 * A progress line "[  12.3s] MSG\n", or a warning or an error, to say()
 * and to run.log when there is a results folder (as "warning: MSG").
 */
static void vsay(struct experiment *x, enum experiment_say kind,
		 const char *fmt, va_list ap)
{
	double t = (double)(now_monotonic_ns() - x->t0_ns) / 1e9;
	_cleanup_free_ char *msg = NULL, *line = NULL;
	const char *said;

	if (vasprintf(&msg, fmt, ap) < 0) {
		msg = NULL;
		return;
	}
	if (kind == EXPERIMENT_PROGRESS)
		line = strdup_printf("[%6.1fs] %s\n", t, msg);
	else
		line = strdup_printf(
			"%s: %s\n",
			kind == EXPERIMENT_WARNING ? "warning" : "error", msg);
	if (line && x->dir)
		results_append(x->dir, "run.log", line);
	said = kind == EXPERIMENT_PROGRESS ? line : msg;
	if (said && x->o.say)
		x->o.say(x->o.ud, kind, said);
}

__attribute__((format(printf, 3, 4))) static void
say(struct experiment *x, enum experiment_say kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(x, kind, fmt, ap);
	va_end(ap);
}

void experiment_progress(struct experiment *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(x, EXPERIMENT_PROGRESS, fmt, ap);
	va_end(ap);
}

static void guard_say(struct experiment *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void teardown(struct experiment *x);

static void step(struct experiment *x, const char *name)
{
	x->step = name;
	guard_say(x, "step %s\n", name);
	experiment_progress(x, "%s", name);
}

/* Records why the run failed (first failure wins); -EIO. */
__attribute__((format(printf, 2, 3))) static int
fail(struct experiment *x, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!x->reason[0])
		snprintf(x->reason, sizeof(x->reason), "step '%s' failed: %s",
			 x->step, msg);
	say(x, EXPERIMENT_ERROR, "%s", msg);
	return -EIO;
}

static bool signalled(const struct experiment *x)
{
	return x->o.interrupted && *x->o.interrupted;
}

static bool interrupted(struct experiment *x)
{
	if (!signalled(x))
		return false;
	if (!x->reason[0])
		snprintf(x->reason, sizeof(x->reason),
			 "interrupted by %s during step '%s'",
			 *x->o.interrupted == SIGINT ? "SIGINT" : "SIGTERM",
			 x->step);
	return true;
}

static void vm_report_cb(void *ud, enum vm_report kind, const char *msg)
{
	struct experiment *x = ud;

	if (kind == VM_REPORT_WARN) {
		say(x, EXPERIMENT_WARNING, "%s", msg);
		return;
	}
	experiment_progress(x, "  %s", msg);
}

/* Sleeps up to ms; false when a signal came. */
static bool nap(struct experiment *x, int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
	return !interrupted(x);
}

/*
 * Waits for pid; *ret_code gets its exit code. Returns -EINTR when a
 * signal came first (the child is left running).
 */
static int wait_child(struct experiment *x, pid_t pid, int *ret_code)
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
		if (!nap(x, 100))
			return -EINTR;
	}
}

/* SIGTERM, then SIGKILL after ms; reaps and clears *pid (0: none ran). */
static int stop_child(pid_t *pid, int64_t ms)
{
	pid_t p = *pid;
	int st;

	if (p <= 0)
		return 0;
	*pid = 0;
	kill(p, SIGTERM);
	for (int64_t t = 0; t < ms; t += 50) {
		if (waitpid(p, &st, WNOHANG) == p)
			return WIFEXITED(st) ? WEXITSTATUS(st) :
					       128 + WTERMSIG(st);
		usleep(50000);
	}
	kill(p, SIGKILL);
	/* a SIGINT now must not leave it unreaped */
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	return 128 + SIGKILL;
}

/*
 * A helper of the run, WHAT in messages, in a new session that dies with
 * the run: stdout to out (else the log), stderr to the log (truncated).
 * With a note, its command line and the note are a progress line first.
 */
static int spawn_helper(struct experiment *x, const char *what,
			const char *const *argv, const char *note,
			const char *log, int out, pid_t *pid)
{
	_cleanup_close_ int logfd =
		open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	struct spawn_opts so;
	int ret;

	if (note) {
		_cleanup_free_ char *cmd = shell_join(argv);

		experiment_progress(x, "  %s%s", cmd ? cmd : "", note);
	}
	spawn_opts_init(&so, argv);
	so.fd_in = SPAWN_NULL;
	so.fd_out = out >= 0 ? out : logfd >= 0 ? logfd : SPAWN_NULL;
	so.fd_err = logfd >= 0 ? logfd : SPAWN_NULL;
	so.new_session = true;
	so.die_with_parent = true;
	ret = spawn(&so, pid);
	if (ret < 0)
		return fail(x, "cannot start %s: %s", what, strerror(-ret));
	return 0;
}

/* --- configuration and sweeps --- */

int experiment_set_workload(struct lab_config *c, const char *key,
			    const char *v, struct error *err)
{
	struct error e = { 0 };
	int ret = config_workload_set(&c->workload, key, v, &e);

	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		err_set(err, "--sweep: %s", e.msg);
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
static char *config_as_used(const struct experiment *x, const char *const *keys,
			    const char *const *vals, size_t n)
{
	_cleanup_free_ char *text = strdup(x->config_text);
	char *buf = NULL;
	size_t len = 0;
	bool in_workload = false, seen_workload = false;
	bool done[SWEEP_MAX_KEYS + 1] = { false };
	FILE *f;

	if (!text)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f,
		"; daxlab run: the configuration as used, from %s\n"
		"; (relative paths are relative to that file's folder)\n",
		x->c->path);
	if (x->point)
		fprintf(f, "; sweep point: %s\n", x->point);
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
	return memstream_close(f, &buf, true);
}

/* --- the steps --- */

/* "vm ID WHAT: ARGV", shell-quoted */
static void put_cmdline(FILE *f, const char *id, const char *what, char **argv)
{
	_cleanup_free_ char *l = shell_join((const char *const *)argv);

	fprintf(f, "vm %s %s: %s\n", id, what, l ? l : "");
}

static int write_cmdlines(struct experiment *x)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int ret = 0;

	if (!f)
		return fail(x, "out of memory");
	fprintf(f, "# the exact argument lists daxlab run started, one per "
		   "line, shell-quoted\n");
	for (size_t i = 0; i < x->c->n_vms; i++) {
		const struct vm_config *vm = &x->c->vms[i];
		char ***fsd = NULL;
		char **qemu = NULL;

		if (vm_cmdlines(&x->env, vm, &fsd, &qemu) < 0) {
			ret = fail(x, "vm %s: %s", vm->id, x->env.err.msg);
			break;
		}
		for (size_t k = 0; fsd && fsd[k]; k++)
			put_cmdline(f, vm->id, "virtiofsd", fsd[k]);
		put_cmdline(f, vm->id, "qemu", qemu);
		vm_cmdlines_free(fsd, qemu);
	}
	if (fclose(f) != 0)
		return fail(x, "out of memory");
	if (ret == 0 && results_write(x->dir, "cmdlines.txt", buf) < 0)
		ret = fail(x, "cannot write %s/cmdlines.txt", x->dir);
	return ret;
}

/* A signal stops the writing at once; fileset_create() undoes it. */
static bool create_progress(void *ud, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	return !signalled(ud);
}

static int create_files(struct experiment *x)
{
	struct error err = { 0 };
	struct fileset_create_result res = { 0 };
	_cleanup_free_ char *manifest = NULL;
	int ret;

	ret = workload_spec_from_config(x->c, &x->spec, &x->cfgdata, &err);
	if (ret < 0)
		return fail(x, "%s", err.msg);
	ret = fileset_plan_new(&x->spec, &x->plan, &err);
	if (ret < 0)
		return fail(x, "%s", err.msg);
	manifest = fileset_default_manifest(x->plan);
	ret = fileset_create(x->plan, manifest, 0, create_progress, x, &res,
			     &err);
	if (ret == -EINTR && interrupted(x))
		return -1;
	if (ret < 0)
		return fail(x, "%s", err.msg[0] ? err.msg : strerror(-ret));
	experiment_progress(x, "  %zu files written, %zu kept", res.written,
			    res.kept);
	if (res.removed)
		experiment_progress(x,
				    "  %zu files of an earlier layout removed",
				    res.removed);
	return 0;
}

#define CONSOLE_KEPT (4u << 20)

/*
 * The console of a VM this run started, as the results' console-ID.log
 * (its last 4 MiB): what its kernel said, also when it died or did not
 * come up, kept from the next start that begins it anew. Best effort; a
 * console older than the run is another's.
 */
static void keep_console(struct experiment *x, const struct vm_config *vm)
{
	_cleanup_free_ char *src =
		statedir_vm_path(x->c, vm, STATEDIR_CONSOLE_LOG);
	_cleanup_free_ char *dst =
		strdup_printf("%s/console-%s.log", x->dir, vm->id);

	if (src && dst)
		(void)copy_file_tail(src, dst, CONSOLE_KEPT, x->t0_wall);
}

/* lib/fleet.h: a child per VM, all or nothing (VMs up are stopped again) */
static int fleet_start_vm(void *ud, size_t i, char *msg, size_t len)
{
	struct experiment *x = ud;
	int r;

	/* a run killed outright: undo, and let its guard stop the rest */
	if (x->guard_fd >= 0)
		close(x->guard_fd);
	x->guard_fd = -1;
	r = vm_start(&x->env, &x->c->vms[i], x->c->lab.boot_timeout);
	if (r < 0) {
		/* not a refused start's: the VM's console is another's */
		if (x->env.console_ours)
			keep_console(x, &x->c->vms[i]);
		return snprintf(msg, len, "%s", x->env.err.msg), -1;
	}
	return 0;
}

static void guest_poweroff(struct experiment *x, const struct vm_config *vm);

/* msg: how a VM that had died before ended, with evidence of how */
static int fleet_stop_vm(void *ud, size_t i, char *msg, size_t len)
{
	struct experiment *x = ud;
	const struct vm_config *vm = &x->c->vms[i];
	struct vm_stop_info info;

	if (x->vm_state[i] == FLEET_UP)
		guest_poweroff(x, vm);
	if (vm_stop_report(&x->env, vm, &info) < 0)
		return snprintf(msg, len, "%s", x->env.err.msg), -1;
	keep_console(x, vm);
	if (info.died &&
	    (info.end.how == VM_END_OOM || info.end.how == VM_END_SIGNAL ||
	     info.end.how == VM_END_EXIT))
		snprintf(msg, len, "%s", info.end.what);
	return 0;
}

static void fleet_vm_event(void *ud, size_t i, enum fleet_event ev,
			   const char *msg)
{
	struct experiment *x = ud;
	const char *id = x->c->vms[i].id;

	/* the guard stops what is up or half-way, as fleet_stop() would */
	guard_say(x, "vm %zu %d\n", i, (int)x->vm_state[i]);
	switch (ev) {
	case FLEET_EV_STARTING:
		break;
	case FLEET_EV_UP:
		experiment_progress(x, "  vm %s ready", id);
		break;
	case FLEET_EV_FAILED: {
		_cleanup_free_ char *dir = statedir_vm_dir(x->c, &x->c->vms[i]);

		if (interrupted(x))
			experiment_progress(x, "  vm %s: %s", id, msg);
		else
			fail(x, "vm %s did not start: %s (see %s/)", id,
			     *msg ? msg : "cause unknown", dir ? dir : "?");
		break;
	}
	case FLEET_EV_ROLLBACK:
		experiment_progress(x, "  stopping vm %s again", id);
		break;
	case FLEET_EV_STOPPED:
		if (*msg && !x->vm_died[0])
			snprintf(x->vm_died, sizeof(x->vm_died),
				 "vm %s had died: %s", id, msg);
		break;
	case FLEET_EV_STOP_FAILED:
		say(x, EXPERIMENT_WARNING, "vm %s: %s", id, msg);
		break;
	}
}

static struct fleet run_fleet(struct experiment *x)
{
	return (struct fleet){ .n = x->c->n_vms,
			       .start = fleet_start_vm,
			       .stop = fleet_stop_vm,
			       .event = fleet_vm_event,
			       .ud = x,
			       .interrupted = x->o.interrupted };
}

static int start_vms(struct experiment *x)
{
	struct fleet f = run_fleet(x);
	int ret = fleet_start(&f, x->vm_state);

	if (ret < 0 && !x->reason[0] && !interrupted(x))
		fail(x, "cannot start the VMs: %s", strerror(-ret));
	return ret < 0 ? -1 : 0;
}

/*
 * fio's client (here) and servers (in the guests) must be the same
 * version, or the run ends in "fio exited with 1" and no more: ask every
 * guest over ssh before anything is measured.
 */
static int check_fio_versions(struct experiment *x)
{
	_cleanup_free_ char *cfg = statedir_ssh_config(x->c);
	_cleanup_free_ struct fiover_vm *v =
		calloc(x->c->n_vms ? x->c->n_vms : 1, sizeof(*v));
	char host[64];
	struct error err = { 0 };
	struct prov_vm *pv;
	size_t n = 0;
	int bad = 0;

	if (!cfg || !v)
		return fail(x, "out of memory");
	if (fiover_host("fio", host, sizeof(host), &err) < 0)
		return fail(x, "%s", err.msg);
	for (size_t i = 0; i < x->c->n_vms; i++) {
		const struct vm_config *vm = &x->c->vms[i];

		if (vm->net != VM_NET_NONE) {
			v[n++].vm = vm;
			continue;
		}
		pv = provenance_vm(&x->prov, vm->id);
		if (pv)
			provenance_set(&pv->fio, "not checked (net = none)");
	}
	fiover_check_vms(cfg, "fio", host, v, n);
	for (size_t i = 0; i < n; i++) {
		pv = provenance_vm(&x->prov, v[i].vm->id);
		if (pv)
			provenance_set(&pv->fio, "%s", v[i].version);
		if (v[i].r < 0) {
			/* each VM's message; the first is the run's reason */
			fail(x, "%s", v[i].err.msg);
			bad++;
		} else {
			experiment_progress(x, "  vm %s: %s, as on this host",
					    v[i].vm->id, v[i].version);
		}
	}
	provenance_write(x->dir, &x->prov);
	return bad ? -1 : 0;
}

static bool asked_dax(const struct share_config *s)
{
	return s->backend == SHARE_BACKEND_VIRTIO_PMEM ||
	       results_options_have_dax(s->options);
}

static int check_mounts(struct experiment *x)
{
	int bad = 0;

	for (size_t i = 0; i < x->c->n_vms; i++) {
		const struct vm_config *vm = &x->c->vms[i];
		_cleanup_free_ char *dir = statedir_vm_dir(x->c, vm);
		_cleanup_free_ char *log = NULL, *text = NULL;
		struct mount_line ml[32];
		size_t n = 0;
		bool shared_dax = true, any_shared = false;
		struct prov_vm *pv;
		char said[1024];

		/* an image VM's mounts were read at start (lib/vmimage.h) */
		log = dir ? strdup_printf("%s/%s", dir,
					  vm->image ? "mounts" :
						      "console.log") :
			    NULL;
		if (log && read_full_file(log, 64u << 20, &text, NULL) == 0)
			n = results_parse_mount_lines(text, ml, ARRAY_SIZE(ml));
		for (size_t s = 0; s < x->c->n_shares; s++) {
			const struct share_config *sh = &x->c->shares[s];
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
			provenance_share_mount(&x->prov, sh->name, vm->id, said,
					       !m  ? PROV_UNKNOWN :
					       dax ? PROV_YES :
						     PROV_NO);
			if (sh->shared) {
				any_shared = true;
				shared_dax &= dax;
			}
			if (!m) {
				say(x, EXPERIMENT_WARNING,
				    "vm %s: share %s: the guest said "
				    "nothing about %s",
				    vm->id, sh->name, sh->mount);
			} else if (!m->ok) {
				say(x, EXPERIMENT_ERROR,
				    "vm %s: share %s: mount on %s failed: %s",
				    vm->id, sh->name, sh->mount, m->options);
				bad++;
			} else if (asked_dax(sh) && !dax) {
				say(x, EXPERIMENT_WARNING,
				    "vm %s: share %s asked for DAX but is "
				    "mounted without it (%s %s)",
				    vm->id, sh->name, m->fstype, m->options);
			} else {
				experiment_progress(
					x, "  vm %s: %s on %s: %s%s", vm->id,
					sh->name, sh->mount, m->fstype,
					dax ? " with DAX" : " without DAX");
			}
		}
		pv = any_shared ? provenance_vm(&x->prov, vm->id) : NULL;
		if (pv)
			pv->shared_dax = shared_dax ? PROV_YES : PROV_NO;
	}
	provenance_write(x->dir, &x->prov);
	if (bad)
		return fail(x, "%d share(s) not mounted", bad);
	return 0;
}

/*
 * The virtio-pmem images there are, NULL-terminated: all of them, or
 * (set) the one that holds the shared set, or VM vm's private set.
 */
static char **pmem_images(struct experiment *x, bool set, const char *vm)
{
	const struct share_config *sh, *of = fs_set_share(x->c, !vm);
	const struct vm_config *v;
	size_t pos = 0, n = 0;
	char **ret = calloc(1 + x->c->n_shares * x->c->n_vms, sizeof(*ret));

	while (ret && statedir_pmem_next(x->c, &pos, &sh, &v)) {
		char *p;

		if (set && (sh != of || (vm && strcmp(v->id, vm))))
			continue;
		p = statedir_pmem_image(x->c, v, sh);
		if (p && access(p, F_OK) == 0)
			ret[n++] = p;
		else
			free(p);
	}
	return ret;
}

/* One file into the host page cache (warm), or out of it. */
static int set_file_cache(struct experiment *x, const char *p, bool warm)
{
	int e = warm ? fileset_file_warm(p) : fileset_file_evict(p);

	return e < 0 ? fail(x, "%s: %s", p, strerror(-e)) : 0;
}

/*
 * Whether f's set is on virtio-pmem: its host copy is the image qemu
 * maps, and nothing reads the folder's files in the run; warm, they
 * would count as a second host copy (and virtiofsd's, which has none).
 */
static bool in_pmem_set(const struct experiment *x, const struct fs_file *f)
{
	const struct share_config *sh = fs_set_share(x->c, f->set == FS_SHARED);

	return sh && sh->backend == SHARE_BACKEND_VIRTIO_PMEM;
}

/*
 * --warm: files dropped and read in again by a child in cgroup cg, as
 * the process that reads them in the run would: charged to that cgroup
 * (which the monitor samples), on its nodes; not to daxlab's own or
 * mkfs's, on whatever node they ran. paths: NULL-terminated.
 */
static int warm_in_cgroup(struct experiment *x, const char *cg,
			  const char *const *paths)
{
	char msg[512] = "";
	int fds[2], ws = 0;
	ssize_t n;
	pid_t parent = getpid(), pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return fail(x, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return fail(x, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct error err = { 0 };
		int r;

		/* a run killed outright: its guard tears down, not waiting */
		if (x->guard_fd >= 0)
			close(x->guard_fd);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		r = cg_enter(&x->env.cg, cg, &err);
		if (r < 0)
			dprintf(fds[1], "cannot enter cgroup %s: %s", cg,
				err.msg);
		/* dropped first: what another read before (mkfs) is not */
		for (size_t i = 0; r == 0 && paths[i]; i++)
			if ((r = fileset_file_evict(paths[i])) < 0 ||
			    (r = fileset_file_warm(paths[i])) < 0)
				dprintf(fds[1], "%s: %s", paths[i],
					strerror(-r));
		_exit(r < 0);
	}
	close(fds[1]);
	do
		n = read(fds[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR && !interrupted(x));
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	if (interrupted(x))
		kill(pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		if (interrupted(x))
			kill(pid, SIGKILL);
	if (interrupted(x))
		return -1;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws))
		return fail(x, "%s", msg[0] ? msg : "the warm-up ended badly");
	return 0;
}

/*
 * In cgroups, the sets' files are read by virtiofsd's and each
 * virtio-pmem image by the cgroup of the qemu that maps it (an image
 * several VMs map: the first of them, as statedir_pmem_next() gives it).
 */
static int warm_in_cgroups(struct experiment *x, size_t *n_img)
{
	_cleanup_free_ const char **paths =
		calloc(x->plan->n_files + 1, sizeof(*paths));
	const struct share_config *sh;
	const struct vm_config *v;
	size_t pos = 0;
	size_t n = 0;
	int ret;

	if (!paths)
		return fail(x, "out of memory");
	for (size_t i = 0; i < x->plan->n_files; i++) {
		const struct fs_file *f = &x->plan->files[i];

		if (!in_pmem_set(x, f))
			paths[n++] = f->path;
		else if ((ret = set_file_cache(x, f->path, false)) < 0)
			return ret;
	}
	ret = n ? warm_in_cgroup(x, x->c->virtiofsd.cg.cgroup, paths) : 0;
	while (!ret && statedir_pmem_next(x->c, &pos, &sh, &v)) {
		_cleanup_free_ char *img = statedir_pmem_image(x->c, v, sh);

		if (!img)
			return fail(x, "out of memory");
		if (access(img, F_OK) < 0)
			continue;
		ret = warm_in_cgroup(x, v->cg.cgroup,
				     (const char *const[]){ img, NULL });
		(*n_img)++;
	}
	return ret;
}

static int set_page_cache(struct experiment *x)
{
	_cleanup_strv_ char **img = NULL;
	bool in_cg = x->o.warm && x->env.cg_ok;
	size_t n_img = 0, n_pmem = 0;
	int ret = 0;

	for (size_t i = 0; i < x->plan->n_files; i++)
		n_pmem += in_pmem_set(x, &x->plan->files[i]);
	if (in_cg) {
		ret = warm_in_cgroups(x, &n_img);
	} else {
		img = pmem_images(x, false, NULL);
		if (!img)
			return fail(x, "out of memory");
		for (size_t i = 0; i < x->plan->n_files && !ret; i++)
			ret = set_file_cache(
				x, x->plan->files[i].path,
				x->o.warm &&
					!in_pmem_set(x, &x->plan->files[i]));
		/* the images too: qemu maps them, not virtiofsd */
		for (; img[n_img] && !ret; n_img++)
			ret = set_file_cache(x, img[n_img], x->o.warm);
	}
	if (!ret && x->o.warm && n_pmem)
		experiment_progress(
			x,
			"  host page cache dropped for the %zu files of the virtio-pmem sets (their host copy is the image)",
			n_pmem);
	if (!ret)
		experiment_progress(x,
				    "  host page cache %s for %zu files%s%s%s",
				    x->o.warm ? "warmed" : "dropped",
				    x->plan->n_files - (x->o.warm ? n_pmem : 0),
				    in_cg ? ", read in cgroup " : "",
				    in_cg ? x->c->virtiofsd.cg.cgroup : "",
				    !n_img ? "" :
				    in_cg  ? ", and the virtio-pmem images in "
					     "their VMs' cgroups" :
					     " and the virtio-pmem images");
	return ret;
}

static int write_job(struct experiment *x)
{
	struct fiojob_opts jo;
	_cleanup_free_ char *job = NULL, *hosts = NULL;
	_cleanup_strv_ char **hv = NULL;
	struct strv b = { 0 };
	struct error err = { 0 };
	int ret;

	fiojob_opts_init(&jo);
	fiojob_opts_from_config(&jo, &x->c->workload, &x->cfgdata);
	/*
	 * invalidate=0: daxlab run sets the starting state; fio dropping a
	 * file's cache at every open (in the guest, too) would hide what
	 * the page caches really keep.
	 */
	jo.warm = true;
	jo.comment = "daxlab run";
	ret = fiojob_render(x->plan, &jo, &job, &err);
	if (ret < 0)
		return fail(x, "%s", err.msg[0] ? err.msg : strerror(-ret));
	if (results_write(x->dir, "fio.job", job) < 0)
		return fail(x, "cannot write %s/fio.job", x->dir);
	for (size_t i = 0; i < x->c->n_vms; i++) {
		_cleanup_free_ char *w = fiofwd_client(x->c, &x->c->vms[i]);

		if (w)
			strv_push(&b, w);
		else
			b.err = -ENOMEM;
	}
	hv = strv_steal(&b);
	hosts = strdup_printf("%s/fio.hosts", x->dir);
	if (!hosts || !hv)
		return fail(x, "out of memory");
	ret = fiojob_write_host_list(hosts, (const char *const *)hv);
	if (ret < 0)
		return fail(x, "cannot write %s: %s", hosts, strerror(-ret));
	return 0;
}

static bool csv_has_source(const char *path, const char *src)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *needle = strdup_printf(",%s,file,", src);

	if (!needle || read_full_file(path, 256u << 20, &text, NULL) < 0)
		return false;
	return strstr(text, needle) != NULL;
}

static int start_residency(struct experiment *x);

/*
 * A source of stats.csv in the provenance: its kind, its VM and, for a
 * host cgroup, its memory cgroup as residency.csv names it (below the
 * hierarchy's root), so that the report matches the page cache of each
 * source to the file sets' pages charged to it (the closure). A host
 * cgroup's memory.numa_stat goes to the monitor's argument list a as
 * "NAME=FILE".
 */
static void add_source(struct experiment *x, struct strv *a, const char *name,
		       const char *kind, const char *vm, const char *cgroup)
{
	const char *parent = x->env.cg.parent ? x->env.cg.parent : "";
	_cleanup_free_ char *p = NULL;
	struct prov_source *s;

	if (!name) {
		a->err = -ENOMEM;
		return;
	}
	s = provenance_source(&x->prov, name);
	if (s) {
		provenance_set(&s->kind, "%s", kind);
		if (vm)
			provenance_set(&s->vm, "%s", vm);
		if (cgroup)
			provenance_set(&s->memcg, "/%s%s%s", parent,
				       *parent ? "/" : "", cgroup);
	}
	if (!cgroup)
		return;
	p = cg_path(&x->env.cg, "memory", cgroup, "memory.numa_stat");
	strv_pushf(a, "%s=%s", name, p);
}

static int start_monitor(struct experiment *x)
{
	struct strv a = { 0 };
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *csv = strdup_printf("%s/stats.csv", x->dir);
	_cleanup_free_ char *log = strdup_printf("%s/monitor.log", x->dir);
	_cleanup_free_ char *sshcfg = statedir_ssh_config(x->c);

	if (!csv || !log || !sshcfg)
		return fail(x, "out of memory");
	strv_push_all(&a, "/proc/self/exe", "stats", "monitor", "--cgroups",
		      NULL);
	/* the host root's memory.numa_stat (not below cgroup_parent) */
	strv_pushf(&a, "host=%s%s/memory.numa_stat", x->env.cg.root,
		   x->env.cg.version == CG_V1 ? "/memory" : "");
	add_source(x, &a, "host", "host", NULL, NULL);
	add_source(x, &a, "virtiofsd", "virtiofsd", NULL,
		   x->c->virtiofsd.cg.cgroup);
	for (size_t i = 0; i < x->c->n_vms; i++) {
		const struct vm_config *vm = &x->c->vms[i];
		_cleanup_free_ char *src = strdup_printf("%s-cg", vm->name);

		add_source(x, &a, src, "vm-cgroup", vm->id, vm->cg.cgroup);
		add_source(x, &a, vm->name, "guest", vm->id, NULL);
		strv_pushf(&a, "%s=%s:/sys/fs/cgroup/memory.numa_stat",
			   vm->name, vm->ssh);
	}
	strv_push_all(&a, "--ssh-config", sshcfg, "--interval", NULL);
	strv_pushf(&a, "%u", x->o.interval_ms);
	strv_push_all(&a, "--duration", "0", "--output", csv, "--quiet", NULL);
	argv = strv_steal(&a);
	provenance_write(x->dir, &x->prov);
	if (!argv)
		return fail(x, "cannot start the monitor: %s",
			    strerror(ENOMEM));
	if (spawn_helper(x, "the monitor", (const char *const *)argv, "", log,
			 -1, &x->monitor) < 0)
		return -1;

	/* the baseline: every guest answered once before fio starts */
	for (int64_t t = 0;; t += 200) {
		bool all = true;
		int st;

		if (waitpid(x->monitor, &st, WNOHANG) == x->monitor) {
			x->monitor = 0;
			return fail(x, "the monitor exited (see %s)", log);
		}
		for (size_t i = 0; i < x->c->n_vms && all; i++)
			all = csv_has_source(csv, x->c->vms[i].name);
		if (all && csv_has_source(csv, "host"))
			break;
		if (t > 60000)
			return fail(x,
				    "the monitor saw no guest in 60 s "
				    "(see %s)",
				    log);
		if (!nap(x, 200))
			return -1;
	}
	experiment_progress(x, "  monitor sampling every %u ms",
			    x->o.interval_ms);
	if (start_residency(x) < 0)
		return -1;
	return 0;
}

/*
 * fio's stdout holds the servers' messages ("<vm0> ...") before the JSON:
 * the JSON goes to fio.json, the rest to fio.log.
 */
static int split_fio_output(struct experiment *x, const char *out_path)
{
	_cleanup_free_ char *text = NULL;
	const char *json = NULL;
	int ret;

	ret = read_full_file(out_path, 256u << 20, &text, NULL);
	if (ret < 0)
		return ret;
	/* the first line that starts with '{' */
	json = *text == '{' ? text : strstr(text, "\n{");
	if (json && *json == '\n')
		json++;
	if (json) {
		ret = results_write(x->dir, "fio.json", json);
		if (ret < 0)
			return ret;
		text[json - text] = '\0';
	}
	if (*text)
		results_append(x->dir, "fio.log", text);
	unlink(out_path);
	return json ? 0 : -EBADMSG;
}

/*
 * The VMs whose fio gave no I/O or an error in fio.json, as "vm 1 (no
 * results), ..."; empty when every VM's fio did its part.
 */
static void fio_failed_vms(struct experiment *x, char *buf, size_t len)
{
	_cleanup_free_ char *path = strdup_printf("%s/fio.json", x->dir);
	_cleanup_free_ char *text = NULL;
	struct fio_result *fr = NULL;
	size_t used = 0;

	buf[0] = '\0';
	if (!path || read_full_file(path, 256u << 20, &text, NULL) < 0 ||
	    fioresult_parse(text, &fr) < 0)
		return;
	for (size_t i = 0; i < x->c->n_vms; i++) {
		const struct vm_config *vm = &x->c->vms[i];
		char id[65]; /* valid_name(): 64 at most */
		bool seen = false, error = false;
		uint64_t ios = 0;

		for (size_t j = 0; j < fr->n; j++) {
			if (!statedir_fio_sock_vm(fr->jobs[j].host, id,
						  sizeof(id)) ||
			    strcmp(id, vm->id))
				continue;
			seen = true;
			error |= fr->jobs[j].error != 0;
			ios += fr->jobs[j].ios;
		}
		if (seen && !error && ios > 0)
			continue;
		used += (size_t)snprintf(
			buf + used, used < len ? len - used : 0, "%svm %s (%s)",
			used ? ", " : "", vm->id,
			!seen ? "no results" :
			error ? "fio error" :
				"no I/O");
		if (used >= len)
			break;
	}
	fioresult_free(fr);
}

/* The forwards of the VMs' fio servers (lib/fiofwd.h), for run_fio(). */
static int forward_fio(struct experiment *x, struct fiofwd *fw, size_t n)
{
	const struct vm_config *vms[FLEET_MAX];
	struct error err = { 0 };
	int r;

	for (size_t i = 0; i < n; i++)
		vms[i] = &x->c->vms[i];
	r = fiofwd_start(x->c, vms, n, fw,
			 now_monotonic_ns() + 60 * INT64_C(1000000000),
			 x->o.interrupted, &err);
	if (r == -EINTR && interrupted(x))
		return -1;
	if (r < 0)
		return fail(x, "%s", err.msg[0] ? err.msg : strerror(-r));
	return 0;
}

static int run_fio(struct experiment *x)
{
	struct fiofwd fw[FLEET_MAX];
	size_t nfw = x->c->n_vms < FLEET_MAX ? x->c->n_vms : FLEET_MAX;
	_cleanup_free_ char *hosts =
		strdup_printf("--client=%s/fio.hosts", x->dir);
	_cleanup_free_ char *job = strdup_printf("%s/fio.job", x->dir);
	_cleanup_free_ char *log = strdup_printf("%s/fio.log", x->dir);
	_cleanup_free_ char *out = strdup_printf("%s/fio.out", x->dir);
	const char *argv[] = { "fio", hosts, "--output-format=json", job,
			       NULL };
	_cleanup_close_ int outfd = -1;
	char note[32], vms[512];
	int code = 0, ret;

	if (!hosts || !out || !job || !log)
		return fail(x, "out of memory");
	outfd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (outfd < 0)
		return fail(x, "cannot write %s: %s", out, strerror(errno));
	snprintf(note, sizeof(note), " (%u s)", x->c->workload.runtime);
	if (forward_fio(x, fw, nfw) < 0)
		return -1;
	if (spawn_helper(x, "fio", argv, note, log, outfd, &x->fio) < 0) {
		fiofwd_stop(fw, nfw);
		return -1;
	}
	ret = wait_child(x, x->fio, &code);
	fiofwd_stop(fw, nfw);
	if (ret == -EINTR)
		return -1;
	x->fio = 0;
	if (ret < 0)
		return fail(x, "waiting for fio: %s", strerror(-ret));
	ret = split_fio_output(x, out);
	fio_failed_vms(x, vms, sizeof(vms));
	if (code != 0) {
		/* fio ran: what it measured is kept, but the run failed */
		x->failed = true;
		if (vms[0])
			return fail(x, "fio failed in %s; exit %d (see %s)",
				    vms, code, log);
		return fail(x, "fio exited with %d (see %s)", code, log);
	}
	if (ret < 0)
		return fail(x, "fio wrote no JSON (see %s)", log);
	/* a client that lost a server (its forward, its guest) exits 0 */
	if (vms[0]) {
		x->failed = true;
		return fail(
			x,
			"fio exited 0, but not every VM did its part: %s (see %s)",
			vms, log);
	}
	return 0;
}

static int measure_residency(struct experiment *x)
{
	_cleanup_free_ struct residency_row *rows = NULL;
	size_t n = 0;
	_cleanup_free_ char *csv = NULL;
	_cleanup_free_ const char **paths =
		calloc(x->plan->n_files + 1, sizeof(*paths));
	char **img;
	int ret = paths ? 0 : -ENOMEM;

	/* v 0: the shared set; v 1...: the private set of VM v - 1 */
	for (size_t v = 0; v <= x->plan->spec.vms && !ret; v++) {
		const char *vm_id = v ? x->plan->vm_ids[v - 1] : NULL;
		size_t k = 0;

		for (size_t i = 0; i < x->plan->n_files; i++) {
			const struct fs_file *f = &x->plan->files[i];

			if ((f->set == FS_SHARED) != !v)
				continue;
			if (v && strcmp(f->vm_id, vm_id) != 0)
				continue;
			paths[k++] = f->path;
		}
		paths[k] = NULL;
		if (k)
			ret = residency_measure(v ? "private" : "shared", vm_id,
						"files", paths, &rows, &n);
		/* its virtio-pmem images: the host copy the guests read */
		img = pmem_images(x, true, vm_id);
		if (!img)
			ret = ret ? ret : -ENOMEM;
		else if (!ret && img[0])
			ret = residency_measure(
				v ? "private" : "shared", vm_id, "image",
				(const char *const *)img, &rows, &n);
		strv_free(img);
	}
	if (ret < 0)
		return fail(x, "residency: %s", strerror(-ret));
	csv = residency_format(rows, n);
	if (!csv || results_write(x->dir, "residency-end.csv", csv) < 0)
		return fail(x, "cannot write %s/residency-end.csv", x->dir);
	return 0;
}

/*
 * The file sets' host page cache per cgroup and node over time: `daxlab
 * files residency --output residency.csv --interval` on the plan of this
 * run, from the start of the monitor to its end (then a last sample).
 */
static int start_residency(struct experiment *x)
{
	const struct workload_config *w = &x->c->workload;
	_cleanup_free_ char *csv = strdup_printf("%s/residency.csv", x->dir);
	_cleanup_free_ char *log = strdup_printf("%s/residency.log", x->dir);
	_cleanup_strv_ char **argv = NULL;
	struct strv a = { 0 };

	if (!w->residency_interval_ms)
		return 0;
	if (!csv || !log)
		return fail(x, "out of memory");
	strv_push_all(&a, "/proc/self/exe", "files", "residency", "--config",
		      x->o.config, "--size", NULL);
	strv_pushf(&a, "%llu", (unsigned long long)w->size);
	strv_push(&a, "--file-size");
	strv_pushf(&a, "%llu", (unsigned long long)w->file_size);
	strv_push(&a, "--private-ratio");
	strv_pushf(&a, "%u", w->private_ratio);
	strv_push(&a, "--access-ratio");
	strv_pushf(&a, "%u", w->access_ratio);
	strv_push(&a, "--hot-ratio");
	strv_pushf(&a, "%u", w->hot_ratio);
	strv_push(&a, "--hot-access-ratio");
	strv_pushf(&a, "%u", w->hot_access_ratio);
	strv_push_all(&a, "--output", csv, "--interval", NULL);
	strv_pushf(&a, "%llums", (unsigned long long)w->residency_interval_ms);
	if (!fs_guest_open_drops(x->c))
		strv_push(&a, "--guests");
	else
		say(x, EXPERIMENT_WARNING,
		    "residency.csv has the host's copies only: share %s is virtiofs with [virtiofsd] cache = auto, where every open of a file in the guest drops its page cache there, so measuring the guests' copies would empty them",
		    fs_guest_open_drops(x->c)->name);
	strv_push(&a, "--quiet");
	argv = strv_steal(&a);
	if (!argv)
		return fail(x, "out of memory");
	if (spawn_helper(x, "the residency sampler", (const char *const *)argv,
			 NULL, log, -1, &x->residency) < 0)
		return -1;
	experiment_progress(
		x, "  residency of the file sets every %llu ms into %s",
		(unsigned long long)w->residency_interval_ms, csv);
	return 0;
}

/*
 * Stops a helper of the monitor step: 0, or its exit code (128 + N for a
 * signal); *own: it had ended on its own before it was asked to.
 */
static int stop_helper(pid_t *pid, int64_t ms, bool *own)
{
	int st;

	*own = *pid > 0 && waitpid(*pid, &st, WNOHANG) == *pid;
	if (!*own)
		return stop_child(pid, ms);
	*pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Either not running gives code 0: nothing to say. One that had exited
 * on its own with another code (killed by the OOM killer, a full disk)
 * left stats.csv or residency.csv ending before the run did: at the end
 * of the run (strict) that fails it, so no summary counts it complete and
 * --resume runs it again. On a rollback, or when it did not end in time
 * once asked (its last sample is then what is missing), a warning.
 */
static int stop_monitor(struct experiment *x, bool strict)
{
	static const struct {
		const char *what, *csv;
		int64_t ms;
	} h[] = { { "the residency sampler", "residency.csv", 30000 },
		  { "the monitor", "stats.csv", 5000 } };
	pid_t *pids[] = { &x->residency, &x->monitor };
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
		bool own;
		int code = stop_helper(pids[i], h[i].ms, &own);

		if (code == 0 || code == 128 + SIGTERM)
			continue;
		if (strict && own)
			ret = fail(
				x,
				"%s exited with %d before the run ended: %s is cut short (see %s)",
				h[i].what, code, h[i].csv, x->dir);
		else
			say(x, EXPERIMENT_WARNING, "%s exited with %d (see %s)",
			    h[i].what, code, x->dir);
	}
	return ret;
}

/*
 * A fast path: a ready guest is asked over ssh to power off at once
 * (qemu runs with -no-reboot and exits); vm_stop_report() then only
 * cleans up. The ACPI power button that it presses also works (the tiny guest
 * unmounts and powers off), but takes about 3 s under TCG, and a guest
 * image may ignore it. Best effort: vm_stop_report() does the rest.
 */
static void guest_poweroff(struct experiment *x, const struct vm_config *vm)
{
	_cleanup_free_ char *cfg = statedir_ssh_config(x->c);
	_cleanup_free_ char *pidfile =
		statedir_vm_path(x->c, vm, STATEDIR_QEMU_PID);
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

/*
 * The guard: a child of the run that outlives it. A run killed outright
 * (SIGKILL, a crash) cannot tear down; its monitor and fio die with it
 * (PR_SET_PDEATHSIG: the monitor ends on a whole tick), but the VMs would
 * run on. The run tells its guard through a socket pair, a line at a
 * time, the step it is in, each VM's state (lib/fleet.h) as it changes,
 * and "done" once it tore down itself; a stream that ends without "done"
 * means the run died, and the guard stops the VMs the run started and
 * marks the results incomplete.
 */
static void guard_say(struct experiment *x, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (x->guard_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/*
	 * One send of a short line: it arrives whole. MSG_NOSIGNAL: a guard
	 * that is gone must not take the run with it (SIGPIPE); the run
	 * goes on without one, and says so.
	 */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    send(x->guard_fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		int e = errno;

		close(x->guard_fd);
		x->guard_fd = -1;
		say(x, EXPERIMENT_WARNING,
		    "the guard of this run (pid %d) is gone (%s): a run killed from now on leaves its VMs running",
		    (int)x->guard, strerror(e));
	}
}

static _Noreturn void guard_main(struct experiment *x, int fd, pid_t run_pid)
{
	_cleanup_fclose_ FILE *f = NULL;
	char *line = NULL, laststep[128] = "prepare";
	size_t cap = 0;
	ssize_t n;
	unsigned long i;
	int st;

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
		else if (sscanf(line, "vm %lu %d", &i, &st) == 2 &&
			 i < ARRAY_SIZE(x->vm_state) && st >= FLEET_DOWN &&
			 st <= FLEET_STOP_FAILED)
			x->vm_state[i] = (enum fleet_state)st;
	}
	free(line);
	/* the run is gone without tearing down */
	x->step = laststep;
	snprintf(x->reason, sizeof(x->reason),
		 "daxlab run (pid %d) died during step '%s'; its guard "
		 "stopped the VMs",
		 (int)run_pid, laststep);
	experiment_progress(
		x,
		"daxlab run (pid %d) died during step '%s': stopping "
		"its VMs",
		(int)run_pid, laststep);
	teardown(x);
	results_set_status(x->dir, RESULTS_INCOMPLETE, x->reason);
	experiment_progress(x, "%s: incomplete: %s", x->dir, x->reason);
	_exit(0);
}

/* Starts the guard; without one (fork failed) the run goes on. */
static void guard_start(struct experiment *x)
{
	int fds[2];
	pid_t run_pid = getpid();

	x->guard_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
		say(x, EXPERIMENT_WARNING,
		    "no guard for this run: socketpair: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	x->guard = fork();
	if (x->guard < 0) {
		say(x, EXPERIMENT_WARNING, "no guard for this run: fork: %s",
		    strerror(errno));
		x->guard = 0;
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (x->guard == 0) {
		close(fds[1]);
		/* its own group: a ^C meant for the run is not for it */
		setpgid(0, 0);
		/* "daxlab-guard" in ps and pgrep -x */
		(void)prctl(PR_SET_NAME, "daxlab-guard");
		guard_main(x, fds[0], run_pid);
	}
	close(fds[0]);
	x->guard_fd = fds[1];
	guard_say(x, "step %s\n", x->step);
}

/* The run tore down itself: the guard ends. */
static void guard_end(struct experiment *x)
{
	guard_say(x, "done\n");
	if (x->guard_fd >= 0)
		close(x->guard_fd);
	x->guard_fd = -1;
	if (x->guard > 0)
		while (waitpid(x->guard, NULL, 0) < 0 && errno == EINTR)
			;
	x->guard = 0;
}

/* ---- the steps and their undos ---- */

/*
 * Before the first step that is announced: the configuration as used,
 * the VM environment (refused before files are made when the cgroups
 * cannot go where configured), the guard, the provenance.
 */
static int prepare(struct experiment *x)
{
	_cleanup_free_ char *used =
		config_as_used(x, x->keys, x->vals, x->n_keys);

	if (!used || results_write(x->dir, "config.ini", used) < 0)
		return fail(x, "cannot write %s/config.ini", x->dir);
	vm_env_init(&x->env, x->c, false, false);
	x->env.interrupted = x->o.interrupted;
	/* image VMs get a copy, to measure their page cache inside */
	x->env.resident = x->o.resident;
	x->env.report = vm_report_cb;
	x->env.ud = x;
	x->env_ok = true;
	if (!x->env.cg_ok)
		return fail(x,
			    "no usable cgroup hierarchy below /sys/fs/cgroup");
	if (vm_check_place(&x->env) < 0)
		return fail(x, "%s", x->env.err.msg);
	guard_start(x);
	provenance_add_config(&x->prov, x->c, x->point, x->o.warm, x->o.tail_ms,
			      x->o.interval_ms);
	provenance_add_topology(&x->prov, "/sys/devices/system");
	provenance_write(x->dir, &x->prov);
	return 0;
}

/* virtiofsd's cgroup, the leaf and the scope */
static int release_cgroups(struct experiment *x)
{
	if (x->env_ok)
		(void)vm_cgroups_release(&x->env);
	return 0;
}

/* the pmem image is made from the folder: files come first */
static int make_files(struct experiment *x)
{
	if (create_files(x) < 0 || write_cmdlines(x) < 0)
		return -EIO;
	provenance_add_host(&x->prov, x->c, &x->env);
	provenance_write(x->dir, &x->prov);
	if (x->prov.mm_reclaim && strcmp(x->prov.mm_reclaim, "none") != 0)
		say(x, EXPERIMENT_WARNING,
		    "this host's kernel pages out or moves memory on its own (%s): page cache the workload read can leave without memory pressure, and the residency figures count that",
		    x->prov.mm_reclaim);
	return 0;
}

/*
 * A guest that ignores the power button costs stop_timeout once, not
 * once per VM.
 */
static int stop_vms(struct experiment *x)
{
	struct fleet f = run_fleet(x);

	if (x->env_ok)
		fleet_stop(&f, x->vm_state);
	return 0;
}

/* A monitor still running: the run was cut short; what it has is kept. */
static int end_monitor(struct experiment *x)
{
	bool cut_short = x->monitor > 0;

	stop_monitor(x, false);
	if (cut_short && x->plan)
		measure_residency(x);
	return 0;
}

static int stop_fio(struct experiment *x)
{
	stop_child(&x->fio, 3000);
	return 0;
}

static int tail(struct experiment *x)
{
	for (int64_t t = 0; t < (int64_t)x->o.tail_ms; t += 100)
		if (!nap(x, 100))
			return -EINTR;
	return stop_monitor(x, true);
}

#define STEP_FN(fn)                                       \
	static int step_##fn(void *ud, struct error *err) \
	{                                                 \
		(void)err;                                \
		return fn(ud);                            \
	}
STEP_FN(prepare)
STEP_FN(release_cgroups)
STEP_FN(make_files)
STEP_FN(start_vms)
STEP_FN(stop_vms)
STEP_FN(check_fio_versions)
STEP_FN(check_mounts)
STEP_FN(set_page_cache)
STEP_FN(write_job)
STEP_FN(start_monitor)
STEP_FN(end_monitor)
STEP_FN(run_fio)
STEP_FN(stop_fio)
STEP_FN(tail)
STEP_FN(measure_residency)
#undef STEP_FN

#define CACHE_STEP 5
static const struct step experiment_steps[] = {
	{ NULL, step_prepare, step_release_cgroups },
	{ "create files", step_make_files, NULL },
	{ "start VMs", step_start_vms, step_stop_vms },
	{ "check fio versions", step_check_fio_versions, NULL },
	{ "check mounts", step_check_mounts, NULL },
	[CACHE_STEP] = { "drop the page cache", step_set_page_cache, NULL },
	{ "write the fio job", step_write_job, NULL },
	{ "start the monitor", step_start_monitor, step_end_monitor },
	{ "run fio", step_run_fio, step_stop_fio },
	{ "tail", step_tail, NULL },
	{ "measure residency", step_measure_residency, NULL },
};

/* The undos of every step, last first; each is safe at any point. */
static void teardown(struct experiment *x)
{
	for (size_t i = ARRAY_SIZE(experiment_steps); i--;)
		if (experiment_steps[i].undo)
			experiment_steps[i].undo(x, NULL);
}

static void on_step(void *ud, size_t i, enum step_event ev, const char *msg)
{
	struct experiment *x = ud;

	switch (ev) {
	case STEP_EV_BEGIN:
		if (i == CACHE_STEP && x->o.warm)
			step(x, "warm the page cache");
		else if (experiment_steps[i].name)
			step(x, experiment_steps[i].name);
		break;
	case STEP_EV_FAILED:
	case STEP_EV_INTERRUPTED:
		if (*msg)
			fail(x, "%s", msg);
		if (!x->reason[0])
			interrupted(x);
		if (!x->reason[0])
			snprintf(x->reason, sizeof(x->reason),
				 "step '%s' failed", x->step);
		break;
	case STEP_EV_UNWIND:
		step(x, "stop VMs");
		break;
	case STEP_EV_UNDO_FAILED:
		if (*msg)
			say(x, EXPERIMENT_WARNING, "%s", msg);
		break;
	case STEP_EV_DONE:
	case STEP_EV_UNDO:
		break;
	}
}

/* The sweep point's values, the point's name; access_ratio may follow. */
static int apply_point(struct experiment *x, struct error *err)
{
	const struct experiment_opts *o = &x->o;
	unsigned pr, ar;
	bool access_swept = false;
	int ret;

	if (o->n_keys > SWEEP_MAX_KEYS)
		return err_fail(err, -E2BIG, "at most %d --sweep keys",
				SWEEP_MAX_KEYS);
	for (size_t i = 0; i < o->n_keys; i++) {
		char *p;

		ret = experiment_set_workload(x->c, o->keys[i], o->vals[i],
					      err);
		if (ret < 0)
			return ret;
		p = x->point ? strdup_printf("%s %s=%s", x->point, o->keys[i],
					     o->vals[i]) :
			       strdup_printf("%s=%s", o->keys[i], o->vals[i]);
		free(x->point);
		x->point = p;
		x->keys[i] = o->keys[i];
		x->vals[i] = o->vals[i];
		access_swept |= !strcmp(o->keys[i], "access_ratio");
	}
	x->n_keys = o->n_keys;
	/*
	 * A sweep of private_ratio to 0 (or 100) leaves a set without files;
	 * unless access_ratio is swept too, its I/O goes to the other set.
	 */
	pr = x->c->workload.private_ratio;
	ar = x->c->workload.access_ratio;
	if (x->n_keys && !access_swept &&
	    ((pr == 0 && ar != 0) || (pr == 100 && ar != 100))) {
		x->c->workload.access_ratio = pr;
		x->keys[x->n_keys] = "access_ratio";
		x->vals[x->n_keys++] = pr ? "100" : "0";
		say(x, EXPERIMENT_WARNING,
		    "private_ratio %u: access_ratio %u -> %u for this point "
		    "(a set without files gets no I/O)",
		    pr, ar, pr);
	}
	return 0;
}

int experiment_new(const struct experiment_opts *o, struct experiment **ret,
		   struct error *err)
{
	struct experiment *x = calloc(1, sizeof(*x));
	int r;

	*ret = NULL;
	if (!x)
		return err_fail(err, -ENOMEM, "out of memory");
	x->o = *o;
	x->step = "prepare";
	x->guard_fd = -1;
	x->t0_ns = now_monotonic_ns();
	x->t0_wall = time(NULL);
	provenance_init(&x->prov);
	if (err)
		err->msg[0] = '\0';
	if (o->config_text) {
		x->config_text = malloc(o->config_len + 1);
		r = x->config_text ? 0 : -ENOMEM;
		if (r == 0) {
			memcpy(x->config_text, o->config_text, o->config_len);
			x->config_text[o->config_len] = '\0';
			x->config_len = o->config_len;
		}
	} else {
		r = read_full_file(o->config, CONFIG_MAX_SIZE, &x->config_text,
				   &x->config_len);
	}
	if (r < 0) {
		err_set(err, "%s: %s", o->config, strerror(-r));
		goto fail;
	}
	r = config_load_text(o->config, x->config_text, x->config_len, &x->c,
			     err);
	if (r < 0) {
		if (!err || !err->msg[0])
			err_set(err, "%s", strerror(-r));
		goto fail;
	}
	if (!x->c->n_vms)
		r = err_fail(err, -EINVAL, "%s: no [vm ID] section", o->config);
	else if (x->c->n_vms > FLEET_MAX)
		r = err_fail(err, -E2BIG, "%s: at most %d VMs", o->config,
			     FLEET_MAX);
	else
		r = apply_point(x, err);
	if (r < 0)
		goto fail;
	if (o->folder)
		r = results_create_at(o->folder, &x->dir);
	else
		r = results_create(o->base, o->name, time(NULL), &x->dir);
	if (r < 0) {
		err_set(err, "cannot create a results folder in %s: %s",
			o->folder ? o->folder : o->base, strerror(-r));
		goto fail;
	}
	results_set_status(x->dir, RESULTS_RUNNING, NULL);
	experiment_progress(x, "results in %s%s%s", x->dir,
			    x->point ? ", sweep point " : "",
			    x->point ? x->point : "");
	provenance_add_start(&x->prov, o->name);
	*ret = x;
	return 0;
fail:
	experiment_free(x);
	return r;
}

int experiment_run(struct experiment *x)
{
	struct steps s = { .v = experiment_steps,
			   .n = ARRAY_SIZE(experiment_steps),
			   .event = on_step,
			   .ud = x,
			   .interrupted = x->o.interrupted };
	bool ok = steps_run(&s) == 0;
	int sync_err;

	if (x->vm_died[0]) {
		/* the cause, before what it made fail */
		char was[sizeof(x->reason)];
		size_t k;

		snprintf(was, sizeof(was), "%s", x->reason);
		k = (size_t)snprintf(x->reason, sizeof(x->reason), "%s",
				     x->vm_died);
		if (*was && k + 2 < sizeof(x->reason))
			snprintf(x->reason + k, sizeof(x->reason) - k, "; %.*s",
				 (int)(sizeof(x->reason) - k - 3), was);
		ok = false;
		x->failed = true;
	}
	provenance_add_end(&x->prov, x->t0_ns);
	provenance_write(x->dir, &x->prov);
	sync_err = ok ? results_sync(x->dir) : 0;
	if (sync_err < 0) {
		snprintf(x->reason, sizeof(x->reason),
			 "cannot sync %s to disk: %s", x->dir,
			 strerror(-sync_err));
		say(x, EXPERIMENT_ERROR, "%s", x->reason);
		ok = false;
	}
	results_set_status(x->dir,
			   ok	     ? RESULTS_COMPLETE :
			   x->failed ? RESULTS_FAILED :
				       RESULTS_INCOMPLETE,
			   ok ? NULL : x->reason);
	guard_end(x);
	return ok ? 0 : -1;
}

void experiment_free(struct experiment *x)
{
	if (!x)
		return;
	if (x->env_ok)
		vm_env_done(&x->env);
	fileset_plan_free(x->plan);
	workload_cfgdata_free(&x->cfgdata);
	provenance_free(&x->prov);
	config_free(x->c);
	free(x->config_text);
	free(x->point);
	free(x->dir);
	free(x);
}
