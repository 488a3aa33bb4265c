/*
 * Sync's view of the journal; see sync_journal.h.
 */
#include "sync_journal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define UNSYNCED(k, col) "NOT EXISTS (SELECT 1 FROM sync_state y WHERE y.kind = '" k \
	"' AND y.ref_id = " col ")"

struct kind_def {
	const char *kind;
	/* SELECT ... with one %s for the WHERE clause; first column is the ref. */
	const char *select;
	const char *unsynced;
	json_t *(*build)(sqlite3_stmt *, char *key, size_t keylen, int *closed);
};

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static json_t *
str_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() :
	    json_string(col_text(st, i));
}

static json_t *
stamp_at(sqlite3_stmt *st, int i)
{
	struct nw_stamp s;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	journal_column_stamp(st, i, &s);
	return syncproto_stamp_json(&s);
}

static json_t *
build_notice(sqlite3_stmt *st, char *key, size_t keylen, int *closed)
{
	char k[256];

	snprintf(k, sizeof k, "%s@%s", col_text(st, 1), col_text(st, 5));
	syncproto_key_for(k, key, keylen);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "kind", "notice",
	    "key", key, "id", col_text(st, 1), "version", col_text(st, 2),
	    "language", col_text(st, 3), "url", col_text(st, 4), "sha256", col_text(st, 5),
	    "effective_from_ns", (json_int_t)sqlite3_column_int64(st, 6));
}

static json_t *
build_session(sqlite3_stmt *st, char *key, size_t keylen, int *closed)
{
	syncproto_key_for(col_text(st, 1), key, keylen);
	*closed = sqlite3_column_type(st, 8) != SQLITE_NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "kind", "session",
	    "key", key, "uid", col_text(st, 1), "title", col_text(st, 2),
	    "origin", col_text(st, 3), "start", stamp_at(st, 4), "end", stamp_at(st, 8));
}

static json_t *
build_scan(sqlite3_stmt *st, char *key, size_t keylen, int *closed)
{
	snprintf(key, keylen, "%s", col_text(st, 1));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "kind", "scan",
	    "key", key, "badge", col_text(st, 2), "source", col_text(st, 3),
	    "session", str_or_null(st, 4), "notice_id", str_or_null(st, 5),
	    "notice_sha256", str_or_null(st, 6), "at", stamp_at(st, 7));
}

static json_t *
build_switch(sqlite3_stmt *st, char *key, size_t keylen, int *closed)
{
	snprintf(key, keylen, "ns-%lld", (long long)sqlite3_column_int64(st, 0));
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", "notice-switch", "key", key,
	    "notice_id", col_text(st, 1), "sha256", col_text(st, 2), "at", stamp_at(st, 3));
}

/* The length of s cut to at most max bytes without splitting a UTF-8
 * sequence. */
static size_t
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static json_t *
build_event(sqlite3_stmt *st, char *key, size_t keylen, int *closed)
{
	const char *type = col_text(st, 1), *detail = col_text(st, 2);

	/* The host takes types up to 32 bytes and details up to 1024: the
	 * audit log's words and messages fit; anything longer is cut. */
	snprintf(key, keylen, "ev-%lld", (long long)sqlite3_column_int64(st, 0));
	return json_pack("{s:s, s:s, s:s%, s:s%, s:o}", "kind", "event", "key", key,
	    "type", type, utf8_cut(type, 32), "detail", detail, utf8_cut(detail, 1024),
	    "at", stamp_at(st, 3));
}

