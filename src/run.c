// SPDX-License-Identifier: MIT
/*
 * daxlab run: the command line, the progress display and the report of
 * each experiment. The experiment itself, its steps and what undoes them,
 * is lib/experiment.c; sweeps and Slurm are src/run_sweep.c.
 */
#include "daxlab.h"
#include "run.h"

#include "config.h"
#include "experiment.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal;

/* SIGINT and SIGTERM roll the experiment back (lib/experiment.h). */
static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * A run outlives its terminal or the pipe it prints to: SIGPIPE is
 * ignored (main()), so a reader that is gone fails the print, not the
 * experiment, whose results go to files.
 */
static void trap_run_signals(void)
{
	trap_signals(on_signal, false);
}

/* The run's name: the config file's, without .ini, else "run". */
static char *name_of(const char *config)
{
	const char *b = strrchr(config, '/');
	size_t len;
	char *name;

	b = b ? b + 1 : config;
	len = strlen(b);
	if (str_has_suffix(b, ".ini"))
		len -= 4;
	name = strndup(b, len);
	if (name && !valid_name(name)) {
		free(name);
		name = strdup("run");
	}
	return name;
}

/* report.html, closure.csv and summary.txt, as daxlab report writes them */
static int write_report(const char *dir)
{
	struct report_run *rr = NULL;
	struct error err = { 0 };
	_cleanup_free_ char *html = strdup_printf("%s/report.html", dir);
	_cleanup_free_ char *txt = strdup_printf("%s/summary.txt", dir);
	int ret;

	if (!html || !txt)
		return error("out of memory");
	ret = report_load(dir, &rr, &err);
	if (ret < 0)
		return error("report: %s",
			     err.msg[0] ? err.msg : strerror(-ret));
	ret = report_save(html, &rr, 1, true, NULL, &err);
	if (ret == 0) {
		ret = report_save_closure(rr);
		if (ret < 0)
			err_fail(&err, ret, "cannot write %s/closure.csv: %s",
				 dir, strerror(-ret));
	}
	if (ret == 0)
		ret = report_save(txt, &rr, 1, false, NULL, &err);
	if (ret == 0 && !daxlab_quiet)
		report_write_summary(stderr, &rr, 1, NULL);
	report_run_free(rr);
	if (ret < 0)
		return error("%s", err.msg);
	return 0;
}

/* The progress display: lib/experiment.c wrote run.log already. */
static void run_say(void *ud, enum experiment_say kind, const char *msg)
{
	(void)ud;
	switch (kind) {
	case EXPERIMENT_PROGRESS:
		if (!daxlab_quiet) {
			_cleanup_free_ char *m = strdup(msg);

			/* as in every message: it may quote a guest */
			if (m)
				fputs(str_no_controls(m), stderr);
		}
		break;
	case EXPERIMENT_WARNING:
		warning("%s", msg);
		break;
	case EXPERIMENT_ERROR:
		error("%s", msg);
		break;
	}
}

