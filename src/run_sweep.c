// SPDX-License-Identifier: MIT
/*
 * daxlab run --sweep, --repeat, --resume and --slurm: the runs of a sweep
 * in its manifest's order (lib/sweep.c plans them), one experiment each,
 * or submitted as a Slurm job array with a gather job.
 */
#include "daxlab.h"
#include "run.h"

#include "results.h"
#include "spawn.h"
#include "sweep.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
	sw->timing_known = true;
	sw->tail_ms = o->tail_ms;
	sw->interval_ms = o->interval_ms;
	sw->warm = o->warm;
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
 * Whether run i of the sweep in sdir must run (its lock held): 1 when its
 * folder is missing, or not complete (then moved aside to
 * point-I.attempt-K: nothing is lost); 0 when complete; -1, said, when
 * that cannot be told (a status that cannot be read, as on an NFS
 * hiccup, is not "not complete": redoing it would drop a finished run)
 * or the folder cannot be moved aside.
 */
static int needs_run(const char *path)
{
	enum results_status st;
	int r;

	if (access(path, F_OK) < 0) {
		if (errno == ENOENT)
			return 1;
		return error("%s: %s", path, strerror(errno));
	}
	r = results_get_status(path, &st, NULL);
	/* one whose stats.csv is cut short is left out of the summary */
	if (r == 0 && st == RESULTS_COMPLETE && !results_stats_cut(path))
		return 0;
	/* a status that says nothing (-EBADMSG) is not complete */
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		return error("%s/status: %s", path, strerror(-r));
	for (unsigned k = 1; k < 1000; k++) {
		_cleanup_free_ char *old =
			strdup_printf("%s.attempt-%u", path, k);

		if (!old)
			return error("out of memory");
		if (access(old, F_OK) == 0)
			continue;
		if (rename(path, old) == 0) {
			info("%s was not complete: kept as %s", path, old);
			return 1;
		}
		return error("cannot move %s aside to %s: %s", path, old,
			     strerror(errno));
	}
	return error("cannot move %s aside: %s.attempt-1 to -999 are taken",
		     path, path);
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
		nl = j > i ? strdup_printf("%s%s%zu-%zu", l, *l ? "," : "", i,
					   j) :
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
	_cleanup_free_ char *line = shell_join(words);
	_cleanup_free_ char *text =
		line ? strdup_printf(
			       "#!/bin/sh\n# written by daxlab run --slurm; the words are quoted\nexec %s%s\n",
			       line, tail) :
		       NULL;
	_cleanup_free_ char *path = strdup_printf("%s/%s", dir, name);

	if (!text || !path)
		return -ENOMEM;
	return write_file_atomic(path, text, strlen(text), 0755, NULL);
}

/*
 * Runs the words of head (sbatch --parsable ...), the --slurm-opt words
 * and script; *ret_id: the job id it printed (--parsable).
 */
