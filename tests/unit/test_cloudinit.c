// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cloudinit.h"
#include "lib/config.h"
#include "util.h"

static struct lab_config *load(void)
{
	struct lab_config *c = NULL;
	char err[512] = "";

	assert_int_equal(
		config_load(FIXTURES "/guest/lab.ini", &c, err, sizeof(err)),
		0);
	return c;
}

static void test_user_data(void **state)
{
	struct lab_config *c = load();
	const struct vm_config *vm = config_find_vm(c, "0");
	_cleanup_free_ char *ud = NULL;

	assert_non_null(vm);
	ud = cloudinit_user_data(c, vm, "ssh-ed25519 AAAAkey lab\n");
	assert_non_null(ud);
	assert_true(str_has_prefix(ud, "#cloud-config\n"));
	assert_non_null(strstr(ud, "hostname: \"vm0\"\n"));
	assert_non_null(strstr(ud, "disable_root: false\n"));
	/* the key's line, without its newline */
	assert_non_null(strstr(ud, "  - \"ssh-ed25519 AAAAkey lab\"\n"));
	/* pmem shares become /dev/pmemN with DAX options by default */
	assert_non_null(strstr(ud, "  - [\"/dev/pmem0\", \"/mnt/shared\", "
				   "\"ext4\", \"dax,ro,noload,nofail\", \"0\", "
				   "\"0\"]\n"));
	assert_non_null(strstr(ud,
			       "  - [\"private\", \"/srv/dax/private\", "
			       "\"virtiofs\", \"dax=always,nofail\", \"0\", "
			       "\"0\"]\n"));
	/* a share the VM does not list is left out */
	assert_null(strstr(ud, "/mnt/other"));
	assert_non_null(strstr(ud, "ExecStart=/usr/bin/fio --server\n"));
	assert_non_null(
		strstr(ud, "[systemctl, enable, --now, daxlab-fio-server"));
	config_free(c);
}

static void test_meta_data(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *md = cloudinit_meta_data(config_find_vm(c, "0"));

	assert_string_equal(md, "instance-id: daxlab-vm0\n"
				"local-hostname: vm0\n");
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_data),
		cmocka_unit_test(test_meta_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
