// SPDX-License-Identifier: MIT
/* Proactive reclaim and migration on the host; see hostmm.h. */
#include "hostmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DAMON_ADMIN "/sys/kernel/mm/damon/admin/kdamonds"

/* The first line of root + path, trimmed; NULL when it cannot be read. */
static char *read_line(const char *root, const char *path)
{
	_cleanup_free_ char *p = strdup_printf("%s%s", root, path);
	char *s = NULL;

	if (!p || read_full_file(p, 4096, &s, NULL) < 0)
		return NULL;
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static bool read_u64(const char *root, const char *path, uint64_t *ret)
{
	_cleanup_free_ char *s = read_line(root, path);

	return s && parse_u64(s, ret) == 0;
}

/* Appends "; " and the formatted text to *acc. */
static int append(char **acc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int append(char **acc, const char *fmt, ...)
{
	_cleanup_free_ char *add = NULL;
	char *n;
	va_list ap;

	va_start(ap, fmt);
	add = strdup_vprintf_line(fmt, ap);
	va_end(ap);
	if (!add)
		return -ENOMEM;
	n = *acc ? strdup_printf("%s; %s", *acc, add) : strdup(add);
	if (!n)
		return -ENOMEM;
	free(*acc);
	*acc = n;
	return 0;
}

/* " up to 128 MiB/s" from a scheme's quota, or "" */
static void quota_text(const char *root, const char *s, char *buf, size_t len)
{
	_cleanup_free_ char *qb = strdup_printf("%s/quotas/bytes", s);
	_cleanup_free_ char *qi =
		strdup_printf("%s/quotas/reset_interval_ms", s);
	uint64_t bytes, ms;
	char b[32];

	buf[0] = '\0';
	if (!qb || !qi || !read_u64(root, qb, &bytes) || !bytes ||
	    !read_u64(root, qi, &ms) || !ms)
		return;
	snprintf(buf, len, ", up to %s per %.3g s", format_bytes(bytes, b, 32),
		 (double)ms / 1000);
}

/* One scheme of a running kdamond context: described when it moves pages. */
static int damon_scheme(const char *root, const char *ctx, unsigned k,
			unsigned si, double aggr_s, char **acc)
{
	_cleanup_free_ char *s = strdup_printf("%s/schemes/%u", ctx, si);
	_cleanup_free_ char *pa = NULL, *pn = NULL, *pt = NULL;
	_cleanup_free_ char *action = NULL, *nid_text = NULL;
	uint64_t age = 0;
	int64_t nid = -1;
	char quota[96], where[48] = "";

	if (!s || !(pa = strdup_printf("%s/action", s)) ||
	    !(pn = strdup_printf("%s/access_pattern/age/min", s)) ||
	    !(pt = strdup_printf("%s/target_nid", s)))
		return -ENOMEM;
	action = read_line(root, pa);
	if (!action || (strcmp(action, "pageout") != 0 &&
			strcmp(action, "migrate_hot") != 0 &&
			strcmp(action, "migrate_cold") != 0))
		return 0;
	(void)read_u64(root, pn, &age);
	nid_text = read_line(root, pt);
	if (nid_text && parse_s64(nid_text, &nid) == 0 && nid >= 0)
		snprintf(where, sizeof(where), " to node %" PRId64, nid);
	quota_text(root, s, quota, sizeof(quota));
	return append(
		acc,
		"DAMON kdamond %u: %s%s of memory not accessed for %.3g s%s", k,
		action, where, (double)age * aggr_s, quota);
}

static int damon_kdamond(const char *root, unsigned k, char **acc)
{
	_cleanup_free_ char *dir = strdup_printf(DAMON_ADMIN "/%u", k);
	_cleanup_free_ char *ps = NULL, *pc = NULL, *state = NULL;
	uint64_t nc = 0;

	if (!dir || !(ps = strdup_printf("%s/state", dir)) ||
	    !(pc = strdup_printf("%s/contexts/nr_contexts", dir)))
		return -ENOMEM;
	state = read_line(root, ps);
	if (!state || strcmp(state, "on") != 0 || !read_u64(root, pc, &nc))
		return 0;
	for (unsigned c = 0; c < nc && c < 64; c++) {
		_cleanup_free_ char *ctx =
			strdup_printf("%s/contexts/%u", dir, c);
		_cleanup_free_ char *pa = NULL, *pn = NULL;
		uint64_t aggr = 0, ns = 0;

		if (!ctx ||
		    !(pa = strdup_printf(
			      "%s/monitoring_attrs/intervals/aggr_us", ctx)) ||
		    !(pn = strdup_printf("%s/schemes/nr_schemes", ctx)))
			return -ENOMEM;
		(void)read_u64(root, pa, &aggr);
		if (!read_u64(root, pn, &ns))
			continue;
		for (unsigned si = 0; si < ns && si < 64; si++) {
			int r = damon_scheme(root, ctx, k, si,
					     (double)aggr / 1e6, acc);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

int hostmm_reclaim(const char *root, char **ret)
{
	_cleanup_free_ char *en = NULL, *acc = NULL;
	uint64_t n = 0, age;
	int r = 0;

	if (read_u64(root, DAMON_ADMIN "/nr_kdamonds", &n))
		for (unsigned k = 0; k < n && k < 64 && r == 0; k++)
			r = damon_kdamond(root, k, &acc);
	en = read_line(root, "/sys/module/damon_reclaim/parameters/enabled");
	if (r == 0 && en && (strcmp(en, "Y") == 0 || strcmp(en, "1") == 0)) {
		if (read_u64(root,
			     "/sys/module/damon_reclaim/parameters/min_age",
			     &age))
			r = append(
				&acc,
				"DAMON_RECLAIM: pageout of memory not accessed for %.3g s",
				(double)age / 1e6);
		else
			r = append(&acc, "DAMON_RECLAIM: pageout");
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(acc);
	return 0;
}

int hostmm_sysctl(const char *root, const char *name)
{
	_cleanup_free_ char *p = strdup_printf("/proc/sys/%s", name);
	uint64_t v;

	if (!p || !read_u64(root, p, &v) || v > 1000000)
		return -1;
	return (int)v;
}
