/* SPDX-License-Identifier: MIT */
/*
 * For the unit tests of residency (test_fileset.c, test_pageowner.c): a
 * file of 1 MiB of which only pages 10 to 29 are in the page cache, read
 * with readahead off. path: a mkstemp() template, not on a tmpfs (which
 * cannot drop its pages).
 */
#ifndef DAXLAB_TEST_PARTFILE_H
#define DAXLAB_TEST_PARTFILE_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fileset.h"
#include "util.h"

#define PARTFILE_SIZE (1 << 20)

/* Reads pages [from, to) of the file at path into the page cache. */
static inline void partfile_read(const char *path, int from, int to)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM), 0);
	for (int p = from; p < to; p++)
		assert_int_equal(pread(fd, buf, 4096, p * 4096), 4096);
	close(fd);
}

static inline void partfile_make(char *path)
{
	static char buf[PARTFILE_SIZE];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	memset(buf, 7, sizeof(buf));
	assert_int_equal(write_all(fd, buf, sizeof(buf)), 0);
	close(fd);
	assert_int_equal(fileset_file_evict(path), 0);
	partfile_read(path, 10, 30);
}

#endif
