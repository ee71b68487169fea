// SPDX-License-Identifier: MIT
/*
 * The stats CSV reader. The hot loop (csvread_scan.h) takes a line at a
 * time: a 64-byte vector compare from its first byte gives its commas and
 * newline as bit masks (SSE2, or AVX2 when the CPU has it); its "source,
 * stat" is compared with the pair of the line before and the pair that
 * followed that one last time, so names are looked up only when the order
 * changes; only rows of a wanted stat have their numbers parsed (8 digits
 * at a time).
 */
#include "csvread.h"
#include "array.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#if defined(__SSE2__) || defined(__x86_64__)
#include <immintrin.h>
#endif

#define BLOCK_SIZE (1u << 20)
#define PAD 64
#define MAX_NAMES 65536
#define MAX_NAME_LEN 255
#define NONE UINT32_MAX

struct name {
	char *s; /* len bytes, then 8 of zeros for eq_bytes() */
	uint32_t len;
	uint32_t next; /* the id that followed this one last time */
	bool seen;
	bool want; /* a stat asked for by csvread_want() */
};

struct names {
	struct name *v;
	uint32_t n;
	size_t cap;
	uint32_t *slot; /* open addressing, id + 1; 0 is empty */
	uint32_t mask;
	uint32_t last;
};

/*
 * A (source, stat) pair as its line has it, "source,stat", with the pair
 * that followed it last time: a monitor writes the same pairs in the same
 * order every tick, so a line is mostly checked against one or two of
 * these with a vector compare, without looking names up.
 */
struct pair {
	char *bytes; /* len bytes, then PAIR_SLACK of zeros */
	uint32_t len, source, stat, next;
	bool wanted;
};

#define MAX_PAIRS 4096
#define PAIR_SLACK 32

struct csvread {
	char *path;
	int fd;
	uint64_t start, end;
	char *buf;
	struct names names[_CSV_NAME_KIND_MAX];
	bool want_all;
	uint64_t rows;
	uint64_t partial_line;
	struct pair *pairs; /* cap_pairs, up to MAX_PAIRS */
	struct pair spare; /* id MAX_PAIRS: a pair past MAX_PAIRS */
	uint32_t n_pairs, cap_pairs, cur_pair;
	uint32_t *pair_slot; /* 2 * cap_pairs, by source and stat: id + 1 */
	struct error err;
};

static uint32_t hash_bytes(const char *p, uint32_t len)
{
	uint32_t h = 2166136261u;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

/* Puts id + 1 in the first empty slot from h on (open addressing). */
static void slot_put(uint32_t *slot, uint32_t mask, uint32_t h, uint32_t id)
{
	h &= mask;
	while (slot[h])
		h = (h + 1) & mask;
	slot[h] = id + 1;
}

static void names_free(struct names *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->v[i].s);
	free(t->v);
	free(t->slot);
}

static int names_rehash(struct names *t, uint32_t slots)
{
	uint32_t *s = calloc(slots, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (uint32_t id = 0; id < t->n; id++)
		slot_put(s, slots - 1, hash_bytes(t->v[id].s, t->v[id].len),
			 id);
	free(t->slot);
	t->slot = s;
	t->mask = slots - 1;
	return 0;
}

static int names_add(struct names *t, const char *p, uint32_t len, uint32_t h)
{
	uint32_t id = t->n;
	char *copy;

	if (t->n >= MAX_NAMES)
		return -E2BIG;
	if ((t->n + 1) * 2 > t->mask + 1 || !t->slot) {
		int r = names_rehash(t, t->slot ? (t->mask + 1) * 2 : 64);

		if (r < 0)
			return r;
	}
	if (ARRAY_RESERVE(t->v, t->n, t->cap, 16) < 0)
		return -ENOMEM;
	copy = calloc(1, len + 8);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	t->v[id] = (struct name){ .s = copy, .len = len, .next = NONE };
	t->n++;
	slot_put(t->slot, t->mask, h, id);
	return (int)id;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("_-.:@/+=", c));
}

static bool valid_field_name(enum csv_name_kind kind, const char *p,
			     uint32_t len)
{
	if (len == 0 || len > MAX_NAME_LEN)
		return false;
	switch (kind) {
	case CSV_NODE:
		if (len == 5 && memcmp(p, "total", 5) == 0)
			return true;
		if (p[0] != 'N' || len < 2 || len > 6)
			return false;
		for (uint32_t i = 1; i < len; i++)
			if (p[i] < '0' || p[i] > '9')
				return false;
		return true;
	case CSV_UNIT:
		return len == 5 && (memcmp(p, "bytes", 5) == 0 ||
				    memcmp(p, "count", 5) == 0);
	default:
		for (uint32_t i = 0; i < len; i++)
			if (!name_char(p[i]))
				return false;
		return true;
	}
}

