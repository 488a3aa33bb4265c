/*
 * Fuzz target for the badge validator, configuration included.
 * fuzz-sources: firmware/badge.c
 *
 * Input: byte 0 and 1 give min_len and the spread to max_len, byte 2 the
 * run limit; then the charset spec up to the first newline, then the code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "badge.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct badge_config cfg;
	char charset[80];

	if (size < 3)
		return 0;
	size_t min_len = data[0] % 16, max_len = min_len + data[1];
	size_t max_run = data[2] % 8;
	data += 3;
	size -= 3;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t cs_len = nl ? (size_t)(nl - data) : 0;
	if (cs_len >= sizeof charset)
		return 0;
	memcpy(charset, data, cs_len);
	charset[cs_len] = '\0';
	const char *spec = nl ? charset : NULL;
	if (nl) {
		data = nl + 1;
		size -= cs_len + 1;
	}
	enum badge_status rc = badge_config_init(&cfg, min_len, max_len, spec,
	    NULL, max_run);
	if (rc == BADGE_CONFIG)
		return 0;
	if (rc != BADGE_VALID)
		abort();

	/* Exactly size bytes on the heap, so ASan catches an over-read. */
	char *code = malloc(size ? size : 1);
	if (!code)
		return 0;
	memcpy(code, data, size);
	const char *payload = NULL;
	enum badge_status st = badge_check(&cfg, code, size, &payload);
	if (!badge_strerror(st))
		abort();
	switch (st) {
	case BADGE_VALID:
		if (size < cfg.min_len || size > cfg.max_len)
			abort();
		for (size_t i = 0; i < size; i++)
			if (code[i] < 0x20 || code[i] > 0x7e)
				abort();
		break;
	case BADGE_SETUP:
		if (payload != code + strlen(cfg.setup_prefix) ||
		    memcmp(code, cfg.setup_prefix, strlen(cfg.setup_prefix)))
			abort();
		break;
	case BADGE_CONFIG:
		abort();
	default:
		break;
	}
	free(code);
	return 0;
}
