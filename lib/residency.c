// SPDX-License-Identifier: MIT
/* residency.csv over time and the guest helper's lines; see residency.h. */
#include "residency.h"
#include "array.h"
#include "csvread.h"
#include "util.h"

#include <errno.h>
#include <string.h>

void rs_init(struct rs_series *s)
{
	memset(s, 0, sizeof(*s));
}

void rs_free(struct rs_series *s)
{
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->names);
	free(s->hash);
	free(s->rows);
	rs_init(s);
}

/* ---- names ---- */

static uint32_t fnv1a(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int rehash(struct rs_series *s, size_t cap)
{
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_names; i++) {
		size_t k = fnv1a(s->names[i], strlen(s->names[i])) & (cap - 1);

		while (h[k])
			k = (k + 1) & (cap - 1);
		h[k] = (uint32_t)i + 1;
	}
	free(s->hash);
	s->hash = h;
	s->hash_cap = cap;
	return 0;
}

/* The id of name[0, len), added when new. */
static int64_t intern(struct rs_series *s, const char *name, size_t len)
{
	size_t k;
	char *copy;

	if (s->hash_cap < 2 * (s->n_names + 1) &&
	    rehash(s, s->hash_cap ? 2 * s->hash_cap : 64) < 0)
		return -ENOMEM;
	k = fnv1a(name, len) & (s->hash_cap - 1);
	while (s->hash[k]) {
		const char *n = s->names[s->hash[k] - 1];

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return s->hash[k] - 1;
		k = (k + 1) & (s->hash_cap - 1);
	}
	if (ARRAY_RESERVE(s->names, s->n_names, s->cap_names, 32) < 0)
		return -ENOMEM;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	s->names[s->n_names] = copy;
	s->hash[k] = (uint32_t)++s->n_names;
	return (int64_t)s->n_names - 1;
}

const char *rs_name(const struct rs_series *s, uint32_t id)
{
	return id < s->n_names ? s->names[id] : "";
}

int64_t rs_lookup(const struct rs_series *s, const char *name)
{
	size_t len = strlen(name), k;

	if (!s->hash_cap)
		return -1;
	k = fnv1a(name, len) & (s->hash_cap - 1);
	while (s->hash[k]) {
		if (strcmp(s->names[s->hash[k] - 1], name) == 0)
			return s->hash[k] - 1;
		k = (k + 1) & (s->hash_cap - 1);
	}
	return -1;
}

static bool name_char_ok(char c)
{
	return c >= 0x20 && c < 0x7f && c != ',' && c != '"';
}

static bool span_ok(const char *s, size_t len)
{
	if (!len || s[0] == ' ' || s[len - 1] == ' ')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(s[i]))
			return false;
	return true;
}

bool rs_name_ok(const char *name)
{
	return span_ok(name, strlen(name));
}

/* ---- rows ---- */

static int push(struct rs_series *s, int64_t t, const uint32_t f[RS_FIELDS],
		uint64_t bytes)
{
	if (ARRAY_RESERVE(s->rows, s->n, s->cap, 256) < 0)
		return -ENOMEM;
	if (!s->n || s->rows[s->n - 1].t_ms != t)
		s->n_samples++;
	s->rows[s->n].t_ms = t;
	memcpy(s->rows[s->n].f, f, sizeof(s->rows[s->n].f));
	s->rows[s->n].bytes = bytes;
	s->n++;
	return 0;
}

static int parse_num(const char *p, size_t len, uint64_t *ret)
{
	char buf[24];

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return parse_u64(buf, ret);
}

/* A row of residency.csv, its fields split by csvread_text(). */
static int parse_row(const struct csv_span *f, void *ud, struct error *msg)
{
	struct rs_series *s = ud;
	uint32_t id[RS_FIELDS];
	uint64_t t, bytes;

	if (parse_num(f[0].p, f[0].len, &t) < 0 || t > INT64_MAX)
		return err_fail(msg, -EBADMSG, "elapsed_ms is not a number");
	if (parse_num(f[6].p, f[6].len, &bytes) < 0)
		return err_fail(msg, -EBADMSG, "bytes is not a number");
	if (s->n && (int64_t)t < s->rows[s->n - 1].t_ms)
		return err_fail(msg, -EBADMSG, "elapsed_ms goes back");
	for (int i = 0; i < RS_FIELDS; i++) {
		int64_t k;

		if (!span_ok(f[i + 1].p, f[i + 1].len))
			return err_fail(
				msg, -EBADMSG,
				"field %d is empty or holds a character "
				"that is not printable ASCII",
				i + 2);
		k = intern(s, f[i + 1].p, f[i + 1].len);
		if (k < 0)
			return (int)k;
		id[i] = (uint32_t)k;
	}
	return push(s, (int64_t)t, id, bytes);
}

int rs_parse(struct rs_series *s, const char *path, const char *text,
	     size_t len, struct error *err)
{
	int r;

	rs_free(s);
	r = csvread_text(path, text, len, RS_HEADER, 1 + RS_FIELDS + 1, false,
			 parse_row, s, err);
	if (r < 0)
		rs_free(s);
	return r;
}

