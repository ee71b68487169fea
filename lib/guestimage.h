/* SPDX-License-Identifier: MIT */
/*
 * `daxlab guest image`: a Debian cloud-style qcow2 image for [vm] image,
 * made with mmdebstrap from the mirror apt uses and Debian's own tools,
 * with no mount of the image on the host:
 *
 *   mmdebstrap --variant=apt --include=systemd-sysv,udev,dbus,cloud-init,
 *     openssh-server,fio,e2fsprogs,linux-image-amd64   (docs, man pages,
 *     translations and drivers a VM has no use for left out; an initramfs
 *     of the virtio disk and ext4 modules only)
 *   the tree set up for cloud-init's NoCloud seed (lib/cloudinit.h):
 *     systemd-networkd, no host keys, a short list of cloud-init modules
 *   an MBR disk: partition 1 vfat (the kernel, the initramfs, syslinux's
 *     config; syslinux installed with mtools), partition 2 ext4 (the tree,
 *     `mkfs.ext4 -E offset= -d`), converted with `qemu-img convert -O
 *     qcow2`
 *
 * SeaBIOS boots syslinux from the MBR, so the image boots like any cloud
 * image: [vm] image = FILE is all a VM needs. The image is cached: FILE
 * is rebuilt only when FILE.inputs does not hold the key of what it is
 * made of (release, packages, this recipe).
 */
#ifndef DAXLAB_GUESTIMAGE_H
#define DAXLAB_GUESTIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct guest_image_opts {
	const char *release; /* bookworm (default) or trixie */
	const char *output; /* the qcow2 file */
	const char *mirror; /* NULL: the Debian mirror of apt's sources */
	bool force; /* rebuild even when the key matches */
	void (*progress)(void *userdata, const char *msg);
	void *userdata;
};

struct guest_image_result {
	bool up_to_date;
	char key[65];
	char *mirror;
	char *kernel; /* the kernel's release, e.g. 6.1.0-50-amd64 */
	char *fio_version; /* fio in the image, e.g. fio-3.33 */
	uint64_t bytes; /* the qcow2 file's size */
};

void guest_image_result_done(struct guest_image_result *r);

/*
 * The first Debian archive in apt's sources under apt_dir (sources.list,
 * and in sources.list.d the .list and .sources files, deb822 with Enabled:
 * no skipped):
 * a "deb" entry over http, https, ftp or file whose suite is a Debian
 * release (bookworm, trixie-updates, stable, ...) and that has main.
 * -ENOENT with what was read in err when there is none.
 */
int guest_image_mirror(const char *apt_dir, char **ret, struct error *err);

/* The cache key of an image of release: 64 hex digits. */
void guest_image_key(const char *release, char out[65]);

/*
 * A DOS partition table with boot code (up to 440 bytes, syslinux's
 * mbr.bin): partition 1, active, FAT16 LBA (0x0e) at boot_start for
 * boot_sectors; partition 2, Linux (0x83) at root_start for root_sectors.
 */
void guest_image_mbr(unsigned char mbr[512], const unsigned char *code,
		     size_t code_len, uint32_t boot_start,
		     uint32_t boot_sectors, uint32_t root_start,
		     uint32_t root_sectors);

/* syslinux.cfg: boot /vmlinuz with /initrd.img, root by label. */
char *guest_image_syslinux_cfg(void);

/*
 * Builds (or finds up to date) o->output. Needs root (mmdebstrap's root
 * mode keeps the tree's owners for mkfs.ext4 -d). -errno with the step,
 * command or file at fault in err; the build's log is o->output.log.
 */
int guest_image_build(const struct guest_image_opts *o,
		      struct guest_image_result *ret, struct error *err);

#endif
