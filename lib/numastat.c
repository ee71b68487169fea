// SPDX-License-Identifier: MIT
#include "numastat.h"
#include "array.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void numastat_init(struct numastat *ns)
{
	memset(ns, 0, sizeof(*ns));
}

void numastat_free(struct numastat *ns)
{
	free(ns->stats);
	free(ns->node_pool);
	numastat_init(ns);
}

/*
 * Up to 40 bytes of p[0, n) for a message: printable ASCII as is, the rest
 * as \xHH, so that garbage input never reaches a terminal raw.
 */
static const char *printable(const char *p, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < 40 && o + 5 < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = 0;
	return buf;
}

/* clang-format off */
static const char *const count_prefixes[] = {
	"workingset_", /* refault, activate, restore, nodereclaim */
	"pg",          /* pgdemote_*, pgpromote_*, and any later pg event */
	"thp_",
	"numa_",
	"zswp",
};
/* clang-format on */

/* The unit of a key in v2 (bytes unless an event counter). */
static enum numastat_unit key_unit(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(count_prefixes); i++)
		if (str_has_prefix(key, count_prefixes[i]))
			return NUMASTAT_COUNT;
	return NUMASTAT_BYTES;
}

const char *numastat_unit_name(enum numastat_unit u)
{
	return u == NUMASTAT_COUNT ? "count" : "bytes";
}

const struct numastat_stat *numastat_find(const struct numastat *ns,
					  const char *key)
{
	for (size_t i = 0; i < ns->n_stats; i++)
		if (strcmp(ns->stats[i].key, key) == 0)
			return &ns->stats[i];
	return NULL;
}

/* err_fail() with "line N: " before the message. */
__attribute__((format(printf, 4, 5))) static int
fail(struct error *err, int r, unsigned line, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_fail(err, r, "line %u: %s", line, what);
}

/* [A-Za-z0-9_.-] */
static bool key_char(char c)
{
	unsigned char u = (unsigned char)c;

	return (unsigned)((u | 0x20) - 'a') < 26u ||
	       (unsigned)(u - '0') < 10u || u == '_' || u == '.' || u == '-';
}

/* Digits at *p up to end or a space; -EINVAL if none or other chars. */
static int take_u64(const char **p, const char *end, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s != ' ' && *s != '\t'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9)
			return -EINVAL;
		/* v * 10 + d > UINT64_MAX, without a division per digit */
		if (__builtin_mul_overflow(v, 10u, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -ERANGE;
	}
	*p = s;
	*ret = v;
	return 0;
}

