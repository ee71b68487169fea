// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "util.h"

/*
 * Known data, compressed at test time with each library: 3 MiB (many
 * reads of the decoder's 64 KiB, the output buffer grown several times),
 * half of it a repeating text and half pseudo-random bytes.
 */
#define DATA_LEN (3u << 20)

static unsigned char *data;
static char dir[] = "/tmp/daxlab-test-decompress.XXXXXX";

enum codec { GZIP, XZ, ZSTD };
static const char *const suffix[] = { ".gz", ".xz", ".zst" };
static const char *const name[] = { "gzip", "xz", "zstd" };

static int setup(void **state)
{
	uint32_t x = 12345;

	(void)state;
	data = malloc(DATA_LEN);
	if (!data || !mkdtemp(dir))
		return -1;
	for (size_t i = 0; i < DATA_LEN / 2; i++)
		data[i] = (unsigned char)"a module, decompressed\n"[i % 23];
	for (size_t i = DATA_LEN / 2; i < DATA_LEN; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	return 0;
}

/* The folder holds files only. */
static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	(void)state;
	free(data);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return rmdir(dir);
}

/* Compresses in with the codec; the result is malloc'd. */
static unsigned char *compress_with(enum codec c, const unsigned char *in,
				    size_t len, size_t *ret_len)
{
	size_t cap = len + len / 2 + 65536;
	unsigned char *out = malloc(cap);

	assert_non_null(out);
	switch (c) {
	case GZIP: {
		z_stream z = { 0 };

		/* 16 + MAX_WBITS: a gzip header and trailer. */
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS,
					      8, Z_DEFAULT_STRATEGY),
				 Z_OK);
		z.next_in = (unsigned char *)in;
		z.avail_in = (unsigned)len;
		z.next_out = out;
		z.avail_out = (unsigned)cap;
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		*ret_len = z.total_out;
		deflateEnd(&z);
		break;
	}
	case XZ:
		*ret_len = 0;
		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64,
							 NULL, in, len, out,
							 ret_len, cap),
				 LZMA_OK);
		break;
	case ZSTD: {
		ZSTD_CCtx *z = ZSTD_createCCtx();

		/* As the zstd program writes it: with a checksum. */
		assert_non_null(z);
		assert_false(ZSTD_isError(
			ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)));
		*ret_len = ZSTD_compress2(z, out, cap, in, len);
		assert_false(ZSTD_isError(*ret_len));
		ZSTD_freeCCtx(z);
		break;
	}
	}
	return out;
}

static char *write_file(const char *base, const void *buf, size_t len)
{
	char *path = strdup_printf("%s/%s", dir, base);
	int fd;

	assert_non_null(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, buf, len), 0);
	close(fd);
	return path;
}

/* A file holding data compressed with c, named m.ko.SUFFIX. */
static char *compressed_file(enum codec c, size_t *ret_len,
			     unsigned char **ret_bytes)
{
	_cleanup_free_ char *base = strdup_printf("m.ko%s", suffix[c]);
	unsigned char *z = compress_with(c, data, DATA_LEN, ret_len);
	char *path = write_file(base, z, *ret_len);

	*ret_bytes = z;
	return path;
}

static void read_back(const char *path, const void *want, size_t want_len)
{
	unsigned char *got = NULL;
	size_t len = 0;
	struct error err = { 0 };

	assert_int_equal(decompress_file(path, &got, &len, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
}

/* decompress_file must fail with -EBADMSG and an err holding both words. */
static void read_fails(const char *path, const char *codec, const char *why)
{
	unsigned char *got = NULL;
	size_t len = 0;
	struct error err = { 0 };

	assert_int_equal(decompress_file(path, &got, &len, &err), -EBADMSG);
	assert_null(got);
	print_message("# %s\n", err.msg);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, codec));
	assert_non_null(strstr(err.msg, why));
}

static void test_codec_names(void **state)
{
	(void)state;
	assert_string_equal(decompress_codec_of("a/ext4.ko.gz"), "gzip");
	assert_string_equal(decompress_codec_of("a/ext4.ko.xz"), "xz");
	assert_string_equal(decompress_codec_of("a/ext4.ko.zst"), "zstd");
	assert_null(decompress_codec_of("a/ext4.ko"));
	assert_null(decompress_codec_of("a/ext4.ko.bz2"));
}

