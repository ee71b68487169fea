// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileset.h"
#include "pageowner.h"
#include "partfile.h"
#include "util.h"

#define FIX FIXTURES "/memory/"

static void test_pagemap_entry(void **state)
{
	uint64_t pfn;

	(void)state;
	/* present, frame 0x12345 */
	assert_true(po_pagemap_pfn((1ULL << 63) | 0x12345, &pfn));
	assert_int_equal(pfn, 0x12345);
	/* soft-dirty (55) and exclusive (56) bits are not the frame */
	assert_true(po_pagemap_pfn((1ULL << 63) | (1ULL << 56) |
					   (1ULL << 55) | 7,
				   &pfn));
	assert_int_equal(pfn, 7);
	/* swapped, not present */
	assert_false(po_pagemap_pfn((1ULL << 62) | 0x99, &pfn));
	/* without CAP_SYS_ADMIN: present, frame 0 */
	assert_true(po_pagemap_pfn(1ULL << 63, &pfn));
	assert_int_equal(pfn, 0);
}

static void test_memory_blocks_of_two_nodes(void **state)
{
	int *nodes = NULL;
	size_t n = 0;
	uint64_t bs = 0;

	(void)state;
	assert_int_equal(po_read_blocks(FIX "two-nodes", &nodes, &n, &bs), 0);
	assert_int_equal(bs, 0x8000000);
	assert_int_equal(n, 10);
	for (int i = 0; i < 4; i++)
		assert_int_equal(nodes[i], 0);
	for (int i = 4; i < 7; i++)
		assert_int_equal(nodes[i], 1);
	/* a hole in the numbering, and an offline block without a node */
	assert_int_equal(nodes[7], PO_NODE_UNKNOWN);
	assert_int_equal(nodes[9], PO_NODE_UNKNOWN);
	free(nodes);
}

static void test_memory_blocks_missing(void **state)
{
	int *nodes = NULL;
	size_t n = 0;
	uint64_t bs = 0;

	(void)state;
	assert_int_equal(po_read_blocks(FIX "nope", &nodes, &n, &bs), -ENOENT);
	assert_null(nodes);
}

static void test_tally_adds_per_pair(void **state)
{
	struct po_tally t = { 0 };

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(po_tally_add(&t, i % 5, i % 2, 4096), 0);
	assert_int_equal(po_tally_add(&t, PO_CGROUP_GONE, PO_NODE_UNKNOWN, 1),
			 0);
	assert_int_equal(t.n, 11);
	assert_int_equal(t.resident, 100 * 4096 + 1);
	for (size_t i = 0; i < t.n; i++)
		if (t.c[i].cgroup >= 0)
			assert_int_equal(t.c[i].bytes, 10 * 4096);
	po_tally_free(&t);
	assert_int_equal(t.n, 0);
}

/*
 * A file read in part, with ranges: one pass tallies the pages the ranges
 * touch and, apart, the resident rest; each tally gets the file's size.
 */
static void test_file_split_by_ranges(void **state)
{
	/* not /tmp: a tmpfs cannot drop its pages */
	char path[] = "/var/tmp/test_pageowner.XXXXXX";
	/* pages 10, 11 and 20..24 */
	uint64_t r[][2] = { { 0, 12 * 4096 }, { 20 * 4096 + 100, 25 * 4096 } };
	struct fs_ranges only = { r, 2 };
	struct po_tally t = { 0 }, rest = { 0 };
	struct pageowner *po = NULL;

	(void)state;
	partfile_make(path);
	assert_int_equal(pageowner_new("/sys/devices/system/memory", NULL, &po),
			 0);
	assert_int_equal(pageowner_file(po, path, &only, &t, &rest), 0);
	assert_int_equal(t.resident, 7 * 4096);
	assert_int_equal(rest.resident, 13 * 4096);
	assert_int_equal(t.size, 1 << 20);
	assert_int_equal(rest.size, 1 << 20);
	po_tally_free(&t);
	po_tally_free(&rest);
	/* without rest, only the ranges; without ranges, all */
	assert_int_equal(pageowner_file(po, path, &only, &t, NULL), 0);
	assert_int_equal(t.resident, 7 * 4096);
	po_tally_free(&t);
	assert_int_equal(pageowner_file(po, path, NULL, &t, &rest), 0);
	assert_int_equal(t.resident, 20 * 4096);
	assert_int_equal(rest.resident, 0);
	po_tally_free(&t);
	pageowner_free(po);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pagemap_entry),
		cmocka_unit_test(test_memory_blocks_of_two_nodes),
		cmocka_unit_test(test_memory_blocks_missing),
		cmocka_unit_test(test_tally_adds_per_pair),
		cmocka_unit_test(test_file_split_by_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
