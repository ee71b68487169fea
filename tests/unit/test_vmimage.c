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
#include <unistd.h>

#include "lib/config.h"
#include "qemu.h"
#include "util.h"
#include "vmimage.h"

static struct lab_config *load(void)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	assert_int_equal(config_load(FIXTURES "/guest/lab.ini", &c, &err), 0);
	return c;
}

static void test_format(void **state)
{
	char path[] = "/tmp/daxlab-test-vmimage.XXXXXX";
	int fd = mkstemp(path);
	const char *f = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "QFI\xfb\0\0\0\3", 8), 8);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(vmimage_format(path, &f), 0);
	assert_string_equal(f, "qcow2");
	/* a backing file: qemu would open it for the guest */
	assert_int_equal(pwrite(fd, "\0\0\0\0\0\0\1\0", 8, 8), 8);
	assert_int_equal(vmimage_format(path, &f), -EXDEV);
	assert_int_equal(pwrite(fd, "\0\0\0\0\0\0\0\0", 8, 8), 8);
	/* an external data file (version 3, incompatible feature bit 2) */
	assert_int_equal(pwrite(fd, "\0\0\0\0\0\0\0\4", 8, 72), 8);
	assert_int_equal(vmimage_format(path, &f), -EXDEV);
	assert_int_equal(pwrite(fd, "\0\0\0\0\0\0\0\1", 8, 72), 8);
	assert_int_equal(vmimage_format(path, &f), 0);
	assert_int_equal(pwrite(fd, "\xeb\x63\x90\x10", 4, 0), 4);
	assert_int_equal(vmimage_format(path, &f), 0);
	assert_string_equal(f, "raw");
	close(fd);
	unlink(path);
	assert_int_equal(vmimage_format(path, &f), -ENOENT);
}

static void test_overlay_argv(void **state)
{
	char **v = NULL;
	_cleanup_free_ char *s = NULL;

	(void)state;
	assert_int_equal(vmimage_overlay_argv("/img/base 1.qcow2", "qcow2",
					      "/var/lib/daxlab/vm-0/disk.qcow2",
					      &v),
			 0);
	s = shell_join((const char *const *)v);
	assert_string_equal(s, "qemu-img create -q -f qcow2 -b "
			       "'/img/base 1.qcow2' -F qcow2 "
			       "/var/lib/daxlab/vm-0/disk.qcow2");
	strv_free(v);
}

static void test_options_match(void **state)
{
	char miss[64] = "";

	(void)state;
	/* ext4 shows dax as dax=always and noload as norecovery */
	assert_true(vmimage_options_match("dax,ro,noload",
					  "ro,relatime,norecovery,dax=always",
					  miss, sizeof(miss)));
	assert_true(vmimage_options_match(
		"dax=always", "rw,relatime,dax=always", miss, sizeof(miss)));
	/* mount(8)'s own options are never shown: skipped */
	assert_true(vmimage_options_match("defaults,nofail,x-systemd.foo,ro",
					  "ro,relatime", miss, sizeof(miss)));
	assert_true(vmimage_options_match("", "rw", miss, sizeof(miss)));
	assert_false(vmimage_options_match("dax,ro", "ro,relatime", miss,
					   sizeof(miss)));
	assert_string_equal(miss, "dax");
	assert_false(
		vmimage_options_match("ro", "rw,relatime", miss, sizeof(miss)));
	assert_string_equal(miss, "ro");
}

static void test_ready_args(void **state)
{
	struct lab_config *c = load();
	char **v = NULL;

	(void)state;
	assert_int_equal(vmimage_ready_args(c, &c->vms[0], 170, "fio-3.33", &v),
			 0);
	assert_string_equal(v[0], "170");
	assert_string_equal(v[1], "fio-3.33");
	assert_string_equal(v[2], "mnt-shared.mount");
	assert_string_equal(v[3], "srv-dax-private.mount");
	assert_string_equal(v[4], "daxlab-fio-server.service");
	assert_null(v[5]);
	strv_free(v);
	assert_int_equal(vmimage_ready_args(c, &c->vms[0], 5, NULL, &v), 0);
	assert_string_equal(v[1], "");
	strv_free(v);
	config_free(c);
}

#define GOOD_RESULT \
	"{\n \"v1\": {\n  \"datasource\": \"NoCloud\",\n  \"errors\": []\n }\n}\n"
