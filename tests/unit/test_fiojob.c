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
#include <unistd.h>

#include "config.h"
#include "fiojob.h"
#include "util.h"

#define GOLDEN FIXTURES "/../golden/fio-job"

/*
 * Compares text with GOLDEN/name; DAXLAB_UPDATE_GOLDEN=1 rewrites the
 * golden file instead (review the diff).
 */
static void check_golden(const char *name, const char *text)
{
	char path[512];
	char *want = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN, name);
	if (getenv("DAXLAB_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	assert_int_equal(read_full_file(path, 1 << 22, &want, NULL), 0);
	if (strcmp(want, text))
		fail_msg("%s differs from the generated job:\n%s", path, text);
	free(want);
}

static char *render(struct workload_spec *w, struct fiojob_opts *o)
{
	struct fileset_plan *p;
	struct error err = { 0 };
	char *text = NULL;

	assert_int_equal(fileset_plan_new(w, &p, &err), 0);
	if (fiojob_render(p, o, &text, &err) < 0)
		fail_msg("render: %s", err.msg);
	fileset_plan_free(p);
	return text;
}

static void test_seed_line(void **state)
{
	struct workload_spec w;
	struct fiojob_opts o;
	char *t;

	workload_spec_init(&w);
	w.private_ratio = 25;
	w.access_ratio = 75;
	fiojob_opts_init(&o);
	t = render(&w, &o);
	check_golden("seed-25-75.fio", t);
	free(t);
}

static void test_host_side_mmap_warm(void **state)
{
	struct workload_spec w;
	struct fiojob_opts o;
	char *t;

	workload_spec_init(&w);
	w.size = 64u << 20;
	w.file_size = 2u << 20;
	w.private_ratio = 40;
	w.access_ratio = 33;
	w.hot_ratio = 25;
	w.hot_access_ratio = 90;
	fiojob_opts_init(&o);
	o.shared_path = "/tmp/lab/shared";
	o.private_path = "/tmp/lab/vm0";
	o.ioengine = "mmap";
	o.warm = true;
	o.bs = 8192;
	o.runtime = 3;
	o.rw = "randrw";
	t = render(&w, &o);
	check_golden("host-40-33-mmap-warm.fio", t);
	free(t);
}

/* Sets whose share is 0 get no job. */
static void test_private_only(void **state)
{
	struct workload_spec w;
	struct fiojob_opts o;
	char *t;

	workload_spec_init(&w);
	w.size = 32u << 20;
	w.file_size = 4u << 20;
	w.private_ratio = 100;
	w.access_ratio = 100;
	w.hot_ratio = 50;
	w.hot_access_ratio = 100;
	fiojob_opts_init(&o);
	o.direct = true;
	t = render(&w, &o);
	check_golden("private-only.fio", t);
	assert_null(strstr(t, "[shared"));
	assert_null(strstr(t, "[private-cold]"));
	free(t);
}

/* 3000 shared cold files: filename= values within fio's limits. */
static void test_long_file_lists_respect_limits(void **state)
{
	struct workload_spec w;
	struct fiojob_opts o;
	unsigned names = 0, lines = 0;
	char *t;

	workload_spec_init(&w);
	w.size = 4000ull << 20;
	w.file_size = 1u << 20;
	fiojob_opts_init(&o);
	t = render(&w, &o);
	for (char *l = t; *l;) {
		char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);

		assert_true(len < FIOJOB_MAX_LINE);
		if (str_has_prefix(l, "filename=")) {
			assert_true(len - 9 <= FIOJOB_MAX_VALUE);
			lines++;
			names++;
			for (size_t i = 0; i < len; i++)
				names += l[i] == ':';
		}
		l = end ? end + 1 : l + len;
	}
	assert_int_equal(names, 4000);
	assert_true(lines > 4);
	check_golden("long-lists.fio", t);
	free(t);
}

static void test_parse_flows(void **state)
{
	struct fiojob_section s[8];
	const char *text = "; x\n[global]\nflow_id=1\n\n[a]\nflow=600\n"
			   "[b-c]\nfilename=x\nflow=400\n";

	assert_int_equal(fiojob_parse_flows(text, s, 8), 2);
	assert_string_equal(s[0].name, "a");
	assert_int_equal(s[0].flow, 600);
	assert_string_equal(s[1].name, "b-c");
	assert_int_equal(s[1].flow, 400);
}

