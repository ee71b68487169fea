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

/* The id of a name seen so far, or -ENOENT. */
static int lookup(const struct csvread *r, enum csv_name_kind kind,
		  const char *name)
{
	for (uint32_t id = 0; id < csvread_count(r, kind); id++)
		if (!strcmp(csvread_name(r, kind, id), name))
			return (int)id;
	return -ENOENT;
}

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
	assert_int_equal(lookup(r, CSV_NODE, "total"), 2);
	assert_int_equal(lookup(r, CSV_NODE, "N7"), -ENOENT);
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
	/* Sources and stats of skipped rows are still known. */
	assert_int_equal(csvread_count(r, CSV_SOURCE), 2);
	assert_true(lookup(r, CSV_STAT, "workingset_refault_file") >= 0);
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
	assert_true(csvread_seen(r, CSV_STAT,
				 (uint32_t)lookup(r, CSV_STAT, "file")));
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

/* --- the line scanner's fast paths, with text written to a temp file --- */

#define MAX_VALUES 512

struct values {
	size_t n;
	int64_t v[MAX_VALUES];
	int64_t elapsed[MAX_VALUES];
};

static uint64_t pow10_i(int n)
{
	uint64_t p = 1;

	while (n-- > 0)
		p *= 10;
	return p;
}

/* Sums values into v[0] (wrapping is fine: both sides wrap alike). */
static int sum_values(const struct csv_row *row, void *userdata)
{
	struct values *vs = userdata;

	vs->v[0] = (int64_t)((uint64_t)vs->v[0] + (uint64_t)row->value);
	vs->n++;
	return 0;
}

static int collect_values(const struct csv_row *row, void *userdata)
{
	struct values *vs = userdata;

	if (vs->n < MAX_VALUES) {
		vs->elapsed[vs->n] = row->elapsed_ms;
		vs->v[vs->n] = row->value;
	}
	vs->n++;
	return 0;
}

/*
 * Reads text (after the header) with csvread, wanting want (NULL: every
 * row); returns csvread_run()'s result, the message in err, the reader in
 * *ret when ret is not NULL (the caller frees it).
 */
static int run_text(const char *text, const char *want, struct values *vs,
		    struct error *err, struct csvread **ret)
{
	char path[] = "/tmp/test_csvread_XXXXXX";
	int fd = mkstemp(path);
	size_t hl = strlen(CSV_HEADER "\n"), tl = strlen(text);
	struct csvread *r;
	int k;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, CSV_HEADER "\n", hl), (ssize_t)hl);
	assert_int_equal(write(fd, text, tl), (ssize_t)tl);
	assert_int_equal(csvread_new(path, fd, 0, hl + tl, &r), 0);
	if (want)
		assert_true(csvread_want(r, want) >= 0);
	memset(vs, 0, sizeof(*vs));
	k = csvread_run(r, collect_values, vs);
	err_set(err, "%s", k < 0 ? csvread_error(r) : "");
	if (ret)
		*ret = r;
	else
		csvread_free(r);
	close(fd);
	unlink(path);
	return k;
}

/* Reads one row whose value field is value; 0 and *ret, or the error. */
static int parse_value(const char *value, int64_t *ret, struct error *err)
{
	char text[512];
	struct values vs;
	int k;

	snprintf(text, sizeof(text), "1,2,host,file,N0,%s,bytes\n", value);
	k = run_text(text, NULL, &vs, err, NULL);
	if (k == 0) {
		assert_int_equal(vs.n, 1);
		*ret = vs.v[0];
	}
	return k;
}

static void expect_number(const char *text, int64_t want)
{
	struct error err = { 0 };
	int64_t v = 0;

	if (parse_value(text, &v, &err) < 0)
		fail_msg("'%s': %s", text, err.msg);
	if (v != want)
		fail_msg("'%s' read as %lld, expected %lld", text, (long long)v,
			 (long long)want);
}

static void expect_number_error(const char *text, const char *what)
{
	struct error err = { 0 };
	int64_t v;

	assert_int_equal(parse_value(text, &v, &err), -EBADMSG);
	if (!strstr(err.msg, what))
		fail_msg("'%s': error '%s' lacks '%s'", text, err.msg, what);
}