/*
 * The id of the name p[0, len) of this kind, added when new: -EINVAL when
 * it is not a valid one, -E2BIG past MAX_NAMES.
 */
static int names_get(struct names *t, enum csv_name_kind kind, const char *p,
		     uint32_t len)
{
	uint32_t h = hash_bytes(p, len);

	for (uint32_t i = h & t->mask; t->slot; i = (i + 1) & t->mask) {
		uint32_t id = t->slot[i];

		if (!id)
			break;
		if (t->v[id - 1].len == len &&
		    memcmp(t->v[id - 1].s, p, len) == 0)
			return (int)(id - 1);
	}
	if (!valid_field_name(kind, p, len))
		return -EINVAL;
	return names_add(t, p, len, h);
}

static const char *const kind_names[] = {
	[CSV_SOURCE] = "source",
	[CSV_STAT] = "stat",
	[CSV_NODE] = "node",
	[CSV_UNIT] = "unit",
};

uint64_t csvread_line_of(int fd, uint64_t offset)
{
	char buf[65536];
	uint64_t line = 1, pos = 0;

	while (pos < offset) {
		size_t want =
			offset - pos < sizeof(buf) ? offset - pos : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)pos);

		if (n <= 0)
			break;
		for (const char *p = buf, *e = buf + n;
		     (p = memchr(p, '\n', (size_t)(e - p))); p++)
			line++;
		pos += (uint64_t)n;
	}
	return line;
}

