// SPDX-License-Identifier: MIT
/*
 * daxlab-resident FILE...: inside a guest, the page cache of each file
 * per NUMA node and memory cgroup, measured as on the host
 * (lib/pageowner.c: mincore, /proc/self/pagemap, /proc/kpagecgroup,
 * memory blocks). A static program, built and installed to libexec;
 * the tiny guest carries it at RS_GUEST_HELPER, image VMs get it copied
 * there when ready, and `daxlab run` (files residency --guests,
 * lib/guestres.c) runs it every residency_interval over ssh. Its
 * output is lines for the host (guest/PROTOCOL.md, lib/residency.h);
 * it exits 0 when it could look, also when some files could not be read
 * (their E lines say so).
 */
#include "pageowner.h"
#include "residency.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *cgroup_root(const char *given)
{
	struct stat st;

	if (given)
		return *given ? given : NULL;
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		return "/sys/fs/cgroup";
	if (stat("/sys/fs/cgroup/memory", &st) == 0 && S_ISDIR(st.st_mode))
		return "/sys/fs/cgroup/memory";
	return NULL;
}

static void usage(FILE *f)
{
	fputs("Usage: daxlab-resident [--memory-dir DIR] [--cgroup-root DIR] "
	      "FILE...\n"
	      "The page cache of each FILE per NUMA node and memory cgroup, as\n"
	      "lines for daxlab (guest/PROTOCOL.md). --cgroup-root '' counts\n"
	      "no cgroups.\n",
	      f);
}

int main(int argc, char **argv)
{
	const char *memdir = "/sys/devices/system/memory", *cgroot = NULL;
	struct pageowner *po = NULL;
	int i = 1, r;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 < argc && !strcmp(argv[i], "--memory-dir")) {
			memdir = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--cgroup-root")) {
			cgroot = argv[++i];
		} else {
			usage(stderr);
			return 1;
		}
	}
	r = pageowner_new(memdir, cgroup_root(cgroot), &po);
	if (r < 0) {
		fprintf(stderr, "daxlab-resident: cannot read page owners: %s\n",
			strerror(-r));
		return 1;
	}
	printf("daxlab-resident %d\n", RS_HELPER_VERSION);
	for (int k = 0; i < argc; i++, k++) {
		struct po_tally t = { 0 };

		r = pageowner_file(po, argv[i], NULL, &t, NULL);
		if (r < 0)
			printf("E %d %d\n", k, -r);
		else
			printf("F %d %llu\n", k, (unsigned long long)t.size);
		for (size_t j = 0; r >= 0 && j < t.n; j++) {
			const struct po_count *c = &t.c[j];

			if (c->node == PO_NODE_UNKNOWN)
				printf("R %d ? ", k);
			else
				printf("R %d N%d ", k, c->node);
			printf("%llu %s\n", (unsigned long long)c->bytes,
			       pageowner_cgroup_path(po, c->cgroup));
		}
		po_tally_free(&t);
	}
	if (*pageowner_missing(po))
		printf("M %s\n", pageowner_missing(po));
	pageowner_free(po);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
