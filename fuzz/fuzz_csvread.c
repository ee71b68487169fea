// SPDX-License-Identifier: MIT
/* libFuzzer target: the stats CSV reader, whole file and split in two. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csvread.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_row(const struct csv_row *row, void *userdata)
{
	(*(uint64_t *)userdata)++;
	return 0;
}

static void read_range(int fd, uint64_t start, uint64_t end, bool want)
{
	struct csvread *r;
	uint64_t n = 0;

	if (csvread_new("fuzz.csv", fd, start, end, &r) < 0)
		return;
	if (want)
		(void)csvread_want(r, "file");
	if (csvread_run(r, count_row, &n) < 0)
		(void)csvread_error(r);
	for (uint32_t k = 0; k < _CSV_NAME_KIND_MAX; k++)
		for (uint32_t i = 0; i < csvread_count(r, k); i++)
			(void)csvread_name(r, k, i);
	csvread_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t bounds[3];
	int fd = memfd_create("fuzz.csv", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write_all(fd, data, size) == 0) {
		read_range(fd, 0, size, size & 1);
		if (csvread_split(fd, size, 2, bounds) == 2) {
			read_range(fd, bounds[0], bounds[1], true);
			if (bounds[1] < bounds[2] && bounds[1] > 0)
				read_range(fd, bounds[1], bounds[2], true);
		}
	}
	close(fd);
	return 0;
}
