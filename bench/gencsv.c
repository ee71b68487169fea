// SPDX-License-Identifier: MIT
/*
 * Writes a synthetic stats CSV (the format of docs/architecture.md) of about the
 * given size to stdout, shaped like the seed's monitor run: six sources,
 * the stats of a cgroup v2 memory.numa_stat, two nodes and a total, one
 * tick every 500 ms. Values follow a deterministic random walk.
 *
 *   gencsv BYTES [NODES]
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sources[] = { "host",	 "virtiofsd", "vm0-cg",
				       "vm1-cg", "vm0",	      "vm1" };
static const char *const stats[] = {
	"anon",
	"file",
	"kernel_stack",
	"pagetables",
	"sec_pagetables",
	"shmem",
	"file_mapped",
	"file_dirty",
	"file_writeback",
	"swapcached",
	"anon_thp",
	"file_thp",
	"shmem_thp",
	"inactive_anon",
	"active_anon",
	"inactive_file",
	"active_file",
	"unevictable",
	"slab_reclaimable",
	"slab_unreclaimable",
	"workingset_refault_anon",
	"workingset_refault_file",
	"workingset_activate_anon",
	"workingset_activate_file",
	"workingset_restore_anon",
	"workingset_restore_file",
	"workingset_nodereclaim",
};

static int is_count(const char *s)
{
	return strncmp(s, "workingset_", 11) == 0;
}

int main(int argc, char **argv)
{
	uint64_t target, written = 0, seed = 88172645463325252ull;
	int64_t epoch = 1732550000000, elapsed = 0;
	unsigned nodes = 2;
	size_t ns = sizeof(sources) / sizeof(sources[0]);
	size_t nt = sizeof(stats) / sizeof(stats[0]);
	int64_t *val;
	static char buf[1 << 20];

	if (argc < 2) {
		fprintf(stderr, "usage: gencsv BYTES [NODES]\n");
		return 2;
	}
	target = strtoull(argv[1], NULL, 10);
	if (argc > 2)
		nodes = (unsigned)atoi(argv[2]);
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	val = calloc(ns * nt * nodes, sizeof(*val));
	if (!val)
		return 1;
	for (size_t i = 0; i < ns * nt * nodes; i++)
		val[i] = (int64_t)(i * 7919 % 1000) << 20;
	written += (uint64_t)printf(
		"epoch_ms,elapsed_ms,source,stat,node,value,unit\n");
	while (written < target) {
		for (size_t s = 0; s < ns; s++) {
			for (size_t t = 0; t < nt; t++) {
				const char *unit =
					is_count(stats[t]) ? "count" : "bytes";
				int64_t total = 0;

				for (unsigned n = 0; n < nodes; n++) {
					int64_t *v =
						&val[(s * nt + t) * nodes + n];

					seed ^= seed << 13;
					seed ^= seed >> 7;
					seed ^= seed << 17;
					*v += (int64_t)(seed % 2000001) -
					      1000000;
					if (*v < 0)
						*v = -*v;
					total += *v;
					written += (uint64_t)printf(
						"%" PRId64 ",%" PRId64
						",%s,%s,N%u,%" PRId64 ",%s\n",
						epoch + (int64_t)(seed % 3),
						elapsed, sources[s], stats[t],
						n, *v, unit);
				}
				written += (uint64_t)printf(
					"%" PRId64 ",%" PRId64
					",%s,%s,total,%" PRId64 ",%s\n",
					epoch, elapsed, sources[s], stats[t],
					total, unit);
			}
		}
		epoch += 500;
		elapsed += 500;
	}
	return 0;
}
