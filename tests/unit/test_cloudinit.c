// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cloudinit.h"
#include "lib/config.h"
#include "util.h"

static struct lab_config *load(void)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	assert_int_equal(config_load(FIXTURES "/guest/lab.ini", &c, &err), 0);
	return c;
}

static void test_mount_unit_names(void **state)
{
	static const struct {
		const char *path, *unit;
	} cases[] = {
		{ "/mnt/shared", "mnt-shared.mount" },
		{ "/srv/dax/private", "srv-dax-private.mount" },
		{ "/srv/dax-lab", "srv-dax\\x2dlab.mount" },
		{ "//mnt//x/", "mnt-x.mount" },
		{ "/mnt/.hidden", "mnt-.hidden.mount" },
		{ "/.x", "\\x2ex.mount" },
		{ "/a b@c", "a\\x20b\\x40c.mount" },
		{ "/", "-.mount" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		_cleanup_free_ char *u = cloudinit_mount_unit(cases[i].path);

		assert_non_null(u);
		assert_string_equal(u, cases[i].unit);
	}
	assert_null(cloudinit_mount_unit("mnt/x"));
	assert_null(cloudinit_mount_unit("/mnt/../x"));
	assert_null(cloudinit_mount_unit("/mnt/./x"));
	{
		_cleanup_free_ char *w = cloudinit_mount_where("//mnt//x/");

		assert_string_equal(w, "/mnt/x");
	}
}

static void test_share_mounts(void **state)
{
	struct lab_config *c = load();
	const struct vm_config *vm = config_find_vm(c, "0");
	char *what = NULL, *opts = NULL;
	const char *type = NULL;

	(void)state;
	/* shared: virtio-pmem, the VM's first pmem device */
	assert_int_equal(cloudinit_share_mount(c, vm, 0, &what, &type, &opts),
			 0);
	assert_string_equal(what, "/dev/pmem0");
	assert_string_equal(type, "ext4");
	assert_string_equal(opts, "dax,ro,noload");
	free(what);
	free(opts);
	/* private: virtiofs by its tag, with its options */
	assert_int_equal(cloudinit_share_mount(c, vm, 1, &what, &type, &opts),
			 0);
	assert_string_equal(what, "private");
	assert_string_equal(type, "virtiofs");
	assert_string_equal(opts, "dax=always");
	free(what);
	free(opts);
	/* other: not the VM's */
	assert_int_equal(cloudinit_share_mount(c, vm, 2, &what, &type, &opts),
			 -ENOENT);
	config_free(c);
}

static void test_user_data(void **state)
{
	struct lab_config *c = load();
	const struct vm_config *vm = config_find_vm(c, "0");
	_cleanup_free_ char *ud = NULL;

	(void)state;
	assert_non_null(vm);
	ud = cloudinit_user_data(c, vm, "ssh-ed25519 AAAAkey lab\n", NULL,
				 NULL);
	assert_non_null(ud);
	assert_true(str_has_prefix(ud, "#cloud-config\n"));
	assert_non_null(strstr(ud, "hostname: \"vm0\"\n"));
	assert_non_null(strstr(ud, "disable_root: false\n"));
	assert_non_null(strstr(ud, "ssh_genkeytypes: [ed25519]\n"));
	/* the key's line, without its newline */
	assert_non_null(strstr(ud, "  - \"ssh-ed25519 AAAAkey lab\"\n"));
	/* what current cloud-init drops or cannot do without a mirror */
	assert_null(strstr(ud, "\nmounts:"));
	assert_null(strstr(ud, "\npackages:"));
	/* a mount unit per share: pmem as ext4 with DAX, virtiofs by tag */
	assert_non_null(strstr(
		ud, "  - path: \"/etc/systemd/system/mnt-shared.mount\"\n"
		    "    permissions: \"0644\"\n"
		    "    content: |\n"
		    "      [Unit]\n"
		    "      Description=daxlab share shared (ext4 /dev/pmem0)\n"
		    "      [Mount]\n"
		    "      What=/dev/pmem0\n"
		    "      Where=/mnt/shared\n"
		    "      Type=ext4\n"
		    "      Options=dax,ro,noload\n"));
	assert_non_null(strstr(ud, "      What=private\n"
				   "      Where=/srv/dax/private\n"
				   "      Type=virtiofs\n"
				   "      Options=dax=always\n"));
	/* a share the VM does not list is left out */
	assert_null(strstr(ud, "/mnt/other"));
	assert_non_null(strstr(ud, "ExecStart=fio --server=ip:127.0.0.1\n"));
	assert_non_null(strstr(ud, "      Wants=daxlab-fio-server.service "
				   "mnt-shared.mount srv-dax-private.mount\n"
				   "      After=mnt-shared.mount "
				   "srv-dax-private.mount\n"));
	assert_non_null(strstr(ud, "runcmd:\n"
				   "  - [systemctl, start, daxlab.target]\n"
				   "  - [sh, -c, \"systemctl is-active -q "
				   "daxlab.target || { systemctl daemon-reload; "
				   "systemctl start daxlab.target; }\"]\n"));
	config_free(c);
}

static void test_meta_data(void **state)
{
	struct lab_config *c = load();
	_cleanup_free_ char *md = cloudinit_meta_data(config_find_vm(c, "0"));

	(void)state;
	assert_string_equal(md, "instance-id: daxlab-vm0\n"
				"local-hostname: vm0\n");
	config_free(c);
}

static void test_network_config(void **state)
{
	struct lab_config *c = load();
	struct vm_config *vm = &c->vms[0];
	char *nc;

	(void)state;
	nc = cloudinit_network_config(vm);
	assert_non_null(strstr(nc, "version: 2\n"));
	assert_non_null(
		strstr(nc, "      macaddress: \"52:54:00:12:34:56\"\n"));
	assert_non_null(strstr(nc, "    addresses: [10.0.2.15/24]\n"));
	assert_non_null(strstr(nc, "        via: 10.0.2.2\n"));
	assert_null(strstr(nc, "dhcp4"));
	free(nc);
	vm->net = VM_NET_TAP;
	nc = cloudinit_network_config(vm);
	assert_non_null(strstr(nc, "    dhcp4: true\n"));
	assert_null(strstr(nc, "10.0.2.15"));
	free(nc);
	vm->net = VM_NET_NONE;
	nc = cloudinit_network_config(vm);
	assert_string_equal(nc, "");
	free(nc);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_unit_names),
		cmocka_unit_test(test_share_mounts),
		cmocka_unit_test(test_user_data),
		cmocka_unit_test(test_meta_data),
		cmocka_unit_test(test_network_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
