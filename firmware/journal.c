#include "journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

struct journal {
	sqlite3 *db;
	/* Kept prepared: a scan is on the attendee's critical path. */
	sqlite3_stmt *ins_scan;
	int version;
	char device_id[33];
	/* Someone to tell about new rows once they are committed. */
	void (*on_change)(void *);
	void *on_change_arg;
	int change_pending;
};

/* A timestamp is four columns: see nwtime.h for why. */
#define STAMP(p) p "_boot TEXT NOT NULL, " p "_mono_ns INTEGER NOT NULL, " \
	p "_wall_ns INTEGER NOT NULL, " p "_synced INTEGER NOT NULL"
#define STAMP_NULL(p) p "_boot TEXT, " p "_mono_ns INTEGER, " \
	p "_wall_ns INTEGER, " p "_synced INTEGER"

/* Migration N takes a journal from version N-1 to N. Never edit a released
 * step: add a new one. */
static const char *const migrations[] = {
	NULL,
	/* 1: the first schema */
	"CREATE TABLE device ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  device_id TEXT NOT NULL, " STAMP("created") ");"
	"CREATE TABLE notices ("
	"  id TEXT PRIMARY KEY, version TEXT NOT NULL, language TEXT NOT NULL,"
	"  url TEXT NOT NULL, sha256 TEXT NOT NULL, effective_from_ns INTEGER NOT NULL,"
	"  screen_recording TEXT NOT NULL, screen_bluesheet TEXT NOT NULL);"
	"CREATE TABLE notice_switches ("
	"  id INTEGER PRIMARY KEY, notice_id TEXT NOT NULL, sha256 TEXT NOT NULL, "
	   STAMP("at") ");"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
	"  origin TEXT NOT NULL CHECK (origin IN ('schedule','manual')), "
	   STAMP("start") ", " STAMP_NULL("end") ");"
	"CREATE TABLE scans ("
	"  id INTEGER PRIMARY KEY, nonce TEXT NOT NULL UNIQUE, badge TEXT NOT NULL,"
	"  source TEXT NOT NULL, session_id INTEGER REFERENCES sessions(id),"
	"  notice_id TEXT, notice_sha256 TEXT, " STAMP("at") ");"
	"CREATE INDEX scans_session ON scans(session_id, badge);"
	"CREATE TABLE recordings ("
	"  id INTEGER PRIMARY KEY, session_id INTEGER REFERENCES sessions(id),"
	"  path TEXT NOT NULL UNIQUE, part INTEGER NOT NULL DEFAULT 1,"
	"  state TEXT NOT NULL CHECK (state IN ('recording','finished','recovered','failed')),"
	"  notice_id TEXT, notice_sha256 TEXT,"
	"  sha256 TEXT, bytes INTEGER, duration_ns INTEGER, detail TEXT, "
	   STAMP("start") ", " STAMP_NULL("end") ");"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, detail TEXT NOT NULL, "
	   STAMP("at") ");"
	"CREATE TABLE sync_state ("
	"  kind TEXT NOT NULL, ref_id INTEGER NOT NULL, acked_sha256 TEXT,"
	"  acked_bytes INTEGER NOT NULL DEFAULT 0, acked_wall_ns INTEGER,"
	"  PRIMARY KEY (kind, ref_id));",
	/* 2: pauses and notice changes inside a recording, by audio position */
	"CREATE TABLE recording_marks ("
	"  id INTEGER PRIMARY KEY, recording_id INTEGER NOT NULL REFERENCES recordings(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('pause','resume','notice','alarm')),"
	"  position_samples INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '', "
	   STAMP("at") ");",
	/* 3: the recorder's prefix digests (recorder.h), so sync signs an
	 * upload without hashing the file again */
	"ALTER TABLE recordings ADD COLUMN prefix_every INTEGER;"
	"ALTER TABLE recordings ADD COLUMN prefix_sha256 BLOB;",
};

int
journal_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

sqlite3 *
journal_db(struct journal *j)
{
	return j->db;
}

int
journal_schema_version(struct journal *j)
{
	return j->version;
}