/* Printable copy of at most 64 bytes, for messages. */
static void quote_bytes(const char *p, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && i < 64 && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
					      c);
	}
	if (len > 64 && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

__attribute__((format(printf, 3, 4))) static int
bad(struct csvread *r, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	char what[sizeof(r->err.msg)];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_fail(&r->err, -EBADMSG, "%s:%" PRIu64 ": %s", r->path,
			csvread_line_of(r->fd, offset), what);
}

/*
 * Equal bytes; both sides must be readable 7 bytes past len (the block
 * has padding, names have slack).
 */
static inline bool eq_bytes(const char *a, const char *b, uint32_t len)
{
	uint64_t x, y;

	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	if (!len)
		return true;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return ((x ^ y) & ((1ull << (len * 8)) - 1)) == 0;
}

static inline __attribute__((always_inline)) bool
is_name(const struct names *t, uint32_t id, const char *p, uint32_t len)
{
	return t->v[id].len == len && eq_bytes(p, t->v[id].s, len);
}

static int intern_slow(struct csvread *r, enum csv_name_kind kind,
		       const char *p, uint32_t len, uint64_t off, uint32_t *ret)
{
	struct names *t = &r->names[kind];
	int id = names_get(t, kind, p, len);
	char q[200];

	if (id == -EINVAL) {
		quote_bytes(p, len, q, sizeof(q));
		return bad(r, off, "invalid %s '%s'", kind_names[kind], q);
	}
	if (id == -E2BIG)
		return bad(r, off, "more than %d different %s names", MAX_NAMES,
			   kind_names[kind]);
	if (id < 0)
		return id;
	t->v[id].seen = true;
	if (t->last != NONE)
		t->v[t->last].next = (uint32_t)id;
	t->last = (uint32_t)id;
	*ret = (uint32_t)id;
	return 0;
}

/*
 * Names come in runs and cycles (the same source for many rows, the same
 * order of stats and nodes for each source): try the last name and the
 * one that followed it last time before hashing.
 */
static inline __attribute__((always_inline)) int
intern(struct csvread *r, enum csv_name_kind kind, const char *p, uint32_t len,
       uint64_t off, uint32_t *ret)
{
	struct names *t = &r->names[kind];
	uint32_t last = t->last, nx;

	if (last != NONE) {
		if (is_name(t, last, p, len)) {
			*ret = last;
			return 0;
		}
		nx = t->v[last].next;
		if (nx != NONE && is_name(t, nx, p, len)) {
			t->last = nx;
			*ret = nx;
			return 0;
		}
	}
	return intern_slow(r, kind, p, len, off, ret);
}

int csvread_new(const char *path, int fd, uint64_t start, uint64_t end,
		struct csvread **ret)
{
	struct csvread *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->path = strdup(path);
	r->buf = malloc(BLOCK_SIZE + PAD);
	if (!r->path || !r->buf) {
		csvread_free(r);
		return -ENOMEM;
	}
	memset(r->buf + BLOCK_SIZE, 0, PAD);
	r->spare.next = NONE;
	r->cur_pair = NONE;
	r->fd = fd;
	r->start = start;
	r->end = end;
	r->want_all = true;
	for (int k = 0; k < _CSV_NAME_KIND_MAX; k++)
		r->names[k].last = NONE;
	*ret = r;
	return 0;
}

void csvread_free(struct csvread *r)
{
	if (!r)
		return;
	for (int k = 0; k < _CSV_NAME_KIND_MAX; k++)
		names_free(&r->names[k]);
	for (uint32_t i = 0; i < r->n_pairs; i++)
		free(r->pairs[i].bytes);
	free(r->spare.bytes);
	free(r->pairs);
	free(r->pair_slot);
	free(r->buf);
	free(r->path);
	free(r);
}

int csvread_want(struct csvread *r, const char *stat)
{
	struct names *t = &r->names[CSV_STAT];
	int id = names_get(t, CSV_STAT, stat, (uint32_t)strlen(stat));

	if (id < 0)
		return id;
	t->v[id].want = true;
	r->want_all = false;
	return id;
}

const char *csvread_error(const struct csvread *r)
{
	return r->err.msg;
}

uint32_t csvread_count(const struct csvread *r, enum csv_name_kind kind)
{
	return r->names[kind].n;
}

const char *csvread_name(const struct csvread *r, enum csv_name_kind kind,
			 uint32_t id)
{
	return id < r->names[kind].n ? r->names[kind].v[id].s : NULL;
}

bool csvread_seen(const struct csvread *r, enum csv_name_kind kind, uint32_t id)
{
	return id < r->names[kind].n && r->names[kind].v[id].seen;
}

uint64_t csvread_rows(const struct csvread *r)
{
	return r->rows;
}

uint64_t csvread_partial_line(const struct csvread *r)
{
	return r->partial_line;
}

/* The slow path of parse_int(): checks everything, says what is wrong. */
static int parse_int_slow(struct csvread *r, const char *what, const char *p,
			  uint32_t len, uint64_t off, int64_t *ret)
{
	bool neg = len && *p == '-';
	const char *d = p + neg;
	uint32_t n = len - neg, z = 0;
	const char *why = "is not an integer";
	uint64_t v = 0;
	char q[200];

	if (n == 0)
		goto fail;
	for (uint32_t i = 0; i < n; i++)
		if ((unsigned)(uint8_t)d[i] - '0' > 9)
			goto fail;
	why = "is out of range";
	/* Leading zeros do not count towards the 19 digits that fit. */
	while (z + 1 < n && d[z] == '0')
		z++;
	if (n - z > 19)
		goto fail;
	for (uint32_t i = z; i < n; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	if (v > (uint64_t)INT64_MAX + neg)
		goto fail;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
fail:
	quote_bytes(p, len, q, sizeof(q));
	return bad(r, off, "%s '%s' %s", what, q, why);
}

#define ONES 0x0101010101010101ull

/*
 * The first n (1 to 8) bytes at p as a number, if all are digits; p must
 * be readable 8 bytes on. The bytes before the digits are filled with
 * '0', then all 8 are converted at once (SWAR: pairs, quads, octets).
 */
static inline bool digits8(const char *p, uint32_t n, uint64_t *ret)
{
	uint32_t s = 64 - 8 * n;
	uint64_t x;

	memcpy(&x, p, 8);
	x = le64toh(x);
	x = (x << s) | ((ONES * '0') & ((1ull << s) - 1));
	/* Each byte is 0x30-0x39: high nibble 3, low nibble + 6 below 16. */
	if ((x & (ONES * 0xf0)) != ONES * 0x30 ||
	    ((x + ONES * 6) & (ONES * 0xf0)) != ONES * 0x30)
		return false;
	x -= ONES * '0';
	x = x * 10 + (x >> 8);
	x = (((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32))) +
	     (((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32)))) >>
	    32;
	*ret = x;
	return true;
}

/*
 * A decimal int64: up to 19 digits, 8 at a time; anything else (signs
 * aside, longer numbers, stray bytes) takes the slow path, which also
 * words the error. p must be readable 8 bytes past len (the block has
 * padding).
 */
static inline int parse_int(struct csvread *r, const char *what, const char *p,
			    uint32_t len, uint64_t off, int64_t *ret)
{
	const char *d = p;
	uint32_t n = len, first;
	bool neg = len && *p == '-';
	uint64_t v, part;

	d += neg;
	n -= neg;
	if (__builtin_expect(n == 0 || n > 19, 0))
		return parse_int_slow(r, what, p, len, off, ret);
	first = (n - 1) % 8 + 1;
	if (!digits8(d, first, &v))
		return parse_int_slow(r, what, p, len, off, ret);
	for (uint32_t i = first; i < n; i += 8) {
		if (!digits8(d + i, 8, &part))
			return parse_int_slow(r, what, p, len, off, ret);
		v = v * 100000000 + part;
	}
	if (__builtin_expect(v > (uint64_t)INT64_MAX + neg, 0))
		return parse_int_slow(r, what, p, len, off, ret);
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* Bit i set for each byte of p[0, 64) that has no place in the CSV. */
static uint64_t stray_bits(const char *p)
{
	uint64_t b = 0;

	for (int i = 0; i < 64; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch < 0x20 && ch != '\r' && ch != '\n') || ch >= 0x80)
			b |= 1ull << i;
	}
	return b;
}

