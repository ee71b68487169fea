// SPDX-License-Identifier: MIT
/*
 * The sampler with local files (remote reads are tested against a real
 * sshd in tests/integration/stats_monitor_ssh.bats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sampler.h"
#include "source.h"
#include "util.h"

struct events {
	int failed, back;
	uint64_t last_gap;
	int last_prev_status;
};

static void on_event(const struct sampler_event *ev, void *ud)
{
	struct events *e = ud;

	if (ev->type == SAMPLER_SOURCE_FAILED)
		e->failed++;
	if (ev->type == SAMPLER_SOURCE_BACK) {
		e->back++;
		e->last_gap = ev->gap_ticks;
		e->last_prev_status = ev->prev_status;
	}
}

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_sampler.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
	char path[128], tmp[140];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void add(struct sampler *s, const char *name, const char *file)
{
	struct source_spec sp;
	char spec[160];
	struct error err = { 0 };

	snprintf(spec, sizeof(spec), "%s=%s/%s", name, dir, file);
	assert_int_equal(source_parse(spec, &sp, &err), 0);
	assert_int_equal(sampler_add(s, &sp), 0);
	source_spec_free(&sp);
}

static void test_local_file_and_cgroup_dir(void **state)
{
	struct sampler s;
	struct events ev = { 0 };
	volatile sig_atomic_t stop = 0;
	char sub[128];

	put("a", "total=2 N0=2\nfile=1 N0=1\n");
	snprintf(sub, sizeof(sub), "%s/cg", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put("cg/memory.numa_stat", "file N0=4096 N1=8192\n");

	assert_int_equal(sampler_init(&s, 10, NULL, on_event, &ev), 0);
	add(&s, "a", "a");
	add(&s, "cg", "cg");
	sampler_probe(&s, 1000);
	assert_int_equal(s.src[0].status, 0);
	assert_int_equal(s.src[1].status, 0);

	assert_int_equal(sampler_wait(&s, &stop), 0);
	assert_int_equal(s.k, 0);
	sampler_tick(&s);
	assert_true(numastat_find(&s.src[0].ns, "file")->total ==
		    s.local_page_size);
	assert_true(numastat_find(&s.src[1].ns, "file")->total == 12288);
	assert_int_equal(ev.failed, 0);
	assert_true(s.ticks == 1);
	sampler_free(&s);
}

/*
 * Tick after tick the same file is parsed into the same struct: keys that
 * stay, move, repeat or change format give what a fresh parse gives.
 */
