/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every part of daxlab: number parsing, strings,
 * files and clocks. Nothing here prints or exits; failures are -errno.
 */
#ifndef DAXLAB_UTIL_H
#define DAXLAB_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

/* Hand a cleanup-managed pointer or fd to the caller. */
#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _p_ = (p);     \
		(p) = NULL;                  \
		_p_;                         \
	})
#define TAKE_FD(fd)                  \
	({                           \
		int _fd_ = (fd);     \
		(fd) = -1;           \
		_fd_;                \
	})

/*
 * Whole decimal numbers, nothing before or after: "12" yes; " 12", "12x",
 * "" and "-1" no. -EINVAL for a malformed string, -ERANGE for overflow.
 */
int parse_u64(const char *s, uint64_t *ret);
int parse_s64(const char *s, int64_t *ret);
/* A whole number within [min, max]. */
int parse_uint_range(const char *s, unsigned min, unsigned max, unsigned *ret);
/* Sizes such as 4096, 16M, 4G, 1.5G, 512K, 2T (binary units, B optional). */
int parse_size(const char *s, uint64_t *ret);
/* Durations in seconds with optional unit: 60, 60s, 2m, 1h, 500ms -> ms. */
int parse_duration_ms(const char *s, uint64_t *ret);

/* Human size: "1.50 GiB". buf must hold 32 bytes. */
const char *format_bytes(uint64_t v, char *buf, size_t len);

/* What went wrong, filled by lib/ for its caller to report (err_fail). */
struct error {
	int code; /* the -errno err_fail() returned, 0 while nothing failed */
	/* naming the file, line, key or value; as large as PATH_MAX */
	char msg[4096];
};

/*
 * The error vocabulary of lib/: a function that can fail takes a
 * `struct error *err` (NULL allowed) and its caller reports err->msg.
 * err_fail() writes the message, returns r, or -EIO when r is not
 * negative, and sets err->code to what it returns, so that an error path
 * reads `return err_fail(err, -EINVAL, "...", ...)`; err_set() only
 * writes the message; err_vfail() is err_fail() with a va_list.
 */
int err_fail(struct error *err, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_vfail(struct error *err, int r, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void err_set(struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* printf into a fresh allocation; NULL when out of memory. */
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same made one line: each '\n' and '\r' becomes a space. */
char *strdup_printf_line(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
char *strdup_vprintf_line(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

/*
 * Closes f, open_memstream()'s on *buf: *buf, or NULL (*buf freed) when
 * f is NULL, a write failed or ok is false.
 */
char *memstream_close(FILE *f, char **buf, bool ok);

/* Strips white space at both ends of s, in place; returns s. */
char *str_trim(char *s);
/*
 * Every control character of s but newline and tab (escape sequences a
 * terminal would obey) becomes '?', in place, a C1 control in UTF-8 "??",
 * a C1 byte outside a UTF-8 sequence '?'; returns s (NULL: NULL).
 */
char *str_no_controls(char *s);

/*
 * Appends the printf text to the string in buf (len bytes), after sep
 * when buf is not empty; nothing when sep and one more byte do not fit.
 * buf may be NULL.
 */
void str_appendf(char *buf, size_t len, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "a" + "b" with the separator, allocated. */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);

/*
 * A word for a POSIX shell: returned unchanged when it needs no quoting,
 * else in single quotes with ' written as '\''. Allocated.
 */
char *shell_quote(const char *word);
/* All words quoted and joined by spaces. Allocated. */
char *shell_join(const char *const *argv);

/*
 * A name that becomes one path component (cgroup, VM, source, run name):
 * 1..64 characters of [A-Za-z0-9._-], not starting with '.' or '-'.
 */
bool valid_name(const char *name);

/* Reads all of a file (up to max bytes) into a NUL-terminated buffer. */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* Same for an fd already open, read from offset 0 with pread. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* Writes a string to an existing file (sysfs, cgroupfs style). */
int write_string_file(const char *path, const char *s);
/* Writes all bytes, retrying on EINTR and short writes. */
int write_all(int fd, const void *buf, size_t len);
/*
 * Replaces path with len bytes of data, atomically: written to a new
 * path.XXXXXX.tmp of its own (so that writers of one path at once do not
 * meet) with exactly mode, synced, renamed over path, then the folder
 * synced. A reader sees the old file or one writer's new one, never a
 * part. On error the temporary file is gone, err names it and -errno is
 * returned. Such files an hour old (their writer was killed) go.
 */
int write_file_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct error *err);
/*
 * The last max bytes of the regular file src (from a whole line when it
 * is cut) into dst, by write_file_atomic() with mode 0644; src is not
 * followed through a symlink. -ESTALE, and nothing written, when src was
 * last written before not_before (seconds since the epoch).
 */
int copy_file_tail(const char *src, const char *dst, size_t max,
		   time_t not_before);
/*
 * Writes text to path in place, never through a symlink, a new file with
 * mode; with replace an old path is removed first and the file is always
 * a new one (O_EXCL: it gets mode, a symlink there is replaced). Not
 * atomic: write_file_atomic() is.
 */
int write_text_file(const char *path, const char *text, unsigned mode,
		    bool replace);
/*
 * Opens path (created with mode, never through a symlink) and flock()s it
 * with how (LOCK_EX, maybe | LOCK_NB). Returns the fd, or -errno with err
 * saying "PATH: why".
 */
int lock_file(const char *path, unsigned mode, int how, struct error *err);
/*
 * Whether path is a folder (not a symlink, with nofollow) that is ours
 * and that only we can write, where root may create files by name: 0,
 * or -errno with err saying why (ending in hint when others can write).
 */
int dir_check_ours(const char *path, bool nofollow, const char *hint,
		   struct error *err);

/* Clocks. */
int64_t now_realtime_ms(void);
int64_t now_monotonic_ns(void);
int64_t now_cputime_ns(void); /* this process, user + system */

/*
 * The folder path is in, allocated: "a/b" for "a/b/c", "/" for "/c", "."
 * for "c". NULL when out of memory.
 */
char *path_parent(const char *path);
/* mkdir -p with the given mode for the directories it creates. */
int mkdir_p(const char *path, unsigned mode);
/*
 * mkdir_p() of the folder of path (nothing for "name" or "/name"); on
 * error err says "cannot create folder FOLDER: why".
 */
int mkdir_parent(const char *path, unsigned mode, struct error *err);
/* Whether prog (a name looked up in $PATH, or a path) is executable. */
bool program_in_path(const char *prog);

#endif