/* Numbers of every length up to 19 digits, 8 digits at a time inside. */
static void test_numbers_of_every_length(void **state)
{
	char text[64];

	for (int len = 1; len <= 19; len++) {
		int64_t v = 0;

		/* 1, 12, 123, ..., 1234567890123456789 */
		for (int i = 0; i < len; i++) {
			text[i] = (char)('0' + (i + 1) % 10);
			v = v * 10 + (i + 1) % 10;
		}
		text[len] = '\0';
		expect_number(text, v);
		text[0] = '8';
		expect_number(text, v + (8 - 1) * (int64_t)pow10_i(len - 1));
		memmove(text + 1, text, (size_t)len + 1);
		text[0] = '-';
		expect_number(text, -(v + (8 - 1) * (int64_t)pow10_i(len - 1)));
	}
	expect_number("0", 0);
	expect_number("-0", 0);
	expect_number("00000000", 0);
	expect_number("000000001", 1);
	expect_number("0000000000000000000000000012", 12);
	expect_number("-0000000000000000000000000012", -12);
	expect_number("99999999", 99999999);
	expect_number("100000000", 100000000);
	expect_number("9999999999999999", 9999999999999999);
	expect_number("10000000000000000", 10000000000000000);
	expect_number("9223372036854775807", INT64_MAX);
	expect_number("-9223372036854775808", INT64_MIN);
}

static void test_numbers_out_of_range(void **state)
{
	expect_number_error("9223372036854775808", "is out of range");
	expect_number_error("-9223372036854775809", "is out of range");
	expect_number_error("9999999999999999999", "is out of range");
	expect_number_error("18446744073709551615", "is out of range");
	expect_number_error("18446744073709551616",
			    "value '18446744073709551616' is out of range");
	expect_number_error("99999999999999999999", "is out of range");
	expect_number_error("000000000000000000099999999999999999999",
			    "is out of range");
}

/* A bad byte anywhere in a number, beside the digits in ASCII too. */
static void test_numbers_with_a_bad_byte(void **state)
{
	static const char bad_bytes[] = "/:x-+ .\r";
	char text[64];

	for (int len = 1; len <= 20; len++)
		for (int at = 0; at < len; at++)
			for (const char *b = bad_bytes; *b; b++) {
				memset(text, '7', (size_t)len);
				text[len] = '\0';
				text[at] = *b;
				if (*b == '-' && at == 0 && len > 1)
					continue; /* a sign */
				expect_number_error(text, "is not an integer");
			}
	expect_number_error("", "value '' is not an integer");
	expect_number_error("-", "value '-' is not an integer");
	expect_number_error("--1", "is not an integer");
	expect_number_error("1-", "is not an integer");
}

/*
 * Lines of every length from 40 to 260 bytes: in one window, in two, and
 * the long-line path; with LF and CRLF.
 */
