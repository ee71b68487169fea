// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fiover.h"
#include "spawn.h"
#include "util.h"

#define QFIX FIXTURES "/qemu/"

static char dir[] = "/tmp/daxlab-test-fiover.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };
	_cleanup_free_ char *out = NULL;
	int ex;

	(void)state;
	return spawn_capture(argv, true, 4096, &out, &ex) == 0 && ex == 0 ? 0 :
									    -1;
}

/* An executable script dir/name with body. */
static char *script(const char *name, const char *body)
{
	char *path = strdup_printf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static void test_parse(void **state)
{
	_cleanup_free_ char *a = NULL, *b = NULL;
	char v[64];

	(void)state;
	assert_int_equal(
		read_full_file(QFIX "fio-3.33.version", 4096, &a, NULL), 0);
	assert_int_equal(
		read_full_file(QFIX "fio-3.39.version", 4096, &b, NULL), 0);
	assert_int_equal(fiover_parse(a, v, sizeof(v)), 0);
	assert_string_equal(v, "fio-3.33");
	assert_int_equal(fiover_parse(b, v, sizeof(v)), 0);
	assert_string_equal(v, "fio-3.39");
	/* after other lines, with spaces and CRLF */
	assert_int_equal(
		fiover_parse("Warning: x\n  fio-3.99 \r\n", v, sizeof(v)), 0);
	assert_string_equal(v, "fio-3.99");
	assert_int_equal(fiover_parse("sh: fio: not found\n", v, sizeof(v)),
			 -EINVAL);
	assert_int_equal(fiover_parse("", v, sizeof(v)), -EINVAL);
	assert_int_equal(fiover_parse("fio-\n", v, sizeof(v)), -EINVAL);
	/* too long for the buffer: not cut into another version */
	assert_int_equal(fiover_parse("fio-3.33.1234567890\n", v, 10), -EINVAL);
}

static void test_compare_names_vm_and_both_versions(void **state)
{
	struct vm_config vm = { .id = "1", .name = "vm1" };
	struct error err = { 0 };

	(void)state;
	assert_int_equal(
		fiover_compare(&vm, "fio-3.33", "fio", "fio-3.33", &err), 0);
	assert_int_equal(fiover_compare(&vm, "fio-3.33", "/usr/bin/fio",
					"fio-3.39", &err),
			 -EPROTO);
	assert_string_equal(
		err.msg,
		"vm 1: the guest's fio is fio-3.33, this host's (/usr/bin/fio) is fio-3.39; fio's client and server must be the same version: rebuild the tiny guest on this host (daxlab guest build), or install fio-3.39 in the VM's image");
}

static void test_host(void **state)
{
	_cleanup_free_ char *good = script("fio-good", "echo fio-3.99");
	_cleanup_free_ char *bad = script("fio-bad", "echo hello; exit 3");
	_cleanup_free_ char *missing = strdup_printf("%s/nope", dir);
	char v[64];
	struct error err = { 0 };

	(void)state;
	assert_int_equal(fiover_host(good, v, sizeof(v), &err), 0);
	assert_string_equal(v, "fio-3.99");
	assert_int_equal(fiover_host(bad, v, sizeof(v), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "exited 3 and said 'hello'"));
	assert_int_equal(fiover_host(missing, v, sizeof(v), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_non_null(strstr(err.msg, missing));
}

/* One VM's fio version, through fiover_check_vms(). */
static int fiover_guest(const char *cfg, struct vm_config *vm, char *ret,
			size_t len, struct error *err)
{
	struct fiover_vm r = { .vm = vm };

	fiover_check_vms(cfg, "fio", "fio-3.99", &r, 1);
	snprintf(ret, len, "%s", r.version);
	*err = r.err;
	return r.r;
}

/*
 * The guests' fio versions, with an ssh in PATH that answers as a guest would: the
 * words it got go to dir/args, and it answers by the host name.
 */
static void test_guest_answers(void **state)
{
	_cleanup_free_ char *ssh = script(
		"ssh",
		"for a; do printf '%s\\n' \"$a\"; done >\"${0%/*}/args\"\n"
		"case \"$*\" in\n"
		"*' vm0 -- fio --version') echo fio-3.99 ;;\n"
		"*' vm1 -- fio --version') echo 'sh: fio: not found' >&2; exit 127 ;;\n"
		"*' vm2 -- fio --version') echo 'ssh: connect to host 127.0.0.1 port 2: Connection refused' >&2; exit 255 ;;\n"
		"*) echo 'Segmentation fault'; exit 139 ;;\n"
		"esac");
	_cleanup_free_ char *args = strdup_printf("%s/args", dir);
	_cleanup_free_ char *text = NULL;
	const char *path = getenv("PATH");
	_cleanup_free_ char *old = strdup(path ? path : "/usr/bin:/bin");
	_cleanup_free_ char *newpath = strdup_printf("%s:%s", dir, old);
	_cleanup_free_ char *cfg = strdup_printf("%s/ssh_config", dir);
	struct vm_config vm = { .id = "0", .name = "vm0" };
	char v[64];
	struct error err = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(ssh);
	/* no ssh_config: no VM was started */
	assert_int_equal(fiover_guest(cfg, &vm, v, sizeof(v), &err),
			 -EHOSTUNREACH);
	assert_non_null(strstr(err.msg, "ssh_config: No such file or directory "
					"(daxlab vm start writes it)"));
	f = fopen(cfg, "w");
	assert_non_null(f);
	fclose(f);
	setenv("PATH", newpath, 1);
	assert_int_equal(fiover_guest(cfg, &vm, v, sizeof(v), &err), 0);
	assert_string_equal(v, "fio-3.99");
	/* -F the lab's ssh_config, the VM's Host name, one remote command */
	assert_int_equal(read_full_file(args, 4096, &text, NULL), 0);
	assert_non_null(strstr(text, "-F\n"));
	assert_non_null(strstr(text, cfg));
	assert_non_null(strstr(text, "BatchMode=yes\n"));
	assert_non_null(strstr(text, "\nvm0\n--\nfio --version\n"));
	/* all at once, each its own answer */
	{
		struct vm_config vms[4] = { { .id = "0", .name = "vm0" },
					    { .id = "1", .name = "vm1" },
					    { .id = "2", .name = "vm2" },
					    { .id = "9", .name = "vm0" } };
		struct fiover_vm res[4] = { { .vm = &vms[0] },
					    { .vm = &vms[1] },
					    { .vm = &vms[2] },
					    { .vm = &vms[3] } };

		fiover_check_vms(cfg, "fio", "fio-3.99", res, 4);
		assert_int_equal(res[0].r, 0);
		assert_string_equal(res[0].version, "fio-3.99");
		assert_int_equal(res[1].r, -ENOENT);
		assert_string_equal(res[1].version, "missing");
		assert_non_null(strstr(res[1].err.msg,
				       "vm 1: no fio in the guest (ssh vm1 fio "
				       "--version: 'sh: fio: not found')"));
		assert_non_null(strstr(res[1].err.msg, "daxlab guest build"));
		assert_int_equal(res[2].r, -EHOSTUNREACH);
		assert_string_equal(res[2].version, "unknown");
		assert_non_null(strstr(res[2].err.msg,
				       "vm 2: cannot ask the guest for its fio "
				       "version: ssh -F "));
		assert_non_null(strstr(res[2].err.msg,
				       "ssh_config vm2 failed (exit 255): ssh: "
				       "connect to host"));
		assert_int_equal(res[3].r, 0);
		fiover_check_vms(cfg, "fio", "fio-3.33", res, 1);
		assert_int_equal(res[0].r, -EPROTO);
		assert_non_null(strstr(res[0].err.msg,
				       "vm 0: the guest's fio is "
				       "fio-3.99, this host's (fio) "
				       "is fio-3.33"));
	}

	vm.id = "3", vm.name = "vm3";
	assert_int_equal(fiover_guest(cfg, &vm, v, sizeof(v), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "vm 3: 'fio --version' in the guest "
					"exited 139 and said 'Segmentation "
					"fault'"));
	setenv("PATH", old, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_compare_names_vm_and_both_versions),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_guest_answers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