const char *
journal_device_id(struct journal *j)
{
	return j->device_id;
}

void
journal_nonce(char out[JOURNAL_NONCE_LEN + 1])
{
	unsigned char b[JOURNAL_NONCE_LEN / 2];

	randombytes_buf(b, sizeof b);
	sodium_bin2hex(out, JOURNAL_NONCE_LEN + 1, b, sizeof b);
}

int
journal_bind_stamp(sqlite3_stmt *st, int idx, const struct nw_stamp *s)
{
	int rc = sqlite3_bind_text(st, idx, s->boot_id, -1, SQLITE_TRANSIENT);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, idx + 1, s->mono_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, idx + 2, s->wall_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, idx + 3, s->synced ? 1 : 0);
	return rc;
}

void
journal_column_stamp(sqlite3_stmt *st, int idx, struct nw_stamp *s)
{
	const unsigned char *b = sqlite3_column_text(st, idx);

	snprintf(s->boot_id, sizeof s->boot_id, "%s", b ? (const char *)b : "");
	s->mono_ns = sqlite3_column_int64(st, idx + 1);
	s->wall_ns = sqlite3_column_int64(st, idx + 2);
	s->synced = sqlite3_column_int(st, idx + 3);
}

static int
exec1(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

static int
query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(struct journal *j, int max_version, char *err, size_t errlen)
{
	char sql[64], msg[256];
	int rc;

	if (j->version >= max_version)
		return 0;
	if ((rc = exec1(j->db, "BEGIN IMMEDIATE", msg, sizeof msg)) != SQLITE_OK)
		goto fail;
	for (int v = j->version + 1; v <= max_version; v++) {
		if ((rc = exec1(j->db, migrations[v], msg, sizeof msg)) != SQLITE_OK)
			goto rollback;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", max_version);
	if ((rc = exec1(j->db, sql, msg, sizeof msg)) != SQLITE_OK)
		goto rollback;
	if ((rc = exec1(j->db, "COMMIT", msg, sizeof msg)) != SQLITE_OK)
		goto rollback;
	j->version = max_version;
	return 0;
rollback:
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
fail:
	snprintf(err, errlen, "cannot migrate journal from version %d: %s", j->version, msg);
	return journal_errno(rc) ? journal_errno(rc) : -EIO;
}

static int
load_device(struct journal *j, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	unsigned char id[8];
	struct nw_clock clk;
	struct nw_stamp now;
	int rc;

	rc = sqlite3_prepare_v2(j->db, "SELECT device_id FROM device WHERE id = 1", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(j->device_id, sizeof j->device_id, "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	/* First open: the box gets its identity. */
	randombytes_buf(id, sizeof id);
	sodium_bin2hex(j->device_id, sizeof j->device_id, id, sizeof id);
	nwclock_system_init(&clk);
	nwclock_now(&clk, &now);
	rc = sqlite3_prepare_v2(j->db, "INSERT INTO device VALUES (1, ?, ?, ?, ?, ?)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, j->device_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 2, &now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	snprintf(err, errlen, "cannot read device identity: %s", sqlite3_errmsg(j->db));
	return journal_errno(rc) ? journal_errno(rc) : -EIO;
}

int
journal_open_path(const char *path, int max_version, struct journal **out,
    char *err, size_t errlen)
{
	struct journal *j = NULL;
	struct stat sb;
	char msg[256], *check = NULL;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
	int ret = -EIO;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -EIO;
	}
	/* Create only when nothing is there: an existing file that fails to
	 * open must be left alone for a person to look at. */
	if (stat(path, &sb) != 0)
		flags |= SQLITE_OPEN_CREATE;
	else if (access(path, W_OK) != 0) {
		snprintf(err, errlen, "%s: journal is not writable", path);
		return -EROFS;
	}
	if (!(j = calloc(1, sizeof *j))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = sqlite3_open_v2(path, &j->db, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open journal: %s", path,
		    j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
		ret = journal_errno(rc);
		goto fail;
	}
	sqlite3_busy_timeout(j->db, 2000);
	sqlite3_extended_result_codes(j->db, 0);
	/* WAL + FULL: the WAL is fsynced at every commit. */
	if (query_int(j->db, "PRAGMA user_version", &j->version) != SQLITE_OK ||
	    exec1(j->db, "PRAGMA journal_mode = WAL", msg, sizeof msg) != SQLITE_OK ||
	    exec1(j->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", msg, sizeof msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: not a usable journal: %s", path, sqlite3_errmsg(j->db));
		ret = -EBADMSG;
		goto fail;
	}
	if (j->version > JOURNAL_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: journal schema version %d is newer than this "
		    "notewelld understands (%d); refusing to touch it — run a newer notewelld",
		    path, j->version, JOURNAL_SCHEMA_VERSION);
		ret = -EPROTO;
		goto fail;
	}
	if (j->version > 0) {
		/* quick_check reads every page: cheap on a box-sized journal and it
		 * stops us from writing into a damaged file. */
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			check = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (!check || strcmp(check, "ok") != 0) {
			snprintf(err, errlen, "%s: journal is damaged (%s); refusing to start, "
			    "the file is left as it is", path, check ? check : sqlite3_errmsg(j->db));
			ret = -EBADMSG;
			goto fail;
		}
	}
	if ((ret = migrate(j, max_version, err, errlen)) != 0)
		goto fail;
	if ((ret = load_device(j, err, errlen)) != 0)
		goto fail;
	free(check);
	*out = j;
	return 0;
fail:
	free(check);
	journal_close(j);
	return ret;
}

int
journal_open(const char *dir, struct journal **out, char *err, size_t errlen)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/journal.db", dir);
	return journal_open_path(path, JOURNAL_SCHEMA_VERSION, out, err, errlen);
}

void
journal_close(struct journal *j)
{
	if (!j)
		return;
	sqlite3_finalize(j->ins_scan);
	sqlite3_close_v2(j->db);
	free(j);
}

void
journal_on_change(struct journal *j, void (*fn)(void *), void *arg)
{
	j->on_change = fn;
	j->on_change_arg = arg;
}

/* A row that sync sends was written: tell, once it is committed (inside
 * journal_txn, at its commit), so whoever looks finds it. */
static void
changed(struct journal *j)
{
	if (!j->on_change)
		return;
	if (!sqlite3_get_autocommit(j->db)) {
		j->change_pending = 1;
		return;
	}
	j->change_pending = 0;
	j->on_change(j->on_change_arg);
}

int
journal_add_scan(struct journal *j, const struct journal_scan *s, int64_t *rowid)
{
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (!j->ins_scan)
		rc = sqlite3_prepare_v3(j->db,
		    "INSERT INTO scans (nonce, badge, source, session_id, notice_id, notice_sha256,"
		    " at_boot, at_mono_ns, at_wall_ns, at_synced) VALUES (?,?,?,?,?,?,?,?,?,?)",
		    -1, SQLITE_PREPARE_PERSISTENT, &j->ins_scan, NULL);
	st = j->ins_scan;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, s->nonce, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, s->badge, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, s->source, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = s->session_id ? sqlite3_bind_int64(st, 4, s->session_id) : sqlite3_bind_null(st, 4);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, s->notice_id, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 6, s->notice_sha256, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 7, &s->at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (rc != SQLITE_DONE)
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	if (rowid)
		*rowid = sqlite3_last_insert_rowid(j->db);
	changed(j);
	return 0;
}

int
journal_session_start(struct journal *j, const char *uid, const char *title,
    const char *origin, const struct nw_stamp *at, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(j->db,
	    "INSERT INTO sessions (uid, title, origin, start_boot, start_mono_ns,"
	    " start_wall_ns, start_synced) VALUES (?,?,?,?,?,?,?)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 3, origin, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 4, at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	*id = sqlite3_last_insert_rowid(j->db);
	changed(j);
	return 0;
}

int
journal_session_stop(struct journal *j, int64_t id, const struct nw_stamp *at)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(j->db,
	    "UPDATE sessions SET end_boot = ?, end_mono_ns = ?, end_wall_ns = ?,"
	    " end_synced = ? WHERE id = ? AND end_boot IS NULL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 1, at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	if (sqlite3_changes(j->db) != 1)
		return -ENOENT;
	changed(j);
	return 0;
}

#define SESSION_COLS "id, uid, title, origin, start_boot, start_mono_ns, " \
	"start_wall_ns, start_synced, end_boot, end_mono_ns, end_wall_ns, end_synced"

static int
session_query(struct journal *j, const char *where, int64_t id, struct journal_session *s)
{
	sqlite3_stmt *st = NULL;
	char sql[256];
	int rc;

	snprintf(sql, sizeof sql, "SELECT " SESSION_COLS " FROM sessions WHERE %s "
	    "ORDER BY id DESC LIMIT 1", where);
	rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && strchr(where, '?'))
		rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(s, 0, sizeof *s);
		s->id = sqlite3_column_int64(st, 0);
		snprintf(s->uid, sizeof s->uid, "%s", sqlite3_column_text(st, 1));
		snprintf(s->title, sizeof s->title, "%s", sqlite3_column_text(st, 2));
		snprintf(s->origin, sizeof s->origin, "%s", sqlite3_column_text(st, 3));
		journal_column_stamp(st, 4, &s->start);
		s->has_end = sqlite3_column_type(st, 8) != SQLITE_NULL;
		if (s->has_end)
			journal_column_stamp(st, 8, &s->end);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return journal_errno(rc) ? journal_errno(rc) : -EIO;
}

int
journal_session_current(struct journal *j, struct journal_session *s)
{
	return session_query(j, "end_boot IS NULL", 0, s);
}

int
journal_session_get(struct journal *j, int64_t id, struct journal_session *s)
{
	return session_query(j, "id = ?", id, s);
}

int
journal_event(struct journal *j, const char *kind, const char *detail,
    const struct nw_stamp *at)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(j->db, "INSERT INTO events (kind, detail, at_boot,"
	    " at_mono_ns, at_wall_ns, at_synced) VALUES (?,?,?,?,?,?)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, detail, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 3, at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	changed(j);
	return 0;
}

int
journal_eventf(struct journal *j, struct nw_clock *clock, const char *kind,
    const char *fmt, ...)
{
	struct nw_stamp now;
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	nwclock_now(clock, &now);
	return journal_event(j, kind, detail, &now);
}

int
journal_bluesheet(struct journal *j, int64_t session_id, journal_badge_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(j->db,
	    "SELECT badge, COUNT(*), MIN(at_wall_ns), MIN(id) AS first FROM scans"
	    " WHERE session_id IS ? GROUP BY badge ORDER BY first", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = session_id ? sqlite3_bind_int64(st, 1, session_id) : sqlite3_bind_null(st, 1);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
		    sqlite3_column_int64(st, 2));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : (journal_errno(rc) ? journal_errno(rc) : -EIO);
}

int
journal_count_badges(struct journal *j, int64_t session_id)
{
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	rc = sqlite3_prepare_v2(j->db, "SELECT COUNT(DISTINCT badge) FROM scans"
	    " WHERE session_id IS ?", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = session_id ? sqlite3_bind_int64(st, 1, session_id) : sqlite3_bind_null(st, 1);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
journal_integrity_ok(struct journal *j)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(j->db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

int
journal_txn_lazy(struct journal *j, int (*fn)(struct journal *, void *), void *arg)
{
	int rc;

	/* WAL frames reach the disk in order: the next FULL commit, or a
	 * checkpoint, makes this one durable with it. */
	sqlite3_exec(j->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	rc = journal_txn(j, fn, arg);
	sqlite3_exec(j->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	return rc;
}

int
journal_txn(struct journal *j, int (*fn)(struct journal *, void *), void *arg)
{
	int rc = sqlite3_exec(j->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	if ((rc = fn(j, arg)) != 0) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		j->change_pending = 0;
		return rc;
	}
	rc = sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		j->change_pending = 0;
		return journal_errno(rc) ? journal_errno(rc) : -EIO;
	}
	if (j->change_pending)
		changed(j);
	return 0;
}
