/*
 * Fuzz target for the scan pipeline: two scanners attaching, typing
 * interleaved, detaching, with timer ticks and the flood limit in play.
 * fuzz-sources: firmware/scanfeed.c firmware/hid.c firmware/badge.c firmware/loop.c
 *
 * Input: byte 0 picks the layout and flood limit, then commands: c & 3
 * selects the action (0: report for scanner c>>7, len from the next byte;
 * 1: tick; 2: attach/detach toggle; 3: advance time), and every event is
 * checked against the scanfeed contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanfeed.h"

static uint64_t now;

static uint64_t
clock_ms(void)
{
	return now;
}

struct state {
	int attached[2];
	const char *ids[2];
};

static void
check(void *arg, const struct scanfeed_event *e)
{
	struct state *st = arg;

	if (!e->scanner_id || (strcmp(e->scanner_id, "s0") && strcmp(e->scanner_id, "s1")))
		abort();
	switch (e->kind) {
	case SCANFEED_BADGE:
	case SCANFEED_SETUP:
		if (!e->code || strlen(e->code) != e->len || e->why)
			abort();
		for (size_t i = 0; i < e->len; i++)
			if (e->code[i] < 0x20 || e->code[i] > 0x7e)
				abort();
		if (e->kind == SCANFEED_BADGE && (e->len < 4 || e->len > 64))
			abort();
		break;
	case SCANFEED_REJECT:
		if (e->code || !e->why)
			abort();
		break;
	case SCANFEED_ATTACH:
	case SCANFEED_DETACH:
		break;
	default:
		abort();
	}
	(void)st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scanfeed_config cfg;
	struct state st = { { 0, 0 }, { "s0", "s1" } };
	void *dev[2] = { NULL, NULL };
	size_t i = 1;

	if (size < 1)
		return 0;
	now = 1000;
	scanfeed_config_default(&cfg);
	cfg.layout = (enum hid_layout)(data[0] % 3);
	cfg.flood_max = (data[0] >> 2) % 8;
	cfg.timeout_ms = 100;
	cfg.flood_window_ms = 200;
	cfg.now_ms = clock_ms;
	struct scanfeed *sf = scanfeed_new(NULL, &cfg, check, &st);
	if (!sf)
		return 0;
	const struct scanner_cbs *cbs = scanfeed_cbs(sf);
	while (i < size) {
		uint8_t c = data[i++];
		int s = c >> 7;
		switch (c & 3) {
		case 0: {
			size_t len = i < size ? data[i++] % 12 : 0;
			if (len > size - i)
				len = size - i;
			uint8_t *rep = malloc(len ? len : 1);
			if (!rep)
				break;
			memcpy(rep, data + i, len);
			i += len;
			if (dev[s])
				cbs->on_report(cbs->arg, dev[s], st.ids[s], rep, len);
			free(rep);
			now += (c >> 2) & 7;
			break;
		}
		case 1:
			scanfeed_tick(sf, now);
			break;
		case 2:
			if (dev[s]) {
				cbs->on_detach(cbs->arg, dev[s], st.ids[s]);
				dev[s] = NULL;
			} else {
				dev[s] = cbs->on_attach(cbs->arg, st.ids[s]);
			}
			break;
		case 3:
			now += (uint64_t)(c >> 2) * 10;
			break;
		}
		if (scanfeed_scanners(sf) != (size_t)(!!dev[0] + !!dev[1]))
			abort();
	}
	scanfeed_free(sf);
	return 0;
}
