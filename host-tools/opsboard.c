/*
 * The status board; see opsboard.h.
 */
#include "opsboard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nwtime.h"

#define DEFAULT_HEARTBEAT_S 30

static void
add_alarm(struct opsboard_room *r, const char *name)
{
	if (r->nalarms < OPSBOARD_ALARMS_MAX && !opsboard_has(r, name))
		snprintf(r->alarms[r->nalarms++], sizeof r->alarms[0], "%s", name);
}

int
opsboard_has(const struct opsboard_room *r, const char *alarm)
{
	for (size_t i = 0; i < r->nalarms; i++)
		if (strcmp(r->alarms[i], alarm) == 0)
			return 1;
	return 0;
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The room's box: the one heard last, else the one enrolled last. */
static int
load_box(struct store *st, struct opsboard_room *r)
{
	sqlite3_stmt *q = NULL;
	const char *body;
	int rc;

	if ((rc = store_prepare(st, "SELECT d.id, s.received_ns, s.body, s.clock_offset_ns,"
	    " c.sha256, c.fetched_ns FROM devices d LEFT JOIN box_status s ON s.device_id = d.id"
	    " LEFT JOIN box_schedule c ON c.device_id = d.id"
	    " WHERE d.room = ?1 AND d.revoked_at IS NULL"
	    " ORDER BY coalesce(s.received_ns, 0) DESC, d.enrolled_at DESC LIMIT 1", &q)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, r->room, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(r->box, sizeof r->box, "%s", sqlite3_column_text(q, 0));
		r->last_heard_ns = sqlite3_column_int64(q, 1);
		body = (const char *)sqlite3_column_text(q, 2);
		r->clock_offset_ns = sqlite3_column_int64(q, 3);
		if (body)
			r->hb = json_loads(body, 0, NULL);
		if (sqlite3_column_text(q, 4)) {
			snprintf(r->sched_sha256, sizeof r->sched_sha256, "%s",
			    sqlite3_column_text(q, 4));
			r->sched_fetched_ns = sqlite3_column_int64(q, 5);
		}
	}
	sqlite3_finalize(q);
	return 0;
}

static int
load_levels(struct store *st, struct opsboard_room *r)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT rms_dbfs FROM (SELECT at_ns, rms_dbfs FROM"
	    " box_levels WHERE device_id = ?1 ORDER BY at_ns DESC LIMIT ?2) ORDER BY at_ns",
	    &q)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, r->box, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, OPSSTORE_LEVELS_MAX);
	while (sqlite3_step(q) == SQLITE_ROW && r->nlevels < OPSSTORE_LEVELS_MAX)
		r->levels[r->nlevels++] = sqlite3_column_double(q, 0);
	sqlite3_finalize(q);
	return 0;
}

/* State and alarms from the last heartbeat and how old it is. */
static void
judge(struct opsboard_room *r, int64_t now)
{
	const json_t *hb = r->hb, *v;
	size_t i;

	r->heartbeat_s = DEFAULT_HEARTBEAT_S;
	if (!r->box[0]) {
		snprintf(r->state, sizeof r->state, "no-box");
		add_alarm(r, "no_box");
		return;
	}
	if (!hb) {
		snprintf(r->state, sizeof r->state, "unheard");
		add_alarm(r, "unheard");
		return;
	}
	r->heartbeat_s = (int)json_integer_value(json_object_get(hb, "heartbeat_s"));
	if (r->heartbeat_s <= 0)
		r->heartbeat_s = DEFAULT_HEARTBEAT_S;
	snprintf(r->state, sizeof r->state, "%s", str(hb, "state"));
	snprintf(r->session_uid, sizeof r->session_uid, "%s",
	    str(json_object_get(hb, "session"), "uid"));
	snprintf(r->session_title, sizeof r->session_title, "%s",
	    str(json_object_get(hb, "session"), "title"));
	r->rms_dbfs = json_number_value(json_object_get(json_object_get(hb, "level"), "rms_dbfs"));
	r->peak_dbfs = json_number_value(json_object_get(json_object_get(hb, "level"),
	    "peak_dbfs"));
	r->people = json_integer_value(json_object_get(hb, "scans_session"));
	v = json_object_get(hb, "backlog");
	r->backlog_records = json_integer_value(json_object_get(v, "records"));
	r->backlog_bytes = json_integer_value(json_object_get(v, "bytes"));
	r->backlog_oldest_s = json_integer_value(json_object_get(v, "oldest_age_s"));
	if (now - r->last_heard_ns > (int64_t)OPSBOARD_MISSING_BEATS * r->heartbeat_s *
	    1000000000) {
		/* What it said last is stale: keep it, but say it is missing. */
		snprintf(r->state, sizeof r->state, "missing");
		add_alarm(r, "missing");
	}
	json_array_foreach(json_object_get(hb, "alarms"), i, v)
		if (json_is_string(v))
			add_alarm(r, json_string_value(v));
}

