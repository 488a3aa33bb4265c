/*
 * Host store on SQLite.  Demographic columns of the registration export have
 * no column here at all, so no code path can publish them by mistake.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "log.h"

/*
 * Migrations, oldest first; migration i takes the schema from version i to
 * i + 1.  Never edit a released entry: add a new one.
 */
static const char *const store_migrations[] = {
	"CREATE TABLE meeting(id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  number TEXT NOT NULL);"
	"CREATE TABLE rooms(name TEXT PRIMARY KEY);"
	"CREATE TABLE sessions(uid TEXT PRIMARY KEY, acronym TEXT NOT NULL,"
	"  name TEXT NOT NULL, room TEXT NOT NULL REFERENCES rooms(name),"
	"  start_utc INTEGER NOT NULL, end_utc INTEGER NOT NULL,"
	"  public INTEGER NOT NULL DEFAULT 1, dt_session_id INTEGER);"
	"CREATE TABLE registrations(badge_id TEXT PRIMARY KEY,"
	"  first_name TEXT NOT NULL, last_name TEXT NOT NULL,"
	"  organization TEXT NOT NULL, country_code TEXT NOT NULL,"
	"  profile_url TEXT NOT NULL, onsite INTEGER NOT NULL,"
	"  email TEXT NOT NULL, dt_user_id INTEGER);"
	"CREATE INDEX registrations_email ON registrations(email);"
	/* Only the badge id of a purged under-13 registrant is kept, so scans
	 * the boxes still hold can be refused and deleted at sync. */
	"CREATE TABLE purged_badges(badge_id TEXT PRIMARY KEY);"
	/* ... and only a hash of their e-mail, so a later remote list that
	 * names them by e-mail cannot bring them back. */
	"CREATE TABLE purged_emails(sha256 TEXT PRIMARY KEY);"
	"CREATE TABLE remote_attendance(session_uid TEXT NOT NULL,"
	"  badge_id TEXT NOT NULL, email TEXT NOT NULL,"
	"  join_time INTEGER NOT NULL,"
	"  PRIMARY KEY (session_uid, badge_id, email));"
	"CREATE TABLE devices(id TEXT PRIMARY KEY, pubkey BLOB NOT NULL,"
	"  room TEXT, enrolled_at INTEGER NOT NULL, revoked_at INTEGER);"
	"CREATE TABLE scans(nonce TEXT PRIMARY KEY,"
	"  device_id TEXT NOT NULL, badge_id TEXT NOT NULL,"
	"  wall_ns INTEGER NOT NULL, clock_synced INTEGER NOT NULL,"
	"  session_uid TEXT, notice_id TEXT, notice_sha256 TEXT);"
	"CREATE INDEX scans_session ON scans(session_uid, badge_id);"
	"CREATE INDEX scans_badge ON scans(badge_id);"
	"CREATE TABLE recordings(device_id TEXT NOT NULL,"
	"  session_uid TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  bytes INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
	"  path TEXT NOT NULL, notice_id TEXT, notice_sha256 TEXT,"
	"  PRIMARY KEY (device_id, session_uid, sha256));"
	"CREATE TABLE notices(id TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  url TEXT, text TEXT, first_seen INTEGER NOT NULL,"
	"  PRIMARY KEY (id, sha256));"
	"CREATE TABLE redactions(badge_id TEXT PRIMARY KEY,"
	"  reason TEXT NOT NULL, at INTEGER NOT NULL, who TEXT NOT NULL);"
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,"
	"  detail TEXT NOT NULL);",
	/* 2: enrollment and sync (host-tools/syncstore.c).  box_records keeps
	 * every record a box pushed, canonical text and hash, so a retry is
	 * recognised and a manifest can be checked against what was stored. */
	"CREATE TABLE host_settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE enroll_tokens(token_sha256 TEXT PRIMARY KEY,"
	"  room TEXT NOT NULL, url TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL, used_at INTEGER, used_by TEXT,"
	"  used_pubkey BLOB);"
	"CREATE TABLE box_auth(device_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL,"
	"  last_seen INTEGER, last_addr TEXT);"
	"CREATE TABLE box_clock(device_id TEXT NOT NULL, boot_id TEXT NOT NULL,"
	"  base_ns INTEGER NOT NULL, wall_offset_ns INTEGER NOT NULL,"
	"  samples INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (device_id, boot_id));"
	"CREATE TABLE box_records(device_id TEXT NOT NULL, kind TEXT NOT NULL,"
	"  key TEXT NOT NULL, sha256 TEXT NOT NULL, body TEXT NOT NULL,"
	"  session_uid TEXT, boot_id TEXT, mono_ns INTEGER, wall_ns INTEGER,"
	"  clock_synced INTEGER, corrected_wall_ns INTEGER,"
	"  time_corrected INTEGER NOT NULL DEFAULT 0, received_at INTEGER NOT NULL,"
	"  PRIMARY KEY (device_id, kind, key));"
	"CREATE INDEX box_records_session ON box_records(device_id, session_uid);"
	"CREATE TABLE box_uploads(device_id TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  confirmed INTEGER NOT NULL, received_bytes INTEGER NOT NULL DEFAULT 0,"
	"  chunks INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL,"
	"  completed_at INTEGER, hash_state BLOB, PRIMARY KEY (device_id, sha256));"
	"CREATE TABLE box_manifests(device_id TEXT NOT NULL,"
	"  session_uid TEXT NOT NULL, sha256 TEXT NOT NULL, path TEXT NOT NULL,"
	"  trusted_comment TEXT NOT NULL, received_at INTEGER NOT NULL,"
	"  PRIMARY KEY (device_id, session_uid));"
	/* wall_ns becomes the best known time; the box's own stays here. */
	"ALTER TABLE scans ADD COLUMN box_wall_ns INTEGER;"
	"ALTER TABLE scans ADD COLUMN time_corrected INTEGER NOT NULL DEFAULT 0;"
	/* The box's minisign public key line (key id + key) checks manifests. */
	"ALTER TABLE devices ADD COLUMN minisign_pub TEXT;",
	/* 3: consent notices the host pushes to its boxes
	 * (host-tools/noticepush.c): the notice file and its statement, byte
	 * for byte, so every box writes exactly what the operator added. */
	"CREATE TABLE pushed_notices(id TEXT NOT NULL, version TEXT NOT NULL,"
	"  effective_from INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	"  notice BLOB NOT NULL, notice_sha256 TEXT NOT NULL,"
	"  statement_name TEXT NOT NULL, statement BLOB NOT NULL,"
	"  added_at INTEGER NOT NULL, PRIMARY KEY (id, version));",
	/* 4: operations (host-tools/opsstore.c).  Heartbeats have their own
	 * request sequence (hb_seq) so they never race data requests; levels
	 * keep a short history per box for the status page; ops_alerts is what
	 * the alert command was last told, so a restart does not tell it again. */
	"CREATE TABLE box_status(device_id TEXT PRIMARY KEY,"
	"  hb_seq INTEGER NOT NULL DEFAULT 0, received_ns INTEGER, body TEXT,"
	"  clock_offset_ns INTEGER, addr TEXT);"
	"CREATE TABLE box_levels(device_id TEXT NOT NULL, at_ns INTEGER NOT NULL,"
	"  rms_dbfs REAL NOT NULL, peak_dbfs REAL NOT NULL, state TEXT NOT NULL,"
	"  PRIMARY KEY (device_id, at_ns));"
	"CREATE TABLE box_schedule(device_id TEXT PRIMARY KEY,"
	"  fetched_ns INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	"  sessions INTEGER NOT NULL);"
	"CREATE TABLE ops_alerts(room TEXT NOT NULL, alarm TEXT NOT NULL,"
	"  notified INTEGER NOT NULL, last_enter_ns INTEGER, last_leave_ns INTEGER,"
	"  PRIMARY KEY (room, alarm));"
	"CREATE TABLE operators(name TEXT PRIMARY KEY, secret_sha256 BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);",
	/* 5: what publish looks up per session, so a session costs the same
	 * whatever the meeting's size: its recordings, and for its attendees
	 * (privacy.c) remote ones matched by e-mail, scans between sessions
	 * by time and the room's next session. */
	"CREATE INDEX recordings_session ON recordings(session_uid);"
	"CREATE INDEX registrations_email_lower ON registrations(lower(email));"
	"CREATE INDEX scans_session_time ON scans(session_uid, wall_ns);"
	"CREATE INDEX sessions_room_start ON sessions(room, start_utc);",
};

