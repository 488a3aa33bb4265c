/*
 * libFuzzer target for the setup (enrollment) payload a box reads from a
 * QR code through its scanner: syncproto_setup_parse, with the prefix the
 * box is configured with. fuzz_sync_reply tries the default prefix among
 * other parsers; this one gives the payload its own corpus and varies the
 * prefix too.
 * fuzz-sources: firmware/common/syncproto.c firmware/common/nwtime.c firmware/common/log.c
 *
 * Input: a prefix line ending in '\n' (when the input has none, the
 * default prefix), then the code. A code that parses is a setup code by
 * syncproto_is_setup, its fields pass the shared field checks, and it
 * formats back to a code that parses to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syncproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncproto_setup su, again;
	char prefix[40], code[SYNCPROTO_SETUP_MAX + 1], *in;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : 0;
	enum syncproto_err e;

	if (nl && plen < sizeof prefix) {
		memcpy(prefix, data, plen);
		prefix[plen] = '\0';
		data = nl + 1;
		size -= plen + 1;
	} else {
		strcpy(prefix, SYNCPROTO_DEFAULT_PREFIX);
	}
	if (!(in = malloc(size + 1)))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	e = syncproto_setup_parse(prefix, in, &su);
	if (!syncproto_strerror(e))
		abort();
	if (e == SYNCPROTO_OK) {
		if (!syncproto_is_setup(prefix, in) || !syncproto_url_ok(su.url) ||
		    !syncproto_token_ok(su.token) || !syncproto_pin_ok(su.pin))
			abort();
		if (syncproto_setup_format(prefix, &su, code, sizeof code) != 0 ||
		    syncproto_setup_parse(prefix, code, &again) != SYNCPROTO_OK ||
		    memcmp(&su, &again, sizeof su) != 0)
			abort();
	}
	free(in);
	return 0;
}
