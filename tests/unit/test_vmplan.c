// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "util.h"
#include "vm.h"
#include "vmplan.h"

#define FIX FIXTURES "/config/"

/* name with state_dir /st and image_dir /img. */
static struct lab_config *load(const char *name)
{
	struct lab_config *c = NULL;
	struct error err = { 0 };

	if (config_load(name, &c, &err) < 0)
		fail_msg("%s", err.msg);
	free(c->lab.state_dir);
	free(c->lab.image_dir);
	c->lab.state_dir = strdup("/st");
	c->lab.image_dir = strdup("/img");
	return c;
}

/* As `vm cmdline --no-probe`: no probe, no cgroups. */
static void env_no_probe(struct vm_env *e, const struct lab_config *c)
{
	memset(e, 0, sizeof(*e));
	e->cgroup_root = "/nonexistent/daxlab-test-cgroup";
	assert_int_equal(vm_env_init(e, c, false, true), 0);
}

static void test_plan_vm_files_and_binding(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct vm_env e;
	struct vm_plan p;

	(void)state;
	env_no_probe(&e, c);
	assert_int_equal(vm_plan_make(&e, &c->vms[0], &p), 0);
	assert_ptr_equal(p.c, c);
	assert_ptr_equal(p.vm, &c->vms[0]);
	assert_string_equal(p.dir, "/st/vm-0");
	assert_string_equal(p.qemu_pid, "/st/vm-0/qemu.pid");
	assert_string_equal(p.qemu_log, "/st/vm-0/qemu.log");
	assert_string_equal(p.qmp, "/st/vm-0/qmp.sock");
	assert_string_equal(p.console_sock, "/st/vm-0/console.sock");
	assert_string_equal(p.console_log, "/st/vm-0/console.log");
	assert_string_equal(p.mounts, "/st/vm-0/mounts");
	assert_string_equal(p.starting, "/st/vm-0/starting");
	/* --no-probe: kvm assumed, the configured mems as they are */
	assert_string_equal(p.accel, "kvm");
	assert_true(p.have_cache_size);
	assert_string_equal(p.mems, "0-1,3");
	assert_null(p.cpus);
	/* a kernel boot: no disk, no seed */
	assert_null(p.disk);
	assert_null(p.seed);
	vm_plan_free(&p);
	vm_env_done(&e);
	config_free(c);
}

static void test_plan_virtiofsd_binding(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct vm_env e;
	struct vm_plan p;

	(void)state;
	env_no_probe(&e, c);
	/* [virtiofsd] says nothing: its cgroup inherits */
	assert_int_equal(vm_plan_make(&e, &c->vms[1], &p), 0);
	assert_null(p.fsd_cpus);
	assert_null(p.fsd_mems);
	vm_plan_free(&p);
	/* --no-probe: the node as its mems, every VM's plan the same */
	c->virtiofsd.cg.node = 1;
	assert_int_equal(vm_plan_make(&e, &c->vms[0], &p), 0);
	assert_null(p.fsd_cpus);
	assert_string_equal(p.fsd_mems, "1");
	vm_plan_free(&p);
	assert_int_equal(vm_plan_make(&e, &c->vms[1], &p), 0);
	assert_string_equal(p.fsd_mems, "1");
	vm_plan_free(&p);
	/* against this host's topology (probed once above): no node 200 */
	e.no_probe = false;
	c->virtiofsd.cg.node = 0;
	assert_int_equal(vm_plan_make(&e, &c->vms[1], &p), 0);
	assert_string_equal(p.fsd_mems, "0");
	assert_non_null(p.fsd_cpus);
	vm_plan_free(&p);
	c->virtiofsd.cg.node = 200;
	e.err.msg[0] = 0;
	assert_true(vm_plan_make(&e, &c->vms[1], &p) < 0);
	assert_true(!strncmp(e.err.msg, "[virtiofsd]: ", 13));
	/* a plan that failed is freed and zeroed */
	assert_null(p.shares);
	vm_env_done(&e);
	config_free(c);
}