#define STORE_NMIG ((int)(sizeof store_migrations / sizeof store_migrations[0]))
_Static_assert(STORE_NMIG == STORE_SCHEMA_VERSION, "schema version");

static int
store_err(struct store *st, const char *what)
{
	int code = sqlite3_errcode(st->db);

	log_warnx("store: %s: %s", what, sqlite3_errmsg(st->db));
	/* A full disk is the operator's to fix, and the box's to wait out:
	 * callers tell it apart from a broken store. */
	return code == SQLITE_FULL ? -ENOSPC : -EIO;
}

int
store_exec(struct store *st, const char *sql)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_err(st, sql);
	return 0;
}

int
store_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK)
		return store_err(st, sql);
	return 0;
}

int
store_step_done(struct store *st, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE)
		return store_err(st, sqlite3_sql(stmt));
	return 0;
}

int
store_begin(struct store *st)
{
	return store_exec(st, "BEGIN IMMEDIATE");
}

int
store_commit(struct store *st)
{
	return store_exec(st, "COMMIT");
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
store_migrate(struct store *st)
{
	sqlite3_stmt *q = NULL;
	char sql[64];
	int ver, i, rc;

	rc = store_prepare(st, "PRAGMA user_version", &q);
	if (rc < 0)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW) {
		sqlite3_finalize(q);
		return store_err(st, "PRAGMA user_version");
	}
	ver = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (ver > STORE_SCHEMA_VERSION) {
		log_warnx("store: %s/host.db has schema version %d, this notewell "
		    "knows up to %d: refusing to touch it (upgrade notewell)",
		    st->dir, ver, STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	for (i = ver; i < STORE_NMIG; i++) {
		if ((rc = store_begin(st)) < 0)
			return rc;
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
		if ((rc = store_exec(st, store_migrations[i])) < 0 ||
		    (rc = store_exec(st, sql)) < 0 ||
		    (rc = store_commit(st)) < 0) {
			store_rollback(st);
			return rc;
		}
	}
	return 0;
}

/* nw_sha256(text): hex SHA-256, for the purged e-mail hashes. */
static void
store_sql_sha256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *t = sqlite3_value_text(argv[0]);
	uint8_t h[32];
	char hex[65];

	(void)argc;
	if (!t) {
		sqlite3_result_null(ctx);
		return;
	}
	crypto_hash_sha256(h, t, (unsigned long long)sqlite3_value_bytes(argv[0]));
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	sqlite3_result_text(ctx, hex, 64, SQLITE_TRANSIENT);
}

int
store_open(struct store *st, const char *dir)
{
	char *path = NULL;
	int rc = 0;

	memset(st, 0, sizeof *st);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	st->dir = strdup(dir);
	if (!st->dir || asprintf(&path, "%s/host.db", dir) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", path, st->db ?
		    sqlite3_errmsg(st->db) : "out of memory");
		rc = -EIO;
		goto out;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (sodium_init() < 0 || sqlite3_create_function(st->db, "nw_sha256", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, store_sql_sha256, NULL,
	    NULL) != SQLITE_OK) {
		rc = store_err(st, "nw_sha256");
		goto out;
	}
	if ((rc = store_exec(st, "PRAGMA journal_mode = WAL")) < 0 ||
	    (rc = store_exec(st, "PRAGMA synchronous = FULL")) < 0 ||
	    (rc = store_exec(st, "PRAGMA foreign_keys = ON")) < 0)
		goto out;
	rc = store_migrate(st);
out:
	free(path);
	if (rc < 0)
		store_close(st);
	return rc;
}

void
store_close(struct store *st)
{
	if (st->db)
		sqlite3_close(st->db);
	free(st->dir);
	memset(st, 0, sizeof *st);
}

void
store_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, i);
}

