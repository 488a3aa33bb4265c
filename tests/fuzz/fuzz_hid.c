/*
 * Fuzz target for the HID decoder (and the validator behind it).
 * fuzz-sources: firmware/hid.c firmware/badge.c
 *
 * Input: byte 0 picks the layout and max_len, then records follow. A record
 * header h carries the report length (bit 3 clear: a well-formed 8 bytes;
 * set: h & 7 bytes, 7 meaning 16) and the time since the previous report
 * ((h >> 4) * 40 ms, so timeouts happen too); header 0xff is a timer tick,
 * 0xfe a detach. Invariants are checked on every event: a code is
 * non-empty printable ASCII within max_len, a rejection carries no text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "badge.h"
#include "hid.h"

struct state {
	size_t max_len;
	int events;
	struct badge_config badge;
};

static void
check(void *arg, const struct hid_result *r)
{
	struct state *st = arg;

	st->events++;
	if (strlen(r->code) != r->len)
		abort();
	if (r->event == HID_REJECT) {
		if (r->reason == HID_OK || r->reason > HID_ERR_DETACHED || r->len)
			abort();
		if (!hid_strerror(r->reason))
			abort();
		return;
	}
	if (r->event != HID_CODE || r->reason != HID_OK)
		abort();
	if (r->len < 1 || r->len > st->max_len)
		abort();
	for (size_t i = 0; i < r->len; i++)
		if (r->code[i] < 0x20 || r->code[i] > 0x7e)
			abort();
	const char *payload = NULL;
	enum badge_status bs = badge_check(&st->badge, r->code, r->len, &payload);
	if (bs == BADGE_SETUP && (payload < r->code || payload > r->code + r->len))
		abort();
	if (bs == BADGE_BINARY)		/* the decoder only types printable ASCII */
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state st = { 0 };
	struct hid_decoder d;
	uint64_t now = 1000;
	size_t i = 1;
	int returned = 0;

	if (size < 1)
		return 0;
	if (badge_config_init(&st.badge, 4, 64, NULL, NULL, 0) != BADGE_VALID)
		abort();
	enum hid_layout layout = (enum hid_layout)(data[0] % 3);
	st.max_len = 1 + (data[0] >> 2) * 4;
	hid_decoder_init(&d, layout, 300, st.max_len, check, &st);
	while (i < size) {
		uint8_t h = data[i++];
		if (h == 0xff) {
			returned += hid_tick(&d, now += 400);
			continue;
		}
		if (h == 0xfe) {
			returned += hid_abort(&d, HID_ERR_DETACHED);
			continue;
		}
		size_t len = (h & 8) ? ((h & 7) == 7 ? 16 : (size_t)(h & 7)) : 8;
		if (len > size - i)
			len = size - i;
		now += (uint64_t)(h >> 4) * 40;
		/* A copy of exactly len bytes, so ASan sees any over-read. */
		uint8_t *rep = malloc(len ? len : 1);
		if (!rep)
			return 0;
		memcpy(rep, data + i, len);
		returned += hid_feed(&d, rep, len, now);
		free(rep);
		i += len;
	}
	returned += hid_tick(&d, now + 100000);
	if (hid_deadline(&d) != 0)
		abort();
	returned += hid_abort(&d, HID_ERR_DETACHED);
	if (returned != st.events)
		abort();
	return 0;
}
