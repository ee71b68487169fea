// SPDX-License-Identifier: MIT
#include "topology.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void cpu_bits_set(struct cpu_bits *b, unsigned i)
{
	if (i < CPU_BITS_MAX)
		b->w[i / 64] |= 1ULL << (i % 64);
}

bool cpu_bits_test(const struct cpu_bits *b, unsigned i)
{
	return i < CPU_BITS_MAX && (b->w[i / 64] >> (i % 64)) & 1;
}

unsigned cpu_bits_count(const struct cpu_bits *b)
{
	unsigned n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(b->w); i++)
		n += (unsigned)__builtin_popcountll(b->w[i]);
	return n;
}

int cpu_bits_first_missing(const struct cpu_bits *sub,
			   const struct cpu_bits *of)
{
	for (unsigned i = 0; i < CPU_BITS_MAX; i++)
		if (cpu_bits_test(sub, i) && !cpu_bits_test(of, i))
			return (int)i;
	return -1;
}

static int parse_num(const char **s, unsigned *ret)
{
	unsigned long v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= CPU_BITS_MAX)
			return -ERANGE;
		p++;
	}
	*s = p;
	*ret = (unsigned)v;
	return 0;
}

int cpulist_parse(const char *s, struct cpu_bits *ret)
{
	struct cpu_bits b;
	const char *p = s;
	int r;

	memset(&b, 0, sizeof(b));
	/* sysfs ends its lists with a newline */
	if (!*p || !strcmp(p, "\n")) {
		*ret = b;
		return 0;
	}
	for (;;) {
		unsigned lo, hi;

		r = parse_num(&p, &lo);
		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = parse_num(&p, &hi);
			if (r < 0)
				return r;
			if (hi < lo)
				return -EINVAL;
		}
		for (unsigned i = lo; i <= hi; i++)
			cpu_bits_set(&b, i);
		if (*p != ',')
			break;
		p++;
	}
	if (*p && strcmp(p, "\n"))
		return -EINVAL;
	*ret = b;
	return 0;
}

char *cpulist_format(const struct cpu_bits *b)
{
	char buf[8192];
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < CPU_BITS_MAX; i++) {
		unsigned j = i;
		int w;

		if (!cpu_bits_test(b, i))
			continue;
		while (j + 1 < CPU_BITS_MAX && cpu_bits_test(b, j + 1))
			j++;
		if (j == i)
			w = snprintf(buf + n, sizeof(buf) - n, "%s%u",
				     n ? "," : "", i);
		else
			w = snprintf(buf + n, sizeof(buf) - n, "%s%u-%u",
				     n ? "," : "", i, j);
		if (w < 0 || (size_t)w >= sizeof(buf) - n)
			return NULL;
		n += (size_t)w;
		i = j;
	}
	return strdup(buf);
}

static int read_list(const char *path, struct cpu_bits *ret)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = read_full_file(path, 65536, &s, NULL);
	if (r < 0)
		return r;
	return cpulist_parse(s, ret);
}

int topology_load(const char *root, struct topology *ret)
{
	_cleanup_free_ char *p = NULL;
	DIR *d;
	struct dirent *de;
	int r;

	memset(ret, 0, sizeof(*ret));
	p = strdup_printf("%s/cpu/online", root);
	if (!p)
		return -ENOMEM;
	r = read_list(p, &ret->online_cpus);
	if (r < 0)
		return r;

	free(p);
	p = strdup_printf("%s/node", root);
	if (!p)
		return -ENOMEM;
	d = opendir(p);
	if (!d && errno != ENOENT)
		return -errno;
	while (d && (de = readdir(d))) {
		const char *num = de->d_name + 4;
		_cleanup_free_ char *cl = NULL;
		unsigned n;

		if (!str_has_prefix(de->d_name, "node") || !*num ||
		    parse_uint_range(num, 0, ARRAY_SIZE(ret->node_cpus) - 1,
				     &n) < 0)
			continue;
		cl = strdup_printf("%s/%s/cpulist", p, de->d_name);
		r = cl ? read_list(cl, &ret->node_cpus[n]) : -ENOMEM;
		if (r < 0) {
			closedir(d);
			return r;
		}
		cpu_bits_set(&ret->nodes, n);
	}
	if (d)
		closedir(d);
	/* no NUMA support (no node folder), or no node in it: one node */
	if (cpu_bits_count(&ret->nodes) == 0) {
		cpu_bits_set(&ret->nodes, 0);
		ret->node_cpus[0] = ret->online_cpus;
	}
	return 0;
}

int topology_resolve(const struct topology *t, const struct cg_binding *b,
		     char **ret_cpus, char **ret_mems, struct error *err)
{
	struct cpu_bits cpus = { 0 }, mems = { 0 };
	bool have_cpus = b->node >= 0 || b->cpus;
	bool have_mems = b->node >= 0 || b->mems;
	int miss;

	*ret_cpus = *ret_mems = NULL;
	if (b->node >= 0) {
		if (!cpu_bits_test(&t->nodes, (unsigned)b->node)) {
			_cleanup_free_ char *have = cpulist_format(&t->nodes);

			return err_fail(
				err, -ENOENT,
				"NUMA node %d does not exist (this host has node%s %s)",
				b->node,
				cpu_bits_count(&t->nodes) > 1 ? "s" : "",
				have ? have : "?");
		}
		cpus = t->node_cpus[b->node];
		cpu_bits_set(&mems, (unsigned)b->node);
	}
	if (b->cpus && cpulist_parse(b->cpus, &cpus) < 0)
		return err_fail(err, -EINVAL, "bad cpu list '%s'", b->cpus);
	if (b->mems && cpulist_parse(b->mems, &mems) < 0)
		return err_fail(err, -EINVAL, "bad node list '%s'", b->mems);
	if (have_cpus) {
		miss = cpu_bits_first_missing(&cpus, &t->online_cpus);
		if (miss >= 0) {
			_cleanup_free_ char *have =
				cpulist_format(&t->online_cpus);

			return err_fail(
				err, -ENOENT,
				"CPU %d does not exist or is offline (online: %s)",
				miss, have ? have : "?");
		}
		if (cpu_bits_count(&cpus) == 0)
			return err_fail(err, -EINVAL,
					"NUMA node %d has no CPUs; set cpus =",
					b->node);
	}
	if (have_mems) {
		miss = cpu_bits_first_missing(&mems, &t->nodes);
		if (miss >= 0) {
			_cleanup_free_ char *have = cpulist_format(&t->nodes);

			return err_fail(
				err, -ENOENT,
				"NUMA node %d does not exist (nodes: %s)", miss,
				have ? have : "?");
		}
	}
	if (have_cpus && !(*ret_cpus = cpulist_format(&cpus)))
		return -ENOMEM;
	if (have_mems && !(*ret_mems = cpulist_format(&mems))) {
		free(*ret_cpus);
		*ret_cpus = NULL;
		return -ENOMEM;
	}
	return 0;
}