static void
bind_id(sqlite3_stmt *q, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(q, i, v);
	else
		sqlite3_bind_null(q, i);
}

/* Runs one parameterised statement; text arguments only. */
static int
store_run(struct store *st, const char *sql, int n, const char *const *args)
{
	sqlite3_stmt *q = NULL;
	int rc, i;

	if ((rc = store_prepare(st, sql, &q)) < 0)
		return rc;
	for (i = 0; i < n; i++)
		store_bind_text(q, i + 1, args[i]);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
store_audit(struct store *st, const char *who, const char *action,
    const char *detail)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO audit(at, who, action, detail)"
	    " VALUES (strftime('%s','now'), ?, ?, ?)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, who);
	store_bind_text(q, 2, action);
	store_bind_text(q, 3, detail);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
store_add_device(struct store *st, const struct store_device *d)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO devices(id, pubkey, room,"
	    " enrolled_at) VALUES (?, ?, ?, ?)", &q)) < 0)
		return rc;
	store_bind_text(q, 1, d->id);
	sqlite3_bind_blob(q, 2, d->pubkey, 32, SQLITE_TRANSIENT);
	store_bind_text(q, 3, d->room);
	sqlite3_bind_int64(q, 4, d->enrolled_at);
	rc = sqlite3_step(q);
	if (rc == SQLITE_CONSTRAINT)
		rc = -EEXIST;
	else if (rc != SQLITE_DONE)
		rc = store_err(st, "add device");
	else
		rc = 0;
	sqlite3_finalize(q);
	return rc;
}