typedef unsigned __int128 u128;

static inline uint32_t ctz64(uint64_t x)
{
	return (uint32_t)__builtin_ctzll(x);
}

static inline uint32_t ctz128(u128 x)
{
	uint64_t lo = (uint64_t)x;

	return lo ? (uint32_t)__builtin_ctzll(lo) :
		    64 + (uint32_t)__builtin_ctzll((uint64_t)(x >> 64));
}

static inline uint32_t popcount64(uint64_t x)
{
	return (uint32_t)__builtin_popcountll(x);
}

#if defined(__SSE2__)
/*
 * The 64 bytes at p: bit i of *ret_comma / *ret_nl for a ',' / '\n' at
 * p[i]; *ret_stray when a byte other than '\r' and '\n' is below 0x20 or
 * not ASCII (stray_bits() tells which).
 */
static inline __attribute__((always_inline)) void
window(const char *p, uint64_t *ret_comma, uint64_t *ret_nl, bool *ret_stray)
{
	const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r'), sp = _mm_set1_epi8(0x20);
	__m128i x[4], n[4], stray = _mm_setzero_si128();
	uint64_t c = 0, l = 0;

	for (int i = 0; i < 4; i++) {
		x[i] = _mm_loadu_si128((const __m128i *)(p + 16 * i));
		n[i] = _mm_cmpeq_epi8(x[i], nl);
		/* Signed: below 0x20 or at/above 0x80. */
		stray = _mm_or_si128(
			stray,
			_mm_andnot_si128(
				_mm_or_si128(n[i], _mm_cmpeq_epi8(x[i], cr)),
				_mm_cmplt_epi8(x[i], sp)));
		c |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(x[i], comma))
		     << (16 * i);
		l |= (uint64_t)(uint16_t)_mm_movemask_epi8(n[i]) << (16 * i);
	}
	*ret_comma = c;
	*ret_nl = l;
	*ret_stray = _mm_movemask_epi8(stray) != 0;
}

/*
 * Whether a[0, len) equals b[0, len), 16 bytes at a time; both must be
 * readable 15 bytes past len (in the block, lines are followed by more
 * lines or the padding).
 */
static inline __attribute__((always_inline)) bool
eq_span(const char *a, const char *b, uint32_t len)
{
	for (;; a += 16, b += 16, len -= 16) {
		uint32_t m = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)a),
				       _mm_loadu_si128((const __m128i *)b)));

		if (len <= 16)
			return (~m & ((1u << len) - 1)) == 0;
		if (m != 0xffff)
			return false;
	}
}
#else
static inline void window(const char *p, uint64_t *ret_comma, uint64_t *ret_nl,
			  bool *ret_stray)
{
	uint64_t c = 0, l = 0;

	for (int i = 0; i < 64; i++) {
		c |= (uint64_t)(p[i] == ',') << i;
		l |= (uint64_t)(p[i] == '\n') << i;
	}
	*ret_comma = c;
	*ret_nl = l;
	*ret_stray = stray_bits(p) != 0;
}

static inline bool eq_span(const char *a, const char *b, uint32_t len)
{
	return memcmp(a, b, len) == 0;
}
#endif

/* A stray byte at p[at], in the line p. */
static int stray_byte(struct csvread *r, const char *p, uint64_t off,
		      uint32_t at)
{
	return bad(r, off, "unexpected byte 0x%02x in column %u",
		   (unsigned char)p[at], at + 1);
}

