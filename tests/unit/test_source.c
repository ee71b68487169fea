// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "source.h"

static void ok(const char *spec, const char *name, const char *host,
	       const char *path)
{
	struct source_spec s;
	struct error err = { 0 };

	assert_int_equal(source_parse(spec, &s, &err), 0);
	assert_string_equal(s.name, name);
	assert_string_equal(s.path, path);
	if (host) {
		assert_true(s.remote);
		assert_string_equal(s.host, host);
	} else {
		assert_false(s.remote);
		assert_null(s.host);
	}
	source_spec_free(&s);
}

static void bad(const char *spec, const char *msg)
{
	struct source_spec s;
	struct error err = { 0 };

	assert_int_equal(source_parse(spec, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, msg));
}

static void test_seed_sources(void **state)
{
	ok("host=/sys/fs/cgroup/memory.numa_stat", "host", NULL,
	   "/sys/fs/cgroup/memory.numa_stat");
	ok("vm0-cg=/sys/fs/cgroup/virtual-vm0/memory.numa_stat", "vm0-cg", NULL,
	   "/sys/fs/cgroup/virtual-vm0/memory.numa_stat");
	ok("vm0=root@vm0:/sys/fs/cgroup/memory.numa_stat", "vm0", "root@vm0",
	   "/sys/fs/cgroup/memory.numa_stat");
}

static void test_local_forms(void **state)
{
	ok("a=/sys/fs/cgroup/memory/x", "a", NULL, "/sys/fs/cgroup/memory/x");
	ok("a=relative/file", "a", NULL, "relative/file");
	ok("a=file", "a", NULL, "file");
	/* a '/' before the ':' makes it local */
	ok("a=/tmp/odd:name", "a", NULL, "/tmp/odd:name");
	ok("a=./odd:name", "a", NULL, "./odd:name");
	/* '=' in the path is fine: the name ends at the first one */
	ok("a=/tmp/x=y", "a", NULL, "/tmp/x=y");
}

static void test_remote_forms(void **state)
{
	ok("r=vm1:/sys/fs/cgroup", "r", "vm1", "/sys/fs/cgroup");
	ok("r=127.0.0.1:relative", "r", "127.0.0.1", "relative");
	ok("r=root@[::1]:/x", "r", "root@[::1]", "/x");
	ok("r=[fe80::1]:/x", "r", "[fe80::1]", "/x");
	ok("r=h:/a:b", "r", "h", "/a:b");
}

static void test_errors(void **state)
{
	bad("noequals", "expected NAME=SOURCE");
	bad("=/x", "invalid source name");
	bad("../x=/x", "invalid source name");
	bad("a b=/x", "invalid source name");
	bad("-a=/x", "invalid source name");
	bad("a=", "empty SOURCE");
	bad("a=-oProxyCommand=x:/p", "invalid host");
	bad("a=root@-x:/p", "invalid host");
	bad("a=@h:/p", "invalid host");
	bad("a=h;rm:/p", "invalid host");
	bad("a=h:", "empty remote path");
	bad("a=[zz]:/p", "invalid host");
}

static void test_valid_host(void **state)
{
	assert_true(source_valid_host("vm0"));
	assert_true(source_valid_host("root@vm0.example.org"));
	assert_false(source_valid_host("-F"));
	assert_false(source_valid_host("a b"));
	assert_false(source_valid_host(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_sources),
		cmocka_unit_test(test_local_forms),
		cmocka_unit_test(test_remote_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_valid_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