static int
by_problem(const void *a, const void *b)
{
	const struct opsboard_room *x = a, *y = b;

	if ((x->nalarms > 0) != (y->nalarms > 0))
		return x->nalarms > 0 ? -1 : 1;
	return strcmp(x->room, y->room);
}

int
opsboard_build(struct store *st, int64_t now, struct opsboard *b)
{
	sqlite3_stmt *q = NULL;
	struct opsboard_room *nr;
	int rc, step;

	memset(b, 0, sizeof *b);
	b->now_ns = now;
	if ((rc = store_prepare(st, "SELECT name FROM rooms UNION SELECT room FROM devices"
	    " WHERE room IS NOT NULL AND revoked_at IS NULL ORDER BY 1", &q)) < 0)
		return rc;
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if (!(nr = realloc(b->rooms, (b->n + 1) * sizeof *nr))) {
			rc = -ENOMEM;
			goto out;
		}
		b->rooms = nr;
		memset(&nr[b->n], 0, sizeof *nr);
		snprintf(nr[b->n].room, sizeof nr[0].room, "%s", sqlite3_column_text(q, 0));
		b->n++;
		if ((rc = load_box(st, &nr[b->n - 1])) < 0 ||
		    (nr[b->n - 1].box[0] && (rc = load_levels(st, &nr[b->n - 1])) < 0))
			goto out;
		judge(&nr[b->n - 1], now);
	}
	if (step != SQLITE_DONE)
		rc = -EIO;
	qsort(b->rooms, b->n, sizeof *b->rooms, by_problem);
out:
	sqlite3_finalize(q);
	if (rc < 0)
		opsboard_free(b);
	return rc;
}

void
opsboard_free(struct opsboard *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->rooms[i].hb);
	free(b->rooms);
	memset(b, 0, sizeof *b);
}

static json_t *
time_json(int64_t ns)
{
	char t[40];

	if (!ns || nwtime_format(ns, t, sizeof t) != 0)
		return json_null();
	return json_string(t);
}

json_t *
opsboard_room_json(const struct opsboard *b, const struct opsboard_room *r)
{
	json_t *alarms = json_array(), *levels = json_array(), *o;

	for (size_t i = 0; i < r->nalarms; i++)
		json_array_append_new(alarms, json_string(r->alarms[i]));
	for (size_t i = 0; i < r->nlevels; i++)
		json_array_append_new(levels, json_real(r->levels[i]));
	o = json_pack("{s:s, s:o, s:s, s:o, s:o, s:I, s:{s:I, s:I, s:I}, s:o, s:o, s:o, s:b,"
	    " s:o, s:i}",
	    "room", r->room,
	    "box", r->box[0] ? json_string(r->box) : json_null(),
	    "state", r->state,
	    "session", r->session_uid[0] ? json_pack("{s:s, s:s}", "uid", r->session_uid,
		"title", r->session_title) : json_null(),
	    "level", r->hb ? json_pack("{s:f, s:f}", "rms_dbfs", r->rms_dbfs, "peak_dbfs",
		r->peak_dbfs) : json_null(),
	    "people", (json_int_t)r->people,
	    "backlog", "records", (json_int_t)r->backlog_records,
		"bytes", (json_int_t)r->backlog_bytes,
		"oldest_age_s", (json_int_t)r->backlog_oldest_s,
	    "last_heard", time_json(r->last_heard_ns),
	    "last_heard_age_s", r->last_heard_ns ?
		json_integer((b->now_ns - r->last_heard_ns) / 1000000000) : json_null(),
	    "alarms", alarms,
	    "problem", r->nalarms > 0,
	    "levels", levels,
	    "heartbeat_s", r->heartbeat_s);
	if (o && r->hb)
		json_object_set_new(o, "version", json_string(str(r->hb, "version")));
	return o;
}