/* A line whose comma count is not six. */
static int field_count(struct csvread *r, uint64_t off, uint32_t commas)
{
	if (commas < 6)
		return bad(r, off, "%u fields, expected 7", commas + 1);
	return bad(r, off, "more than 7 fields");
}

/*
 * A line of 128 bytes or more, byte by byte: its six commas and newline
 * in sep, the newline's offset in *ret_nl.
 */
static int long_line(struct csvread *r, const char *p, uint64_t off,
		     uint32_t *sep, uint32_t *ret_nl)
{
	uint32_t commas = 0, i;

	for (i = 0; p[i] != '\n'; i++) {
		unsigned char ch = (unsigned char)p[i];

		if ((ch < 0x20 && ch != '\r') || ch >= 0x80)
			return stray_byte(r, p, off, i);
		if (ch == ',') {
			if (commas < 6)
				sep[commas] = i;
			commas++;
		}
	}
	if (commas != 6)
		return field_count(r, off, commas);
	sep[6] = i;
	*ret_nl = i;
	return 0;
}

static bool is_wanted(const struct csvread *r, uint32_t stat)
{
	return r->want_all || r->names[CSV_STAT].v[stat].want;
}

static uint32_t pair_hash(uint32_t source, uint32_t stat)
{
	return source * 0x9e3779b1u ^ stat * 0x85ebca6bu;
}

/* The pair with this id: an index in pairs, or MAX_PAIRS for the spare. */
static inline struct pair *pair_at(struct csvread *r, uint32_t id)
{
	return id < MAX_PAIRS ? &r->pairs[id] : &r->spare;
}

