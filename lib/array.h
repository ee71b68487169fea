/* SPDX-License-Identifier: MIT */
/*
 * Growing an array of any type one element at a time: the array is a T *
 * and a size_t count (and, for array_reserve(), a size_t capacity), kept
 * side by side by their owner.
 */
#ifndef DAXLAB_ARRAY_H
#define DAXLAB_ARRAY_H

#include <stddef.h>

/*
 * Appends one zeroed element of size sz to the array whose pointer is at
 * arr_p (a T **, copied with memcpy, for it is not a void **) and which
 * has *n elements: a pointer to the new element, *n one more. NULL when
 * out of memory, the array and *n unchanged.
 */
void *array_push(void *arr_p, size_t *n, size_t sz);

/* array_push() on the T *arr of n elements; the new element is a T *. */
#define ARRAY_PUSH(arr, n) \
	((__typeof__(arr))array_push(&(arr), &(n), sizeof(*(arr))))

/*
 * Makes room for one more element in the array whose pointer is at arr_p,
 * of n elements of size sz in *cap allocated: when full, *cap doubles
 * (first, the first time). 0, or -ENOMEM with the array and *cap
 * unchanged.
 */
int array_reserve(void *arr_p, size_t n, size_t *cap, size_t first, size_t sz);

/*
 * array_reserve() on the T *arr of n elements in cap allocated; no call
 * while there is room (numastat reserves a stat and a node per line).
 */
#define ARRAY_RESERVE(arr, n, cap, first) \
	((n) < (cap) ?                    \
		 0 :                      \
		 array_reserve(&(arr), (n), &(cap), (first), sizeof(*(arr))))

#endif