static void test_bad_options_are_named(void **state)
{
	struct workload_spec w;
	struct fiojob_opts o;
	struct fileset_plan *p;
	struct error err = { 0 };
	char *t = NULL;

	workload_spec_init(&w);
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	fiojob_opts_init(&o);
	o.ioengine = "aio-nope";
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "aio-nope"));
	fiojob_opts_init(&o);
	o.bs = 1000;
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "1000"));
	fiojob_opts_init(&o);
	o.private_path = "/a:b";
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "/a:b"));
	assert_null(t);
	fileset_plan_free(p);
}

/*
 * The job's rw, bs, runtime and ioengine get the answer and the message
 * that daxlab.ini's [workload] keys get from config_workload_set().
 */
static void test_options_checked_as_the_ini(void **state)
{
	static const char *const engines[] = { "psync",	 "mmap",    "sync",
					       "vsync",	 "pvsync",  "pvsync2",
					       "libaio", "io_uring" };
	struct workload_config wc = { 0 };
	struct workload_spec w;
	struct fiojob_opts o;
	struct fileset_plan *p;
	struct error err = { 0 };
	struct error ini = { 0 };
	char *t = NULL;

	(void)state;
	workload_spec_init(&w);
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++) {
		fiojob_opts_init(&o);
		o.ioengine = engines[i];
		if (fiojob_render(p, &o, &t, &err) < 0)
			fail_msg("%s: %s", engines[i], err.msg);
		free(t);
		t = NULL;
	}
	fiojob_opts_init(&o);
	o.ioengine = "posixaio";
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_int_equal(config_workload_set(&wc, "ioengine", "posixaio", &ini),
			 -EINVAL);
	assert_string_equal(err.msg, ini.msg);
	fiojob_opts_init(&o);
	o.bs = 128 << 20;
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_int_equal(config_workload_set(&wc, "bs", "134217728", &ini),
			 -EINVAL);
	assert_string_equal(err.msg, ini.msg);
	fiojob_opts_init(&o);
	o.rw = "trim";
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_int_equal(config_workload_set(&wc, "rw", "trim", &ini), -EINVAL);
	assert_string_equal(err.msg, ini.msg);
	fiojob_opts_init(&o);
	o.runtime = 0;
	assert_int_equal(fiojob_render(p, &o, &t, &err), -EINVAL);
	assert_int_equal(config_workload_set(&wc, "runtime", "0", &ini),
			 -EINVAL);
	assert_string_equal(err.msg, ini.msg);
	assert_null(t);
	fileset_plan_free(p);
}

static void test_fio_dir(void **state)
{
	char *d;

	d = fiojob_fio_dir("fio/jobs/main.fio");
	assert_string_equal(d, "fio");
	free(d);
	d = fiojob_fio_dir("/x/y/main.fio");
	assert_string_equal(d, "/x/y");
	free(d);
	d = fiojob_fio_dir("main.fio");
	assert_string_equal(d, ".");
	free(d);
}

static void test_current_link_and_host_list(void **state)
{
	char dir[] = "/tmp/test_fiojob.XXXXXX";
	char job[128], link[128], hl[128], target[128];
	const char *words[] = { "sock:/run/daxlab/vm-0/fio.sock", "vm1,8765",
				NULL };
	char *text = NULL;
	ssize_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(job, sizeof(job), "%s/jobs/main.fio", dir);
	snprintf(link, sizeof(link), "%s/current", dir);
	snprintf(hl, sizeof(hl), "%s/host.list", dir);
	assert_int_equal(fiojob_update_current(dir, job), 0);
	/* again: replaced, not refused */
	assert_int_equal(fiojob_update_current(dir, job), 0);
	n = readlink(link, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_string_equal(target, "jobs/main.fio");
	assert_int_equal(fiojob_write_host_list(hl, words), 0);
	assert_int_equal(read_full_file(hl, 4096, &text, NULL), 0);
	assert_string_equal(text, "sock:/run/daxlab/vm-0/fio.sock\nvm1,8765\n");
	free(text);
	unlink(link);
	unlink(hl);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_line),
		cmocka_unit_test(test_host_side_mmap_warm),
		cmocka_unit_test(test_private_only),
		cmocka_unit_test(test_long_file_lists_respect_limits),
		cmocka_unit_test(test_parse_flows),
		cmocka_unit_test(test_bad_options_are_named),
		cmocka_unit_test(test_options_checked_as_the_ini),
		cmocka_unit_test(test_fio_dir),
		cmocka_unit_test(test_current_link_and_host_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
