// SPDX-License-Identifier: MIT
/* libFuzzer target: NAME=SOURCE specs of stats monitor --cgroups. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_spec s;
	struct error err = { 0 };
	char *spec = malloc(size + 1);

	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (source_parse(spec, &s, &err) == 0)
		source_spec_free(&s);
	free(spec);
	return 0;
}
