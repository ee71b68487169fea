// SPDX-License-Identifier: MIT
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

#include "cpio.h"
#include "util.h"

/* One entry read back from the archive. */
struct ent {
	char name[256];
	unsigned mode, size, rmajor, rminor;
	char data[64];
};

static unsigned hex8(const char *p)
{
	char b[9];

	memcpy(b, p, 8);
	b[8] = '\0';
	return (unsigned)strtoul(b, NULL, 16);
}

/* Parses a newc archive; returns the number of entries (trailer too). */
static size_t parse(const char *buf, size_t len, struct ent *out, size_t max)
{
	size_t off = 0, n = 0;

	while (off + 110 <= len && n < max) {
		struct ent *e = &out[n++];
		unsigned nlen;

		assert_memory_equal(buf + off, "070701", 6);
		assert_int_equal(off % 4, 0);
		e->mode = hex8(buf + off + 14);
		e->size = hex8(buf + off + 54);
		e->rmajor = hex8(buf + off + 78);
		e->rminor = hex8(buf + off + 86);
		nlen = hex8(buf + off + 94);
		assert_true(nlen > 0 && nlen < sizeof(e->name));
		memcpy(e->name, buf + off + 110, nlen);
		assert_int_equal(e->name[nlen - 1], '\0');
		off = (off + 110 + nlen + 3) & ~(size_t)3;
		memset(e->data, 0, sizeof(e->data));
		memcpy(e->data, buf + off,
		       e->size < sizeof(e->data) - 1 ? e->size :
						       sizeof(e->data) - 1);
		off = (off + e->size + 3) & ~(size_t)3;
		if (strcmp(e->name, "TRAILER!!!") == 0) {
			assert_int_equal(off, len);
			break;
		}
	}
	return n;
}

static char *archive(struct cpio **c, FILE **f)
{
	*f = tmpfile();
	assert_non_null(*f);
	*c = cpio_new(fileno(*f));
	assert_non_null(*c);
	return NULL;
}

static size_t finish(struct cpio *c, FILE *f, char **buf)
{
	size_t len;

	assert_int_equal(cpio_finish(c), 0);
	assert_int_equal(read_full_fd(fileno(f), 1 << 20, buf, &len), 0);
	cpio_free(c);
	fclose(f);
	return len;
}

static void test_parents_come_first(void **state)
{
	struct cpio *c;
	FILE *f;
	_cleanup_free_ char *buf = NULL;
	struct ent e[16];
	size_t len, n;

	archive(&c, &f);
	assert_int_equal(cpio_add_data(c, "/usr/bin/hello", 0755, "hi\n", 3),
			 0);
	assert_int_equal(cpio_add_symlink(c, "usr/bin/sh", "hello"), 0);
	len = finish(c, f, &buf);
	n = parse(buf, len, e, 16);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].name, "usr");
	assert_int_equal(e[0].mode, S_IFDIR | 0755);
	assert_string_equal(e[1].name, "usr/bin");
	assert_string_equal(e[2].name, "usr/bin/hello");
	assert_int_equal(e[2].mode, S_IFREG | 0755);
	assert_int_equal(e[2].size, 3);
	assert_string_equal(e[2].data, "hi\n");
	assert_string_equal(e[3].name, "usr/bin/sh");
	assert_int_equal(e[3].mode, S_IFLNK | 0777);
	assert_string_equal(e[3].data, "hello");
	assert_string_equal(e[4].name, "TRAILER!!!");
}

static void test_dir_modes_and_devices(void **state)
{
	struct cpio *c;
	FILE *f;
	_cleanup_free_ char *buf = NULL;
	struct ent e[16];
	size_t len, n;

	archive(&c, &f);
	assert_int_equal(cpio_add_dir(c, "tmp", 01777), 0);
	assert_int_equal(cpio_add_dir(c, "/tmp/", 0755), 0); /* again: no-op */
	assert_int_equal(cpio_add_chardev(c, "dev/console", 0600, 5, 1), 0);
	len = finish(c, f, &buf);
	n = parse(buf, len, e, 16);
	assert_int_equal(n, 4);
	assert_string_equal(e[0].name, "tmp");
	assert_int_equal(e[0].mode, S_IFDIR | 01777);
	assert_string_equal(e[1].name, "dev");
	assert_string_equal(e[2].name, "dev/console");
	assert_int_equal(e[2].mode, S_IFCHR | 0600);
	assert_int_equal(e[2].rmajor, 5);
	assert_int_equal(e[2].rminor, 1);
}

static void test_file_copied_whole(void **state)
{
	char path[] = "/tmp/test_cpio.XXXXXX";
	int fd = mkstemp(path);
	struct cpio *c;
	FILE *f;
	_cleanup_free_ char *buf = NULL;
	struct ent e[8];
	size_t len;

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "abcde", 5), 0);
	close(fd);
	archive(&c, &f);
	assert_int_equal(cpio_add_file(c, "x", 0644, path), 0);
	assert_int_equal(cpio_add_file(c, "y", 0644, "/nonexistent/file"),
			 -ENOENT);
	len = finish(c, f, &buf);
	unlink(path);
	assert_int_equal(parse(buf, len, e, 8), 2);
	assert_string_equal(e[0].name, "x");
	assert_int_equal(e[0].size, 5);
	assert_string_equal(e[0].data, "abcde");
}

static void test_bad_paths_refused(void **state)
{
	struct cpio *c;
	FILE *f;
	_cleanup_free_ char *buf = NULL;

	archive(&c, &f);
	assert_int_equal(cpio_add_data(c, "a/../b", 0644, "", 0), -EINVAL);
	assert_int_equal(cpio_add_data(c, "./b", 0644, "", 0), -EINVAL);
	assert_int_equal(cpio_add_data(c, "/", 0644, "", 0), -EINVAL);
	assert_int_equal(cpio_add_data(c, "b", 0644, "", 0), 0);
	assert_int_equal(cpio_add_data(c, "/b", 0644, "", 0), -EEXIST);
	assert_int_equal(cpio_add_dir(c, "b", 0755), -EEXIST);
	/* b is a file: nothing can go below it */
	assert_int_equal(cpio_add_data(c, "b/c", 0644, "", 0), -ENOTDIR);
	assert_int_equal(cpio_add_symlink(c, "l", ""), -EINVAL);
	finish(c, f, &buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parents_come_first),
		cmocka_unit_test(test_dir_modes_and_devices),
		cmocka_unit_test(test_file_copied_whole),
		cmocka_unit_test(test_bad_paths_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
