// SPDX-License-Identifier: MIT
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
#include "spawn.h"
#include "util.h"

#define MIB (1024 * 1024)
#define SYN FIXTURES "/report/synthetic"
#define PR25 FIXTURES "/report/real-pr25"

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

static const struct report_set *set(const struct report_run *r,
				    const char *name)
{
	for (size_t i = 0; i < r->n_sets; i++)
		if (!strcmp(r->sets[i].name, name))
			return &r->sets[i];
	fail_msg("no set %s", name);
	return NULL;
}

static void test_sources_and_kinds(void **state)
{
	struct report_run *r = load(SYN);
	const struct report_series *s;

	assert_int_equal(r->status, RESULTS_COMPLETE);
	assert_int_equal(r->n_vms, 2);
	assert_string_equal(r->vms[1].name, "vm1");
	s = report_find_series(r, "vm0", "total");
	assert_non_null(s);
	assert_int_equal(s->kind, SRC_GUEST);
	assert_string_equal(s->vm, "0");
	assert_true(s->has_shmem);
	/* file - shmem: 41 MiB + the 48 MiB (and 4 KiB) read */
	assert_int_equal(report_pagecache(s, s->n - 1),
			 41 * MIB + 48 * MIB + 4096);
	assert_int_equal(report_find_series(r, "vm1-cg", "N0")->kind,
			 SRC_VM_CGROUP);
	assert_int_equal(report_find_series(r, "virtiofsd", "N0")->kind,
			 SRC_VIRTIOFSD);
	assert_int_equal(s->n, 41);
	assert_int_equal(r->duration_ms, 20000);
	report_run_free(r);
	(void)state;
}

static void test_once_and_twice(void **state)
{
	struct report_run *r = load(SYN);
	const struct report_set *sh = set(r, "shared");
	const struct report_set *p0 = set(r, "private vm 0");
	int64_t g;

	/* shared through DAX: the image's copy on the host only */
	assert_string_equal(sh->host_via, "image");
	assert_int_equal(sh->size, 64 * MIB);
	assert_int_equal(sh->host, 64 * MIB); /* capped at the set's size */
	assert_true(sh->dax[0] && sh->dax[1]);
	assert_int_equal(sh->guest[0], 0);
	assert_int_equal(sh->once, 64 * MIB);
	assert_int_equal(sh->twice, 0);
	/* private: the guest's growth (up to the set) and the host's */
	assert_int_equal(p0->host, 48 * MIB);
	assert_int_equal(p0->guest[0], 48 * MIB);
	assert_int_equal(p0->guest[1], 0);
	assert_int_equal(p0->twice, 48 * MIB);
	assert_int_equal(p0->once, 0);
	assert_int_equal(p0->extra, 48 * MIB);
	assert_true(report_growth(r, "virtiofsd", &g));
	assert_int_equal(g, 96 * MIB);
	report_run_free(r);
	(void)state;
}

static void test_no_dax_gives_guest_copy_of_shared(void **state)
{
	char dir[] = "/tmp/test_report.XXXXXX";
	const char *cp[] = { "cp", "-r", SYN, dir, NULL };
	const char *rm[] = { "rm", "-rf", dir, NULL };
	char *out = NULL, *sub, *prov;
	struct report_run *r;
	const struct report_set *sh;
	int code;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(spawn_capture(cp, true, 4096, &out, &code), 0);
	assert_int_equal(code, 0);
	free(out);
	sub = strdup_printf("%s/synthetic", dir);
	prov = strdup_printf("%s/provenance.txt", sub);
	/* vm1 read the shared set without DAX: its growth past its
	 * private set (48 MiB) is a copy of shared data */
	{
		FILE *f = fopen(prov, "a");

		assert_non_null(f);
		fputs("vm.1.shared_dax = no\n", f);
		fclose(f);
	}
	r = load(sub);
	sh = set(r, "shared");
	assert_false(sh->dax[1]);
	assert_true(sh->dax[0]);
	assert_int_equal(sh->guest[1], 4096);
	assert_int_equal(sh->twice, 4096);
	assert_int_equal(sh->once, 64 * MIB - 4096);
	report_run_free(r);
	out = NULL;
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	free(prov);
	free(sub);
	(void)state;
}

static void test_fio_mapping(void **state)
{
	struct report_run *r = load(PR25);
	size_t seen = 0;

	assert_int_equal(r->n_fio, 8);
	for (size_t i = 0; i < r->n_fio; i++) {
		const struct report_fio *f = &r->fio[i];

		assert_true(!strcmp(f->vm, "vm0") || !strcmp(f->vm, "vm1"));
		if (!strcmp(f->job, "shared-hot")) {
			assert_true(f->asked_pct > 39.9 && f->asked_pct < 40.1);
			assert_true(f->achieved_pct > 39 &&
				    f->achieved_pct < 41);
			seen++;
		}
		assert_true(f->p99_ns >= f->p50_ns);
	}
	assert_int_equal(seen, 2);
	/* grouped by VM in the run's order */
	assert_string_equal(r->fio[0].vm, "vm0");
	assert_string_equal(r->fio[7].vm, "vm1");
	report_run_free(r);
	(void)state;
}

