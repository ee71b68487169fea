// SPDX-License-Identifier: MIT
/*
 * daxlab report: (re)builds report.html and summary.txt from results
 * folders; several folders are compared side by side.
 */
#include "daxlab.h"

#include "report.h"
#include "sweep.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void report_usage(void)
{
	printf("Usage: daxlab report [OPTIONS] DIR [DIR...]\n\n"
	       "Builds report.html (self-contained: inline CSS and SVG) and "
	       "summary.txt\nfrom the results folders that `daxlab run` "
	       "writes: where file data sat\n(host page cache per cgroup, "
	       "guest page cache, per NUMA node, over time),\nhow many bytes "
	       "of the data set were cached once and how many twice, and\n"
	       "fio's results per VM and set. Several DIRs are compared side "
	       "by side.\n\n"
	       "A DIR may be a sweep folder (daxlab run --repeat/--sweep): alone, its\n"
	       "summary, statistics and report are rebuilt; with other DIRs, each of\n"
	       "its points is a group of repetitions. Every DIR after the first is\n"
	       "compared with the first, per headline figure: mean +- 95%% CI (n),\n"
	       "difference, ratio and, when both sides have n >= 2, Welch's t-test p\n"
	       "with * where significant (Holm-adjusted when more than one pair).\n"
	       "The comparison is also written as JSON (FILE with .json).\n\n"
	       "Options:\n"
	       "  -a, --alpha P       significance level of the markers (default 0.05)\n"
	       "  -o, --output FILE   write the HTML to FILE and the summary "
	       "next to it\n"
	       "                      (FILE with .txt for .html); default: "
	       "DIR/report.html\n"
	       "                      and DIR/summary.txt for one DIR, "
	       "./compare.html and\n"
	       "                      ./compare.txt for several\n"
	       "  -q, --quiet         do not print the summary\n"
	       "  -h, --help          show this help and exit\n"
	       "  -V, --version       show the version and exit\n\n"
	       "See daxlab-report(1) for how bytes are counted.\n");
}

/* FILE.html -> FILE.EXT; anything else -> FILE.EXT appended. */
static char *sibling_path(const char *html, const char *ext)
{
	if (str_has_suffix(html, ".html"))
		return strdup_printf("%.*s.%s", (int)(strlen(html) - 5), html,
				     ext);
	return strdup_printf("%s.%s", html, ext);
}

static int write_text(const char *path, const char *text)
{
	struct error err = { 0 };

	if (write_file_atomic(path, text, strlen(text), 0644, &err) < 0)
		return error("%s", err.msg);
	return 0;
}

static int write_to(const char *path, struct report_run *const *runs, size_t n,
		    bool html, const char *section)
{
	struct error err = { 0 };

	if (report_save(path, runs, n, html, section, &err) < 0)
		return error("%s", err.msg);
	return 0;
}

void say_sweep_notes(const char *dir, const struct sweep_notes *n)
{
	if (n->unread.msg[0])
		warning("%s: left out of the summary: %s", dir, n->unread.msg);
	if (n->mixed.msg[0])
		warning("%s: the runs' hosts or settings differ (%s): the means and intervals mix them",
			dir, n->mixed.msg);
}

/* A sweep folder: its summary.json, summary.csv, .md and report. */
static int report_sweep(const char *dir, double alpha, bool quiet)
{
	struct sweep sw;
	struct error err = { 0 };
	struct sweep_notes notes = { 0 };
	size_t complete = 0;
	int r = sweep_read(dir, &sw, &err);
	_cleanup_close_ int lock = -1;

	if (r < 0)
		return error("%s", err.msg);
	/* another host of the sweep may be writing it */
	lock = sweep_summary_lock(dir);
	r = sweep_write_summary(&sw, dir, alpha, &complete, &notes, &err);
	say_sweep_notes(dir, &notes);
	if (r == 0)
		r = sweep_write_report(&sw, dir, &err);
	if (r < 0) {
		sweep_free(&sw);
		return error("%s", err.msg[0] ? err.msg : strerror(-r));
	}
	if (!quiet)
		printf("%s: %zu of %zu runs complete\nsummary: %s/summary.json\nreport: %s/report.html\n",
		       dir, complete, sw.n_runs, dir, dir);
	sweep_free(&sw);
	return 0;
}

/*
 * The runs shown side by side: the results folders given and the runs of
 * the sweep folders given, at most 64 (then the comparison alone).
 */
static int load_runs(const struct sweep_comparison *cmp, char **dirs, size_t n,
		     struct report_run ***ret, size_t *ret_n)
{
	struct report_run **runs = calloc(65, sizeof(*runs));
	size_t nr = 0;

