/*
 * Operations state in the host store; see opsstore.h.
 */
#include "opsstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "syncproto.h"

int
opsstore_check_hb_seq(struct store *st, const char *box, uint64_t seq)
{
	sqlite3_stmt *q = NULL;
	int rc;

	/* One statement, as for data requests: insert or raise only when higher. */
	if ((rc = store_prepare(st, "INSERT INTO box_status(device_id, hb_seq) VALUES (?1, ?2)"
	    " ON CONFLICT(device_id) DO UPDATE SET hb_seq = excluded.hb_seq"
	    " WHERE excluded.hb_seq > box_status.hb_seq", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	sqlite3_bind_int64(q, 2, (int64_t)seq);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = -EACCES;
	return rc;
}

/* Field checks: name, json type, required. */
struct field {
	const char *name;
	json_type type;		/* JSON_INTEGER also accepts JSON_REAL for levels */
};

static int
type_ok(const json_t *v, json_type t)
{
	if (t == JSON_REAL)
		return json_is_number(v);
	if (t == JSON_TRUE)
		return json_is_boolean(v);
	return v && json_typeof(v) == t;
}

static int
fields_ok(const json_t *o, const struct field *f, char *err, size_t errlen)
{
	for (; f->name; f++)
		if (!type_ok(json_object_get(o, f->name), f->type)) {
			snprintf(err, errlen, "heartbeat field %s missing or of the wrong type",
			    f->name);
			return -EBADMSG;
		}
	return 0;
}

int
opsstore_heartbeat_parse(const char *body, size_t len, const char *box, json_t **out,
    char *err, size_t errlen)
{
	static const struct field top[] = {
		{ "format", JSON_STRING }, { "box", JSON_STRING }, { "room", JSON_STRING },
		{ "state", JSON_STRING }, { "level", JSON_OBJECT }, { "alarms", JSON_ARRAY },
		{ "disk_free_bytes", JSON_INTEGER }, { "scans_session", JSON_INTEGER },
		{ "version", JSON_STRING }, { "uptime_s", JSON_INTEGER },
		{ "clock", JSON_OBJECT }, { "scanner_present", JSON_TRUE },
		{ "backlog", JSON_OBJECT }, { "heartbeat_s", JSON_INTEGER },
		{ "opus_bitrate", JSON_INTEGER }, { "disk_reserve_mb", JSON_INTEGER },
		{ "preroll_s", JSON_INTEGER }, { "postroll_s", JSON_INTEGER },
		{ "silence_dbfs", JSON_INTEGER }, { NULL, 0 },
	};
	static const struct field level[] = {
		{ "rms_dbfs", JSON_REAL }, { "peak_dbfs", JSON_REAL }, { NULL, 0 } };
	static const struct field clock[] = {
		{ "synced", JSON_TRUE }, { "wall_ns", JSON_INTEGER }, { "mono_ns", JSON_INTEGER },
		{ NULL, 0 } };
	static const struct field backlog[] = {
		{ "records", JSON_INTEGER }, { "bytes", JSON_INTEGER },
		{ "oldest_age_s", JSON_INTEGER }, { NULL, 0 } };
	const char *state;
	json_error_t je;
	json_t *j, *sess, *v;
	size_t i;
	int hb_s;

	*out = NULL;
	if (len > OPSSTORE_HEARTBEAT_MAX) {
		snprintf(err, errlen, "heartbeat too large");
		return -EBADMSG;
	}
	if (!(j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(j)) {
		snprintf(err, errlen, "heartbeat is not a JSON object%s%s", j ? "" : ": ",
		    j ? "" : je.text);
		goto bad;
	}
	if (fields_ok(j, top, err, errlen) || fields_ok(json_object_get(j, "level"), level,
	    err, errlen) || fields_ok(json_object_get(j, "clock"), clock, err, errlen) ||
	    fields_ok(json_object_get(j, "backlog"), backlog, err, errlen))
		goto bad;
	if (strcmp(json_string_value(json_object_get(j, "format")), "notewell-heartbeat-1") != 0 ||
	    strcmp(json_string_value(json_object_get(j, "box")), box) != 0) {
		snprintf(err, errlen, "heartbeat of another format or box");
		goto bad;
	}
	state = json_string_value(json_object_get(j, "state"));
	if (strcmp(state, "idle") != 0 && strcmp(state, "recording") != 0 &&
	    strcmp(state, "paused") != 0) {
		snprintf(err, errlen, "heartbeat state '%.32s' unknown", state);
		goto bad;
	}
	sess = json_object_get(j, "session");
	if (sess && !json_is_null(sess) && (!json_is_object(sess) ||
	    !json_is_string(json_object_get(sess, "uid")) ||
	    !json_is_string(json_object_get(sess, "title")))) {
		snprintf(err, errlen, "heartbeat session is not {uid, title}");
		goto bad;
	}
	json_array_foreach(json_object_get(j, "alarms"), i, v)
		if (!json_is_string(v) || strlen(json_string_value(v)) >= 32 || i >= 16) {
			snprintf(err, errlen, "heartbeat alarms are not a short list of names");
			goto bad;
		}
	hb_s = (int)json_integer_value(json_object_get(j, "heartbeat_s"));
	if (hb_s < 1 || hb_s > 3600) {
		snprintf(err, errlen, "heartbeat_s out of range");
		goto bad;
	}
	*out = j;
	return 0;
bad:
	json_decref(j);
	return -EBADMSG;
}

int
opsstore_put_heartbeat(struct store *st, const char *box, const json_t *hb,
    int64_t received_ns, int64_t offset_ns, const char *addr)
{
	const json_t *level = json_object_get(hb, "level");
	sqlite3_stmt *q = NULL;
	char *text = json_dumps(hb, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return -ENOMEM;
	if ((rc = store_begin(st)) < 0)
		goto out;
	if ((rc = store_prepare(st, "INSERT INTO box_status(device_id, received_ns, body,"
	    " clock_offset_ns, addr) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(device_id) DO UPDATE"
	    " SET received_ns = ?2, body = ?3, clock_offset_ns = ?4, addr = ?5", &q)) < 0)
		goto out;
	store_bind_text(q, 1, box);
	sqlite3_bind_int64(q, 2, received_ns);
	store_bind_text(q, 3, text);
	sqlite3_bind_int64(q, 4, offset_ns);
	store_bind_text(q, 5, addr);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc < 0 || (rc = store_prepare(st, "INSERT OR REPLACE INTO box_levels(device_id,"
	    " at_ns, rms_dbfs, peak_dbfs, state) VALUES (?1, ?2, ?3, ?4, ?5)", &q)) < 0)
		goto out;
	store_bind_text(q, 1, box);
	sqlite3_bind_int64(q, 2, received_ns);
	sqlite3_bind_double(q, 3, json_number_value(json_object_get(level, "rms_dbfs")));
	sqlite3_bind_double(q, 4, json_number_value(json_object_get(level, "peak_dbfs")));
	store_bind_text(q, 5, json_string_value(json_object_get(hb, "state")));
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc < 0 || (rc = store_prepare(st, "DELETE FROM box_levels WHERE device_id = ?1 AND"
	    " at_ns NOT IN (SELECT at_ns FROM box_levels WHERE device_id = ?1"
	    " ORDER BY at_ns DESC LIMIT ?2)", &q)) < 0)
		goto out;
	store_bind_text(q, 1, box);
	sqlite3_bind_int(q, 2, OPSSTORE_LEVELS_MAX);
	rc = store_step_done(st, q);
	if (rc == 0)
		rc = store_commit(st);
out:
	sqlite3_finalize(q);
	store_rollback(st);
	free(text);
	return rc;
}

int
opsstore_note_schedule(struct store *st, const char *box, const char *sha256, int sessions,
    int64_t now_ns)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT OR REPLACE INTO box_schedule(device_id, fetched_ns,"
	    " sha256, sessions) VALUES (?1, ?2, ?3, ?4)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	sqlite3_bind_int64(q, 2, now_ns);
	store_bind_text(q, 3, sha256);
	sqlite3_bind_int(q, 4, sessions);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
opsstore_alerts_get(struct store *st, const char *room, struct opsstore_alert **out,
    size_t *n)
{
	struct opsstore_alert *a = NULL, *na;
	sqlite3_stmt *q = NULL;
	size_t cnt = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = store_prepare(st, "SELECT alarm, notified, last_enter_ns, last_leave_ns"
	    " FROM ops_alerts WHERE room = ?1 ORDER BY alarm", &q)) < 0)
		return rc;
	store_bind_text(q, 1, room);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		if (!(na = realloc(a, (cnt + 1) * sizeof *a))) {
			rc = -ENOMEM;
			goto out;
		}
		a = na;
		memset(&a[cnt], 0, sizeof *a);
		snprintf(a[cnt].alarm, sizeof a[cnt].alarm, "%s",
		    (const char *)sqlite3_column_text(q, 0));
		a[cnt].notified = sqlite3_column_int(q, 1);
		a[cnt].last_enter_ns = sqlite3_column_int64(q, 2);
		a[cnt].last_leave_ns = sqlite3_column_int64(q, 3);
		cnt++;
	}
	if (step != SQLITE_DONE) {
		rc = -EIO;
		goto out;
	}
	*out = a;
	*n = cnt;
	a = NULL;
out:
	free(a);
	sqlite3_finalize(q);
	return rc;
}

int
opsstore_alert_put(struct store *st, const char *room, const struct opsstore_alert *a)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT OR REPLACE INTO ops_alerts(room, alarm, notified,"
	    " last_enter_ns, last_leave_ns) VALUES (?1, ?2, ?3, ?4, ?5)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, room);
	store_bind_text(q, 2, a->alarm);
	sqlite3_bind_int(q, 3, a->notified);
	sqlite3_bind_int64(q, 4, a->last_enter_ns);
	sqlite3_bind_int64(q, 5, a->last_leave_ns);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
opsstore_operator_add(struct store *st, const char *name,
    char secret[OPSSTORE_SECRET_HEX + 1], int64_t now)
{
	uint8_t raw[OPSSTORE_SECRET_HEX / 2], h[crypto_hash_sha256_BYTES];
	sqlite3_stmt *q = NULL;
	int rc;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(secret, OPSSTORE_SECRET_HEX + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	/* The secret is 128 random bits, so a plain hash is as strong as a
	 * slow one; only the hash is stored. */
	crypto_hash_sha256(h, (const uint8_t *)secret, OPSSTORE_SECRET_HEX);
	if ((rc = store_prepare(st, "INSERT OR REPLACE INTO operators(name, secret_sha256,"
	    " created_at) VALUES (?1, ?2, ?3)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, name);
	sqlite3_bind_blob(q, 2, h, sizeof h, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 3, now);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
opsstore_operator_remove(struct store *st, const char *name)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "DELETE FROM operators WHERE name = ?1", &q)) < 0)
		return rc;
	store_bind_text(q, 1, name);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = -ENOENT;
	return rc;
}

int
opsstore_operator_check(struct store *st, const char *name, const char *secret)
{
	uint8_t want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
	sqlite3_stmt *q = NULL;
	int found = 0, rc;

	/* An unknown name compares against random bytes, the same work. */
	randombytes_buf(want, sizeof want);
	if (!name || !secret)
		return -EACCES;
	if ((rc = store_prepare(st, "SELECT secret_sha256 FROM operators WHERE name = ?1",
	    &q)) < 0)
		return rc;
	store_bind_text(q, 1, name);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == sizeof want) {
		memcpy(want, sqlite3_column_blob(q, 0), sizeof want);
		found = 1;
	}
	sqlite3_finalize(q);
	crypto_hash_sha256(got, (const uint8_t *)secret, strlen(secret));
	rc = sodium_memcmp(want, got, sizeof want) == 0 && found ? 0 : -EACCES;
	return rc;
}

int
opsstore_operators(struct store *st, opsstore_operator_fn fn, void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT name, created_at FROM operators ORDER BY name",
	    &q)) < 0)
		return rc;
	while (sqlite3_step(q) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return 0;
}
