// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "provenance.h"
#include "results.h"
#include "spawn.h"
#include "util.h"

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test_provenance.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(const char *d)
{
	const char *argv[] = { "rm", "-rf", d, NULL };
	char *out = NULL;
	int code;

	spawn_capture(argv, true, 4096, &out, &code);
	free(out);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	assert_int_equal(read_full_file(path, 1u << 20, &text, NULL), 0);
	return text;
}

/* A run of two VMs and two shares, filled as daxlab run fills it. */
static void fill(struct provenance *p)
{
	struct prov_vm *v;
	struct prov_share *s;
	struct prov_source *src;

	provenance_init(p);
	provenance_set(&p->name, "demo");
	provenance_set(&p->slurm_job, "41");
	provenance_set(&p->slurm_array, "40_1");
	provenance_set(&p->slurm_node, "n1");
	provenance_set(&p->started, "2026-12-06T05:00:00Z");
	provenance_set(&p->config, "/etc/demo.ini");
	provenance_set(&p->state_dir, "/run/daxlab");
	provenance_set(&p->image_dir, "/var/lib/daxlab");
	provenance_set(&p->sweep, "private_ratio=75");
	provenance_set(&p->workload_size, "128.00 MiB");
	provenance_set(&p->workload_file_size, "8.00 MiB");
	p->workload_private_ratio = 75;
	p->workload_access_ratio = 50;
	p->workload_hot_ratio = 20;
	p->workload_hot_access_ratio = 80;
	provenance_set(&p->workload_rw, "randread");
	provenance_set(&p->workload_bs, "4k");
	p->workload_runtime = 6;
	provenance_set(&p->workload_ioengine, "psync");
	provenance_set(&p->start_state, "cold");
	for (int i = 0; i < 2; i++) {
		char id[8];

		snprintf(id, sizeof(id), "%d", i);
		v = provenance_vm(p, id);
		assert_non_null(v);
		v->listed = true;
		provenance_set(&v->name, "vm%d", i);
		provenance_set(&v->cgroup, "rt-vm%d", i);
		v->node = i;
		v->vcpus = 1;
		provenance_set(&v->memory, "512.00 MiB");
		v->fio_port = 28765 + i;
		v->ssh_port = 20022 + i;
	}
	provenance_set(&p->virtiofsd_cgroup, "rt-virtiofsd");
	provenance_set(&p->virtiofsd_cache, "always");
	s = provenance_share(p, "shared");
	provenance_set(&s->backend, "virtio-pmem");
	provenance_set(&s->source, "/data/shared");
	provenance_set(&s->mount, "/mnt/shared");
	provenance_set(&s->options, "%s", "");
	s = provenance_share(p, "private");
	provenance_set(&s->backend, "virtiofs");
	provenance_set(&s->source, "/data/private/vm%%i");
	provenance_set(&s->mount, "/mnt/private");
	provenance_set(&s->options, "%s", "");
	p->topology_nodes = 1;
	p->nodes = calloc(1, sizeof(*p->nodes));
	p->n_nodes = 1;
	provenance_set(&p->nodes[0].cpus, "0-1");
	provenance_set(&p->daxlab, "0.1.0");
	provenance_set(&p->kernel, "Linux 6.1.0 #1 SMP x86_64");
	provenance_set(&p->host, "lab");
	provenance_set(&p->qemu, "QEMU emulator version 7.2.22");
	provenance_set(&p->fio, "fio-3.33");
	provenance_set(&p->accel, "tcg");
	provenance_set(&p->accel_asked, "auto");
	p->cgroup_version = 2;
	provenance_set(&p->cgroup_parent, "/sys/fs/cgroup/daxlab");
	provenance_set(&provenance_vm(p, "0")->fio, "fio-3.33");
	provenance_set(&provenance_vm(p, "1")->fio, "not checked (net = none)");
	for (int i = 0; i < 2; i++) {
		char id[8];

		snprintf(id, sizeof(id), "%d", i);
		assert_int_equal(
			provenance_share_mount(p, "shared", id,
					       "ok ext4 ro,relatime,dax=always",
					       PROV_YES),
			0);
		assert_int_equal(provenance_share_mount(p, "private", id,
							"ok virtiofs rw",
							PROV_NO),
				 0);
		provenance_vm(p, id)->shared_dax = PROV_YES;
	}
	src = provenance_source(p, "host");
	provenance_set(&src->kind, "host");
	src = provenance_source(p, "virtiofsd");
	provenance_set(&src->kind, "virtiofsd");
	provenance_set(&src->memcg, "/daxlab/rt-virtiofsd");
	src = provenance_source(p, "vm0-cg");
	provenance_set(&src->kind, "vm-cgroup");
	provenance_set(&src->vm, "0");
	provenance_set(&src->memcg, "/daxlab/rt-vm0");
	src = provenance_source(p, "vm0");
	provenance_set(&src->kind, "guest");
	provenance_set(&src->vm, "0");
	provenance_set(&p->finished, "2026-12-06T05:01:00Z");
	p->duration_s = 41.6;
}