static void test_each_codec_gives_the_bytes(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		_cleanup_free_ unsigned char *z = NULL;
		_cleanup_free_ char *path = NULL;
		size_t zlen;

		path = compressed_file(c, &zlen, &z);
		assert_true(zlen < DATA_LEN);
		read_back(path, data, DATA_LEN);
	}
}

static void test_uncompressed_is_read_as_is(void **state)
{
	_cleanup_free_ char *path = write_file("m.ko", data, DATA_LEN);
	_cleanup_free_ char *empty = write_file("empty.ko", "", 0);

	(void)state;
	read_back(path, data, DATA_LEN);
	read_back(empty, "", 0);
}

/* Two streams one after the other, as gzip -d, xz -d and zstd -d read. */
static void test_concatenated_streams(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		_cleanup_free_ unsigned char *a = NULL, *b = NULL, *both = NULL;
		_cleanup_free_ char *base =
			strdup_printf("two.ko%s", suffix[c]);
		_cleanup_free_ char *path = NULL;
		size_t alen, blen, half = DATA_LEN / 2;

		a = compress_with(c, data, half, &alen);
		b = compress_with(c, data + half, DATA_LEN - half, &blen);
		both = malloc(alen + blen);
		assert_non_null(both);
		memcpy(both, a, alen);
		memcpy(both + alen, b, blen);
		path = write_file(base, both, alen + blen);
		read_back(path, data, DATA_LEN);
	}
}

/* Cut in half, and short of its last byte only (the check or trailer). */
static void test_truncated_input_is_named(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		for (int last_byte = 0; last_byte <= 1; last_byte++) {
			_cleanup_free_ unsigned char *z = NULL;
			_cleanup_free_ char *path = NULL;
			size_t zlen, keep;

			path = compressed_file(c, &zlen, &z);
			keep = last_byte ? zlen - 1 : zlen / 2;
			assert_int_equal(truncate(path, (off_t)keep), 0);
			read_fails(path, name[c], "ends early");
		}
	}
}

static void test_empty_compressed_file_is_truncated(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		_cleanup_free_ char *base = strdup_printf("e.ko%s", suffix[c]);
		_cleanup_free_ char *path = write_file(base, "", 0);

		read_fails(path, name[c], "ends early");
	}
}

/* 64 bytes in the middle flipped: the data or its check is wrong. */
static void test_corrupt_input_is_named(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		_cleanup_free_ char *base =
			strdup_printf("bad.ko%s", suffix[c]);
		_cleanup_free_ unsigned char *z = NULL;
		_cleanup_free_ char *path = NULL;
		size_t zlen;

		z = compress_with(c, data, DATA_LEN, &zlen);
		for (size_t i = zlen / 2; i < zlen / 2 + 64; i++)
			z[i] ^= 0x5a;
		path = write_file(base, z, zlen);
		read_fails(path, name[c], "corrupt");
	}
}

/* An uncompressed module under a compressed name. */
static void test_not_that_format_is_corrupt(void **state)
{
	(void)state;
	for (enum codec c = GZIP; c <= ZSTD; c++) {
		_cleanup_free_ char *base =
			strdup_printf("elf.ko%s", suffix[c]);
		_cleanup_free_ char *path = write_file(base, data, 4096);

		read_fails(path, name[c], "corrupt");
	}
}

static void test_missing_file_is_named(void **state)
{
	unsigned char *got = NULL;
	size_t len;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(
		decompress_file("/nonexistent/m.ko.xz", &got, &len, &err),
		-ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/m.ko.xz"));
	assert_null(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_names),
		cmocka_unit_test(test_each_codec_gives_the_bytes),
		cmocka_unit_test(test_uncompressed_is_read_as_is),
		cmocka_unit_test(test_concatenated_streams),
		cmocka_unit_test(test_truncated_input_is_named),
		cmocka_unit_test(test_empty_compressed_file_is_truncated),
		cmocka_unit_test(test_corrupt_input_is_named),
		cmocka_unit_test(test_not_that_format_is_corrupt),
		cmocka_unit_test(test_missing_file_is_named),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