static void test_lines_of_every_length(void **state)
{
	static char text[400 * 300];
	size_t o = 0;
	struct values vs;
	struct error err = { 0 };
	struct csvread *r;
	int n = 0;

	for (int len = 40; len <= 260; len++, n++) {
		/* "1,N,S,file,N0,N,bytes\n" with S filled to the length */
		int fixed = snprintf(NULL, 0, "1,%d,,file,N0,%d,bytes\n", n, n);
		int src = len - fixed - (n & 1);

		o += (size_t)snprintf(
			text + o, sizeof(text) - o,
			"1,%d,%.*s,file,N0,%d,bytes%s\n", n, src,
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss"
			"ssssssssssssssssssssssssssssssssssssssss",
			n, (n & 1) ? "\r" : "");
	}
	if (run_text(text, "file", &vs, &err, &r) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(vs.n, (size_t)n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(vs.v[i], i);
		assert_int_equal(vs.elapsed[i], i);
	}
	assert_int_equal(csvread_count(r, CSV_UNIT), 1);
	assert_int_equal(csvread_rows(r), (uint64_t)n);
	csvread_free(r);
}

/* Builds a line of len bytes (before '\n') with source padded. */
static void make_line(char *out, int len)
{
	int fixed = (int)strlen("1,2,,file,N0,3,bytes");

	snprintf(out, 400, "1,2,%.*s,file,N0,3,bytes", len - fixed,
		 "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
		 "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
		 "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"
		 "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS");
}

/*
 * A stray byte, a missing and an extra field in lines around the window
 * sizes (63, 64, 65, 127, 128, 129 bytes and a long one), after a good
 * line: each is reported on line 3 with its column.
 */
static void test_errors_at_window_edges(void **state)
{
	static const int lens[] = { 30,	 62,  63,  64,	65,  66,
				    126, 127, 128, 129, 130, 200 };
	char line[400], text[1000], want[200];
	struct error err = { 0 };
	struct values vs;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		int len = lens[i];

		/* A stray byte at the last column, then mid-line. */
		for (int col = len; col >= len / 2; col -= len - len / 2) {
			make_line(line, len);
			line[col - 1] = '\x01';
			snprintf(text, sizeof(text), "1,2,a,b,N0,3,bytes\n%s\n",
				 line);
			assert_int_equal(run_text(text, NULL, &vs, &err, NULL),
					 -EBADMSG);
			snprintf(want, sizeof(want),
				 ":3: unexpected byte 0x01 in column %d", col);
			if (!strstr(err.msg, want))
				fail_msg("len %d: '%s' lacks '%s'", len,
					 err.msg, want);
		}
		/* A field less: the node's comma becomes a letter. */
		make_line(line, len);
		*strstr(line, ",N0") = 'x';
		snprintf(text, sizeof(text), "1,2,a,b,N0,3,bytes\n%s\n", line);
		assert_int_equal(run_text(text, NULL, &vs, &err, NULL),
				 -EBADMSG);
		if (!strstr(err.msg, ":3: 6 fields, expected 7"))
			fail_msg("len %d: '%s'", len, err.msg);
		/* A field more, at the line's end. */
		make_line(line, len);
		line[len - 1] = ',';
		snprintf(text, sizeof(text), "1,2,a,b,N0,3,bytes\n%s\n", line);
		assert_int_equal(run_text(text, NULL, &vs, &err, NULL),
				 -EBADMSG);
		if (!strstr(err.msg, ":3: more than 7 fields"))
			fail_msg("len %d: '%s'", len, err.msg);
		/* Missing fields: only the first three. */
		make_line(line, len);
		*strstr(line, ",file") = '\0';
		snprintf(text, sizeof(text), "1,2,a,b,N0,3,bytes\n%s\n", line);
		assert_int_equal(run_text(text, NULL, &vs, &err, NULL),
				 -EBADMSG);
		if (!strstr(err.msg, ":3: 3 fields, expected 7"))
			fail_msg("len %d: '%s'", len, err.msg);
	}
}

/*
 * A line that repeats the last one's "source,stat" bytes skips the look
 * up; same length with the comma elsewhere is another pair.
 */
static void test_repeated_and_shifted_names(void **state)
{
	struct values vs;
	struct error err = { 0 };
	struct csvread *r;

	assert_int_equal(run_text("1,0,ab,c,N0,1,bytes\n"
				  "1,0,ab,c,N1,2,bytes\n"
				  "1,0,a,bc,N0,4,bytes\n"
				  "1,0,a,bc,N1,8,bytes\n"
				  "1,0,ab,c,total,16,bytes\n"
				  "1,0,a,b!,N0,32,bytes\n",
				  "c", &vs, &err, &r),
			 -EBADMSG);
	assert_non_null(strstr(err.msg, ":7: invalid stat 'b!'"));
	assert_int_equal(vs.n, 3);
	assert_int_equal(vs.v[0] + vs.v[1] + vs.v[2], 1 + 2 + 16);
	assert_int_equal(csvread_count(r, CSV_SOURCE), 2);
	assert_int_equal(lookup(r, CSV_SOURCE, "ab"), 0);
	assert_int_equal(lookup(r, CSV_SOURCE, "a"), 1);
	assert_int_equal(lookup(r, CSV_STAT, "bc"), 1);
	csvread_free(r);
}

/*
 * Lines of varied lengths over several blocks, so that block ends fall
 * at every offset within a line and within its numbers.
 */
