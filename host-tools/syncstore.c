/*
 * Host store: the sync tables; see syncstore.h.
 */
#include "syncstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "minisign.h"

int
syncstore_setting_get(struct store *st, const char *key, char *out, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT value FROM host_settings WHERE key = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(out, len, "%s", sqlite3_column_text(q, 0));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_setting_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO host_settings(key, value) VALUES (?, ?)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &q)) < 0)
		return rc;
	store_bind_text(q, 1, key);
	store_bind_text(q, 2, value);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_token_add(struct store *st, const char *token_sha, const char *room,
    const char *url, int64_t now, int64_t expires)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO enroll_tokens(token_sha256, room, url,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, token_sha);
	store_bind_text(q, 2, room);
	store_bind_text(q, 3, url);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int64(q, 5, expires);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

/* Adds the device, or confirms it when it is already there with this key. */
static int
bind_device(struct store *st, const char *box, const uint8_t pk[32], const char *mpub,
    const char *room, int64_t now)
{
	struct store_device d = { box, pk, room, now };
	uint8_t old[32];
	sqlite3_stmt *q = NULL;
	int rc = store_add_device(st, &d);

	if (rc == -EEXIST) {
		if ((rc = store_device_key(st, box, old)) < 0)
			return rc;
		if (memcmp(old, pk, 32) != 0)
			return -EKEYREJECTED;
	} else if (rc < 0) {
		return rc;
	}
	/* New, or the same box with the same key and a new token: it moved. */
	if ((rc = store_prepare(st, "UPDATE devices SET room = ?, minisign_pub = ?"
	    " WHERE id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, room);
	store_bind_text(q, 2, mpub);
	store_bind_text(q, 3, box);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_device_minisign(struct store *st, const char *box, char *out, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT minisign_pub, revoked_at FROM devices"
	    " WHERE id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 1) != SQLITE_NULL)
		rc = -EKEYREVOKED;
	else if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
		snprintf(out, len, "%s", sqlite3_column_text(q, 0));
		rc = 0;
	} else
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_token_redeem(struct store *st, const char *token_sha, const char *box,
    const char *mpub, const char *name, int64_t now, char *room, size_t roomlen)
{
	struct minisign_key key;
	const uint8_t *pk = key.pk;
	sqlite3_stmt *q = NULL;
	int rc;

	if (minisign_parse_public(mpub, &key) != 0)
		return -EINVAL;

	if ((rc = store_prepare(st, "SELECT room, expires_at, used_at, used_by, used_pubkey"
	    " FROM enroll_tokens WHERE token_sha256 = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, token_sha);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
		goto out;
	}
	snprintf(room, roomlen, "%s", sqlite3_column_text(q, 0));
	if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
		/* Spent: only the same box with the same key may hear "yes" again. */
		const unsigned char *by = sqlite3_column_text(q, 3);
		int same = by && strcmp((const char *)by, box) == 0 &&
		    sqlite3_column_bytes(q, 4) == 32 &&
		    memcmp(sqlite3_column_blob(q, 4), pk, 32) == 0;
		rc = same ? 0 : -EALREADY;
		goto out;
	}
	if (sqlite3_column_int64(q, 1) <= now) {
		rc = -ETIME;
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = bind_device(st, box, pk, mpub, room, now)) < 0)
		goto out;
	if ((rc = store_prepare(st, "UPDATE enroll_tokens SET used_at = ?, used_by = ?,"
	    " used_pubkey = ? WHERE token_sha256 = ? AND used_at IS NULL", &q)) < 0)
		goto out;
	sqlite3_bind_int64(q, 1, now);
	store_bind_text(q, 2, box);
	sqlite3_bind_blob(q, 3, pk, 32, SQLITE_TRANSIENT);
	store_bind_text(q, 4, token_sha);
	rc = store_step_done(st, q);
	if (rc == 0) {
		char detail[512];
		snprintf(detail, sizeof detail, "box=%s room=%s name=%s", box, room, name);
		rc = store_audit(st, "notewell", "enroll", detail);
	}
out:
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_check_seq(struct store *st, const char *box, uint64_t seq, int64_t now,
    const char *addr)
{
	sqlite3_stmt *q = NULL;
	int rc;

	/* One statement: insert the first, or raise only when seq is higher. */
	if ((rc = store_prepare(st, "INSERT INTO box_auth(device_id, last_seq, last_seen,"
	    " last_addr) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(device_id) DO UPDATE SET"
	    " last_seq = excluded.last_seq, last_seen = excluded.last_seen,"
	    " last_addr = excluded.last_addr WHERE excluded.last_seq > box_auth.last_seq",
	    &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	sqlite3_bind_int64(q, 2, (int64_t)seq);
	sqlite3_bind_int64(q, 3, now);
	store_bind_text(q, 4, addr);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	if (rc == 0 && sqlite3_changes(st->db) != 1)
		rc = -EACCES;
	return rc;
}

/* Times of unsynced records of one boot become base + mono. */
static int
correct_times(struct store *st, const char *box, const char *boot, int64_t base)
{
	static const char *const sql[] = {
		"UPDATE scans SET wall_ns = ?3 + (SELECT mono_ns FROM box_records r"
		"  WHERE r.device_id = ?1 AND r.kind = 'scan' AND r.key = scans.nonce),"
		"  time_corrected = 1"
		" WHERE device_id = ?1 AND nonce IN (SELECT key FROM box_records"
		"  WHERE device_id = ?1 AND kind = 'scan' AND boot_id = ?2 AND clock_synced = 0)",
		"UPDATE box_records SET corrected_wall_ns = ?3 + mono_ns, time_corrected = 1"
		" WHERE device_id = ?1 AND boot_id = ?2 AND clock_synced = 0",
	};
	sqlite3_stmt *q = NULL;
	int rc = 0;

	for (size_t i = 0; i < sizeof sql / sizeof sql[0] && rc == 0; i++) {
		if ((rc = store_prepare(st, sql[i], &q)) < 0)
			break;
		store_bind_text(q, 1, box);
		store_bind_text(q, 2, boot);
		sqlite3_bind_int64(q, 3, base);
		rc = store_step_done(st, q);
		sqlite3_finalize(q);
		q = NULL;
	}
	return rc;
}

int
syncstore_note_clock(struct store *st, const char *box, const struct nw_stamp *b,
    int64_t host_now)
{
	sqlite3_stmt *q = NULL;
	/* Network delay only makes a sample later, never earlier, so the
	 * smallest (host time - box monotonic) is the best estimate of the
	 * wall time at which this boot's monotonic clock read zero. */
	int64_t base = host_now - b->mono_ns, old = 0;
	int rc, have = 0;

	if ((rc = store_prepare(st, "SELECT base_ns FROM box_clock WHERE device_id = ?"
	    " AND boot_id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, b->boot_id);
	if (sqlite3_step(q) == SQLITE_ROW) {
		have = 1;
		old = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = store_prepare(st, "INSERT INTO box_clock(device_id, boot_id, base_ns,"
	    " wall_offset_ns, samples, updated_at) VALUES (?1, ?2, ?3, ?4, 1, ?5)"
	    " ON CONFLICT(device_id, boot_id) DO UPDATE SET base_ns = min(base_ns, ?3),"
	    " wall_offset_ns = ?4, samples = samples + 1, updated_at = ?5", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, b->boot_id);
	sqlite3_bind_int64(q, 3, base);
	sqlite3_bind_int64(q, 4, host_now - b->wall_ns);
	sqlite3_bind_int64(q, 5, host_now / 1000000000);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	if (rc == 0 && (!have || base < old))
		rc = correct_times(st, box, b->boot_id, base);
	return rc;
}

static int
clock_base(struct store *st, const char *box, const char *boot, int64_t *base)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT base_ns FROM box_clock WHERE device_id = ?"
	    " AND boot_id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, boot);
	rc = sqlite3_step(q) == SQLITE_ROW ? 0 : -ENOENT;
	if (rc == 0)
		*base = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return rc;
}

/* A session may be re-sent once with its end filled in; nothing else about
 * a stored record may change. */
static int
session_update_ok(const char *old_body, const json_t *new)
{
	json_t *old = json_loads(old_body, 0, NULL);
	int ok = 0;

	if (old && json_is_null(json_object_get(old, "end")) &&
	    !json_is_null(json_object_get(new, "end"))) {
		json_t *a = json_deep_copy(old), *b = json_deep_copy(new);
		if (a && b) {
			json_object_del(a, "end");
			json_object_del(b, "end");
			ok = json_equal(a, b);
		}
		json_decref(a);
		json_decref(b);
	}
	json_decref(old);
	return ok;
}

static int
store_scan(struct store *st, const char *box, const struct recv_record *r,
    int64_t corrected, int have_corr, enum syncproto_status *status,
    char *reason, size_t reasonlen)
{
	struct store_scan s;
	sqlite3_stmt *q = NULL;
	int rc;

	memset(&s, 0, sizeof s);
	s.nonce = r->key;
	s.device_id = box;
	s.badge_id = json_string_value(json_object_get(r->obj, "badge"));
	s.wall_ns = r->at.wall_ns;
	s.clock_synced = r->at.synced;
	s.session_uid = r->session_uid;
	s.notice_id = json_string_value(json_object_get(r->obj, "notice_id"));
	s.notice_sha256 = json_string_value(json_object_get(r->obj, "notice_sha256"));
	rc = store_add_scan(st, &s);
	if (rc == STORE_SCAN_PURGED) {
		*status = SYNCPROTO_PURGED;
		snprintf(reason, reasonlen, "badge belongs to a removed registration");
		return 1;
	}
	if (rc == -EEXIST) {
		*status = SYNCPROTO_REFUSED;
		snprintf(reason, reasonlen, "nonce already used by a different scan");
		return 1;
	}
	if (rc < 0)
		return rc;
	if ((rc = store_prepare(st, "UPDATE scans SET box_wall_ns = ?, wall_ns = ?,"
	    " time_corrected = ? WHERE nonce = ?", &q)) < 0)
		return rc;
	sqlite3_bind_int64(q, 1, r->at.wall_ns);
	sqlite3_bind_int64(q, 2, have_corr ? corrected : r->at.wall_ns);
	sqlite3_bind_int(q, 3, have_corr);
	store_bind_text(q, 4, r->key);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

static int
store_notice(struct store *st, const struct recv_record *r)
{
	struct store_notice n;

	memset(&n, 0, sizeof n);
	n.id = json_string_value(json_object_get(r->obj, "id"));
	n.sha256 = json_string_value(json_object_get(r->obj, "sha256"));
	n.url = json_string_value(json_object_get(r->obj, "url"));
	n.first_seen = json_integer_value(json_object_get(r->obj, "effective_from_ns")) /
	    1000000000;
	return store_add_notice(st, &n);
}

int
syncstore_put_record(struct store *st, const char *box, const struct recv_record *r,
    int64_t now, enum syncproto_status *status, char *reason, size_t reasonlen)
{
	sqlite3_stmt *q = NULL;
	char *body = NULL;
	int64_t base = 0, corrected = 0;
	int rc, have_corr = 0, update = 0;

	*status = SYNCPROTO_STORED;
	reason[0] = '\0';
	if ((rc = store_prepare(st, "SELECT sha256, body FROM box_records WHERE"
	    " device_id = ? AND kind = ? AND key = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, r->kind);
	store_bind_text(q, 3, r->key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(q, 0), r->sha256) == 0) {
			*status = SYNCPROTO_DUPLICATE;
		} else if (strcmp(r->kind, "session") == 0 &&
		    session_update_ok((const char *)sqlite3_column_text(q, 1), r->obj)) {
			update = 1;
		} else {
			*status = SYNCPROTO_REFUSED;
			snprintf(reason, reasonlen, "conflicts with the %s stored under this key",
			    r->kind);
		}
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(q);
		return -EIO;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (*status != SYNCPROTO_STORED)
		return 0;
	if (r->has_at && !r->at.synced && clock_base(st, box, r->at.boot_id, &base) == 0) {
		corrected = base + r->at.mono_ns;
		have_corr = 1;
	}
	if (strcmp(r->kind, "scan") == 0) {
		rc = store_scan(st, box, r, corrected, have_corr, status, reason, reasonlen);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	} else if (strcmp(r->kind, "notice") == 0 && (rc = store_notice(st, r)) < 0) {
		return rc;
	}
	if (!(body = syncproto_canonical(r->obj)))
		return -ENOMEM;
	if ((rc = store_prepare(st, update ?
	    "UPDATE box_records SET sha256 = ?4, body = ?5, received_at = ?14"
	    " WHERE device_id = ?1 AND kind = ?2 AND key = ?3" :
	    "INSERT INTO box_records(device_id, kind, key, sha256, body, session_uid,"
	    " boot_id, mono_ns, wall_ns, clock_synced, corrected_wall_ns, time_corrected,"
	    " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14)",
	    &q)) < 0)
		goto out;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, r->kind);
	store_bind_text(q, 3, r->key);
	store_bind_text(q, 4, r->sha256);
	store_bind_text(q, 5, body);
	if (!update) {
		store_bind_text(q, 6, r->session_uid);
		if (r->has_at) {
			store_bind_text(q, 7, r->at.boot_id);
			sqlite3_bind_int64(q, 8, r->at.mono_ns);
			sqlite3_bind_int64(q, 9, r->at.wall_ns);
			sqlite3_bind_int(q, 10, r->at.synced);
		}
		if (have_corr)
			sqlite3_bind_int64(q, 11, corrected);
		sqlite3_bind_int(q, 12, have_corr);
	}
	sqlite3_bind_int64(q, 14, now);
	rc = store_step_done(st, q);
out:
	sqlite3_finalize(q);
	free(body);
	return rc;
}

int
syncstore_record_has(struct store *st, const char *box, const char *kind,
    const char *key, const char *sha)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT sha256 FROM box_records WHERE device_id = ?"
	    " AND kind = ? AND key = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, kind);
	store_bind_text(q, 3, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		rc = strcmp((const char *)sqlite3_column_text(q, 0), sha) == 0 ? 0 : -EBADMSG;
	else
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_upload_get(struct store *st, const char *box, const char *sha,
    int64_t *confirmed, int *complete, int *exists, void *state, size_t statelen,
    int *has_state)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*confirmed = 0;
	*complete = 0;
	*exists = 0;
	if (has_state)
		*has_state = 0;
	if ((rc = store_prepare(st, "SELECT confirmed, completed_at, hash_state FROM"
	    " box_uploads WHERE device_id = ? AND sha256 = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, sha);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*exists = 1;
		*confirmed = sqlite3_column_int64(q, 0);
		*complete = sqlite3_column_type(q, 1) != SQLITE_NULL;
		if (state && has_state && sqlite3_column_bytes(q, 2) == (int)statelen) {
			memcpy(state, sqlite3_column_blob(q, 2), statelen);
			*has_state = 1;
		}
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : -EIO;
	}
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_upload_advance(struct store *st, const char *box, const char *sha,
    int64_t confirmed, int64_t chunk, const void *state, size_t statelen, int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO box_uploads(device_id, sha256, confirmed,"
	    " received_bytes, chunks, started_at, hash_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT(device_id, sha256) DO UPDATE SET confirmed = ?3,"
	    " received_bytes = received_bytes + ?4, chunks = chunks + ?5, hash_state = ?7", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, sha);
	sqlite3_bind_int64(q, 3, confirmed);
	sqlite3_bind_int64(q, 4, chunk);
	sqlite3_bind_int64(q, 5, chunk > 0 ? 1 : 0);
	sqlite3_bind_int64(q, 6, now);
	if (state)
		sqlite3_bind_blob(q, 7, state, (int)statelen, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 7);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_upload_count(struct store *st, const char *box, const char *sha, int64_t bytes)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "UPDATE box_uploads SET received_bytes = received_bytes + ?"
	    " WHERE device_id = ? AND sha256 = ?", &q)) < 0)
		return rc;
	sqlite3_bind_int64(q, 1, bytes);
	store_bind_text(q, 2, box);
	store_bind_text(q, 3, sha);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_upload_complete(struct store *st, const char *box, const char *sha, int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "UPDATE box_uploads SET completed_at = ? WHERE"
	    " device_id = ? AND sha256 = ? AND completed_at IS NULL", &q)) < 0)
		return rc;
	sqlite3_bind_int64(q, 1, now);
	store_bind_text(q, 2, box);
	store_bind_text(q, 3, sha);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_recording_has(struct store *st, const char *box, const char *sha, int64_t bytes)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT 1 FROM recordings WHERE device_id = ? AND"
	    " sha256 = ? AND bytes = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, sha);
	sqlite3_bind_int64(q, 3, bytes);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_manifest_put(struct store *st, const char *box, const char *session,
    const char *sha, const char *path, const char *tc, int64_t now)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO box_manifests(device_id, session_uid,"
	    " sha256, path, trusted_comment, received_at) VALUES (?, ?, ?, ?, ?, ?)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, session);
	store_bind_text(q, 3, sha);
	store_bind_text(q, 4, path);
	store_bind_text(q, 5, tc);
	sqlite3_bind_int64(q, 6, now);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_manifest_get(struct store *st, const char *box, const char *session,
    char sha[SYNCPROTO_SHA_HEX + 1])
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT sha256 FROM box_manifests WHERE device_id = ?"
	    " AND session_uid = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, box);
	store_bind_text(q, 2, session);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(sha, SYNCPROTO_SHA_HEX + 1, "%s", sqlite3_column_text(q, 0));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	sqlite3_finalize(q);
	return rc;
}

int
syncstore_devices(struct store *st, syncstore_device_fn fn, void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT d.id, d.room, d.enrolled_at, d.revoked_at,"
	    " a.last_seen, (SELECT count(*) FROM box_records r WHERE r.device_id = d.id),"
	    " (SELECT count(*) FROM recordings g WHERE g.device_id = d.id)"
	    " FROM devices d LEFT JOIN box_auth a ON a.device_id = d.id"
	    " ORDER BY d.room, d.id", &q)) < 0)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(q, 0),
		    (const char *)sqlite3_column_text(q, 1), sqlite3_column_int64(q, 2),
		    sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4),
		    sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 6));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