void rs_write_row(FILE *f, int64_t t_ms, const char *where, const char *set,
		  const char *part, const char *node, const char *cgroup,
		  uint64_t bytes)
{
	fprintf(f, "%lld,%s,%s,%s,%s,%s,%llu\n", (long long)t_ms, where, set,
		part, node, cgroup, (unsigned long long)bytes);
}

bool rs_cgroup_within(const char *cgroup, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return cgroup[0] == '/';
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(cgroup, dir, n) == 0 &&
	       (cgroup[n] == '\0' || cgroup[n] == '/');
}

/* ---- the guest helper ---- */

static int hbad(struct error *err, size_t line, const char *what)
{
	return err_fail(err, -EPROTO, "line %zu: %s", line, what);
}

/* The next space-separated word of [*p, end); false when none. */
static bool word(const char **p, const char *end, const char **ret,
		 size_t *ret_len)
{
	const char *q = *p, *e;

	if (q >= end || *q == ' ')
		return false;
	e = memchr(q, ' ', (size_t)(end - q));
	if (!e)
		e = end;
	*ret = q;
	*ret_len = (size_t)(e - q);
	*p = e < end ? e + 1 : end;
	return true;
}

static bool word_num(const char **p, const char *end, uint64_t *ret)
{
	const char *w;
	size_t n;

	return word(p, end, &w, &n) && parse_num(w, n, ret) == 0;
}

static int helper_line(const char *p, const char *end, size_t line,
		       size_t n_files, const struct rs_helper_cb *cb,
		       char *missing, size_t missing_len, struct error *err)
{
	char node[16], cgroup[512], kind;
	const char *w;
	size_t n;
	uint64_t idx, v;

	if (end - p < 2 || p[1] != ' ')
		return hbad(err, line, "not a line of daxlab-resident");
	switch (p[0]) {
	case 'F':
	case 'E': /* F INDEX SIZE, E INDEX ERRNO */
		kind = p[0];
		p += 2;
		if (!word_num(&p, end, &idx) || idx >= n_files ||
		    !word_num(&p, end, &v) || p != end ||
		    (kind == 'E' && v > 4095))
			return hbad(err, line,
				    kind == 'F' ? "a bad F line" :
						  "a bad E line");
		if (kind == 'F' && cb->file)
			cb->file(cb->ud, (size_t)idx);
		else if (kind == 'E' && cb->failed)
			cb->failed(cb->ud, (size_t)idx, (int)v);
		return 0;
	case 'M':
		n = (size_t)(end - p - 2);
		if (n >= missing_len)
			n = missing_len ? missing_len - 1 : 0;
		for (size_t i = 0; i < n; i++)
			missing[i] = name_char_ok(p[2 + i]) ? p[2 + i] : '?';
		if (missing_len)
			missing[n] = '\0';
		return 0;
	case 'R':
		p += 2;
		if (!word_num(&p, end, &idx) || idx >= n_files ||
		    !word(&p, end, &w, &n) || n >= sizeof(node) ||
		    !word_num(&p, end, &v) || p >= end)
			return hbad(err, line, "a bad R line");
		memcpy(node, w, n);
		node[n] = '\0';
		if (!rs_name_ok(node))
			return hbad(err, line, "a bad node name");
		/* the cgroup: the rest, what a CSV field cannot hold as '?' */
		n = (size_t)(end - p);
		if (n >= sizeof(cgroup))
			n = sizeof(cgroup) - 1;
		for (size_t i = 0; i < n; i++)
			cgroup[i] = name_char_ok(p[i]) ? p[i] : '?';
		cgroup[n] = '\0';
		if (cgroup[0] == ' ' || cgroup[n - 1] == ' ')
			return hbad(err, line, "a bad cgroup");
		return cb->resident(cb->ud, (size_t)idx, node, cgroup, v);
	}
	return hbad(err, line, "not a line of daxlab-resident");
}

int rs_helper_parse(const char *text, size_t len, size_t n_files,
		    const struct rs_helper_cb *cb, char *missing,
		    size_t missing_len, struct error *err)
{
	const char *p = text, *end = text + len, *nl;
	char first[32];
	size_t line = 0;
	int r;

	if (missing_len)
		missing[0] = '\0';
	snprintf(first, sizeof(first), "daxlab-resident %d", RS_HELPER_VERSION);
	for (; p < end; p = nl + 1) {
		const char *e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		e = nl;
		line++;
		if (e > p && e[-1] == '\r')
			e--;
		if (line == 1) {
			if ((size_t)(e - p) != strlen(first) ||
			    memcmp(p, first, strlen(first)))
				return hbad(err, 1,
					    "not daxlab-resident's version "
					    "line (another version?)");
			continue;
		}
		if (e == p)
			continue;
		r = helper_line(p, e, line, n_files, cb, missing, missing_len,
				err);
		if (r < 0)
			return r;
	}
	if (!line)
		return hbad(err, 1, "no output");
	return 0;
}