static void test_block_ends_anywhere(void **state)
{
	char path[] = "/tmp/test_csvread_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	uint64_t sum = 0;
	int64_t rows = 0;
	struct values vs;
	struct csvread *r;
	struct stat st;

	assert_non_null(f);
	fprintf(f, CSV_HEADER "\n");
	for (int i = 0; ftell(f) < (3 << 20) + 12345; i++) {
		int64_t v = (int64_t)i * 7919 % 1000000007 *
			    (int64_t)pow10_i(i % 10);

		fprintf(f, "%lld,%d,src%.*s,file,N%d,%lld,bytes\n",
			1700000000000LL + i, i, i % 13, "xxxxxxxxxxxxxx", i % 3,
			(long long)v);
		sum += (uint64_t)v;
		rows++;
	}
	fflush(f);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(csvread_new(path, fd, 0, (uint64_t)st.st_size, &r), 0);
	assert_true(csvread_want(r, "file") >= 0);
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(csvread_run(r, sum_values, &vs), 0);
	assert_int_equal(vs.n, (size_t)rows);
	assert_int_equal((uint64_t)vs.v[0], sum);
	assert_int_equal(csvread_count(r, CSV_SOURCE), 13);
	csvread_free(r);
	fclose(f);
	unlink(path);
}

/*
 * More (source, stat) pairs than the reader keeps (4096), in one order
 * and then shuffled: every row of the wanted stat is still found.
 */
static void test_more_pairs_than_cached(void **state)
{
	char path[] = "/tmp/test_csvread_XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	uint64_t sum = 0, rows = 0;
	struct values vs;
	struct csvread *r;
	struct stat st;

	assert_non_null(f);
	fprintf(f, CSV_HEADER "\n");
	for (int t = 0; t < 3; t++)
		for (int i = 0; i < 90 * 60; i++) {
			int pi = t < 2 ? i : (int)((uint64_t)i * 4099 % 5400);
			int src = pi / 60, stat = pi % 60;
			int64_t v = t * 100000 + pi;

			if (stat == 7) {
				sum += (uint64_t)v;
				rows++;
			}
			fprintf(f, "%d,%d,src%d,%s%d,N0,%lld,bytes\n", t, t,
				src, stat == 7 ? "file" : "stat",
				stat == 7 ? 0 : stat, (long long)v);
		}
	fflush(f);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(csvread_new(path, fd, 0, (uint64_t)st.st_size, &r), 0);
	assert_true(csvread_want(r, "file0") >= 0);
	memset(&vs, 0, sizeof(vs));
	assert_int_equal(csvread_run(r, sum_values, &vs), 0);
	assert_int_equal(vs.n, rows);
	assert_int_equal((uint64_t)vs.v[0], sum);
	assert_int_equal(csvread_rows(r), 3 * 90 * 60);
	assert_int_equal(csvread_count(r, CSV_SOURCE), 90);
	assert_int_equal(csvread_count(r, CSV_STAT), 60);
	csvread_free(r);
	fclose(f);
	unlink(path);
}

/* Every test again with the generic scan, when the CPU has AVX2. */
/*
 * A file that is only the header, without its newline: no rows and no
 * partial line, or the header's error. In a line of 128 bytes or more a
 * stray byte is reported before its extra fields. A stat with a bad name
 * cannot be asked for.
 */
static void test_header_alone_and_long_line(void **state)
{
	static const char *const files[] = { CSV_HEADER, CSV_HEADER "\r",
					     "epoch_ms" };
	char path[] = "/tmp/test_csvread_XXXXXX", line[400], text[500];
	struct error err = { 0 };
	struct values vs;
	struct csvread *r;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t len = strlen(files[i]);

		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, files[i], len, 0), (ssize_t)len);
		assert_int_equal(csvread_new("h.csv", fd, 0, len, &r), 0);
		if (i < 2) {
			assert_int_equal(csvread_run(r, collect_values, &vs),
					 0);
		} else {
			assert_int_equal(csvread_run(r, collect_values, &vs),
					 -EBADMSG);
			assert_string_equal(
				csvread_error(r),
				"h.csv:1: header is 'epoch_ms', expected '" CSV_HEADER
				"'");
		}
		assert_int_equal(csvread_rows(r), 0);
		assert_int_equal(csvread_partial_line(r), 0);
		assert_int_equal(csvread_want(r, "b!"), -EINVAL);
		assert_int_equal(csvread_want(r, ""), -EINVAL);
		csvread_free(r);
	}
	close(fd);

	make_line(line, 200);
	snprintf(text, sizeof(text), "1,2,a,b,N0,3,bytes\n%s,x,y\x01\n", line);
	assert_int_equal(run_text(text, NULL, &vs, &err, NULL), -EBADMSG);
	assert_non_null(
		strstr(err.msg, ":3: unexpected byte 0x01 in column 205"));
}

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

