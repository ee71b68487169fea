// SPDX-License-Identifier: MIT
/* libFuzzer target: residency.csv (rs_parse(), csvread_text()). */
#include <stddef.h>
#include <stdint.h>

#include "residency.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_series s;
	struct error err = { 0 };

	rs_init(&s);
	if (rs_parse(&s, "fuzz.csv", (const char *)data, size, &err) == 0)
		for (size_t i = 0; i < s.n; i++)
			(void)rs_lookup(&s,
					rs_name(&s, s.rows[i].f[RS_CGROUP]));
	rs_free(&s);
	return 0;
}
