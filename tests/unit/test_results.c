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
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"
#include "spawn.h"
#include "util.h"

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test_results.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(const char *d)
{
	const char *argv[] = { "rm", "-rf", d, NULL };
	char *out = NULL;
	int code;

	spawn_capture(argv, true, 4096, &out, &code);
	free(out);
}

static void test_create_names_and_mode(void **state)
{
	char *base = tmpdir();
	char *sub = strdup_printf("%s/a/b", base);
	char *d1 = NULL, *d2 = NULL;
	struct stat st;
	time_t when = 1795630000; /* a fixed time: both get the same stamp */

	umask(077);
	assert_int_equal(results_create(sub, "demo", when, &d1), 0);
	assert_int_equal(results_create(sub, "demo", when, &d2), 0);
	umask(022);
	assert_true(str_has_suffix(d1, "-demo"));
	assert_true(str_has_suffix(d2, "-demo-2"));
	assert_int_equal(stat(d1, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(strlen(strrchr(d1, '/') + 1),
			 strlen("YYYYmmdd-HHMMSS-demo"));
	free(d1);
	assert_int_equal(results_create(sub, "../x", when, &d1), -EINVAL);
	free(d2);
	rmtree(base);
	free(sub);
	free(base);
	(void)state;
}

static void test_status_round_trip(void **state)
{
	char *d = tmpdir();
	enum results_status s;
	char *reason = NULL, *text = NULL;
	char *path = strdup_printf("%s/status", d);

	assert_int_equal(results_get_status(d, &s, &reason), -ENOENT);
	assert_int_equal(results_set_status(d, RESULTS_COMPLETE, NULL), 0);
	assert_int_equal(results_get_status(d, &s, &reason), 0);
	assert_int_equal(s, RESULTS_COMPLETE);
	assert_null(reason);
	assert_int_equal(results_set_status(d, RESULTS_INCOMPLETE,
					    "interrupted\nby SIGINT"),
			 0);
	assert_int_equal(read_full_file(path, 4096, &text, NULL), 0);
	assert_string_equal(text, "incomplete: interrupted by SIGINT\n");
	assert_int_equal(results_get_status(d, &s, &reason), 0);
	assert_int_equal(s, RESULTS_INCOMPLETE);
	assert_string_equal(reason, "interrupted by SIGINT");
	free(reason);
	free(text);
	assert_int_equal(write_string_file(path, "bogus\n"), 0);
	assert_int_equal(results_get_status(d, &s, NULL), -EBADMSG);
	free(path);
	rmtree(d);
	free(d);
	(void)state;
}

static void test_kv(void **state)
{
	struct kvlist l = { 0 }, back = { 0 };
	char *text;

	assert_int_equal(kv_set(&l, "qemu", "QEMU %s\n(Debian)", "7.2"), 0);
	assert_int_equal(kv_set(&l, "accel", "%s", "kvm"), 0);
	assert_int_equal(kv_set(&l, "accel", "%s", "tcg"), 0);
	assert_int_equal(l.n, 2);
	text = kv_format(&l);
	assert_string_equal(text, "qemu = QEMU 7.2 (Debian)\naccel = tcg\n");
	assert_int_equal(kv_parse("# c\n\n  a =  b c \nx=y=z\n", &back), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[0].key, "a");
	assert_string_equal(back.v[0].value, "b c");
	assert_string_equal(back.v[1].key, "x");
	assert_string_equal(back.v[1].value, "y=z");
	kv_free(&back);
	assert_int_equal(kv_parse("no equals sign\n", &back), -EBADMSG);
	kv_free(&back);
	kv_free(&l);
	free(text);
	(void)state;
}

static void test_dax_options(void **state)
{
	assert_true(results_options_have_dax("ro,relatime,dax=always"));
	assert_true(results_options_have_dax("rw,dax"));
	assert_false(results_options_have_dax("rw,relatime"));
	assert_false(results_options_have_dax("dax=always,dax=never"));
	assert_false(results_options_have_dax("daxx"));
	/* per file only: not what the set's files have */
	assert_false(results_options_have_dax("rw,relatime,dax=inode"));
	assert_false(results_options_have_dax(NULL));
	(void)state;
}

static void test_mount_lines(void **state)
{
	static const char console[] =
		"[    2.1] virtio_pmem virtio1: ...\n"
		"DAXLAB-MOUNT-OK /mnt/shared ext4 ro,relatime,dax=always\n"
		"[    2.5] random kernel line\r\n"
		"DAXLAB-MOUNT-FAILED /mnt/private: mount: invalid argument  \n"
		"DAXLAB-READY\n";
	struct mount_line m[4];

	assert_int_equal(results_parse_mount_lines(console, m, 4), 2);
	assert_true(m[0].ok);
	assert_string_equal(m[0].mount, "/mnt/shared");
	assert_string_equal(m[0].fstype, "ext4");
	assert_string_equal(m[0].options, "ro,relatime,dax=always");
	assert_false(m[1].ok);
	assert_string_equal(m[1].mount, "/mnt/private");
	assert_string_equal(m[1].options, "mount: invalid argument");
	assert_int_equal(results_parse_mount_lines(console, m, 1), 1);
	(void)state;
}

static void test_residency_round_trip(void **state)
{
	struct residency_row rows[2] = {
		{ "shared", "", "image", "total", 4096, 8192 },
		{ "private", "0", "files", "N1", 4096, 0 },
	};
	struct residency_row *back = NULL;
	size_t n = 0;
	struct error err = { 0 };
	char *text = residency_format(rows, 2);

	assert_string_equal(text,
			    RESIDENCY_HEADER "\n"
					     "shared,,image,total,4096,8192\n"
					     "private,0,files,N1,4096,\n");
	assert_int_equal(residency_parse("r.csv", text, &back, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(back[1].vm, "0");
	assert_string_equal(back[1].node, "N1");
	assert_int_equal(back[0].size, 8192);
	free(back);
	free(text);
	assert_int_equal(residency_parse("r.csv",
					 RESIDENCY_HEADER
					 "\n\nelse,,files,total,1,1\n",
					 &back, &n, &err),
			 -EBADMSG);
	assert_string_equal(err.msg, "r.csv:3: malformed row");
	/* a via or node that is none of ours (the report prints them) */
	static const char *const bad[] = {
		"shared,,<b>,total,1,1",   "shared,,files,<b>,1,",
		"shared,,files,N,1,",	   "shared,,files,N1x,1,",
		"shared,,files,Total,1,1", "shared,,images,total,1,1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = strdup_printf(RESIDENCY_HEADER "\n%s\n", bad[i]);

		assert_int_equal(residency_parse("r.csv", t, &back, &n, &err),
				 -EBADMSG);
		assert_string_equal(err.msg, "r.csv:2: malformed row");
		free(t);
	}
	assert_int_equal(residency_parse("r.csv",
					 RESIDENCY_HEADER
					 "\nshared,,image,unknown,1,\n",
					 &back, &n, &err),
			 0);
	free(back);
	assert_int_equal(residency_parse("r.csv", "set,vm\n", &back, &n, &err),
			 -EBADMSG);
	assert_string_equal(
		err.msg,
		"r.csv:1: header is 'set,vm', expected '" RESIDENCY_HEADER "'");
	/* the last line without its newline is read: the file is whole */
	assert_int_equal(residency_parse("r.csv",
					 RESIDENCY_HEADER
					 "\nshared,,files,total,1,2",
					 &back, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(back[0].size, 2);
	free(back);
	(void)state;
}

static void test_residency_measure(void **state)
{
	char *d = tmpdir();
	char *f = strdup_printf("%s/f", d);
	const char *paths[] = { f, NULL };
	struct residency_row *rows = NULL;
	size_t n = 0;
	char buf[65536];

	memset(buf, 'x', sizeof(buf));
	{
		FILE *fp = fopen(f, "w");

		assert_non_null(fp);
		assert_int_equal(fwrite(buf, 1, sizeof(buf), fp), sizeof(buf));
		fclose(fp);
	}
	/* just written: resident */
	assert_int_equal(
		residency_measure("private", "3", "files", paths, &rows, &n),
		0);
	assert_true(n >= 1);
	assert_string_equal(rows[0].node, "total");
	assert_string_equal(rows[0].vm, "3");
	assert_int_equal(rows[0].size, sizeof(buf));
	assert_int_equal(rows[0].resident, sizeof(buf));
	free(rows);
	paths[0] = "/nonexistent/file";
	rows = NULL;
	n = 0;
	assert_int_equal(
		residency_measure("shared", NULL, "files", paths, &rows, &n),
		-ENOENT);
	free(rows);
	rmtree(d);
	free(f);
	free(d);
	(void)state;
}

static void test_tool_version(void **state)
{
	const char *ok[] = { "sh", "-c", "echo; echo '  tool 1.2  '; echo x",
			     NULL };
	const char *missing[] = { "/nonexistent/tool", "--version", NULL };
	char *v = results_tool_version(ok);

	assert_string_equal(v, "tool 1.2");
	free(v);
	v = results_tool_version(missing);
	assert_true(str_has_prefix(v, "unknown ("));
	free(v);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_names_and_mode),
		cmocka_unit_test(test_status_round_trip),
		cmocka_unit_test(test_kv),
		cmocka_unit_test(test_dax_options),
		cmocka_unit_test(test_mount_lines),
		cmocka_unit_test(test_residency_round_trip),
		cmocka_unit_test(test_residency_measure),
		cmocka_unit_test(test_tool_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