/* And with the AVX2 scan, when the CPU has AVX-512 too. */
static int avx2_scan(void **state)
{
	csvread_simd(csvread_simd(-1) ? 1 : 0);
	return 0;
}

/* csvread_text(): rows as spans; fn's verdict with the file and line. */
static int text_row(const struct csv_span *f, void *ud, struct error *msg)
{
	char *got = ud;
	size_t n = strlen(got);

	if (f[0].len == 3 && !memcmp(f[0].p, "bad", 3)) {
		err_set(msg, "not %.*s", (int)f[1].len, f[1].p);
		return -EBADMSG;
	}
	if (f[0].len == 3 && !memcmp(f[0].p, "oom", 3))
		return -ENOMEM;
	snprintf(got + n, 256 - n, "[%.*s|%.*s]", (int)f[0].len, f[0].p,
		 (int)f[1].len, f[1].p);
	return 0;
}

static int text(const char *t, char *got, struct error *err)
{
	*got = err->msg[0] = '\0';
	return csvread_text("x.csv", t, strlen(t), "a,b", 2, false, text_row,
			    got, err);
}

static void test_text(void **state)
{
	char got[256];
	struct error err = { 0 };

	assert_int_equal(text("a,b\r\n1,2\r\n\n,\n3,4", got, &err), 0);
	assert_string_equal(got, "[1|2][|]"); /* "3,4" is being written */
	*got = '\0';
	assert_int_equal(csvread_text("x.csv", "a,b\n1,2\n3,4", 11, "a,b", 2,
				      true, text_row, got, &err),
			 0);
	assert_string_equal(got, "[1|2][3|4]"); /* a whole text */
	assert_int_equal(text("a,b", got, &err), 0);
	assert_string_equal(got, "");
	assert_int_equal(text("a,c\n", got, &err), -EBADMSG);
	assert_string_equal(err.msg,
			    "x.csv:1: header is 'a,c', expected 'a,b'");
	assert_int_equal(text("", got, &err), -EBADMSG);
	assert_string_equal(err.msg, "x.csv:1: header is '', expected 'a,b'");
	assert_int_equal(text("a,b\n1,2\n1\n", got, &err), -EBADMSG);
	assert_string_equal(err.msg, "x.csv:3: 1 fields, expected 2");
	assert_int_equal(text("a,b\n1,2,3\n", got, &err), -EBADMSG);
	assert_string_equal(err.msg, "x.csv:2: more than 2 fields");
	assert_int_equal(text("a,b\n\n1,\t\n", got, &err), -EBADMSG);
	assert_string_equal(err.msg,
			    "x.csv:3: unexpected byte 0x09 in column 3");
	assert_int_equal(text("a,b\nbad,x\n", got, &err), -EBADMSG);
	assert_string_equal(err.msg, "x.csv:2: not x");
	assert_int_equal(text("a,b\noom,x\n", got, &err), -ENOMEM);
	(void)state;
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
		cmocka_unit_test(test_numbers_of_every_length),
		cmocka_unit_test(test_numbers_out_of_range),
		cmocka_unit_test(test_numbers_with_a_bad_byte),
		cmocka_unit_test(test_lines_of_every_length),
		cmocka_unit_test(test_errors_at_window_edges),
		cmocka_unit_test(test_repeated_and_shifted_names),
		cmocka_unit_test(test_block_ends_anywhere),
		cmocka_unit_test(test_more_pairs_than_cached),
		cmocka_unit_test(test_header_alone_and_long_line),
		cmocka_unit_test(test_text),
	};

	int failed;

	failed = cmocka_run_group_tests_name("default scan", tests,
					     default_scan, NULL);
	failed += cmocka_run_group_tests_name("generic scan", tests,
					      generic_scan, default_scan);
	failed += cmocka_run_group_tests_name("avx2 scan", tests, avx2_scan,
					      default_scan);
	return failed;
}
