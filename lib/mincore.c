// SPDX-License-Identifier: MIT
/*
 * The mapping and mincore() of a file's resident pages, which residency
 * (lib/fileset.c) and page owners (lib/pageowner.c) both start from. A
 * file of its own: guest/daxlab-resident links it statically, without
 * the rest of the file sets.
 */
#include "fileset.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The resident pages of m that no range touches become FS_PAGE_REST. */
static void keep_ranges(struct fs_mapped *m, const struct fs_ranges *only)
{
	size_t k = 0;

	for (size_t i = 0; i < m->npages; i++) {
		uint64_t off = (uint64_t)i * m->page;

		while (k < only->n && only->r[k][1] <= off)
			k++;
		if (k == only->n || only->r[k][0] >= off + m->page)
			m->vec[i] = m->vec[i] & 1 ? FS_PAGE_REST : 0;
	}
}

int fileset_map_resident(const char *path, const struct fs_ranges *only,
			 struct fs_mapped *m)
{
	/* O_NONBLOCK: a FIFO a guest left in a set's place opens at once */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	memset(m, 0, sizeof(*m));
	m->page = (size_t)sysconf(_SC_PAGESIZE);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -EINVAL;
	m->size = (size_t)st.st_size;
	if (!m->size)
		return 0;
	m->npages = (m->size + m->page - 1) / m->page;
	m->map = mmap(NULL, m->size, PROT_READ, MAP_SHARED, fd, 0);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		return -errno;
	}
	m->vec = malloc(m->npages);
	if (!m->vec) {
		fileset_unmap(m);
		return -ENOMEM;
	}
	/* no readahead when resident pages are touched */
	madvise(m->map, m->size, MADV_RANDOM);
	if (mincore(m->map, m->size, m->vec) < 0) {
		int r = -errno;

		fileset_unmap(m);
		return r;
	}
	if (only)
		keep_ranges(m, only);
	return 0;
}

void fileset_recheck(struct fs_mapped *m, size_t i, size_t n)
{
	unsigned char now[4096];

	for (size_t k = 0; k < n; k += sizeof(now)) {
		size_t c = n - k < sizeof(now) ? n - k : sizeof(now);

		/* it cannot fail on our own mapping; if it did, keep vec */
		if (mincore(m->map + (i + k) * m->page, c * m->page, now) < 0)
			return;
		for (size_t j = 0; j < c; j++)
			if (!(now[j] & 1))
				m->vec[i + k + j] = 0;
	}
}

void fileset_unmap(struct fs_mapped *m)
{
	if (m->map)
		munmap(m->map, m->size);
	free(m->vec);
	m->map = NULL;
	m->vec = NULL;
}
