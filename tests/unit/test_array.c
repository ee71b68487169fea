// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "array.h"

struct item {
	int a;
	char *s;
	double d[3];
};

static void test_array_push(void **state)
{
	struct item *v = NULL, *e;
	size_t n = 0;

	for (int i = 0; i < 100; i++) {
		e = ARRAY_PUSH(v, n);
		assert_non_null(e);
		assert_int_equal(n, i + 1);
		assert_ptr_equal(e, &v[i]);
		/* the new element is zeroed */
		assert_int_equal(e->a, 0);
		assert_null(e->s);
		assert_true(e->d[0] == 0 && e->d[1] == 0 && e->d[2] == 0);
		e->a = i;
		e->d[2] = i;
	}
	/* the elements before are kept */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(v[i].a, i);
		assert_true(v[i].d[2] == i);
	}
	free(v);
}

static void test_array_push_scalar(void **state)
{
	int *v = NULL, *e;
	size_t n = 0;

	e = array_push(&v, &n, sizeof(*v));
	assert_non_null(e);
	*e = 7;
	e = ARRAY_PUSH(v, n);
	assert_non_null(e);
	assert_int_equal(*e, 0);
	*e = 8;
	assert_int_equal(n, 2);
	assert_int_equal(v[0], 7);
	assert_int_equal(v[1], 8);
	free(v);
}

static void test_array_reserve(void **state)
{
	double *v = NULL;
	size_t n = 0, cap = 0;

	/* the first capacity, then doubling when full */
	assert_int_equal(ARRAY_RESERVE(v, n, cap, 4), 0);
	assert_non_null(v);
	assert_int_equal(cap, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ARRAY_RESERVE(v, n, cap, 4), 0);
		assert_int_equal(cap, 4);
		v[n++] = i;
	}
	assert_int_equal(ARRAY_RESERVE(v, n, cap, 4), 0);
	assert_int_equal(cap, 8);
	v[n++] = 4;
	assert_int_equal(array_reserve(&v, n, &cap, 4, sizeof(*v)), 0);
	assert_int_equal(cap, 8);
	for (int i = 0; i < 5; i++)
		assert_true(v[i] == i);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_push),
		cmocka_unit_test(test_array_push_scalar),
		cmocka_unit_test(test_array_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