static int mul_page(uint64_t v, uint64_t page_size, uint64_t *ret)
{
	if (page_size && v > UINT64_MAX / page_size)
		return -ERANGE;
	*ret = v * page_size;
	return 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Whether the key at p is st's (a whole key: no key character follows). */
static bool same_key(const struct numastat_stat *st, const char *p,
		     const char *end)
{
	size_t n = st->klen;

	return (size_t)(end - p) >= n && memcmp(p, st->key, n) == 0 &&
	       (p + n == end || !key_char(p[n]));
}

/*
 * prev_n: the stats of the last parse, still in ns->stats (distinct keys);
 * *same: every key so far is the last parse's key at the same place, so
 * they are distinct without comparing them all again (the usual case: a
 * file read tick after tick has the same keys in the same order).
 */
static int parse_line(struct numastat *ns, const char *p, const char *end,
		      uint64_t page_size, unsigned lineno, size_t prev_n,
		      bool *same, struct error *err)
{
	struct numastat_stat *st;
	const char *key = p;
	size_t klen;
	uint64_t sum = 0;
	char shown[200];
	bool was_v2;
	int r;

	if (*same && ns->n_stats < prev_n &&
	    same_key(&ns->stats[ns->n_stats], p, end)) {
		/* the last parse's key at this place: no scan, no copy */
		klen = ns->stats[ns->n_stats].klen;
		p += klen;
	} else {
		*same = false;
		while (p < end && key_char(*p))
			p++;
		klen = (size_t)(p - key);
	}
	if (klen == 0)
		return fail(err, -EINVAL, lineno, "expected a key, got '%s'",
			    printable(key, (size_t)(end - key), shown,
				      sizeof(shown)));
	if (klen >= NUMASTAT_KEY_MAX)
		return fail(err, -EINVAL, lineno, "key too long");
	if (p < end && *p != '=' && *p != ' ' && *p != '\t')
		return fail(err, -EINVAL, lineno, "bad character '%s' in key",
			    printable(p, 1, shown, sizeof(shown)));

	r = ARRAY_RESERVE(ns->stats, ns->n_stats, ns->cap_stats, 16);
	if (r < 0)
		return r;
	st = &ns->stats[ns->n_stats];
	if (*same) {
		/* the same key as last time: st->unit still fits a v2 line */
		was_v2 = !st->kernel_total;
	} else {
		was_v2 = false;
		memcpy(st->key, key, klen);
		st->key[klen] = '\0';
		st->klen = klen;
	}
	st->n_nodes = 0;
	st->node_off = ns->n_pool;
	st->kernel_total = false;
	st->total = 0;

	if (p < end && *p == '=') {
		/* v1: key=pages, all in pages, the first one the total */
		p++;
		r = take_u64(&p, end, &st->total);
		if (r == 0)
			r = mul_page(st->total, page_size, &st->total);
		if (r < 0)
			return fail(err, r, lineno, "%s: bad total", st->key);
		st->kernel_total = true;
		st->unit = NUMASTAT_BYTES;
		ns->v1 = true;
	} else if (!was_v2) {
		st->unit = key_unit(st->key);
	}

	for (;;) {
		struct numastat_node *nd;
		uint64_t id, v;

		p = skip_blanks(p, end);
		if (p == end)
			break;
		if (*p != 'N')
			return fail(err, -EINVAL, lineno,
				    "%s: expected N<node>=<value>", st->key);
		p++;
		id = 0;
		{
			const char *q = p;

			while (q < end && *q >= '0' && *q <= '9' &&
			       id < NUMASTAT_NODES_MAX)
				id = id * 10 + (uint64_t)(*q++ - '0');
			if (q == p || q == end || *q != '=' ||
			    id >= NUMASTAT_NODES_MAX)
				return fail(err, -EINVAL, lineno,
					    "%s: bad node", st->key);
			p = q;
		}
		p++; /* '=' */
		r = take_u64(&p, end, &v);
		if (r == 0 && st->kernel_total)
			r = mul_page(v, page_size, &v);
		if (r < 0)
			return fail(err, r, lineno, "%s: bad value for N%u",
				    st->key, (unsigned)id);
		for (size_t i = 0; i < st->n_nodes; i++)
			if (ns->node_pool[st->node_off + i].id == id)
				return fail(err, -EINVAL, lineno,
					    "%s: N%u given twice", st->key,
					    (unsigned)id);
		r = ARRAY_RESERVE(ns->node_pool, ns->n_pool, ns->cap_pool, 16);
		if (r < 0)
			return r;
		nd = &ns->node_pool[ns->n_pool++];
		nd->id = (unsigned)id;
		nd->value = v;
		st->n_nodes++;
		if (sum > UINT64_MAX - v)
			return fail(err, -ERANGE, lineno,
				    "%s: sum over nodes too big", st->key);
		sum += v;
	}
	if (!st->kernel_total) {
		if (st->n_nodes == 0)
			return fail(err, -EINVAL, lineno, "%s: no values",
				    st->key);
		st->total = sum;
	}
	for (size_t i = 0; !*same && i < ns->n_stats; i++)
		if (strcmp(ns->stats[i].key, st->key) == 0)
			return fail(err, -EINVAL, lineno, "%s given twice",
				    st->key);
	ns->n_stats++;
	return 0;
}

int numastat_parse(struct numastat *ns, const char *text, size_t len,
		   uint64_t page_size, struct error *err)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	size_t prev_n = ns->n_stats;
	bool same = true;
	int r;

	ns->n_stats = 0;
	ns->n_pool = 0;
	ns->v1 = false;
	if (err)
		err->msg[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		lineno++;
		if (le > p && le[-1] == '\r')
			le--;
		p = skip_blanks(p, le);
		if (p < le) {
			r = parse_line(ns, p, le, page_size, lineno, prev_n,
				       &same, err);
			if (r < 0) {
				ns->n_stats = 0;
				ns->n_pool = 0;
				return r;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}
