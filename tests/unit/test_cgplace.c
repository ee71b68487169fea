// SPDX-License-Identifier: MIT
/*
 * lib/cgplace.c on fake cgroup trees, systemd never asked (no_bus): which
 * place (transient scope, given parent, root), whether a parent counts
 * as delegated, what a start would be refused for, and what a dry run of
 * the leaf move and of the release would do.
 */
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
#include <sys/xattr.h>
#include <unistd.h>

#include "cgplace.h"
#include "spawn.h"
#include "util.h"

struct trace {
	char buf[8192];
	size_t n;
};

static void trace_cb(void *ud, const char *op, const char *path,
		     const char *value)
{
	struct trace *t = ud;
	int w = snprintf(t->buf + t->n, sizeof(t->buf) - t->n, "%s %s%s%s\n",
			 op, path, value ? " " : "", value ? value : "");

	if (w > 0)
		t->n += (size_t)w;
}

static void note_cb(void *ud, enum cgplace_note kind, const char *msg)
{
	struct trace *t = ud;
	int w = snprintf(t->buf + t->n, sizeof(t->buf) - t->n, "note%d %s\n",
			 (int)kind, msg);

	if (w > 0)
		t->n += (size_t)w;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/daxlab-cgplace.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void put(const char *dir, const char *rel, const char *content)
{
	_cleanup_free_ char *p = strdup_printf("%s/%s", dir, rel);
	_cleanup_close_ int fd = -1;
	char *slash;

	slash = strrchr(p, '/');
	*slash = 0;
	assert_int_equal(mkdir_p(p, 0755) == 0 || errno == EEXIST, 1);
	*slash = '/';
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
}

static void rm_rf(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	_cleanup_free_ char *out = NULL;
	int ex;

	assert_int_equal(spawn_capture(argv, true, 4096, &out, &ex), 0);
	assert_int_equal(ex, 0);
}

/* A v2 host under systemd: system.slice/x.scope delegated, y.scope not. */
static char *systemd_tree(void)
{
	char *d = tmpdir();
	_cleanup_free_ char *x = strdup_printf("%s/system.slice/x.scope", d);
	static const char *const cgs[] = { "", "system.slice/",
					   "system.slice/x.scope/",
					   "system.slice/y.scope/" };

	for (size_t i = 0; i < ARRAY_SIZE(cgs); i++) {
		_cleanup_free_ char *c =
			strdup_printf("%scgroup.controllers", cgs[i]);
		_cleanup_free_ char *s =
			strdup_printf("%scgroup.subtree_control", cgs[i]);
		_cleanup_free_ char *p =
			strdup_printf("%scgroup.procs", cgs[i]);

		put(d, c, "cpuset cpu io memory pids\n");
		put(d, s, i < 2 ? "cpuset cpu memory pids\n" : "");
		put(d, p, i == 0 ? "1\n" : "");
	}
	assert_int_equal(setxattr(x, "user.delegate", "1", 1, 0), 0);
	return d;
}

struct fixture {
	char *d;
	struct cg_ctx cg;
	struct cgplace p;
	struct trace t;
};

static void place(struct fixture *f, bool systemd, const char *parent)
{
	memset(&f->p, 0, sizeof(f->p));
	f->p.no_bus = true;
	f->p.note = note_cb;
	f->p.ud = &f->t;
	assert_int_equal(cg_ctx_init(&f->cg, f->d, "v2", ""), 0);
	f->cg.trace = trace_cb;
	f->cg.trace_ud = &f->t;
	assert_int_equal(
		cgplace_init(&f->p, &f->cg, systemd, parent, "/run/daxlab"), 0);
}

static void unplace(struct fixture *f)
{
	cgplace_done(&f->p);
	cg_ctx_done(&f->cg);
	f->t.n = 0;
	f->t.buf[0] = 0;
}

static void test_decide(void **state)
{
	(void)state;
	assert_int_equal(cgplace_decide(CG_V2, true, ""), CGPLACE_SCOPE);
	assert_int_equal(cgplace_decide(CG_V2, true, NULL), CGPLACE_SCOPE);
	assert_int_equal(cgplace_decide(CG_V2, true, "a"), CGPLACE_PARENT);
	assert_int_equal(cgplace_decide(CG_V2, false, ""), CGPLACE_ROOT);
	assert_int_equal(cgplace_decide(CG_V2, false, "a"), CGPLACE_PARENT);
	/* systemd on a v1 (hybrid) host: as daxlab always did */
	assert_int_equal(cgplace_decide(CG_V1, true, ""), CGPLACE_ROOT);
	assert_int_equal(cgplace_decide(CG_V1, true, "a"), CGPLACE_PARENT);
}

static void test_scope(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	_cleanup_free_ char *desc = NULL;

	(void)state;
	place(&f, true, "");
	assert_int_equal(f.p.mode, CGPLACE_SCOPE);
	assert_string_equal(f.p.unit, "daxlab-run-daxlab.scope");
	assert_string_equal(f.cg.parent,
			    "system.slice/daxlab-run-daxlab.scope");
	assert_string_equal(f.cg.delegated, f.cg.parent);
	assert_null(f.p.refused);
	desc = cgplace_describe(&f.p);
	assert_string_equal(
		desc, "transient scope daxlab-run-daxlab.scope (Delegate=yes)");
	unplace(&f);
	/* a kernel without cpuset: no scope can have it */
	put(f.d, "cgroup.controllers", "cpu io memory pids\n");
	place(&f, true, "");
	assert_non_null(f.p.refused);
	assert_non_null(strstr(f.p.refused, "cpuset is not in "));
	assert_non_null(strstr(f.p.refused, "daxlab-run-daxlab.scope"));
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_root_without_systemd(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	struct error err = { 0 };

	(void)state;
	place(&f, false, "");
	assert_int_equal(f.p.mode, CGPLACE_ROOT);
	assert_string_equal(f.cg.parent, "");
	assert_null(f.cg.delegated);
	assert_null(f.p.refused);
	/* nothing to prepare or release */
	assert_int_equal(cgplace_prepare(&f.p, &f.cg, "x", &err), 0);
	assert_int_equal(cgplace_release(&f.p, &f.cg, &err), 0);
	assert_int_equal(f.t.n, 0);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_parent_delegated(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	_cleanup_free_ char *desc = NULL;

	(void)state;
	/* the delegated scope itself, and a cgroup below it not made yet */
	place(&f, true, "system.slice/x.scope");
	assert_int_equal(f.p.mode, CGPLACE_PARENT);
	assert_null(f.p.refused);
	assert_string_equal(f.cg.delegated, "system.slice/x.scope");
	assert_false(f.p.parent_busy);
	desc = cgplace_describe(&f.p);
	assert_non_null(strstr(
		desc,
		"cgroup_parent system.slice/x.scope (delegated: systemd's delegate xattr on "));
	unplace(&f);
	place(&f, true, "system.slice/x.scope/lab");
	assert_null(f.p.refused);
	assert_string_equal(f.cg.parent, "system.slice/x.scope/lab");
	assert_string_equal(f.cg.delegated, "system.slice/x.scope");
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_parent_not_delegated(void **state)
{
	struct fixture f = { .d = systemd_tree() };

	(void)state;
	place(&f, true, "system.slice/y.scope");
	assert_non_null(f.p.refused);
	assert_non_null(strstr(f.p.refused,
			       "[lab] cgroup_parent = system.slice/y.scope: "));
	assert_non_null(strstr(
		f.p.refused,
		"y.scope is managed by systemd, which delegated neither it nor a cgroup above it"));
	assert_non_null(strstr(f.p.refused, "Leave cgroup_parent unset"));
	assert_non_null(strstr(f.p.refused, "Delegate=yes"));
	assert_null(f.cg.delegated);
	unplace(&f);
	/* systemd's own slice, and one that is not there */
	place(&f, true, "system.slice");
	assert_non_null(f.p.refused);
	unplace(&f);
	place(&f, true, "system.slice/z.scope/lab");
	assert_non_null(f.p.refused);
	assert_non_null(strstr(f.p.refused, "it does not exist, and "));
	assert_non_null(strstr(
		f.p.refused,
		"/system.slice, the nearest that does, is managed by systemd"));
	unplace(&f);
	/* without systemd, no such rule */
	place(&f, false, "system.slice/y.scope");
	assert_null(f.p.refused);
	assert_null(f.cg.delegated);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_refused_controllers_and_levels(void **state)
{
	struct fixture f = { .d = systemd_tree() };

	(void)state;
	put(f.d, "system.slice/x.scope/cgroup.controllers", "memory pids\n");
	place(&f, true, "system.slice/x.scope");
	assert_non_null(f.p.refused);
	assert_non_null(strstr(f.p.refused, "cpuset is not in "));
	assert_non_null(strstr(f.p.refused, "DelegateControllers"));
	unplace(&f);
	/* without systemd: a level above the parent with processes */
	put(f.d, "system.slice/x.scope/cgroup.controllers", "cpuset memory\n");
	put(f.d, "system.slice/x.scope/cgroup.procs", "77\n");
	place(&f, false, "system.slice/x.scope/lab");
	assert_non_null(f.p.refused);
	assert_non_null(
		strstr(f.p.refused, "x.scope holds processes (pid 77)"));
	unplace(&f);
	/* under systemd the same level is the user's: its processes move */
	place(&f, true, "system.slice/x.scope/lab");
	assert_null(f.p.refused);
	assert_true(f.p.parent_busy);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

/* A pid no process has: pid_max itself. */
static int no_pid(void)
{
	_cleanup_free_ char *s = NULL;
	uint64_t v;

	assert_int_equal(
		read_full_file("/proc/sys/kernel/pid_max", 64, &s, NULL), 0);
	assert_int_equal(parse_u64(str_trim(s), &v), 0);
	return (int)v;
}

static void test_dry_leaf_move(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	_cleanup_free_ char *want = NULL, *x = NULL, *procs = NULL;
	_cleanup_free_ char *leaf = NULL;
	struct error err = { 0 };
	struct stat st;
	int other = no_pid(), self = (int)getpid();

	(void)state;
	x = strdup_printf("%s/system.slice/x.scope", f.d);
	leaf = strdup_printf("%s/supervisor", x);
	procs = strdup_printf("%d\n%d\n", other, self);
	put(f.d, "system.slice/x.scope/cgroup.procs", procs);
	place(&f, true, "system.slice/x.scope/lab");
	f.cg.dry_run = true;
	assert_int_equal(cgplace_prepare(&f.p, &f.cg, "d", &err), 0);
	want = strdup_printf(
		"mkdir %s\n"
		"write %s/cgroup.procs %d\n"
		"write %s/cgroup.procs %d\n"
		"note1 move %d (?), %d (test_cgplace) from %s into its leaf supervisor",
		leaf, leaf, other, leaf, self, other, self, x);
	if (!str_has_prefix(f.t.buf, want))
		fail_msg("got:\n%s\nwant:\n%s", f.t.buf, want);
	/* and nothing was made */
	assert_int_equal(stat(leaf, &st), -1);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_dry_scope(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	_cleanup_free_ char *want = NULL, *leaf = NULL;
	struct error err = { 0 };
	struct stat st;

	(void)state;
	place(&f, true, "");
	f.cg.dry_run = true;
	assert_int_equal(cgplace_prepare(&f.p, &f.cg, "d", &err), 0);
	leaf = strdup_printf(
		"%s/system.slice/daxlab-run-daxlab.scope/supervisor", f.d);
	want = strdup_printf(
		"note1 systemd: StartTransientUnit daxlab-run-daxlab.scope (Slice=system.slice, Delegate=yes, PIDs=%d: this daxlab), and wait for its job\n"
		"mkdir %s\n"
		"write %s/cgroup.procs %d\n",
		(int)getpid(), leaf, leaf, (int)getpid());
	assert_true(str_has_prefix(f.t.buf, want));
	assert_int_equal(stat(leaf, &st), -1);
	f.t.n = 0;
	f.t.buf[0] = 0;
	assert_int_equal(cgplace_release(&f.p, &f.cg, &err), 0);
	assert_non_null(
		strstr(f.t.buf, "ends by itself once nothing runs in it"));
	/* without systemd to ask, a real start cannot have its scope */
	f.cg.dry_run = false;
	assert_int_equal(cgplace_prepare(&f.p, &f.cg, "d", &err), -EOPNOTSUPP);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

static void test_release_parent(void **state)
{
	struct fixture f = { .d = systemd_tree() };
	_cleanup_free_ char *leaf = NULL;
	struct error err = { 0 };
	struct stat st;

	(void)state;
	leaf = strdup_printf("%s/system.slice/x.scope/supervisor", f.d);
	assert_int_equal(mkdir(leaf, 0755), 0);
	place(&f, true, "system.slice/x.scope");
	assert_int_equal(cgplace_release(&f.p, &f.cg, &err), 0);
	assert_int_equal(stat(leaf, &st), -1);
	unplace(&f);
	rm_rf(f.d);
	free(f.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_root_without_systemd),
		cmocka_unit_test(test_parent_delegated),
		cmocka_unit_test(test_parent_not_delegated),
		cmocka_unit_test(test_refused_controllers_and_levels),
		cmocka_unit_test(test_dry_leaf_move),
		cmocka_unit_test(test_dry_scope),
		cmocka_unit_test(test_release_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
