#ifndef NW_SCHEDULE_H
#define NW_SCHEDULE_H
/*
 * The room's schedule, as the host pushes it (DIR/schedule.json):
 *   {"room": "...", "sessions": [{"uid": "...", "title": "...",
 *     "start": "RFC 3339", "end": "RFC 3339", "record": true,
 *     "signin_url": "..."}]}
 * Each session is open (scans belong to it, audio is recorded) from
 * start - preroll to end + postroll. When two sessions' windows would
 * overlap (back-to-back sessions) both are cut at the midpoint of the gap
 * between them, so the room never has two sessions open, nor a gap that
 * the rolls were meant to cover.
 */
#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_MAX 512

struct schedule_entry {
	char uid[128];
	char title[256];
	char signin_url[256];
	int64_t start_ns, end_ns;	/* as in the agenda */
	int64_t open_ns, close_ns;	/* after rolls and cuts */
	int record;			/* 0: non-public session, not recorded */
};

struct schedule {
	char room[128];
	size_t n;
	struct schedule_entry e[SCHEDULE_MAX];
};

/* Parses and validates a schedule; on error err says where and why and *s
 * is untouched. Entries are sorted by start; overlapping sessions refused. */
int schedule_parse(struct schedule *s, const char *json, size_t len,
    int64_t preroll_ns, int64_t postroll_ns, char *err, size_t errlen);
int schedule_load(struct schedule *s, const char *path,
    int64_t preroll_ns, int64_t postroll_ns, char *err, size_t errlen);
/* The entry open at wall time t, or NULL. */
const struct schedule_entry *schedule_at(const struct schedule *, int64_t t);
/* The next open/close boundary after t, or INT64_MAX. */
int64_t schedule_next_boundary(const struct schedule *, int64_t t);

#endif
