// SPDX-License-Identifier: MIT
#include "vmplan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qemu.h"
#include "statedir.h"
#include "util.h"
#include "vm.h"

static int share_paths(const struct lab_config *c, const struct vm_config *vm,
		       const char *dir, struct vm_plan_share *ps)
{
	const struct share_config *s = ps->s;

	ps->backend = s->backend;
	ps->source = config_share_source(s, vm);
	ps->socket = statedir_share_socket(dir, s->name);
	ps->pidfile = statedir_share_pidfile(dir, s->name);
	ps->log = statedir_share_log(dir, s->name);
	ps->own_pidfile = statedir_share_own_pidfile(dir, s->name);
	if (!ps->source || !ps->socket || !ps->pidfile || !ps->log ||
	    !ps->own_pidfile)
		return -ENOMEM;
	if (s->backend != SHARE_BACKEND_VIRTIO_PMEM)
		return 0;
	ps->image = statedir_pmem_image(c, vm, s);
	ps->image_dir = statedir_pmem_image_dir(c, vm, s);
	return ps->image && ps->image_dir ? 0 : -ENOMEM;
}

int vm_plan_paths(const struct lab_config *c, const struct vm_config *vm,
		  struct vm_plan *ret)
{
	struct vm_plan *p = ret;
	int r;

	memset(p, 0, sizeof(*p));
	p->c = c;
	p->vm = vm;
	p->dir = statedir_vm_dir(c, vm);
	if (!p->dir)
		goto nomem;
	p->qemu_pid = statedir_vm_file(p->dir, STATEDIR_QEMU_PID);
	p->qemu_log = statedir_vm_file(p->dir, STATEDIR_QEMU_LOG);
	p->qmp = statedir_vm_file(p->dir, STATEDIR_QMP);
	p->console_sock = statedir_vm_file(p->dir, STATEDIR_CONSOLE_SOCK);
	p->console_log = statedir_vm_file(p->dir, STATEDIR_CONSOLE_LOG);
	p->mounts = statedir_vm_file(p->dir, STATEDIR_MOUNTS);
	p->starting = statedir_vm_file(p->dir, STATEDIR_STARTING);
	p->cgroup_mark = statedir_vm_file(p->dir, STATEDIR_CGROUP);
	p->known_hosts = statedir_vm_file(p->dir, STATEDIR_KNOWN_HOSTS);
	p->host_key = statedir_vm_file(p->dir, STATEDIR_HOST_KEY);
	p->host_key_pub =
		p->host_key ? strdup_printf("%s.pub", p->host_key) : NULL;
	if (!p->qemu_pid || !p->qemu_log || !p->qmp || !p->console_sock ||
	    !p->console_log || !p->mounts || !p->starting || !p->cgroup_mark ||
	    !p->known_hosts || !p->host_key_pub)
		goto nomem;
	p->shares = calloc(c->n_shares + 1, sizeof(*p->shares));
	if (!p->shares)
		goto nomem;
	for (size_t i = 0; i < c->n_shares; i++) {
		struct vm_plan_share *ps = &p->shares[p->n_shares];

		if (!config_vm_has_share(vm, &c->shares[i]))
			continue;
		ps->s = &c->shares[i];
		p->n_shares++;
		r = share_paths(c, vm, p->dir, ps);
		if (r < 0)
			goto nomem;
		if (ps->backend == SHARE_BACKEND_VIRTIO_PMEM)
			p->n_pmem++;
		else
			p->n_virtiofs++;
	}
	if (vm->image) {
		p->image_dir = statedir_vm_image_dir(c, vm);
		p->disk = statedir_vm_disk(c, vm);
		p->seed = vm->seed ? strdup(vm->seed) : statedir_vm_seed(c, vm);
		if (!p->image_dir || !p->disk || !p->seed)
			goto nomem;
	}
	return 0;
nomem:
	vm_plan_free(p);
	return -ENOMEM;
}

/* The image's size: image_size, else from the source tree. */
static int pmem_size(struct vm_env *e, struct vm_plan_share *ps)
{
	int r;

	if (ps->s->image_size) {
		ps->image_size = qemu_pmem_align(ps->s->image_size);
		return 0;
	}
	/* vm cmdline --no-probe: not measured, a placeholder */
	if (e->no_probe) {
		ps->image_size = 64ULL << 20;
		return 0;
	}
	r = qemu_pmem_size_for(ps->source, &ps->image_size);
	if (r < 0)
		return err_fail(&e->err, r, "[share %s]: source '%s': %s",
				ps->s->name, ps->source, strerror(-r));
	return 0;
}

/* The cpus and mems of a binding; --no-probe: mems as configured. */
static int binding(struct vm_env *e, const struct cg_binding *cg, char **cpus,
		   char **mems, struct error *why)
{
	if (e->no_probe) {
		if (cg->mems)
			*mems = strdup(cg->mems);
		else if (cg->node >= 0)
			*mems = strdup_printf("%d", cg->node);
		return 0;
	}
	return topology_resolve(&e->topo, cg, cpus, mems, why);
}

int vm_plan_make(struct vm_env *e, const struct vm_config *vm,
		 struct vm_plan *ret)
{
	struct error why = { 0 };
	int r;

	r = vm_plan_paths(e->c, vm, ret);
	if (r < 0)
		return r;
	r = vm_env_resolve(e);
	if (r < 0)
		goto fail;
	ret->accel = e->accel;
	ret->have_cache_size = e->have_cache_size;
	r = binding(e, &vm->cg, &ret->cpus, &ret->mems, &why);
	if (r < 0) {
		r = err_fail(&e->err, r, "[vm %s]: %s", vm->id, why.msg);
		goto fail;
	}
	for (size_t i = 0; i < ret->n_shares; i++) {
		if (ret->shares[i].backend != SHARE_BACKEND_VIRTIO_PMEM)
			continue;
		r = pmem_size(e, &ret->shares[i]);
		if (r < 0)
			goto fail;
	}
	r = binding(e, &e->c->virtiofsd.cg, &ret->fsd_cpus, &ret->fsd_mems,
		    &why);
	if (r < 0) {
		r = err_fail(&e->err, r, "[virtiofsd]: %s", why.msg);
		goto fail;
	}
	return 0;
fail:
	vm_plan_free(ret);
	return r;
}

void vm_plan_free(struct vm_plan *p)
{
	for (size_t i = 0; p->shares && i < p->n_shares; i++) {
		struct vm_plan_share *ps = &p->shares[i];

		free(ps->source);
		free(ps->socket);
		free(ps->pidfile);
		free(ps->log);
		free(ps->own_pidfile);
		free(ps->image);
		free(ps->image_dir);
	}
	free(p->shares);
	free(p->dir);
	free(p->qemu_pid);
	free(p->qemu_log);
	free(p->qmp);
	free(p->console_sock);
	free(p->console_log);
	free(p->mounts);
	free(p->starting);
	free(p->cgroup_mark);
	free(p->known_hosts);
	free(p->host_key);
	free(p->host_key_pub);
	free(p->image_dir);
	free(p->disk);
	free(p->seed);
	free(p->cpus);
	free(p->mems);
	free(p->fsd_cpus);
	free(p->fsd_mems);
	memset(p, 0, sizeof(*p));
}
