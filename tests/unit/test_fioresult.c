// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fioresult.h"
#include "util.h"

static struct fio_result *parse_fixture(const char *name)
{
	char path[512];
	char *text = NULL;
	struct fio_result *r = NULL;

	snprintf(path, sizeof(path), "%s/fio/%s", FIXTURES, name);
	assert_int_equal(read_full_file(path, 1 << 24, &text, NULL), 0);
	assert_int_equal(fioresult_parse(text, &r), 0);
	free(text);
	return r;
}

/* Two fio servers; text precedes the JSON; "All clients" is skipped. */
static void test_client_two_hosts(void **state)
{
	struct fio_result *r = parse_fixture("client-2hosts.json");
	const char *hosts[8];
	const struct fio_jobres *j;

	assert_int_equal(r->n, 8);
	assert_int_equal(fioresult_hosts(r, hosts, 8), 2);
	assert_string_equal(hosts[0], "127.0.0.1:18821");
	assert_string_equal(hosts[1], "127.0.0.1:18822");
	j = fioresult_find(r, "127.0.0.1:18822", "private-hot");
	assert_non_null(j);
	assert_int_equal(j->ios, 19203);
	assert_int_equal(j->error, 0);
	assert_true(j->iops > 9591 && j->iops < 9592);
	assert_int_equal((int)j->p50_ns, 92672);
	assert_int_equal((int)j->p99_ns, 261120);
	assert_int_equal(fioresult_host_ios(r, "127.0.0.1:18821"),
			 6391 + 1598 + 19171 + 4793);
	assert_null(fioresult_find(r, "127.0.0.1:18821", "All clients"));
	fioresult_free(r);
}

static void test_client_one_host(void **state)
{
	struct fio_result *r = parse_fixture("client-2jobs.json");

	assert_int_equal(r->n, 2);
	assert_string_equal(r->jobs[0].host, "127.0.0.1:18811");
	assert_int_equal(r->jobs[0].ios, 11445);
	assert_int_equal(r->jobs[1].ios, 3816);
	fioresult_free(r);
}

/* A local run with a missing file: fio's warning line, then the JSON. */
static void test_local_with_leading_text(void **state)
{
	struct fio_result *r = parse_fixture("local-missing-file.json");
	const struct fio_jobres *j;

	assert_int_equal(r->n, 4);
	assert_string_equal(r->jobs[0].host, "local");
	j = fioresult_find(r, "local", "private-cold");
	assert_non_null(j);
	assert_int_equal(j->error, 2);
	fioresult_free(r);
}

#define DIR(ios, bytes, p99)                                               \
	"{\"total_ios\": " #ios ", \"io_bytes\": " #bytes                  \
	", \"clat_ns\": {\"mean\": 1, \"percentile\": {\"50.000000\": 1, " \
	"\"99.000000\": " #p99 "}}}"

/*
 * Latencies of the reads whenever there are any (not of the direction
 * one I/O ahead); bytes read apart from all bytes.
 */
static void test_read_latency_and_bytes(void **state)
{
	struct fio_result *r = NULL;
	const char *json =
		"{\"jobs\": [{\"jobname\": \"rw\", \"read\": " DIR(100, 1000, 500) ", \"write\": " DIR(
			101, 2000,
			5000) "}, {\"jobname\": \"w\", \"write\": " DIR(7, 3000,
									900) "}]}";

	assert_int_equal(fioresult_parse(json, &r), 0);
	assert_int_equal(r->jobs[0].ios, 201);
	assert_int_equal(r->jobs[0].bytes, 3000);
	assert_int_equal(r->jobs[0].read_bytes, 1000);
	assert_int_equal((int)r->jobs[0].p99_ns, 500);
	assert_int_equal(r->jobs[1].read_bytes, 0);
	assert_int_equal((int)r->jobs[1].p99_ns, 900);
	fioresult_free(r);
}

static void test_garbage_is_rejected(void **state)
{
	struct fio_result *r = NULL;

	assert_int_equal(fioresult_parse("fio: nothing\n", &r), -EBADMSG);
	assert_int_equal(fioresult_parse("{\"x\": 1}", &r), -EBADMSG);
	assert_int_equal(fioresult_parse("{\"jobs\": [", &r), -EBADMSG);
	assert_int_equal(fioresult_parse("{\"jobs\": []}", &r), -EBADMSG);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_two_hosts),
		cmocka_unit_test(test_client_one_host),
		cmocka_unit_test(test_local_with_leading_text),
		cmocka_unit_test(test_read_latency_and_bytes),
		cmocka_unit_test(test_garbage_is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
