/*
 * libFuzzer target for the notice parser: any bytes must either parse into
 * a notice that satisfies the documented invariants or be refused with an
 * error code and a line inside the input, never crash or overrun.
 * Build: clang -fsanitize=fuzzer,address -Ifirmware tests/fuzz/fuzz_notice.c \
 *        firmware/notice.c $(pkg-config --cflags --libs libsodium)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notice n;
	struct notice_error err;
	char msg[700], qr[NOTICE_URL_MAX + NOTICE_VERSION_MAX + 8];
	size_t lines = 1, i;

	if (notice_parse((const char *)data, size, "fuzz", &n, &err) < 0) {
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (err.code == NOTICE_OK || err.line < 0 || (size_t)err.line > lines)
			abort();
		notice_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	/* Accepted: every field is a terminated string of the right shape. */
	if (strlen(n.sha256) != 64 || n.id[0] == '\0' || n.url[0] == '\0' ||
	    strchr(n.statement, '/') != NULL ||
	    memchr(n.screen_recording, '\0', sizeof(n.screen_recording)) == NULL ||
	    memchr(n.screen_bluesheet, '\0', sizeof(n.screen_bluesheet)) == NULL)
		abort();
	if (notice_qr_url(&n, qr, sizeof(qr)) != 0)
		abort();
	return 0;
}
