// SPDX-License-Identifier: MIT
/*
 * lib/guestres.c: the helper's lines summed into rows per set, part, node
 * and cgroup; and the whole round trip (sshchan's command mode, every word
 * quoted) against a stand-in ssh on PATH that runs a local sh, with a
 * stand-in helper that prints lines captured from a tiny guest.
 */
#include "guestres.h"
#include "util.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * Captured in a tiny guest of the demo (guest build of this tree, kernel
 * 6.1, TCG): 4 MiB read from a virtio-fs file, 1 MiB read through DAX
 * from virtio-pmem, a path that is not there.
 */
static const char captured[] = "daxlab-resident 1\n"
			       "F 0 4194304\n"
			       "R 0 N0 4194304 /\n"
			       "F 1 4194304\n"
			       "F 2 4194304\n"
			       "E 3 2\n";

/* The same helper with no memory blocks and no cgroups (captured too). */
static const char captured_missing[] = "daxlab-resident 1\n"
				       "F 0 4194304\n"
				       "R 0 ? 4194304 ?\n"
				       "F 1 4194304\n"
				       "M node (no memory blocks in sysfs)\n";

struct rows {
	char text[2048];
	size_t n;
};

static void on_row(void *ud, const char *set, const char *part,
		   const char *node, const char *cgroup, uint64_t bytes)
{
	struct rows *r = ud;
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s,%s,%s,%s,%llu\n",
		 set, part, node, cgroup, (unsigned long long)bytes);
	r->n++;
}

static struct gres *demo_guest(const char *helper)
{
	struct gres *g = gres_new("vm0", "root@vm0", NULL, helper);

	assert_non_null(g);
	assert_int_equal(gres_add_file(g, "/mnt/private/private-hot-0000.dat",
				       "private-0", "hot"),
			 0);
	assert_int_equal(gres_add_file(g, "/mnt/private/private-cold-0000.dat",
				       "private-0", "cold"),
			 0);
	assert_int_equal(gres_add_file(g, "/mnt/shared/shared-hot-0000.dat",
				       "shared", "hot"),
			 0);
	assert_int_equal(gres_add_file(g, "/mnt/shared/shared-cold-0000.dat",
				       "shared", "cold"),
			 0);
	return g;
}

static void test_rows_of_captured_lines(void **state)
{
	struct gres *g = demo_guest("/usr/libexec/daxlab/daxlab-resident");
	struct rows r = { 0 };
	char missing[128];
	struct error err = { 0 };

	assert_int_equal(gres_rows_text(g, captured, strlen(captured), 0,
					on_row, &r, missing, sizeof(missing),
					&err),
			 0);
	/* the DAX file read is not in the guest's page cache: one 0 row */
	assert_string_equal(r.text, "private-0,hot,N0,/,4194304\n"
				    "private-0,cold,-,-,0\n"
				    "shared,hot,-,-,0\n");
	/* shared-cold could not be read: no row, and it is said */
	assert_string_equal(err.msg, "/mnt/shared/shared-cold-0000.dat: "
				     "No such file or directory");
	assert_string_equal(missing, "");

	memset(&r, 0, sizeof(r));
	assert_int_equal(gres_rows_text(g, captured_missing,
					strlen(captured_missing), 0, on_row, &r,
					missing, sizeof(missing), &err),
			 0);
	assert_string_equal(r.text, "private-0,hot,?,?,4194304\n"
				    "private-0,cold,-,-,0\n");
	assert_string_equal(missing, "node (no memory blocks in sysfs)");
	gres_free(g);
	(void)state;
}

static void test_rows_sum_files_of_a_part(void **state)
{
	struct gres *g = gres_new("vm1", "vm1", NULL, "h");
	struct rows r = { 0 };
	char missing[128];
	struct error err = { 0 };
	static const char out[] = "daxlab-resident 1\n"
				  "F 0 8192\nR 0 N0 4096 /\nR 0 N1 4096 /a\n"
				  "F 1 8192\nR 1 N0 8192 /\n";

	assert_int_equal(gres_add_file(g, "/x/a", "private-1", "hot"), 0);
	assert_int_equal(gres_add_file(g, "/x/b", "private-1", "hot"), 0);
	assert_int_equal(gres_rows_text(g, out, strlen(out), 0, on_row, &r,
					missing, sizeof(missing), &err),
			 0);
	assert_string_equal(r.text, "private-1,hot,N0,/,12288\n"
				    "private-1,hot,N1,/a,4096\n");
	assert_string_equal(err.msg, "");
	gres_free(g);
	(void)state;
}

