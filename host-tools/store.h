#ifndef NW_STORE_H
#define NW_STORE_H
/*
 * The host store: one SQLite database (DIR/host.db, WAL, synchronous=FULL)
 * holding the agenda, registrations, remote attendance, and everything the
 * boxes push (devices, scans, recordings, notices), plus redactions and the
 * audit log.  The schema is versioned with PRAGMA user_version and migrated
 * forward on open; a store written by a newer notewell is refused.
 *
 * Functions return 0 or a negative errno unless said otherwise.  Errors from
 * SQLite are logged once here with the statement's context and returned as
 * -EIO.
 */
#include <stdint.h>
#include <sqlite3.h>

#define STORE_SCHEMA_VERSION 5

struct store {
	sqlite3 *db;
	char *dir;		/* the store directory, recordings live under it */
};

/* Opens (creating if needed) DIR/host.db.  -EPROTO: schema newer than ours. */
int store_open(struct store *st, const char *dir);
void store_close(struct store *st);
/* Transactions for imports: all or nothing. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
/* Runs a statement without results (schema, deletes); logs on failure. */
int store_exec(struct store *st, const char *sql);
/* Prepares a statement; logs on failure. */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **stmt);
/* Binds a copy of s, or NULL when s is NULL. */
void store_bind_text(sqlite3_stmt *stmt, int i, const char *s);
/* Steps a statement expecting SQLITE_DONE; logs on failure. */
int store_step_done(struct store *st, sqlite3_stmt *stmt);
/* Appends an audit record (who: operator name or "notewell"). */
int store_audit(struct store *st, const char *who, const char *action,
    const char *detail);

/* ---- what sync (enrollment/receive) fills ---- */

struct store_device {
	const char *id;
	const uint8_t *pubkey;	/* Ed25519 public key, 32 bytes */
	const char *room;	/* may be NULL until assigned */
	int64_t enrolled_at;	/* UTC seconds */
};
int store_add_device(struct store *st, const struct store_device *dev);
int store_revoke_device(struct store *st, const char *id, int64_t when);
/* 0 and key copied out when the device exists and is not revoked; -ENOENT
 * for unknown, -EKEYREVOKED for revoked devices. */
int store_device_key(struct store *st, const char *id, uint8_t pubkey[32]);

struct store_scan {
	const char *nonce;		/* unique per scan, set by the box */
	const char *device_id;
	const char *badge_id;
	int64_t wall_ns;		/* box wall clock, ns since epoch */
	int clock_synced;		/* was the box clock NTP-synced */
	const char *session_uid;	/* NULL: scanned between sessions */
	const char *notice_id;		/* consent notice in force */
	const char *notice_sha256;	/* hex */
};
/*
 * Stores a scan.  Returns 0 when stored or already stored with the same
 * content (retries are harmless), STORE_SCAN_PURGED (> 0) when the badge
 * belongs to a purged under-13 registrant (nothing is stored; the box must
 * delete it), -EEXIST when the nonce was used for a different scan.
 */
#define STORE_SCAN_PURGED 1
int store_add_scan(struct store *st, const struct store_scan *scan);

struct store_recording {
	const char *device_id;
	const char *session_uid;
	const char *sha256;		/* hex, of the file at path */
	int64_t bytes;
	int64_t duration_ms;
	const char *path;		/* relative to the store dir, verified */
	const char *notice_id;
	const char *notice_sha256;
};
/* Idempotent on (device, session, sha256). */
int store_add_recording(struct store *st, const struct store_recording *rec);

struct store_notice {
	const char *id;
	const char *sha256;
	const char *url;
	const char *text;	/* may be NULL */
	int64_t first_seen;	/* UTC seconds, from the box's data */
};
/* Idempotent on (id, sha256); keeps the earliest first_seen. */
int store_add_notice(struct store *st, const struct store_notice *n);

/* 1 if badge_id was purged as an under-13 registrant, 0 if not. */
int store_badge_purged(struct store *st, const char *badge_id);
/* Calls cb for every purged badge id (for sync to tell boxes to delete
 * their scans); a non-zero cb return stops and is returned. */
int store_list_purged(struct store *st, int (*cb)(const char *badge, void *arg),
    void *arg);

/* ---- registrations ---- */

struct store_registration {
	const char *badge_id;
	const char *first_name;
	const char *last_name;
	const char *organization;
	const char *country_code;
	const char *profile_url;
	int onsite;
	const char *email;
	int64_t dt_user_id;	/* 0: none */
	int under_13;
};
/* Insert or update; an under-13 registration purges the person instead
 * (registration, scans, remote attendance) and remembers only the badge id
 * so that later scans from boxes are refused. */
int store_put_registration(struct store *st, const struct store_registration *r);
/* Finds a badge id by badge id, e-mail or datatracker user id; -ENOENT. */
int store_find_person(struct store *st, const char *who, char **badge_id);

/* ---- agenda ---- */

struct store_session {
	const char *uid;	/* ietf-<meeting>-<timeslot>-<acronym> */
	const char *acronym;
	const char *name;
	const char *room;
	int64_t start_utc;	/* seconds */
	int64_t end_utc;
	int public_;		/* 0: not recorded, not published */
	int64_t dt_session_id;	/* datatracker session id, 0: unknown */
};
int store_set_meeting(struct store *st, const char *number);
/* Insert or update in place; creates the room. */
int store_put_session(struct store *st, const struct store_session *s);
/* A room's schedule in time order (what sync pushes to the room's box);
 * strings are valid during the callback only. */
int store_room_sessions(struct store *st, const char *room,
    int (*cb)(const struct store_session *s, void *arg), void *arg);
#endif
