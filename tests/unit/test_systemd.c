// SPDX-License-Identifier: MIT
/*
 * lib/systemd.c without a systemd: the lab's scope name from its state
 * folder, and sd_booted(). What goes over D-Bus is tried on the lab host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "systemd.h"
#include "util.h"

static void name_is(const char *state_dir, const char *want)
{
	_cleanup_free_ char *n = sysd_lab_unit(state_dir);

	assert_non_null(n);
	assert_string_equal(n, want);
}

/* "daxlab-PREFIX-xxxxxxxx.scope", the hash of 8 hex digits */
static void hashed(const char *state_dir, const char *prefix)
{
	_cleanup_free_ char *n = sysd_lab_unit(state_dir);
	size_t pl = strlen(prefix), nl;

	assert_non_null(n);
	nl = strlen(n);
	assert_true(str_has_prefix(n, prefix));
	assert_true(str_has_suffix(n, ".scope"));
	assert_int_equal(nl, pl + 8 + strlen(".scope"));
	for (size_t i = pl; i < pl + 8; i++)
		assert_non_null(strchr("0123456789abcdef", n[i]));
}

static void test_lab_unit(void **state)
{
	(void)state;
	name_is("/run/daxlab", "daxlab-run-daxlab.scope");
	name_is("/var/lib/lab_1.x", "daxlab-var-lib-lab_1.x.scope");
	/* what cannot be kept as is gets a hash: names stay apart */
	hashed("/run/dax-lab", "daxlab-run-dax_lab-");
	hashed("/run/dax lab", "daxlab-run-dax_lab-");
	{
		_cleanup_free_ char *a = sysd_lab_unit("/run/dax-lab");
		_cleanup_free_ char *b = sysd_lab_unit("/run/dax lab");
		_cleanup_free_ char *c = sysd_lab_unit("/run/dax_lab");

		assert_string_not_equal(a, b);
		assert_string_not_equal(a, c);
		assert_string_equal(c, "daxlab-run-dax_lab.scope");
	}
	hashed("/run//daxlab", "daxlab-run--daxlab-");
	hashed("/run/daxlab/", "daxlab-run-daxlab--");
	hashed("/", "daxlab-");
	{
		char longp[300];
		_cleanup_free_ char *n = NULL;

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = 0;
		n = sysd_lab_unit(longp);
		assert_non_null(n);
		/* cut, and far below systemd's 255 */
		assert_int_equal(strlen(n), strlen("daxlab-") + 96 + 1 + 8 +
						    strlen(".scope"));
	}
}

static void test_booted(void **state)
{
	char tmpl[] = "/tmp/daxlab-sdtest.XXXXXX";
	_cleanup_free_ char *f = NULL;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_true(sysd_booted(tmpl));
	f = strdup_printf("%s/none", tmpl);
	assert_false(sysd_booted(f));
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_unit),
		cmocka_unit_test(test_booted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
