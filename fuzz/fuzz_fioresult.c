// SPDX-License-Identifier: MIT
/* libFuzzer target: fio's JSON output (local and client/server). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fiojob.h"
#include "fioresult.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct fio_result *r = NULL;
	struct fiojob_section secs[8];
	const char *hosts[16];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (fioresult_parse(text, &r) == 0) {
		size_t n = fioresult_hosts(r, hosts, 16);

		for (size_t i = 0; i < n; i++) {
			(void)fioresult_host_ios(r, hosts[i]);
			(void)fioresult_find(r, hosts[i], "shared-hot");
		}
		fioresult_free(r);
	}
	/* the job-file reader fio run uses for the asked shares */
	(void)fiojob_parse_flows(text, secs, 8);
	free(text);
	return 0;
}