static void test_plan_shares_of_the_vm(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct vm_env e;
	struct vm_plan p;
	const struct vm_plan_share *own, *pm;

	(void)state;
	env_no_probe(&e, c);
	assert_int_equal(vm_plan_make(&e, &c->vms[0], &p), 0);
	assert_int_equal(p.n_shares, 3);
	assert_int_equal(p.n_virtiofs, 2);
	assert_int_equal(p.n_pmem, 1);
	assert_string_equal(p.shares[0].s->name, "dax");
	assert_int_equal(p.shares[0].backend, SHARE_BACKEND_VIRTIOFS);
	assert_string_equal(p.shares[0].source, "/srv/dax");
	own = &p.shares[1];
	assert_string_equal(own->s->name, "own");
	/* %i is the VM's id */
	assert_string_equal(own->source, "/srv/own/vm0");
	assert_string_equal(own->socket, "/st/vm-0/virtiofsd-own.sock");
	assert_string_equal(own->pidfile, "/st/vm-0/virtiofsd-own.pid");
	assert_string_equal(own->log, "/st/vm-0/virtiofsd-own.log");
	assert_string_equal(own->own_pidfile,
			    "/st/vm-0/virtiofsd-own.sock.pid");
	assert_null(own->image);
	pm = &p.shares[2];
	assert_int_equal(pm->backend, SHARE_BACKEND_VIRTIO_PMEM);
	/* a source without %i: one image in image_dir for every VM */
	assert_string_equal(pm->image, "/img/share-pm.img");
	assert_string_equal(pm->image_dir, "/img");
	/* --no-probe: the source is not measured, a placeholder size */
	assert_int_equal(pm->image_size, 64ULL << 20);
	vm_plan_free(&p);

	/* vm 1 lists only own */
	assert_int_equal(vm_plan_make(&e, &c->vms[1], &p), 0);
	assert_int_equal(p.n_shares, 1);
	assert_int_equal(p.n_virtiofs, 1);
	assert_int_equal(p.n_pmem, 0);
	assert_string_equal(p.shares[0].source, "/srv/own/vm1");
	assert_string_equal(p.shares[0].socket, "/st/vm-1/virtiofsd-own.sock");
	assert_null(p.mems);
	vm_plan_free(&p);
	vm_env_done(&e);
	config_free(c);
}

static void test_plan_pmem_image_size_and_own_image(void **state)
{
	struct lab_config *c = load(FIX "qemu.ini");
	struct share_config *s = &c->shares[2];
	struct vm_env e;
	struct vm_plan p;

	(void)state;
	env_no_probe(&e, c);
	/* image_size wins, rounded up to 2 MiB; %i: the VM's own image */
	s->image_size = (100ULL << 20) + 1;
	free(s->source);
	s->source = strdup("/srv/pm%i");
	s->shared = false;
	assert_int_equal(vm_plan_make(&e, &c->vms[0], &p), 0);
	assert_int_equal(p.shares[2].image_size, 102ULL << 20);
	assert_string_equal(p.shares[2].source, "/srv/pm0");
	assert_string_equal(p.shares[2].image, "/img/vm-0/share-pm.img");
	assert_string_equal(p.shares[2].image_dir, "/img/vm-0");
	vm_plan_free(&p);
	vm_env_done(&e);
	config_free(c);
}

static void test_plan_image_vm_disk_and_seed(void **state)
{
	struct lab_config *c = load(FIX "minimal.ini");
	struct vm_config *vm = &c->vms[0];
	struct vm_plan p;

	(void)state;
	vm->image = strdup("/images/debian.qcow2");
	/* the paths need no probe */
	assert_int_equal(vm_plan_paths(c, vm, &p), 0);
	assert_int_equal(p.n_shares, 0);
	assert_string_equal(p.image_dir, "/img/vm-0");
	assert_string_equal(p.disk, "/img/vm-0/disk.qcow2");
	assert_string_equal(p.seed, "/img/vm-0/seed.img");
	assert_null(p.accel);
	vm_plan_free(&p);
	/* a seed of one's own is used as it is */
	vm->seed = strdup("/images/my-seed.img");
	assert_int_equal(vm_plan_paths(c, vm, &p), 0);
	assert_string_equal(p.seed, "/images/my-seed.img");
	vm_plan_free(&p);
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_vm_files_and_binding),
		cmocka_unit_test(test_plan_virtiofsd_binding),
		cmocka_unit_test(test_plan_shares_of_the_vm),
		cmocka_unit_test(test_plan_pmem_image_size_and_own_image),
		cmocka_unit_test(test_plan_image_vm_disk_and_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
