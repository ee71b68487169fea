// SPDX-License-Identifier: MIT
/*
 * daxlab stats: `monitor` samples memory.numa_stat of cgroups, local and
 * over ssh, into the stats CSV; `compare` (stats_compare.c) reads it back.
 */
#include "daxlab.h"

#include "csv.h"
#include "numastat.h"
#include "sampler.h"
#include "source.h"
#include "strv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void stats_usage(void)
{
	printf("Usage: daxlab stats COMMAND [OPTIONS]\n\n"
	       "Sample and compare memory.numa_stat of cgroups (the seed's "
	       "stats.py).\n\n"
	       "Commands:\n"
	       "  monitor   sample sources at a fixed rate into a CSV\n"
	       "  compare   per-node first/last/delta/min/max/mean from "
	       "that CSV\n\n"
	       "Run 'daxlab stats COMMAND --help' for its options; see "
	       "daxlab-stats(1).\n");
}

static void monitor_usage(void)
{
	printf("Usage: daxlab stats monitor --cgroups NAME=SOURCE... "
	       "[OPTIONS]\n\n"
	       "Samples memory.numa_stat of each SOURCE at a fixed rate and "
	       "writes one\nCSV row per source, stat and node (and a total "
	       "row per stat):\n"
	       "  epoch_ms,elapsed_ms,source,stat,node,value,unit\n\n"
	       "SOURCE is a file, a cgroup directory (its memory.numa_stat) "
	       "or\n[USER@]HOST:PATH read over one ssh connection per host "
	       "(remote when the\npart before the first ':' has no '/').\n\n"
	       "Options:\n"
	       "  -c, --cgroups NAME=SOURCE...  sources to sample; several "
	       "words may follow\n"
	       "                                one --cgroups, and it may "
	       "be repeated\n"
	       "  -i, --interval MS       time between ticks in ms "
	       "(default 500)\n"
	       "  -d, --duration S        stop after S seconds (60, 2m, "
	       "500ms); 0: run\n"
	       "                          until SIGINT or SIGTERM "
	       "(default)\n"
	       "  -n, --count N           stop after N ticks\n"
	       "  -s, --stats LIST        only these stats, comma-separated "
	       "(default: all)\n"
	       "  -F, --ssh-config FILE   ssh configuration file (ssh -F)\n"
	       "      --allow-missing     start even if a source is missing "
	       "now\n"
	       "  -o, --output FILE       write the CSV to FILE (default and "
	       "-: stdout)\n"
	       "  -q, --quiet             no status line, no summary\n"
	       "  -h, --help              show this help and exit\n"
	       "  -V, --version           show the version and exit\n\n"
	       "Example (the seed's line):\n"
	       "    daxlab stats monitor --cgroups "
	       "host=/sys/fs/cgroup/memory.numa_stat \\\n"
	       "        vm0=root@vm0:/sys/fs/cgroup/memory.numa_stat "
	       "--interval 500 \\\n"
	       "        --duration 0 --output numa_stats.csv\n\n"
	       "See daxlab-stats(1).\n");
}

