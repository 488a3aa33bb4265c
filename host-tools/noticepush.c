/*
 * Consent notices the host pushes to its boxes (see noticepush.h).
 */
#include "noticepush.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "minisign.h"
#include "notice.h"
#include "syncproto.h"

/* Reads the statement beside the notice file. */
static int
read_statement(const char *notice_path, const char *name, uint8_t **buf, size_t *len)
{
	const char *slash = strrchr(notice_path, '/');
	char path[4200];

	snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - notice_path + 1) : 0,
	    notice_path, name);
	return minisign_read_file(path, buf, len);
}

/* 1 when (id, version) is stored with exactly this text, 0 when absent,
 * -EEXIST when stored with another text. */
static int
existing(struct store *st, const struct notice *n, const char *notice_sha)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (store_prepare(st, "SELECT notice_sha256, sha256 FROM pushed_notices"
	    " WHERE id = ? AND version = ?", &q) != 0)
		return -EIO;
	sqlite3_bind_text(q, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, n->version, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		rc = strcmp((const char *)sqlite3_column_text(q, 0), notice_sha) == 0 &&
		    strcmp((const char *)sqlite3_column_text(q, 1), n->sha256) == 0 ? 1 : -EEXIST;
	sqlite3_finalize(q);
	return rc;
}

/* A box keeps every statement in one folder by name: one name, one text. */
static int
statement_name_taken(struct store *st, const struct notice *n)
{
	sqlite3_stmt *q = NULL;
	int taken;

	if (store_prepare(st, "SELECT 1 FROM pushed_notices WHERE statement_name = ?"
	    " AND sha256 <> ?", &q) != 0)
		return -EIO;
	sqlite3_bind_text(q, 1, n->statement, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, n->sha256, -1, SQLITE_STATIC);
	taken = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return taken;
}

int
noticepush_add(struct store *st, const char *path, int64_t now, char *err, size_t errlen)
{
	struct notice n;
	struct notice_error nerr;
	uint8_t *text = NULL, *stmt = NULL;
	size_t tlen = 0, slen = 0;
	char buf[512], notice_sha[SYNCPROTO_SHA_HEX + 1], detail[300];
	sqlite3_stmt *q = NULL;
	int rc;

	if (notice_load(path, &n, &nerr) != 0) {
		snprintf(err, errlen, "%s", notice_error_format(&nerr, buf, sizeof buf));
		return -EINVAL;
	}
	if ((rc = minisign_read_file(path, &text, &tlen)) != 0 ||
	    (rc = read_statement(path, n.statement, &stmt, &slen)) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (slen > NOTICEPUSH_STATEMENT_MAX || tlen > NOTICE_FILE_SIZE_MAX) {
		snprintf(err, errlen, "%s: statement %s is %zu bytes, more than %d",
		    path, n.statement, slen, NOTICEPUSH_STATEMENT_MAX);
		rc = -EFBIG;
		goto out;
	}
	syncproto_sha256_hex(text, tlen, notice_sha);
	if ((rc = store_begin(st)) != 0) {
		snprintf(err, errlen, "store: cannot begin");
		goto out;
	}
	if ((rc = existing(st, &n, notice_sha)) != 0) {
		store_rollback(st);
		if (rc == -EEXIST)
			snprintf(err, errlen, "%s: %s version %s is already stored with another"
			    " text; a changed notice needs a new version", path, n.id, n.version);
		else if (rc < 0)
			snprintf(err, errlen, "store: cannot read notices");
		goto out;
	}
	if ((rc = statement_name_taken(st, &n)) != 0) {
		store_rollback(st);
		snprintf(err, errlen, rc < 0 ? "store: cannot read notices" :
		    "%s: another statement is already called %s; give this one its own file name",
		    path, n.statement);
		rc = rc < 0 ? rc : -EEXIST;
		goto out;
	}
	if ((rc = store_prepare(st, "INSERT INTO pushed_notices (id, version, effective_from,"
	    " sha256, notice, notice_sha256, statement_name, statement, added_at)"
	    " VALUES (?,?,?,?,?,?,?,?,?)", &q)) != 0)
		goto fail;
	sqlite3_bind_text(q, 1, n.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, n.version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, n.effective_from);
	sqlite3_bind_text(q, 4, n.sha256, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, text, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, notice_sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, n.statement, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 8, stmt, (int)slen, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, now);
	rc = store_step_done(st, q);
	sqlite3_finalize(q);
	if (rc != 0)
		goto fail;
	snprintf(detail, sizeof detail, "%s %s sha256=%s", n.id, n.version, n.sha256);
	if ((rc = store_audit(st, "notewell", "notice-add", detail)) != 0 ||
	    (rc = store_commit(st)) != 0)
		goto fail;
	goto out;
fail:
	store_rollback(st);
	snprintf(err, errlen, "store: cannot add the notice");
out:
	free(text);
	free(stmt);
	return rc;
}

json_t *
noticepush_index(struct store *st)
{
	sqlite3_stmt *q = NULL;
	json_t *list = json_array();
	int rc;

	if (!list || store_prepare(st, "SELECT id, version, effective_from, sha256,"
	    " notice_sha256 FROM pushed_notices ORDER BY effective_from, version LIMIT ?", &q) != 0)
		goto fail;
	sqlite3_bind_int(q, 1, NOTICEPUSH_MAX);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:s, s:s}",
		    "id", sqlite3_column_text(q, 0), "version", sqlite3_column_text(q, 1),
		    "effective_from", (json_int_t)sqlite3_column_int64(q, 2),
		    "sha256", sqlite3_column_text(q, 3),
		    "notice_sha256", sqlite3_column_text(q, 4))) != 0)
			goto fail;
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(q);
	return json_pack("{s:o}", "notices", list);
