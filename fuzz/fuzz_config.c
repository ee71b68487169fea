// SPDX-License-Identifier: MIT
/* libFuzzer target: the INI lab config, through a memfd. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/config.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_config *c = NULL;
	char path[64];
	struct error err = { 0 };
	int fd = memfd_create("fuzz.ini", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write_all(fd, data, size) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (config_load(path, &c, &err) == 0)
			config_free(c);
	}
	close(fd);
	return 0;
}
