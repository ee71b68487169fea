/* SPDX-License-Identifier: MIT */
/*
 * The tiny guest: a kernel from the host and an initramfs made from the
 * host's own packages (busybox-static, fio and its libraries, dropbear,
 * the kernel modules for virtio, virtiofs, virtio-pmem and ext4, and the
 * guest's /init). See guest/PROTOCOL.md for what the output holds.
 */
#ifndef DAXLAB_GUESTBUILD_H
#define DAXLAB_GUESTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strv.h"
#include "util.h"

/* A host file put into the guest (--add HOSTPATH[:GUESTPATH]). */
struct guest_extra {
	const char *host; /* the host file */
	const char *guest; /* absolute path in the guest; NULL: host's path */
};

struct guest_build_opts {
	const char *output_dir;
	const char *kernel; /* NULL: the newest /boot/vmlinuz-* */
	const char *init_path; /* the guest's /init (guest/init) */
	/*
	 * daxlab-resident (static), put at RS_GUEST_HELPER so that daxlab
	 * can measure the guest's page cache; NULL: left out.
	 */
	const char *resident;
	const char *version; /* daxlab's version, part of the input hash */
	bool force; /* rebuild even when the inputs did not change */
	/*
	 * Extra host files, copied with their mode; an ELF program also gets
	 * every library ldd lists for it. Part of the input hash.
	 */
	const struct guest_extra *extras;
	size_t n_extras;
	/* Progress lines ("copying the kernel", ...); may be NULL. */
	void (*progress)(void *userdata, const char *msg);
	void *userdata;
};

struct guest_build_result {
	bool up_to_date; /* nothing was rebuilt */
	char *kernel; /* the kernel used */
	char *kernel_version;
	uint64_t initrd_bytes; /* compressed size */
	size_t n_modules;
	char hash[65];
};

void guest_build_result_done(struct guest_build_result *r);

/*
 * Builds the guest into o->output_dir. Returns 0, or -errno with a message
 * naming the file or command at fault in err.
 */
int guest_build(const struct guest_build_opts *o,
		struct guest_build_result *ret, struct error *err);

/*
 * The Debian packages the build needs (linux-image-amd64 only when
 * with_kernel) that dpkg does not show as installed: a NULL-terminated
 * list, empty when nothing is missing. -ENOENT when dpkg-query is not
 * there.
 */
int guest_missing_packages(bool with_kernel, char ***ret);

/* Kernel modules the guest loads; their dependencies come from modules.dep. */
extern const char *const guest_module_roots[];

/* The newest bootdir/vmlinuz-* by version order; -ENOENT if none. */
int guest_newest_kernel(const char *bootdir, char **ret);

/*
 * The release of a kernel image: from the bzImage header, else from a file
 * name vmlinuz-RELEASE. -EINVAL when neither tells.
 */
int guest_kernel_release(const char *kernel, char **ret);

/*
 * The modules to load, in an order that satisfies modules.dep: paths
 * relative to moddir (as modules.dep writes them), dependencies first,
 * each once. A root that is built in (modules.builtin) is skipped; one
 * that is neither gives -ENOENT with its name in err.
 */
int guest_modules_order(const char *moddir, const char *const *roots,
			char ***ret, struct error *err);

/*
 * The libraries in ldd's output, in order, each once (absolute paths).
 * -ENOENT with the library in err for "not found".
 */
int guest_ldd_parse(const char *out, char ***ret, struct error *err);

/*
 * Splits an --add argument "HOSTPATH[:GUESTPATH]" at its first ':'.
 * HOSTPATH must not be empty; GUESTPATH, when given, must be absolute,
 * without "." or ".." components, and not "/" itself. *ret_guest is NULL
 * when no GUESTPATH was given. -EINVAL with the reason in err.
 */
int guest_extra_parse(const char *arg, char **ret_host, char **ret_guest,
		      struct error *err);

/*
 * The lab's ssh key at key (OpenSSH, ed25519; key.pub beside it): made
 * with ssh-keygen when missing, its public half rebuilt when only that is
 * missing. *ret_pub gets the public line. -errno with the cause in err.
 */
int guest_lab_key(const char *key, char **ret_pub, struct error *err);

/* SHA-256 of data as 64 hex digits and a NUL. */
void guest_sha256_hex(const void *data, size_t len, char out[65]);

#endif