static const struct kind_def kinds[] = {
	{ "notice",
	  "SELECT x.rowid, x.id, x.version, x.language, x.url, x.sha256, x.effective_from_ns"
	  " FROM notices x WHERE %s ORDER BY x.rowid",
	  UNSYNCED("notice", "x.rowid"), build_notice },
	{ "session",
	  "SELECT x.id, x.uid, x.title, x.origin, x.start_boot, x.start_mono_ns,"
	  " x.start_wall_ns, x.start_synced, x.end_boot, x.end_mono_ns, x.end_wall_ns,"
	  " x.end_synced FROM sessions x WHERE %s ORDER BY x.id",
	  "NOT EXISTS (SELECT 1 FROM sync_state y WHERE y.kind = 'session' AND"
	  " y.ref_id = x.id AND (y.acked_bytes = 1 OR x.end_boot IS NULL))", build_session },
	{ "scan",
	  "SELECT x.id, x.nonce, x.badge, x.source, s.uid, x.notice_id, x.notice_sha256,"
	  " x.at_boot, x.at_mono_ns, x.at_wall_ns, x.at_synced FROM scans x"
	  " LEFT JOIN sessions s ON s.id = x.session_id WHERE %s ORDER BY x.id",
	  UNSYNCED("scan", "x.id"), build_scan },
	{ "notice-switch",
	  "SELECT x.id, x.notice_id, x.sha256, x.at_boot, x.at_mono_ns, x.at_wall_ns,"
	  " x.at_synced FROM notice_switches x WHERE %s ORDER BY x.id",
	  UNSYNCED("notice-switch", "x.id"), build_switch },
	{ "event",
	  "SELECT x.id, x.kind, x.detail, x.at_boot, x.at_mono_ns, x.at_wall_ns, x.at_synced"
	  " FROM events x WHERE %s ORDER BY x.id",
	  UNSYNCED("event", "x.id"), build_event },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int
err_of(int rc)
{
	int e = journal_errno(rc);

	return e ? e : -EIO;
}

static int
prepare(struct journal *j, const struct kind_def *k, const char *where, const char *tail,
    sqlite3_stmt **st)
{
	char sql[1024];

	snprintf(sql, sizeof sql, k->select, where);
	if (tail)
		strncat(sql, tail, sizeof sql - strlen(sql) - 1);
	return sqlite3_prepare_v2(journal_db(j), sql, -1, st, NULL);
}

/* The box id is not part of records (the request names it), but kept in
 * the signature so a later format can add it without changing callers. */
json_t *
syncj_record(struct journal *j, const char *kind, int64_t ref, const char *box)
{
	sqlite3_stmt *st = NULL;
	char key[SYNCPROTO_KEY_MAX + 1];
	json_t *obj = NULL;
	int closed = 0;

	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(kinds[i].kind, kind) != 0)
			continue;
		if (prepare(j, &kinds[i], strcmp(kind, "notice") == 0 ? "x.rowid = ?" :
		    "x.id = ?", NULL, &st) == SQLITE_OK &&
		    sqlite3_bind_int64(st, 1, ref) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			obj = kinds[i].build(st, key, sizeof key, &closed);
		sqlite3_finalize(st);
		break;
	}
	return obj;
}

void
syncj_items_free(struct syncj_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(items[i].obj);
		items[i].obj = NULL;
	}
}

int
syncj_collect(struct journal *j, const char *box, struct syncj_item *items, size_t max,
    size_t max_bytes, syncj_skip_fn skip, void *skip_arg, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t bytes = 0;
	int rc = SQLITE_OK;

	*n = 0;
	for (size_t k = 0; k < NKINDS && *n < max && bytes < max_bytes; k++) {
		/* No LIMIT: rows the caller skips (refused before) must not
		 * crowd out the rest. Rows are read lazily, so it costs little. */
		if ((rc = prepare(j, &kinds[k], kinds[k].unsynced, NULL, &st)) != SQLITE_OK)
			break;
		while (*n < max && bytes < max_bytes && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct syncj_item *it = &items[*n];
			char *text;
			rc = SQLITE_OK;
			if (skip && skip(skip_arg, kinds[k].kind, sqlite3_column_int64(st, 0)))
				continue;
			memset(it, 0, sizeof *it);
			snprintf(it->kind, sizeof it->kind, "%s", kinds[k].kind);
			it->ref = sqlite3_column_int64(st, 0);
			it->obj = kinds[k].build(st, it->key, sizeof it->key, &it->session_closed);
			if (!it->obj || !(text = syncproto_canonical(it->obj))) {
				json_decref(it->obj);
				rc = SQLITE_NOMEM;
				break;
			}
			syncproto_sha256_hex(text, strlen(text), it->sha256);
			bytes += strlen(text);
			free(text);
			(*n)++;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_OK && rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		syncj_items_free(items, *n);
		*n = 0;
		return err_of(rc);
	}
	return 0;
}

struct mark_args {
	const struct syncj_item *items;
	const char *const *acks;
	size_t n;
	int64_t now;
};

static int
mark_txn(struct journal *j, void *arg)
{
	struct mark_args *a = arg;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), "INSERT OR REPLACE INTO sync_state(kind,"
	    " ref_id, acked_sha256, acked_bytes, acked_wall_ns) VALUES (?, ?, ?, ?, ?)",
	    -1, &st, NULL);

	for (size_t i = 0; rc == SQLITE_OK && i < a->n; i++) {
		if (!a->acks[i])
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, a->items[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->items[i].ref);
		sqlite3_bind_text(st, 3, a->acks[i], -1, SQLITE_STATIC);
		/* Sessions: 1 once the host has the closed session. */
		sqlite3_bind_int64(st, 4, a->items[i].session_closed);
		sqlite3_bind_int64(st, 5, a->now);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(journal_db(j));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : err_of(rc);
}

