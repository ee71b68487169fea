// SPDX-License-Identifier: MIT
/* Arrays grown one element at a time; see array.h. */
#include "array.h"

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
