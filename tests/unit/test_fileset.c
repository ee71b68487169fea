// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fileset.h"
#include "spawn.h"
#include "util.h"
#include "partfile.h"

static struct workload_spec spec(uint64_t size, uint64_t fsz, unsigned pr,
				 unsigned ar, unsigned hr, unsigned har)
{
	struct workload_spec w;

	workload_spec_init(&w);
	w.size = size;
	w.file_size = fsz;
	w.private_ratio = pr;
	w.access_ratio = ar;
	w.hot_ratio = hr;
	w.hot_access_ratio = har;
	return w;
}

static void test_counts_and_weights_seed_case(void **state)
{
	struct workload_spec w = spec(1u << 30, 16u << 20, 25, 75, 20, 80);
	struct fileset_plan *p;
	struct error err = { 0 };

	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	/* 64 files: 48 shared (10 hot), 16 private (3 hot) */
	assert_int_equal(p->count[0], 10);
	assert_int_equal(p->count[1], 38);
	assert_int_equal(p->count[2], 3);
	assert_int_equal(p->count[3], 13);
	assert_int_equal(p->weight[0], 200);
	assert_int_equal(p->weight[1], 50);
	assert_int_equal(p->weight[2], 600);
	assert_int_equal(p->weight[3], 150);
	assert_int_equal(p->share[0] + p->share[1] + p->share[2] + p->share[3],
			 10000);
	assert_int_equal(p->n_files, 0); /* no folders: names only */
	fileset_plan_free(p);
}

static void test_zero_share_sets_are_dropped(void **state)
{
	struct workload_spec w = spec(64u << 20, 4u << 20, 0, 0, 100, 100);
	struct fileset_plan *p;
	struct error err = { 0 };

	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	assert_int_equal(p->weight[0], 1000);
	assert_int_equal(p->weight[1], 0);
	assert_int_equal(p->weight[2], 0);
	assert_int_equal(p->weight[3], 0);
	assert_int_equal(p->count[0], 16);
	fileset_plan_free(p);
}

static void test_tiny_share_gets_weight_one(void **state)
{
	struct workload_spec w = spec(64u << 20, 4u << 20, 50, 1, 50, 99);
	struct fileset_plan *p;
	struct error err = { 0 };

	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	/* private-cold: 1% x 1% = 0.01% -> round(0.1) = 0 -> 1 */
	assert_int_equal(p->share[3], 1);
	assert_int_equal(p->weight[3], 1);
	fileset_plan_free(p);
}

static void expect_error(struct workload_spec w, const char *needle)
{
	struct fileset_plan *p = NULL;
	struct error err = { 0 };

	assert_int_equal(fileset_plan_new(&w, &p, &err), -EINVAL);
	assert_null(p);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' not in '%s'", needle, err.msg);
}

static void test_bad_values_are_named(void **state)
{
	expect_error(spec(64u << 20, 4u << 20, 101, 75, 20, 80),
		     "private_ratio 101");
	expect_error(spec(64u << 20, 4u << 20, 25, 200, 20, 80),
		     "access_ratio 200");
	expect_error(spec(64u << 20, 4u << 20, 25, 75, 120, 80),
		     "hot_ratio 120");
	expect_error(spec(64u << 20, 4u << 20, 25, 75, 20, 101),
		     "hot_access_ratio 101");
	expect_error(spec(65u << 20, 4u << 20, 25, 75, 20, 80),
		     "does not divide");
	expect_error(spec(64u << 20, 0, 25, 75, 20, 80), "file_size 0");
	/* I/O asked of a set without files */
	expect_error(spec(64u << 20, 4u << 20, 0, 75, 20, 80),
		     "private set has no files");
	expect_error(spec(64u << 20, 4u << 20, 25, 75, 0, 80), "has no files");
}

static void test_names_tell_set_and_temperature(void **state)
{
	struct workload_spec w = spec(32u << 20, 4u << 20, 50, 50, 50, 50);
	struct fileset_plan *p;
	struct error err = { 0 };

	w.vms = 2;
	w.shared_dir = "/s";
	w.private_dir = "/p/vm%i";
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	assert_int_equal(p->n_files, 4 + 2 * 4);
	assert_string_equal(p->files[0].path, "/s/shared-hot-0000.dat");
	assert_string_equal(p->files[0].name, "shared-hot-0000.dat");
	assert_int_equal(p->files[0].vm, -1);
	assert_string_equal(p->files[2].path, "/s/shared-cold-0000.dat");
	assert_string_equal(p->files[4].path, "/p/vm0/private-hot-0000.dat");
	assert_string_equal(p->files[4].vm_id, "0");
	assert_string_equal(p->files[8].path, "/p/vm1/private-hot-0000.dat");
	assert_int_equal(p->files[11].set, FS_PRIVATE);
	assert_int_equal(p->files[11].temp, FS_COLD);
	fileset_plan_free(p);
}

