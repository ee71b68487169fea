// SPDX-License-Identifier: MIT
/*
 * The report's residency parts (lib/report_residency.c) on
 * tests/fixtures/report/tidy (generate.py): closure, copies, the guest
 * copies as measured, the charts and closure.csv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "residency.h"
#include "results.h"
#include "spawn.h"
#include "util.h"

#define MIB (1024 * 1024)
#define TIDY FIXTURES "/report/tidy"

static struct report_run *load(const char *dir)
{
	struct report_run *r = NULL;
	struct error err = { 0 };
	int ret = report_load(dir, &r, &err);

	if (ret < 0)
		print_error("%s: %s\n", dir, err.msg);
	assert_int_equal(ret, 0);
	return r;
}

static const struct report_closure *closure(const struct report_run *r,
					    const char *source,
					    const char *node)
{
	for (size_t i = 0; i < r->n_closure; i++)
		if (!strcmp(r->closure[i].source, source) &&
		    !strcmp(r->closure[i].node, node))
			return &r->closure[i];
	fail_msg("no closure of %s %s", source, node);
	return NULL;
}

static const struct report_copies *copies(const struct report_run *r,
					  const char *set, const char *node)
{
	for (size_t i = 0; i < r->n_copies; i++)
		if (!strcmp(r->copies[i].set, set) &&
		    !strcmp(r->copies[i].node, node))
			return &r->copies[i];
	fail_msg("no copies of %s on %s", set, node);
	return NULL;
}

static void test_closure(void **state)
{
	struct report_run *r = load(TIDY);
	const struct report_closure *c;
	bool warned = false;

	assert_int_equal(r->n_rs_sets, 3);
	assert_string_equal(r->rs_sets[0], "shared");
	assert_string_equal(r->rs_sets[2], "private-1");
	/* virtiofsd: both private copies; not what is charged to the root */
	c = closure(r, "virtiofsd", "N0");
	assert_string_equal(c->cgroup, "/dx-virtiofsd");
	assert_int_equal(c->pagecache, 99 * MIB);
	assert_int_equal(c->explained, 96 * MIB);
	assert_int_equal(c->other, 3 * MIB);
	assert_int_equal(c->by_set[1], 48 * MIB);
	assert_int_equal(c->by_set[0], 0);
	assert_true(c->adds_up);
	/* the root holds every host row */
	c = closure(r, "host", "total");
	assert_int_equal(c->explained, (70 + 2 * 49) * MIB);
	assert_true(c->adds_up);
	/* vm1's image pages exceed its page cache: it does not add up */
	c = closure(r, "vm1-cg", "total");
	assert_int_equal(c->pagecache, 25 * MIB);
	assert_int_equal(c->explained, 30 * MIB);
	assert_false(c->adds_up);
	assert_true(closure(r, "vm0-cg", "N0")->adds_up);
	for (size_t i = 0; i < r->n_warnings; i++)
		warned |= strstr(r->warnings[i], "closure of vm1-cg total does "
						 "not add up") != NULL;
	assert_true(warned);
	/* a guest: measured inside, its whole page cache */
	c = closure(r, "vm0", "total");
	assert_string_equal(c->where, "vm0");
	assert_int_equal(c->pagecache, 89 * MIB + 4096);
	assert_int_equal(c->explained, 46 * MIB);
	report_run_free(r);
	(void)state;
}

static void test_copies_and_guests(void **state)
{
	struct report_run *r = load(TIDY);
	const struct report_copies *c;

	/* host 49 MiB, guest 46 MiB: 46 twice, 3 once */
	c = copies(r, "private-0", "all");
	assert_int_equal(c->n_places, 2);
	assert_int_equal(c->cached, 49 * MIB);
	assert_int_equal(c->times[0], 3 * MIB);
	assert_int_equal(c->times[1], 46 * MIB);
	/* both VMs are on node 0: the same there */
	assert_int_equal(copies(r, "private-0", "N0")->times[1], 46 * MIB);
	/*
	 * shared: the image only, once; 70 MiB of it resident, but an image
	 * counts for no more than its set (64 MiB), as in the sets table
	 */
	c = copies(r, "shared", "all");
	assert_int_equal(c->n_places, 1);
	assert_int_equal(c->times[0], 64 * MIB);
	assert_int_equal(c->times[1], 0);
	/* the sets table takes the guest's copy as measured */
	for (size_t i = 0; i < r->n_sets; i++)
		if (!strcmp(r->sets[i].name, "private vm 0")) {
			assert_int_equal(r->sets[i].guest[0], 46 * MIB);
			assert_int_equal(r->sets[i].twice, 46 * MIB);
		}
	report_run_free(r);
	(void)state;
}

static char *render(struct report_run *r, int which)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (which == 0)
		assert_int_equal(report_write_html(f, &r, 1, NULL), 0);
	else if (which == 1)
		assert_int_equal(report_write_summary(f, &r, 1, NULL), 0);
	else
		assert_int_equal(report_write_closure_csv(f, r), 0);
	fclose(f);
	return buf;
}