#define SHARED_MOUNT \
	"/dev/pmem0 /mnt/shared ext4 ro,relatime,norecovery,dax=always 0 0\n"
#define PRIVATE_MOUNT \
	"private /srv/dax/private virtiofs rw,relatime,dax=always 0 0\n"

/* A report as the script prints it, from its parts. */
static char *report_text(const char *rc, const char *result, const char *mounts,
			 const char *units, const char *fio)
{
	return strdup_printf("@@daxlab fio\n%s"
			     "@@daxlab cloud-init\n@@daxlab rc %s\n%s\n"
			     "@@daxlab mounts\n"
			     "/dev/vda2 / ext4 rw,relatime 0 0\n%s%s"
			     "@@daxlab end\n",
			     fio, rc, result, mounts, units);
}

static const char good_units[] =
	"@@daxlab unit mnt-shared.mount active\n"
	"@@daxlab unit srv-dax-private.mount active\n"
	"@@daxlab unit daxlab-fio-server.service active\n";

static int check(struct lab_config *c, const char *text, struct error *err,
		 char *warn, size_t warnlen, char **mounts)
{
	struct vmimage_report r;
	int n;

	assert_int_equal(vmimage_parse_report(text, &r), 0);
	assert_true(r.complete);
	n = vmimage_check(c, &c->vms[0], &r, "fio-3.33", err, warn, warnlen,
			  mounts);
	vmimage_report_free(&r);
	return n;
}