int run_experiment(const struct run_opts *o, const char *base,
		   const char *folder, const char *name,
		   const char *const *keys, const char *const *vals, size_t nk)
{
	_cleanup_free_ char *resident = daxlab_resident_path();
	const struct experiment_opts eo = { .config = o->config,
					    .config_text = o->config_text,
					    .config_len = o->config_len,
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
					    .interrupted = o->interrupted,
					    .say = run_say };
	struct experiment *x;
	struct error err = { 0 };
	int ret = experiment_new(&eo, &x, &err);

	if (ret < 0)
		return error("%s", err.msg);
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

static void parse_sweep(struct run_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct sweep_key *k;
	_cleanup_free_ char *vals = NULL;
	char *save = NULL;

	if (o->n_sweep == SWEEP_MAX_KEYS)
		usage_error("run", "at most %d --sweep keys", SWEEP_MAX_KEYS);
	if (!eq || eq == arg || !eq[1])
		usage_error("run", "--sweep wants KEY=V1,V2,...: '%s'", arg);
	if (eq[1] == ',' || strstr(eq, ",,") || arg[strlen(arg) - 1] == ',')
		usage_error("run", "--sweep '%s': an empty value", arg);
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
		if (k->n == SWEEP_MAX_VALUES)
			usage_error("run", "--sweep %s: at most %d values",
				    k->key, SWEEP_MAX_VALUES);
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
}

/* The workload as a string: two values of a key that give one are one. */
static char *workload_text(const struct workload_config *w)
{
	return strdup_printf("%llu %llu %u %u %u %u %s %llu %u %s %llu",
			     (unsigned long long)w->size,
			     (unsigned long long)w->file_size, w->private_ratio,
			     w->access_ratio, w->hot_ratio, w->hot_access_ratio,
			     w->rw ? w->rw : "",
			     (unsigned long long)w->bs_bytes, w->runtime,
			     w->ioengine ? w->ioengine : "",
			     (unsigned long long)w->residency_interval_ms);
}

/*
 * Each value is one the config takes, and each differs from the other
 * values of its key (25 and 025, or 1G and 1024M, would be two points
 * that are one).
 */
static int check_sweep_values(const struct run_opts *o)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };
	int ret = config_load(o->config, &c, &err);

	if (ret < 0)
		return error("%s", err.msg[0] ? err.msg : strerror(-ret));
	for (size_t i = 0; i < o->n_sweep; i++) {
		const struct sweep_key *k = &o->sweep[i];
		char *seen[SWEEP_MAX_VALUES] = { NULL };

		for (size_t v = 0; v < k->n; v++) {
			if (experiment_set_workload(c, k->key, k->values[v],
						    &err) < 0) {
				config_free(c);
				usage_error("run", "%s", err.msg);
			}
			seen[v] = workload_text(&c->workload);
			if (!seen[v])
				die("out of memory");
			for (size_t u = 0; u < v; u++)
				if (!strcmp(seen[u], seen[v]))
					usage_error(
						"run",
						"--sweep %s: '%s' and '%s' are the same value",
						k->key, k->values[u],
						k->values[v]);
		}
		for (size_t v = 0; v < k->n; v++)
			free(seen[v]);
	}
	config_free(c);
	return 0;
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
	       "                         ./daxlab.ini if yours, else "
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
	       "ends (default 4)\n"
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
		COMMON_LONGOPTS,
	};
	struct run_opts o = { .results = "results",
			      /* past the kernel's 2 s flush of memcg stats */
			      .tail_ms = 4000,
			      .interval_ms = 500,
			      .repeat = 1,
			      .alpha = 0.05,
			      .order = -1,
			      .point = -1,
			      .interrupted = &got_signal };
	const char *explicit_config = NULL;
	_cleanup_free_ char *name = NULL;
	struct error err = { 0 };
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:c:n:s:r:t:i:qhV", longopts,
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
			o.timing_given = true;
			break;
		case 'i':
			if (parse_uint_range(optarg, 10, 60000,
					     &o.interval_ms) < 0)
				usage_error("run",
					    "--interval: '%s' is not 10..60000 "
					    "ms",
					    optarg);
			o.timing_given = true;
			break;
		case 'W':
			o.warm = true;
			o.timing_given = true;
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
			common_option("run", c, argv, run_usage);
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
		trap_run_signals();
		return run_sweep(&o, NULL) < 0 ? 1 : 0;
	}
	if (config_find(explicit_config, &o.config, &err) < 0)
		return error("%s", err.msg);
	if (!*o.config)
		return error("the configuration file name is empty");
	if (access(o.config, R_OK) < 0) {
		int e = errno;
		_cleanup_free_ char *msg =
			strdup_printf("cannot read the configuration %s: %s",
				      o.config, strerror(e));

		return config_error(o.config, explicit_config, -e,
				    msg ? msg : "");
	}
	name = o.name ? strdup(o.name) : name_of(o.config);
	if (!name)
		return error("out of memory");
	/*
	 * A sweep's config and values are checked before its folder is made:
	 * a bad one is one error, not a sweep of runs that each fail on it.
	 */
	if (o.n_sweep || o.repeat > 1 || o.slurm) {
		ret = check_sweep_values(&o);
		if (ret == 0) {
			trap_run_signals();
			ret = run_sweep(&o, name);
		}
	} else {
		trap_run_signals();
		ret = run_experiment(&o, o.results, NULL, name, NULL, NULL, 0);
	}
	for (size_t i = 0; i < o.n_sweep; i++) {
		free(o.sweep[i].key);
		for (size_t v = 0; v < o.sweep[i].n; v++)
			free(o.sweep[i].values[v]);
	}
	return ret < 0 ? 1 : 0;
}
