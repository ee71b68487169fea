// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "numastat.h"
#include "util.h"

#define FIX FIXTURES "/numastat/"

static void parse_file(struct numastat *ns, const char *name, uint64_t page)
{
	_cleanup_free_ char *text = NULL;
	struct error err = { 0 };
	size_t len;

	assert_int_equal(read_full_file(name, 1 << 20, &text, &len), 0);
	assert_int_equal(numastat_parse(ns, text, len, page, &err), 0);
}

static uint64_t node_value(const struct numastat *ns,
			   const struct numastat_stat *st, unsigned id)
{
	const struct numastat_node *n = numastat_nodes(ns, st);

	for (size_t i = 0; i < st->n_nodes; i++)
		if (n[i].id == id)
			return n[i].value;
	fail_msg("%s has no N%u", st->key, id);
	return 0;
}

static void test_v1_real_file_in_pages(void **state)
{
	struct numastat ns;
	const struct numastat_stat *st;

	numastat_init(&ns);
	parse_file(&ns, FIX "v1-root-debian12.txt", 4096);
	assert_true(ns.v1);
	assert_int_equal(ns.n_stats, 8);
	st = numastat_find(&ns, "file");
	assert_non_null(st);
	assert_true(st->kernel_total);
	assert_int_equal(st->unit, NUMASTAT_BYTES);
	assert_true(st->total == 45ULL * 4096);
	assert_true(node_value(&ns, st, 0) == 45ULL * 4096);
	st = numastat_find(&ns, "hierarchical_file");
	assert_non_null(st);
	assert_true(st->total == 285800ULL * 4096);
	/* same text, other page size: the remote host's */
	parse_file(&ns, FIX "v1-root-debian12.txt", 65536);
	assert_true(numastat_find(&ns, "anon")->total == 374ULL * 65536);
	numastat_free(&ns);
}

static void test_v1_kernel_total_kept(void **state)
{
	struct numastat ns;
	const struct numastat_stat *st;
	const char *t = "total=10 N0=3 N1=3\n";

	/* the kernel's total wins even when nodes do not add up to it */
	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, t, strlen(t), 4096, NULL), 0);
	st = numastat_find(&ns, "total");
	assert_true(st->total == 40960);
	assert_int_equal(st->n_nodes, 2);
	numastat_free(&ns);
}

static void test_v1_crlf_two_nodes_no_final_newline(void **state)
{
	struct numastat ns;
	const struct numastat_stat *st;

	numastat_init(&ns);
	parse_file(&ns, FIX "v1-two-nodes-crlf-noeol.txt", 4096);
	assert_int_equal(ns.n_stats, 8);
	st = numastat_find(&ns, "hierarchical_unevictable");
	assert_non_null(st);
	assert_true(st->total == 4096);
	st = numastat_find(&ns, "file");
	assert_true(node_value(&ns, st, 1) == 6 * 4096);
	numastat_free(&ns);
}

static void test_v2_bytes_and_counts(void **state)
{
	struct numastat ns;
	const struct numastat_stat *st;

	numastat_init(&ns);
	parse_file(&ns, FIX "v2-6.1-two-nodes.txt", 4096);
	assert_false(ns.v1);
	assert_int_equal(ns.n_stats, 26);
	st = numastat_find(&ns, "file");
	assert_false(st->kernel_total);
	assert_int_equal(st->unit, NUMASTAT_BYTES);
	/* bytes as given, page size not applied */
	assert_true(node_value(&ns, st, 1) == 50331648);
	assert_true(st->total == 50331648 + 4096);
	st = numastat_find(&ns, "workingset_refault_file");
	assert_int_equal(st->unit, NUMASTAT_COUNT);
	assert_true(st->total == 3);
	/* order kept as in the file */
	assert_string_equal(ns.stats[0].key, "anon");
	assert_string_equal(ns.stats[25].key, "workingset_nodereclaim");
	numastat_free(&ns);
}