static const char filled_txt[] =
	"name = demo\n"
	"slurm.job = 41\n"
	"slurm.array = 40_1\n"
	"slurm.node = n1\n"
	"started = 2026-12-06T05:00:00Z\n"
	"config = /etc/demo.ini\n"
	"state_dir = /run/daxlab\n"
	"image_dir = /var/lib/daxlab\n"
	"sweep = private_ratio=75\n"
	"workload.size = 128.00 MiB\n"
	"workload.file_size = 8.00 MiB\n"
	"workload.private_ratio = 75\n"
	"workload.access_ratio = 50\n"
	"workload.hot_ratio = 20\n"
	"workload.hot_access_ratio = 80\n"
	"workload.rw = randread\n"
	"workload.bs = 4k\n"
	"workload.runtime = 6\n"
	"workload.ioengine = psync\n"
	"start_state = cold\n"
	"vm.0.name = vm0\n"
	"vm.0.cgroup = rt-vm0\n"
	"vm.0.node = 0\n"
	"vm.0.vcpus = 1\n"
	"vm.0.memory = 512.00 MiB\n"
	"vm.0.fio_port = 28765\n"
	"vm.0.ssh_port = 20022\n"
	"vm.1.name = vm1\n"
	"vm.1.cgroup = rt-vm1\n"
	"vm.1.node = 1\n"
	"vm.1.vcpus = 1\n"
	"vm.1.memory = 512.00 MiB\n"
	"vm.1.fio_port = 28766\n"
	"vm.1.ssh_port = 20023\n"
	"vms = 0 1\n"
	"virtiofsd.cgroup = rt-virtiofsd\n"
	"virtiofsd.cache = always\n"
	"share.shared.backend = virtio-pmem\n"
	"share.shared.source = /data/shared\n"
	"share.shared.mount = /mnt/shared\n"
	"share.shared.options = \n"
	"share.private.backend = virtiofs\n"
	"share.private.source = /data/private/vm%i\n"
	"share.private.mount = /mnt/private\n"
	"share.private.options = \n"
	"topology.node.0.cpus = 0-1\n"
	"topology.nodes = 1\n"
	"daxlab = 0.1.0\n"
	"kernel = Linux 6.1.0 #1 SMP x86_64\n"
	"host = lab\n"
	"qemu = QEMU emulator version 7.2.22\n"
	"fio = fio-3.33\n"
	"accel = tcg\n"
	"accel.asked = auto\n"
	"cgroup = v2\n"
	"cgroup.parent = /sys/fs/cgroup/daxlab\n"
	"vm.0.fio = fio-3.33\n"
	"vm.1.fio = not checked (net = none)\n"
	"share.shared.vm.0.mount = ok ext4 ro,relatime,dax=always\n"
	"share.shared.vm.0.dax = yes\n"
	"share.private.vm.0.mount = ok virtiofs rw\n"
	"share.private.vm.0.dax = no\n"
	"vm.0.shared_dax = yes\n"
	"share.shared.vm.1.mount = ok ext4 ro,relatime,dax=always\n"
	"share.shared.vm.1.dax = yes\n"
	"share.private.vm.1.mount = ok virtiofs rw\n"
	"share.private.vm.1.dax = no\n"
	"vm.1.shared_dax = yes\n"
	"memcg.virtiofsd = /daxlab/rt-virtiofsd\n"
	"memcg.vm0-cg = /daxlab/rt-vm0\n"
	"source.host = host\n"
	"source.virtiofsd = virtiofsd\n"
	"source.vm0-cg = vm-cgroup 0\n"
	"source.vm0 = guest 0\n"
	"finished = 2026-12-06T05:01:00Z\n"
	"duration_s = 41.6\n";

