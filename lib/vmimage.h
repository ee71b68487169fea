/* SPDX-License-Identifier: MIT */
/*
 * VMs that boot a distribution image ([vm] image): the copy-on-write
 * overlay each one boots, its NoCloud seed, and the check that makes such
 * a VM ready.
 *
 * At start, image_dir/vm-ID/disk.qcow2 is made with `qemu-img create -f
 * qcow2 -b IMAGE -F FORMAT`: qemu writes only the overlay and opens the
 * base read-only, so VMs share one base, every start begins from the same
 * clean disk, and the base is never written. The overlay goes at stop and
 * after a failed start, unless keep_disk. image_dir/vm-ID/seed.img is the
 * seed of lib/cloudinit.h (or [vm] seed, used as it is).
 *
 * Ready, after ssh answers, means, checked over one ssh connection: cloud-
 * init finished without errors (its /run/cloud-init/result.json, waited
 * for by a shell loop rather than `cloud-init status --wait`, a Python
 * process that costs the guest seconds under TCG), every share of the VM mounted where the config says with
 * the options it asks (/proc/mounts), fio there and of the host's version;
 * then the fio server answers a client job from the host.
 */
#ifndef DAXLAB_VMIMAGE_H
#define DAXLAB_VMIMAGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct lab_config;
struct vm_config;

/*
 * "qcow2" or "raw", from the image's first bytes (qcow2's magic); -EXDEV
 * for a qcow2 image with a backing file or an external data file (still
 * *ret "qcow2").
 */
int vmimage_format(const char *path, const char **ret);

/* qemu-img create -q -f qcow2 -b BASE -F FORMAT OVERLAY. */
int vmimage_overlay_argv(const char *base, const char *format,
			 const char *overlay, char ***ret);

/*
 * Makes the overlay (replacing a stale one) with qemu-img. -errno with
 * the command and its output in err.
 */
int vmimage_make_overlay(const char *base, const char *overlay,
			 struct error *err);

/*
 * Writes vm's seed at path: the lab's public key (the key made when
 * missing), the guest's host key (host_key and host_key.pub, or NULL:
 * none given), the shares, the network. -errno with the cause in err.
 */
int vmimage_make_seed(const struct lab_config *c, const struct vm_config *vm,
		      const char *path, const char *host_key,
		      struct error *err);

/* ---- readiness ---- */

#define VMIMAGE_MAX_UNITS 34

struct vmimage_unit {
	char name[256]; /* mnt-x.mount, daxlab-fio-server.service */
	char state[32]; /* systemctl is-active: active, failed, ... */
	char log[512]; /* its last journal lines when not active, "; " */
};

/* What the script printed, parsed. */
struct vmimage_report {
	bool complete; /* the script's last line was seen */
	/*
	 * none (not installed), disabled (it found no seed), timeout (no
	 * result.json in time), done; skipped (not waited for: fio is
	 * missing or of another version)
	 */
	char cloud_init[16];
	char *result; /* result.json, or NULL */
	char *mounts; /* /proc/mounts */
	struct vmimage_unit units[VMIMAGE_MAX_UNITS];
	size_t n_units;
	char fio_path[256]; /* "" when there is no fio */
	char fio_version[128];
};

int vmimage_parse_report(const char *out, struct vmimage_report *ret);
void vmimage_report_free(struct vmimage_report *r);

/*
 * The words after `sh -s --`: timeout_s, host_fio ("" for NULL), then the
 * unit of every share vm mounts and the fio server's. Allocated,
 * NULL-terminated.
 */
int vmimage_ready_args(const struct lab_config *c, const struct vm_config *vm,
		       unsigned timeout_s, const char *host_fio, char ***ret);

/*
 * Whether a mount's options (as /proc/mounts shows them) hold what the
 * config asks for: every option of asked, in the kernel's spelling ("dax"
 * is shown as "dax=always", "noload" as "norecovery"); options only
 * mount(8) sees ("defaults", "nofail", "x-*", ...) are skipped. *ret_missing
 * gets the first one missing.
 */
bool vmimage_options_match(const char *asked, const char *shown,
			   char *ret_missing, size_t len);

/*
 * Checks a report against the config: cloud-init finished without error,
 * every share mounted with its options, fio there and host_fio's version
 * (e.g. "fio-3.33"; NULL: not compared), its server unit active. The
 * problems go into err ("; "-separated, each naming what is missing),
 * warnings (cloud-init degraded) into warn; mounts gets one line per share
 * "DAXLAB-MOUNT-OK MOUNT FSTYPE OPTIONS", as the tiny guest prints them
 * (guest/PROTOCOL.md), or DAXLAB-MOUNT-FAILED. Returns the number of
 * problems, or -ENOMEM.
 */
int vmimage_check(const struct lab_config *c, const struct vm_config *vm,
		  const struct vmimage_report *r, const char *host_fio,
		  struct error *err, char *warn, size_t warnlen,
		  char **ret_mounts);

struct vmimage_ready {
	const struct lab_config *c;
	const struct vm_config *vm;
	const char *ssh_config; /* ssh -F */
	const char *mounts_file; /* where the DAXLAB-MOUNT lines go */
	const char *fio; /* the host's fio ("fio") */
	int64_t deadline_ns; /* CLOCK_MONOTONIC */
	const volatile sig_atomic_t *interrupted; /* may be NULL */
	char warn[1024]; /* out: warnings, or "" */
};

/*
 * The whole check: runs the script over ssh, checks its report, writes
 * mounts_file, then waits for the fio server to answer. -ETIMEDOUT,
 * -EINTR, -EIO (a problem: err names them all) or another -errno.
 */
int vmimage_wait_ready(struct vmimage_ready *rd, struct error *err);

/*
 * Copies helper (daxlab-resident on the host) to RS_GUEST_HELPER in the
 * guest over ssh (its bytes on ssh's stdin; the remote script's words
 * quoted), mode 0755, replaced whole. -errno with err saying why.
 */
int vmimage_copy_helper(const struct vmimage_ready *rd, const char *helper,
			struct error *err);

#endif
