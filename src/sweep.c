// SPDX-License-Identifier: MIT
/*
 * daxlab sweep status DIR: each run of a sweep's manifest, its folder's
 * state and, for a sweep run under Slurm, its array task's state.
 */
#include "daxlab.h"
#include "results.h"
#include "spawn.h"
#include "sweep.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
	fputs("Usage:\n"
	      " daxlab sweep status DIR\n"
	      "\n"
	      "The runs of the sweep in DIR (its manifest.json, written by daxlab run\n"
	      "--sweep/--repeat): for each, its point, repetition, folder and state\n"
	      "(not started, running, complete, incomplete, failed) and, when the\n"
	      "sweep was submitted with --slurm, its array task as squeue shows it\n"
	      "(job ids from DIR/slurm-jobs.txt). Ends with the counts.\n"
	      "\n"
	      "Options:\n"
	      " -h, --help     display this help\n"
	      " -V, --version  display version\n"
	      "\n"
	      "See daxlab-sweep(1).\n",
	      stdout);
}

/* The array job that last submitted run i (slurm-jobs.txt), or NULL. */
static char *array_job_of(const char *jobs, size_t run)
{
	char *found = NULL;
	_cleanup_free_ char *copy = jobs ? strdup(jobs) : NULL;
	char *save = NULL;

	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char id[32], list[4096];
		char *s2 = NULL;

		if (sscanf(l, "array %31s %4095s", id, list) != 2)
			continue;
		for (char *r = strtok_r(list, ",", &s2); r;
		     r = strtok_r(NULL, ",", &s2)) {
			unsigned long a, b;
			int n = sscanf(r, "%lu-%lu", &a, &b);

			if (n == 1)
				b = a;
			if (n >= 1 && run >= a && run <= b) {
				free(found);
				found = strdup(id);
			}
		}
	}
	return found;
}

/* squeue's state of task JOB_I: "RUNNING", "PENDING", or "-" if gone. */
static const char *task_state(const char *squeue, const char *job, size_t run,
			      char *buf, size_t len)
{
	char want[64], pend[64];
	const char *p;

	snprintf(want, sizeof(want), "%s_%zu ", job, run);
	snprintf(pend, sizeof(pend), "%s_[", job);
	for (p = squeue; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (!strncmp(p, want, strlen(want))) {
			snprintf(buf, len, "%.*s", (int)(n - strlen(want)),
				 p + strlen(want));
			return buf;
		}
		/* pending tasks are listed as one range: JOB_[3-5%1] */
		if (!strncmp(p, pend, strlen(pend))) {
			snprintf(buf, len, "PENDING");
			return buf;
		}
		p = e ? e + 1 : NULL;
	}
	return "-";
}

static int status(const char *dir)
{
	struct sweep sw;
	struct error err = { 0 };
	_cleanup_free_ char *jobs_path =
		strdup_printf("%s/slurm-jobs.txt", dir);
	_cleanup_free_ char *jobs = NULL, *squeue = NULL;
	size_t count[RESULTS_UNKNOWN + 2] = { 0 };
	int r = sweep_read(dir, &sw, &err);

	if (r < 0)
		return error("%s", err.msg);
	if (jobs_path && read_full_file(jobs_path, 1 << 20, &jobs, NULL) == 0) {
		const char *argv[] = { "squeue", "-h", "-o", "%i %T", NULL };
		int ex;

		/* no squeue (or no Slurm): the folders alone */
		if (spawn_capture(argv, false, 1 << 20, &squeue, &ex) < 0 ||
		    ex != 0) {
			free(squeue);
			squeue = NULL;
		}
	}
	printf("%-5s %-32s %-4s %-12s %-12s%s\n", "RUN", "POINT", "REP",
	       "FOLDER", "STATE", jobs ? " SLURM" : "");
	for (size_t i = 0; i < sw.n_runs; i++) {
		_cleanup_free_ char *f = sweep_run_folder(i);
		_cleanup_free_ char *label =
			sweep_point_label(&sw, sw.runs[i].point);
		_cleanup_free_ char *job = array_job_of(jobs, i);
		const char *state;
		char buf[64];
		int st;

		if (sweep_run_status(dir, i, &st) < 0) {
			state = "not-started";
			count[RESULTS_UNKNOWN + 1]++;
		} else {
			state = results_status_name((enum results_status)st);
			count[st]++;
		}
		printf("%-5zu %-32s %-4u %-12s %-12s", i, label ? label : "-",
		       sw.runs[i].repetition + 1, f ? f : "?", state);
		if (job)
			printf(" %s_%zu %s", job, i,
			       squeue ? task_state(squeue, job, i, buf,
						   sizeof(buf)) :
					"?");
		putchar('\n');
	}
	printf("%zu runs: %zu complete, %zu running, %zu incomplete, %zu failed, %zu not started\n",
	       sw.n_runs, count[RESULTS_COMPLETE], count[RESULTS_RUNNING],
	       count[RESULTS_INCOMPLETE], count[RESULTS_FAILED],
	       count[RESULTS_UNKNOWN + 1] + count[RESULTS_UNKNOWN]);
	sweep_free(&sw);
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	static const char *const cmds[] = { "status" };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	pick_command("sweep", argc, argv, cmds, ARRAY_SIZE(cmds), usage);
	argc--;
	argv++;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1)
		common_option("sweep status", o, argv, usage);
	if (optind + 1 != argc)
		usage_error("sweep status", "give one sweep folder");
	return status(argv[optind]);
}
