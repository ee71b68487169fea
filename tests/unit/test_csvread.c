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

#include "csvread.h"

struct got {
	size_t n;
	int64_t sum;
	int64_t last_value;
	uint32_t last_node;
};

static int collect(const struct csv_row *row, void *userdata)
{
	struct got *g = userdata;

	g->n++;
	g->sum += row->value;
	g->last_value = row->value;
	g->last_node = row->node;
	return 0;
}

/* Runs the reader over a fixture; returns its result, error in *r. */
static int read_fixture(const char *name, const char *want, struct got *g,
			struct csvread **ret, int *ret_fd)
{
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/compare/%s", FIXTURES, name);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(csvread_new(path, fd, 0, (uint64_t)st.st_size, ret),
			 0);
	if (want)
		assert_true(csvread_want(*ret, want) >= 0);
	memset(g, 0, sizeof(*g));
	*ret_fd = fd;
	return csvread_run(*ret, collect, g);
}

static void done(struct csvread *r, int fd)
{
	csvread_free(r);
	close(fd);
}

static void expect_error(const char *name, const char *what)
{
	struct csvread *r;
	struct got g;
	int fd;

	assert_int_equal(read_fixture(name, NULL, &g, &r, &fd), -EBADMSG);
	if (!strstr(csvread_error(r), what))
		fail_msg("%s: error '%s' lacks '%s'", name, csvread_error(r),
			 what);
	done(r, fd);
}

static void test_reads_every_row(void **state)
{
	struct csvread *r;
	struct got g;
	int fd;

	assert_int_equal(read_fixture("small.csv", NULL, &g, &r, &fd), 0);
	assert_int_equal(g.n, 30);
	assert_int_equal(csvread_rows(r), 30);
	assert_int_equal(csvread_partial_line(r), 0);
	assert_int_equal(csvread_count(r, CSV_SOURCE), 2);
	assert_string_equal(csvread_name(r, CSV_SOURCE, 0), "host");
	assert_string_equal(csvread_name(r, CSV_SOURCE, 1), "vm0");
	assert_int_equal(csvread_count(r, CSV_STAT), 3);
	assert_string_equal(csvread_name(r, CSV_STAT, 2),
			    "workingset_refault_file");
	assert_int_equal(csvread_count(r, CSV_NODE), 3);
	assert_int_equal(csvread_lookup(r, CSV_NODE, "total"), 2);
	assert_int_equal(csvread_lookup(r, CSV_NODE, "N7"), -ENOENT);
	assert_int_equal(g.last_value, 12);
	done(r, fd);
}

static void test_wanted_stat_only(void **state)
{
	struct csvread *r;
	struct got g;
	int fd;

	assert_int_equal(read_fixture("small.csv", "shmem", &g, &r, &fd), 0);
	assert_int_equal(g.n, 9);
	assert_int_equal(g.sum, 10 + 0 + 10 + 30 + 5 + 35 + 20 + 10 + 30);
	assert_int_equal(csvread_rows(r), 30);
	assert_int_equal(csvread_wanted_rows(r), 9);
	/* Sources and stats of skipped rows are still known. */
	assert_int_equal(csvread_count(r, CSV_SOURCE), 2);
	assert_true(csvread_lookup(r, CSV_STAT, "workingset_refault_file") >=
		    0);
	done(r, fd);
}

