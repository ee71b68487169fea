/* SPDX-License-Identifier: MIT */
/*
 * The byte ranges of a virtio-pmem image that hold its files' data. The
 * image's page cache also holds its file system's metadata and whatever
 * free blocks readahead brought in; only these ranges are the host's
 * copy of the files. Found with debugfs when the image is built, kept in
 * a file next to it (statedir_image_extents()) that names the image's
 * inode and size, so that a rebuilt image is never read with the ranges
 * of the one before.
 */
#ifndef DAXLAB_IMGEXTENTS_H
#define DAXLAB_IMGEXTENTS_H

#include "fileset.h"
#include "util.h"

/*
 * Writes the ranges of the data of every regular file of source (the
 * folder mkfs.ext4 -d put in image) next to image.
 */
int imgextents_build(const char *image, const char *source, struct error *err);

/*
 * The ranges of image, as written: sorted and apart. 0, -ENOENT when
 * there are none or they are of another image (one built by an older
 * daxlab, or rebuilt since), or -EBADMSG for a file that is not theirs
 * (ranges empty, out of order or overlapping, too).
 */
int imgextents_load(const char *image, struct fs_ranges *ret);
void imgextents_free(struct fs_ranges *x);

/* Sorts and merges n ranges in place; returns how many are left. */
size_t imgextents_merge(uint64_t (*r)[2], size_t n);

#endif