static void test_outputs(void **state)
{
	struct report_run *r = load(TIDY);
	char *html = render(r, 0), *txt = render(r, 1), *csv = render(r, 2);

	/* a stacked chart per set, a layer per place */
	assert_non_null(strstr(html, "Set private-0: resident bytes by place"));
	assert_non_null(strstr(html, "<path class=\"layer\" data-set=\"private-0\" "
				     "data-place=\"host /dx-virtiofsd N0\""));
	assert_non_null(strstr(html, "data-place=\"vm0 (guest)\""));
	assert_non_null(strstr(html, "data-place=\"host /dx-vm1 N0 (image)\""));
	assert_non_null(strstr(html, "<table class=\"copies\">"));
	assert_non_null(strstr(html, "<th>twice</th>"));
	assert_non_null(strstr(html, "<table class=\"closure\">"));
	assert_non_null(strstr(html, "<tr class=\"warn\"><td class=\"l\">vm1-cg"));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(txt, "\nclosure: page cache explained"));
	assert_non_null(strstr(txt, "\nvirtiofsd        N0           99.0       "
				    "96.0        3.0       97.0 yes\n"));
	assert_non_null(strstr(txt, "\nprivate-0      all        2       49.0"
				    "        3.0       46.0\n"));
	assert_true(str_has_prefix(csv, REPORT_CLOSURE_HEADER "\n"));
	assert_non_null(strstr(csv, "\nvirtiofsd,virtiofsd,host,/dx-virtiofsd,"
				    "N0,103809024,100663296,3145728,97.0,yes,"
				    "private-0=50331648;private-1=50331648\n"));
	assert_non_null(strstr(csv, "\nvm1-cg,vm-cgroup,host,/dx-vm1,total,"
				    "26214400,31457280,-5242880,120.0,no,"
				    "shared=31457280\n"));
	assert_non_null(strstr(csv, "\nvm0,guest,vm0,/,total,"));
	free(html);
	free(txt);
	free(csv);
	report_run_free(r);
	(void)state;
}

/* No page cache to explain: no share of it, not 0% */
static void test_closure_nothing_to_explain(void **state)
{
	struct report_run *r = load(TIDY);
	char *html, *txt, *csv;

	for (size_t i = 0; i < r->n_closure; i++)
		if (!strcmp(r->closure[i].source, "vm1-cg"))
			r->closure[i].pagecache = 0;
	html = render(r, 0);
	txt = render(r, 1);
	csv = render(r, 2);
	assert_non_null(strstr(csv, "\nvm1-cg,vm-cgroup,host,/dx-vm1,total,0,"
				    "31457280,-5242880,,no,"));
	assert_non_null(strstr(txt, "\nvm1-cg           total         0.0"
				    "       30.0       -5.0          - NO\n"));
	assert_non_null(strstr(html, "<td>30.0</td><td>-5.0</td>"
				     "<td>&ndash;</td>"));
	free(html);
	free(txt);
	free(csv);
	report_run_free(r);
	(void)state;
}

/* A bad residency.csv is an error naming its line; an old table is not. */
static void test_malformed_and_old(void **state)
{
	char dir[] = "/tmp/test_report_residency.XXXXXX";
	const char *rm[] = { "rm", "-rf", dir, NULL };
	struct report_run *r = NULL;
	struct error err = { 0 };
	char *out = NULL;
	int code;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(results_write(dir, "status", "complete\n"), 0);
	assert_int_equal(results_write(dir, "residency.csv",
				       "elapsed_ms,where,set,part,node,cgroup,"
				       "bytes\n0,host,shared,hot,N0,/,1\n"
				       "0,host,shared,hot,N0,/\n"),
			 0);
	assert_int_equal(report_load(dir, &r, &err), -EBADMSG);
	assert_non_null(
		strstr(err.msg, "/residency.csv:3: 6 fields, expected 7"));
	assert_int_equal(results_write(dir, "residency.csv",
				       RESIDENCY_HEADER "\nshared,,files,"
						       "total,0,100\n"),
			 0);
	r = load(dir);
	assert_null(r->rs);
	assert_int_equal(r->n_closure, 0);
	report_run_free(r);
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	(void)state;
}

/*
 * A guest that did not answer some samples (the tidy run with vm0's rows
 * left out at 19000 and at the end): the chart draws it between its
 * neighbours, and holds its last measured value at the end; the copies
 * table, the closure and the sets table all take its last answer, and
 * the report says from when.
 */