int
syncj_mark(struct journal *j, const struct syncj_item *items, const char *const *acks,
    size_t n, int64_t now)
{
	struct mark_args a = { items, acks, n, now };

	/* A mark lost in a power cut only sends the records again. */
	return journal_txn_lazy(j, mark_txn, &a);
}

struct drop_args {
	int64_t ref;
	const struct nw_stamp *now;
};

static int
drop_txn(struct journal *j, void *arg)
{
	struct drop_args *a = arg;
	sqlite3_stmt *st = NULL;
	char detail[64];
	int rc = sqlite3_prepare_v2(journal_db(j), "DELETE FROM scans WHERE id = ?", -1, &st,
	    NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, a->ref);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(journal_db(j));
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return err_of(rc);
	/* No badge id in the log: the point is to forget it. */
	snprintf(detail, sizeof detail, "scan=%lld", (long long)a->ref);
	return journal_event(j, "scan-purged", detail, a->now);
}

int
syncj_drop_scan(struct journal *j, int64_t ref, const struct nw_stamp *now)
{
	struct drop_args a = { ref, now };

	return journal_txn(j, drop_txn, &a);
}

/* ---- recordings ---- */

#define REC_SELECT \
	"SELECT r.id, r.path, r.sha256, r.bytes, r.duration_ns, r.session_id, s.uid," \
	" r.notice_id, r.notice_sha256, r.start_boot, r.start_mono_ns, r.start_wall_ns," \
	" r.start_synced, y.acked_bytes, y.acked_sha256 FROM recordings r" \
	" LEFT JOIN sessions s ON s.id = r.session_id" \
	" LEFT JOIN sync_state y ON y.kind = 'recording' AND y.ref_id = r.id" \
	" WHERE r.state IN ('finished', 'recovered') AND "

static void
rec_from_row(sqlite3_stmt *st, const char *dir, struct syncj_recording *r)
{
	const char *path = col_text(st, 1), *slash;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	if (path[0] == '/')
		snprintf(r->path, sizeof r->path, "%s", path);
	else
		snprintf(r->path, sizeof r->path, "%.2000s/%.2000s", dir, path);
	slash = strrchr(path, '/');
	snprintf(r->name, sizeof r->name, "%s", slash ? slash + 1 : path);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		snprintf(r->journal_sha256, sizeof r->journal_sha256, "%s", col_text(st, 2));
	r->bytes_journal = sqlite3_column_int64(st, 3);
	r->duration_ns = sqlite3_column_int64(st, 4);
	r->session_id = sqlite3_column_int64(st, 5);
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		snprintf(r->session_uid, sizeof r->session_uid, "%s", col_text(st, 6));
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		snprintf(r->notice_id, sizeof r->notice_id, "%s", col_text(st, 7));
	if (sqlite3_column_type(st, 8) != SQLITE_NULL)
		snprintf(r->notice_sha256, sizeof r->notice_sha256, "%s", col_text(st, 8));
	journal_column_stamp(st, 9, &r->start);
	r->acked_bytes = sqlite3_column_int64(st, 13);
	if (sqlite3_column_type(st, 14) != SQLITE_NULL)
		snprintf(r->acked_sha256, sizeof r->acked_sha256, "%s", col_text(st, 14));
}