/* Two VMs' private files have the same names: one folder each. */
static void test_private_dirs_differ(void **state)
{
	static const char *const ids[] = { "a", "b" };
	static const char *const dirs[] = { "/x/p", "/x/p/" };
	struct workload_spec w = spec(32u << 20, 4u << 20, 50, 50, 50, 50);

	w.vms = 2;
	w.shared_dir = "/s";
	w.private_dir = "/p";
	expect_error(w, "vm 0 and vm 1 have the same private folder /p");
	w.private_dir = NULL;
	w.vm_ids = ids;
	w.vm_private_dirs = dirs;
	expect_error(w, "vm a and vm b have the same private folder /x/p/");
	(void)state;
}

static void test_vm_lists_from_config(void **state)
{
	static const char *const ids[] = { "a", "b" };
	static const char *const dirs[] = { "/x/a", "/y/b" };
	struct workload_spec w = spec(32u << 20, 4u << 20, 50, 50, 50, 50);
	struct fileset_plan *p;
	struct fs_select sel;
	struct error err = { 0 };

	w.vms = 2;
	w.vm_ids = ids;
	w.vm_private_dirs = dirs;
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	assert_int_equal(p->n_files, 8);
	assert_string_equal(p->files[4].path, "/y/b/private-hot-0000.dat");
	assert_int_equal(fs_select_parse("private-hot", &sel), 0);
	sel.vm = "b";
	/* no shared folder: a's files, then b's (2 hot, 2 cold each) */
	assert_false(fs_select_match(&sel, &p->files[0]));
	assert_true(fs_select_match(&sel, &p->files[4]));
	assert_true(fs_select_match(&sel, &p->files[5]));
	assert_false(fs_select_match(&sel, &p->files[6]));
	fileset_plan_free(p);
}

static void test_select_names(void **state)
{
	struct fs_select s;

	assert_int_equal(fs_select_parse("all", &s), 0);
	assert_true(s.group[0] && s.group[1] && s.group[2] && s.group[3]);
	assert_int_equal(fs_select_parse("cold", &s), 0);
	assert_true(!s.group[0] && s.group[1] && !s.group[2] && s.group[3]);
	assert_int_equal(fs_select_parse("shared", &s), 0);
	assert_true(s.group[0] && s.group[1] && !s.group[2] && !s.group[3]);
	assert_int_equal(fs_select_parse("warm", &s), -EINVAL);
}

static void test_private_dir_pattern(void **state)
{
	char *d = fileset_private_dir("/srv/%i/x%i", 12);

	assert_string_equal(d, "/srv/12/x12");
	free(d);
}

static void test_spec_set_parses_keys(void **state)
{
	struct workload_spec w;
	struct error err = { 0 };

	workload_spec_init(&w);
	assert_int_equal(workload_spec_set(&w, "size", "2G", &err), 0);
	assert_int_equal(w.size, 2ull << 30);
	assert_int_equal(workload_spec_set(&w, "hot_ratio", "7", &err), 0);
	assert_int_equal(w.hot_ratio, 7);
	assert_int_equal(workload_spec_set(&w, "size", "lots", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "lots"));
	assert_int_equal(workload_spec_set(&w, "access_ratio", "-3", &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "-3"));
}

