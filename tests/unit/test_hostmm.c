// SPDX-License-Identifier: MIT
/* hostmm's reading of DAMON's sysfs, on trees made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostmm.h"
#include "util.h"

static char root[] = "/tmp/daxlab-hostmm.XXXXXX";

static void put(const char *path, const char *value)
{
	_cleanup_free_ char *p = strdup_printf("%s%s", root, path);
	_cleanup_free_ char *dir = strdup(p);
	FILE *f;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, 0755), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", value);
	fclose(f);
}

#define K "/sys/kernel/mm/damon/admin/kdamonds"
#define C K "/0/contexts/0"

/* The kdamond this build machine runs: pageout of cold unmapped pages. */
static void damon_pageout(void)
{
	put(K "/nr_kdamonds", "1");
	put(K "/0/state", "on");
	put(K "/0/contexts/nr_contexts", "1");
	put(C "/monitoring_attrs/intervals/aggr_us", "5000000");
	put(C "/schemes/nr_schemes", "2");
	put(C "/schemes/0/action", "pageout");
	put(C "/schemes/0/access_pattern/age/min", "12");
	put(C "/schemes/0/quotas/bytes", "134217728");
	put(C "/schemes/0/quotas/reset_interval_ms", "1000");
	put(C "/schemes/0/target_nid", "-1");
	put(C "/schemes/1/action", "stat");
}

static int setup(void **state)
{
	(void)state;
	strcpy(root, "/tmp/daxlab-hostmm.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", root, NULL };
	_cleanup_free_ char *cmd = shell_join(argv);

	(void)state;
	return system(cmd) == 0 ? 0 : -1;
}

static void test_none(void **state)
{
	char *s = (char *)"x";

	(void)state;
	assert_int_equal(hostmm_reclaim(root, &s), 0);
	assert_null(s);
	assert_int_equal(hostmm_sysctl(root, "kernel/numa_balancing"), -1);
}

static void test_pageout_named_with_age_and_quota(void **state)
{
	_cleanup_free_ char *s = NULL;

	(void)state;
	damon_pageout();
	assert_int_equal(hostmm_reclaim(root, &s), 0);
	assert_string_equal(
		s,
		"DAMON kdamond 0: pageout of memory not accessed for 60 s, up to 128.00 MiB per 1 s");
}

static void test_off_kdamond_is_none(void **state)
{
	char *s = (char *)"x";

	(void)state;
	damon_pageout();
	put(K "/0/state", "off");
	assert_int_equal(hostmm_reclaim(root, &s), 0);
	assert_null(s);
}

static void test_stat_only_is_none(void **state)
{
	char *s = (char *)"x";

	(void)state;
	damon_pageout();
	put(C "/schemes/0/action", "stat");
	assert_int_equal(hostmm_reclaim(root, &s), 0);
	assert_null(s);
}

static void test_migrate_and_module(void **state)
{
	_cleanup_free_ char *s = NULL;

	(void)state;
	damon_pageout();
	put(C "/schemes/1/action", "migrate_cold");
	put(C "/schemes/1/target_nid", "1");
	put(C "/schemes/1/access_pattern/age/min", "2");
	put("/sys/module/damon_reclaim/parameters/enabled", "Y");
	put("/sys/module/damon_reclaim/parameters/min_age", "120000000");
	assert_int_equal(hostmm_reclaim(root, &s), 0);
	assert_string_equal(
		s,
		"DAMON kdamond 0: pageout of memory not accessed for 60 s, up to 128.00 MiB per 1 s; "
		"DAMON kdamond 0: migrate_cold to node 1 of memory not accessed for 10 s; "
		"DAMON_RECLAIM: pageout of memory not accessed for 120 s");
}

static void test_sysctl(void **state)
{
	(void)state;
	put("/proc/sys/kernel/numa_balancing", "1");
	assert_int_equal(hostmm_sysctl(root, "kernel/numa_balancing"), 1);
	put("/proc/sys/vm/zone_reclaim_mode", "0");
	assert_int_equal(hostmm_sysctl(root, "vm/zone_reclaim_mode"), 0);
	put("/proc/sys/kernel/numa_balancing", "junk");
	assert_int_equal(hostmm_sysctl(root, "kernel/numa_balancing"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_none, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pageout_named_with_age_and_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_kdamond_is_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stat_only_is_none, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_and_module, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sysctl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