static void test_txt_in_the_order_of_old_files(void **state)
{
	struct provenance p;
	char *text;

	fill(&p);
	text = provenance_format_txt(&p);
	assert_non_null(text);
	assert_string_equal(text, filled_txt);
	free(text);
	provenance_free(&p);
	(void)state;
}

static void test_json_round_trip(void **state)
{
	struct provenance p, q;
	char *json, *json2, *txt, *txt2;
	struct error err = { 0 };

	fill(&p);
	assert_int_equal(kv_set(&p.extra, "accel.reason", "old key"), 0);
	json = provenance_format_json(&p);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"duration_s\": 41.6"));
	provenance_init(&q);
	assert_int_equal(
		provenance_parse_json(json, "x/provenance.json", &q, &err), 0);
	/* typed: numbers, lists, records */
	assert_int_equal(q.workload_private_ratio, 75);
	assert_int_equal(q.cgroup_version, 2);
	assert_true(q.duration_s == 41.6);
	assert_true(q.workload_runtime == 6);
	assert_int_equal(q.n_vms, 2);
	assert_true(q.vms[1].listed);
	assert_string_equal(q.vms[1].name, "vm1");
	assert_int_equal(q.vms[1].fio_port, 28766);
	assert_int_equal(q.vms[0].shared_dax, PROV_YES);
	assert_int_equal(q.n_shares, 2);
	assert_int_equal(q.shares[1].n_mounts, 2);
	assert_int_equal(q.shares[1].mounts[0].dax, PROV_NO);
	assert_string_equal(provenance_find_source(&q, "vm0-cg")->memcg,
			    "/daxlab/rt-vm0");
	assert_null(q.accel_why);
	assert_null(q.virtiofsd_path);
	assert_int_equal(q.extra.n, 1);
	assert_string_equal(q.extra.v[0].key, "accel.reason");
	assert_string_equal(q.extra.v[0].value, "old key");
	/* and the same again */
	json2 = provenance_format_json(&q);
	assert_string_equal(json, json2);
	txt = provenance_format_txt(&p);
	txt2 = provenance_format_txt(&q);
	assert_string_equal(txt, txt2);
	free(json);
	free(json2);
	free(txt);
	free(txt2);
	provenance_free(&p);
	provenance_free(&q);
	(void)state;
}

static void test_write_and_read_prefers_json(void **state)
{
	char *d = tmpdir();
	struct provenance p, q;
	struct error err = { 0 };
	char *path;

	fill(&p);
	assert_int_equal(provenance_write(d, &p), 0);
	path = strdup_printf("%s/provenance.txt", d);
	{
		char *t = slurp(path);

		assert_string_equal(t, filled_txt);
		free(t);
	}
	/* a provenance.txt that says otherwise is not read */
	assert_int_equal(results_write(d, "provenance.txt", "name = other\n"),
			 0);
	assert_int_equal(provenance_read(d, &q, &err), 0);
	assert_string_equal(q.name, "demo");
	assert_int_equal(q.n_vms, 2);
	provenance_free(&q);
	/* without provenance.json, provenance.txt */
	free(path);
	path = strdup_printf("%s/provenance.json", d);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(provenance_read(d, &q, &err), 0);
	assert_string_equal(q.name, "other");
	provenance_free(&q);
	provenance_free(&p);
	free(path);
	rmtree(d);
	free(d);
	(void)state;
}

