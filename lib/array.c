// SPDX-License-Identifier: MIT
/* Arrays grown one element at a time; see array.h. */
#include "array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void *array_push(void *arr_p, size_t *n, size_t sz)
{
	void *old;
	char *a;

	memcpy(&old, arr_p, sizeof(old));
	a = realloc(old, (*n + 1) * sz);
	if (!a)
		return NULL;
	memset(a + *n * sz, 0, sz);
	memcpy(arr_p, &a, sizeof(a));
	return a + (*n)++ * sz;
}

int array_reserve(void *arr_p, size_t n, size_t *cap, size_t first, size_t sz)
{
	size_t nc = *cap ? 2 * *cap : first;
	void *old;
	char *a;

	if (n < *cap)
		return 0;
	memcpy(&old, arr_p, sizeof(old));
	a = realloc(old, nc * sz);
	if (!a)
		return -ENOMEM;
	memcpy(arr_p, &a, sizeof(a));
	*cap = nc;
	return 0;
}
