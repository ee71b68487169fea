// SPDX-License-Identifier: MIT
#include "decompress.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <lzma.h>
#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>

/* Bytes read at a time, and the least room given to a decoder. */
#define CHUNK (64 * 1024)

/* What one decoding step sees: the input left and the room for output. */
struct io {
	const unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_len;
	bool eof; /* nothing follows in */
};

static void io_advance(struct io *io, size_t consumed, size_t produced)
{
	io->in += consumed;
	io->in_len -= consumed;
	io->out += produced;
	io->out_len -= produced;
}

static unsigned clamp_uint(size_t n)
{
	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

/*
 * A codec: step() consumes from io->in and writes to io->out. It returns
 * 1 when what was consumed so far is whole streams, 0 when a stream is
 * still open, -ENOMEM, or -EBADMSG with the decoder's words in *detail.
 */
struct codec {
	const char *name;
	const char *suffix;
	int (*init)(void **ret_state);
	int (*step)(void *state, struct io *io, const char **detail);
	void (*end)(void *state);
};

/* ---- gzip (zlib) ---- */

struct gz {
	z_stream z;
	bool ended; /* at the end of a member */
};

static int gz_init(void **ret)
{
	struct gz *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	/* 16 + MAX_WBITS: the gzip format only, as gzip -d reads. */
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g);
		return -ENOMEM;
	}
	*ret = g;
	return 0;
}

static int gz_step(void *state, struct io *io, const char **detail)
{
	struct gz *g = state;
	int r;

	if (g->ended) {
		if (!io->in_len)
			return 1;
		/* Another member follows. */
		inflateReset(&g->z);
		g->ended = false;
	}
	g->z.next_in = io->in;
	g->z.avail_in = clamp_uint(io->in_len);
	g->z.next_out = io->out;
	g->z.avail_out = clamp_uint(io->out_len);
	r = inflate(&g->z, Z_NO_FLUSH);
	io_advance(io, (size_t)(g->z.next_in - io->in),
		   (size_t)(g->z.next_out - io->out));
	switch (r) {
	case Z_STREAM_END:
		g->ended = true;
		return 1;
	case Z_OK:
	case Z_BUF_ERROR: /* no progress: the driver tells why */
		return 0;
	case Z_MEM_ERROR:
		return -ENOMEM;
	default:
		*detail = g->z.msg ? g->z.msg : "zlib error";
		return -EBADMSG;
	}
}

static void gz_end(void *state)
{
	struct gz *g = state;

	inflateEnd(&g->z);
	free(g);
}

/* ---- xz (liblzma) ---- */

