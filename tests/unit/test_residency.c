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

#include "residency.h"
#include "util.h"

#define HDR RS_HEADER "\n"

static int parse(struct rs_series *s, const char *text, struct error *err)
{
	return rs_parse(s, "d/residency.csv", text, strlen(text), err);
}

static void test_rows_and_names(void **state)
{
	struct rs_series s;
	struct error err = { 0 };
	const char *text = HDR
		"0,host,shared,image,-,-,0\n"
		"1000,host,shared,image,N0,/dx-vm0,4096\n"
		"1000,host,private-0,hot,N1,/dx-virtiofsd,8192\r\n"
		"\n"
		"1000,vm0,private-0,hot,N0,/,8192\n"
		"2000,host,shared,image,N0,/dx-vm0,12288\n"
		"2000,host,shared,hot,N0,/dx-vm"; /* being written */

	rs_init(&s);
	assert_int_equal(parse(&s, text, &err), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.n_samples, 3);
	assert_int_equal(s.rows[s.n - 1].t_ms, 2000);
	assert_string_equal(rs_name(&s, s.rows[2].f[RS_CGROUP]),
			    "/dx-virtiofsd");
	assert_string_equal(rs_name(&s, s.rows[3].f[RS_WHERE]), "vm0");
	assert_int_equal(s.rows[3].bytes, 8192);
	/* one id per name, in every field */
	assert_int_equal(s.rows[1].f[RS_CGROUP], s.rows[4].f[RS_CGROUP]);
	assert_int_equal(rs_lookup(&s, "N0"), s.rows[1].f[RS_NODE]);
	assert_int_equal(rs_lookup(&s, "N7"), -1);
	rs_free(&s);
	(void)state;
}

static void test_many_names(void **state)
{
	struct rs_series s;
	struct error err = { 0 };
	char name[32];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs(HDR, f);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "/cg%d", i);
		rs_write_row(f, i, "host", "shared", "hot", "N0", name,
			     (uint64_t)i);
	}
	assert_int_equal(fclose(f), 0);
	rs_init(&s);
	assert_int_equal(parse(&s, text, &err), 0);
	free(text);
	for (int i = 0; i < 3000; i += 37) {
		snprintf(name, sizeof(name), "/cg%d", i);
		assert_true(rs_lookup(&s, name) >= 0);
		assert_string_equal(
			rs_name(&s, (uint32_t)rs_lookup(&s, name)), name);
		assert_int_equal(s.rows[i].f[RS_CGROUP], rs_lookup(&s, name));
	}
	assert_int_equal(s.n_names, 3000 + 4);
	rs_free(&s);
	(void)state;
}

/* The error names the file and the line: "d/residency.csv:" msg... */
static void expect_bad(const char *text, const char *msg)
{
	struct rs_series s;
	struct error err = { 0 };
	char want[200];

	rs_init(&s);
	assert_int_equal(parse(&s, text, &err), -EBADMSG);
	snprintf(want, sizeof(want), "d/residency.csv:%s", msg);
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("'%s' does not start '%s'", err.msg, want);
	assert_int_equal(s.n, 0);
	rs_free(&s);
}

static void test_malformed(void **state)
{
	expect_bad(
		"set,vm,via,node,resident,size\n",
		"1: header is 'set,vm,via,node,resident,size', expected '" RS_HEADER
		"'");
	expect_bad(RS_HEADER ",x\n", "1: header is");
	expect_bad("", "1: header is ''");
	expect_bad(HDR "0,host,shared,hot,N0,/,1,2\n", "2: more than 7 fields");
	expect_bad(HDR "0,host,shared,hot,N0,1\n", "2: 6 fields, expected 7");
	expect_bad(HDR "x,host,shared,hot,N0,/,1\n", "2: elapsed_ms");
	expect_bad(HDR "-1,host,shared,hot,N0,/,1\n", "2: elapsed_ms");
	expect_bad(HDR "0,host,shared,hot,N0,/,99999999999999999999\n",
		   "2: bytes");
	expect_bad(HDR "5,host,shared,hot,N0,/,1\n4,host,shared,hot,N0,/,1\n",
		   "3: elapsed_ms goes back");
	expect_bad(HDR "0,host,,hot,N0,/,1\n", "2: field 3");
	expect_bad(HDR "0,ho\x01st,shared,hot,N0,/,1\n",
		   "2: unexpected byte 0x01 in column 5");
	expect_bad(HDR "0,host,shared,hot,N0,/caf\xc3\xa9,1\n",
		   "2: unexpected byte 0xc3 in column 26");
	expect_bad(HDR "0,host,shared,hot,N0,/ ,1\n", "2: field 6");
	expect_bad(HDR "0,host,\"shared\",hot,N0,/,1\n", "2: field 3");
	(void)state;
}

static void test_cgroup_within(void **state)
{
	assert_true(rs_cgroup_within("/a", "/a"));
	assert_true(rs_cgroup_within("/a/b", "/a"));
	assert_true(rs_cgroup_within("/a/b", "/a/"));
	assert_true(rs_cgroup_within("/a/b", "/"));
	assert_true(rs_cgroup_within("/", "/"));
	assert_false(rs_cgroup_within("/ab", "/a"));
	assert_false(rs_cgroup_within("/", "/a"));
	assert_false(rs_cgroup_within("-", "/"));
	assert_false(rs_cgroup_within("?", "/"));
	assert_true(rs_name_ok("/system.slice/fio.service"));
	assert_false(rs_name_ok(" /a"));
	assert_false(rs_name_ok("a,b"));
	(void)state;
}

