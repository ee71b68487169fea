// SPDX-License-Identifier: MIT
/*
 * daxlab run: the command line, the progress display, sweeps (also as a
 * Slurm job array) and the report of each experiment. The experiment
 * itself, its steps and what undoes them, is lib/experiment.c.
 */
#include "daxlab.h"

#include "config.h"
#include "experiment.h"
#include "report.h"
#include "results.h"
#include "spawn.h"
#include "sweep.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
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

/* report.html and summary.txt, as daxlab report writes them */
static int write_report(const char *dir)
{
	struct report_run *rr = NULL;
	char err[512] = "";
	_cleanup_free_ char *html = strdup_printf("%s/report.html", dir);
	_cleanup_free_ char *txt = strdup_printf("%s/summary.txt", dir);
	FILE *f;
	int ret;

	ret = report_load(dir, &rr, err, sizeof(err));
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
		return error("cannot write the report in %s", dir);
	return 0;
}

/* The progress display: lib/experiment.c wrote run.log already. */
static void run_say(void *ud, enum experiment_say kind, const char *msg)
{
	(void)ud;
	switch (kind) {
	case EXPERIMENT_PROGRESS:
		if (!daxlab_quiet)
			fputs(msg, stderr);
		break;
	case EXPERIMENT_WARNING:
		warning("%s", msg);
		break;
	case EXPERIMENT_ERROR:
		error("%s", msg);
		break;
	}
}

/*
 * One experiment, in a new folder of base (or in exactly folder, when not
 * NULL), with the sweep point's values; then its report.
 */
static int experiment(const struct run_opts *o, const char *base,
		      const char *folder, const char *name,
		      const char *const *keys, const char *const *vals,
		      size_t nk)
{
	_cleanup_free_ char *resident = daxlab_resident_path();
	const struct experiment_opts eo = { .config = o->config,
					    .base = base,
					    .folder = folder,
					    .name = name,
					    .keys = keys,
					    .vals = vals,
					    .n_keys = nk,
					    .tail_ms = o->tail_ms,
					    .interval_ms = o->interval_ms,
					    .warm = o->warm,
					    .resident = resident,
					    .interrupted = &got_signal,
					    .say = run_say };
	struct experiment *x;
	char err[1024] = "";
	int ret = experiment_new(&eo, &x, err, sizeof(err));

	if (ret < 0)
		return error("%s", err);
	ret = experiment_run(x);
	experiment_progress(x, "report");
	write_report(x->dir);
	experiment_progress(x, "%s: %s%s%s", x->dir,
			    !ret      ? "complete" :
			    x->failed ? "failed" :
					"incomplete",
			    !ret ? "" : ": ", !ret ? "" : x->reason);
	experiment_free(x);
	return ret;
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
			if (experiment_set_workload(c, o->sweep[i].key,
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
				       sw.n_keys) < 0)
				failed++;
		}
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
	_cleanup_free_ char *name = NULL;
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
		ret = experiment(&o, o.results, NULL, name, NULL, NULL, 0);
	for (size_t i = 0; i < o.n_sweep; i++) {
		free(o.sweep[i].key);
		for (size_t v = 0; v < o.sweep[i].n; v++)
			free(o.sweep[i].values[v]);
	}
	return ret < 0 ? 1 : 0;
}