json_t *
opsboard_json(const struct opsboard *b)
{
	json_t *rooms = json_array();

	for (size_t i = 0; i < b->n; i++)
		json_array_append_new(rooms, opsboard_room_json(b, &b->rooms[i]));
	return json_pack("{s:o, s:o}", "now", time_json(b->now_ns), "rooms", rooms);
}

static void
human_bytes(int64_t n, char *out, size_t len)
{
	if (n >= 1000000000)
		snprintf(out, len, "%.1f GB", n / 1e9);
	else if (n >= 1000000)
		snprintf(out, len, "%.1f MB", n / 1e6);
	else if (n >= 1000)
		snprintf(out, len, "%.0f kB", n / 1e3);
	else
		snprintf(out, len, "%" PRId64 " B", n);
}

static void
human_age(int64_t s, char *out, size_t len)
{
	if (s < 120)
		snprintf(out, len, "%" PRId64 "s ago", s);
	else if (s < 7200)
		snprintf(out, len, "%" PRId64 "m ago", s / 60);
	else
		snprintf(out, len, "%" PRId64 "h ago", s / 3600);
}

void
opsboard_print(const struct opsboard *b, FILE *f, int colour)
{
	char level[32], backlog[48], heard[32], bytes[24], alarms[256], box[20];

	fprintf(f, "%-16s %-12s %-9s %-24s %9s %6s %-18s %-10s %s\n", "ROOM", "BOX", "STATE",
	    "SESSION", "LEVEL", "PEOPLE", "BACKLOG", "HEARD", "ALARMS");
	for (size_t i = 0; i < b->n; i++) {
		const struct opsboard_room *r = &b->rooms[i];
		const char *on = "", *off = "";
		size_t k, used = 0;

		snprintf(box, sizeof box, "%.12s", r->box[0] ? r->box : "-");
		if (r->hb)
			snprintf(level, sizeof level, "%.0f dBFS", r->rms_dbfs);
		else
			snprintf(level, sizeof level, "-");
		human_bytes(r->backlog_bytes, bytes, sizeof bytes);
		snprintf(backlog, sizeof backlog, "%" PRId64 " rec %s", r->backlog_records, bytes);
		if (r->last_heard_ns)
			human_age((b->now_ns - r->last_heard_ns) / 1000000000, heard, sizeof heard);
		else
			snprintf(heard, sizeof heard, "never");
		alarms[0] = '\0';
		for (k = 0; k < r->nalarms && used < sizeof alarms; k++)
			used += (size_t)snprintf(alarms + used, sizeof alarms - used, "%s%s",
			    k ? "," : "", r->alarms[k]);
		if (colour) {
			off = "\033[0m";
			on = r->nalarms ? "\033[1;31m" : strcmp(r->state, "recording") == 0 ?
			    "\033[32m" : "";
			if (!*on)
				off = "";
		}
		fprintf(f, "%s%-16.16s %-12s %-9s %-24.24s %9s %6" PRId64 " %-18s %-10s %s%s\n", on,
		    r->room, box, r->state, r->session_uid[0] ? r->session_uid : "-", level,
		    r->people, r->hb ? backlog : "-", heard, r->nalarms ? alarms : "-", off);
	}
}
