/* SPDX-License-Identifier: MIT */
/*
 * Every qemu and virtiofsd argument daxlab uses is built here, plus the
 * probes that decide between variants (KVM or TCG, the virtiofsd option
 * style, a qemu with a DAX window) and the mkfs.ext4 of virtio-pmem images.
 */
#ifndef DAXLAB_QEMU_H
#define DAXLAB_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A growing NULL-terminated argument list; err is sticky (-ENOMEM). */
struct argv_buf {
	char **v;
	size_t n, cap;
	int err;
};

void argv_buf_add(struct argv_buf *b, const char *s);
void argv_buf_addf(struct argv_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the list over (NULL-terminated), or NULL after an error. */
char **argv_buf_steal(struct argv_buf *b);
void argv_free(char **v);

/*
 * The MAC of the VM's NIC when it boots an image: its cloud-init seed's
 * network-config matches it (lib/cloudinit.h).
 */
#define QEMU_GUEST_MAC "52:54:00:12:34:56"

/* What qemu_build_argv() needs beyond the config, decided by the caller. */
struct qemu_plan {
	const char *vm_dir;   /* <state_dir>/vm-ID: sockets, logs */
	const char *accel;    /* "kvm" or "tcg" */
	bool have_cache_size; /* qemu's vhost-user-fs-pci has cache-size */
	const char *mems;     /* host nodes for guest RAM, or NULL */
	/* per share of the config (index as in c->shares): pmem image */
	char **pmem_image;    /* path, or NULL */
	uint64_t *pmem_size;  /* bytes */
	/*
	 * A VM with an image boots disk (its qcow2 overlay), with seed (a
	 * raw NoCloud image) as a second, read-only disk. NULL: the image
	 * itself, no seed.
	 */
	const char *disk;
	const char *seed;
};

/* <vm_dir>/virtiofsd-SHARE.sock and friends. Allocated. */
char *qemu_share_socket(const char *vm_dir, const char *share);
char *qemu_share_pidfile(const char *vm_dir, const char *share);
char *qemu_share_log(const char *vm_dir, const char *share);

/* The kernel command line for the tiny guest (guest/PROTOCOL.md). */
char *qemu_kernel_cmdline(const struct lab_config *c,
			  const struct vm_config *vm);

int qemu_build_argv(const struct lab_config *c, const struct vm_config *vm,
		    const struct qemu_plan *plan, char ***ret, char *err,
		    size_t errlen);

int virtiofsd_build_argv(const struct lab_config *c, const char *binary,
			 enum virtiofsd_style style, const char *socket,
			 const char *source, char ***ret);

/* Rounds a pmem image size up to the 2 MiB virtio-pmem wants. */
uint64_t qemu_pmem_align(uint64_t size);
/* Size for an ext4 image holding the tree at dir (with headroom). */
int qemu_pmem_size_for(const char *dir, uint64_t *ret);
/* mkfs.ext4 argument list filling image from source. */
int qemu_mkfs_argv(const char *source, const char *image, const char *label,
		   char ***ret);

/* Probes. */
/* KVM usable: vmx/svm in /proc/cpuinfo and /dev/kvm opens read-write. */
bool qemu_kvm_usable(void);
/* `qemu -device vhost-user-fs-pci,help` mentions cache-size. */
int qemu_probe_cache_size(const char *qemu, bool *ret);
/* The virtiofsd to use: configured, else the usual places. */
int virtiofsd_find(const char *configured, char **ret);
/* C (-o source=) or Rust (--shared-dir) style, from `--help`. */
int virtiofsd_probe_style(const char *binary, enum virtiofsd_style *ret);

#endif
