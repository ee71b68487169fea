/* SPDX-License-Identifier: MIT */
/*
 * The one string vector of the tree, as git's strvec: a NULL-terminated
 * char ** of malloc'd strings. struct strv builds one (an error is sticky:
 * after the first -ENOMEM pushes do nothing and strv_steal() gives NULL),
 * strv_free() frees any such vector, whoever built it.
 */
#ifndef DAXLAB_STRV_H
#define DAXLAB_STRV_H

#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
	int err;
};

void strv_push(struct strv *b, const char *s);
/* Each word up to a NULL. */
void strv_push_all(struct strv *b, ...) __attribute__((sentinel));
void strv_pushf(struct strv *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the vector over (NULL-terminated), or NULL after an error. */
char **strv_steal(struct strv *b);

/* Appends a copy of s to a NULL-terminated *v (NULL is empty). */
int strv_append(char ***v, const char *s);
size_t strv_len(char *const *v);
bool strv_contains(char *const *v, const char *s);
void strv_free(char **v);

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ __attribute__((cleanup(strv_freep)))

#endif