	if (!runs)
		return error("out of memory");
	*ret = runs;
	for (size_t i = 0; i < n && nr <= 64; i++) {
		struct error err = { 0 };
		int r;

		if (!sweep_is_dir(dirs[i])) {
			r = report_load(dirs[i], &runs[nr], &err);
			if (r < 0)
				goto bad;
			nr++;
			continue;
		}
		for (size_t g = 0; g < cmp->n_groups && nr <= 64; g++) {
			if (cmp->g[g].folder != i)
				continue;
			for (size_t k = 0; k < cmp->g[g].f.n_runs && nr <= 64;
			     k++) {
				_cleanup_free_ char *d = strdup_printf(
					"%s/%s", dirs[i], cmp->g[g].f.runs[k]);

				if (!d)
					goto oom;
				if (nr < 64 &&
				    report_load(d, &runs[nr], &err) == 0)
					nr++;
				else if (nr == 64)
					nr = 65;
			}
		}
		continue;
bad:
	if (err.msg[0])
		error("%s", err.msg);
	else
		error_errno(r, "cannot read results folder %s", dirs[i]);
	*ret_n = nr;
	return -1;
	}
	if (nr > 64) {
		info("note: more than 64 runs: the report has the comparison, not every run");
		for (size_t i = 0; i < 64; i++)
			report_run_free(runs[i]);
		nr = 0;
	}
	*ret_n = nr;
	return 0;
oom:
	*ret_n = nr;
	return error("out of memory");
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "alpha", required_argument, NULL, 'a' },
		COMMON_LONGOPTS,
	};
	const char *output = NULL;
	_cleanup_free_ char *html = NULL, *txt = NULL, *json = NULL;
	char *sec_html = NULL, *sec_text = NULL, *sec_json = NULL;
	struct sweep_comparison cmp = { 0 };
	struct report_run **runs = NULL;
	size_t n = 0, nr = 0;
	double alpha = 0.05;
	bool quiet = false, have_cmp = false;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+:o:a:qhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "-"))
				usage_error(
					"report",
					"--output names the HTML file, the summary goes next to it: not '-'");
			output = optarg;
			break;
		case 'a':
			alpha = parse_alpha("report", optarg);
			break;
		case 'q':
			quiet = true; /* the summary, not the notes */
			break;
		default:
			common_option("report", c, argv, report_usage);
		}
	}
	if (optind >= argc)
		usage_error("report", "no results folder given");
	if (output && !*output)
		usage_error("report", "--output needs a file name");

	n = (size_t)(argc - optind);
	if (n == 1 && sweep_is_dir(argv[optind]))
		return report_sweep(argv[optind], alpha, quiet);
	if (n > 64)
		usage_error("report", "at most 64 results folders");
	if (n > 1) {
		struct error err = { 0 };

		if (sweep_compare_folders((const char *const *)argv + optind, n,
					  alpha, &cmp, &err) < 0)
			return error("%s", err.msg);
		have_cmp = true;
		if (sweep_sections(&cmp, cmp.g, cmp.n_groups, &sec_html,
				   &sec_text) < 0)
			goto oom;
		sec_json = sweep_comparison_json(&cmp);
		if (!sec_json)
			goto oom;
	}
	if (load_runs(&cmp, argv + optind, n, &runs, &nr) < 0)
		goto out;
	if (output)
		html = strdup(output);
	else if (n == 1)
		html = strdup_printf("%s/report.html", runs[0]->dir);
	else
		html = strdup("compare.html");
	if (!html)
		goto oom;
	if (!output && n == 1)
		txt = strdup_printf("%s/summary.txt", runs[0]->dir);
	else
		txt = sibling_path(html, "txt");
	json = have_cmp ? sibling_path(html, "json") : strdup("");
	if (!txt || !json)
		goto oom;
	if (write_to(html, runs, nr, true, sec_html) < 0 ||
	    write_to(txt, runs, nr, false, sec_text) < 0 ||
	    (have_cmp && write_text(json, sec_json) < 0))
		goto out;
	/* a run's own folder also gets its closure.csv */
	if (!output && n == 1) {
		int r = report_save_closure(runs[0]);

		if (r < 0) {
			error_errno(r, "cannot write %s/closure.csv",
				    runs[0]->dir);
			goto out;
		}
	}
	if (!quiet) {
		report_write_summary(stdout, runs, nr, sec_text);
		printf("\nreport: %s\nsummary: %s\n", html, txt);
		if (have_cmp)
			printf("comparison: %s\n", json);
	}
	ret = 0;
	goto out;
oom:
	error("out of memory");
out:
	for (size_t i = 0; i < nr; i++)
		report_run_free(runs[i]);
	free(runs);
	free(sec_html);
	free(sec_text);
	free(sec_json);
	if (have_cmp)
		sweep_comparison_free(&cmp);
	return ret;
}
