// SPDX-License-Identifier: MIT
/* libFuzzer target: the memory.numa_stat parser, both formats. */
#include <stddef.h>
#include <stdint.h>

#include "numastat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct numastat ns;
	struct error err = { 0 };

	numastat_init(&ns);
	/* page size 4096 (v1 pages) and 1 (no scaling) take different paths */
	numastat_parse(&ns, (const char *)data, size, size & 1 ? 1 : 4096,
		       &err);
	for (size_t i = 0; i < ns.n_stats; i++)
		(void)numastat_find(&ns, ns.stats[i].key);
	numastat_free(&ns);
	return 0;
}
