/*
 * Pre-meeting checks of every room's box; see preflight.h.
 */
#include "preflight.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nwtime.h"
#include "opsboard.h"
#include "schedout.h"

void
preflight_defaults(struct preflight_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_offset_ms = 2000;
}

static void
check(struct preflight_room *r, const char *what, int ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check(struct preflight_room *r, const char *what, int ok, const char *fmt, ...)
{
	struct preflight_check *c = &r->checks[r->nchecks++];
	va_list ap;

	c->what = what;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	if (!ok)
		r->ok = 0;
}

struct need {
	int64_t now_s, seconds;
	int roll_s, sessions;
};

static int
add_need(const struct store_session *s, void *arg)
{
	struct need *n = arg;
	int64_t from;

	/* Sessions still to come or under way, and only those recorded. */
	if (!s->public_ || s->end_utc <= n->now_s)
		return 0;
	from = s->start_utc > n->now_s ? s->start_utc : n->now_s;
	n->seconds += s->end_utc - from + n->roll_s;
	n->sessions++;
	return 0;
}

static int64_t
hb_int(const json_t *hb, const char *k)
{
	return json_integer_value(json_object_get(hb, k));
}

static int
check_room(struct store *st, const struct opsboard *b, const struct opsboard_room *br,
    const struct preflight_opts *o, struct preflight_room *r)
{
	const json_t *hb = br->hb, *clock = json_object_get(hb, "clock");
	char sha[65];
	json_t *sched;
	struct need n = { 0 };
	double best = -200;
	int64_t off_ms, free_b, need_b, floor;
	size_t i;
	int rc;

	r->ok = 1;
	snprintf(r->box, sizeof r->box, "%s", br->box);
	if (!br->box[0]) {
		check(r, "box", 0, "no box enrolled (notewell enroll --room '%s')", br->room);
		return 0;
	}
	check(r, "box", 1, "box %s enrolled", br->box);
	if (!hb) {
		check(r, "heard", 0, "box %s never sent a heartbeat", br->box);
		return 0;
	}
	if (opsboard_has(br, "missing")) {
		check(r, "heard", 0, "box %s not heard for %" PRId64 " s (missing)", br->box,
		    (b->now_ns - br->last_heard_ns) / 1000000000);
		return 0;
	}
	check(r, "heard", 1, "heartbeat %" PRId64 " s ago",
	    (b->now_ns - br->last_heard_ns) / 1000000000);

	if (!(sched = schedout_room(st, br->room)))
		return -EIO;
	rc = schedout_sha256(sched, sha);
	json_decref(sched);
	if (rc < 0)
		return rc;
	if (!br->sched_sha256[0])
		check(r, "schedule", 0, "the box never fetched its schedule");
	else if (strcmp(br->sched_sha256, sha) != 0)
		check(r, "schedule", 0, "the box has an older schedule (the agenda changed "
		    "since it last fetched it)");
	else
		check(r, "schedule", 1, "current schedule fetched");

	off_ms = br->clock_offset_ns / 1000000;
	if (!json_is_true(json_object_get(clock, "synced")))
		check(r, "clock", 0, "clock not synced (NTP)");
	else if (off_ms > o->max_offset_ms || off_ms < -o->max_offset_ms)
		check(r, "clock", 0, "clock off by %" PRId64 " ms (limit %ld ms)", off_ms,
		    o->max_offset_ms);
	else
		check(r, "clock", 1, "synced, offset %" PRId64 " ms", off_ms);

	if (json_is_true(json_object_get(hb, "scanner_present")))
		check(r, "scanner", 1, "%" PRId64 " scanner(s)", hb_int(hb, "scanners"));
	else
		check(r, "scanner", 0, "no badge scanner");

	/* The loudest of the last few heartbeats: a pause between words is
	 * not silence. */
	for (i = br->nlevels > PREFLIGHT_AUDIO_BEATS ? br->nlevels - PREFLIGHT_AUDIO_BEATS : 0;
	    i < br->nlevels; i++)
		if (br->levels[i] > best)
			best = br->levels[i];
	floor = hb_int(hb, "silence_dbfs");
	if (br->nlevels && best > (double)floor)
		check(r, "audio", 1, "level %.0f dBFS (floor %" PRId64 ")", best, floor);
	else
		check(r, "audio", 0, "silent: level %.0f dBFS, floor %" PRId64 " dBFS", best,
		    floor);

	n.now_s = b->now_ns / 1000000000;
	n.roll_s = (int)(hb_int(hb, "preroll_s") + hb_int(hb, "postroll_s"));
	if ((rc = store_room_sessions(st, br->room, add_need, &n)) != 0)
		return rc < 0 ? rc : -EIO;
	free_b = hb_int(hb, "disk_free_bytes");
	need_b = n.seconds * hb_int(hb, "opus_bitrate") / 8 +
	    hb_int(hb, "disk_reserve_mb") * 1024 * 1024;
	check(r, "disk", free_b >= need_b, "%" PRId64 " MB free, %s %" PRId64 " MB for %d "
	    "session(s) at %" PRId64 " b/s + %" PRId64 " MB reserve", free_b / 1000000,
	    free_b >= need_b ? "needs" : "too little: needs", need_b / 1000000, n.sessions,
	    hb_int(hb, "opus_bitrate"), hb_int(hb, "disk_reserve_mb"));
	return 0;
}

int
preflight_run(struct store *st, int64_t now, const struct preflight_opts *o,
    struct preflight_result *res)
{
	struct opsboard b;
	sqlite3_stmt *q = NULL;
	struct preflight_room *nr;
	int rc, step;

	memset(res, 0, sizeof *res);
	if ((rc = opsboard_build(st, now, &b)) < 0)
		return rc;
	/* Agenda rooms only: a box enrolled for a room with no sessions has
	 * nothing to be ready for. */
	if ((rc = store_prepare(st, "SELECT name FROM rooms ORDER BY name", &q)) < 0)
		goto out;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const struct opsboard_room *br = NULL;

		for (size_t i = 0; i < b.n; i++)
			if (strcmp(b.rooms[i].room, name) == 0)
				br = &b.rooms[i];
		if (!br)
			continue;
		if (!(nr = realloc(res->rooms, (res->nrooms + 1) * sizeof *nr))) {
			rc = -ENOMEM;
			goto out;
		}
		res->rooms = nr;
		memset(&nr[res->nrooms], 0, sizeof *nr);
		snprintf(nr[res->nrooms].room, sizeof nr->room, "%s", name);
		if ((rc = check_room(st, &b, br, o, &nr[res->nrooms])) < 0)
			goto out;
		res->failed_rooms += !nr[res->nrooms].ok;
		res->nrooms++;
	}
	if (step != SQLITE_DONE)
		rc = -EIO;
out:
	sqlite3_finalize(q);
	opsboard_free(&b);
	if (rc < 0)
		preflight_free(res);
	return rc;
}