fail:
	sqlite3_finalize(q);
	json_decref(list);
	return NULL;
}

json_t *
noticepush_get(struct store *st, const char *id, const char *version, int *found)
{
	sqlite3_stmt *q = NULL;
	json_t *j = NULL;
	char *b64 = NULL, *text = NULL;

	*found = 0;
	if (store_prepare(st, "SELECT notice, statement_name, statement FROM pushed_notices"
	    " WHERE id = ? AND version = ?", &q) != 0)
		return NULL;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, version, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto out;
	*found = 1;
	int tlen = sqlite3_column_bytes(q, 0), slen = sqlite3_column_bytes(q, 2);
	size_t blen = sodium_base64_ENCODED_LEN((size_t)slen, sodium_base64_VARIANT_ORIGINAL);

	/* The notice text was checked as UTF-8 when it was added; the
	 * statement is carried as bytes so its hash survives any encoding. */
	if (!(text = malloc((size_t)tlen + 1)) || !(b64 = malloc(blen)))
		goto out;
	memcpy(text, sqlite3_column_blob(q, 0), (size_t)tlen);
	text[tlen] = '\0';
	sodium_bin2base64(b64, blen, sqlite3_column_blob(q, 2), (size_t)slen,
	    sodium_base64_VARIANT_ORIGINAL);
	j = json_pack("{s:s, s:s, s:s}", "notice", text,
	    "statement_name", sqlite3_column_text(q, 1), "statement", b64);
out:
	free(text);
	free(b64);
	sqlite3_finalize(q);
	return j;
}

int
noticepush_list(struct store *st, FILE *out)
{
	sqlite3_stmt *q = NULL;
	char from[40];
	int rc;

	if (store_prepare(st, "SELECT id, version, effective_from, sha256, statement_name"
	    " FROM pushed_notices ORDER BY effective_from, version", &q) != 0)
		return -EIO;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		time_t t = (time_t)sqlite3_column_int64(q, 2);
		struct tm tm;

		strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		fprintf(out, "%s %s from %s %s sha256=%s\n", sqlite3_column_text(q, 0),
		    sqlite3_column_text(q, 1), from, sqlite3_column_text(q, 4),
		    sqlite3_column_text(q, 3));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
