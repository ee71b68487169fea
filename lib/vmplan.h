/* SPDX-License-Identifier: MIT */
/*
 * A VM plan: everything about one VM that is decided from the config, the
 * probes and the topology, resolved once and then handed to every step:
 * the cgroups, virtiofsd, qemu (lib/qemu.c builds its command line from
 * the plan alone), readiness, stop and status. As libvirt's virDomainDef.
 *
 * vm_plan_paths() is the part that needs no probe and cannot fail but for
 * memory: the VM's folder and files, its shares with their sources and
 * paths, the disk and seed of an image VM (lib/statedir.c names them).
 * vm_plan_make() adds the rest: accel, the cpus and mems of the VM and of
 * virtiofsd, the sizes of the virtio-pmem images. lib/qemu.c builds each
 * virtiofsd's command line from the plan and its share too.
 */
#ifndef DAXLAB_VMPLAN_H
#define DAXLAB_VMPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct vm_env;

/* One share of the VM, in the order of the config's [share] sections. */
struct vm_plan_share {
	const struct share_config *s; /* name, tag, mount, options, ... */
	enum share_backend backend;
	char *source; /* "%i" expanded */
	/* in the VM's folder: virtiofsd-NAME.sock, .pid, .log, .sock.pid */
	char *socket, *pidfile, *log, *own_pidfile;
	/* virtio-pmem: the image, the folder that holds it, its size */
	char *image, *image_dir;
	uint64_t image_size; /* bytes (vm_plan_make()) */
};

struct vm_plan {
	const struct lab_config *c;
	const struct vm_config *vm;
	/* <state_dir>/vm-ID and its files */
	char *dir, *qemu_pid, *qemu_log, *qmp, *console_sock, *console_log;
	char *mounts, *starting, *cgroup_mark;
	char *known_hosts, *host_key, *host_key_pub;
	struct vm_plan_share *shares;
	size_t n_shares, n_virtiofs, n_pmem;
	/*
	 * An image VM boots disk (its qcow2 overlay in image_dir, vm-ID),
	 * with seed ([vm] seed, or the one made at start) read-only.
	 */
	char *image_dir, *disk, *seed;
	/* vm_plan_make(): */
	const char *accel; /* "kvm" or "tcg" */
	bool have_cache_size; /* qemu's vhost-user-fs-pci has cache-size */
	char *cpus, *mems; /* the VM's binding, or NULL (inherited) */
	char *fsd_cpus, *fsd_mems; /* [virtiofsd]'s, shared by every VM */
};

/* The folder, files and shares of vm. -ENOMEM. */
int vm_plan_paths(const struct lab_config *c, const struct vm_config *vm,
		  struct vm_plan *ret);
/*
 * vm_plan_paths(), the probes of e (unless e->no_probe), the topology and
 * the image sizes. Fails with e->err filled.
 */
int vm_plan_make(struct vm_env *e, const struct vm_config *vm,
		 struct vm_plan *ret);
void vm_plan_free(struct vm_plan *p);

#endif