/* A results folder of an older daxlab: provenance.txt only. */
static void test_reads_old_txt(void **state)
{
	const char *dir = FIXTURES "/report/real-pr75";
	char *path = strdup_printf("%s/provenance.txt", dir);
	char *old = slurp(path), *again;
	struct provenance p;
	const struct prov_vm *v;
	const struct prov_source *s;
	struct error err = { 0 };

	assert_int_equal(provenance_read(dir, &p, &err), 0);
	assert_string_equal(p.name, "rt-private_ratio-75");
	assert_string_equal(p.sweep, "private_ratio=75");
	assert_int_equal(p.workload_private_ratio, 75);
	assert_string_equal(p.workload_size, "128.00 MiB");
	assert_int_equal(p.cgroup_version, 1);
	assert_int_equal(p.topology_nodes, 1);
	assert_int_equal(p.n_nodes, 1);
	assert_string_equal(p.nodes[0].cpus, "0-1");
	assert_true(fabs(p.duration_s - 41.6) < 1e-9);
	assert_int_equal(p.n_vms, 2);
	v = provenance_find_vm(&p, "1");
	assert_non_null(v);
	assert_true(v->listed);
	assert_string_equal(v->name, "vm1");
	assert_int_equal(v->node, 0);
	assert_int_equal(v->ssh_port, 20023);
	assert_int_equal(v->shared_dax, PROV_YES);
	assert_null(v->fio);
	assert_int_equal(p.n_shares, 2);
	assert_string_equal(p.shares[0].name, "shared");
	assert_string_equal(p.shares[0].backend, "virtio-pmem");
	assert_int_equal(p.shares[0].n_mounts, 2);
	assert_int_equal(p.shares[0].mounts[0].dax, PROV_YES);
	assert_string_equal(p.shares[1].mounts[1].mount,
			    "ok virtiofs rw,relatime");
	s = provenance_find_source(&p, "vm1-cg");
	assert_non_null(s);
	assert_string_equal(s->kind, "vm-cgroup");
	assert_string_equal(s->vm, "1");
	assert_null(s->memcg);
	assert_int_equal(p.extra.n, 0);
	/* written again, the same text */
	again = provenance_format_txt(&p);
	assert_string_equal(again, old);
	free(again);
	free(old);
	free(path);
	provenance_free(&p);
	(void)state;
}

/* Keys this version does not know are kept, after the known ones. */
static void test_old_unknown_keys_kept(void **state)
{
	struct provenance p;
	struct error err = { 0 };
	char *t;

	provenance_init(&p);
	assert_int_equal(provenance_parse_txt("accel.reason = no vmx\n"
					      "vm.0.node = far\n"
					      "name = x\n",
					      "p.txt", &p, &err),
			 0);
	assert_string_equal(p.name, "x");
	/* "far" is no node: kept as it was */
	assert_int_equal(p.vms[0].node, PROV_UNSET);
	t = provenance_format_txt(&p);
	assert_string_equal(t, "name = x\naccel.reason = no vmx\n"
			       "vm.0.node = far\n");
	free(t);
	provenance_free(&p);
	(void)state;
}

static void test_malformed_names_the_file(void **state)
{
	char *d = tmpdir();
	char *json = strdup_printf("%s/provenance.json", d);
	char *txt = strdup_printf("%s/provenance.txt", d);
	struct provenance p;
	struct error err = { 0 };

	assert_int_equal(provenance_read(d, &p, &err), -ENOENT);
	provenance_free(&p);

	assert_int_equal(results_write(d, "provenance.txt",
				       "name = x\nno equals sign here\n"),
			 0);
	assert_int_equal(provenance_read(d, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, txt));
	/* what came before is kept */
	assert_string_equal(p.name, "x");
	provenance_free(&p);

	assert_int_equal(results_write(d, "provenance.json", "{ \"name\": "),
			 0);
	err.msg[0] = '\0';
	assert_int_equal(provenance_read(d, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, json));
	provenance_free(&p);

	assert_int_equal(
		results_write(d, "provenance.json",
			      "{ \"workload\": { \"runtime\": \"6\" } }"),
		0);
	err.msg[0] = '\0';
	assert_int_equal(provenance_read(d, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, json));
	assert_non_null(strstr(err.msg, "workload.runtime"));
	provenance_free(&p);

	assert_int_equal(
		results_write(d, "provenance.json",
			      "{ \"vms\": [ { \"name\": \"vm0\" } ] }"),
		0);
	err.msg[0] = '\0';
	assert_int_equal(provenance_read(d, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, json));
	assert_non_null(strstr(err.msg, "vms"));
	provenance_free(&p);

	free(json);
	free(txt);
	rmtree(d);
	free(d);
	(void)state;
}

