#include "privacy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The column list below is the whole of what leaves the registrations table
 * for publication.  Redacted people are filtered here, in SQL, so no caller
 * can forget it.
 */
#define PRIV_COLS "r.first_name, r.last_name, r.organization, r.country_code," \
	" r.profile_url, r.onsite"
#define PRIV_NOT_REDACTED "NOT EXISTS (SELECT 1 FROM redactions d" \
	" WHERE d.badge_id = r.badge_id)"
#define PRIV_ORDER " ORDER BY r.last_name, r.first_name, r.organization," \
	" r.badge_id"

static const char priv_session_sql[] =
	"WITH att(badge_id, local, jt) AS ("
	"  SELECT badge_id, 1, min(wall_ns) / 1000000000 FROM scans"
	"   WHERE session_uid = ?1 GROUP BY badge_id"
	"  UNION ALL"
	/* A scan made while the box had no session open ("between sessions")
	 * belongs, by its time, to the session of the box's room that starts
	 * within the next 30 minutes or is under way; never to two sessions:
	 * a later session whose window also covers it wins. */
	"  SELECT sc.badge_id, 1, min(sc.wall_ns) / 1000000000 FROM scans sc"
	"   JOIN devices dv ON dv.id = sc.device_id"
	"   JOIN sessions se ON se.uid = ?1 AND se.room = dv.room"
	"   WHERE sc.session_uid IS NULL"
	"     AND sc.wall_ns >= (se.start_utc - 1800) * 1000000000"
	"     AND sc.wall_ns < se.end_utc * 1000000000"
	"     AND NOT EXISTS (SELECT 1 FROM sessions s2 WHERE s2.room = se.room"
	"       AND s2.start_utc > se.start_utc"
	"       AND sc.wall_ns >= (s2.start_utc - 1800) * 1000000000)"
	"   GROUP BY sc.badge_id"
	"  UNION ALL"
	/* Remote attendees by badge id, or without one by e-mail (any case).
	 * Two lookups, not one join on "A OR B": that made SQLite walk every
	 * registration for every session. */
	"  SELECT r.badge_id, 0, min(ra.join_time) FROM remote_attendance ra"
	"   JOIN registrations r ON r.badge_id = ra.badge_id"
	"   WHERE ra.session_uid = ?1 AND ra.badge_id <> '' GROUP BY r.badge_id"
	"  UNION ALL"
	"  SELECT r.badge_id, 0, min(ra.join_time) FROM remote_attendance ra"
	"   JOIN registrations r ON lower(r.email) = lower(ra.email)"
	"   WHERE ra.session_uid = ?1 AND ra.badge_id = '' AND ra.email <> ''"
	"   GROUP BY r.badge_id),"
	" per(badge_id, local, jt) AS ("
	"  SELECT badge_id, max(local), min(jt) FROM att GROUP BY badge_id)"
	" SELECT " PRIV_COLS ", per.local, r.dt_user_id, per.jt"
	" FROM per JOIN registrations r ON r.badge_id = per.badge_id"
	" WHERE " PRIV_NOT_REDACTED PRIV_ORDER;

static const char priv_meeting_sql[] =
	"SELECT " PRIV_COLS ", r.onsite, NULL, 0 FROM registrations r"
	" WHERE " PRIV_NOT_REDACTED PRIV_ORDER;

static char *
priv_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);

	return strdup(s ? (const char *)s : "");
}

static int
priv_query(struct store *st, const char *sql, const char *uid,
    struct privacy_list *out)
{
	struct privacy_attendee *a, *na;
	sqlite3_stmt *q = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_prepare(st, sql, &q)) < 0)
		return rc;
	if (uid)
		sqlite3_bind_text(q, 1, uid, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 32;
			na = realloc(out->a, (size_t)out->cap * sizeof *na);
			if (!na) {
				rc = -ENOMEM;
				goto out;
			}
			out->a = na;
		}
		a = &out->a[out->n++];
		memset(a, 0, sizeof *a);
		a->first_name = priv_dup(q, 0);
		a->last_name = priv_dup(q, 1);
		a->organization = priv_dup(q, 2);
		a->country_code = priv_dup(q, 3);
		a->profile_url = priv_dup(q, 4);
		a->onsite = sqlite3_column_int(q, 5);
		a->local = sqlite3_column_int(q, 6);
		a->dt_user_id = sqlite3_column_int64(q, 7);
		a->join_time = sqlite3_column_int64(q, 8);
		if (!a->first_name || !a->last_name || !a->organization ||
		    !a->country_code || !a->profile_url) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : -EIO;
out:
	sqlite3_finalize(q);
	if (rc < 0)
		privacy_list_free(out);
	return rc;
}

int
privacy_session_attendees(struct store *st, const char *uid,
    struct privacy_list *out)
{
	return priv_query(st, priv_session_sql, uid, out);
}

int
privacy_meeting_attendees(struct store *st, struct privacy_list *out)
{
	return priv_query(st, priv_meeting_sql, NULL, out);
}

void
privacy_list_free(struct privacy_list *l)
{
	int i;

	for (i = 0; i < l->n; i++) {
		free(l->a[i].first_name);
		free(l->a[i].last_name);
		free(l->a[i].organization);
		free(l->a[i].country_code);
		free(l->a[i].profile_url);
	}
	free(l->a);
	memset(l, 0, sizeof *l);
}

int
privacy_count(const struct privacy_policy *p, int count, char *buf, size_t len)
{
	int min = p->min_group > 0 ? p->min_group : PRIVACY_MIN_GROUP_DEFAULT;

	if (count > 0 && count < min) {
		snprintf(buf, len, "fewer than %d", min);
		return 0;
	}
	snprintf(buf, len, "%d", count);
	return 1;
}

char *
privacy_display_name(const struct privacy_attendee *a)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s%s", a->first_name,
	    *a->first_name && *a->last_name ? " " : "", a->last_name) < 0)
		return NULL;
	return s;
}