static int xz_init(void **ret)
{
	lzma_stream *s = malloc(sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (lzma_stream)LZMA_STREAM_INIT;
	if (lzma_stream_decoder(s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

static int xz_step(void *state, struct io *io, const char **detail)
{
	lzma_stream *s = state;
	lzma_ret r;

	s->next_in = io->in;
	s->avail_in = io->in_len;
	s->next_out = io->out;
	s->avail_out = io->out_len;
	/* With LZMA_CONCATENATED, the end is known only at the input's. */
	r = lzma_code(s, io->eof ? LZMA_FINISH : LZMA_RUN);
	io_advance(io, io->in_len - s->avail_in, io->out_len - s->avail_out);
	switch (r) {
	case LZMA_STREAM_END:
		return 1;
	case LZMA_OK:
	case LZMA_BUF_ERROR:
		return 0;
	case LZMA_MEM_ERROR:
		return -ENOMEM;
	case LZMA_FORMAT_ERROR:
		*detail = "not in the xz format";
		break;
	case LZMA_OPTIONS_ERROR:
		*detail = "options this liblzma does not support";
		break;
	case LZMA_DATA_ERROR:
		*detail = "compressed data is corrupt";
		break;
	default:
		*detail = "liblzma error";
		break;
	}
	return -EBADMSG;
}

static void xz_end(void *state)
{
	lzma_end(state);
	free(state);
}

/* ---- zstd (libzstd) ---- */

static int zs_init(void **ret)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();

	if (!d)
		return -ENOMEM;
	*ret = d;
	return 0;
}

static int zs_step(void *state, struct io *io, const char **detail)
{
	ZSTD_inBuffer in = { io->in, io->in_len, 0 };
	ZSTD_outBuffer out = { io->out, io->out_len, 0 };
	size_t r = ZSTD_decompressStream(state, &out, &in);

	io_advance(io, in.pos, out.pos);
	if (ZSTD_isError(r)) {
		*detail = ZSTD_getErrorName(r);
		return -EBADMSG;
	}
	/* 0: a frame is decoded and flushed whole. */
	return r == 0;
}

static void zs_end(void *state)
{
	ZSTD_freeDCtx(state);
}

/* ---- no compression ---- */

static int plain_step(void *state, struct io *io, const char **detail)
{
	size_t n = io->in_len < io->out_len ? io->in_len : io->out_len;

	memcpy(io->out, io->in, n);
	io_advance(io, n, n);
	return 1;
}

static const struct codec codecs[] = {
	{ "gzip", ".gz", gz_init, gz_step, gz_end },
	{ "xz", ".xz", xz_init, xz_step, xz_end },
	{ "zstd", ".zst", zs_init, zs_step, zs_end },
};

static const struct codec plain = { "uncompressed", "", NULL, plain_step,
				    NULL };

static const struct codec *codec_for(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(codecs); i++)
		if (str_has_suffix(path, codecs[i].suffix))
			return &codecs[i];
	return NULL;
}

const char *decompress_codec_of(const char *path)
{
	const struct codec *c = codec_for(path);

	return c ? c->name : NULL;
}

/* The output: room for at least CHUNK more bytes, else -ENOMEM. */
struct outbuf {
	unsigned char *p;
	size_t len, cap;
};

static int outbuf_room(struct outbuf *o, size_t hint)
{
	unsigned char *np;
	size_t cap;

	if (o->cap - o->len >= CHUNK)
		return 0;
	if (!o->cap)
		cap = hint < SIZE_MAX - CHUNK ? hint + CHUNK : hint;
	else if (o->cap > SIZE_MAX / 2)
		return -ENOMEM;
	else
		cap = o->cap * 2;
	np = realloc(o->p, cap);
	if (!np)
		return -ENOMEM;
	o->p = np;
	o->cap = cap;
	return 0;
}

int decompress_file(const char *path, unsigned char **ret, size_t *ret_len,
		    struct error *err)
{
	const struct codec *c = codec_for(path);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ unsigned char *in = NULL;
	struct outbuf o = { 0 };
	struct io io = { 0 };
	const char *detail = "";
	void *state = NULL;
	bool whole = false;
	size_t hint = 0;
	struct stat st;
	int r;

	if (!c)
		c = &plain;
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_fail(err, -errno, "%s: %s", path, strerror(errno));
	/* A first guess at the size; the buffer grows as needed. */
	if (st.st_size > 0 && (uint64_t)st.st_size < SIZE_MAX / 8)
		hint = (size_t)st.st_size * (c == &plain ? 1 : 4);
	in = malloc(CHUNK);
	if (!in || (c->init && c->init(&state) < 0)) {
		r = -ENOMEM;
		goto fail;
	}
	for (;;) {
		size_t in0, out0;

		if (!io.in_len && !io.eof) {
			ssize_t n = read(fd, in, CHUNK);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				r = err_fail(err, -errno, "%s: %s", path,
					     strerror(errno));
				goto out;
			}
			io.in = in;
			io.in_len = (size_t)n;
			io.eof = n == 0;
		}
		if (io.eof && !io.in_len && whole)
			break;
		r = outbuf_room(&o, hint);
		if (r < 0)
			goto fail;
		io.out = o.p + o.len;
		io.out_len = o.cap - o.len;
		in0 = io.in_len;
		out0 = io.out_len;
		r = c->step(state, &io, &detail);
		o.len += out0 - io.out_len;
		if (r < 0)
			goto fail;
		whole = r == 1;
		if (whole || io.in_len != in0 || io.out_len != out0)
			continue;
		/* No progress, in the middle of a stream. */
		if (io.eof && !io.in_len) {
			r = err_fail(
				err, -EBADMSG,
				"%s: the %s data ends early (a truncated file?)",
				path, c->name);
			goto out;
		}
		if (io.in_len) {
			detail = "the decoder stopped";
			r = -EBADMSG;
			goto fail;
		}
	}
	if (c->end)
		c->end(state);
	*ret = o.p ? o.p : malloc(1);
	*ret_len = o.len;
	return *ret ? 0 : -ENOMEM;
fail:
	if (r == -ENOMEM)
		err_set(err, "%s: out of memory reading %s data", path,
			c->name);
	else
		err_set(err, "%s: corrupt %s data: %s", path, c->name, detail);
out:
	if (c->end && state)
		c->end(state);
	free(o.p);
	return r;
}
