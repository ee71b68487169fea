/* SPDX-License-Identifier: MIT */
/*
 * A writer for "newc" cpio archives (the initramfs format): entries are
 * streamed to an fd in the order they are added. Parent directories that
 * were not added explicitly are created (mode 0755) before their first
 * child, so the kernel can unpack the archive in one pass.
 */
#ifndef DAXLAB_CPIO_H
#define DAXLAB_CPIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cpio;

/* A writer on fd (not closed by cpio_free). NULL when out of memory. */
struct cpio *cpio_new(int fd);
/* Frees the writer; does not write the trailer. */
void cpio_free(struct cpio *c);

/*
 * Paths are absolute or relative to the archive's root ("/usr/bin/x" and
 * "usr/bin/x" are the same entry); "." and ".." components are refused
 * with -EINVAL, as is a second entry with the same path (-EEXIST), except
 * for a directory added again with cpio_add_dir (a no-op).
 */
int cpio_add_dir(struct cpio *c, const char *path, mode_t mode);
int cpio_add_data(struct cpio *c, const char *path, mode_t mode,
		  const void *data, size_t len);
/* Copies the contents of the host file src (symlinks followed). */
int cpio_add_file(struct cpio *c, const char *path, mode_t mode,
		  const char *src);
int cpio_add_symlink(struct cpio *c, const char *path, const char *target);
/* A character device node. */
int cpio_add_chardev(struct cpio *c, const char *path, mode_t mode,
		     unsigned major, unsigned minor);
/* Ends the archive (TRAILER!!!). */
int cpio_finish(struct cpio *c);

#endif
