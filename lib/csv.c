// SPDX-License-Identifier: MIT
#include "csv.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char digit_pairs[200] = "00010203040506070809"
				     "10111213141516171819"
				     "20212223242526272829"
				     "30313233343536373839"
				     "40414243444546474849"
				     "50515253545556575859"
				     "60616263646566676869"
				     "70717273747576777879"
				     "80818283848586878889"
				     "90919293949596979899";

size_t csv_format_u64(char *p, uint64_t v)
{
	size_t n = 1;
	char *q;

	for (uint64_t t = v; t >= 10; t /= 10)
		n++;
	/* from the last digit back, two at a time */
	q = p + n;
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		*--q = digit_pairs[d + 1];
		*--q = digit_pairs[d];
	}
	if (v >= 10) {
		*--q = digit_pairs[v * 2 + 1];
		*--q = digit_pairs[v * 2];
	} else {
		*--q = (char)('0' + v);
	}
	return n;
}

bool csv_field_ok(const char *s)
{
	return *s && !strpbrk(s, ",\"\r\n");
}

static int reserve(struct csv_writer *w, size_t more)
{
	size_t ncap;
	char *n;

	if (w->len + more <= w->cap)
		return 0;
	ncap = w->cap ? w->cap : 4096;
	while (ncap < w->len + more)
		ncap *= 2;
	n = realloc(w->buf, ncap);
	if (!n)
		return -ENOMEM;
	w->buf = n;
	w->cap = ncap;
	return 0;
}

int csv_writer_open(struct csv_writer *w, int fd)
{
	struct stat st;
	int r;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	w->regular = S_ISREG(st.st_mode);
	if (w->regular) {
		w->committed = lseek(fd, 0, SEEK_CUR);
		if (w->committed < 0)
			return -errno;
	}
	r = reserve(w, sizeof(CSV_HEADER "\n"));
	if (r < 0)
		return r;
	memcpy(w->buf, CSV_HEADER "\n", sizeof(CSV_HEADER "\n") - 1);
	w->len = sizeof(CSV_HEADER "\n") - 1;
	return csv_tick_commit(w);
}

void csv_writer_free(struct csv_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void csv_tick_begin(struct csv_writer *w, int64_t epoch_ms, uint64_t elapsed_ms)
{
	char *p = w->prefix;

	csv_tick_abort(w);
	if (epoch_ms < 0) {
		*p++ = '-';
		epoch_ms = -epoch_ms;
	}
	p += csv_format_u64(p, (uint64_t)epoch_ms);
	*p++ = ',';
	p += csv_format_u64(p, elapsed_ms);
	*p++ = ',';
	w->prefix_len = (size_t)(p - w->prefix);
}

int csv_add_row_n(struct csv_writer *w, const char *source, size_t ls,
		  const char *stat, size_t lk, long node_id, uint64_t value,
		  const char *unit, size_t lu)
{
	char *p;
	int r;

	r = reserve(w, w->prefix_len + ls + lk + lu + 64);
	if (r < 0)
		return r;
	p = w->buf + w->len;
	memcpy(p, w->prefix, w->prefix_len);
	p += w->prefix_len;
	memcpy(p, source, ls);
	p += ls;
	*p++ = ',';
	memcpy(p, stat, lk);
	p += lk;
	*p++ = ',';
	if (node_id >= 0) {
		*p++ = 'N';
		p += csv_format_u64(p, (uint64_t)node_id);
	} else {
		memcpy(p, "total", 5);
		p += 5;
	}
	*p++ = ',';
	p += csv_format_u64(p, value);
	*p++ = ',';
	memcpy(p, unit, lu);
	p += lu;
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
	w->pending_rows++;
	return 0;
}

void csv_tick_abort(struct csv_writer *w)
{
	w->len = 0;
	w->pending_rows = 0;
}

int csv_tick_commit(struct csv_writer *w)
{
	size_t done = 0;
	int r = 0;

	while (done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0) {
			r = -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (r < 0) {
		/* keep the file on a tick boundary */
		if (w->regular && done > 0 &&
		    ftruncate(w->fd, w->committed) == 0)
			lseek(w->fd, w->committed, SEEK_SET);
		csv_tick_abort(w);
		return r;
	}
	w->committed += (off_t)w->len;
	w->rows += w->pending_rows;
	csv_tick_abort(w);
	return 0;
}
