// SPDX-License-Identifier: MIT
#include "strv.h"
#include "array.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strv_push(struct strv *b, const char *s)
{
	char *d;

	if (b->err)
		return;
	/* room for s and the NULL after it */
	if (ARRAY_RESERVE(b->v, b->n + 1, b->cap, 32) < 0) {
		b->err = -ENOMEM;
		return;
	}
	d = strdup(s);
	if (!d) {
		b->err = -ENOMEM;
		return;
	}
	b->v[b->n++] = d;
	b->v[b->n] = NULL;
}

void strv_push_all(struct strv *b, ...)
{
	va_list ap;

	va_start(ap, b);
	for (const char *w; (w = va_arg(ap, const char *));)
		strv_push(b, w);
	va_end(ap);
}

void strv_pushf(struct strv *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	if (b->err)
		return;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0) {
		b->err = -ENOMEM;
		return;
	}
	strv_push(b, s);
	free(s);
}

char **strv_steal(struct strv *b)
{
	char **v = b->v;

	if (b->err) {
		/* by count: a first push that failed left v unterminated */
		for (size_t i = 0; i < b->n; i++)
			free(v[i]);
		free(v);
		v = NULL;
	}
	b->v = NULL;
	b->n = b->cap = 0;
	b->err = 0;
	return v;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int strv_append(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	char **nv = realloc(*v, (n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[n] = strdup(s);
	if (!nv[n]) {
		nv[n] = NULL;
		return -ENOMEM;
	}
	nv[n + 1] = NULL;
	return 0;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}