void
preflight_free(struct preflight_result *res)
{
	free(res->rooms);
	memset(res, 0, sizeof *res);
}

json_t *
preflight_json(const struct preflight_result *res)
{
	json_t *rooms = json_array();

	for (size_t i = 0; i < res->nrooms; i++) {
		const struct preflight_room *r = &res->rooms[i];
		json_t *checks = json_array();

		for (size_t k = 0; k < r->nchecks; k++)
			json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check",
			    r->checks[k].what, "ok", r->checks[k].ok, "detail",
			    r->checks[k].detail));
		json_array_append_new(rooms, json_pack("{s:s, s:o, s:b, s:o}", "room", r->room,
		    "box", r->box[0] ? json_string(r->box) : json_null(), "ready", r->ok,
		    "checks", checks));
	}
	return json_pack("{s:b, s:o}", "ready", res->failed_rooms == 0 && res->nrooms > 0,
	    "rooms", rooms);
}

void
preflight_print(const struct preflight_result *res, FILE *f, int colour)
{
	const char *red = colour ? "\033[1;31m" : "", *green = colour ? "\033[32m" : "";
	const char *off = colour ? "\033[0m" : "";

	for (size_t i = 0; i < res->nrooms; i++) {
		const struct preflight_room *r = &res->rooms[i];

		fprintf(f, "%s%s%s %s\n", r->ok ? green : red, r->ok ? "READY    " : "NOT READY",
		    off, r->room);
		for (size_t k = 0; k < r->nchecks; k++)
			fprintf(f, "  [%s] %-8s %s\n", r->checks[k].ok ? "x" : " ",
			    r->checks[k].what, r->checks[k].detail);
	}
	if (res->nrooms == 0) {
		fprintf(f, "no rooms in the agenda: import it first (notewell import agenda)\n");
		return;
	}
	if (res->failed_rooms == 0) {
		fprintf(f, "all %zu rooms ready\n", res->nrooms);
		return;
	}
	fprintf(f, "%zu of %zu rooms not ready:\n", res->failed_rooms, res->nrooms);
	for (size_t i = 0; i < res->nrooms; i++)
		for (size_t k = 0; k < res->rooms[i].nchecks; k++)
			if (!res->rooms[i].checks[k].ok)
				fprintf(f, "%s: %s: %s\n", res->rooms[i].room,
				    res->rooms[i].checks[k].what, res->rooms[i].checks[k].detail);
}