static void test_wanted_stat_absent_is_not_seen(void **state)
{
	struct csvread *r;
	struct got g;
	int fd, id;
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/compare/small.csv", FIXTURES);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(csvread_new(path, fd, 0, (uint64_t)st.st_size, &r), 0);
	id = csvread_want(r, "anon");
	assert_true(id >= 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(csvread_run(r, collect, &g), 0);
	assert_int_equal(g.n, 0);
	assert_false(csvread_seen(r, CSV_STAT, (uint32_t)id));
	assert_true(csvread_seen(
		r, CSV_STAT, (uint32_t)csvread_lookup(r, CSV_STAT, "file")));
	done(r, fd);
}

static void test_crlf_is_accepted(void **state)
{
	struct csvread *r;
	struct got g, g2;
	int fd;

	assert_int_equal(read_fixture("small.csv", "file", &g2, &r, &fd), 0);
	done(r, fd);
	assert_int_equal(read_fixture("crlf.csv", "file", &g, &r, &fd), 0);
	assert_int_equal(g.n, g2.n);
	assert_int_equal(g.sum, g2.sum);
	assert_int_equal(csvread_count(r, CSV_UNIT), 1);
	assert_string_equal(csvread_name(r, CSV_UNIT, 0), "bytes");
	done(r, fd);
}

static void test_partial_last_line_is_skipped(void **state)
{
	struct csvread *r;
	struct got g;
	int fd;

	assert_int_equal(read_fixture("partial.csv", NULL, &g, &r, &fd), 0);
	assert_int_equal(g.n, 30);
	assert_int_equal(csvread_partial_line(r), 32);
	done(r, fd);
}

static void test_malformed_files(void **state)
{
	expect_error("bad_header.csv", "bad_header.csv:1: header is");
	expect_error("truncated.csv", "truncated.csv:4: 4 fields, expected 7");
	expect_error("extra_field.csv",
		     "extra_field.csv:4: more than 7 fields");
	expect_error("non_numeric.csv",
		     "non_numeric.csv:6: value '12abc' is not an integer");
	expect_error("huge.csv", "huge.csv:6: value '99999999999999999999' "
				 "is out of range");
	expect_error("garbage.csv", "garbage.csv:9: unexpected byte 0x00");
	expect_error("bad_node.csv", "bad_node.csv:3: invalid node 'node0'");
	expect_error("empty.csv", "empty file");
}

/* Writes a file of many ticks; returns the sum of the "file" values. */
static int64_t write_big(const char *path, int ticks, int64_t *ret_rows)
{
	FILE *f = fopen(path, "w");
	int64_t sum = 0, rows = 0;

	assert_non_null(f);
	fprintf(f, CSV_HEADER "\n");
	for (int t = 0; t < ticks; t++)
		for (int s = 0; s < 3; s++)
			for (int k = 0; k < 4; k++)
				for (int n = 0; n < 3; n++) {
					int64_t v =
						(int64_t)t * 1000003 % 99991 +
						n + k;

					fprintf(f,
						"%d,%d,src-%d,stat_%d,%s,%lld,bytes\n",
						1700000000 + t * 500, t * 500,
						s, k,
						n == 2 ? "total" :
							 (n ? "N1" : "N0"),
						(long long)v);
					if (k == 1)
						sum += v;
					rows++;
				}
	fclose(f);
	*ret_rows = rows;
	return sum;
}

static void test_blocks_and_split_ranges(void **state)
{
	char path[] = "/tmp/test_csvread_XXXXXX";
	int fd = mkstemp(path);
	int64_t rows, sum = write_big(path, 20000, &rows);
	uint64_t b[5];
	struct stat st;
	struct got g, total = { 0 };
	uint64_t nrows = 0;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > (3 << 20)); /* several blocks */
	assert_int_equal(csvread_split(fd, (uint64_t)st.st_size, 4, b), 4);
	for (int i = 0; i < 4; i++) {
		struct csvread *r;
		char c;

		assert_true(b[i] <= b[i + 1]);
		if (i > 0) {
			/* A range starts at a line, at a new tick. */
			assert_int_equal(pread(fd, &c, 1, (off_t)b[i] - 1), 1);
			assert_int_equal(c, '\n');
		}
		assert_int_equal(csvread_new(path, fd, b[i], b[i + 1], &r), 0);
		assert_true(csvread_want(r, "stat_1") >= 0);
		memset(&g, 0, sizeof(g));
		assert_int_equal(csvread_run(r, collect, &g), 0);
		total.n += g.n;
		total.sum += g.sum;
		nrows += csvread_rows(r);
		csvread_free(r);
	}
	assert_int_equal(nrows, rows);
	assert_int_equal(total.sum, sum);
	assert_int_equal(total.n, rows / 4);
	close(fd);
	unlink(path);
}

static void test_line_of(void **state)
{
	char path[] = "/tmp/test_csvread_XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a\nbb\nccc\n", 9), 9);
	assert_int_equal(csvread_line_of(fd, 0), 1);
	assert_int_equal(csvread_line_of(fd, 2), 2);
	assert_int_equal(csvread_line_of(fd, 5), 3);
	close(fd);
	unlink(path);
}

/* Every test again with the generic scan, when the CPU has AVX2. */
static int generic_scan(void **state)
{
	csvread_simd(0);
	return 0;
}

static int default_scan(void **state)
{
	csvread_simd(-1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_every_row),
		cmocka_unit_test(test_wanted_stat_only),
		cmocka_unit_test(test_wanted_stat_absent_is_not_seen),
		cmocka_unit_test(test_crlf_is_accepted),
		cmocka_unit_test(test_partial_last_line_is_skipped),
		cmocka_unit_test(test_malformed_files),
		cmocka_unit_test(test_blocks_and_split_ranges),
		cmocka_unit_test(test_line_of),
	};

	int failed;

	failed = cmocka_run_group_tests_name("default scan", tests,
					     default_scan, NULL);
	failed += cmocka_run_group_tests_name("generic scan", tests,
					      generic_scan, default_scan);
	return failed;
}