struct monitor {
	struct sampler s;
	struct csv_writer w;
	char **stats; /* --stats filter, NULL-terminated, or NULL */
	const char *output;
	bool status_line;
	bool line_drawn;
	int64_t last_draw_ns;
	uint64_t interval_ms;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void clear_status_line(struct monitor *m)
{
	if (m->line_drawn) {
		fputs("\r\033[K", stderr);
		m->line_drawn = false;
	}
}

static void on_event(const struct sampler_event *ev, void *ud)
{
	struct monitor *m = ud;
	const struct sampler_source *src = ev->source;
	const char *host = ev->host ? ev->host->ch->host : NULL;

	clear_status_line(m);
	switch (ev->type) {
	case SAMPLER_SOURCE_FAILED:
		/* a host's trouble is reported once, for the host */
		if (src->status == -ENOTCONN || src->status == -ETIMEDOUT)
			break;
		if (src->status == -EINVAL || src->status == -ERANGE)
			warning("%s: %s; no rows until it parses again",
				src->name, src->err);
		else
			warning("%s: %s; no rows while it is gone", src->name,
				src->err);
		break;
	case SAMPLER_SOURCE_BACK:
		/* late answers are counted in the summary */
		if (ev->prev_status == -ETIMEDOUT)
			break;
		warning("%s: back after %" PRIu64 " tick(s) without rows",
			src->name, ev->gap_ticks);
		break;
	case SAMPLER_HOST_DOWN:
		warning("%s: connection lost: %s; reconnecting", host,
			ev->host->ch->last_error);
		break;
	case SAMPLER_HOST_UP:
		warning("%s: reconnected after %.1f s; gap of %" PRIu64
			" tick(s) without rows",
			host, (double)ev->gap_ms / 1000.0, ev->gap_ticks);
		break;
	case SAMPLER_HOST_LATE:
		warning("%s: no answer within %" PRIu64
			" ms; its sources get no rows for such ticks (counted "
			"in the summary, not warned again)",
			host, m->interval_ms * 3 / 4);
		break;
	}
}

static int write_tick(struct monitor *m)
{
	struct sampler *s = &m->s;
	int r;

	csv_tick_begin(&m->w, s->epoch_ms, sampler_elapsed_ms(s));
	for (size_t i = 0; i < s->n_src; i++) {
		const struct sampler_source *src = &s->src[i];
		const struct numastat *ns = &src->ns;
		size_t ls;

		if (src->status != 0)
			continue;
		ls = strlen(src->name);
		for (size_t j = 0; j < ns->n_stats; j++) {
			const struct numastat_stat *st = &ns->stats[j];
			const struct numastat_node *nd = numastat_nodes(ns, st);
			const char *unit = numastat_unit_name(st->unit);
			size_t lk, lu;

			if (m->stats && !strv_contains(m->stats, st->key))
				continue;
			lk = st->klen;
			lu = strlen(unit);
			for (size_t k = 0; k < st->n_nodes; k++) {
				r = csv_add_row_n(&m->w, src->name, ls, st->key,
						  lk, (long)nd[k].id,
						  nd[k].value, unit, lu);
				if (r < 0)
					return r;
			}
			r = csv_add_row_n(&m->w, src->name, ls, st->key, lk, -1,
					  st->total, unit, lu);
			if (r < 0)
				return r;
		}
	}
	return csv_tick_commit(&m->w);
}

static void draw_status_line(struct monitor *m, bool force)
{
	struct sampler *s = &m->s;
	int64_t now;
	char line[1024], b[32];
	struct winsize ws;
	size_t n;

	if (!m->status_line)
		return;
	now = now_monotonic_ns();
	if (!force && now - m->last_draw_ns < 250000000)
		return;
	m->last_draw_ns = now;
	n = (size_t)snprintf(line, sizeof(line), "%.1f s  %" PRIu64 " ticks",
			     (double)sampler_elapsed_ms(s) / 1000.0, s->ticks);
	if (s->missed)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
				      " (%" PRIu64 " missed)", s->missed);
	for (size_t i = 0; i < s->n_src && n < sizeof(line) - 64; i++) {
		const struct sampler_source *src = &s->src[i];
		const struct numastat_stat *st =
			src->status == 0 ? numastat_find(&src->ns, "file") :
					   NULL;

		n += (size_t)snprintf(
			line + n, sizeof(line) - n, "  %s file %s", src->name,
			st ? format_bytes(st->total, b, sizeof(b)) : "-");
	}
	/* one terminal line, or \r cannot redraw it */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 &&
	    n >= ws.ws_col)
		line[ws.ws_col - 1] = '\0';
	fprintf(stderr, "\r%s\033[K", line);
	m->line_drawn = true;
}

static void print_summary(struct monitor *m, int64_t start_ns, int64_t cpu0_ns)
{
	struct sampler *s = &m->s;
	double cpu_us = (double)(now_cputime_ns() - cpu0_ns) / 1e3;

	clear_status_line(m);
	info("%" PRIu64 " tick(s), %" PRIu64 " missed, in %.1f s; %" PRIu64
	     " rows to %s; CPU %.1f us per tick",
	     s->ticks, s->missed, (double)(now_monotonic_ns() - start_ns) / 1e9,
	     m->w.rows, m->output ? m->output : "stdout",
	     s->ticks ? cpu_us / (double)s->ticks : 0.0);
	info("  tick start lateness: p50 %.2f ms, p99 %.2f ms, max %.2f ms",
	     (double)sampler_lateness_ns(s, 0.5) / 1e6,
	     (double)sampler_lateness_ns(s, 0.99) / 1e6,
	     (double)s->late_max_ns / 1e6);
	for (size_t i = 0; i < s->n_src; i++)
		info("  %s: %" PRIu64 " tick(s) with rows, %" PRIu64
		     " failure(s), %" PRIu64 " empty",
		     s->src[i].name, s->src[i].ok_ticks, s->src[i].failed_ticks,
		     s->src[i].empty_ticks);
	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct sampler_host *h = &s->hosts[i];

		info("  %s: %u connection(s), %" PRIu64 " answer(s), %" PRIu64
		     " late, round trip mean %.2f ms, max %.2f ms",
		     h->ch->host, h->ch->connects, h->replies, h->late_ticks,
		     h->replies ?
			     (double)h->rtt_sum_ns / (double)h->replies / 1e6 :
			     0.0,
		     (double)h->rtt_max_ns / 1e6);
	}
}