static void test_helper_failed(void **state)
{
	struct gres *g = demo_guest("/usr/libexec/daxlab/daxlab-resident");
	struct rows r = { 0 };
	char missing[128];
	struct error err = { 0 };
	static const char nf[] =
		"sh: /usr/libexec/daxlab/daxlab-resident: not found\n";

	assert_int_equal(gres_rows_text(g, nf, strlen(nf), 127, on_row, &r,
					missing, sizeof(missing), &err),
			 -EPROTO);
	assert_int_equal(r.n, 0);
	assert_non_null(strstr(err.msg, "exited with 127: sh: "));
	assert_null(strchr(err.msg, '\n'));
	/* another version of the helper */
	assert_int_equal(gres_rows_text(g, "daxlab-resident 9\n", 18, 0, on_row,
					&r, missing, sizeof(missing), &err),
			 -EPROTO);
	assert_int_equal(r.n, 0);
	assert_int_equal(gres_add_file(g, "/x", "a,b", "hot"), -EINVAL);
	gres_free(g);
	(void)state;
}

static void write_exec(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

/*
 * The round trip: a stand-in ssh (its last word is the remote command,
 * "sh") and a helper whose path has a space and a quote, which must
 * arrive as one word; it prints its arguments' count and the captured
 * lines, or fails.
 */
static void test_round_trip(void **state)
{
	char dir[] = "/tmp/test_guestres.XXXXXX";
	_cleanup_free_ char *ssh = NULL, *helper = NULL, *path = NULL,
			    *hdir = NULL, *log = NULL;
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	struct gres *g[2];
	struct rows r = { 0 };
	char missing[128];
	struct error err = { 0 };
	int64_t t;

	assert_non_null(mkdtemp(dir));
	ssh = strdup_printf("%s/ssh", dir);
	hdir = strdup_printf("%s/it's here", dir);
	helper = strdup_printf("%s/daxlab-resident", hdir);
	log = strdup_printf("%s/args", dir);
	assert_int_equal(mkdir(hdir, 0755), 0);
	write_exec(ssh, "#!/bin/sh\n"
			"for a; do last=$a; done\n"
			"exec $last\n");
	{
		_cleanup_free_ char *h = strdup_printf(
			"#!/bin/sh\n"
			"printf '%%s\\n' \"$#\" \"$@\" >'%s'\n"
			"printf 'daxlab-resident 1\\nF 0 4194304\\n"
			"R 0 N0 4194304 /\\nF 1 4194304\\nF 2 4194304\\n"
			"F 3 0\\n'\n",
			log);

		write_exec(helper, h);
	}
	path = strdup_printf("%s:%s", dir, old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);

	g[0] = demo_guest(helper);
	g[1] = gres_new("vm1", "vm1", NULL, "/nonexistent/daxlab-resident");
	assert_int_equal(gres_add_file(g[1], "/mnt/shared/x", "shared", "hot"),
			 0);
	/* the first ask connects; nothing is asked before the hello */
	assert_int_equal(gres_ask(g, 2, 0, now_monotonic_ns()), 0);
	gres_idle(g, 2, now_monotonic_ns() + 10 * (int64_t)1000000000, NULL);
	assert_int_equal(gres_ask(g, 2, 1, now_monotonic_ns()), 2);
	t = now_monotonic_ns() + 10 * (int64_t)1000000000;
	assert_int_equal(gres_wait(g, 2, 1, t), 2);
	assert_true(gres_answered(g[0], 1));
	assert_false(gres_answered(g[0], 2));

	assert_int_equal(
		gres_rows(g[0], on_row, &r, missing, sizeof(missing), &err), 0);
	assert_string_equal(r.text, "private-0,hot,N0,/,4194304\n"
				    "private-0,cold,-,-,0\n"
				    "shared,hot,-,-,0\n"
				    "shared,cold,-,-,0\n");
	{
		/* "--" and every path, each one word */
		_cleanup_free_ char *args = NULL;

		assert_int_equal(read_full_file(log, 4096, &args, NULL), 0);
		assert_string_equal(args, "5\n--\n"
					  "/mnt/private/private-hot-0000.dat\n"
					  "/mnt/private/private-cold-0000.dat\n"
					  "/mnt/shared/shared-hot-0000.dat\n"
					  "/mnt/shared/shared-cold-0000.dat\n");
	}
	/* a guest without the helper: an error that says so, no rows */
	memset(&r, 0, sizeof(r));
	assert_int_equal(
		gres_rows(g[1], on_row, &r, missing, sizeof(missing), &err),
		-EPROTO);
	assert_int_equal(r.n, 0);
	assert_non_null(strstr(err.msg, "/nonexistent/daxlab-resident exited "
					"with 127"));

	/* the next sample asks again on the same connection */
	assert_int_equal(gres_ask(g, 2, 2, now_monotonic_ns()), 2);
	t = now_monotonic_ns() + 10 * (int64_t)1000000000;
	assert_int_equal(gres_wait(g, 2, 2, t), 2);
	assert_true(gres_answered(g[0], 2));
	gres_free(g[0]);
	gres_free(g[1]);
	if (old)
		setenv("PATH", old, 1);
	free(old);
	unlink(ssh);
	unlink(helper);
	unlink(log);
	rmdir(hdir);
	rmdir(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_of_captured_lines),
		cmocka_unit_test(test_rows_sum_files_of_a_part),
		cmocka_unit_test(test_helper_failed),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
