/* SPDX-License-Identifier: MIT */
/*
 * Where a sampled memory.numa_stat comes from: "NAME=SOURCE" as given on
 * the command line.
 *
 * SOURCE is a local file, a cgroup directory (then DIR/memory.numa_stat is
 * read), or [USER@]HOST:PATH read over ssh. The rule that tells them apart:
 * SOURCE is remote when it holds a ':' and the part before the first ':'
 * is not empty and holds no '/'. So "/a:b" and "./a:b" are local files,
 * "vm0:/sys/fs/cgroup" and "root@vm0:/x" are remote. HOST may be an IPv6
 * address in brackets: "root@[::1]:/x".
 */
#ifndef DAXLAB_SOURCE_H
#define DAXLAB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include "util.h"

struct source_spec {
	char *name; /* valid_name() */
	bool remote;
	char *path; /* file or directory, local or on host */
	char *host; /* remote: "[user@]host" as ssh takes it, else NULL */
};

/*
 * Parses one "NAME=SOURCE". Returns 0, -EINVAL (with a message in err
 * naming what is wrong) or -ENOMEM. Free with source_spec_free().
 */
int source_parse(const char *spec, struct source_spec *ret, struct error *err);
void source_spec_free(struct source_spec *s);

/* A user@host (or host) safe to give ssh: no option, no spaces. */
bool source_valid_host(const char *host);

#endif