static int pairs_grow(struct csvread *r)
{
	uint32_t cap = r->cap_pairs ? r->cap_pairs * 2 : 64, mask = 2 * cap - 1;
	struct pair *np = realloc(r->pairs, cap * sizeof(*np));
	uint32_t *slot;

	if (!np)
		return -ENOMEM;
	r->pairs = np;
	slot = calloc(2 * cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (uint32_t id = 0; id < r->n_pairs; id++)
		slot_put(slot, mask, pair_hash(np[id].source, np[id].stat), id);
	free(r->pair_slot);
	r->pair_slot = slot;
	r->cap_pairs = cap;
	return 0;
}

/*
 * The pair of a line that is neither the last line's pair nor the one
 * that followed it last time: looks its names up (adding new ones) and
 * finds or adds the pair. Past MAX_PAIRS, the spare holds it.
 */
static int pair_slow(struct csvread *r, const char *p, uint32_t source_len,
		     uint32_t stat_len, uint64_t off)
{
	uint32_t len = source_len + 1 + stat_len, source, stat, h, id, mask;
	struct pair *e;
	char *bytes;
	int k;

	k = intern(r, CSV_SOURCE, p, source_len, off, &source);
	if (!k)
		k = intern(r, CSV_STAT, p + source_len + 1, stat_len, off,
			   &stat);
	if (!k && r->n_pairs == r->cap_pairs && r->cap_pairs < MAX_PAIRS)
		k = pairs_grow(r);
	if (k < 0)
		return k;
	mask = 2 * r->cap_pairs - 1;
	for (h = pair_hash(source, stat) & mask;; h = (h + 1) & mask) {
		id = r->pair_slot[h];
		if (!id)
			break;
		e = &r->pairs[id - 1];
		if (e->source == source && e->stat == stat) {
			id--;
			goto found;
		}
	}
	bytes = calloc(1, len + PAIR_SLACK);
	if (!bytes)
		return -ENOMEM;
	memcpy(bytes, p, len);
	if (r->n_pairs < MAX_PAIRS) {
		id = r->n_pairs++;
		r->pair_slot[h] = id + 1;
	} else {
		id = MAX_PAIRS;
		free(r->spare.bytes);
	}
	e = pair_at(r, id);
	*e = (struct pair){ .bytes = bytes,
			    .len = len,
			    .source = source,
			    .stat = stat,
			    .next = NONE };
found:
	e->wanted = is_wanted(r, stat);
	if (r->cur_pair < MAX_PAIRS && id < MAX_PAIRS)
		r->pairs[r->cur_pair].next = id;
	r->cur_pair = id;
	return 0;
}

/* Field k of a line: from after separator k - 1 to separator k. */
#define FIELD(k) (k ? sep[k - 1] + 1 : 0)
#define FIELD_LEN(k) (sep[k] - FIELD(k))

/* A row of a wanted stat: p is its line, sep its separators. */
static int do_row(struct csvread *r, const char *p, uint64_t off,
		  const uint32_t *sep, uint32_t source, uint32_t stat,
		  csv_row_fn fn, void *userdata)
{
	struct csv_row row;
	uint32_t ulen = FIELD_LEN(6);
	int k;

	if (ulen && p[sep[6] - 1] == '\r')
		ulen--;
	k = parse_int(r, "epoch_ms", p + FIELD(0), FIELD_LEN(0), off,
		      &row.epoch_ms);
	if (k < 0)
		return k;
	k = parse_int(r, "elapsed_ms", p + FIELD(1), FIELD_LEN(1), off,
		      &row.elapsed_ms);
	if (k < 0)
		return k;
	k = parse_int(r, "value", p + FIELD(5), FIELD_LEN(5), off, &row.value);
	if (k < 0)
		return k;
	k = intern(r, CSV_NODE, p + FIELD(4), FIELD_LEN(4), off, &row.node);
	if (k < 0)
		return k;
	k = intern(r, CSV_UNIT, p + FIELD(6), ulen, off, &row.unit);
	if (k < 0)
		return k;
	row.source = source;
	row.stat = stat;
	return fn(&row, userdata);
}

#define SCAN(name) name##_base
#define WINDOW window
#define EQ_SPAN eq_span
#include "csvread_scan.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/*
 * The same scan with 32-byte vectors, for CPUs that have AVX2, BMI1/2 and
 * POPCNT (checked at run time); GCC compiles this part for them only.
 */
#define HAVE_SCAN_AVX2 1
#pragma GCC push_options
#pragma GCC target("avx2,bmi,bmi2,popcnt,lzcnt")
static inline __attribute__((always_inline)) void
window_avx2(const char *p, uint64_t *ret_comma, uint64_t *ret_nl,
	    bool *ret_stray)
{
	const __m256i comma = _mm256_set1_epi8(','),
		      nl = _mm256_set1_epi8('\n');
	const __m256i cr = _mm256_set1_epi8('\r'), sp = _mm256_set1_epi8(0x20);
	__m256i x0 = _mm256_loadu_si256((const __m256i *)p);
	__m256i x1 = _mm256_loadu_si256((const __m256i *)(p + 32));
	__m256i n0 = _mm256_cmpeq_epi8(x0, nl), n1 = _mm256_cmpeq_epi8(x1, nl);
	/* Signed: below 0x20 or at/above 0x80; \n and \r are allowed. */
	__m256i stray = _mm256_or_si256(
		_mm256_andnot_si256(
			_mm256_or_si256(n0, _mm256_cmpeq_epi8(x0, cr)),
			_mm256_cmpgt_epi8(sp, x0)),
		_mm256_andnot_si256(
			_mm256_or_si256(n1, _mm256_cmpeq_epi8(x1, cr)),
			_mm256_cmpgt_epi8(sp, x1)));

	*ret_stray = !_mm256_testz_si256(stray, stray);
	*ret_comma = (uint64_t)(uint32_t)_mm256_movemask_epi8(
			     _mm256_cmpeq_epi8(x0, comma)) |
		     (uint64_t)(uint32_t)_mm256_movemask_epi8(
			     _mm256_cmpeq_epi8(x1, comma))
			     << 32;
	*ret_nl = (uint64_t)(uint32_t)_mm256_movemask_epi8(n0) |
		  (uint64_t)(uint32_t)_mm256_movemask_epi8(n1) << 32;
}

/* eq_span() 32 bytes at a time; both readable 31 bytes past len. */
static inline __attribute__((always_inline)) bool
eq_span_avx2(const char *a, const char *b, uint32_t len)
{
	for (;; a += 32, b += 32, len -= 32) {
		uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
			_mm256_loadu_si256((const __m256i *)a),
			_mm256_loadu_si256((const __m256i *)b)));

		if (len <= 32)
			return _bzhi_u32(~m, len) == 0;
		if (m != UINT32_MAX)
			return false;
	}
}

#define SCAN(name) name##_avx2
#define WINDOW window_avx2
#define EQ_SPAN eq_span_avx2
#include "csvread_scan.h"
#pragma GCC pop_options

/*
 * And with one 64-byte vector and mask registers, for CPUs that have
 * AVX-512BW as well: a window in a third of the instructions.
 */
