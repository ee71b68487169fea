// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "spawn.h"

static void test_parse_u64(void **state)
{
	uint64_t v;

	assert_int_equal(parse_u64("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("", &v), -EINVAL);
	assert_int_equal(parse_u64("-1", &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(parse_u64("1x", &v), -EINVAL);
}

static void test_parse_s64(void **state)
{
	int64_t v;

	assert_int_equal(parse_s64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(parse_s64("9223372036854775808", &v), -ERANGE);
	assert_int_equal(parse_s64("-12", &v), 0);
	assert_int_equal(v, -12);
}

static void test_parse_size(void **state)
{
	uint64_t v;

	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("16M", &v), 0);
	assert_int_equal(v, 16 << 20);
	assert_int_equal(parse_size("4G", &v), 0);
	assert_true(v == 4ULL << 30);
	assert_int_equal(parse_size("1.5G", &v), 0);
	assert_true(v == 3ULL << 29);
	assert_int_equal(parse_size("512KiB", &v), 0);
	assert_int_equal(v, 512 << 10);
	assert_int_equal(parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("G", &v), -EINVAL);
	assert_int_equal(parse_size("4X", &v), -EINVAL);
	assert_int_equal(parse_size("-4G", &v), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(parse_size("99999999999P", &v), -ERANGE);
}

static void test_parse_duration(void **state)
{
	uint64_t v;

	assert_int_equal(parse_duration_ms("60", &v), 0);
	assert_int_equal(v, 60000);
	assert_int_equal(parse_duration_ms("500ms", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(parse_duration_ms("2m", &v), 0);
	assert_int_equal(v, 120000);
	assert_int_equal(parse_duration_ms("1.5s", &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(parse_duration_ms("5d", &v), -EINVAL);
	/* the fraction's milliseconds would wrap the sum around */
	assert_int_equal(parse_duration_ms("18446744073709551.999", &v),
			 -ERANGE);
	assert_int_equal(parse_duration_ms("5124095576030.999h", &v), -ERANGE);
	assert_int_equal(parse_duration_ms("18446744073709551.615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_shell_quote(void **state)
{
	const char *argv[] = { "cat", "/a b", "it's", "$(touch /tmp/x)", "", NULL };
	char *s = shell_join(argv);

	assert_string_equal(s, "cat '/a b' 'it'\\''s' '$(touch /tmp/x)' ''");
	free(s);
}

static void check_parent(const char *path, const char *want)
{
	char *p = path_parent(path);

	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void test_path_parent(void **state)
{
	(void)state;
	check_parent("a/b/c", "a/b");
	check_parent("/a/b", "/a");
	check_parent("/c", "/");
	check_parent("c", ".");
	check_parent("/", "/");
	check_parent("a/", "a");
}

static void test_valid_name(void **state)
{
	assert_true(valid_name("virtual-vm0"));
	assert_true(valid_name("vm_1.x"));
	assert_false(valid_name(""));
	assert_false(valid_name(".."));
	assert_false(valid_name("a/b"));
	assert_false(valid_name("a\nb"));
	assert_false(valid_name("-rf"));
	assert_false(valid_name("a b"));
}

static void test_strdup_printf_line(void **state)
{
	char *s = strdup_printf_line("a\nb\r\n%s%d", "c\n", 7);

	assert_string_equal(s, "a b  c 7");
	free(s);
	(void)state;
}

static void test_spawn_capture(void **state)
{
	const char *argv[] = { "sh", "-c", "printf 'x%s' \"$1\"; exit 3", "sh",
			       "$(y)", NULL };
	const char *missing[] = { "/nonexistent/prog", NULL };
	char *out = NULL;
	int ex;

	assert_int_equal(spawn_capture(argv, false, 1 << 20, &out, &ex), 0);
	assert_string_equal(out, "x$(y)");
	assert_int_equal(ex, 3);
	free(out);
	assert_int_equal(spawn_capture(missing, false, 100, &out, &ex), -ENOENT);
}

/* A child started on a pipe, for spawn_collect(). */
static pid_t child(const char *script, int *ret_fd)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct spawn_opts o;
	int p[2];
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	spawn_opts_init(&o, argv);
	o.fd_out = p[1];
	assert_int_equal(spawn(&o, &pid), 0);
	close(p[1]);
	*ret_fd = p[0];
	return pid;
}

static void test_spawn_collect(void **state)
{
	volatile sig_atomic_t stop = 0;
	char *out = NULL;
	int fd, ex;
	pid_t pid;

	(void)state;
	/* the first max bytes kept, the rest drained: the child ends */
	pid = child("head -c 100000 /dev/zero | tr '\\0' a; exit 4", &fd);
	assert_int_equal(spawn_collect(fd, pid, 10, 0, NULL, &out, &ex), 0);
	assert_string_equal(out, "aaaaaaaaaa");
	assert_int_equal(ex, 4);
	free(out);
	/* nothing said: an empty string */
	pid = child("true", &fd);
	assert_int_equal(spawn_collect(fd, pid, 10, 0, NULL, &out, &ex), 0);
	assert_string_equal(out, "");
	free(out);
	/* past the deadline, or stopped: killed */
	pid = child("echo hi; exec sleep 60", &fd);
	assert_int_equal(spawn_collect(fd, pid, 10,
				       now_monotonic_ns() + 300000000, NULL,
				       &out, &ex),
			 -ETIMEDOUT);
	assert_int_equal(ex, 128 + SIGKILL);
	stop = 1;
	pid = child("exec sleep 60", &fd);
	assert_int_equal(spawn_collect(fd, pid, 10, 0, &stop, &out, &ex),
			 -EINTR);
	assert_int_equal(ex, 128 + SIGKILL);
}

static bool exists(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* The names in dir but "." and "..". */
static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/*
 * write_file_atomic(): the content and exactly the mode asked, a file
 * named like an older daxlab's temporary file left alone, and on failure
 * no temporary file left and the path named.
 */
static void test_write_file_atomic(void **state)
{
	char dir[] = "/tmp/daxlab-test-util.XXXXXX";
	char path[512], tmp[512], sub[512];
	struct error err = { 0 };
	char *text = NULL;
	size_t len;
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(tmp, sizeof(tmp), "%s/f.tmp", dir);

	assert_int_equal(write_file_atomic(path, "one\n", 4, 0644, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* not the umask's */
	assert_int_equal(read_full_file(path, 1024, &text, &len), 0);
	assert_string_equal(text, "one\n");
	free(text);

	/* a killed writer's temporary file goes once it is an hour old */
	{
		char stale[600], fresh[600];
		struct timespec t[2] = { { .tv_sec = time(NULL) - 7200 },
					 { .tv_sec = time(NULL) - 7200 } };

		snprintf(stale, sizeof(stale), "%s/f.abcdef.tmp", dir);
		snprintf(fresh, sizeof(fresh), "%s/f.ghijkl.tmp", dir);
		assert_int_equal(write_text_file(stale, "x", 0600, false), 0);
		assert_int_equal(write_text_file(fresh, "x", 0600, false), 0);
		assert_int_equal(utimensat(AT_FDCWD, stale, t, 0), 0);
		assert_int_equal(
			write_file_atomic(path, "one\n", 4, 0644, &err), 0);
		assert_int_equal(access(stale, F_OK), -1);
		assert_int_equal(access(fresh, F_OK), 0);
		assert_int_equal(unlink(fresh), 0);
	}
	/* a symlink named f.tmp is not written through */
	assert_int_equal(symlink("/etc/hostname", tmp), 0);
	assert_int_equal(write_file_atomic(path, "two\0x", 5, 0600, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(read_full_file(path, 1024, &text, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(text, "two\0x", 5);
	free(text);
	assert_int_equal(unlink(tmp), 0);
	assert_int_equal(count_entries(dir), 1);
	assert_int_equal(write_file_atomic(path, "", 0, 0644, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* the rename fails (a folder with a file in it): no f.tmp stays */
	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/d/x", dir);
	assert_int_equal(write_file_atomic(sub, "x", 1, 0644, NULL), 0);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	assert_true(write_file_atomic(sub, "x", 1, 0644, &err) < 0);
	assert_non_null(strstr(err.msg, sub));
	assert_int_equal(count_entries(dir), 2); /* f and d */
	assert_true(exists(dir, "d/x"));

	/* no folder: refused, the path named */
	snprintf(sub, sizeof(sub), "%s/none/f", dir);
	assert_int_equal(write_file_atomic(sub, "x", 1, 0644, &err), -ENOENT);
	assert_non_null(strstr(err.msg, sub));

	snprintf(sub, sizeof(sub), "%s/d/x", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	rmdir(sub);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* nothing else was left */
	umask(old);
}

/*
 * Writers of one path at once (Slurm tasks writing a sweep's summary):
 * each write succeeds, the file is one writer's whole, no temporary file
 * is left.
 */
static void test_write_file_atomic_writers(void **state)
{
	char dir[] = "/tmp/daxlab-test-writers.XXXXXX";
	char path[512], want[8][4096];
	pid_t kids[8];
	char *text = NULL;
	size_t len;
	bool whole = false;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	for (int k = 0; k < 8; k++) {
		memset(want[k], 'a' + k, sizeof(want[k]));
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			int bad = 0;

			for (int i = 0; i < 50; i++)
				bad |= write_file_atomic(path, want[k],
							 sizeof(want[k]), 0644,
							 NULL) < 0;
			_exit(bad);
		}
	}
	for (int k = 0; k < 8; k++) {
		int ws;

		assert_int_equal(waitpid(kids[k], &ws, 0), kids[k]);
		assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	}
	assert_int_equal(read_full_file(path, 1 << 20, &text, &len), 0);
	assert_int_equal(len, sizeof(want[0]));
	for (int k = 0; k < 8; k++)
		whole |= memcmp(text, want[k], len) == 0;
	assert_true(whole);
	free(text);
	assert_int_equal(count_entries(dir), 1);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_copy_file_tail(void **state)
{
	char dir[] = "/tmp/daxlab-test-tail.XXXXXX";
	char src[512], dst[512], lnk[512];
	char *big, *text = NULL;
	size_t len;
	const size_t n = 5u << 20;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/console.log", dir);
	snprintf(dst, sizeof(dst), "%s/kept.log", dir);
	snprintf(lnk, sizeof(lnk), "%s/link", dir);

	/* shorter than max: all of it */
	assert_int_equal(write_file_atomic(src, "a\nb\n", 4, 0644, NULL), 0);
	assert_int_equal(copy_file_tail(src, dst, 4096, 0), 0);
	assert_int_equal(read_full_file(dst, 1024, &text, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(text, "a\nb\n", 4);
	free(text);

	/* 5 MiB of lines, max 4 MiB: the last whole lines of 4 MiB */
	big = malloc(n);
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 100 == 99 ? '\n' : (char)('a' + i % 26);
	assert_int_equal(write_file_atomic(src, big, n, 0644, NULL), 0);
	assert_int_equal(copy_file_tail(src, dst, 4u << 20, 0), 0);
	assert_int_equal(read_full_file(dst, 8u << 20, &text, &len), 0);
	assert_true(len <= 4u << 20 && len > (4u << 20) - 100);
	assert_memory_equal(text, big + n - len, len);
	assert_int_equal(big[n - len - 1], '\n');
	free(text);
	free(big);

	/* written before not_before: nothing */
	unlink(dst);
	assert_int_equal(copy_file_tail(src, dst, 4096, time(NULL) + 60),
			 -ESTALE);
	assert_int_equal(access(dst, F_OK), -1);
	/* no file, a symlink, a folder: refused */
	assert_int_equal(copy_file_tail(lnk, dst, 4096, 0), -ENOENT);
	assert_int_equal(symlink(src, lnk), 0);
	assert_int_equal(copy_file_tail(lnk, dst, 4096, 0), -ELOOP);
	assert_int_equal(copy_file_tail(dir, dst, 4096, 0), -EINVAL);
	assert_int_equal(access(dst, F_OK), -1);

	unlink(lnk);
	unlink(src);
	assert_int_equal(rmdir(dir), 0);
}

static void test_str_no_controls(void **state)
{
	char s[] = "a\033[31mb\r\x7f\tc\nd\xc3\xa9";
	char c1[] = "x\xc2\x9b"
		    "31m\xc2\xa0\xc4\x9b\x9b"
		    "1m\xe2\x82\xac\xc2";

	(void)state;
	assert_string_equal(str_no_controls(s), "a?[31mb??\tc\nd\xc3\xa9");
	/*
	 * U+009B (CSI) and a 0x9b byte alone go; U+00A0, U+011B (c4 9b),
	 * U+20AC (e2 82 ac) and a cut sequence stay
	 */
	assert_string_equal(str_no_controls(c1),
			    "x??31m\xc2\xa0\xc4\x9b?1m\xe2\x82\xac\xc2");
	assert_null(str_no_controls(NULL));
}

static void test_str_trim(void **state)
{
	char a[] = "0-3 \n";
	char b[] = "";
	char c[] = " \t x y \r\n";

	(void)state;
	assert_string_equal(str_trim(a), "0-3");
	assert_string_equal(str_trim(b), "");
	assert_ptr_equal(str_trim(c), c);
	assert_string_equal(c, "x y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_str_no_controls),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_s64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_path_parent),
		cmocka_unit_test(test_strdup_printf_line),
		cmocka_unit_test(test_spawn_capture),
		cmocka_unit_test(test_spawn_collect),
		cmocka_unit_test(test_write_file_atomic),
		cmocka_unit_test(test_write_file_atomic_writers),
		cmocka_unit_test(test_copy_file_tail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