static void test_check_ready(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *t =
		report_text("done", GOOD_RESULT, SHARED_MOUNT PRIVATE_MOUNT,
			    good_units, "/usr/bin/fio\nfio-3.33\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, t, &err, warn, sizeof(warn), &mounts), 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(warn, "");
	/* the lines `daxlab run` reads, as the tiny guest prints them */
	assert_string_equal(mounts, "DAXLAB-MOUNT-OK /mnt/shared ext4 "
				    "ro,relatime,norecovery,dax=always\n"
				    "DAXLAB-MOUNT-OK /srv/dax/private virtiofs "
				    "rw,relatime,dax=always\n");
	free(mounts);
	config_free(c);
}

static void test_check_mount_missing(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *t = report_text(
		"done", GOOD_RESULT, SHARED_MOUNT,
		"@@daxlab unit mnt-shared.mount active\n"
		"@@daxlab unit srv-dax-private.mount failed\n"
		"Mounting daxlab share private...\n"
		"mount: /srv/dax/private: special device nosuch does not exist.\n"
		"@@daxlab unit daxlab-fio-server.service active\n",
		"/usr/bin/fio\nfio-3.33\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, t, &err, warn, sizeof(warn), &mounts), 1);
	assert_non_null(strstr(err.msg,
			       "share private (virtiofs private) is not "
			       "mounted on /srv/dax/private "
			       "(srv-dax-private.mount: failed: mount: "
			       "/srv/dax/private: special device nosuch "
			       "does not exist.)"));
	assert_null(strstr(err.msg, "Mounting"));
	assert_non_null(strstr(mounts, "DAXLAB-MOUNT-FAILED /srv/dax/private: "
				       "not mounted\n"));
	free(mounts);
	config_free(c);
}

static void test_check_without_dax(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *t = report_text(
		"done", GOOD_RESULT,
		SHARED_MOUNT
		"private /srv/dax/private virtiofs rw,relatime 0 0\n",
		good_units, "/usr/bin/fio\nfio-3.33\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, t, &err, warn, sizeof(warn), &mounts), 1);
	assert_non_null(strstr(err.msg,
			       "share private is mounted on "
			       "/srv/dax/private without 'dax=always'"));
	free(mounts);
	config_free(c);
}

static void test_check_fio(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *none = report_text(
		"done", GOOD_RESULT, SHARED_MOUNT PRIVATE_MOUNT,
		"@@daxlab unit mnt-shared.mount active\n"
		"@@daxlab unit srv-dax-private.mount active\n"
		"@@daxlab unit daxlab-fio-server.service activating\n",
		"");
	_cleanup_free_ char *other =
		report_text("done", GOOD_RESULT, SHARED_MOUNT PRIVATE_MOUNT,
			    good_units, "/usr/bin/fio\nfio-3.39\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, none, &err, warn, sizeof(warn), &mounts), 1);
	assert_true(
		str_has_prefix(err.msg, "fio is not installed in the guest"));
	free(mounts);
	assert_int_equal(check(c, other, &err, warn, sizeof(warn), &mounts), 1);
	assert_true(str_has_prefix(err.msg,
				   "fio in the guest (/usr/bin/fio) is "
				   "fio-3.39, the host's is fio-3.33"));
	free(mounts);
	config_free(c);
}

/* The guest did not wait for cloud-init: only fio is reported. */
static void test_check_fio_first(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *t = strdup("@@daxlab fio\n/usr/bin/fio\nfio-3.1\n"
					"@@daxlab cloud-init\n@@daxlab rc "
					"skipped\n@@daxlab mounts\n"
					"@@daxlab end\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, t, &err, warn, sizeof(warn), &mounts), 1);
	assert_true(str_has_prefix(err.msg,
				   "fio in the guest (/usr/bin/fio) is "
				   "fio-3.1, the host's is fio-3.33"));
	assert_null(strstr(err.msg, "mounted"));
	assert_null(strstr(err.msg, "cloud-init"));
	assert_string_equal(mounts, "");
	free(mounts);
	config_free(c);
}

static void test_check_cloud_init(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *bad = report_text(
		"done",
		"{\"v1\": {\"errors\": [\"('locale', ProcessExecutionError(\\\"update-locale\\nExit code: 255\\\"))\"]}}",
		SHARED_MOUNT PRIVATE_MOUNT, good_units,
		"/usr/bin/fio\nfio-3.33\n");
	_cleanup_free_ char *late =
		report_text("timeout", "", SHARED_MOUNT PRIVATE_MOUNT,
			    good_units, "/usr/bin/fio\nfio-3.33\n");
	_cleanup_free_ char *degraded =
		report_text("done",
			    "{\"v1\": {\"errors\": [], \"recoverable_errors\": "
			    "{\"WARNING\": [\"no growpart\"]}}}",
			    SHARED_MOUNT PRIVATE_MOUNT, good_units,
			    "/usr/bin/fio\nfio-3.33\n");
	_cleanup_free_ char *absent =
		strdup("@@daxlab fio\n/usr/bin/fio\nfio-3.33\n"
		       "@@daxlab cloud-init\n@@daxlab rc none\n"
		       "@@daxlab mounts\n" SHARED_MOUNT PRIVATE_MOUNT
		       "@@daxlab end\n");
	struct error err = { 0 };
	char warn[512];
	char *mounts = NULL;

	(void)state;
	assert_int_equal(check(c, bad, &err, warn, sizeof(warn), &mounts), 1);
	/* one line, newlines of the message flattened */
	assert_string_equal(err.msg,
			    "cloud-init finished with errors: ('locale', "
			    "ProcessExecutionError(\"update-locale Exit "
			    "code: 255\"))");
	free(mounts);
	assert_int_equal(check(c, late, &err, warn, sizeof(warn), &mounts), 1);
	assert_string_equal(err.msg, "cloud-init did not finish in time (no "
				     "/run/cloud-init/result.json)");
	free(mounts);
	assert_int_equal(check(c, degraded, &err, warn, sizeof(warn), &mounts),
			 0);
	assert_string_equal(warn, "cloud-init finished degraded: no growpart");
	free(mounts);
	assert_int_equal(check(c, absent, &err, warn, sizeof(warn), &mounts),
			 1);
	assert_true(str_has_prefix(err.msg, "the image has no cloud-init"));
	free(mounts);
	config_free(c);
}

static void test_incomplete_report(void **state)
{
	struct vmimage_report r;

	(void)state;
	assert_int_equal(vmimage_parse_report("@@daxlab cloud-init\n@@daxlab "
					      "rc timeout\n",
					      &r),
			 0);
	assert_false(r.complete);
	assert_string_equal(r.cloud_init, "timeout");
	vmimage_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_overlay_argv),
		cmocka_unit_test(test_options_match),
		cmocka_unit_test(test_ready_args),
		cmocka_unit_test(test_check_ready),
		cmocka_unit_test(test_check_mount_missing),
		cmocka_unit_test(test_check_without_dax),
		cmocka_unit_test(test_check_fio),
		cmocka_unit_test(test_check_fio_first),
		cmocka_unit_test(test_check_cloud_init),
		cmocka_unit_test(test_incomplete_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
