/* SPDX-License-Identifier: MIT */
/*
 * NoCloud seeds for users who bring their own guest images (the seed's
 * Ubuntu 22.04 images/vm0.img): user-data and meta-data that give root the
 * lab's ssh key, put the VM's shares in fstab and run `fio --server` as a
 * systemd service; written into a vfat image labelled CIDATA.
 */
#ifndef DAXLAB_CLOUDINIT_H
#define DAXLAB_CLOUDINIT_H

#include <stddef.h>

struct lab_config;
struct vm_config;

/* "#cloud-config" user-data for vm, allocated; NULL when out of memory. */
char *cloudinit_user_data(const struct lab_config *c,
			  const struct vm_config *vm, const char *ssh_pubkey);
/* meta-data (instance-id, local-hostname), allocated. */
char *cloudinit_meta_data(const struct vm_config *vm);

/*
 * Writes the seed image at path (replaced if it exists) with mkfs.vfat and
 * mcopy (dosfstools, mtools). -errno, with the command at fault in err.
 */
int cloudinit_write_seed(const char *path, const char *user_data,
			 const char *meta_data, char *err, size_t errlen);

#endif
