// SPDX-License-Identifier: MIT
#include "cpio.h"
#include "array.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct cpio {
	int fd;
	uint32_t next_ino;
	uint64_t bytes;
	struct {
		char *path; /* every entry so far, for parents and duplicates */
		bool dir;
	} * v;
	size_t n, cap;
};

struct cpio *cpio_new(int fd)
{
	struct cpio *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->next_ino = 1;
	return c;
}

void cpio_free(struct cpio *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	free(c);
}

static int emit(struct cpio *c, const void *buf, size_t len)
{
	int r = write_all(c->fd, buf, len);

	if (r < 0)
		return r;
	c->bytes += len;
	return 0;
}

static int pad4(struct cpio *c)
{
	static const char zero[4];
	size_t n = (4 - (c->bytes & 3)) & 3;

	return n ? emit(c, zero, n) : 0;
}

static int header(struct cpio *c, const char *name, mode_t mode, uint64_t size,
		  unsigned rmajor, unsigned rminor)
{
	char h[111];
	size_t nlen = strlen(name) + 1;
	int r;

	if (size > UINT32_MAX)
		return -EFBIG;
	snprintf(h, sizeof(h),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino++, (unsigned)mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u,
		 0u, (unsigned)size, 0u, 0u, rmajor, rminor, (unsigned)nlen,
		 0u);
	r = emit(c, h, 110);
	if (r < 0)
		return r;
	r = emit(c, name, nlen);
	if (r < 0)
		return r;
	return pad4(c);
}

/* "/a//b/" -> "a/b"; -EINVAL for empty, "." or ".." components. */
static int normalize(const char *path, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(path) + 1);
	size_t o = 0;
	const char *p = path;

	if (!out)
		return -ENOMEM;
	while (*p) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static ssize_t find(const struct cpio *c, const char *name)
{
	for (size_t i = c->n; i-- > 0;)
		if (strcmp(c->v[i].path, name) == 0)
			return (ssize_t)i;
	return -1;
}

static int remember(struct cpio *c, const char *name, bool dir)
{
	if (ARRAY_RESERVE(c->v, c->n, c->cap, 64) < 0)
		return -ENOMEM;
	c->v[c->n].path = strdup(name);
	if (!c->v[c->n].path)
		return -ENOMEM;
	c->v[c->n++].dir = dir;
	return 0;
}

/* Writes the missing parent directories of name (cut and mended in place). */
static int parents(struct cpio *c, char *name)
{
	int r;

	for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		ssize_t i;

		*s = '\0';
		i = find(c, name);
		if (i >= 0 && !c->v[i].dir)
			return -ENOTDIR;
		if (i < 0) {
			r = header(c, name, S_IFDIR | 0755, 0, 0, 0);
			if (r < 0 || (r = remember(c, name, true)) < 0)
				return r;
		}
		*s = '/';
	}
	return 0;
}

/* Checks the path and writes its parents; *ret is the archive name. */
static int prepare(struct cpio *c, const char *path, bool dir, char **ret)
{
	_cleanup_free_ char *name = NULL;
	ssize_t i;
	int r;

	r = normalize(path, &name);
	if (r < 0)
		return r;
	i = find(c, name);
	if (i >= 0)
		return dir && c->v[i].dir ? 1 : -EEXIST;
	r = parents(c, name);
	if (r < 0)
		return r;
	r = remember(c, name, dir);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(name);
	return 0;
}

int cpio_add_dir(struct cpio *c, const char *path, mode_t mode)
{
	_cleanup_free_ char *name = NULL;
	int r = prepare(c, path, true, &name);

	if (r != 0)
		return r < 0 ? r : 0;
	return header(c, name, S_IFDIR | (mode & 07777), 0, 0, 0);
}

/* An entry of type and mode mode whose content is data (a file, a link). */
static int add_blob(struct cpio *c, const char *path, mode_t mode,
		    const void *data, size_t len)
{
	_cleanup_free_ char *name = NULL;
	int r = prepare(c, path, false, &name);

	if (r < 0)
		return r;
	r = header(c, name, mode, len, 0, 0);
	if (r < 0)
		return r;
	r = emit(c, data, len);
	if (r < 0)
		return r;
	return pad4(c);
}

int cpio_add_data(struct cpio *c, const char *path, mode_t mode,
		  const void *data, size_t len)
{
	return add_blob(c, path, S_IFREG | (mode & 07777), data, len);
}

int cpio_add_file(struct cpio *c, const char *path, mode_t mode,
		  const char *src)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t left;
	int r;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	r = prepare(c, path, false, &name);
	if (r < 0)
		return r;
	r = header(c, name, S_IFREG | (mode & 07777), (uint64_t)st.st_size, 0,
		   0);
	if (r < 0)
		return r;
	buf = malloc(1 << 20);
	if (!buf)
		return -ENOMEM;
	left = (uint64_t)st.st_size;
	while (left > 0) {
		size_t want = left < (1 << 20) ? (size_t)left : (1 << 20);
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank while we copied it */
		r = emit(c, buf, (size_t)n);
		if (r < 0)
			return r;
		left -= (uint64_t)n;
	}
	return pad4(c);
}

int cpio_add_symlink(struct cpio *c, const char *path, const char *target)
{
	size_t len = strlen(target);

	if (len == 0)
		return -EINVAL;
	return add_blob(c, path, S_IFLNK | 0777, target, len);
}

int cpio_add_chardev(struct cpio *c, const char *path, mode_t mode,
		     unsigned major, unsigned minor)
{
	_cleanup_free_ char *name = NULL;
	int r = prepare(c, path, false, &name);

	if (r < 0)
		return r;
	return header(c, name, S_IFCHR | (mode & 07777), 0, major, minor);
}

int cpio_finish(struct cpio *c)
{
	c->next_ino = 0;
	return header(c, "TRAILER!!!", 0, 0, 0, 0);
}