static void test_keys_change_between_ticks(void **state)
{
	struct sampler s;
	struct events ev = { 0 };
	volatile sig_atomic_t stop = 0;
	const struct numastat_stat *st;

	put("k", "file N0=1\nanon N0=2\npgpromote_success N0=3\n");
	assert_int_equal(sampler_init(&s, 1, NULL, on_event, &ev), 0);
	add(&s, "k", "k");
	sampler_probe(&s, 1000);
	assert_int_equal(s.src[0].status, 0);
	assert_int_equal(sampler_wait(&s, &stop), 0);

	/* same keys, new values */
	put("k", "file N0=10\nanon N0=20\npgpromote_success N0=30\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);
	assert_int_equal(s.src[0].ns.n_stats, 3);
	assert_true(numastat_find(&s.src[0].ns, "anon")->total == 20);
	st = numastat_find(&s.src[0].ns, "pgpromote_success");
	assert_int_equal(st->unit, NUMASTAT_COUNT);
	assert_int_equal(st->klen, strlen("pgpromote_success"));

	/* a key seen before comes again further down */
	put("k", "file N0=1\nanon N0=2\nfile N0=3\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, -EINVAL);
	assert_non_null(strstr(s.src[0].err, "line 3: file given twice"));

	put("k", "file N0=1\nanon N0=2\npgpromote_success N0=3\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);
	/* a key that begins with the last one's key is another key */
	put("k", "files N0=1\nanon N0=2\npgpromote_success N0=3\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);
	assert_null(numastat_find(&s.src[0].ns, "file"));
	assert_true(numastat_find(&s.src[0].ns, "files")->total == 1);
	/* the same key, now in the v1 format: pages, in bytes */
	put("k", "files N0=1\nanon N0=2\npgpromote_success=3 N0=3\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);
	st = numastat_find(&s.src[0].ns, "pgpromote_success");
	assert_int_equal(st->unit, NUMASTAT_BYTES);
	assert_true(st->total == 3 * s.local_page_size);
	/* and back to v2: a count again */
	put("k", "files N0=1\nanon N0=2\npgpromote_success N0=3\n");
	sampler_tick(&s);
	st = numastat_find(&s.src[0].ns, "pgpromote_success");
	assert_int_equal(st->unit, NUMASTAT_COUNT);
	assert_true(st->total == 3);
	/* a key that moved before one that stays: still found twice */
	put("k", "anon N0=2\nanon N0=5\n");
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, -EINVAL);
	assert_non_null(strstr(s.src[0].err, "anon given twice"));
	sampler_free(&s);
}

static void test_missing_at_start(void **state)
{
	struct sampler s;

	assert_int_equal(sampler_init(&s, 10, NULL, NULL, NULL), 0);
	add(&s, "x", "nope");
	sampler_probe(&s, 1000);
	assert_int_equal(s.src[0].status, -ENOENT);
	assert_non_null(strstr(s.src[0].err, "nope"));
	sampler_free(&s);
}

static void test_gone_and_back(void **state)
{
	struct sampler s;
	struct events ev = { 0 };
	volatile sig_atomic_t stop = 0;
	char path[128];

	put("g", "file N0=1\n");
	assert_int_equal(sampler_init(&s, 1, NULL, on_event, &ev), 0);
	add(&s, "g", "g");
	sampler_probe(&s, 1000);
	assert_int_equal(sampler_wait(&s, &stop), 0);
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);

	/* unlinked: a regular file still reads, so the link count tells */
	snprintf(path, sizeof(path), "%s/g", dir);
	assert_int_equal(unlink(path), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sampler_wait(&s, &stop), 0);
		sampler_tick(&s);
		assert_int_equal(s.src[0].status, -ENOENT);
	}
	assert_int_equal(ev.failed, 1); /* once, not every tick */

	put("g", "file N0=2\n");
	assert_int_equal(sampler_wait(&s, &stop), 0);
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, 0);
	assert_true(numastat_find(&s.src[0].ns, "file")->total == 2);
	assert_int_equal(ev.back, 1);
	assert_true(ev.last_gap == 3);
	assert_int_equal(ev.last_prev_status, -ENOENT);
	assert_true(s.src[0].failed_ticks == 3);
	sampler_free(&s);
}

static void test_parse_error_names_file_and_line(void **state)
{
	struct sampler s;
	volatile sig_atomic_t stop = 0;

	put("bad", "file N0=1\nanon N0=oops\n");
	assert_int_equal(sampler_init(&s, 5, NULL, NULL, NULL), 0);
	add(&s, "bad", "bad");
	assert_int_equal(sampler_wait(&s, &stop), 0);
	sampler_tick(&s);
	assert_int_equal(s.src[0].status, -EINVAL);
	assert_non_null(strstr(s.src[0].err, "/bad: line 2: anon"));
	sampler_free(&s);
}

static void test_late_ticks_skipped_and_counted(void **state)
{
	struct sampler s;
	volatile sig_atomic_t stop = 0;
	struct timespec ts = { 0, 30 * 1000000 };

	put("t", "file N0=1\n");
	assert_int_equal(sampler_init(&s, 1, NULL, NULL, NULL), 0);
	add(&s, "t", "t");
	assert_int_equal(sampler_wait(&s, &stop), 0);
	sampler_tick(&s);
	nanosleep(&ts, NULL);
	/* 30 ms late at 1 ms: one tick taken, at least 28 skipped */
	assert_int_equal(sampler_wait(&s, &stop), 0);
	assert_true(s.missed >= 28);
	assert_true(s.k == s.missed + 1);
	assert_true(sampler_elapsed_ms(&s) == s.k);
	sampler_tick(&s);
	assert_true(s.ticks == 2);
	assert_true(sampler_lateness_ns(&s, 1.0) <= s.late_max_ns);
	sampler_free(&s);
}

static void test_stop_before_the_deadline(void **state)
{
	struct sampler s;
	volatile sig_atomic_t stop = 0;

	assert_int_equal(sampler_init(&s, 100000, NULL, NULL, NULL), 0);
	assert_int_equal(sampler_wait(&s, &stop), 0);
	stop = 1;
	/* would sleep 100 s otherwise */
	assert_int_equal(sampler_wait(&s, &stop), 1);
	sampler_free(&s);
}

static void test_remote_without_ssh_binary(void **state)
{
	struct sampler s;
	struct source_spec sp;
	struct error err = { 0 };
	_cleanup_free_ char *old = NULL;

	old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(sampler_init(&s, 10, NULL, NULL, NULL), 0);
	assert_int_equal(source_parse("r=host:/p", &sp, &err), 0);
	assert_int_equal(sampler_add(&s, &sp), 0);
	source_spec_free(&sp);
	sampler_probe(&s, 1000);
	if (old)
		setenv("PATH", old, 1);
	assert_int_equal(s.src[0].status, -ENOTCONN);
	assert_non_null(strstr(s.src[0].err, "cannot start ssh"));
	sampler_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_file_and_cgroup_dir),
		cmocka_unit_test(test_keys_change_between_ticks),
		cmocka_unit_test(test_missing_at_start),
		cmocka_unit_test(test_gone_and_back),
		cmocka_unit_test(test_parse_error_names_file_and_line),
		cmocka_unit_test(test_late_ticks_skipped_and_counted),
		cmocka_unit_test(test_stop_before_the_deadline),
		cmocka_unit_test(test_remote_without_ssh_binary),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
