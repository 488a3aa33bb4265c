#include "redact.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int
redact_person(struct store *st, const char *person, const char *reason,
    const char *who)
{
	sqlite3_stmt *q = NULL;
	char *badge = NULL, detail[512];
	int rc;

	if (!reason || !*reason)
		return -EINVAL;
	if ((rc = store_begin(st)) < 0)
		return rc;
	if ((rc = store_find_person(st, person, &badge)) < 0)
		goto out;
	if ((rc = store_prepare(st, "INSERT INTO redactions(badge_id, reason, at,"
	    " who) VALUES (?, ?, strftime('%s','now'), ?) ON CONFLICT(badge_id)"
	    " DO UPDATE SET reason = excluded.reason, at = excluded.at,"
	    " who = excluded.who", &q)) < 0)
		goto out;
	sqlite3_bind_text(q, 1, badge, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, who, -1, SQLITE_STATIC);
	if ((rc = store_step_done(st, q)) < 0)
		goto out;
	/* The audit names the badge, not the person's details. */
	snprintf(detail, sizeof detail, "badge %s: %s", badge, reason);
	if ((rc = store_audit(st, who, "redact", detail)) < 0)
		goto out;
	rc = store_commit(st);
out:
	sqlite3_finalize(q);
	store_rollback(st);
	free(badge);
	return rc;
}

int
redact_unmatched(struct store *st, FILE *f)
{
	sqlite3_stmt *q = NULL;
	int rc, n = 0;

	if ((rc = store_prepare(st, "SELECT 'scan', s.badge_id, count(*),"
	    " datetime(min(s.wall_ns) / 1000000000, 'unixepoch'),"
	    " group_concat(DISTINCT coalesce(s.session_uid, '(between sessions)')),"
	    " group_concat(DISTINCT s.device_id)"
	    " FROM scans s LEFT JOIN registrations r ON r.badge_id = s.badge_id"
	    " WHERE r.badge_id IS NULL GROUP BY s.badge_id"
	    " UNION ALL"
	    " SELECT 'remote', ra.badge_id || CASE WHEN ra.email <> '' THEN"
	    "  ' <' || ra.email || '>' ELSE '' END, count(*),"
	    " datetime(min(ra.join_time), 'unixepoch'),"
	    " group_concat(DISTINCT ra.session_uid), ''"
	    " FROM remote_attendance ra WHERE NOT EXISTS (SELECT 1 FROM"
	    "  registrations r WHERE (ra.badge_id <> '' AND r.badge_id = ra.badge_id)"
	    "  OR (ra.badge_id = '' AND lower(r.email) = lower(ra.email)))"
	    " GROUP BY ra.badge_id, ra.email ORDER BY 1, 2", &q)) < 0)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n++ == 0)
			fprintf(f, "kind\tbadge\tcount\tfirst (UTC)\tsessions\tdevices\n");
		fprintf(f, "%s\t%s\t%d\t%s\t%s\t%s\n", sqlite3_column_text(q, 0),
		    sqlite3_column_text(q, 1), sqlite3_column_int(q, 2),
		    sqlite3_column_text(q, 3), sqlite3_column_text(q, 4),
		    sqlite3_column_text(q, 5));
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? n : -EIO;
}