static int
rec_list(struct journal *j, const char *dir, const char *where,
    struct syncj_recording **out, size_t *n)
{
	struct syncj_recording *v = NULL, *nv;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	char sql[1024];
	int rc;

	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof sql, "%s%s ORDER BY r.id", REC_SELECT, where);
	rc = sqlite3_prepare_v2(journal_db(j), sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(nv = realloc(v, cap * sizeof *v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		rec_from_row(st, dir, &v[(*n)++]);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return err_of(rc);
	}
	*out = v;
	return 0;
}

int
syncj_recordings_pending(struct journal *j, const char *dir, struct syncj_recording **out,
    size_t *n)
{
	return rec_list(j, dir, "y.acked_sha256 IS NULL", out, n);
}

int
syncj_recordings_confirmed(struct journal *j, const char *dir, struct syncj_recording **out,
    size_t *n)
{
	struct syncj_recording *v;
	size_t i, k = 0;
	struct stat sb;
	int rc = rec_list(j, dir, "y.acked_sha256 IS NOT NULL", out, n);

	if (rc != 0)
		return rc;
	v = *out;
	for (i = 0; i < *n; i++)
		if (stat(v[i].path, &sb) == 0)
			v[k++] = v[i];
	*n = k;
	return 0;
}

int
syncj_recording_prefixes(struct journal *j, int64_t id, size_t *every, uint8_t (**d)[32],
    size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), "SELECT prefix_every, prefix_sha256 FROM"
	    " recordings WHERE id = ?", -1, &st, NULL);
	int64_t ev;
	int len;

	*d = NULL;
	*n = *every = 0;
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev = sqlite3_column_int64(st, 0);
		len = sqlite3_column_bytes(st, 1);
		/* Zero digests (a file shorter than one interval) is a list too. */
		if (ev <= 0 || sqlite3_column_type(st, 1) == SQLITE_NULL || len % 32 != 0) {
			rc = -ENOENT;
		} else if (!(*d = malloc(len ? (size_t)len : 1))) {
			rc = -ENOMEM;
		} else {
			if (len)
				memcpy(*d, sqlite3_column_blob(st, 1), (size_t)len);
			*every = (size_t)ev;
			*n = (size_t)len / 32;
			rc = 0;
		}
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : err_of(rc);
	}
	sqlite3_finalize(st);
	return rc;
}

int
syncj_recording_progress(struct journal *j, int64_t id, int64_t confirmed,
    const char *sha, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), "INSERT OR REPLACE INTO sync_state(kind,"
	    " ref_id, acked_sha256, acked_bytes, acked_wall_ns) VALUES ('recording', ?, ?, ?, ?)",
	    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sha)
			sqlite3_bind_text(st, 2, sha, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, confirmed);
		sqlite3_bind_int64(st, 4, now);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(journal_db(j));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : err_of(rc);
}

/* ---- backlog ---- */

static int
count_where(struct journal *j, const char *sql, int64_t *count, int64_t *oldest)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count += sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			int64_t w = sqlite3_column_int64(st, 1);
			if (*oldest == 0 || w < *oldest)
				*oldest = w;
		}
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : err_of(rc);
}

/* Rows of table alias x stamped between session s's start and end: the
 * session's events and notice switches. A session can span one reboot
 * (a power cut): then the start's boot from its start on, and the end's
 * boot up to its end. */
#define IN_SESSION(x) \
	" ((" x ".at_boot = s.start_boot AND " x ".at_mono_ns >= s.start_mono_ns AND" \
	"   (s.end_boot != s.start_boot OR " x ".at_mono_ns <= s.end_mono_ns)) OR" \
	"  (s.end_boot != s.start_boot AND " x ".at_boot = s.end_boot AND" \
	"   " x ".at_mono_ns <= s.end_mono_ns))"

#define MANIFEST_READY_WHERE \
	" s.end_boot IS NOT NULL" \
	" AND NOT EXISTS (SELECT 1 FROM sync_state y WHERE y.kind = 'manifest' AND y.ref_id = s.id)"