/* The member at fault, in the order the reader meets it. */
static void test_malformed_json_names_the_member(void **state)
{
	static const struct {
		const char *json, *msg;
	} bad[] = {
		/* every element is checked before the first is read */
		{ "{ \"vms\": [ {}, 1 ] }",
		  "vms: an element is not an object" },
		{ "{ \"vms\": [ {} ] }",
		  "vms: an element without its name or id" },
		{ "{ \"shares\": [ { \"name\": \"s\", \"mounts\": [ {} ] } ] }",
		  "shares.mounts: an element without its name or id" },
		/* a place's VM is optional, but a string */
		{ "{ \"shares\": [ { \"name\": \"s\", \"places\": [ { \"vm\": 1 } ] } ] }",
		  "vm: not a string" },
		{ "{ \"topology\": { \"node\": [ { \"id\": 4096 } ] } }",
		  "topology.node: a node without its id" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct provenance p;
		struct error err = { 0 };
		char *want = strdup_printf("p.json: %s", bad[i].msg);

		provenance_init(&p);
		assert_int_equal(
			provenance_parse_json(bad[i].json, "p.json", &p, &err),
			-EBADMSG);
		assert_int_equal(err.code, -EBADMSG);
		assert_string_equal(err.msg, want);
		free(want);
		provenance_free(&p);
	}
	(void)state;
}

/* A share's data per VM: "share.NAME.KIND.vmID"; other suffixes are kept. */
static void test_txt_share_places(void **state)
{
	struct provenance p;
	struct error err = { 0 };
	char *t;

	provenance_init(&p);
	assert_int_equal(provenance_parse_txt("share.s.image_fs = ext4\n"
					      "share.s.source_fs.vm1 = xfs\n"
					      "share.s.image.vm = x\n"
					      "share.s.image.x1 = y\n",
					      "p.txt", &p, &err),
			 0);
	assert_int_equal(p.n_shares, 1);
	assert_int_equal(p.shares[0].n_places, 2);
	assert_null(p.shares[0].places[0].vm);
	assert_true(p.shares[0].places[0].pmem);
	assert_string_equal(p.shares[0].places[1].vm, "1");
	assert_false(p.shares[0].places[1].pmem);
	assert_string_equal(p.shares[0].places[1].fs, "xfs");
	t = provenance_format_txt(&p);
	assert_string_equal(t, "share.s.image_fs = ext4\n"
			       "share.s.source_fs.vm1 = xfs\n"
			       "share.s.image.vm = x\n"
			       "share.s.image.x1 = y\n");
	free(t);
	provenance_free(&p);
	(void)state;
}

/* daxlab run --slurm: the job, array task and node from the environment */
static void test_start_says_the_slurm_job(void **state)
{
	struct provenance p;
	char *t;

	provenance_init(&p);
	setenv("SLURM_JOB_ID", "17", 1);
	setenv("SLURM_ARRAY_JOB_ID", "16", 1);
	setenv("SLURM_ARRAY_TASK_ID", "1", 1);
	unsetenv("SLURMD_NODENAME");
	assert_int_equal(provenance_add_start(&p, "demo"), 0);
	unsetenv("SLURM_JOB_ID");
	unsetenv("SLURM_ARRAY_JOB_ID");
	unsetenv("SLURM_ARRAY_TASK_ID");
	t = provenance_format_txt(&p);
	assert_true(str_has_prefix(t, "name = demo\nslurm.job = 17\n"
				      "slurm.array = 16_1\n"
				      "slurm.node = ?\nstarted = 20"));
	assert_true(str_has_suffix(t, "Z\n"));
	free(t);
	provenance_free(&p);

	provenance_init(&p);
	assert_int_equal(provenance_add_start(&p, "demo"), 0);
	assert_null(p.slurm_job);
	assert_null(p.slurm_node);
	provenance_free(&p);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_in_the_order_of_old_files),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_write_and_read_prefers_json),
		cmocka_unit_test(test_reads_old_txt),
		cmocka_unit_test(test_old_unknown_keys_kept),
		cmocka_unit_test(test_malformed_names_the_file),
		cmocka_unit_test(test_malformed_json_names_the_member),
		cmocka_unit_test(test_txt_share_places),
		cmocka_unit_test(test_start_says_the_slurm_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