#pragma GCC push_options
#pragma GCC target("avx512bw,avx512vl,avx2,bmi,bmi2,popcnt,lzcnt")
static inline __attribute__((always_inline)) void
window_avx512(const char *p, uint64_t *ret_comma, uint64_t *ret_nl,
	      bool *ret_stray)
{
	__m512i x = _mm512_loadu_si512((const void *)p);
	__mmask64 nl = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n'));
	__mmask64 cr = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\r'));
	/* Signed: below 0x20 or at/above 0x80; \n and \r are allowed. */
	__mmask64 low = _mm512_cmplt_epi8_mask(x, _mm512_set1_epi8(0x20));

	*ret_comma = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(','));
	*ret_nl = nl;
	*ret_stray = (low & ~(nl | cr)) != 0;
}

#define SCAN(name) name##_avx512
#define WINDOW window_avx512
#define EQ_SPAN eq_span_avx2
#include "csvread_scan.h"
#pragma GCC pop_options
#endif

/* -1: not checked yet; 0: generic; 1: AVX2; 2: AVX-512BW. */
static int use_avx2 = -1;

bool csvread_simd(int avx2)
{
#ifdef HAVE_SCAN_AVX2
	if (avx2 < 0) {
		__builtin_cpu_init();
		avx2 = __builtin_cpu_supports("avx2") &&
		       __builtin_cpu_supports("bmi2") &&
		       __builtin_cpu_supports("popcnt");
		if (avx2 && __builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vl"))
			avx2 = 2;
	}
	use_avx2 = avx2 < 0 ? 0 : avx2 > 2 ? 2 : avx2;
#else
	use_avx2 = 0;
#endif
	return use_avx2;
}

static int scan_block(struct csvread *r, const char *buf, uint32_t len,
		      uint64_t base, csv_row_fn fn, void *userdata)
{
#ifdef HAVE_SCAN_AVX2
	if (__builtin_expect(use_avx2 < 0, 0))
		csvread_simd(-1);
	if (use_avx2 == 2)
		return scan_block_avx512(r, buf, len, base, fn, userdata);
	if (use_avx2)
		return scan_block_avx2(r, buf, len, base, fn, userdata);
#endif
	return scan_block_base(r, buf, len, base, fn, userdata);
}

/* The first line, buf[0, len) without its '\n', against header. */
static int check_header(const char *path, const char *buf, size_t len,
			const char *header, struct error *err)
{
	char q[200];

	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len == strlen(header) && memcmp(buf, header, len) == 0)
		return 0;
	quote_bytes(buf, len, q, sizeof(q));
	return err_fail(err, -EBADMSG, "%s:1: header is '%s', expected '%s'",
			path, q, header);
}

int csvread_run(struct csvread *r, csv_row_fn fn, void *userdata)
{
	uint64_t pos = r->start, base = r->start;
	uint32_t carry = 0;
	bool header = r->start == 0;
	int k;

	for (uint32_t i = 0; i < r->n_pairs; i++)
		r->pairs[i].wanted = is_wanted(r, r->pairs[i].stat);
	posix_fadvise(r->fd, (off_t)r->start, (off_t)(r->end - r->start),
		      POSIX_FADV_SEQUENTIAL);
	while (pos < r->end) {
		uint64_t want = r->end - pos;
		ssize_t n;
		const char *nl;
		uint32_t total, from = 0;

		if (want > BLOCK_SIZE - carry)
			want = BLOCK_SIZE - carry;
		n = pread(r->fd, r->buf + carry, want, (off_t)pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_fail(&r->err, -errno, "%s: %s", r->path,
					strerror(errno));
		}
		if (n == 0) /* the file shrank */
			break;
		pos += (uint64_t)n;
		total = carry + (uint32_t)n;
		nl = memrchr(r->buf, '\n', total);
		if (!nl) {
			if (total == BLOCK_SIZE)
				return bad(r, base, "line longer than %u bytes",
					   BLOCK_SIZE);
			carry = total;
			continue;
		}
		uint32_t upto = (uint32_t)(nl - r->buf) + 1;

		if (header) {
			const char *e = memchr(r->buf, '\n', upto);

			from = (uint32_t)(e - r->buf) + 1;
			k = check_header(r->path, r->buf, from - 1, CSV_HEADER,
					 &r->err);
			if (k < 0)
				return k;
			header = false;
		}
		/* Pad after the lines so the vector loads see no stale bytes. */
		{
			char save[PAD];

			memcpy(save, r->buf + upto, PAD);
			memset(r->buf + upto, 0, PAD);
			k = scan_block(r, r->buf + from, upto - from,
				       base + from, fn, userdata);
			memcpy(r->buf + upto, save, PAD);
		}
		if (k < 0)
			return k;
		carry = total - upto;
		memmove(r->buf, r->buf + upto, carry);
		base += upto;
	}
	if (header && carry == 0)
		return err_fail(
			&r->err, -EBADMSG,
			"%s: empty file, expected the header '" CSV_HEADER "'",
			r->path);
	if (header) /* without its newline, and no rows */
		return check_header(r->path, r->buf, carry, CSV_HEADER,
				    &r->err);
	if (carry > 0)
		r->partial_line = csvread_line_of(r->fd, base);
	return 0;
}