int
syncj_backlog(struct journal *j, const char *dir, struct syncj_backlog *b)
{
	static const char *const sql[] = {
		"SELECT count(*), NULL FROM notices x WHERE " UNSYNCED("notice", "x.rowid"),
		"SELECT count(*), min(x.start_wall_ns) FROM sessions x WHERE NOT EXISTS"
		" (SELECT 1 FROM sync_state y WHERE y.kind = 'session' AND y.ref_id = x.id"
		" AND (y.acked_bytes = 1 OR x.end_boot IS NULL))",
		"SELECT count(*), min(x.at_wall_ns) FROM scans x WHERE " UNSYNCED("scan", "x.id"),
		"SELECT count(*), min(x.at_wall_ns) FROM notice_switches x WHERE "
		    UNSYNCED("notice-switch", "x.id"),
		"SELECT count(*), min(x.at_wall_ns) FROM events x WHERE " UNSYNCED("event", "x.id"),
		"SELECT count(*), min(s.end_wall_ns) FROM sessions s WHERE" MANIFEST_READY_WHERE,
	};
	struct syncj_recording *recs = NULL;
	struct stat sb;
	size_t n = 0;
	int rc;

	memset(b, 0, sizeof *b);
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if ((rc = count_where(j, sql[i], &b->records, &b->oldest_wall_ns)) != 0)
			return rc;
	if ((rc = syncj_recordings_pending(j, dir, &recs, &n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int64_t size = recs[i].bytes_journal;
		if (stat(recs[i].path, &sb) == 0)
			size = sb.st_size;
		b->records++;
		if (size > recs[i].acked_bytes)
			b->bytes += size - recs[i].acked_bytes;
		if (b->oldest_wall_ns == 0 || recs[i].start.wall_ns < b->oldest_wall_ns)
			b->oldest_wall_ns = recs[i].start.wall_ns;
	}
	free(recs);
	return 0;
}

/* ---- manifests ---- */

int
syncj_sessions_for_manifest(struct journal *j, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int64_t *v = NULL, *nv;
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	rc = sqlite3_prepare_v2(journal_db(j), "SELECT s.id FROM sessions s WHERE"
	    MANIFEST_READY_WHERE
	    " AND EXISTS (SELECT 1 FROM sync_state y WHERE y.kind = 'session'"
	    "  AND y.ref_id = s.id AND y.acked_bytes = 1)"
	    " AND NOT EXISTS (SELECT 1 FROM scans c WHERE c.session_id = s.id AND "
	    UNSYNCED("scan", "c.id") ")"
	    " AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND"
	    "  (r.state = 'recording' OR (r.state IN ('finished', 'recovered') AND NOT EXISTS"
	    "  (SELECT 1 FROM sync_state y WHERE y.kind = 'recording' AND y.ref_id = r.id"
	    "   AND y.acked_sha256 IS NOT NULL))))"
	    " AND NOT EXISTS (SELECT 1 FROM events e WHERE" IN_SESSION("e")
	    "  AND " UNSYNCED("event", "e.id") ")"
	    " AND NOT EXISTS (SELECT 1 FROM notice_switches w WHERE" IN_SESSION("w")
	    "  AND " UNSYNCED("notice-switch", "w.id") ")"
	    " ORDER BY s.id", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(nv = realloc(v, cap * sizeof *v))) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		v[(*n)++] = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		*n = 0;
		return err_of(rc);
	}
	*ids = v;
	return 0;
}

struct manifest_done_args {
	int64_t session_id;
	const char *sha;
	int64_t now;
};

static int
manifest_done_txn(struct journal *j, void *arg)
{
	struct manifest_done_args *a = arg;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), "INSERT OR REPLACE INTO sync_state(kind,"
	    " ref_id, acked_sha256, acked_bytes, acked_wall_ns) VALUES ('manifest', ?, ?, 0, ?)",
	    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a->session_id);
		sqlite3_bind_text(st, 2, a->sha, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, a->now);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(journal_db(j));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : err_of(rc);
}

int
syncj_manifest_done(struct journal *j, int64_t session_id, const char *sha, int64_t now)
{
	struct manifest_done_args a = { session_id, sha, now };

	/* Lost in a power cut, the manifest is sent again: "duplicate". */
	return journal_txn_lazy(j, manifest_done_txn, &a);
}

static int
add_entry(json_t *list, json_t *rec)
{
	char sha[SYNCPROTO_SHA_HEX + 1];

	if (!rec || syncproto_record_sha256(rec, sha) != 0) {
		json_decref(rec);
		return -ENOMEM;
	}
	json_array_append_new(list, json_pack("{s:O, s:O, s:s}", "kind",
	    json_object_get(rec, "kind"), "key", json_object_get(rec, "key"), "sha256", sha));
	json_decref(rec);
	return 0;
}

