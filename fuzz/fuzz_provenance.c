// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: provenance.json and provenance.txt (lib/provenance.c),
 * each parsed text written back as both, and the written JSON parsed
 * again: what the writer makes, the reader must take.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provenance.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct provenance *p)
{
	struct provenance q;
	struct error err = { 0 };
	char *json = provenance_format_json(p);
	char *txt = provenance_format_txt(p);

	if (json) {
		provenance_init(&q);
		if (provenance_parse_json(json, "again.json", &q, &err) < 0)
			abort();
		provenance_free(&q);
	}
	free(json);
	free(txt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct provenance p;
	struct error err = { 0 };

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	provenance_init(&p);
	if (provenance_parse_json(text, "fuzz.json", &p, &err) == 0)
		round_trip(&p);
	provenance_free(&p);
	provenance_init(&p);
	if (provenance_parse_txt(text, "fuzz.txt", &p, &err) == 0)
		round_trip(&p);
	provenance_free(&p);
	free(text);
	return 0;
}
