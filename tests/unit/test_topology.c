// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "topology.h"
#include "util.h"

#define FIX FIXTURES "/topology/"

static void roundtrip(const char *in, const char *want)
{
	struct cpu_bits b;
	_cleanup_free_ char *s = NULL;

	assert_int_equal(cpulist_parse(in, &b), 0);
	s = cpulist_format(&b);
	assert_string_equal(s, want);
}

static void test_cpulist_parse_and_format(void **state)
{
	(void)state;
	roundtrip("0", "0");
	roundtrip("0-3", "0-3");
	roundtrip("0,1,2,3", "0-3");
	roundtrip("3,0-1,8,10-11\n", "0-1,3,8,10-11");
	roundtrip("5-5", "5");
	roundtrip("", "");
	roundtrip("\n", "");
	roundtrip("4095", "4095");
}

static void test_cpulist_refuses_junk(void **state)
{
	struct cpu_bits b;

	(void)state;
	assert_int_equal(cpulist_parse("0-", &b), -EINVAL);
	assert_int_equal(cpulist_parse("-1", &b), -EINVAL);
	assert_int_equal(cpulist_parse("3-1", &b), -EINVAL);
	assert_int_equal(cpulist_parse("1,,2", &b), -EINVAL);
	assert_int_equal(cpulist_parse("1 2", &b), -EINVAL);
	assert_int_equal(cpulist_parse("a", &b), -EINVAL);
	assert_int_equal(cpulist_parse("0,", &b), -EINVAL);
	assert_int_equal(cpulist_parse("4096", &b), -ERANGE);
	assert_int_equal(cpulist_parse("99999999999999999999", &b), -ERANGE);
}

static void test_bits_helpers(void **state)
{
	struct cpu_bits a, b;

	(void)state;
	assert_int_equal(cpulist_parse("1-2", &a), 0);
	assert_int_equal(cpulist_parse("0-3", &b), 0);
	assert_int_equal(cpu_bits_count(&b), 4);
	assert_int_equal(cpu_bits_first_missing(&b, &a), 0);
	assert_int_equal(cpu_bits_first_missing(&a, &b), -1);
}

static void test_two_nodes(void **state)
{
	struct topology t;
	_cleanup_free_ char *n = NULL, *c1 = NULL;

	(void)state;
	assert_int_equal(topology_load(FIX "two-node", &t), 0);
	n = cpulist_format(&t.nodes);
	assert_string_equal(n, "0-1");
	c1 = cpulist_format(&t.node_cpus[1]);
	assert_string_equal(c1, "2-3");
	assert_int_equal(cpu_bits_count(&t.online_cpus), 4);
}

static void test_no_numa_is_one_node(void **state)
{
	struct topology t;
	_cleanup_free_ char *n = NULL, *c0 = NULL;

	(void)state;
	assert_int_equal(topology_load(FIX "no-numa", &t), 0);
	n = cpulist_format(&t.nodes);
	assert_string_equal(n, "0");
	c0 = cpulist_format(&t.node_cpus[0]);
	assert_string_equal(c0, "0-7");
}

static void test_missing_tree(void **state)
{
	struct topology t;

	(void)state;
	assert_int_equal(topology_load(FIX "nope", &t), -ENOENT);
}

static int resolve(const char *tree, int node, const char *cpus,
		   const char *mems, char **rc, char **rm, struct error *err)
{
	struct topology t;
	struct cg_binding b = { .node = node, .cpus = (char *)cpus,
				.mems = (char *)mems };

	assert_int_equal(topology_load(tree, &t), 0);
	return topology_resolve(&t, &b, rc, rm, err);
}

static void test_resolve_node(void **state)
{
	char *c = NULL, *m = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(resolve(FIX "two-node", 1, NULL, NULL, &c, &m, &err),
			 0);
	assert_string_equal(c, "2-3");
	assert_string_equal(m, "1");
	free(c);
	free(m);
	/* explicit cpus and mems override the node's */
	assert_int_equal(resolve(FIX "two-node", 1, "0,2", "0-1", &c, &m, &err),
			 0);
	assert_string_equal(c, "0,2");
	assert_string_equal(m, "0-1");
	free(c);
	free(m);
	/* nothing said: inherit */
	assert_int_equal(resolve(FIX "two-node", -1, NULL, NULL, &c, &m, &err),
			 0);
	assert_null(c);
	assert_null(m);
}

static void test_resolve_refuses_what_does_not_exist(void **state)
{
	char *c = NULL, *m = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(resolve(FIX "two-node", 2, NULL, NULL, &c, &m, &err),
			 -ENOENT);
	assert_string_equal(
		err.msg,
		"NUMA node 2 does not exist (this host has nodes 0-1)");
	assert_int_equal(resolve(FIX "two-node", -1, "3-4", NULL, &c, &m, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "CPU 4 does not exist"));
	assert_int_equal(resolve(FIX "two-node", -1, NULL, "1,3", &c, &m, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "NUMA node 3 does not exist"));
	/* an offline CPU counts as missing */
	assert_int_equal(resolve(FIX "sparse", -1, "2", NULL, &c, &m, &err),
			 -ENOENT);
	assert_null(c);
	assert_null(m);
}

static void test_memory_only_node(void **state)
{
	char *c = NULL, *m = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(resolve(FIX "sparse", 2, NULL, NULL, &c, &m, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "NUMA node 2 has no CPUs; set cpus ="));
	assert_int_equal(resolve(FIX "sparse", 2, "4", NULL, &c, &m, &err), 0);
	assert_string_equal(c, "4");
	assert_string_equal(m, "2");
	free(c);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist_parse_and_format),
		cmocka_unit_test(test_cpulist_refuses_junk),
		cmocka_unit_test(test_bits_helpers),
		cmocka_unit_test(test_two_nodes),
		cmocka_unit_test(test_no_numa_is_one_node),
		cmocka_unit_test(test_missing_tree),
		cmocka_unit_test(test_resolve_node),
		cmocka_unit_test(test_resolve_refuses_what_does_not_exist),
		cmocka_unit_test(test_memory_only_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
