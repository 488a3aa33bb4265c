/*
 * libFuzzer target for the box configuration file (firmware/config.c):
 * notewelld.conf and the board configs. The input is the file.
 * fuzz-sources: firmware/config.c firmware/badge.c firmware/scanner_ids.c firmware/common/nwtime.c firmware/common/log.c
 *
 * A refused file must leave the configuration exactly as it was and say
 * "FILE:LINE: what" or "FILE: what"; an accepted one must hold every int
 * inside its key's bounds, every enum one of its choices, every string
 * terminated inside its buffer, and badge_min_len <= badge_max_len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_values(const struct config *cfg)
{
	for (const struct config_key *k = config_keys; k->name; k++) {
		const char *p = (const char *)cfg + k->offset;
		int v;

		switch (k->type) {
		case CONFIG_T_INT:
			memcpy(&v, p, sizeof v);
			if (v < k->min || v > k->max)
				abort();
			break;
		case CONFIG_T_ENUM:
		case CONFIG_T_STRING:
			if (!memchr(p, '\0', k->size))
				abort();
			if (k->type == CONFIG_T_ENUM) {
				/* One of the '|'-separated choices, whole. */
				const char *c = strstr(k->choices, p);
				size_t n = strlen(p);
				int found = 0;
				for (; c; c = strstr(c + 1, p))
					if ((c == k->choices || c[-1] == '|') &&
					    (c[n] == '|' || c[n] == '\0'))
						found = 1;
				if (!found)
					abort();
			}
			break;
		}
	}
	if (cfg->badge_min_len > cfg->badge_max_len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config before, cfg;
	char path[128], err[512];

	fuzz_write("notewelld.conf", data, size, path, sizeof path);
	memset(&cfg, 0, sizeof cfg);
	config_defaults(&cfg);
	before = cfg;
	if (config_load(&cfg, path, err, sizeof err) != 0) {
		if (memcmp(&before, &cfg, sizeof cfg) != 0)
			abort();
		if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
			abort();
		return 0;
	}
	check_values(&cfg);
	return 0;
}
