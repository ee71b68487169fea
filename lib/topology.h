/* SPDX-License-Identifier: MIT */
/*
 * NUMA topology of the host, read from sysfs (/sys/devices/system/node and
 * /sys/devices/system/cpu), and cpu/node lists ("0-3,8,10-11").
 */
#ifndef DAXLAB_TOPOLOGY_H
#define DAXLAB_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

#define CPU_BITS_MAX 4096

/* A set of CPU or node numbers. */
struct cpu_bits {
	uint64_t w[CPU_BITS_MAX / 64];
};

/* "0-3,8" -> bits; "" is the empty set. -EINVAL, -ERANGE. */
int cpulist_parse(const char *s, struct cpu_bits *ret);
/* bits -> "0-3,8" (canonical). Allocated, NULL when out of memory. */
char *cpulist_format(const struct cpu_bits *b);
bool cpu_bits_test(const struct cpu_bits *b, unsigned i);
unsigned cpu_bits_count(const struct cpu_bits *b);
/* The lowest member not in of, or -1. */
int cpu_bits_first_missing(const struct cpu_bits *sub,
			   const struct cpu_bits *of);

struct topology {
	struct cpu_bits nodes;      /* nodes that exist (node/online or dirs) */
	struct cpu_bits online_cpus; /* cpu/online */
	struct cpu_bits node_cpus[256]; /* node N's cpulist */
};

/*
 * Reads the topology below root ("/sys/devices/system" normally; tests
 * use a fake tree). A machine without node directories is one node 0
 * holding all online CPUs.
 */
int topology_load(const char *root, struct topology *ret);

/*
 * The cpus and mems a binding stands for: explicit cpus/mems win, else the
 * node's. Refuses a node or CPU that does not exist, with a message in
 * err. *ret_cpus and *ret_mems are allocated canonical lists; either may
 * be NULL when the binding says nothing (no node, no cpus/mems): then the
 * cgroup inherits from its parent.
 */
int topology_resolve(const struct topology *t, const struct cg_binding *b,
		     char **ret_cpus, char **ret_mems, struct error *err);

#endif
