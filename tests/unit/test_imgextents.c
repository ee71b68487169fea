// SPDX-License-Identifier: MIT
/*
 * lib/imgextents.c: merging ranges, and the ranges of a real image that
 * mkfs.ext4 -d made, as debugfs gives them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgextents.h"
#include "spawn.h"
#include "statedir.h"
#include "util.h"

static void test_merge(void **state)
{
	uint64_t r[][2] = { { 50, 60 }, { 0, 10 },  { 10, 20 },
			    { 55, 70 }, { 30, 30 }, { 80, 90 } };

	/* adjacent and overlapping ranges join; an empty one goes */
	assert_int_equal(imgextents_merge(r, 6), 3);
	assert_int_equal(r[0][0], 0);
	assert_int_equal(r[0][1], 20);
	assert_int_equal(r[1][0], 50);
	assert_int_equal(r[1][1], 70);
	assert_int_equal(r[2][0], 80);
	assert_int_equal(r[2][1], 90);
	(void)state;
}

static void run(const char *const *argv)
{
	char *out = NULL;
	int code = -1;

	assert_int_equal(spawn_capture(argv, true, 65536, &out, &code), 0);
	if (code)
		fail_msg("%s: %s", argv[0], out);
	free(out);
}

static void append_line(const char *path, const char *line)
{
	FILE *f = fopen(path, "a");

	assert_non_null(f);
	fprintf(f, "%s\n", line);
	assert_int_equal(fclose(f), 0);
}

static void write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)(i * 7 % 251), f);
	assert_int_equal(fclose(f), 0);
}

static void test_build_and_load(void **state)
{
	char dir[] = "/var/tmp/test_imgextents.XXXXXX";
	_cleanup_free_ char *src = NULL, *sub = NULL, *img = NULL;
	_cleanup_free_ char *a = NULL, *b = NULL, *x = NULL;
	struct fs_ranges r = { 0 };
	struct error err = { 0 };
	uint64_t total = 0;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	src = strdup_printf("%s/src", dir);
	sub = strdup_printf("%s/src/sub", dir);
	img = strdup_printf("%s/share-x.img", dir);
	a = strdup_printf("%s/src/a.dat", dir);
	b = strdup_printf("%s/src/sub/b.dat", dir);
	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	/* 300000 bytes: 74 blocks; 5000: 2; an empty file: none */
	write_bytes(a, 300000);
	write_bytes(b, 5000);
	x = strdup_printf("%s/src/empty", dir);
	write_bytes(x, 0);
	{
		const char *mkfs[] = { "mkfs.ext4", "-q", "-F", "-b",  "4096",
				       "-d",	    src,  img,	"16M", NULL };

		run(mkfs);
	}
	if (imgextents_build(img, src, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(imgextents_load(img, &r), 0);
	assert_true(r.n >= 1);
	assert_int_equal(stat(img, &st), 0);
	for (size_t i = 0; i < r.n; i++) {
		assert_true(r.r[i][0] < r.r[i][1]);
		assert_true(r.r[i][1] <= (uint64_t)st.st_size);
		if (i)
			assert_true(r.r[i - 1][1] < r.r[i][0]);
		total += r.r[i][1] - r.r[i][0];
	}
	/* the files' blocks, no metadata, no free space */
	assert_int_equal(total, (74 + 2) * 4096);
	imgextents_free(&r);

	/* written to (a guest mounts it): the same image, the same ranges */
	{
		const char *touch[] = { "touch", "-d", "2001-01-01", img,
					NULL };

		run(touch);
	}
	assert_int_equal(imgextents_load(img, &r), 0);
	imgextents_free(&r);
	/* ranges out of order, or empty, are not what daxlab writes */
	{
		_cleanup_free_ char *ext = statedir_image_extents(img);
		_cleanup_free_ char *text = NULL;
		size_t len = 0;

		assert_int_equal(read_full_file(ext, 1 << 20, &text, &len), 0);
		append_line(ext, "0 4096");
		assert_int_equal(imgextents_load(img, &r), -EBADMSG);
		assert_int_equal(write_text_file(ext, text, 0644, false), 0);
		append_line(ext, "999999999 0");
		assert_int_equal(imgextents_load(img, &r), -EBADMSG);
		assert_int_equal(write_text_file(ext, text, 0644, false), 0);
		assert_int_equal(imgextents_load(img, &r), 0);
		imgextents_free(&r);
	}
	/* an image rebuilt since (a new file): its old ranges are not its */
	{
		_cleanup_free_ char *cp = strdup_printf(
			"cp %s %s.new && mv %s.new %s", img, img, img, img);
		const char *sh[] = { "sh", "-c", cp, NULL };

		run(sh);
	}
	assert_int_equal(imgextents_load(img, &r), -ENOENT);

	/* with inline_data, a small file's data sit in its inode: no range */
	{
		const char *rm[] = { "rm", "-rf", sub, img, NULL };
		const char *mkfs[] = { "mkfs.ext4", "-q", "-F",		 "-b",
				       "4096",	    "-O", "inline_data", "-d",
				       src,	    img,  "16M",	 NULL };

		run(rm);
		write_bytes(x, 100);
		run(mkfs);
	}
	if (imgextents_build(img, src, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(imgextents_load(img, &r), 0);
	total = 0;
	for (size_t i = 0; i < r.n; i++)
		total += r.r[i][1] - r.r[i][0];
	assert_int_equal(total, 74 * 4096);
	imgextents_free(&r);

	/* a name debugfs cannot take is an error that names the file */
	free(x);
	x = strdup_printf("%s/src/a\"b", dir);
	write_bytes(x, 10);
	assert_int_equal(imgextents_build(img, src, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a\"b: a file name with"));
	{
		const char *rm[] = { "rm", "-rf", dir, NULL };

		run(rm);
	}
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_build_and_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
