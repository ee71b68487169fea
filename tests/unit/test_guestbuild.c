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
#include <sys/wait.h>
#include <unistd.h>

#include "guestbuild.h"
#include "util.h"

#define MODDIR FIXTURES "/guest/modules"

static size_t index_of(char **v, const char *s)
{
	for (size_t i = 0; v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return i;
	fail_msg("%s not in the list", s);
	return 0;
}

static size_t count(char **v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

static void test_modules_dependencies_first(void **state)
{
	const char *roots[] = { "virtio_pci", "virtiofs", "nd_pmem", "ext4",
				NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(guest_modules_order(MODDIR, roots, &v, &err), 0);
	/* every module once */
	assert_int_equal(count(v), 14);
	assert_true(index_of(v, "kernel/drivers/virtio/virtio_ring.ko") <
		    index_of(v, "kernel/drivers/virtio/virtio.ko"));
	assert_true(index_of(v, "kernel/drivers/virtio/virtio.ko") <
		    index_of(v, "kernel/drivers/virtio/virtio_pci.ko"));
	assert_true(index_of(v, "kernel/fs/fuse/fuse.ko") <
		    index_of(v, "kernel/fs/fuse/virtiofs.ko"));
	assert_true(index_of(v, "kernel/drivers/nvdimm/libnvdimm.ko") <
		    index_of(v, "kernel/drivers/nvdimm/nd_btt.ko"));
	assert_true(index_of(v, "kernel/drivers/nvdimm/nd_btt.ko") <
		    index_of(v, "kernel/drivers/nvdimm/nd_pmem.ko"));
	assert_true(index_of(v, "kernel/fs/jbd2/jbd2.ko.xz") <
		    index_of(v, "kernel/fs/ext4/ext4.ko.xz"));
	/* the roots in the order given */
	assert_true(index_of(v, "kernel/drivers/virtio/virtio_pci.ko") <
		    index_of(v, "kernel/fs/fuse/virtiofs.ko"));
	strv_free(v);
}

static void test_modules_dash_and_underscore_are_one_name(void **state)
{
	const char *roots[] = { "net_failover", NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(guest_modules_order(MODDIR, roots, &v, &err), 0);
	assert_int_equal(count(v), 2);
	assert_string_equal(v[0], "kernel/net/core/failover.ko");
	assert_string_equal(v[1], "kernel/drivers/net/net-failover.ko");
	strv_free(v);
}

static void test_modules_builtin_is_skipped(void **state)
{
	const char *roots[] = { "dax", "fuse", NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(guest_modules_order(MODDIR, roots, &v, &err), 0);
	assert_int_equal(count(v), 1);
	assert_string_equal(v[0], "kernel/fs/fuse/fuse.ko");
	strv_free(v);
}

static bool roots_have(const char *name)
{
	for (size_t i = 0; guest_module_roots[i]; i++)
		if (strcmp(guest_module_roots[i], name) == 0)
			return true;
	return false;
}

/* QMP system_powerdown reaches acpid through button and evdev. */
static void test_modules_power_button_is_loaded(void **state)
{
	assert_true(roots_have("button"));
	assert_true(roots_have("evdev"));
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* CONFIG_ACPI_BUTTON=y, CONFIG_INPUT_EVDEV=m: only evdev is loaded. */
static void test_modules_power_button_built_in(void **state)
{
	const char *roots[] = { "button", "evdev", NULL };
	char dir[] = "/tmp/daxlab-test-moddir.XXXXXX", path[512];
	struct error err = { 0 };
	char **v = NULL;

	assert_non_null(mkdtemp(dir));
	write_text(dir, "modules.dep", "kernel/drivers/input/evdev.ko:\n");
	write_text(dir, "modules.builtin", "kernel/drivers/acpi/button.ko\n");
	assert_int_equal(guest_modules_order(dir, roots, &v, &err), 0);
	assert_int_equal(count(v), 1);
	assert_string_equal(v[0], "kernel/drivers/input/evdev.ko");
	strv_free(v);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/modules.builtin", dir);
	unlink(path);
	rmdir(dir);
}

/* crc32c_generic in older kernels, crc32c-cryptoapi in newer: either */
static void test_modules_alternatives(void **state)
{
	const char *roots[] = { "crc32c_generic|crc32c_cryptoapi", NULL };
	char dir[] = "/tmp/daxlab-test-moddir.XXXXXX", path[512];
	struct error err = { 0 };
	char **v = NULL;

	assert_non_null(mkdtemp(dir));
	write_text(dir, "modules.dep", "kernel/crypto/crc32c-cryptoapi.ko:\n");
	assert_int_equal(guest_modules_order(dir, roots, &v, &err), 0);
	assert_int_equal(count(v), 1);
	assert_string_equal(v[0], "kernel/crypto/crc32c-cryptoapi.ko");
	strv_free(v);
	/* both: the first */
	write_text(dir, "modules.dep",
		   "kernel/crypto/crc32c-cryptoapi.ko:\n"
		   "kernel/crypto/crc32c_generic.ko:\n");
	assert_int_equal(guest_modules_order(dir, roots, &v, &err), 0);
	assert_int_equal(count(v), 1);
	assert_string_equal(v[0], "kernel/crypto/crc32c_generic.ko");
	strv_free(v);
	/* neither: named as the list says */
	write_text(dir, "modules.dep", "kernel/fs/ext4/ext4.ko:\n");
	v = NULL;
	assert_int_equal(guest_modules_order(dir, roots, &v, &err), -ENOENT);
	assert_non_null(
		strstr(err.msg, "no module crc32c_generic|crc32c_cryptoapi"));
	assert_null(v);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	unlink(path);
	rmdir(dir);
	(void)state;
}

static void test_modules_unknown_root_is_named(void **state)
{
	const char *roots[] = { "fuse", "no_such_module", NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(guest_modules_order(MODDIR, roots, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no_such_module"));
	assert_null(v);
}

static void test_modules_missing_dependency_is_named(void **state)
{
	const char *roots[] = { "broken", NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(guest_modules_order(MODDIR, roots, &v, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "kernel/drivers/missing.ko"));
}

static void test_modules_no_modules_dep(void **state)
{
	const char *roots[] = { "fuse", NULL };
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(
		guest_modules_order(FIXTURES "/guest/nowhere", roots, &v, &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "modules.dep"));
}

static void test_newest_kernel_by_version(void **state)
{
	char *k = NULL;

	assert_int_equal(guest_newest_kernel(FIXTURES "/guest/boot", &k), 0);
	assert_string_equal(k, FIXTURES "/guest/boot/vmlinuz-6.1.0-10-amd64");
	free(k);
	assert_int_equal(guest_newest_kernel(FIXTURES "/guest/modules", &k),
			 -ENOENT);
}

static void test_kernel_release_from_name(void **state)
{
	char *r = NULL;

	/* an empty file has no bzImage header: the name tells */
	assert_int_equal(
		guest_kernel_release(
			FIXTURES "/guest/boot/vmlinuz-6.1.0-9-amd64", &r),
		0);
	assert_string_equal(r, "6.1.0-9-amd64");
	free(r);
	assert_int_equal(
		guest_kernel_release(
			FIXTURES "/guest/boot/config-6.1.0-99-amd64", &r),
		-EINVAL);
}

static void test_ldd_parse(void **state)
{
	_cleanup_free_ char *out = NULL;
	struct error err = { 0 };
	char **v = NULL;
	size_t len;

	assert_int_equal(read_full_file(FIXTURES "/guest/ldd-fio.txt", 1 << 16,
					&out, &len),
			 0);
	assert_int_equal(guest_ldd_parse(out, &v, &err), 0);
	assert_int_equal(count(v), 5);
	assert_string_equal(v[0], "/lib/x86_64-linux-gnu/libnuma.so.1");
	assert_string_equal(v[3], "/lib64/ld-linux-x86-64.so.2");
	assert_string_equal(
		v[4], "/usr/lib/x86_64-linux-gnu/ceph/libceph-common.so.2");
	strv_free(v);
}

static void test_ldd_not_found_is_named(void **state)
{
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(
		guest_ldd_parse("\tlibfoo.so.3 => not found\n", &v, &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "libfoo.so.3"));
}

static void test_ldd_static(void **state)
{
	struct error err = { 0 };
	char **v = NULL;

	assert_int_equal(
		guest_ldd_parse("\tnot a dynamic executable\n", &v, &err), 0);
	assert_null(v[0]);
	strv_free(v);
}

static void test_sha256_vectors(void **state)
{
	char h[65];

	guest_sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
			       "27ae41e4649b934ca495991b7852b855");
	guest_sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
			       "b00361a396177a9cb410ff61f20015ad");
	/* two blocks */
	guest_sha256_hex(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039"
			       "a33ce45964ff2167f6ecedd419db06c1");
}

static void test_extra_parse_host_only(void **state)
{
	struct error err = { 0 };
	char *host = NULL, *guest = NULL;

	assert_int_equal(
		guest_extra_parse("/usr/bin/daxlab", &host, &guest, &err), 0);
	assert_string_equal(host, "/usr/bin/daxlab");
	assert_null(guest);
	free(host);
}

static void test_extra_parse_host_and_guest(void **state)
{
	struct error err = { 0 };
	char *host = NULL, *guest = NULL;

	assert_int_equal(guest_extra_parse("build/daxlab:/usr/bin/daxlab",
					   &host, &guest, &err),
			 0);
	assert_string_equal(host, "build/daxlab");
	assert_string_equal(guest, "/usr/bin/daxlab");
	free(host);
	free(guest);
	/* split at the first ':', the rest is the guest path */
	assert_int_equal(guest_extra_parse("a:/b:c", &host, &guest, &err), 0);
	assert_string_equal(host, "a");
	assert_string_equal(guest, "/b:c");
	free(host);
	free(guest);
}

static void test_extra_parse_refuses_bad_paths(void **state)
{
	static const char *const bad[] = {
		"",	   ":/x",	 "a:",	  "a:rel/x", "a:/",
		"a://",	   "a:/x/../y", "a:/./x", "a:/x/..", "a:/x/",
	};
	struct error err = { 0 };
	char *host = NULL, *guest = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(guest_extra_parse(bad[i], &host, &guest, &err),
				 -EINVAL);
		/* the message quotes the argument */
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

/*
 * VMs start in parallel, each in its own process, and each image VM asks
 * for the lab's key: the first time, one makes it and all get the same
 * public key (two at once made ssh-keygen fail with "already exists").
 */
static void test_lab_key_made_once_by_parallel_callers(void **state)
{
	enum { KIDS = 8, ROUNDS = 4 };

	(void)state;
	for (int round = 0; round < ROUNDS; round++) {
		char dir[] = "/tmp/daxlab-test-key.XXXXXX";
		int go[2], res[2], st;
		_cleanup_free_ char *key = NULL, *mine = NULL;
		struct error err = { 0 };
		char buf[KIDS][512];

		assert_non_null(mkdtemp(dir));
		key = strdup_printf("%s/id_ed25519", dir);
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(res), 0);
		for (int i = 0; i < KIDS; i++) {
			pid_t pid = fork();
			char c, out[512] = "";

			assert_true(pid >= 0);
			if (pid)
				continue;
			close(go[1]);
			/* all at once, when the pipe closes */
			(void)!read(go[0], &c, 1);
			if (guest_lab_key(key, &mine, &err) == 0)
				snprintf(out, sizeof(out), "%s", mine);
			else
				snprintf(out, sizeof(out), "error: %.490s",
					 err.msg);
			(void)!write(res[1], out, sizeof(out));
			_exit(0);
		}
		close(go[0]);
		close(res[1]);
		close(go[1]);
		for (int i = 0; i < KIDS; i++)
			assert_int_equal(read(res[0], buf[i], sizeof(buf[i])),
					 sizeof(buf[i]));
		close(res[0]);
		while (wait(&st) > 0)
			;
		assert_int_equal(guest_lab_key(key, &mine, &err), 0);
		assert_non_null(strstr(mine, "ssh-ed25519 "));
		for (int i = 0; i < KIDS; i++)
			assert_string_equal(buf[i], mine);
		free(mine);
		mine = strdup_printf("%s.pub", key);
		assert_int_equal(unlink(key), 0);
		assert_int_equal(unlink(mine), 0);
		assert_int_equal(rmdir(dir), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modules_dependencies_first),
		cmocka_unit_test(test_modules_dash_and_underscore_are_one_name),
		cmocka_unit_test(test_modules_builtin_is_skipped),
		cmocka_unit_test(test_modules_power_button_is_loaded),
		cmocka_unit_test(test_modules_power_button_built_in),
		cmocka_unit_test(test_modules_alternatives),
		cmocka_unit_test(test_modules_unknown_root_is_named),
		cmocka_unit_test(test_modules_missing_dependency_is_named),
		cmocka_unit_test(test_modules_no_modules_dep),
		cmocka_unit_test(test_newest_kernel_by_version),
		cmocka_unit_test(test_kernel_release_from_name),
		cmocka_unit_test(test_ldd_parse),
		cmocka_unit_test(test_ldd_not_found_is_named),
		cmocka_unit_test(test_ldd_static),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_extra_parse_host_only),
		cmocka_unit_test(test_extra_parse_host_and_guest),
		cmocka_unit_test(test_extra_parse_refuses_bad_paths),
		cmocka_unit_test(test_lab_key_made_once_by_parallel_callers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