/* A --stats name that no source has now is most likely a typo. */
static void check_stats_present(const struct monitor *m)
{
	const struct sampler *s = &m->s;

	for (size_t i = 0; m->stats && m->stats[i]; i++) {
		const struct sampler_source *src = NULL; /* the first up */
		bool found = false;

		for (size_t j = 0; j < s->n_src && !found; j++) {
			if (s->src[j].status != 0)
				continue;
			if (!src)
				src = &s->src[j];
			found = numastat_find(&s->src[j].ns, m->stats[i]);
		}
		if (!found && src) {
			char have[512];
			size_t n = 0;

			have[0] = '\0';
			for (size_t k = 0;
			     k < src->ns.n_stats &&
			     n + NUMASTAT_KEY_MAX + 8 < sizeof(have);
			     k++)
				n += (size_t)snprintf(
					have + n, sizeof(have) - n, "%s%s",
					k ? "," : "", src->ns.stats[k].key);
			warning("no source has stat '%s' now (%s has: %s)",
				m->stats[i], src->name, have);
		}
	}
}

/* "a,b,c" -> NULL-terminated array; NULL on a bad list (*bad set). */
static char **split_stats(char *list, const char **bad)
{
	size_t n = 1, i = 0;
	char **v, *save = NULL;

	for (char *p = list; *p; p++)
		n += *p == ',';
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		die("out of memory");
	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!csv_field_ok(t) || strlen(t) >= NUMASTAT_KEY_MAX) {
			*bad = t;
			free(v);
			return NULL;
		}
		v[i++] = t;
	}
	if (i == 0) {
		*bad = "";
		free(v);
		return NULL;
	}
	return v;
}

static int add_source(struct sampler *s, const char *spec)
{
	struct source_spec sp;
	struct error err = { 0 };
	int r = source_parse(spec, &sp, &err);

	if (r == -ENOMEM)
		die("out of memory");
	if (r < 0)
		usage_error("stats monitor", "%s", err.msg);
	for (size_t i = 0; i < s->n_src; i++)
		if (strcmp(s->src[i].name, sp.name) == 0)
			usage_error("stats monitor",
				    "source name '%s' given twice", sp.name);
	r = sampler_add(s, &sp);
	source_spec_free(&sp);
	if (r < 0)
		die("out of memory");
	return 0;
}

enum { OPT_ALLOW_MISSING = 0x100 };

