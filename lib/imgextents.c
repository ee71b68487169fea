// SPDX-License-Identifier: MIT
/*
 * Where a virtio-pmem image's files have their data (lib/imgextents.h):
 * debugfs's extent table of each regular file, block size from the super
 * block, merged into byte ranges.
 */
#include "imgextents.h"
#include "array.h"
#include "spawn.h"
#include "statedir.h"
#include "strv.h"

#include <errno.h>
#include <fts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "# daxlab image extents: offset length, bytes"

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

size_t imgextents_merge(uint64_t (*r)[2], size_t n)
{
	size_t k = 0;

	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (r[i][1] <= r[i][0])
			continue;
		if (k && r[i][0] <= r[k - 1][1]) {
			if (r[i][1] > r[k - 1][1])
				r[k - 1][1] = r[i][1];
			continue;
		}
		r[k][0] = r[i][0];
		r[k][1] = r[i][1];
		k++;
	}
	return k;
}

void imgextents_free(struct fs_ranges *x)
{
	free(x->r);
	x->r = NULL;
	x->n = 0;
}

/*
 * "# image dev=D ino=I size=S": which image the ranges are of. A rebuilt
 * image is a new file (renamed over the old one). Not its time: a guest
 * that mounts it writes to it.
 */
static int image_line(const char *image, char *buf, size_t len)
{
	struct stat st;

	if (stat(image, &st) < 0)
		return -errno;
	snprintf(buf, len, "# image dev=%llu ino=%llu size=%lld",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (long long)st.st_size);
	return 0;
}

/* debugfs commands: the block size, then each regular file's extents. */
static int commands(const char *source, FILE *f, struct error *err)
{
	char *const roots[] = { (char *)source, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	size_t skip = strlen(source);
	FTSENT *e;
	int n = 0;

	if (!fts)
		return err_fail(err, -errno, "%s: %s", source, strerror(errno));
	fprintf(f, "show_super_stats -h\n");
	while ((e = fts_read(fts))) {
		const char *rel = e->fts_path + skip;

		if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR) {
			int r = err_fail(err, -e->fts_errno, "%s: %s",
					 e->fts_path, strerror(e->fts_errno));

			fts_close(fts);
			return r;
		}
		if (e->fts_info != FTS_F)
			continue;
		/* debugfs takes a name in double quotes, without escapes */
		for (const char *p = rel; *p; p++)
			if (*p == '"' || (unsigned char)*p < 0x20) {
				int r = err_fail(
					err, -EINVAL,
					"%s: a file name with '\"' or a control character, which debugfs cannot take",
					e->fts_path);

				fts_close(fts);
				return r;
			}
		fprintf(f, "ex -l \"%s%s\"\n", *rel == '/' ? "" : "/", rel);
		n++;
	}
	fts_close(fts);
	return n;
}

/* The ranges in debugfs's output, for want files; -EBADMSG if not all. */
static int parse(char *out, int want, uint64_t (**ret)[2], size_t *ret_n)
{
	uint64_t block = 0, (*r)[2] = NULL;
	size_t n = 0, cap = 0;
	int files = 0;

	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long long lb, le, pb, pe, b;
		int lv, ld, en, et;
		unsigned len;

		if (sscanf(l, "Block size: %llu", &b) == 1)
			block = b;
		/* a file's table, or its data inline in its inode: none */
		else if (!strncmp(l, "Level Entries", 13) ||
			 strstr(l, ": does not uses extent block maps"))
			files++;
		else if (sscanf(l, "%d/%d %d/%d %llu - %llu %llu - %llu %u",
				&lv, &ld, &en, &et, &lb, &le, &pb, &pe,
				&len) == 9 &&
			 pe >= pb) {
			if (ARRAY_RESERVE(r, n, cap, 64) < 0) {
				free(r);
				return -ENOMEM;
			}
			r[n][0] = pb;
			r[n][1] = pe + 1;
			n++;
		}
	}
	if (!block || files != want) {
		free(r);
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		r[i][0] *= block;
		r[i][1] *= block;
	}
	*ret = r;
	*ret_n = imgextents_merge(r, n);
	return 0;
}

int imgextents_build(const char *image, const char *source, struct error *err)
{
	_cleanup_free_ char *path = statedir_image_extents(image);
	_cleanup_free_ char *cmds = NULL, *out = NULL, *text = NULL;
	_cleanup_free_ uint64_t(*r)[2] = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char head[160];
	size_t n = 0, len = 0;
	int files, ex, ret;

	if (!path)
		return -ENOMEM;
	cmds = strdup_printf("%s.debugfs", path);
	if (!cmds)
		return -ENOMEM;
	f = fopen(cmds, "we");
	if (!f)
		return err_fail(err, -errno, "%s: %s", cmds, strerror(errno));
	files = commands(source, f, err);
	if (fclose(TAKE_PTR(f)) != 0 && files >= 0)
		files = err_fail(err, -EIO, "%s: %s", cmds, strerror(EIO));
	if (files < 0) {
		(void)unlink(cmds);
		return files;
	}
	{
		const char *argv[] = { "debugfs", "-f", cmds, image, NULL };

		ret = spawn_capture(argv, true, 64u << 20, &out, &ex);
	}
	(void)unlink(cmds);
	if (ret < 0)
		return err_fail(err, ret, "debugfs %s: %s", image,
				strerror(-ret));
	ret = ex ? -EIO : parse(out, files, &r, &n);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return err_fail(
			err, ret,
			"debugfs %s did not give the extents of the %d files of %s (exit %d)",
			image, files, source, ex);
	ret = image_line(image, head, sizeof(head));
	if (ret < 0)
		return err_fail(err, ret, "%s: %s", image, strerror(-ret));
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, HEADER "\n%s\n", head);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%llu %llu\n", (unsigned long long)r[i][0],
			(unsigned long long)(r[i][1] - r[i][0]));
	if (fclose(TAKE_PTR(f)) != 0)
		return -ENOMEM;
	return write_file_atomic(path, text, len, 0644, err);
}

int imgextents_load(const char *image, struct fs_ranges *ret)
{
	_cleanup_free_ char *path = statedir_image_extents(image);
	_cleanup_free_ char *text = NULL;
	uint64_t(*r)[2] = NULL;
	size_t n = 0, cap = 0, hl;
	char head[160];
	char *l, *save = NULL;
	int e;

	memset(ret, 0, sizeof(*ret));
	if (!path)
		return -ENOMEM;
	e = read_full_file(path, 64u << 20, &text, NULL);
	if (e < 0)
		return e;
	if (image_line(image, head, sizeof(head)) < 0)
		return -ENOENT;
	hl = strlen(HEADER);
	if (strncmp(text, HEADER "\n", hl + 1))
		return -EBADMSG;
	l = strtok_r(text + hl + 1, "\n", &save);
	/* the ranges of another image are none of this one's */
	if (!l || strcmp(l, head))
		return -ENOENT;
	while ((l = strtok_r(NULL, "\n", &save))) {
		unsigned long long off, len;
		char end;

		/* written sorted and merged: read as they are */
		if (sscanf(l, "%llu %llu%c", &off, &len, &end) != 2 ||
		    off + len <= off || (n && off <= r[n - 1][1])) {
			free(r);
			return -EBADMSG;
		}
		if (ARRAY_RESERVE(r, n, cap, 64) < 0) {
			free(r);
			return -ENOMEM;
		}
		r[n][0] = off;
		r[n][1] = off + len;
		n++;
	}
	ret->r = r;
	ret->n = n;
	return 0;
}
