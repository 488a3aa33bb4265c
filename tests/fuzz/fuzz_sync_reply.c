/*
 * libFuzzer target for what the box parses from outside: the host's
 * replies (results, upload offsets, stored hashes, error messages) and the
 * setup codes a scanner types. The first byte picks the parser.
 * Build: clang -fsanitize=fuzzer,address with the three notewell libraries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syncproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;
	char sha[SYNCPROTO_SHA_HEX + 1], msg[160], code[SYNCPROTO_SETUP_MAX + 1], *s;
	struct syncproto_ack *acks = NULL;
	struct syncproto_setup su;
	int64_t off;
	int complete;
	size_t k;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (syncproto_parse_results(b, n, &acks, &k) == 0) {
			for (size_t i = 0; i < k; i++)
				if (!syncproto_key_ok(acks[i].key) ||
				    (acks[i].status != SYNCPROTO_REFUSED &&
				    !syncproto_sha_ok(acks[i].sha256)))
					abort();
			free(acks);
		}
		break;
	case 1:
		if (syncproto_parse_offset(b, n, &off, &complete) == 0 && off < 0)
			abort();
		break;
	case 2:
		if (syncproto_parse_stored(b, n, sha) == 0 && !syncproto_sha_ok(sha))
			abort();
		break;
	case 3:
		syncproto_parse_error(b, n, msg, sizeof msg);
		for (char *p = msg; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		break;
	default:
		if (!(s = malloc(n + 1)))
			return 0;
		memcpy(s, b, n);
		s[n] = '\0';
		/* A code that parses formats to a code that parses the same. */
		if (syncproto_setup_parse(SYNCPROTO_DEFAULT_PREFIX, s, &su) == SYNCPROTO_OK) {
			struct syncproto_setup again;
			if (syncproto_setup_format(SYNCPROTO_DEFAULT_PREFIX, &su, code,
			    sizeof code) != 0 ||
			    syncproto_setup_parse(SYNCPROTO_DEFAULT_PREFIX, code, &again) !=
			    SYNCPROTO_OK || memcmp(&su, &again, sizeof su) != 0)
				abort();
		}
		free(s);
		break;
	}
	return 0;
}