int csvread_text(const char *path, const char *text, size_t len,
		 const char *header, unsigned n_fields, bool whole,
		 csv_fields_fn fn, void *ud, struct error *err)
{
	const char *p = text, *end = text + len, *nl;
	struct csv_span f[CSV_TEXT_MAX_FIELDS];
	struct error what;
	size_t line = 1;
	int k;

	if (n_fields == 0 || n_fields > CSV_TEXT_MAX_FIELDS)
		return -EINVAL;
	nl = memchr(p, '\n', len);
	k = check_header(path, p, (size_t)((nl ? nl : end) - p), header, err);
	if (k < 0 || !nl)
		return k;
	for (p = nl + 1; p < end; p = nl + 1) {
		const char *e;
		unsigned n = 0;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl && !whole)
			break; /* a line still being written */
		if (!nl)
			nl = end;
		e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		line++;
		if (e == p)
			continue;
		for (const char *q = p; q < e; q++)
			if ((unsigned char)*q < 0x20 ||
			    (unsigned char)*q >= 0x80)
				return err_fail(
					err, -EBADMSG,
					"%s:%zu: unexpected byte 0x%02x in column %zu",
					path, line, (unsigned char)*q,
					(size_t)(q - p) + 1);
		for (const char *q = p;; q++) {
			const char *c = memchr(q, ',', (size_t)(e - q));

			if (n == n_fields)
				return err_fail(err, -EBADMSG,
						"%s:%zu: more than %u fields",
						path, line, n_fields);
			f[n].p = q;
			f[n].len = (size_t)((c ? c : e) - q);
			n++;
			if (!c)
				break;
			q = c;
		}
		if (n != n_fields)
			return err_fail(err, -EBADMSG,
					"%s:%zu: %u fields, expected %u", path,
					line, n, n_fields);
		what.msg[0] = '\0';
		k = fn(f, ud, &what);
		if (k == -EBADMSG)
			return err_fail(err, k, "%s:%zu: %s", path, line,
					what.msg);
		if (k < 0)
			return k;
		if (nl == end)
			break;
	}
	return 0;
}

/* The first line start at or after off whose tick differs from the previous. */
static uint64_t tick_start_after(int fd, uint64_t off, uint64_t size)
{
	char buf[65536 + 1];
	char prev[32] = "";
	bool have_prev = false;
	uint64_t pos = off;
	bool at_line = false;

	if (off == 0)
		return 0;
	/* Find the first line start after off, then compare elapsed_ms. */
	while (pos < size) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, (off_t)pos);
		char *p, *e;

		if (n <= 0)
			return size;
		e = buf + n;
		p = buf;
		if (!at_line) {
			char *nl = memchr(p, '\n', (size_t)(e - p));

			if (!nl) {
				pos += (uint64_t)n;
				continue;
			}
			p = nl + 1;
			at_line = true;
		}
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(e - p));
			char *c1, *c2;

			if (!nl)
				break;
			c1 = memchr(p, ',', (size_t)(nl - p));
			c2 = c1 ? memchr(c1 + 1, ',', (size_t)(nl - c1 - 1)) :
				  NULL;
			if (c2 && c2 - c1 - 1 < (long)sizeof(prev)) {
				size_t l = (size_t)(c2 - c1 - 1);

				if (have_prev && (strlen(prev) != l ||
						  memcmp(prev, c1 + 1, l) != 0))
					return pos + (uint64_t)(p - buf);
				memcpy(prev, c1 + 1, l);
				prev[l] = '\0';
				have_prev = true;
			}
			p = nl + 1;
		}
		if (p == buf) /* a line longer than the buffer */
			return size;
		pos += (uint64_t)(p - buf);
		if (pos - off > (64u << 20))
			return size;
	}
	return size;
}

int csvread_split(int fd, uint64_t size, unsigned n, uint64_t *ret_bounds)
{
	ret_bounds[0] = 0;
	for (unsigned i = 1; i < n; i++) {
		uint64_t b = tick_start_after(fd, size / n * i, size);

		if (b < ret_bounds[i - 1])
			b = ret_bounds[i - 1];
		ret_bounds[i] = b;
	}
	ret_bounds[n] = size;
	return (int)n;
}
