// SPDX-License-Identifier: MIT
/*
 * daxlab report: (re)builds report.html and summary.txt from results
 * folders; several folders are compared side by side.
 */
#include "daxlab.h"

#include "report.h"
#include "sweep.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
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
	       "Options:\n"
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

/* FILE.html -> FILE.txt; anything else -> FILE.txt appended. */
static char *summary_path(const char *html)
{
	if (str_has_suffix(html, ".html"))
		return strdup_printf("%.*s.txt", (int)(strlen(html) - 5), html);
	return strdup_printf("%s.txt", html);
}

static int write_to(const char *path, struct report_run *const *runs, size_t n,
		    bool html)
{
	_cleanup_free_ char *tmp = strdup_printf("%s.tmp", path);
	FILE *f;
	int r;

	if (!tmp)
		return error("out of memory");
	f = fopen(tmp, "we");
	if (!f)
		return error_errno(errno, "cannot write %s", tmp);
	r = html ? report_write_html(f, runs, n) :
		   report_write_summary(f, runs, n);
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return error_errno(r, "cannot write %s", path);
	}
	if (rename(tmp, path) < 0) {
		r = errno;
		unlink(tmp);
		return error_errno(r, "cannot rename %s to %s", tmp, path);
	}
	return 0;
}

static bool is_sweep(const char *dir)
{
	_cleanup_free_ char *m = strdup_printf("%s/manifest.json", dir);

	return m && access(m, F_OK) == 0;
}

/* A sweep folder: its summary.json, summary.csv, .md and report. */
static int report_sweep(const char *dir, bool quiet)
{
	struct sweep sw;
	char err[1024] = "";
	size_t complete = 0;
	int r = sweep_read(dir, &sw, err, sizeof(err));

	if (r < 0)
		return error("%s", err);
	r = sweep_write_summary(&sw, dir, 0.05, &complete, err, sizeof(err));
	if (r == 0)
		r = sweep_write_report(&sw, dir, err, sizeof(err));
	if (r < 0) {
		sweep_free(&sw);
		return error("%s", *err ? err : strerror(-r));
	}
	if (!quiet)
		printf("%s: %zu of %zu runs complete\nsummary: %s/summary.json\nreport: %s/report.html\n",
		       dir, complete, sw.n_runs, dir, dir);
	sweep_free(&sw);
	return 0;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	_cleanup_free_ char *html = NULL, *txt = NULL;
	struct report_run **runs = NULL;
	size_t n = 0;
	bool quiet = false;
	int c, ret = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+o:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			report_usage();
			return 0;
		case 'V':
			print_version();
		default:
			usage_error("report", "unknown or incomplete option");
		}
	}
	if (optind >= argc)
		usage_error("report", "no results folder given");
	if (output && !*output)
		usage_error("report", "--output needs a file name");

	n = (size_t)(argc - optind);
	if (n == 1 && is_sweep(argv[optind]))
		return report_sweep(argv[optind], quiet);
	if (n > 64)
		usage_error("report", "at most 64 results folders");
	runs = calloc(n, sizeof(*runs));
	if (!runs)
		return error("out of memory");
	for (size_t i = 0; i < n; i++) {
		char err[512] = "";
		int r = report_load(argv[optind + (int)i], &runs[i], err,
				    sizeof(err));

		if (r < 0) {
			if (*err)
				error("%s", err);
			else
				error_errno(r, "cannot read results folder %s",
					    argv[optind + (int)i]);
			n = i;
			goto out;
		}
	}
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
		txt = summary_path(html);
	if (!txt)
		goto oom;
	if (write_to(html, runs, n, true) < 0 ||
	    write_to(txt, runs, n, false) < 0)
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
		report_write_summary(stdout, runs, n);
		printf("\nreport: %s\nsummary: %s\n", html, txt);
	}
	ret = 0;
	goto out;
oom:
	error("out of memory");
out:
	for (size_t i = 0; i < n; i++)
		report_run_free(runs[i]);
	free(runs);
	return ret;
}
