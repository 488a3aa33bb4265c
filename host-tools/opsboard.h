#ifndef NW_OPSBOARD_H
#define NW_OPSBOARD_H
/*
 * The meeting-wide status board: one row per room (rooms of the agenda and
 * rooms with an enrolled box), built from the boxes' heartbeats in the host
 * store at a given time. `notewell status`, the /status page, alerts and
 * `notewell preflight` all read the same board; `now` is a parameter so
 * tests run it on a fake clock.
 *
 * A room's state is its box's (idle, recording, paused), or:
 *   no-box   no enrolled box for the room (alarm no_box)
 *   unheard  a box is enrolled but has never sent a heartbeat (alarm unheard)
 *   missing  no heartbeat for 2 of the box's heartbeat intervals (alarm
 *            missing; the alarms it last reported are kept, not cleared)
 */
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "opsstore.h"
#include "store.h"

#define OPSBOARD_ALARMS_MAX 16
#define OPSBOARD_MISSING_BEATS 2

struct opsboard_room {
	char room[128];
	char box[64];			/* "" when none is enrolled */
	char state[16];
	char session_uid[128], session_title[256];
	double rms_dbfs, peak_dbfs;
	int64_t people;			/* badges scanned this session */
	int64_t backlog_records, backlog_bytes, backlog_oldest_s;
	int64_t last_heard_ns;		/* 0: never */
	int64_t clock_offset_ns;	/* box wall clock minus host's */
	int heartbeat_s;
	char alarms[OPSBOARD_ALARMS_MAX][32];
	size_t nalarms;
	/* Level history (RMS dBFS), oldest first. */
	double levels[OPSSTORE_LEVELS_MAX];
	size_t nlevels;
	json_t *hb;			/* last heartbeat, or NULL */
	char sched_sha256[65];		/* schedule the box last fetched, "" none */
	int64_t sched_fetched_ns;
};

struct opsboard {
	int64_t now_ns;
	struct opsboard_room *rooms;	/* problems first, then by name */
	size_t n;
};

int opsboard_build(struct store *, int64_t now_ns, struct opsboard *);
void opsboard_free(struct opsboard *);
/* 1 when the room has this alarm. */
int opsboard_has(const struct opsboard_room *, const char *alarm);
/* {"now", "rooms":[…]} (docs/notewell.1). New reference. */
json_t *opsboard_json(const struct opsboard *);
json_t *opsboard_room_json(const struct opsboard *, const struct opsboard_room *);
/* One line per room; colour (ANSI) only when asked. */
void opsboard_print(const struct opsboard *, FILE *, int colour);

#endif