static void test_v2_one_node_large_values(void **state)
{
	struct numastat ns;

	numastat_init(&ns);
	parse_file(&ns, FIX "v2-6.1-one-node.txt", 4096);
	assert_true(numastat_find(&ns, "file")->total == 4386816000ULL);
	assert_true(numastat_find(&ns, "shmem")->total == 3221225472ULL);
	numastat_free(&ns);
}

static void test_v2_unknown_keys_kept(void **state)
{
	struct numastat ns;
	const struct numastat_stat *st;

	numastat_init(&ns);
	parse_file(&ns, FIX "v2-future-keys.txt", 4096);
	assert_int_equal(ns.n_stats, 35);
	st = numastat_find(&ns, "frobnicated_bytes");
	assert_non_null(st);
	assert_int_equal(st->unit, NUMASTAT_BYTES);
	assert_true(st->total == 12288);
	st = numastat_find(&ns, "pgpromote_success");
	assert_int_equal(st->unit, NUMASTAT_COUNT);
	assert_true(node_value(&ns, st, 1) == 7);
	assert_int_equal(numastat_find(&ns, "pgdemote_kswapd")->unit,
			 NUMASTAT_COUNT);
	assert_int_equal(numastat_find(&ns, "hugetlb")->unit, NUMASTAT_BYTES);
	assert_int_equal(numastat_find(&ns, "sec_pagetables")->unit,
			 NUMASTAT_BYTES);
	numastat_free(&ns);
}

static void test_sparse_node_ids(void **state)
{
	struct numastat ns;
	const char *t = "file N0=1 N3=2 N17=4\n";

	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, t, strlen(t), 4096, NULL), 0);
	assert_true(node_value(&ns, &ns.stats[0], 17) == 4);
	assert_true(ns.stats[0].total == 7);
	numastat_free(&ns);
}

static void expect_error(const char *text, int r, const char *msg)
{
	struct numastat ns;
	struct error err = { 0 };

	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, text, strlen(text), 4096, &err),
			 r);
	assert_non_null(strstr(err.msg, msg));
	assert_int_equal(ns.n_stats, 0);
	numastat_free(&ns);
}

static void test_errors_name_line_and_value(void **state)
{
	expect_error("file N0=1\nanon N0=x\n", -EINVAL, "line 2: anon");
	expect_error("file N0=1\nanon N0=\n", -EINVAL, "line 2: anon");
	expect_error("file N0=1\nanon\n", -EINVAL, "anon: no values");
	expect_error("file N0=1 N0=2\n", -EINVAL, "N0 given twice");
	expect_error("file N0=1\nfile N0=2\n", -EINVAL, "file given twice");
	expect_error("file=\n", -EINVAL, "bad total");
	expect_error("file N0=1 X1=2\n", -EINVAL, "expected N<node>");
	expect_error("fi;le N0=1\n", -EINVAL, "bad character");
	expect_error("\x01\x02garbage\n", -EINVAL, "line 1: expected a key");
	expect_error("file N99999=1\n", -EINVAL, "bad node");
	expect_error("file N=1\n", -EINVAL, "bad node");
	expect_error("file N0\n", -EINVAL, "bad node");
}

static void test_overflow_is_an_error(void **state)
{
	/* 2^64 */
	expect_error("file N0=18446744073709551616\n", -ERANGE, "file");
	/* fits, but the sum over nodes does not */
	expect_error("file N0=18446744073709551615 N1=1\n", -ERANGE,
		     "sum over nodes");
	/* fits in pages, not in bytes */
	expect_error("file=4503599627370496 N0=1\n", -ERANGE, "bad total");
	expect_error("file=1 N0=4503599627370496\n", -ERANGE, "N0");
}

static void test_max_value_fits(void **state)
{
	struct numastat ns;
	const char *t = "file N0=18446744073709551615\n";

	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, t, strlen(t), 4096, NULL), 0);
	assert_true(ns.stats[0].total == UINT64_MAX);
	numastat_free(&ns);
}

