// SPDX-License-Identifier: MIT
/*
 * lib/cgroup.c on fake trees in a temporary folder: detection, paths, the
 * order of writes (dry run) for v1 and v2, and reading pids and effective
 * lists back.
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

#include "cgroup.h"
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

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/daxlab-cgtest.XXXXXX";

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

static void test_detect(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	enum cg_version v;

	(void)state;
	assert_int_equal(cg_detect(d, "auto", &v), -ENOENT);
	put(d, "cpuset/tasks", "");
	assert_int_equal(cg_detect(d, "auto", &v), -ENOENT);
	put(d, "memory/tasks", "");
	assert_int_equal(cg_detect(d, "auto", &v), 0);
	assert_int_equal(v, CG_V1);
	assert_int_equal(cg_detect(d, "v2", &v), -ENOENT);
	put(d, "cgroup.controllers", "cpuset memory\n");
	assert_int_equal(cg_detect(d, "auto", &v), 0);
	assert_int_equal(v, CG_V2);
	assert_int_equal(cg_detect(d, "v1", &v), 0);
	assert_int_equal(v, CG_V1);
	assert_int_equal(cg_detect(d, "v3", &v), -EINVAL);
	rm_rf(d);
}

static void test_paths(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	struct cg_ctx c;
	_cleanup_free_ char *a = NULL, *b = NULL, *e = NULL, *f = NULL;

	(void)state;
	put(d, "cpuset/tasks", "");
	put(d, "memory/tasks", "");
	assert_int_equal(cg_ctx_init(&c, d, "v1", ""), 0);
	a = cg_path(&c, "cpuset", "vm0", "cpuset.cpus");
	b = strdup_printf("%s/cpuset/vm0/cpuset.cpus", d);
	assert_string_equal(a, b);
	cg_ctx_done(&c);

	put(d, "cgroup.controllers", "");
	assert_int_equal(cg_ctx_init(&c, d, "auto", "lab.slice/x"), 0);
	e = cg_path(&c, "cpuset", "vm0", NULL);
	f = strdup_printf("%s/lab.slice/x/vm0", d);
	assert_string_equal(e, f);
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_v2_dry_run_order(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *want = NULL;
	struct trace t = { .n = 0 };
	struct cg_ctx c;
	struct error err = { 0 };

	(void)state;
	put(d, "cgroup.controllers", "cpuset memory\n");
	assert_int_equal(cg_ctx_init(&c, d, "auto", "lab"), 0);
	c.dry_run = true;
	c.trace = trace_cb;
	c.trace_ud = &t;
	assert_int_equal(cg_create(&c, "vm0", "2-3", "1", 1 << 30, &err), 0);
	want = strdup_printf("write %s/cgroup.subtree_control +cpuset +memory\n"
			     "mkdir %s/lab\n"
			     "write %s/lab/cgroup.subtree_control +cpuset +memory\n"
			     "mkdir %s/lab/vm0\n"
			     "write %s/lab/vm0/cpuset.mems 1\n"
			     "write %s/lab/vm0/cpuset.cpus 2-3\n"
			     "write %s/lab/vm0/memory.max 1073741824\n",
			     d, d, d, d, d, d, d);
	assert_string_equal(t.buf, want);
	/* nothing was made */
	assert_false(cg_exists(&c, "vm0"));
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_v1_dry_run_order(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ char *want = NULL;
	struct trace t = { .n = 0 };
	struct cg_ctx c;
	struct error err = { 0 };

	(void)state;
	put(d, "cpuset/cpuset.cpus", "0-3\n");
	put(d, "cpuset/cpuset.mems", "0-1\n");
	put(d, "memory/tasks", "");
	assert_int_equal(cg_ctx_init(&c, d, "auto", ""), 0);
	c.dry_run = true;
	c.trace = trace_cb;
	c.trace_ud = &t;
	assert_int_equal(cg_create(&c, "vm1", "2", "1", 0, &err), 0);
	/* a new v1 cpuset starts empty: the parent's lists first */
	want = strdup_printf("mkdir %s/cpuset/vm1\n"
			     "write %s/cpuset/vm1/cpuset.cpus 0-3\n"
			     "write %s/cpuset/vm1/cpuset.mems 0-1\n"
			     "mkdir %s/memory/vm1\n"
			     "write %s/cpuset/vm1/cpuset.mems 1\n"
			     "write %s/cpuset/vm1/cpuset.cpus 2\n",
			     d, d, d, d, d, d);
	assert_string_equal(t.buf, want);
	t.n = 0;
	t.buf[0] = 0;
	assert_int_equal(cg_create(&c, "vm1", NULL, NULL, 5 << 20, &err), 0);
	assert_non_null(strstr(t.buf, "memory/vm1/memory.limit_in_bytes 5242880"));
	assert_int_equal(cg_create(&c, "../etc", NULL, NULL, 0, &err), -EINVAL);
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_read_back(void **state)
{
	_cleanup_free_ char *d = tmpdir();
	_cleanup_free_ pid_t *pids = NULL;
	_cleanup_free_ char *cpus = NULL, *mems = NULL;
	char **procs = NULL;
	struct cg_ctx c;
	size_t n;
	int fd;

	(void)state;
	put(d, "cpuset/vm0/cgroup.procs", "12\n345\n\n6789\n");
	put(d, "cpuset/vm0/cpuset.effective_cpus", "0-1\n");
	put(d, "cpuset/vm0/cpuset.effective_mems", "0\n");
	put(d, "memory/vm0/memory.numa_stat", "total=1 N0=1\n");
	assert_int_equal(cg_ctx_init(&c, d, "v1", ""), 0);
	assert_true(cg_exists(&c, "vm0"));
	assert_false(cg_exists(&c, "vm1"));
	assert_int_equal(cg_pids(&c, "vm0", &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 12);
	assert_int_equal(pids[2], 6789);
	assert_int_equal(cg_effective(&c, "vm0", &cpus, &mems), 0);
	assert_string_equal(cpus, "0-1");
	assert_string_equal(mems, "0");
	assert_int_equal(cg_spawn_target(&c, "vm0", &fd, &procs), 0);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(procs[0], "/cpuset/vm0/cgroup.procs"));
	assert_non_null(strstr(procs[1], "/memory/vm0/cgroup.procs"));
	assert_null(procs[2]);
	strv_free(procs);
	free(pids);
	pids = NULL;
	assert_int_equal(cg_pids(&c, "vm1", &pids, &n) == -ENOENT ||
				 n == 0,
			 1);
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_keyed_value(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(cg_keyed_value("oom_kill_disable 0\nunder_oom 0\n"
					"oom_kill 3\n",
					"oom_kill", &v),
			 0);
	assert_int_equal(v, 3);
	/* a key that is a prefix of another is not that other */
	assert_int_equal(cg_keyed_value("oom_kill_disable 1\n", "oom_kill", &v),
			 -ENODATA);
	assert_int_equal(cg_keyed_value("low 0\noom 2\noom_kill 2", "oom", &v),
			 0);
	assert_int_equal(v, 2);
	assert_int_equal(cg_keyed_value("", "oom_kill", &v), -ENODATA);
	assert_true(cg_keyed_value("oom_kill x\n", "oom_kill", &v) < 0);
	assert_true(cg_keyed_value("oom_kill \n", "oom_kill", &v) < 0);
	assert_true(cg_keyed_value("oom_kill 99999999999999999999999\n",
				   "oom_kill", &v) < 0);
	assert_true(cg_keyed_value("oom_kill 123456789012345678901234567890"
				   "1234567890\n",
				   "oom_kill", &v) < 0);
}

/* v1 memory.oom_control (oom_kill since Linux 4.13), v2 memory.events */
static void test_oom_kills(void **state)
{
	_cleanup_free_ char *d1 = tmpdir(), *d2 = tmpdir();
	_cleanup_free_ char *file = NULL;
	struct cg_ctx c;
	uint64_t v = 0;

	(void)state;
	put(d1, "cpuset/vm0/cgroup.procs", "");
	put(d1, "memory/vm0/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	put(d1, "memory/vm0/memory.limit_in_bytes", "167772160\n");
	put(d1, "memory/old/memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\n");
	put(d1, "memory/free/memory.limit_in_bytes", "9223372036854771712\n");
	assert_int_equal(cg_ctx_init(&c, d1, "v1", ""), 0);
	assert_int_equal(cg_oom_kills(&c, "vm0", &v, &file), 0);
	assert_int_equal(v, 1);
	assert_non_null(strstr(file, "/memory/vm0/memory.oom_control"));
	assert_int_equal(cg_oom_kills(&c, "old", &v, NULL), -ENODATA);
	assert_int_equal(cg_oom_kills(&c, "gone", &v, NULL), -ENOENT);
	assert_int_equal(cg_memory_limit(&c, "vm0", &v), 0);
	assert_int_equal(v, 160 << 20);
	assert_int_equal(cg_memory_limit(&c, "free", &v), 0);
	assert_true(v == UINT64_MAX);
	cg_ctx_done(&c);

	put(d2, "cgroup.controllers", "cpuset memory\n");
	put(d2, "lab/vm0/memory.events",
	    "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n"
	    "oom_group_kill 0\n");
	put(d2, "lab/vm0/memory.max", "max\n");
	put(d2, "lab/vm1/memory.events", "low 0\noom_kill 0\n");
	put(d2, "lab/vm1/memory.max", "268435456\n");
	assert_int_equal(cg_ctx_init(&c, d2, "v2", "lab"), 0);
	assert_int_equal(cg_oom_kills(&c, "vm0", &v, NULL), 0);
	assert_int_equal(v, 2);
	assert_int_equal(cg_oom_kills(&c, "vm1", &v, NULL), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cg_memory_limit(&c, "vm0", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cg_memory_limit(&c, "vm1", &v), 0);
	assert_int_equal(v, 256 << 20);
	cg_ctx_done(&c);
	rm_rf(d1);
	rm_rf(d2);
}

static void test_levels_helpers(void **state)
{
	char *s;

	(void)state;
	assert_true(cg_is_below("a/b", "a"));
	assert_true(cg_is_below("a", "a"));
	assert_true(cg_is_below("a", ""));
	assert_false(cg_is_below("ab", "a"));
	assert_false(cg_is_below("a", "a/b"));
	s = cg_next_level("", "a/b/c");
	assert_string_equal(s, "a");
	free(s);
	s = cg_next_level("a", "a/b/c");
	assert_string_equal(s, "a/b");
	free(s);
	s = cg_next_level("a/b", "a/b/c");
	assert_string_equal(s, "a/b/c");
	free(s);
	assert_null(cg_next_level("a/b/c", "a/b/c"));
}

/* A v2 tree as systemd leaves it: system.slice/x.scope delegated. */
static char *systemd_tree(void)
{
	char *d = tmpdir();
	_cleanup_free_ char *scope =
		strdup_printf("%s/system.slice/x.scope", d);

	put(d, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(d, "cgroup.subtree_control", "cpuset cpu memory pids\n");
	put(d, "cgroup.procs", "1\n");
	put(d, "system.slice/cgroup.controllers", "cpuset cpu memory pids\n");
	put(d, "system.slice/cgroup.subtree_control", "cpuset memory\n");
	put(d, "system.slice/cgroup.procs", "");
	put(d, "system.slice/x.scope/cgroup.controllers", "cpuset memory\n");
	put(d, "system.slice/x.scope/cgroup.subtree_control", "");
	put(d, "system.slice/x.scope/cgroup.procs", "");
	put(d, "system.slice/x.scope/cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(setxattr(scope, "user.delegate", "1", 1, 0), 0);
	return d;
}

static void test_find_delegated(void **state)
{
	_cleanup_free_ char *d = systemd_tree();
	_cleanup_free_ char *near = NULL, *dir = NULL;
	struct cg_ctx c;
	char *got = NULL;
	bool unreadable;

	(void)state;
	assert_int_equal(cg_ctx_init(&c, d, "v2", ""), 0);
	dir = strdup_printf("%s/system.slice/x.scope", d);
	assert_int_equal(cg_delegated_mark(dir), 1);
	free(dir);
	dir = strdup_printf("%s/system.slice", d);
	assert_int_equal(cg_delegated_mark(dir), 0);
	/* the scope itself, and a level below it that is not made yet */
	assert_int_equal(cg_find_delegated(&c, "system.slice/x.scope", &got,
					   &unreadable),
			 0);
	assert_string_equal(got, "system.slice/x.scope");
	free(got);
	assert_int_equal(cg_find_delegated(&c, "system.slice/x.scope/lab/a",
					   &got, &unreadable),
			 0);
	assert_string_equal(got, "system.slice/x.scope");
	free(got);
	/* systemd's own slice, and the root, are not delegated */
	assert_int_equal(
		cg_find_delegated(&c, "system.slice", &got, &unreadable), 0);
	assert_null(got);
	assert_int_equal(cg_find_delegated(&c, "", &got, &unreadable), 0);
	assert_null(got);
	near = cg_nearest_existing(&c, "system.slice/y.scope/lab");
	assert_string_equal(near, "system.slice");
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_check_levels(void **state)
{
	_cleanup_free_ char *d = systemd_tree();
	struct cg_ctx c;
	struct error err = { 0 };
	bool busy;

	(void)state;
	assert_int_equal(cg_ctx_init(&c, d, "v2", ""), 0);
	/* below the delegated scope, nothing in the way */
	assert_int_equal(cg_ctx_place(&c, "system.slice/x.scope/lab",
				      "system.slice/x.scope"),
			 0);
	assert_int_equal(
		cg_check_levels(&c, "system.slice/x.scope", &busy, &err), 0);
	assert_false(busy);
	/* processes in the scope: movable, so busy; else refused */
	put(d, "system.slice/x.scope/cgroup.procs", "4242\n");
	assert_int_equal(
		cg_check_levels(&c, "system.slice/x.scope", &busy, &err), 0);
	assert_true(busy);
	assert_int_equal(
		cg_check_levels(&c, "system.slice/x.scope/lab", &busy, &err),
		-EBUSY);
	assert_non_null(strstr(err.msg, "x.scope holds processes (pid 4242)"));
	/* cpuset not passed down */
	put(d, "system.slice/x.scope/cgroup.procs", "");
	put(d, "system.slice/x.scope/cgroup.controllers", "memory pids\n");
	assert_int_equal(
		cg_check_levels(&c, "system.slice/x.scope", &busy, &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "cpuset is not in "));
	assert_non_null(
		strstr(err.msg, "x.scope/cgroup.controllers ('memory pids')"));
	/* both enabled already: nothing to check at that level */
	put(d, "system.slice/x.scope/cgroup.subtree_control",
	    "cpuset memory\n");
	assert_int_equal(cg_check_levels(&c, NULL, &busy, &err), 0);
	cg_ctx_done(&c);
	rm_rf(d);
}

static void test_move_to_leaf(void **state)
{
	_cleanup_free_ char *d = systemd_tree();
	_cleanup_free_ char *want = NULL, *leaf = NULL;
	_cleanup_free_ pid_t *moved = NULL;
	struct trace t = { .n = 0 };
	struct cg_ctx c;
	struct stat st;
	struct error err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(cg_ctx_init(&c, d, "v2", ""), 0);
	c.trace = trace_cb;
	c.trace_ud = &t;
	leaf = strdup_printf("%s/system.slice/x.scope/supervisor", d);
	/* nothing there: no leaf made */
	assert_int_equal(cg_move_to_leaf(&c, "system.slice/x.scope",
					 "supervisor", 0, &moved, &n, &err),
			 0);
	assert_int_equal(n, 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(stat(leaf, &st), -1);
	/* a dry run says it would move each, and this process too */
	put(d, "system.slice/x.scope/cgroup.procs", "12\n34\n");
	c.dry_run = true;
	assert_int_equal(cg_move_to_leaf(&c, "system.slice/x.scope",
					 "supervisor", 56, &moved, &n, &err),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(moved[2], 56);
	want = strdup_printf("mkdir %s\n"
			     "write %s/cgroup.procs 12\n"
			     "write %s/cgroup.procs 34\n"
			     "write %s/cgroup.procs 56\n",
			     leaf, leaf, leaf, leaf);
	assert_string_equal(t.buf, want);
	assert_int_equal(stat(leaf, &st), -1);
	free(moved);
	moved = NULL;
	/* processes that never leave: it gives up, and says so */
	c.dry_run = false;
	put(d, "system.slice/x.scope/supervisor/cgroup.procs", "");
	assert_int_equal(cg_move_to_leaf(&c, "system.slice/x.scope",
					 "supervisor", 0, &moved, &n, &err),
			 -EBUSY);
	assert_non_null(strstr(err.msg, "still holds processes"));
	/* an empty leaf goes; a dry run only says so */
	rm_rf(leaf);
	assert_int_equal(mkdir(leaf, 0755), 0);
	c.dry_run = true;
	assert_int_equal(
		cg_remove_leaf(&c, "system.slice/x.scope", "supervisor"), 0);
	assert_int_equal(stat(leaf, &st), 0);
	c.dry_run = false;
	assert_int_equal(
		cg_remove_leaf(&c, "system.slice/x.scope", "supervisor"), 0);
	assert_int_equal(stat(leaf, &st), -1);
	assert_int_equal(cg_populated_at(&c, "system.slice/x.scope"), 1);
	cg_ctx_done(&c);
	rm_rf(d);
}

/* Not above the delegated cgroup: no write to systemd's levels. */
static void test_v2_delegated_writes(void **state)
{
	_cleanup_free_ char *d = systemd_tree();
	_cleanup_free_ char *want = NULL;
	struct trace t = { .n = 0 };
	struct cg_ctx c;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(cg_ctx_init(&c, d, "v2", ""), 0);
	assert_int_equal(cg_ctx_place(&c, "system.slice/x.scope/lab",
				      "system.slice/x.scope"),
			 0);
	c.dry_run = true;
	c.trace = trace_cb;
	c.trace_ud = &t;
	assert_int_equal(cg_create(&c, "vm0", NULL, "1", 0, &err), 0);
	want = strdup_printf(
		"write %s/system.slice/x.scope/cgroup.subtree_control +cpuset +memory\n"
		"mkdir %s/system.slice/x.scope/lab\n"
		"write %s/system.slice/x.scope/lab/cgroup.subtree_control +cpuset +memory\n"
		"mkdir %s/system.slice/x.scope/lab/vm0\n"
		"write %s/system.slice/x.scope/lab/vm0/cpuset.mems 1\n",
		d, d, d, d, d);
	assert_string_equal(t.buf, want);
	/* a delegated cgroup not there yet: a dry run shows the rest */
	t.n = 0;
	t.buf[0] = 0;
	assert_int_equal(cg_ctx_place(&c, "system.slice/y.scope/lab",
				      "system.slice/y.scope"),
			 0);
	assert_int_equal(cg_create(&c, "vm0", NULL, NULL, 0, &err), 0);
	assert_true(str_has_prefix(t.buf, "write "));
	assert_non_null(strstr(t.buf, "/system.slice/y.scope/cgroup.subtree_control +cpuset +memory\n"));
	/* a real start: refused, nothing written, no scope made */
	t.n = 0;
	t.buf[0] = 0;
	c.dry_run = false;
	assert_int_equal(cg_create(&c, "vm0", NULL, NULL, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "y.scope does not exist"));
	assert_int_equal(t.n, 0);
	cg_ctx_done(&c);
	rm_rf(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_v2_dry_run_order),
		cmocka_unit_test(test_v1_dry_run_order),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_keyed_value),
		cmocka_unit_test(test_oom_kills),
		cmocka_unit_test(test_levels_helpers),
		cmocka_unit_test(test_find_delegated),
		cmocka_unit_test(test_check_levels),
		cmocka_unit_test(test_move_to_leaf),
		cmocka_unit_test(test_v2_delegated_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