/* A bad value of a flag gets the error daxlab.ini and --sweep give it. */
static void test_spec_set_checks_as_config(void **state)
{
	static const char *const bad[][2] = {
		{ "private_ratio", "150" },
		{ "access_ratio", "101" },
		{ "hot_ratio", "-1" },
		{ "hot_access_ratio", "x" },
		{ "size", "0" },
		{ "file_size", "lots" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct workload_spec w;
		struct workload_config c = { 0 };
		struct error e1 = { 0 }, e2 = { 0 };

		workload_spec_init(&w);
		assert_int_equal(
			workload_spec_set(&w, bad[i][0], bad[i][1], &e1),
			-EINVAL);
		assert_int_equal(
			config_workload_set(&c, bad[i][0], bad[i][1], &e2),
			-EINVAL);
		assert_string_equal(e1.msg, e2.msg);
		/* and the spec is as it was */
		assert_int_equal(w.private_ratio, 25);
		assert_int_equal(w.size, 1ull << 30);
	}
	(void)state;
}

/* The PRNG's output does not compress: every byte value about as often. */
static void test_rng_output_looks_random(void **state)
{
	static unsigned char buf[1 << 20];
	unsigned hist[256] = { 0 };
	struct fs_rng r1, r2;

	fs_rng_seed(&r1, 42);
	fs_rng_fill(&r1, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		hist[buf[i]]++;
	for (int i = 0; i < 256; i++)
		assert_true(hist[i] > 3500 && hist[i] < 4700);
	/* the next buffer differs (no block repeats) */
	fs_rng_seed(&r2, 42);
	fs_rng_fill(&r2, buf, 4096);
	fs_rng_fill(&r1, buf + 4096, 4096);
	assert_memory_not_equal(buf, buf + 4096, 4096);
}

static char *mkdtemp_path(void)
{
	char *t = strdup("/tmp/test_fileset.XXXXXX");

	assert_non_null(mkdtemp(t));
	return t;
}

static void rm_rf(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	char *out = NULL;
	int status = -1;

	assert_int_equal(spawn_capture(argv, true, 4096, &out, &status), 0);
	assert_int_equal(status, 0);
	free(out);
}

/* An 8 MiB plan of 1 MiB files below top for vms VMs; man: its manifest. */
static struct fileset_plan *plan_below(const char *top, unsigned vms,
				       char man[256])
{
	char sh[256], pr[256];
	struct error err = { 0 };
	struct workload_spec w = spec(8u << 20, 1u << 20, 50, 50, 50, 50);
	struct fileset_plan *p;

	snprintf(sh, sizeof(sh), "%s/shared", top);
	snprintf(pr, sizeof(pr), "%s/vm%%i", top);
	snprintf(man, 256, "%s/manifest", top);
	w.vms = vms;
	w.shared_dir = sh;
	w.private_dir = pr;
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	return p;
}

static void test_create_is_complete_and_idempotent(void **state)
{
	char *top = mkdtemp_path();
	char man[256];
	struct fileset_plan *p = plan_below(top, 2, man);
	struct fileset_create_result res;
	struct error err = { 0 };
	const char *end = "\n# complete files=12\n";
	_cleanup_free_ char *text = NULL;
	size_t len, listed = 0;
	struct stat st;

	assert_int_equal(fileset_create(p, man, 0, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.written, 12);
	assert_int_equal(res.kept, 0);
	/* the marker last, after the 12 files */
	assert_int_equal(read_full_file(man, 1 << 20, &text, &len), 0);
	assert_true(len > strlen(end));
	assert_string_equal(text + len - strlen(end), end);
	for (const char *l = text; *l; l = strchr(l, '\n') + 1)
		listed += *l != '#';
	assert_int_equal(listed, 12);
	for (size_t i = 0; i < p->n_files; i++) {
		assert_int_equal(stat(p->files[i].path, &st), 0);
		assert_int_equal(st.st_size, 1 << 20);
	}
	/* again: everything kept */
	assert_int_equal(fileset_create(p, man, 0, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.written, 0);
	assert_int_equal(res.kept, 12);
	/* a wrong size is rewritten; --force rewrites all */
	assert_int_equal(truncate(p->files[3].path, 100), 0);
	assert_int_equal(fileset_create(p, man, 0, NULL, NULL, &res, &err), 0);
	assert_int_equal(res.written, 1);
	assert_int_equal(
		fileset_create(p, man, FILESET_FORCE, NULL, NULL, &res, &err),
		0);
	assert_int_equal(res.written, 12);
	fileset_plan_free(p);
	rm_rf(top);
	free(top);
}

static bool stop_after_1m(void *ud, uint64_t done, uint64_t total)
{
	(void)total;
	*(unsigned *)ud += 1;
	return done < (1u << 20);
}

static void test_create_stops_when_progress_says_so(void **state)
{
	char *top = mkdtemp_path();
	char man[256];
	struct fileset_plan *p = plan_below(top, 1, man);
	struct fileset_create_result res;
	struct error err = { 0 };
	unsigned calls = 0;
	struct stat st;

	assert_int_equal(
		fileset_create(p, man, 0, stop_after_1m, &calls, &res, &err),
		-EINTR);
	assert_non_null(strstr(err.msg, "interrupted while writing"));
	assert_true(calls >= 1);
	/* nothing written stays, no manifest */
	assert_int_equal(stat(man, &st), -1);
	for (size_t i = 0; i < p->n_files; i++) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s.tmp", p->files[i].path);
		assert_int_equal(stat(p->files[i].path, &st), -1);
		assert_int_equal(stat(tmp, &st), -1);
	}
	fileset_plan_free(p);
	rm_rf(top);
	free(top);
}

static void test_unwritable_folder_fails_before_writing(void **state)
{
	struct workload_spec w = spec(8u << 20, 1u << 20, 50, 50, 50, 50);
	struct fileset_plan *p;
	struct error err = { 0 };

	w.shared_dir = "/proc/daxlab-no-such-dir";
	w.private_dir = "/proc/x%i";
	assert_int_equal(fileset_plan_new(&w, &p, &err), 0);
	assert_true(fileset_create(p, "/proc/m", 0, NULL, NULL, NULL, &err) <
		    0);
	assert_non_null(strstr(err.msg, "/proc/daxlab-no-such-dir"));
	fileset_plan_free(p);
}

/* mincore and move_pages on a file read in part, with readahead off. */
static void test_residency_counts_resident_pages_only(void **state)
{
	/* not /tmp: a tmpfs cannot drop its pages */
	char path[] = "/var/tmp/test_residency.XXXXXX";
	struct fs_residency acc = { 0 };
	uint64_t nodes = 0;

	partfile_make(path);
	assert_int_equal(fileset_file_residency(path, NULL, &acc), 0);
	assert_int_equal(acc.size, 1 << 20);
	assert_int_equal(acc.resident, 20 * 4096);
	for (int n = 0; n < FS_MAX_NODES; n++)
		nodes += acc.node[n];
	assert_int_equal(nodes + acc.node_unknown, acc.resident);
	assert_int_equal(acc.node_unknown, 0);
	{
		/* only the pages the ranges touch: 10, 11 and 20..24 */
		uint64_t r[][2] = { { 0, 12 * 4096 },
				    { 20 * 4096 + 100, 25 * 4096 } };
		struct fs_ranges only = { r, 2 };

		struct fs_mapped m;
		size_t in = 0, out = 0;

		memset(&acc, 0, sizeof(acc));
		assert_int_equal(fileset_file_residency(path, &only, &acc), 0);
		assert_int_equal(acc.resident, 7 * 4096);
		/* the resident pages they do not touch are marked apart */
		assert_int_equal(fileset_map_resident(path, &only, &m), 0);
		for (size_t i = 0; i < m.npages; i++) {
			in += m.vec[i] & 1;
			out += !!(m.vec[i] & FS_PAGE_REST);
			assert_false((m.vec[i] & 1) &&
				     (m.vec[i] & FS_PAGE_REST));
		}
		fileset_unmap(&m);
		assert_int_equal(in, 7);
		assert_int_equal(out, 13);
	}
	{
		/* evicted after mincore: the recheck forgets them */
		struct fs_mapped m;
		size_t in = 0;

		assert_int_equal(fileset_map_resident(path, NULL, &m), 0);
		assert_int_equal(fileset_file_evict(path), 0);
		partfile_read(path, 20, 22);
		fileset_recheck(&m, 0, m.npages);
		for (size_t i = 0; i < m.npages; i++)
			in += m.vec[i] & 1;
		assert_int_equal(in, 2);
		assert_true(m.vec[20] & 1);
		assert_true(m.vec[21] & 1);
		fileset_unmap(&m);
		partfile_read(path, 10, 30);
	}
	/* asking brought nothing in; warm brings all, evict none */
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(fileset_file_residency(path, NULL, &acc), 0);
	assert_int_equal(acc.resident, 20 * 4096);
	assert_int_equal(fileset_file_warm(path), 0);
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(fileset_file_residency(path, NULL, &acc), 0);
	assert_int_equal(acc.resident, 1 << 20);
	assert_int_equal(fileset_file_evict(path), 0);
	memset(&acc, 0, sizeof(acc));
	assert_int_equal(fileset_file_residency(path, NULL, &acc), 0);
	assert_int_equal(acc.resident, 0);
	assert_int_equal(fileset_file_residency("/nonexistent/x", NULL, &acc),
			 -ENOENT);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_weights_seed_case),
		cmocka_unit_test(test_zero_share_sets_are_dropped),
		cmocka_unit_test(test_tiny_share_gets_weight_one),
		cmocka_unit_test(test_bad_values_are_named),
		cmocka_unit_test(test_names_tell_set_and_temperature),
		cmocka_unit_test(test_private_dirs_differ),
		cmocka_unit_test(test_vm_lists_from_config),
		cmocka_unit_test(test_select_names),
		cmocka_unit_test(test_private_dir_pattern),
		cmocka_unit_test(test_spec_set_parses_keys),
		cmocka_unit_test(test_spec_set_checks_as_config),
		cmocka_unit_test(test_rng_output_looks_random),
		cmocka_unit_test(test_create_is_complete_and_idempotent),
		cmocka_unit_test(test_create_stops_when_progress_says_so),
		cmocka_unit_test(test_unwritable_folder_fails_before_writing),
		cmocka_unit_test(test_residency_counts_resident_pages_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