static void test_guest_not_answering(void **state)
{
	char dir[] = "/tmp/test_report_residency.XXXXXX";
	_cleanup_free_ char *cp = NULL, *csv = NULL, *text = NULL, *kept = NULL;
	const char *rm[] = { "rm", "-rf", dir, NULL };
	struct report_run *r;
	char *out = NULL, *html;
	int code;
	FILE *f;
	size_t len = 0;

	assert_non_null(mkdtemp(dir));
	cp = strdup_printf("cp %s/* %s/", TIDY, dir);
	{
		const char *sh[] = { "sh", "-c", cp, NULL };

		assert_int_equal(spawn_capture(sh, true, 4096, &out, &code), 0);
		assert_int_equal(code, 0);
		free(out);
	}
	csv = strdup_printf("%s/residency.csv", dir);
	assert_int_equal(read_full_file(csv, 1 << 20, &text, NULL), 0);
	f = open_memstream(&kept, &len);
	assert_non_null(f);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (!(str_has_prefix(l, "19000,vm0,") ||
		      str_has_prefix(l, "20000,vm0,")))
			fprintf(f, "%s\n", l);
	fclose(f);
	assert_int_equal(results_write(dir, "residency.csv", kept), 0);

	r = load(dir);
	html = render(r, 0);
	/* 18000: 36 + 5.4 MiB, held to the end (20000) rather than 0 */
	assert_non_null(strstr(html, "<title>vm0 (guest): 41.4 MiB at the "
				     "end</title>"));
	/* vm0's copy as at 18000 (36 + 5.4 MiB), in every table */
	assert_int_equal(copies(r, "private-0", "all")->n_places, 2);
	assert_int_equal(copies(r, "private-0", "all")->times[1],
			 37748736 + 5660672);
	assert_int_equal(closure(r, "vm0", "total")->explained,
			 37748736 + 5660672);
	for (size_t i = 0; i < r->n_sets; i++)
		if (!strcmp(r->sets[i].name, "private vm 0"))
			assert_int_equal(r->sets[i].guest[0],
					 37748736 + 5660672);
	{
		bool said = false;

		for (size_t i = 0; i < r->n_warnings; i++)
			said |= !strcmp(
				r->warnings[i],
				"vm0 did not answer the last residency "
				"samples: its copies are as it measured "
				"them at 18.0 s, not at the end (20.0 s)");
		assert_true(said);
	}
	free(html);
	report_run_free(r);
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	(void)state;
}

/*
 * Pages whose cgroup could not be read ("?") or was gone ("(removed)")
 * are still the host's and the guest's: their closures count them.
 */
static void test_closure_whole_place(void **state)
{
	char dir[] = "/tmp/test_report_residency.XXXXXX";
	_cleanup_free_ char *cp = NULL;
	const char *rm[] = { "rm", "-rf", dir, NULL };
	struct report_run *r = load(TIDY), *q;
	char *out = NULL;
	int code;

	assert_non_null(mkdtemp(dir));
	cp = strdup_printf("cp %s/* %s/ && sed -i "
			   "'s|^\\(20000,vm0,.*\\),/,|\\1,?,|; "
			   "s|^\\(20000,host,.*\\),/dx-vm1,|\\1,(removed),|' "
			   "%s/residency.csv",
			   TIDY, dir, dir);
	{
		const char *sh[] = { "sh", "-c", cp, NULL };

		assert_int_equal(spawn_capture(sh, true, 4096, &out, &code), 0);
		assert_int_equal(code, 0);
		free(out);
	}
	q = load(dir);
	assert_int_equal(closure(q, "vm0", "total")->explained,
			 closure(r, "vm0", "total")->explained);
	assert_int_equal(closure(q, "host", "total")->explained,
			 closure(r, "host", "total")->explained);
	/* a VM's cgroup names its own: a row of no cgroup is not its */
	assert_int_equal(closure(q, "vm1-cg", "N0")->explained, 0);
	report_run_free(q);
	report_run_free(r);
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	(void)state;
}

/* A run cut short before anything was resident: charts without layers. */
static void test_nothing_resident(void **state)
{
	char dir[] = "/tmp/test_report_residency.XXXXXX";
	const char *rm[] = { "rm", "-rf", dir, NULL };
	struct report_run *r;
	char *out = NULL, *html;
	int code;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(results_write(dir, "status", "incomplete\n"), 0);
	assert_int_equal(results_write(dir, "residency.csv",
				       "elapsed_ms,where,set,part,node,cgroup,"
				       "bytes\n0,host,shared,hot,-,-,0\n"
				       "0,vm0,shared,hot,-,-,0\n"
				       "1000,host,shared,hot,-,-,0\n"),
			 0);
	r = load(dir);
	html = render(r, 0);
	assert_non_null(strstr(html, "Set shared: nothing resident in any "
				     "sample."));
	assert_null(strstr(html, "<path class=\"layer\""));
	free(html);
	report_run_free(r);
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closure),
		cmocka_unit_test(test_copies_and_guests),
		cmocka_unit_test(test_outputs),
		cmocka_unit_test(test_closure_nothing_to_explain),
		cmocka_unit_test(test_malformed_and_old),
		cmocka_unit_test(test_guest_not_answering),
		cmocka_unit_test(test_closure_whole_place),
		cmocka_unit_test(test_nothing_resident),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