int
store_revoke_device(struct store *st, const char *id, int64_t when)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "UPDATE devices SET revoked_at = ?"
	    " WHERE id = ? AND revoked_at IS NULL", &q)) < 0)
		return rc;
	sqlite3_bind_int64(q, 1, when);
	store_bind_text(q, 2, id);
	rc = store_step_done(st, q);
	if (rc == 0 && sqlite3_changes(st->db) == 0)
		rc = -ENOENT;
	sqlite3_finalize(q);
	return rc;
}

int
store_device_key(struct store *st, const char *id, uint8_t pk[32])
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT pubkey, revoked_at FROM devices"
	    " WHERE id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		rc = -ENOENT;
	else if (rc != SQLITE_ROW)
		rc = store_err(st, "device key");
	else if (sqlite3_column_type(q, 1) != SQLITE_NULL)
		rc = -EKEYREVOKED;
	else if (sqlite3_column_bytes(q, 0) != 32)
		rc = -EINVAL;
	else {
		memcpy(pk, sqlite3_column_blob(q, 0), 32);
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

int
store_badge_purged(struct store *st, const char *badge)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT 1 FROM purged_badges WHERE"
	    " badge_id = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, badge);
	rc = sqlite3_step(q);
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 :
	    store_err(st, "purged badge");
	sqlite3_finalize(q);
	return rc;
}

static int
streq0(const unsigned char *a, const char *b)
{
	if (!a || !b)
		return !a && !b;
	return strcmp((const char *)a, b) == 0;
}

