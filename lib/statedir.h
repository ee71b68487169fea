/* SPDX-License-Identifier: MIT */
/*
 * Where daxlab keeps what it makes (docs/architecture.md):
 *
 *   state_dir  (/run/daxlab; may be tmpfs): sockets, pid files, logs,
 *              ssh_config; vm-ID/ per VM
 *   image_dir  (/var/lib/daxlab; a disk file system, never tmpfs):
 *              share-NAME.img  the virtio-pmem image of a share that all
 *                              its VMs map
 *              vm-ID/share-NAME.img  one VM's own (a source with %i)
 *              vm-ID/disk.qcow2  an image VM's overlay of its [vm] image,
 *                                made at start, removed at stop
 *              vm-ID/seed.img    its NoCloud seed (cidata), made at start
 *
 * An image on tmpfs is shmem: never evicted, never charged to the cgroup
 * of the guest that maps it. Every figure about it would be an artifact,
 * so statedir_disk_fs() refuses such a file system.
 */
#ifndef DAXLAB_STATEDIR_H
#define DAXLAB_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>

struct lab_config;
struct vm_config;
struct share_config;

/* The virtio-pmem image of share s for vm. Allocated. */
char *statedir_pmem_image(const struct lab_config *c,
			  const struct vm_config *vm,
			  const struct share_config *s);
/* The folder that holds it (image_dir, or image_dir/vm-ID). Allocated. */
char *statedir_pmem_image_dir(const struct lab_config *c,
			      const struct vm_config *vm,
			      const struct share_config *s);

/* image_dir/vm-ID: one VM's own images. Allocated. */
char *statedir_vm_image_dir(const struct lab_config *c,
			    const struct vm_config *vm);
/* image_dir/vm-ID/disk.qcow2: the overlay an image VM boots. Allocated. */
char *statedir_vm_disk(const struct lab_config *c, const struct vm_config *vm);
/* image_dir/vm-ID/seed.img: its NoCloud seed. Allocated. */
char *statedir_vm_seed(const struct lab_config *c, const struct vm_config *vm);

/*
 * The file system that holds path (or, while path does not exist yet, its
 * nearest existing parent): its type as /proc/self/mountinfo names it
 * ("ext4", "tmpfs", "overlay", ...) in ret_type, and whether its pages
 * are memory only (tmpfs, ramfs, or an overlay whose upper layer is one
 * of those) in *ret_memory. ret_type gets "overlay on tmpfs" for the last.
 */
int statedir_fs_type(const char *path, char *ret_type, size_t len,
		     bool *ret_memory);

/*
 * 0 when path is on a disk file system; -EMEDIUMTYPE when it is on a
 * memory one, with err saying "WHAT 'PATH' is on TYPE: ...".
 */
int statedir_disk_fs(const char *what, const char *path, char *err,
		     size_t errlen);

#endif
