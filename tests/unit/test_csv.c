// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "csv.h"
#include "util.h"

static int tmpfile_fd(char *path)
{
	int fd;

	strcpy(path, "/tmp/test_csv.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

static char *slurp(const char *path)
{
	char *t;

	assert_int_equal(read_full_file(path, 1 << 20, &t, NULL), 0);
	return t;
}

/* A row with its names' lengths counted, as src/stats.c hands them over. */
static int add_row(struct csv_writer *w, const char *source, const char *stat,
		   long node_id, uint64_t value, const char *unit)
{
	return csv_add_row_n(w, source, strlen(source), stat, strlen(stat),
			     node_id, value, unit, strlen(unit));
}

static void test_header_and_rows(void **state)
{
	struct csv_writer w;
	char path[64];
	int fd = tmpfile_fd(path);
	_cleanup_free_ char *t = NULL;

	assert_int_equal(csv_writer_open(&w, fd), 0);
	csv_tick_begin(&w, 1700000000123, 0);
	assert_int_equal(add_row(&w, "host", "file", 0, 4096, "bytes"), 0);
	assert_int_equal(add_row(&w, "host", "file", -1, 4096, "bytes"), 0);
	assert_int_equal(csv_tick_commit(&w), 0);
	csv_tick_begin(&w, 1700000000623, 500);
	assert_int_equal(add_row(&w, "vm0", "workingset_refault_file", 17,
				 UINT64_MAX, "count"),
			 0);
	assert_int_equal(csv_tick_commit(&w), 0);
	t = slurp(path);
	assert_string_equal(t,
			    "epoch_ms,elapsed_ms,source,stat,node,value,unit\n"
			    "1700000000123,0,host,file,N0,4096,bytes\n"
			    "1700000000123,0,host,file,total,4096,bytes\n"
			    "1700000000623,500,vm0,workingset_refault_file,N17,"
			    "18446744073709551615,count\n");
	assert_true(w.rows == 3);
	csv_writer_free(&w);
	close(fd);
	unlink(path);
}

static void test_abort_drops_tick(void **state)
{
	struct csv_writer w;
	char path[64];
	int fd = tmpfile_fd(path);
	_cleanup_free_ char *t = NULL;

	assert_int_equal(csv_writer_open(&w, fd), 0);
	csv_tick_begin(&w, 1, 0);
	assert_int_equal(add_row(&w, "a", "file", 0, 1, "bytes"), 0);
	csv_tick_abort(&w);
	assert_int_equal(csv_tick_commit(&w), 0);
	t = slurp(path);
	assert_string_equal(t, CSV_HEADER "\n");
	csv_writer_free(&w);
	close(fd);
	unlink(path);
}

static void test_many_rows_one_tick(void **state)
{
	struct csv_writer w;
	char path[64];
	int fd = tmpfile_fd(path);
	struct stat st;

	assert_int_equal(csv_writer_open(&w, fd), 0);
	csv_tick_begin(&w, 1, 10);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(
			add_row(&w, "src", "file", i % 4, 1234567, "bytes"), 0);
	assert_int_equal(csv_tick_commit(&w), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(
		st.st_size,
		strlen(CSV_HEADER "\n") +
			10000 * strlen("1,10,src,file,N0,1234567,bytes\n"));
	csv_writer_free(&w);
	close(fd);
	unlink(path);
}

/* A write that fails half-way leaves the file on the last whole tick. */
static void test_failed_write_cut_back_to_whole_tick(void **state)
{
	struct csv_writer w;
	struct rlimit old, lim;
	char path[64];
	int fd = tmpfile_fd(path);
	_cleanup_free_ char *t = NULL;
	int r = 0;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(csv_writer_open(&w, fd), 0);
	csv_tick_begin(&w, 5, 0);
	assert_int_equal(add_row(&w, "a", "file", -1, 1, "bytes"), 0);
	assert_int_equal(csv_tick_commit(&w), 0);

	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	csv_tick_begin(&w, 6, 500);
	for (int i = 0; i < 1000; i++)
		add_row(&w, "a", "file", 0, 1, "bytes");
	r = csv_tick_commit(&w);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(r, -EFBIG);

	/* still usable afterwards, appending after the last whole tick */
	csv_tick_begin(&w, 7, 1000);
	assert_int_equal(add_row(&w, "a", "file", -1, 2, "bytes"), 0);
	assert_int_equal(csv_tick_commit(&w), 0);
	t = slurp(path);
	assert_string_equal(t, CSV_HEADER "\n5,0,a,file,total,1,bytes\n"
					  "7,1000,a,file,total,2,bytes\n");
	csv_writer_free(&w);
	close(fd);
	unlink(path);
}

static void test_full_device_reports_enospc(void **state)
{
	struct csv_writer w;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(csv_writer_open(&w, fd), -ENOSPC);
	csv_writer_free(&w);
	close(fd);
}

static void test_format_u64(void **state)
{
	static const uint64_t v[] = { 0,
				      7,
				      9,
				      10,
				      42,
				      99,
				      100,
				      101,
				      999,
				      1000,
				      1234567,
				      1764100000000ULL,
				      10000000000000000000ULL,
				      UINT64_MAX };
	char got[24], want[24];

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		size_t n = csv_format_u64(got, v[i]);

		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)v[i]);
		assert_string_equal(got, want);
	}
	for (uint64_t x = 0; x < 100000; x += 7) {
		size_t n = csv_format_u64(got, x);

		got[n] = '\0';
		snprintf(want, sizeof(want), "%llu", (unsigned long long)x);
		assert_string_equal(got, want);
	}
}

static void test_field_ok(void **state)
{
	assert_true(csv_field_ok("hierarchical_file"));
	assert_false(csv_field_ok(""));
	assert_false(csv_field_ok("a,b"));
	assert_false(csv_field_ok("a\"b"));
	assert_false(csv_field_ok("a\nb"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_rows),
		cmocka_unit_test(test_abort_drops_tick),
		cmocka_unit_test(test_many_rows_one_tick),
		cmocka_unit_test(test_failed_write_cut_back_to_whole_tick),
		cmocka_unit_test(test_full_device_reports_enospc),
		cmocka_unit_test(test_format_u64),
		cmocka_unit_test(test_field_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
