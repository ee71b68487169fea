// SPDX-License-Identifier: MIT
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return 0;
}

int parse_s64(const char *s, int64_t *ret)
{
	uint64_t v;
	bool neg = false;
	int r;

	if (s && *s == '-') {
		neg = true;
		s++;
	}
	r = parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	/* 0 - v wraps to INT64_MIN for -2^63, as csvread's integers do */
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int parse_uint_range(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	uint64_t v;
	int r = parse_u64(s, &v);

	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

/* Parses "123" or "1.5" in s[0, n) and multiplies it by mult. */
static int parse_scaled(const char *s, size_t n, uint64_t mult, uint64_t *ret)
{
	uint64_t whole = 0, frac = 0, scale = 100;
	size_t i = 0;
	bool digits = false;

	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		if (whole > UINT64_MAX / 10 - 1)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
		digits = true;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)s[i]); i++) {
			frac += (uint64_t)(s[i] - '0') * scale;
			scale /= 10;
			digits = true;
		}
	}
	if (!digits || i != n)
		return -EINVAL;
	if (whole > UINT64_MAX / 1000)
		return -ERANGE;
	/* whole.frac * mult without overflow for sane inputs */
	if (mult && whole > UINT64_MAX / mult)
		return -ERANGE;
	if (whole * mult > UINT64_MAX - frac * mult / 1000)
		return -ERANGE;
	*ret = whole * mult + frac * mult / 1000;
	return 0;
}

struct unit {
	char c;
	uint64_t mult;
};

/* The multiplier of unit letter c in units, or 0 when it is none. */
static uint64_t unit_mult(const struct unit *units, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (units[i].c == c)
			return units[i].mult;
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	static const struct unit units[] = {
		{ 'K', 1ULL << 10 }, { 'M', 1ULL << 20 }, { 'G', 1ULL << 30 },
		{ 'T', 1ULL << 40 }, { 'P', 1ULL << 50 },
	};
	uint64_t mult = 1;
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (n > 1 && (s[n - 1] == 'B' || s[n - 1] == 'b') &&
	    !isdigit((unsigned char)s[n - 2]))
		n--; /* "16MB", "16MiB" */
	if (n > 2 && s[n - 1] == 'i')
		n--;
	if (n > 1 && !isdigit((unsigned char)s[n - 1])) {
		mult = unit_mult(units, ARRAY_SIZE(units),
				 (char)toupper((unsigned char)s[n - 1]));
		if (!mult)
			return -EINVAL;
		n--;
	}
	return parse_scaled(s, n, mult, ret);
}

int parse_duration_ms(const char *s, uint64_t *ret)
{
	static const struct unit units[] = {
		{ 's', 1000 },
		{ 'm', 60 * 1000 },
		{ 'h', 3600 * 1000 },
	};
	uint64_t mult = 1000;
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (n > 2 && str_has_suffix(s, "ms")) {
		mult = 1;
		n -= 2;
	} else if (n > 1 && !isdigit((unsigned char)s[n - 1])) {
		mult = unit_mult(units, ARRAY_SIZE(units), s[n - 1]);
		if (!mult)
			return -EINVAL;
		n--;
	}
	return parse_scaled(s, n, mult, ret);
}

const char *format_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const sfx[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	size_t i = 0;

	while (d >= 1024.0 && i + 1 < ARRAY_SIZE(sfx)) {
		d /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.2f %s", d, sfx[i]);
	return buf;
}

char *strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

char *strdup_vprintf_line(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

char *strdup_printf_line(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = strdup_vprintf_line(fmt, ap);
	va_end(ap);
	return s;
}

char *memstream_close(FILE *f, char **buf, bool ok)
{
	ok = ok && f && !ferror(f);
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok) {
		free(*buf);
		*buf = NULL;
	}
	return *buf;
}

char *str_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	while (isspace((unsigned char)s[i]))
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
	return s;
}

