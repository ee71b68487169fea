/* SPDX-License-Identifier: MIT */
/*
 * Reading a file that may be compressed (kernel modules: .ko, .ko.gz,
 * .ko.xz, .ko.zst) in-process, with zlib, liblzma and libzstd: no gzip, xz
 * or zstd program is needed on the host.
 */
#ifndef DAXLAB_DECOMPRESS_H
#define DAXLAB_DECOMPRESS_H

#include <stddef.h>
#include "util.h"

/*
 * The codec a file's name asks for: "gzip" (.gz), "xz" (.xz), "zstd"
 * (.zst), or NULL for none of them.
 */
const char *decompress_codec_of(const char *path);

/*
 * Reads path whole into a fresh buffer, decompressed with the codec its
 * name asks for (a file with none is read as it is). Streamed: the only
 * limit on its size is memory. Concatenated streams are read one after
 * the other, as gzip -d, xz -d and zstd -d do. Returns 0, or -errno with a
 * message naming the file and the codec in err: -EBADMSG for corrupt or
 * truncated data, -ENOMEM, or the error of open() or read().
 */
int decompress_file(const char *path, unsigned char **ret, size_t *ret_len,
		    struct error *err);

#endif
