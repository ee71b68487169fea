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
#include "strv.h"
#include "vmplan.h"
#include "util.h"

/*
 * The MAC of the VM's NIC when it boots an image: its cloud-init seed's
 * network-config matches it (lib/cloudinit.h).
 */
#define QEMU_GUEST_MAC "52:54:00:12:34:56"

/* The kernel command line for the tiny guest (guest/PROTOCOL.md). */
char *qemu_kernel_cmdline(const struct vm_plan *p);

/* qemu's argument list for the VM of the plan, from the plan alone. */
int qemu_build_argv(const struct vm_plan *p, char ***ret, struct error *err);

/*
 * The argument list of the virtiofsd of share ps of the plan: binary, in
 * the option style given (C or Rust), [virtiofsd] from p->c.
 * -EINVAL: the C style and a ',' in the source (its -o takes a comma
 * list); -EOPNOTSUPP: the C style and [virtiofsd] sandbox = none.
 */
int virtiofsd_build_argv(const struct vm_plan *p,
			 const struct vm_plan_share *ps, const char *binary,
			 enum virtiofsd_style style, char ***ret);

/* Rounds a pmem image size up to the 2 MiB virtio-pmem wants. */
uint64_t qemu_pmem_align(uint64_t size);
/* Size for an ext4 image holding the tree at dir (with headroom). */
int qemu_pmem_size_for(const char *dir, uint64_t *ret);
/* mkfs.ext4 argument list filling image from source. */
int qemu_mkfs_argv(const char *source, const char *image, const char *label,
		   char ***ret);

/* Probes. */
/* "vmx" or "svm" when a flags line of /proc/cpuinfo text has it, or NULL. */
const char *qemu_cpuinfo_virt_flag(const char *cpuinfo);
/*
 * KVM usable: vmx/svm in cpuinfo (a /proc/cpuinfo), and kvm (/dev/kvm)
 * opens read-write, speaks API version 12 and creates a VM (KVM_CREATE_VM).
 * why: what was found, for messages and the provenance ("vmx in
 * /proc/cpuinfo, /dev/kvm creates VMs", "no vmx or svm flag in
 * /proc/cpuinfo", "/dev/kvm: KVM_CREATE_VM failed: ...").
 */
bool qemu_kvm_probe(const char *cpuinfo, const char *kvm, char *why,
		    size_t len);
/* A property line "  PROP=<type> ..." in `qemu -device DEV,help` output. */
bool qemu_device_help_has(const char *help, const char *prop);
/* `qemu -device vhost-user-fs-pci,help` lists cache-size. */
int qemu_probe_cache_size(const char *qemu, bool *ret);
/*
 * The virtiofsd to use: configured (a path, or a name for PATH), else the
 * first of virtiofsd_places[] under root ("" or NULL: /) that is
 * executable. *ret is the path without root.
 */
int virtiofsd_find_in(const char *root, const char *configured, char **ret);
/*
 * The option style from the output of `virtiofsd --help` and
 * `--version` (either may be NULL), never from the binary's path: Rust
 * (--shared-dir; "virtiofsd 1.13.2") or C (-o source=; "virtiofsd version
 * 7.2.22"). -ENOEXEC when neither tells.
 */
int virtiofsd_style_of(const char *help, const char *version,
		       enum virtiofsd_style *ret);
/*
 * Runs binary --help and --version: the style (virtiofsd_style_of()) and
 * the first line of --version (allocated; "unknown" when it says nothing).
 */
int virtiofsd_probe(const char *binary, enum virtiofsd_style *ret_style,
		    char **ret_version);
/* "c" or "rust" ("auto" for VIRTIOFSD_STYLE_AUTO). */
const char *virtiofsd_style_name(enum virtiofsd_style s);

#endif