static int cmd_stats_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "cgroups", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "stats", required_argument, NULL, 's' },
		{ "ssh-config", required_argument, NULL, 'F' },
		{ "allow-missing", no_argument, NULL, OPT_ALLOW_MISSING },
		{ "output", required_argument, NULL, 'o' },
		COMMON_LONGOPTS,
	};
	struct monitor m = { 0 };
	uint64_t interval = 500, duration = 0, count = 0;
	const char *ssh_config = NULL;
	bool allow_missing = false;
	_cleanup_free_ char **specs = NULL;
	size_t n_specs = 0;
	_cleanup_free_ char **stats = NULL;
	int64_t start_ns, cpu0_ns;
	int c, fd = -1, ret = 0, r;
	bool failed = false;

	specs = calloc((size_t)argc + 1, sizeof(*specs));
	if (!specs)
		die("out of memory");
	optind = 0;
	while ((c = getopt_long(argc, argv, ":c:i:d:n:s:F:o:qhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			specs[n_specs++] = optarg;
			break;
		case 'i':
			if (parse_u64(optarg, &interval) < 0 || interval == 0 ||
			    interval > 86400000)
				usage_error("stats monitor",
					    "invalid --interval '%s' (ms, "
					    "1..86400000)",
					    optarg);
			break;
		case 'd':
			if (parse_duration_ms(optarg, &duration) < 0)
				usage_error("stats monitor",
					    "invalid --duration '%s'", optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &count) < 0 || count == 0)
				usage_error("stats monitor",
					    "invalid --count '%s'", optarg);
			break;
		case 's': {
			const char *bad = NULL;

			free(stats);
			stats = split_stats(optarg, &bad);
			if (!stats)
				usage_error("stats monitor",
					    "invalid stat '%s' in --stats",
					    bad);
			break;
		}
		case 'F':
			ssh_config = optarg;
			break;
		case OPT_ALLOW_MISSING:
			allow_missing = true;
			break;
		case 'o':
			/* "-": standard output, as without -o */
			m.output = strcmp(optarg, "-") ? optarg : NULL;
			break;
		default:
			common_option("stats monitor", c, argv, monitor_usage);
		}
	}
	/* the words after --cgroups NAME=SOURCE: more sources */
	for (int i = optind; i < argc; i++)
		specs[n_specs++] = argv[i];
	if (n_specs == 0)
		usage_error("stats monitor", "no sources: give --cgroups "
					     "NAME=SOURCE...");
	if (ssh_config && access(ssh_config, R_OK) < 0)
		return error_errno(errno, "cannot read ssh config %s",
				   ssh_config);
	m.stats = stats;
	m.interval_ms = interval;

	r = sampler_init(&m.s, interval, ssh_config, on_event, &m);
	if (r < 0)
		die("out of memory");
	m.s.stop = &stop_requested;
	for (size_t i = 0; i < n_specs; i++)
		add_source(&m.s, specs[i]);

	trap_signals(on_stop_signal, true); /* no SA_RESTART: wake the sleep */

	/* every source there now, or an error that names it */
	sampler_probe(&m.s, 20000);
	for (size_t i = 0; i < m.s.n_src; i++) {
		struct sampler_source *src = &m.s.src[i];

		if (src->status == 0)
			continue;
		if (allow_missing) {
			warning("%s: %s; going on (--allow-missing)", src->name,
				src->err);
		} else {
			error("source %s: %s", src->name, src->err);
			failed = true;
		}
	}
	/*
	 * A signal before the first tick is an ordinary end: the CSV gets its
	 * header and no tick, like any run stopped early.
	 */
	if (failed) {
		sampler_free(&m.s);
		return 1;
	}
	check_stats_present(&m);

	if (m.output) {
		fd = open(m.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd < 0) {
			error_errno(errno, "cannot open %s", m.output);
			sampler_free(&m.s);
			return 1;
		}
	}
	r = csv_writer_open(&m.w, fd >= 0 ? fd : STDOUT_FILENO);
	if (r < 0) {
		error_errno(r, "cannot write %s",
			    m.output ? m.output : "stdout");
		ret = 1;
		goto out;
	}
	m.status_line = !daxlab_quiet && isatty(STDERR_FILENO);
	start_ns = now_monotonic_ns();
	cpu0_ns = now_cputime_ns();

	while (!stop_requested) {
		uint64_t kprev = m.s.k;

		/* the last tick was the one at --duration: do not wait on */
		if (duration && m.s.started &&
		    (m.s.k + 1) * interval > duration)
			break;
		r = sampler_wait(&m.s, &stop_requested);
		if (r != 0)
			break;
		if (duration && sampler_elapsed_ms(&m.s) > duration) {
			/* skipped past the end: what lies beyond is not missed */
			uint64_t first_beyond = duration / interval + 1;

			if (first_beyond < kprev + 1)
				first_beyond = kprev + 1;
			if (m.s.k > first_beyond)
				m.s.missed -= m.s.k - first_beyond;
			break;
		}
		sampler_tick(&m.s);
		r = write_tick(&m);
		if (r < 0) {
			clear_status_line(&m);
			error_errno(r,
				    "cannot write %s at tick %" PRIu64
				    " (elapsed %" PRIu64
				    " ms); the file ends with the tick before",
				    m.output ? m.output : "stdout",
				    m.s.ticks - 1, sampler_elapsed_ms(&m.s));
			ret = 1;
			break;
		}
		draw_status_line(&m, false);
		if (count && m.s.ticks >= count)
			break;
	}
	print_summary(&m, start_ns, cpu0_ns);
	for (size_t i = 0; i < m.s.n_src; i++)
		if (m.s.src[i].empty_ticks && !m.s.src[i].ok_ticks)
			warning("%s: every read of %s was empty: not a memory.numa_stat?",
				m.s.src[i].name, m.s.src[i].path);
out:
	csv_writer_free(&m.w);
	sampler_free(&m.s);
	if (fd >= 0 && close(fd) < 0 && ret == 0) {
		error_errno(errno, "cannot write %s", m.output);
		ret = 1;
	}
	return ret;
}

int cmd_stats(int argc, char **argv)
{
	static const char *const cmds[] = { "monitor", "compare" };

	if (pick_command_as(CMDS_LISTED, "stats", argc, argv, cmds,
			    ARRAY_SIZE(cmds), stats_usage) == 0)
		return cmd_stats_monitor(argc - 1, argv + 1);
	return cmd_stats_compare(argc - 1, argv + 1);
}