char *str_no_controls(char *s)
{
	unsigned need = 0; /* continuation bytes still to come */

	for (unsigned char *p = (unsigned char *)s; p && *p; p++) {
		if (need && (*p & 0xc0) == 0x80) {
			need--;
			continue;
		}
		need = *p >= 0xc2 && *p <= 0xdf ? 1 :
		       *p >= 0xe0 && *p <= 0xef ? 2 :
		       *p >= 0xf0 && *p <= 0xf4 ? 3 :
						  0;
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f ||
		    (*p >= 0x80 && *p <= 0x9f)) /* a C1 byte alone: 0x9b */
			*p = '?';
		/* C1 in UTF-8 (U+0080 to U+009F: U+009B is a CSI) */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*p = '?';
			*++p = '?';
			need = 0;
		}
	}
	return s;
}

void str_appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
{
	size_t n, k = strlen(sep);
	va_list ap;

	if (!buf || !len)
		return;
	n = strnlen(buf, len);
	if (n + k + 1 >= len)
		return;
	if (n) {
		memcpy(buf + n, sep, k + 1);
		n += k;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

static bool shell_safe(const char *w)
{
	if (!*w)
		return false;
	for (const char *p = w; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("@%+=:,./_-", *p))
			return false;
	return true;
}

char *shell_quote(const char *word)
{
	size_t n = 3;
	char *out, *o;

	if (shell_safe(word))
		return strdup(word);
	for (const char *p = word; *p; p++)
		n += *p == '\'' ? 4 : 1;
	out = malloc(n);
	if (!out)
		return NULL;
	o = out;
	*o++ = '\'';
	for (const char *p = word; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

char *shell_join(const char *const *argv)
{
	char *out = strdup("");

	for (size_t i = 0; out && argv[i]; i++) {
		_cleanup_free_ char *q = shell_quote(argv[i]);
		char *n;

		if (!q) {
			free(out);
			return NULL;
		}
		n = strdup_printf("%s%s%s", out, i ? " " : "", q);
		free(out);
		out = n;
	}
	return out;
}

bool valid_name(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return false;
	return true;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max)
				return -EFBIG;
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = pread(fd, buf + len, cap - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_full_fd(fd, max, ret, ret_len);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

char *path_parent(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Syncs the folder that holds path (a rename in it). */
static int sync_parent(const char *path)
{
	_cleanup_free_ char *dir = path_parent(path);
	_cleanup_close_ int fd = -1;

	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

int copy_file_tail(const char *src, const char *dst, size_t max,
		   time_t not_before)
{
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	const char *text, *nl;
	struct stat st;
	size_t len;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_mtim.tv_sec < not_before)
		return -ESTALE;
	len = (uint64_t)st.st_size > max ? max : (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, len, st.st_size - (off_t)len);
	if (n < 0)
		return -errno;
	text = buf;
	nl = len < (size_t)st.st_size ? memchr(buf, '\n', (size_t)n) : NULL;
	if (nl)
		text = nl + 1;
	return write_file_atomic(dst, text, (size_t)(buf + n - text), 0644,
				 NULL);
}

#define STALE_TMP_S 3600

/*
 * Removes PATH.XXXXXX.tmp files a writer killed half-way left, once they
 * are an hour old: a live writer's is seconds old. Best effort.
 */
static void remove_stale_tmp(const char *path)
{
	_cleanup_free_ char *dir = path_parent(path);
	const char *base = strrchr(path, '/');
	size_t bl;
	DIR *d;
	struct dirent *de;
	time_t old = time(NULL) - STALE_TMP_S;

	base = base ? base + 1 : path;
	bl = strlen(base);
	if (!dir || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st;

		if (strlen(n) != bl + 11 || strncmp(n, base, bl) ||
		    n[bl] != '.' || strcmp(n + bl + 7, ".tmp"))
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < old)
			(void)unlinkat(dirfd(d), n, 0);
	}
	closedir(d);
}

int write_file_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct error *err)
{
	/* a name of its own: writers of one path do not meet (Slurm tasks) */
	_cleanup_free_ char *tmp = strdup_printf("%s.XXXXXX.tmp", path);
	int fd, r;

	if (!tmp)
		return err_fail(err, -ENOMEM, "out of memory");
	remove_stale_tmp(path);
	fd = mkostemps(tmp, 4, O_CLOEXEC);
	if (fd < 0)
		return err_fail(err, -errno, "cannot create %s: %s", tmp,
				strerror(errno));
	r = fchmod(fd, mode) < 0 ? -errno : 0; /* mode, not the umask's */
	if (!r)
		r = write_all(fd, data, len);
	if (!r && fdatasync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return err_fail(err, r, "cannot write %s: %s", tmp,
				strerror(-r));
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return err_fail(err, r, "cannot rename %s to %s: %s", tmp, path,
				strerror(-r));
	}
	r = sync_parent(path);
	if (r < 0)
		return err_fail(err, r, "cannot sync the folder of %s: %s",
				path, strerror(-r));
	return 0;
}

int write_text_file(const char *path, const char *text, unsigned mode,
		    bool replace)
{
	_cleanup_close_ int fd = -1;

	if (replace)
		(void)unlink(path);
	fd = open(path,
		  O_WRONLY | O_CREAT | (replace ? O_EXCL : O_TRUNC) |
			  O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0)
		return -errno;
	return write_all(fd, text, strlen(text));
}

int lock_file(const char *path, unsigned mode, int how, struct error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
	int r;

	if (fd >= 0 && flock(fd, how) == 0)
		return fd;
	r = -errno;
	if (fd >= 0)
		close(fd);
	return err_fail(err, r, "%s: %s", path, strerror(-r));
}

int dir_check_ours(const char *path, bool nofollow, const char *hint,
		   struct error *err)
{
	struct stat st;

	if ((nofollow ? lstat(path, &st) : stat(path, &st)) < 0)
		return err_fail(err, -errno, "cannot stat %s: %s", path,
				strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_fail(
			err, -ENOTDIR,
			"%s is not a directory (a symlink?): refusing to use it",
			path);
	if (st.st_uid != geteuid())
		return err_fail(err, -EPERM, "%s belongs to uid %u, not to us",
				path, (unsigned)st.st_uid);
	if (st.st_mode & 022)
		return err_fail(err, -EPERM,
				"%s is writable by group or others: %s", path,
				hint);
	return 0;
}

int write_string_file(const char *path, const char *s)
{
	_cleanup_close_ int fd =
		open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	/* One write(2): cgroupfs and sysfs take a value per write. */
	n = write(fd, s, strlen(s));
	if (n < 0)
		return -errno;
	if ((size_t)n != strlen(s))
		return -EIO;
	return 0;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t now_realtime_ms(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000000;
}

int64_t now_monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int64_t now_cputime_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

int mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

int mkdir_parent(const char *path, unsigned mode, struct error *err)
{
	_cleanup_free_ char *dir = path_parent(path);
	int r;

	if (!dir)
		return err_fail(err, -ENOMEM, "out of memory");
	if (!strcmp(dir, ".") || !strcmp(dir, "/"))
		return 0;
	r = mkdir_p(dir, mode);
	if (r < 0)
		return err_fail(err, r, "cannot create folder %s: %s", dir,
				strerror(-r));
	return 0;
}

bool program_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	copy = strdup(path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	if (!copy)
		return false;
	for (char *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = strdup_printf("%s/%s", d, prog);

		if (p && access(p, X_OK) == 0)
			return true;
	}
	return false;
}

int err_vfail(struct error *err, int r, const char *fmt, va_list ap)
{
	if (r >= 0)
		r = -EIO;
	if (err) {
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		err->code = r;
	}
	return r;
}

int err_fail(struct error *err, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = err_vfail(err, r, fmt, ap);
	va_end(ap);
	return r;
}

void err_set(struct error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err)
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}
