/* SPDX-License-Identifier: MIT */
/*
 * NoCloud seeds for VMs that boot a distribution image ([vm] image: a
 * Debian or Ubuntu cloud image, or one made by `daxlab guest image`).
 * `daxlab vm start` writes one per image VM at every start
 * (image_dir/vm-ID/seed.img); `daxlab guest cloud-init ID` writes the same
 * seed anywhere. It holds:
 *
 *   meta-data       instance-id, local-hostname
 *   network-config  v2: the NIC daxlab gives the VM (QEMU_GUEST_MAC) with
 *                   10.0.2.15/24 via 10.0.2.2 (qemu's user network, where
 *                   the ssh port is forwarded), DHCP for net = tap
 *   user-data       #cloud-config: the host name, root's ssh key (the
 *                   lab's), ed25519 host keys only, and through write_files
 *                   one systemd .mount unit per share (virtiofs by tag, or
 *                   /dev/pmemN as ext4, with the share's options), a
 *                   `fio --server` service and daxlab.target, which wants
 *                   them all; runcmd starts daxlab.target.
 *
 * No `mounts:` (cloud-init drops entries whose device is a virtiofs tag)
 * and no `packages:` (a restrict=on guest reaches no mirror: fio must be
 * in the image). Written into a vfat image labelled CIDATA.
 */
#ifndef DAXLAB_CLOUDINIT_H
#define DAXLAB_CLOUDINIT_H

#include <stddef.h>
#include "util.h"

struct lab_config;
struct vm_config;

/* The target that wants every share's mount and the fio server. */
#define CLOUDINIT_TARGET "daxlab.target"
/* The fio server's unit. */
#define CLOUDINIT_FIO_UNIT "daxlab-fio-server.service"

/*
 * The systemd unit name of a mount point, as `systemd-escape --path
 * --suffix=mount` gives it ("/mnt/dax-x" -> "mnt-dax\x2dx.mount"). NULL
 * when path is not absolute and normalized (no "." or ".." component)
 * or out of memory.
 */
char *cloudinit_mount_unit(const char *path);

/*
 * The mount point as Where= and /proc/mounts say it: no repeated or
 * trailing '/'. Allocated.
 */
char *cloudinit_mount_where(const char *path);

/*
 * How the guest mounts share number i of the config, as the seed writes
 * it: *ret_what (the tag, or /dev/pmemN numbered in the order of the VM's
 * pmem shares), *ret_type ("virtiofs" or "ext4") and *ret_options (the
 * share's options; for virtio-pmem "dax,ro,noload" by default; "" when
 * none). Allocated; -ENOENT when the VM does not mount that share.
 */
int cloudinit_share_mount(const struct lab_config *c,
			  const struct vm_config *vm, size_t i, char **ret_what,
			  const char **ret_type, char **ret_options);

/*
 * "#cloud-config" user-data for vm, allocated; NULL when out of memory.
 * host_key and host_pub (both, or NULL): the guest's ed25519 host key,
 * private and public, instead of one it makes, so that the host knows it.
 */
char *cloudinit_user_data(const struct lab_config *c,
			  const struct vm_config *vm, const char *ssh_pubkey,
			  const char *host_key, const char *host_pub);
/* meta-data (instance-id, local-hostname), allocated. */
char *cloudinit_meta_data(const struct vm_config *vm);
/*
 * network-config (version 2) matching the network qemu gives the VM,
 * allocated; "" for net = none (no file is written then).
 */
char *cloudinit_network_config(const struct vm_config *vm);

/*
 * Writes the seed image at path (replaced if it exists) with mkfs.vfat and
 * mcopy (dosfstools, mtools); network_config may be NULL or "". -errno,
 * with the command at fault in err.
 */
int cloudinit_write_seed(const char *path, const char *user_data,
			 const char *meta_data, const char *network_config,
			 struct error *err);

#endif
