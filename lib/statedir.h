/* SPDX-License-Identifier: MIT */
/*
 * Where daxlab keeps what it makes (docs/architecture.md); the only code
 * that knows these names:
 *
 *   state_dir  (/run/daxlab; may be tmpfs): nothing measured
 *              ssh_config      a Host entry per VM
 *              vm-ID.lock      held while a start or stop of the VM runs
 *              cgroups.lock    held while the lab's cgroups change
 *              vm-ID/          qemu.pid, qemu.log, qmp.sock, console.sock,
 *                              console.log, mounts, starting, cgroup
 *                              (whose processes a stop may kill),
 *                              known_hosts, fio.sock and fio.lock
 *                              (while a fio client runs: lib/fiofwd.h),
 *                              ssh_host_ed25519_key{,.pub}
 *                              (an image VM's, given by its seed), and per
 *                              virtiofs share
 *                              virtiofsd-SHARE.{sock,pid,log} (and the
 *                              Rust virtiofsd's own virtiofsd-SHARE.sock.pid)
 *   image_dir  (/var/lib/daxlab; a disk file system, never tmpfs):
 *              share-NAME.img  the virtio-pmem image of a share that all
 *                              its VMs map, share-NAME.img.extents where
 *                              its files' data sit in it
 *              vm-ID/share-NAME.img  one VM's own (a source with %i)
 *              vm-ID/disk.qcow2  an image VM's overlay of its [vm] image,
 *                                made at start, removed at stop
 *              vm-ID/seed.img    its NoCloud seed (cidata), made at start
 *
 * An image on tmpfs is shmem: never evicted, never charged to the cgroup
 * of the guest that maps it; on zfs its data are cached in the ARC, not
 * the page cache. Every figure about it would be an artifact, so
 * statedir_disk_fs() refuses such a file system.
 */
#ifndef DAXLAB_STATEDIR_H
#define DAXLAB_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include "util.h"

struct lab_config;
struct vm_config;
struct share_config;

/* state_dir/ssh_config, state_dir/cgroups.lock. Allocated. */
char *statedir_ssh_config(const struct lab_config *c);
char *statedir_cgroups_lock(const struct lab_config *c);
/* state_dir/vm-ID, state_dir/vm-ID.lock. Allocated. */
char *statedir_vm_dir(const struct lab_config *c, const struct vm_config *vm);
char *statedir_vm_lock(const struct lab_config *c, const struct vm_config *vm);

/* The files in a VM's folder (vm_dir: statedir_vm_dir()). */
enum statedir_vm_file {
	STATEDIR_QEMU_PID,
	STATEDIR_QEMU_LOG,
	STATEDIR_QMP,
	STATEDIR_CONSOLE_SOCK,
	STATEDIR_CONSOLE_LOG,
	STATEDIR_MOUNTS, /* an image VM's mounts, as its start found them */
	STATEDIR_STARTING, /* there while a start runs */
	STATEDIR_CGROUP, /* the inode of the VM cgroup that its start made */
	STATEDIR_KNOWN_HOSTS, /* the guest's host key, as ssh checks it */
	STATEDIR_HOST_KEY, /* an image VM's host key (and .pub), its seed's */
	STATEDIR_FIO_SOCK, /* ssh's forward of the guest's fio server */
	STATEDIR_FIO_LOCK, /* held while that forward is up */
};
/* vm_dir/qemu.pid, ... Allocated. */
char *statedir_vm_file(const char *vm_dir, enum statedir_vm_file f);
/* A file of vm_dir in one call: state_dir/vm-ID/qemu.pid, ... Allocated. */
char *statedir_vm_path(const struct lab_config *c, const struct vm_config *vm,
		       enum statedir_vm_file f);

/*
 * The VM id in a fio host that is the fio.sock of a VM folder
 * (".../vm-ID/fio.sock", then ":PORT" as fio's JSON has it), copied to
 * id; false when host is none.
 */
bool statedir_fio_sock_vm(const char *host, char *id, size_t len);

/* vm_dir/virtiofsd-SHARE.sock, .pid, .log. Allocated. */
char *statedir_share_socket(const char *vm_dir, const char *share);
char *statedir_share_pidfile(const char *vm_dir, const char *share);
char *statedir_share_log(const char *vm_dir, const char *share);
/*
 * vm_dir/virtiofsd-SHARE.sock.pid: the pid file that the Rust virtiofsd
 * writes (and locks) next to its socket, and leaves when it is stopped.
 */
char *statedir_share_own_pidfile(const char *vm_dir, const char *share);

/* The virtio-pmem image of share s for vm. Allocated. */
char *statedir_pmem_image(const struct lab_config *c,
			  const struct vm_config *vm,
			  const struct share_config *s);
/*
 * Walks the lab's virtio-pmem images: each (share, VM) that has one, a
 * shared share's once, with the first VM that mounts it. Start with
 * *pos = 0; false at the end.
 */
bool statedir_pmem_next(const struct lab_config *c, size_t *pos,
			const struct share_config **ret_s,
			const struct vm_config **ret_vm);
/*
 * image.extents: the byte ranges of its files' data (lib/imgextents.h).
 * Allocated.
 */
char *statedir_image_extents(const char *image);
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
int statedir_disk_fs(const char *what, const char *path, struct error *err);

#endif
