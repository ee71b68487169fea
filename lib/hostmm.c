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
#define DAMON_RECLAIM "/sys/module/damon_reclaim/parameters"

/* The first line of root/dir/leaf, trimmed; NULL when it cannot be read. */
static char *read_line(const char *root, const char *dir, const char *leaf)
{
	_cleanup_free_ char *p = strdup_printf("%s%s/%s", root, dir, leaf);
	char *s = NULL;

	if (!p || read_full_file(p, 4096, &s, NULL) < 0)
		return NULL;
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static bool read_u64(const char *root, const char *dir, const char *leaf,
		     uint64_t *ret)
{
	_cleanup_free_ char *s = read_line(root, dir, leaf);

	return s && parse_u64(s, ret) == 0;
}

/* Appends "; " and the formatted text to *acc. */
__attribute__((format(printf, 2, 3))) static int
append(char **acc, const char *fmt, ...)
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
	uint64_t bytes, ms;
	char b[32];

	buf[0] = '\0';
	if (!read_u64(root, s, "quotas/bytes", &bytes) || !bytes ||
	    !read_u64(root, s, "quotas/reset_interval_ms", &ms) || !ms)
		return;
	snprintf(buf, len, ", up to %s per %.3g s", format_bytes(bytes, b, 32),
		 (double)ms / 1000);
}

/* One scheme of a running kdamond context: described when it moves pages. */
static int damon_scheme(const char *root, const char *ctx, unsigned k,
			unsigned si, double aggr_s, char **acc)
{
	_cleanup_free_ char *s = strdup_printf("%s/schemes/%u", ctx, si);
	_cleanup_free_ char *action = NULL, *nid_text = NULL;
	uint64_t age = 0;
	int64_t nid = -1;
	char quota[96], where[48] = "";

	if (!s)
		return -ENOMEM;
	action = read_line(root, s, "action");
	if (!action || (strcmp(action, "pageout") != 0 &&
			strcmp(action, "migrate_hot") != 0 &&
			strcmp(action, "migrate_cold") != 0))
		return 0;
	(void)read_u64(root, s, "access_pattern/age/min", &age);
	nid_text = read_line(root, s, "target_nid");
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
	_cleanup_free_ char *state = NULL;
	uint64_t nc = 0;

	if (!dir)
		return -ENOMEM;
	state = read_line(root, dir, "state");
	if (!state || strcmp(state, "on") != 0 ||
	    !read_u64(root, dir, "contexts/nr_contexts", &nc))
		return 0;
	for (unsigned c = 0; c < nc && c < 64; c++) {
		_cleanup_free_ char *ctx =
			strdup_printf("%s/contexts/%u", dir, c);
		uint64_t aggr = 0, ns = 0;

		if (!ctx)
			return -ENOMEM;
		(void)read_u64(root, ctx, "monitoring_attrs/intervals/aggr_us",
			       &aggr);
		if (!read_u64(root, ctx, "schemes/nr_schemes", &ns))
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

	if (read_u64(root, DAMON_ADMIN, "nr_kdamonds", &n))
		for (unsigned k = 0; k < n && k < 64 && r == 0; k++)
			r = damon_kdamond(root, k, &acc);
	en = read_line(root, DAMON_RECLAIM, "enabled");
	if (r == 0 && en && (strcmp(en, "Y") == 0 || strcmp(en, "1") == 0)) {
		if (read_u64(root, DAMON_RECLAIM, "min_age", &age))
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
	uint64_t v;

	if (!read_u64(root, "/proc/sys", name, &v) || v > 1000000)
		return -1;
	return (int)v;
}