int
store_add_scan(struct store *st, const struct store_scan *s)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (!s->nonce || !s->device_id || !s->badge_id)
		return -EINVAL;
	rc = store_badge_purged(st, s->badge_id);
	if (rc != 0)
		return rc < 0 ? rc : STORE_SCAN_PURGED;
	if ((rc = store_prepare(st, "INSERT INTO scans(nonce, device_id,"
	    " badge_id, wall_ns, clock_synced, session_uid, notice_id,"
	    " notice_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT(nonce) DO NOTHING", &q)) < 0)
		return rc;
	store_bind_text(q, 1, s->nonce);
	store_bind_text(q, 2, s->device_id);
	store_bind_text(q, 3, s->badge_id);
	sqlite3_bind_int64(q, 4, s->wall_ns);
	sqlite3_bind_int(q, 5, !!s->clock_synced);
	store_bind_text(q, 6, s->session_uid);
	store_bind_text(q, 7, s->notice_id);
	store_bind_text(q, 8, s->notice_sha256);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	q = NULL;
	if (rc < 0 || sqlite3_changes(st->db) == 1)
		return rc;
	/* The nonce was there: a retry is fine, a different scan is not. */
	if ((rc = store_prepare(st, "SELECT device_id, badge_id, wall_ns,"
	    " session_uid FROM scans WHERE nonce = ?", &q)) < 0)
		return rc;
	store_bind_text(q, 1, s->nonce);
	if (sqlite3_step(q) != SQLITE_ROW)
		rc = store_err(st, "scan lookup");
	else if (!streq0(sqlite3_column_text(q, 0), s->device_id) ||
	    !streq0(sqlite3_column_text(q, 1), s->badge_id) ||
	    sqlite3_column_int64(q, 2) != s->wall_ns ||
	    !streq0(sqlite3_column_text(q, 3), s->session_uid))
		rc = -EEXIST;
	sqlite3_finalize(q);
	return rc;
}

int
store_add_recording(struct store *st, const struct store_recording *r)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO recordings(device_id,"
	    " session_uid, sha256, bytes, duration_ms, path, notice_id,"
	    " notice_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT DO NOTHING", &q)) < 0)
		return rc;
	store_bind_text(q, 1, r->device_id);
	store_bind_text(q, 2, r->session_uid);
	store_bind_text(q, 3, r->sha256);
	sqlite3_bind_int64(q, 4, r->bytes);
	sqlite3_bind_int64(q, 5, r->duration_ms);
	store_bind_text(q, 6, r->path);
	store_bind_text(q, 7, r->notice_id);
	store_bind_text(q, 8, r->notice_sha256);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
store_add_notice(struct store *st, const struct store_notice *n)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "INSERT INTO notices(id, sha256, url, text,"
	    " first_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id, sha256) DO"
	    " UPDATE SET first_seen = min(first_seen, excluded.first_seen)",
	    &q)) < 0)
		return rc;
	store_bind_text(q, 1, n->id);
	store_bind_text(q, 2, n->sha256);
	store_bind_text(q, 3, n->url);
	store_bind_text(q, 4, n->text);
	sqlite3_bind_int64(q, 5, n->first_seen);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

static int
store_purge_person(struct store *st, const char *badge, const char *email)
{
	const char *b[] = { badge };
	const char *be[] = { badge, email };
	int rc;

	if ((rc = store_run(st, "INSERT OR IGNORE INTO purged_badges(badge_id)"
	    " VALUES (?)", 1, b)) < 0 ||
	    (rc = store_run(st, "INSERT OR IGNORE INTO purged_emails(sha256)"
	    " SELECT nw_sha256(lower(?2)) WHERE ?2 <> ''", 2, be)) < 0 ||
	    (rc = store_run(st, "DELETE FROM registrations WHERE badge_id = ?",
	    1, b)) < 0 ||
	    (rc = store_run(st, "DELETE FROM scans WHERE badge_id = ?", 1, b)) < 0 ||
	    (rc = store_run(st, "DELETE FROM redactions WHERE badge_id = ?",
	    1, b)) < 0 ||
	    (rc = store_run(st, "DELETE FROM remote_attendance WHERE"
	    " badge_id = ?1 OR (email <> '' AND email = ?2)", 2, be)) < 0)
		return rc;
	return 0;
}

int
store_put_registration(struct store *st, const struct store_registration *r)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if (r->under_13)
		return store_purge_person(st, r->badge_id, r->email);
	if ((rc = store_prepare(st, "INSERT INTO registrations(badge_id,"
	    " first_name, last_name, organization, country_code, profile_url,"
	    " onsite, email, dt_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT(badge_id) DO UPDATE SET first_name = excluded.first_name,"
	    " last_name = excluded.last_name, organization = excluded.organization,"
	    " country_code = excluded.country_code,"
	    " profile_url = excluded.profile_url, onsite = excluded.onsite,"
	    " email = excluded.email, dt_user_id = excluded.dt_user_id", &q)) < 0)
		return rc;
	store_bind_text(q, 1, r->badge_id);
	store_bind_text(q, 2, r->first_name);
	store_bind_text(q, 3, r->last_name);
	store_bind_text(q, 4, r->organization);
	store_bind_text(q, 5, r->country_code);
	store_bind_text(q, 6, r->profile_url);
	sqlite3_bind_int(q, 7, !!r->onsite);
	store_bind_text(q, 8, r->email);
	bind_id(q, 9, r->dt_user_id);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
