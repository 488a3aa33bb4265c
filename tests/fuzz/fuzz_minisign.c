/*
 * libFuzzer target for minisign signature and key parsing: input is a
 * .minisig text (or a public key line) checked against a fixed key.  It must
 * never crash and never accept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct minisign_key k;
	static int ready;
	struct minisign_key pk;
	char *text;

	if (!ready) {
		if (minisign_keygen(&k) < 0)
			abort();
		ready = 1;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (minisign_verify(&k, "x", 1, text, NULL) == 0)
		abort();	/* a forgery, or an Ed25519 break */
	minisign_parse_public(text, &pk);
	free(text);
	return 0;
}