static void test_empty_and_blank_lines(void **state)
{
	struct numastat ns;
	const char *t = "\n  \nfile N0=1  N1=2 \n\r\n";

	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, "", 0, 4096, NULL), 0);
	assert_int_equal(ns.n_stats, 0);
	assert_int_equal(numastat_parse(&ns, t, strlen(t), 4096, NULL), 0);
	assert_int_equal(ns.n_stats, 1);
	assert_true(ns.stats[0].total == 3);
	numastat_free(&ns);
}

static void test_truncated_text_parses_what_is_whole(void **state)
{
	struct numastat ns;
	const char *t = "file N0=10\nanon N0=";

	numastat_init(&ns);
	/* a line cut inside a key=value is rejected as a whole */
	assert_int_equal(numastat_parse(&ns, t, strlen(t), 4096, NULL),
			 -EINVAL);
	/* len is honoured: no NUL needed, nothing read past it */
	assert_int_equal(numastat_parse(&ns, t, 11, 4096, NULL), 0);
	assert_int_equal(ns.n_stats, 1);
	numastat_free(&ns);
}

static void test_reuse_does_not_leak_old_stats(void **state)
{
	struct numastat ns;
	const char *a = "file N0=1\nanon N0=2\nshmem N0=3\n";
	const char *b = "file N0=5\n";

	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, a, strlen(a), 4096, NULL), 0);
	assert_int_equal(numastat_parse(&ns, b, strlen(b), 4096, NULL), 0);
	assert_int_equal(ns.n_stats, 1);
	assert_null(numastat_find(&ns, "anon"));
	assert_true(numastat_find(&ns, "file")->total == 5);
	numastat_free(&ns);
}

static void test_many_keys_and_nodes_grow(void **state)
{
	struct numastat ns;
	_cleanup_free_ char *t = malloc(200 * 64 * 16);
	size_t n = 0;

	assert_non_null(t);
	for (int k = 0; k < 200; k++) {
		n += (size_t)sprintf(t + n, "key%d", k);
		for (int i = 0; i < 64; i++)
			n += (size_t)sprintf(t + n, " N%d=%d", i, i);
		t[n++] = '\n';
	}
	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, t, n, 4096, NULL), 0);
	assert_int_equal(ns.n_stats, 200);
	assert_true(numastat_find(&ns, "key199")->total == 63 * 64 / 2);
	numastat_free(&ns);
}

/* Binary input never reaches the message raw: \xHH instead. */
static void test_garbage_is_escaped_in_messages(void **state)
{
	struct numastat ns;
	struct error err = { 0 };
	const char a[] = "\xff\x01key=1 N0=1\n";
	const char b[] = "fi\x1b[2Jle=1 N0=1\n";

	(void)state;
	numastat_init(&ns);
	assert_int_equal(numastat_parse(&ns, a, sizeof(a) - 1, 4096, &err),
			 -EINVAL);
	assert_string_equal(
		err.msg, "line 1: expected a key, got '\\xff\\x01key=1 N0=1'");
	assert_int_equal(numastat_parse(&ns, b, sizeof(b) - 1, 4096, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "line 1: bad character '\\x1b' in key");
	numastat_free(&ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_real_file_in_pages),
		cmocka_unit_test(test_v1_kernel_total_kept),
		cmocka_unit_test(test_v1_crlf_two_nodes_no_final_newline),
		cmocka_unit_test(test_v2_bytes_and_counts),
		cmocka_unit_test(test_v2_one_node_large_values),
		cmocka_unit_test(test_v2_unknown_keys_kept),
		cmocka_unit_test(test_sparse_node_ids),
		cmocka_unit_test(test_errors_name_line_and_value),
		cmocka_unit_test(test_overflow_is_an_error),
		cmocka_unit_test(test_max_value_fits),
		cmocka_unit_test(test_empty_and_blank_lines),
		cmocka_unit_test(test_garbage_is_escaped_in_messages),
		cmocka_unit_test(test_truncated_text_parses_what_is_whole),
		cmocka_unit_test(test_reuse_does_not_leak_old_stats),
		cmocka_unit_test(test_many_keys_and_nodes_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
