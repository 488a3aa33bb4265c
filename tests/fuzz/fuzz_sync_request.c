/*
 * libFuzzer target for the host's sync request parsers (notewell serve):
 * the first byte picks the parser (records batch, enrollment, recording
 * finish, manifest post, manifest text, auth clock header, sequence
 * number), the rest is the body. Every parser must either refuse or hand
 * back values that pass the same checks again.
 * Build: clang -fsanitize=fuzzer,address with the three notewell libraries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recv_parse.h"
#include "syncproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
records(const char *b, size_t n)
{
	struct recv_record *r = NULL;
	json_t *root = NULL;
	char err[256];
	size_t k = 0;

	if (recv_parse_records(b, n, &root, &r, &k, err, sizeof err) != 0) {
		if (root || r || k)
			abort();	/* a refusal leaves nothing behind */
		return;
	}
	for (size_t i = 0; i < k; i++) {
		char sha[SYNCPROTO_SHA_HEX + 1];
		/* A record refused on its own still names itself. */
		if (r[i].invalid[0]) {
			if (!r[i].kind || !r[i].key || !syncproto_key_ok(r[i].key))
				abort();
			continue;
		}
		if (!syncproto_key_ok(r[i].key) || syncproto_record_sha256(r[i].obj, sha) != 0 ||
		    strcmp(sha, r[i].sha256) != 0)
			abort();
	}
	free(r);
	json_decref(root);
}

static void
manifest(const char *b, size_t n)
{
	struct recv_manifest m;
	json_t *root = NULL;
	char err[256];

	if (recv_parse_manifest(b, n, &root, &m, err, sizeof err) != 0)
		return;
	for (size_t i = 0; i < m.n; i++)
		if (!syncproto_sha_ok(m.e[i].sha256))
			abort();
	free(m.e);
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;
	json_t *root = NULL;
	char err[256], *s;
	struct nw_stamp st;
	uint64_t seq;

	if (size < 1)
		return 0;
	switch (data[0] % 7) {
	case 0:
		records(b, n);
		break;
	case 1: {
		struct recv_enroll e;
		if (recv_parse_enroll(b, n, &root, &e, err, sizeof err) == 0 &&
		    (!syncproto_token_ok(e.token) || !syncproto_box_ok(e.box)))
			abort();
		break;
	}
	case 2: {
		struct recv_finish f;
		if (recv_parse_finish(b, n, &root, &f, err, sizeof err) == 0 &&
		    (f.bytes < 0 || strchr(f.name, '/')))
			abort();
		break;
	}
	case 3: {
		struct recv_manifest_post p;
		recv_parse_manifest_post(b, n, &root, &p, err, sizeof err);
		break;
	}
	case 4:
		manifest(b, n);
		break;
	default:
		/* Header values arrive as C strings. */
		if (!(s = malloc(n + 1)))
			return 0;
		memcpy(s, b, n);
		s[n] = '\0';
		if (data[0] % 7 == 5) {
			if (syncproto_clock_parse(s, &st) == 0 && (st.mono_ns < 0 ||
			    strlen(st.boot_id) != NW_BOOT_ID_LEN))
				abort();
		} else if (syncproto_seq_parse(s, &seq) == 0 && seq == 0) {
			abort();
		}
		free(s);
		break;
	}
	json_decref(root);
	return 0;
}