/* Adds the record of each row id sql (one parameter: the session) lists. */
static int
add_list(struct journal *j, const char *box, json_t *list, const char *kind, const char *sql,
    int64_t session_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(journal_db(j), sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		sqlite3_bind_int64(st, 1, session_id);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = add_entry(list, syncj_record(j, kind, sqlite3_column_int64(st, 0), box)) ?
		    SQLITE_NOMEM : SQLITE_OK;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

json_t *
syncj_manifest(struct journal *j, const char *dir, const char *box, int64_t session_id,
    const char *signed_at)
{
	struct journal_session s;
	struct syncj_recording *recs = NULL;
	json_t *m = NULL, *records = json_array(), *files = json_array();
	char where[128];
	size_t n = 0;

	if (!records || !files || journal_session_get(j, session_id, &s) != 0)
		goto fail;
	if (add_entry(records, syncj_record(j, "session", session_id, box)) != 0)
		goto fail;
	/* The notices the session's scans and recordings were stamped with
	 * and those it switched to, then scans, notice switches and events:
	 * every record the session's data rests on. */
	if (add_list(j, box, records, "notice", "SELECT n.rowid FROM notices n, sessions s"
	    " WHERE s.id = ?1 AND (EXISTS (SELECT 1 FROM scans c WHERE c.session_id = s.id"
	    " AND c.notice_id = n.id AND c.notice_sha256 = n.sha256) OR EXISTS (SELECT 1 FROM"
	    " recordings r WHERE r.session_id = s.id AND r.notice_id = n.id AND"
	    " r.notice_sha256 = n.sha256) OR EXISTS (SELECT 1 FROM notice_switches w WHERE"
	    " w.notice_id = n.id AND w.sha256 = n.sha256 AND" IN_SESSION("w") "))"
	    " ORDER BY n.rowid", session_id) != 0 ||
	    add_list(j, box, records, "scan", "SELECT id FROM scans WHERE session_id = ?1"
	    " ORDER BY id", session_id) != 0 ||
	    add_list(j, box, records, "notice-switch", "SELECT w.id FROM notice_switches w,"
	    " sessions s WHERE s.id = ?1 AND" IN_SESSION("w") " ORDER BY w.id", session_id) != 0 ||
	    add_list(j, box, records, "event", "SELECT e.id FROM events e, sessions s"
	    " WHERE s.id = ?1 AND" IN_SESSION("e") " ORDER BY e.id", session_id) != 0)
		goto fail;
	/* The id is an integer we format ourselves: no injection possible. */
	snprintf(where, sizeof where, "y.acked_sha256 IS NOT NULL AND r.session_id = %lld",
	    (long long)session_id);
	if (rec_list(j, dir, where, &recs, &n) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", recs[i].name,
		    "bytes", (json_int_t)recs[i].acked_bytes, "sha256", recs[i].acked_sha256));
	free(recs);
	m = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "format", "notewell-manifest-1",
	    "box", box, "session", s.uid, "title", s.title, "signed", signed_at,
	    "records", records, "files", files);
	return m;
fail:
	json_decref(records);
	json_decref(files);
	return NULL;
}

int
syncj_forget_host(struct journal *j, const char *dir)
{
	sqlite3 *db = journal_db(j);
	sqlite3_stmt *st = NULL;
	struct syncj_recording *recs = NULL;
	struct stat sb;
	size_t n = 0;
	int rc;

	if ((rc = rec_list(j, dir, "y.acked_sha256 IS NOT NULL", &recs, &n)) != 0)
		return rc;
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE; CREATE TEMP TABLE IF NOT EXISTS gone"
	    "(id INTEGER PRIMARY KEY); DELETE FROM gone;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO gone VALUES (?)", -1, &st, NULL);
	/* Freed by retention after the old host confirmed them: not on the box
	 * any more, so they cannot go to the new host. */
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		if (stat(recs[i].path, &sb) == 0)
			continue;
		sqlite3_bind_int64(st, 1, recs[i].id);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db,
		    "DELETE FROM sync_state WHERE NOT (kind = 'recording' AND ref_id IN"
		    " (SELECT id FROM gone)) AND NOT (kind = 'manifest' AND ref_id IN"
		    " (SELECT session_id FROM recordings WHERE id IN (SELECT id FROM gone)));"
		    /* Their sessions' manifests could not be checked there either. */
		    "INSERT OR IGNORE INTO sync_state(kind, ref_id, acked_sha256, acked_bytes)"
		    " SELECT DISTINCT 'manifest', session_id, NULL, 0 FROM recordings WHERE"
		    " id IN (SELECT id FROM gone) AND session_id IS NOT NULL;"
		    "DELETE FROM gone; COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free(recs);
	return rc == SQLITE_OK ? 0 : err_of(rc);
}
