#ifndef NW_PREFLIGHT_H
#define NW_PREFLIGHT_H
/*
 * notewell preflight: before the meeting, for every room of the agenda,
 * is its box ready? Checks, from the status board (opsboard.h) at `now`:
 *   box       a box is enrolled for the room
 *   heard     it sends heartbeats (not unheard, not missing)
 *   schedule  it fetched the room's current schedule (same SHA-256)
 *   clock     its clock is synced and within max_offset_ms of the host's
 *   scanner   a badge scanner is present
 *   audio     its level was above its silence floor in a recent heartbeat
 *   disk      free space for all its remaining recorded sessions (plus pre-
 *             and post-roll) at its bitrate, plus its reserve
 * A check that cannot run because an earlier one failed is left out.
 */
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "store.h"

#define PREFLIGHT_CHECKS 7
#define PREFLIGHT_AUDIO_BEATS 3		/* heartbeats looked at for sound */

struct preflight_opts {
	long max_offset_ms;		/* default 2000 */
};

struct preflight_check {
	const char *what;		/* "box", "heard", ... */
	int ok;
	char detail[200];
};

struct preflight_room {
	char room[128];
	char box[64];
	struct preflight_check checks[PREFLIGHT_CHECKS];
	size_t nchecks;
	int ok;
};

struct preflight_result {
	struct preflight_room *rooms;
	size_t nrooms, failed_rooms;
};

void preflight_defaults(struct preflight_opts *);
int preflight_run(struct store *, int64_t now_ns, const struct preflight_opts *,
    struct preflight_result *);
void preflight_free(struct preflight_result *);
/* {"ready": bool, "rooms":[{"room","box","ready","checks":[{"check","ok","detail"}]}]} */
json_t *preflight_json(const struct preflight_result *);
/* The checklist, then one line per failing room and reason. */
void preflight_print(const struct preflight_result *, FILE *, int colour);

#endif