store_find_person(struct store *st, const char *who, char **badge)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT badge_id FROM registrations WHERE"
	    " badge_id = ?1 OR (email <> '' AND lower(email) = lower(?1)) OR"
	    " CAST(dt_user_id AS TEXT) = ?1 ORDER BY badge_id", &q)) < 0)
		return rc;
	store_bind_text(q, 1, who);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*badge = strdup((const char *)sqlite3_column_text(q, 0));
		rc = *badge ? 0 : -ENOMEM;
		if (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
			free(*badge);
			*badge = NULL;
			rc = -EMLINK;	/* ambiguous */
		}
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : store_err(st, "find person");
	}
	sqlite3_finalize(q);
	return rc;
}

int
store_set_meeting(struct store *st, const char *number)
{
	const char *a[] = { number };

	return store_run(st, "INSERT INTO meeting(id, number) VALUES (1, ?)"
	    " ON CONFLICT(id) DO UPDATE SET number = excluded.number", 1, a);
}

int
store_put_session(struct store *st, const struct store_session *s)
{
	const char *a[] = { s->room };
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_run(st, "INSERT OR IGNORE INTO rooms(name) VALUES (?)",
	    1, a)) < 0)
		return rc;
	if ((rc = store_prepare(st, "INSERT INTO sessions(uid, acronym, name,"
	    " room, start_utc, end_utc, public, dt_session_id) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(uid) DO UPDATE SET"
	    " acronym = excluded.acronym, name = excluded.name,"
	    " room = excluded.room, start_utc = excluded.start_utc,"
	    " end_utc = excluded.end_utc, public = excluded.public,"
	    " dt_session_id = excluded.dt_session_id", &q)) < 0)
		return rc;
	store_bind_text(q, 1, s->uid);
	store_bind_text(q, 2, s->acronym);
	store_bind_text(q, 3, s->name);
	store_bind_text(q, 4, s->room);
	sqlite3_bind_int64(q, 5, s->start_utc);
	sqlite3_bind_int64(q, 6, s->end_utc);
	sqlite3_bind_int(q, 7, !!s->public_);
	bind_id(q, 8, s->dt_session_id);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	return rc;
}

int
store_list_purged(struct store *st, int (*cb)(const char *badge, void *arg),
    void *arg)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT badge_id FROM purged_badges"
	    " ORDER BY badge_id", &q)) < 0)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if ((rc = cb((const char *)sqlite3_column_text(q, 0), arg)) != 0)
			break;
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = store_err(st, "list purged");
	sqlite3_finalize(q);
	return rc;
}

int
store_room_sessions(struct store *st, const char *room,
    int (*cb)(const struct store_session *s, void *arg), void *arg)
{
	struct store_session s;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT uid, acronym, name, room, start_utc,"
	    " end_utc, public, coalesce(dt_session_id, 0) FROM sessions"
	    " WHERE room = ? ORDER BY start_utc, uid", &q)) < 0)
		return rc;
	store_bind_text(q, 1, room);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		s.uid = (const char *)sqlite3_column_text(q, 0);
		s.acronym = (const char *)sqlite3_column_text(q, 1);
		s.name = (const char *)sqlite3_column_text(q, 2);
		s.room = (const char *)sqlite3_column_text(q, 3);
		s.start_utc = sqlite3_column_int64(q, 4);
		s.end_utc = sqlite3_column_int64(q, 5);
		s.public_ = sqlite3_column_int(q, 6);
		s.dt_session_id = sqlite3_column_int64(q, 7);
		if ((rc = cb(&s, arg)) != 0)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = store_err(st, "room sessions");
	sqlite3_finalize(q);
	return rc;
}