struct got {
	char text[1024];
	int failed[8];
};

static int on_res(void *ud, size_t index, const char *node,
		  const char *cgroup, uint64_t bytes)
{
	struct got *g = ud;
	size_t n = strlen(g->text);

	snprintf(g->text + n, sizeof(g->text) - n, "%zu %s %llu %s;", index,
		 node, (unsigned long long)bytes, cgroup);
	return 0;
}

static void on_fail(void *ud, size_t index, int err)
{
	((struct got *)ud)->failed[index] = err;
}

static int helper(const char *text, size_t n_files, struct got *g,
		  char *missing, struct error *err)
{
	struct rs_helper_cb cb = { .ud = g, .resident = on_res,
				   .failed = on_fail };

	memset(g, 0, sizeof(*g));
	return rs_helper_parse(text, strlen(text), n_files, &cb, missing, 128,
			       err);
}

static void test_helper_lines(void **state)
{
	struct got g;
	char missing[128];
	struct error err = { 0 };

	assert_int_equal(helper("daxlab-resident 1\n"
				"F 0 16777216\n"
				"R 0 N0 8192 /\n"
				"R 0 ? 4096 /system.slice/fio.service\n"
				"E 1 2\n"
				"F 2 0\n"
				"R 2 N1 4096 /odd, name\x01\n"
				"M cgroup (no /proc/kpagecgroup)\n",
				3, &g, missing, &err),
			 0);
	assert_string_equal(g.text, "0 N0 8192 /;0 ? 4096 "
				    "/system.slice/fio.service;"
				    "2 N1 4096 /odd? name?;");
	assert_int_equal(g.failed[1], ENOENT);
	assert_string_equal(missing, "cgroup (no /proc/kpagecgroup)");
	/* nothing but the version: all could be measured, nothing resident */
	assert_int_equal(helper("daxlab-resident 1\n", 0, &g, missing, &err),
			 0);
	assert_string_equal(missing, "");
	(void)state;
}

static void on_file(void *ud, size_t index)
{
	struct got *g = ud;
	size_t n = strlen(g->text);

	snprintf(g->text + n, sizeof(g->text) - n, "F%zu;", index);
}

/* Lines captured in a tiny guest of the demo (kernel 6.1, TCG). */
static void test_helper_captured(void **state)
{
	struct got g;
	struct rs_helper_cb cb = {
		.ud = &g, .resident = on_res, .failed = on_fail, .file = on_file
	};
	char missing[128];
	struct error err = { 0 };
	static const char guest[] = "daxlab-resident 1\n"
				    "F 0 4194304\n"
				    "R 0 N0 4194304 /\n"
				    "F 1 4194304\n"
				    "F 2 4194304\n"
				    "E 3 2\n";
	static const char nocg[] = "daxlab-resident 1\n"
				   "F 0 4194304\n"
				   "R 0 ? 4194304 ?\n"
				   "F 1 4194304\n"
				   "M node (no memory blocks in sysfs)\n";

	memset(&g, 0, sizeof(g));
	assert_int_equal(rs_helper_parse(guest, strlen(guest), 4, &cb, missing,
					 sizeof(missing), &err),
			 0);
	assert_string_equal(g.text, "F0;0 N0 4194304 /;F1;F2;");
	assert_int_equal(g.failed[3], ENOENT);
	assert_string_equal(missing, "");
	/* one file fewer than the lines name: an error, not a guess */
	assert_int_equal(rs_helper_parse(guest, strlen(guest), 3, &cb, missing,
					 sizeof(missing), &err),
			 -EPROTO);
	assert_non_null(strstr(err.msg, "line 6: a bad E line"));

	memset(&g, 0, sizeof(g));
	assert_int_equal(rs_helper_parse(nocg, strlen(nocg), 2, &cb, missing,
					 sizeof(missing), &err),
			 0);
	assert_string_equal(g.text, "F0;0 ? 4194304 ?;F1;");
	assert_string_equal(missing, "node (no memory blocks in sysfs)");
	(void)state;
}

static void expect_helper_bad(const char *text, size_t n, const char *msg)
{
	struct got g;
	char missing[128];
	struct error err = { 0 };

	assert_int_equal(helper(text, n, &g, missing, &err), -EPROTO);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' does not say '%s'", err.msg, msg);
}

static void test_helper_malformed(void **state)
{
	expect_helper_bad("", 1, "line 1: no output");
	expect_helper_bad("daxlab-resident 2\n", 1, "line 1: not daxlab");
	expect_helper_bad("sh: daxlab-resident: not found\n", 1, "line 1");
	expect_helper_bad("daxlab-resident 1\nR 1 N0 4096 /\n", 1,
			  "line 2: a bad R line");
	expect_helper_bad("daxlab-resident 1\nR 0 N0 x /\n", 1,
			  "line 2: a bad R line");
	expect_helper_bad("daxlab-resident 1\nR 0 N0 4096\n", 1,
			  "line 2: a bad R line");
	expect_helper_bad("daxlab-resident 1\nR 0 N,0 4096 /\n", 1,
			  "line 2: a bad node");
	expect_helper_bad("daxlab-resident 1\nF 0\n", 1, "line 2: a bad F");
	expect_helper_bad("daxlab-resident 1\nE 0 99999\n", 1,
			  "line 2: a bad E");
	expect_helper_bad("daxlab-resident 1\nX 0\n", 1, "line 2: not a line");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_names),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cgroup_within),
		cmocka_unit_test(test_helper_lines),
		cmocka_unit_test(test_helper_captured),
		cmocka_unit_test(test_helper_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