static int sbatch(const struct run_opts *o, const char *const *head,
		  const char *script, char **ret_id)
{
	_cleanup_free_ char *out = NULL;
	const char *argv[64];
	size_t k = 0;
	int ex, r;

	for (; *head; head++)
		argv[k++] = *head;
	for (size_t i = 0; i < o->n_slurm_opts; i++)
		argv[k++] = o->slurm_opts[i];
	argv[k++] = script;
	argv[k] = NULL;
	r = spawn_capture(argv, true, 65536, &out, &ex);
	if (r < 0)
		return error_errno(r, "cannot run sbatch");
	if (ex != 0)
		return error("sbatch exited with %d: %s", ex,
			     out ? str_trim(out) : "");
	out[strcspn(out, ";\n")] = 0;
	if (!*out || strspn(out, "0123456789") != strlen(out))
		return error("sbatch printed no job id: '%s'", out);
	*ret_id = TAKE_PTR(out);
	return 0;
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
	_cleanup_free_ char *gatherid = NULL, *dep = NULL;
	_cleanup_free_ char *jobname = NULL, *log = NULL, *glog = NULL;
	_cleanup_free_ char *task = NULL, *gather = NULL, *jobs = NULL;
	_cleanup_free_ bool *want = calloc(sw->n_runs + 1, sizeof(*want));
	size_t n = 0;
	int ret;

	if (!self || !want)
		return error("cannot find daxlab's own binary");
	for (size_t i = 0; i < sw->n_runs; i++) {
		int st;

		if (sweep_run_status(sdir, i, &st) == 0 &&
		    st == RESULTS_COMPLETE)
			continue;
		if (sweep_run_locked(sdir, i)) {
			info("run %zu of %s is being run now: not submitted again",
			     i, sdir);
			continue;
		}
		want[i] = true;
		n++;
	}
	if (!n) {
		info("every run of %s is complete or being run: nothing to submit",
		     sdir);
		return 0;
	}
	list = index_list(want, sw->n_runs);
	{
		char alpha[32];
		char tail[32], interval[32];
		/* a manifest without them (an older daxlab's): as given */
		const char *tw[] = {
			self,	      "run",	"--resume",
			sdir,	      "--tail", tail,
			"--interval", interval, o->warm ? "--warm" : NULL,
			NULL
		};
		const char *gw[] = { self,  "report", "--alpha",
				     alpha, sdir,     NULL };

		snprintf(alpha, sizeof(alpha), "%.15g", o->alpha);
		snprintf(tail, sizeof(tail), "%llums",
			 (unsigned long long)o->tail_ms);
		snprintf(interval, sizeof(interval), "%u", o->interval_ms);
		if (sw->timing_known)
			tw[4] = NULL;

		ret = write_script(sdir, "slurm-task.sh", tw,
				   " --point \"$SLURM_ARRAY_TASK_ID\"");
		if (ret == 0)
			ret = write_script(sdir, "slurm-gather.sh", gw, "");
		if (ret < 0)
			return error_errno(ret,
					   "cannot write the job scripts in %s",
					   sdir);
	}
	array = o->slurm_parallel ? strdup_printf("--array=%s%%%u", list,
						  o->slurm_parallel) :
				    strdup_printf("--array=%s", list);
	jobname = strdup_printf("--job-name=daxlab-%s", sw->name);
	log = strdup_printf("--output=%s/slurm-%%A_%%a.out", sdir);
	glog = strdup_printf("--output=%s/slurm-gather-%%j.out", sdir);
	task = strdup_printf("%s/slurm-task.sh", sdir);
	gather = strdup_printf("%s/slurm-gather.sh", sdir);
	if (!list || !array || !jobname || !log || !glog || !task || !gather)
		return error("out of memory");
	const char *aw[] = { "sbatch",	  "--parsable", array, "--exclusive",
			     "--nodes=1", jobname,	log,   NULL };

	if (sbatch(o, aw, task, &arrayid) < 0)
		return -1;
	dep = strdup_printf("--dependency=afterany:%s", arrayid);
	if (!dep)
		return error("out of memory");
	const char *gw[] = { "sbatch", "--parsable", dep, "--nodes=1",
			     jobname,  glog,	     NULL };

	if (sbatch(o, gw, gather, &gatherid) < 0)
		return error(
			"the runs are job %s, but the gather job was not submitted: daxlab report %s writes the summary",
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
 * The summary of the sweep in sdir (summary.json, ...), or with report its
 * report.html and summary.txt, under the summary lock; -1 after a warning.
 */
static int write_summary(const struct sweep *sw, const char *sdir, double alpha,
			 size_t *complete, struct sweep_notes *notes,
			 bool report)
{
	_cleanup_close_ int lock = sweep_summary_lock(sdir);
	struct error err = { 0 };
	int r = report ? sweep_write_report(sw, sdir, &err) :
			 sweep_write_summary(sw, sdir, alpha, complete, notes,
					     &err);

	if (r < 0)
		warning("%s", err.msg[0] ? err.msg : strerror(-r));
	return r < 0 ? -1 : 0;
}

/*
 * The runs of a sweep (new, or --resume DIR) in the manifest's order; the
 * summary is written after every run, so a stopped sweep keeps it.
 */
int run_sweep(const struct run_opts *o, const char *name)
{
	_cleanup_free_ char *sdir = NULL;
	/* zeroed by sweep_read() and sweep_from_opts() first */
	struct sweep sw __attribute__((cleanup(sweep_free))) = { 0 };
	struct run_opts ro = *o;
	struct error err = { 0 };
	struct sweep_notes notes = { 0 };
	size_t failed = 0, ran = 0, complete = 0, busy = 0;
	int unread_config = 0; /* -ESTALE: edited since the sweep began */
	bool no_summary = false;
	int ret;

	if (o->slurm && !program_in_path("sbatch"))
		return error(
			"--slurm: no sbatch in PATH (Debian's slurm-client)");
	if (o->resume) {
		ret = sweep_read(o->resume, &sw, &err);
		if (ret < 0)
			return error("%s", err.msg);
		sdir = strdup(o->resume);
		if (sweep_check_config(&sw, o->resume, NULL, NULL, &err) < 0)
			return error("%s", err.msg);
		if (sw.timing_known && o->timing_given)
			return error(
				"--resume %s: the sweep's --tail, --interval and --warm are in its manifest.json (tail %llu ms, interval %u ms, %s): every run uses those",
				o->resume, (unsigned long long)sw.tail_ms,
				sw.interval_ms, sw.warm ? "warm" : "cold");
		info("resuming the sweep in %s (%zu runs, seed %llu)", sdir,
		     sw.n_runs, (unsigned long long)sw.seed);
	} else {
		_cleanup_free_ char *sname = strdup_printf("%s-sweep", name);

		ret = sweep_from_opts(o, name, &sw);
		if (ret < 0 || !sname)
			return error("cannot plan the sweep: %s",
				     strerror(ret < 0 ? -ret : ENOMEM));
		ret = results_create(o->results, sname, time(NULL), &sdir);
		if (ret < 0)
			return error_errno(
				ret, "cannot create a results folder in %s",
				o->results);
		if (sweep_keep_config(&sw, sdir, &err) < 0 ||
		    sweep_write(&sw, sdir, &err) < 0)
			return error("%s", err.msg);
		info("sweep: %zu points x %u in %s (%s, seed %llu)",
		     sw.n_points, sw.repeat, sdir,
		     sw.shuffled ? "shuffled" : "in order",
		     (unsigned long long)sw.seed);
	}
	if (o->slurm)
		return slurm_submit(o, &sw, sdir);
	/* the manifest's config and timing: the same on every node */
	ro.config = sw.config;
	if (sw.timing_known) {
		ro.tail_ms = sw.tail_ms;
		ro.interval_ms = sw.interval_ms;
		ro.warm = sw.warm;
	}
	if (o->point >= (long)sw.n_runs)
		return error("--point %ld: the sweep in %s has runs 0..%zu",
			     o->point, sdir, sw.n_runs - 1);
	for (size_t i = 0; i < sw.n_runs && !*o->interrupted; i++) {
		const struct sweep_run *sr = &sw.runs[i];
		const char *keys[SWEEP_MAX_KEYS], *vals[SWEEP_MAX_KEYS];
		_cleanup_close_ int lock = -1;
		_cleanup_free_ char *f = sweep_run_folder(i);
		_cleanup_free_ char *path =
			f ? strdup_printf("%s/%s", sdir, f) : NULL;
		_cleanup_free_ char *text = NULL;

		if (!path) {
			failed++;
			break;
		}
		if (o->point >= 0 && (size_t)o->point != i)
			continue;
		/* held until the run ended, by its guard too */
		lock = sweep_run_lock(sdir, i);
		if (lock == -EBUSY) {
			info("run %zu of %s is being run by another daxlab: left to it",
			     i, sdir);
			busy++;
			continue;
		}
		/* a file system without locks (NFS mounted nolock) */
		if (lock < 0)
			warning("run %zu of %s: cannot take its lock (%s): run without it, so a second daxlab would not see it is being run",
				i, sdir, strerror(-lock));
		ret = needs_run(path);
		if (ret < 0) {
			failed++;
			continue;
		}
		if (!ret) {
			if (o->point >= 0)
				info("run %zu of %s is complete already", i,
				     sdir);
			continue;
		}
		/* what the run parses: an edit since the sweep began stops it */
		unread_config = sweep_check_config(&sw, sdir, &text,
						   &ro.config_len, &err);
		if (unread_config < 0) {
			error("%s", err.msg);
			break;
		}
		for (size_t k = 0; k < sw.n_keys; k++) {
			keys[k] = sw.keys[k].key;
			vals[k] = sweep_value(&sw, sr->point, k);
		}
		info("sweep run %zu of %zu: point %zu, repetition %u", i + 1,
		     sw.n_runs, sr->point, sr->repetition + 1);
		ran++;
		ro.config_text = text;
		if (run_experiment(&ro, sdir, path, sw.name, keys, vals,
				   sw.n_keys) < 0)
			failed++;
		ro.config_text = NULL;
		/* the run ended: not held while waiting for the summary's */
		if (lock >= 0)
			close(TAKE_FD(lock));
		no_summary = write_summary(&sw, sdir, o->alpha, &complete,
					   &notes, false) < 0;
	}
	if (!ran)
		no_summary = write_summary(&sw, sdir, o->alpha, &complete,
					   &notes, false) < 0;
	/* the last summary's, once */
	say_sweep_notes(sdir, &notes);
	if (!no_summary)
		info("sweep summary: %s/summary.json (%zu of %zu runs complete)",
		     sdir, complete, sw.n_runs);
	if (!no_summary)
		no_summary = write_summary(&sw, sdir, o->alpha, &complete,
					   &notes, true) < 0;
	if (*o->interrupted)
		return error(
			"sweep interrupted: daxlab run --resume %s runs the rest",
			sdir);
	if (unread_config < 0)
		return error(
			"sweep stopped: daxlab run --resume %s runs the rest once %s",
			sdir,
			unread_config == -ESTALE ?
				"the config is the one it began with" :
				"the config can be read");
	if (no_summary)
		return error(
			"the summary or report of %s was not written: daxlab report %s writes them",
			sdir, sdir);
	if (o->point >= 0)
		return failed ? -1 : 0;
	/* a run left to another daxlab may have completed meanwhile */
	if (failed || complete + busy < sw.n_runs)
		return error(
			"%zu of %zu sweep runs incomplete: daxlab run --resume %s runs them again",
			sw.n_runs > complete ? sw.n_runs - complete : 0,
			sw.n_runs, sdir);
	if (busy)
		info("%zu of %zu sweep runs are being run by another daxlab: daxlab report %s once they ended",
		     busy, sw.n_runs, sdir);
	return 0;
}
