// SPDX-License-Identifier: MIT
#include "source.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void source_spec_free(struct source_spec *s)
{
	free(s->name);
	free(s->path);
	free(s->host);
	s->name = s->path = s->host = NULL;
}

/* What a user or host name may hold. */
#define HOST_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"

static bool valid_user(const char *u, size_t n)
{
	if (n == 0 || n > 64 || u[0] == '-')
		return false;
	return strspn(u, HOST_CHARS) >= n;
}

static bool valid_hostname(const char *h, size_t n)
{
	if (n == 0 || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	if (h[0] == '[') {
		/* IPv6 literal: hex digits, ':' and '.' (for v4-mapped) */
		if (n < 3 || h[n - 1] != ']')
			return false;
		return strspn(h + 1, "0123456789abcdefABCDEF:.") >= n - 2;
	}
	return strspn(h, HOST_CHARS) >= n;
}

bool source_valid_host(const char *host)
{
	const char *at = strchr(host, '@');

	if (at)
		return valid_user(host, (size_t)(at - host)) &&
		       valid_hostname(at + 1, strlen(at + 1));
	return valid_hostname(host, strlen(host));
}

/* The ':' that ends the host part, or NULL when SOURCE is local. */
static const char *remote_colon(const char *src)
{
	const char *c, *slash;

	if (src[0] == '\0' || src[0] == ':')
		return NULL;
	/* user@[v6]:path: the colon after the closing bracket */
	c = strchr(src, '[');
	if (c && (c == src || c[-1] == '@')) {
		const char *close = strchr(c, ']');

		if (close && close[1] == ':' &&
		    !memchr(src, '/', (size_t)(close - src)))
			return close + 1;
	}
	c = strchr(src, ':');
	if (!c)
		return NULL;
	slash = memchr(src, '/', (size_t)(c - src));
	return slash ? NULL : c;
}

int source_parse(const char *spec, struct source_spec *ret, struct error *err)
{
	const char *eq = strchr(spec, '='), *src, *colon;
	__attribute__((cleanup(source_spec_free))) struct source_spec s = { 0 };

	if (err)
		err->msg[0] = '\0';
	if (!eq)
		return err_fail(err, -EINVAL, "'%s': expected NAME=SOURCE",
				spec);
	s.name = strndup(spec, (size_t)(eq - spec));
	if (!s.name)
		return -ENOMEM;
	if (!valid_name(s.name))
		return err_fail(err, -EINVAL,
				"'%s': invalid source name '%s' (1-64 of "
				"A-Z a-z 0-9 . _ -, not starting with . or -)",
				spec, s.name);
	src = eq + 1;
	if (!*src)
		return err_fail(err, -EINVAL, "'%s': empty SOURCE", spec);
	colon = remote_colon(src);
	s.remote = colon != NULL;
	s.host = colon ? strndup(src, (size_t)(colon - src)) : NULL;
	s.path = strdup(colon ? colon + 1 : src);
	if (!s.path || (colon && !s.host))
		return -ENOMEM;
	if (colon && !source_valid_host(s.host))
		return err_fail(err, -EINVAL, "'%s': invalid host '%s'", spec,
				s.host);
	if (colon && !*s.path)
		return err_fail(err, -EINVAL, "'%s': empty remote path", spec);
	*ret = s;
	s = (struct source_spec){ 0 };
	return 0;
}
