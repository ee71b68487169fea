// SPDX-License-Identifier: MIT
/*
 * lib/statistics.c on the command line, for tests/integration/statistics.bats,
 * which checks it against scipy. One case per line of stdin:
 *
 *   describe X...        n mean median stddev cov min max ci_low ci_high
 *   outliers X...        the indexes of the outliers
 *   welch A,A,... B,B,.. t df p diff ratio
 *   holm P...            the adjusted p-values
 *   tq Q DF              the quantile of Student's t
 *
 * Numbers are printed with %.17g, NaN as "nan".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statistics.h"

static size_t parse_list(char *s, const char *sep, double *v, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(s, sep, &save); w && n < max;
	     w = strtok_r(NULL, sep, &save))
		v[n++] = strtod(w, NULL);
	return n;
}

int main(void)
{
	char line[65536];
	static double a[4096], b[4096];

	while (fgets(line, sizeof(line), stdin)) {
		char *rest = strchr(line, ' ');

		line[strcspn(line, "\n")] = 0;
		if (!rest)
			continue;
		*rest++ = 0;
		if (!strcmp(line, "describe")) {
			struct stats_desc d;
			size_t n = parse_list(rest, " ", a, 4096);

			if (stats_describe(a, n, &d) < 0)
				return 1;
			printf("%zu %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
			       d.n, d.mean, d.median, d.stddev, d.cov, d.min,
			       d.max, d.ci95[0], d.ci95[1]);
		} else if (!strcmp(line, "outliers")) {
			size_t n = parse_list(rest, " ", a, 4096);
			bool f[4096];
			const char *sep = "";

			if (stats_outliers(a, n, f) < 0)
				return 1;
			for (size_t i = 0; i < n; i++)
				if (f[i]) {
					printf("%s%zu", sep, i);
					sep = " ";
				}
			printf("\n");
		} else if (!strcmp(line, "welch")) {
			char *sp = strchr(rest, ' ');
			struct stats_welch w;
			size_t na, nb;

			if (!sp)
				return 1;
			*sp++ = 0;
			na = parse_list(rest, ",", a, 4096);
			nb = parse_list(sp, ",", b, 4096);
			stats_welch(a, na, b, nb, &w);
			printf("%.17g %.17g %.17g %.17g %.17g\n", w.t, w.df,
			       w.p, w.diff, w.ratio);
		} else if (!strcmp(line, "holm")) {
			size_t n = parse_list(rest, " ", a, 4096);

			if (stats_holm(a, n, b) < 0)
				return 1;
			for (size_t i = 0; i < n; i++)
				printf("%s%.17g", i ? " " : "", b[i]);
			printf("\n");
		} else if (!strcmp(line, "tq")) {
			size_t n = parse_list(rest, " ", a, 2);

			if (n != 2)
				return 1;
			printf("%.17g\n", stats_t_quantile(a[0], a[1]));
		} else {
			return 1;
		}
	}
	return 0;
}