static void test_html_and_summary(void **state)
{
	struct report_run *runs[2] = { load(SYN), load(PR25) };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(report_write_html(f, runs, 2, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, "<table class=\"compare\">"));
	assert_non_null(
		strstr(buf, "<path class=\"series\" data-source=\"vm0\""));
	assert_null(strstr(buf, "<script"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(report_write_summary(f, runs, 1, NULL), 0);
	fclose(f);
	assert_non_null(strstr(buf, "Shared set: 64.0 MiB of the data cached, "
				    "64.0 MiB cached once, 0.0 MiB cached "
				    "twice or more."));
	free(buf);
	report_run_free(runs[0]);
	report_run_free(runs[1]);
	(void)state;
}

/* Two NUMA nodes: per-node values, and a chart per node. */
static void test_two_nodes(void **state)
{
	char dir[] = "/tmp/test_report.XXXXXX";
	const char *rm[] = { "rm", "-rf", dir, NULL };
	char *path, *out = NULL, *buf = NULL;
	struct report_run *r;
	const struct report_series *s;
	size_t len = 0;
	FILE *f;
	int code;

	assert_non_null(mkdtemp(dir));
	path = strdup_printf("%s/status", dir);
	assert_int_equal(results_write(dir, "status", "complete\n"), 0);
	assert_int_equal(results_write(dir, "provenance.txt",
				       "vms = 0\nsource.vm0 = guest 0\n"
				       "source.fsd = virtiofsd\n"),
			 0);
	assert_int_equal(
		results_write(
			dir, "stats.csv",
			"epoch_ms,elapsed_ms,source,stat,node,value,unit\n"
			"1000,0,fsd,file,N0,100,bytes\n"
			"1000,0,fsd,file,N1,200,bytes\n"
			"1000,0,fsd,file,total,300,bytes\n"
			"1000,0,vm0,file,N0,1000,bytes\n"
			"1000,0,vm0,shmem,N0,600,bytes\n"
			"1000,0,vm0,file,total,1000,bytes\n"
			"1000,0,vm0,shmem,total,600,bytes\n"
			"1500,500,fsd,file,N0,100,bytes\n"
			"1500,500,fsd,file,N1,4200,bytes\n"
			"1500,500,fsd,file,total,4300,bytes\n"
			"1500,500,vm0,file,N0,5000,bytes\n"
			"1500,500,vm0,shmem,N0,600,bytes\n"
			"1500,500,vm0,file,total,5000,bytes\n"
			"1500,500,vm0,shmem,total,600,bytes\n"
			"2000,1000,vm0,file,N0,50"), /* partial line */
		0);
	r = load(dir);
	s = report_find_series(r, "fsd", "N1");
	assert_non_null(s);
	assert_int_equal(s->kind, SRC_VIRTIOFSD);
	assert_int_equal(report_pagecache(s, s->n - 1), 4200);
	s = report_find_series(r, "vm0", "N0");
	assert_int_equal(s->n, 2); /* the partial last line is left out */
	assert_int_equal(report_pagecache(s, 1), 4400);
	assert_true(r->vms[0].have_guest);
	assert_int_equal(r->vms[0].guest_last - r->vms[0].guest_first, 4000);
	f = open_memstream(&buf, &len);
	assert_int_equal(report_write_html(f, &r, 1, NULL), 0);
	fclose(f);
	assert_non_null(strstr(
		buf, "virtiofsd and VM cgroups (file - shmem), node N1"));
	assert_non_null(strstr(buf, "node N0"));
	assert_non_null(strstr(buf, "node total"));
	assert_non_null(strstr(buf, "<th>N1</th>"));
	free(buf);
	report_run_free(r);
	spawn_capture(rm, true, 4096, &out, &code);
	free(out);
	free(path);
	(void)state;
}

static void test_not_a_results_folder(void **state)
{
	struct report_run *r = NULL;
	struct error err = { 0 };

	assert_int_equal(report_load(FIXTURES "/report", &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "not a results folder"));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources_and_kinds),
		cmocka_unit_test(test_once_and_twice),
		cmocka_unit_test(test_no_dax_gives_guest_copy_of_shared),
		cmocka_unit_test(test_fio_mapping),
		cmocka_unit_test(test_html_and_summary),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_not_a_results_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
