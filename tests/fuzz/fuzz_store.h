/*
 * Shared by the host importer fuzz targets: one store in the private temp
 * dir that persists across inputs (so re-import over earlier state is
 * exercised too), a fingerprint of the tables an import may change, and
 * the importer contract checked around one call.
 */
#ifndef NW_FUZZ_STORE_H
#define NW_FUZZ_STORE_H
#include <sqlite3.h>

#include "fuzz_file.h"
#include "store.h"

typedef int (*fuzz_import_fn)(struct store *, const char *, char *, size_t);

static struct store *
fuzz_store(void)
{
	static struct store st;
	static int ready;

	if (!ready) {
		if (store_open(&st, fuzz_dir()) < 0)
			abort();
		ready = 1;
	}
	return &st;
}

/* Everything the importers write, as one string (caller frees). */
static char *
fuzz_fingerprint(struct store *st)
{
	static const char *const sql =
	    "SELECT coalesce((SELECT group_concat(uid||'|'||acronym||'|'||name||'|'||room"
	    "||'|'||start_utc||'|'||end_utc||'|'||public||'|'||ifnull(dt_session_id,''),'/')"
	    " FROM (SELECT * FROM sessions ORDER BY uid)),'') || '#' ||"
	    " coalesce((SELECT group_concat(name,'/') FROM (SELECT * FROM rooms ORDER BY name)),'') || '#' ||"
	    " coalesce((SELECT group_concat(badge_id||'|'||first_name||'|'||last_name||'|'||organization"
	    "||'|'||country_code||'|'||profile_url||'|'||onsite||'|'||email||'|'||ifnull(dt_user_id,''),'/')"
	    " FROM (SELECT * FROM registrations ORDER BY badge_id)),'') || '#' ||"
	    " coalesce((SELECT group_concat(session_uid||'|'||badge_id||'|'||email||'|'||join_time,'/')"
	    " FROM (SELECT * FROM remote_attendance ORDER BY 1, 2, 3)),'') || '#' ||"
	    " coalesce((SELECT group_concat(badge_id,'/') FROM (SELECT * FROM purged_badges ORDER BY 1)),'')";
	sqlite3_stmt *q = NULL;
	char *out = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		abort();
	out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (!out)
		abort();
	return out;
}

/*
 * The contract of every import (import.h): all or nothing, never a
 * transaction left open, a refusal names the file and changes nothing, and
 * importing an accepted file again changes nothing.
 */
static void
fuzz_import(fuzz_import_fn fn, const char *name, const uint8_t *data,
    size_t size)
{
	struct store *st = fuzz_store();
	char path[128], err[1024], *before, *after;
	int rc;

	fuzz_write(name, data, size, path, sizeof path);
	before = fuzz_fingerprint(st);
	err[0] = '\0';
	rc = fn(st, path, err, sizeof err);
	if (!sqlite3_get_autocommit(st->db))
		abort();
	after = fuzz_fingerprint(st);
	if (rc != 0) {
		if (strcmp(before, after) != 0 ||
		    strncmp(err, path, strlen(path)) != 0)
			abort();
	} else {
		free(before);
		before = after;
		if (fn(st, path, err, sizeof err) != 0)
			abort();
		after = fuzz_fingerprint(st);
		if (strcmp(before, after) != 0)
			abort();
	}
	free(before);
	free(after);
}
#endif
