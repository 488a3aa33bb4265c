#include "import.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "csvfile.h"
#include "import_int.h"
#include "minisign.h"

int
import_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A single line of printable UTF-8 text, 1..max bytes. */
int
import_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || !csvfile_utf8_ok(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ---------------------------------------------------------------- times */

static int
imp_digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
import_parse_rfc3339(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm;
	int y, mo, d, h, mi, sec, oh, om, sign;
	const char *p;
	time_t t;

	if (strlen(s) < 20 || imp_digits(s, 4, &y) || s[4] != '-' ||
	    imp_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    imp_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    imp_digits(s + 11, 2, &h) || s[13] != ':' ||
	    imp_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    imp_digits(s + 17, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -EINVAL;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
		sign = 1;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    !imp_digits(p + 1, 2, &oh) && p[3] == ':' &&
	    !imp_digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
		sign = *p == '-' ? -1 : 1;
	} else {
		return -EINVAL;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;
	t = timegm(&tm);
	*out = (int64_t)t - sign * (oh * 3600 + om * 60);
	return 0;
}

/* -------------------------------------------------------- registrations */

/* Badge ids are what the scanners read: printable ASCII, no blanks. */
static int
imp_badge_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] <= 0x20 || b[i] >= 0x7f)
			return 0;
	return 1;
}

static int
imp_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* One line of text without control characters, may be empty. */
static int
imp_field_ok(const char *s, size_t max)
{
	return *s == '\0' || import_text_ok(s, max);
}

static int
imp_url_ok(const char *u)
{
	size_t i;

	if (*u == '\0')
		return 1;
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		return 0;
	for (i = 0; u[i]; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f || u[i] == '"' ||
		    u[i] == '<' || u[i] == '>' || u[i] == '\\')
			return 0;
	return i <= 512;
}

struct imp_reg {
	struct store_registration r;
	int line;
};

static int
imp_reg_cmp(const void *x, const void *y)
{
	const struct imp_reg *a = x, *b = y;

	return strcmp(a->r.badge_id, b->r.badge_id);
}

static const char *const imp_reg_cols[] = {
	"badge_id", "first_name", "last_name", "organization", "country_code",
	"profile_url", "registration_type", "email", "under_13",
	"datatracker_user_id",
};
enum { C_BADGE, C_FIRST, C_LAST, C_ORG, C_CC, C_URL, C_TYPE, C_EMAIL, C_U13,
	C_DTID, C_N };
/* Columns that must be in the header. */
static const int imp_reg_required[] = { C_BADGE, C_FIRST, C_LAST, C_TYPE, C_U13 };

/*
 * Quoted CSV fields may span lines or hold tabs; names and organizations are
 * one line on every page and tabs separate the datatracker's text form, so
 * runs of blanks, tabs and line breaks become one space.
 */
static void
imp_squash_blanks(char *s)
{
	char *w = s, *r = s;
	int blank = 0;

	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n') {
			blank = 1;
			continue;
		}
		if (blank && w != s)
			*w++ = ' ';
		blank = 0;
		*w++ = *r;
	}
	*w = '\0';
}

static const char *
imp_reg_row(const struct csvfile *cf, int r, const int *col,
    struct store_registration *g, char *cc)
{
	const char *v, *t;
	char *endp;
	long long id;
	int i;

	for (i = C_FIRST; i <= C_ORG; i++)
		if (col[i] >= 0 && col[i] < cf->rows[r].nfields)
			imp_squash_blanks(cf->rows[r].fields[col[i]]);

	g->badge_id = csvfile_get(cf, r, col[C_BADGE]);
	g->first_name = csvfile_get(cf, r, col[C_FIRST]);
	g->last_name = csvfile_get(cf, r, col[C_LAST]);
	g->organization = csvfile_get(cf, r, col[C_ORG]);
	g->profile_url = csvfile_get(cf, r, col[C_URL]);
	g->email = csvfile_get(cf, r, col[C_EMAIL]);
	if (!imp_badge_ok(g->badge_id))
		return "badge_id must be 1-64 printable ASCII characters, no blanks";
	if (!imp_field_ok(g->first_name, 200) || !imp_field_ok(g->last_name, 200))
		return "first_name/last_name must be one line of text (max 200 bytes)";
	if (!*g->first_name && !*g->last_name)
		return "both first_name and last_name are empty";
	if (!imp_field_ok(g->organization, 300))
		return "organization must be one line of text (max 300 bytes)";
	v = csvfile_get(cf, r, col[C_CC]);
	if (*v && !(strlen(v) == 2 && isalpha((unsigned char)v[0]) &&
	    isalpha((unsigned char)v[1])))
		return "country_code must be an ISO 3166-1 alpha-2 code (two letters)";
	cc[0] = (char)toupper((unsigned char)v[0]);
	cc[1] = *v ? (char)toupper((unsigned char)v[1]) : '\0';
	cc[2] = '\0';
	g->country_code = cc;
	if (!imp_url_ok(g->profile_url))
		return "profile_url must be an http(s) URL without blanks or quotes";
	t = csvfile_get(cf, r, col[C_TYPE]);
	if (strcasecmp(t, "onsite") == 0)
		g->onsite = 1;
	else if (strcasecmp(t, "remote") == 0)
		g->onsite = 0;
	else
		return "registration_type must be onsite or remote";
	if (*g->email && (!imp_field_ok(g->email, 254) || !strchr(g->email, '@')))
		return "email must be an address with an @";
	if (imp_bool(csvfile_get(cf, r, col[C_U13]), &g->under_13) < 0)
		return "under_13 must be yes, no, true, false, 1 or 0";
	v = csvfile_get(cf, r, col[C_DTID]);
	g->dt_user_id = 0;
	if (*v) {
		errno = 0;
		id = strtoll(v, &endp, 10);
		if (errno || *endp || id <= 0 || !isdigit((unsigned char)*v))
			return "datatracker_user_id must be a positive integer";
		g->dt_user_id = id;
	}
	return NULL;
}

int
import_registrations(struct store *st, const char *path, char *err,
    size_t errlen)
{
	struct csvfile cf;
	struct imp_reg *regs = NULL;
	char (*cc)[3] = NULL;
	int col[C_N], i, n = 0, rc;
	const char *why;

	rc = csvfile_load(path, &cf, err, errlen);
	if (rc < 0)
		return rc;
	for (i = 0; i < C_N; i++)
		col[i] = csvfile_column(&cf, imp_reg_cols[i]);
	for (i = 0; i < (int)(sizeof imp_reg_required / sizeof(int)); i++)
		if (col[imp_reg_required[i]] < 0) {
			rc = import_fail(err, errlen, "%s:%d: header has no %s column",
			    path, cf.rows[0].line, imp_reg_cols[imp_reg_required[i]]);
			goto out;
		}
	regs = calloc((size_t)cf.nrows, sizeof *regs);
	cc = calloc((size_t)cf.nrows, sizeof *cc);
	if (!regs || !cc) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 1; i < cf.nrows; i++) {
		/* A row that is one empty field is a blank line: skip it. */
		if (cf.rows[i].nfields == 1 && !*cf.rows[i].fields[0])
			continue;
		if ((why = imp_reg_row(&cf, i, col, &regs[n].r, cc[n]))) {
			rc = import_fail(err, errlen, "%s:%d: %s", path,
			    cf.rows[i].line, why);
			goto out;
		}
		regs[n++].line = cf.rows[i].line;
	}
	qsort(regs, (size_t)n, sizeof *regs, imp_reg_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(regs[i].r.badge_id, regs[i - 1].r.badge_id) == 0) {
			rc = import_fail(err, errlen, "%s:%d: badge_id %s already on "
			    "line %d", path, regs[i].line > regs[i - 1].line ?
			    regs[i].line : regs[i - 1].line, regs[i].r.badge_id,
			    regs[i].line > regs[i - 1].line ? regs[i - 1].line :
			    regs[i].line);
			goto out;
		}
	/* Valid: replace the registration list in one transaction. */
	if ((rc = store_begin(st)) < 0 ||
	    (rc = store_exec(st, "DELETE FROM registrations")) < 0)
		goto dbfail;
	for (i = 0; i < n; i++)
		if ((rc = store_put_registration(st, &regs[i].r)) < 0)
			goto dbfail;
	if ((rc = store_audit(st, "notewell", "import registrations", path)) < 0 ||
	    (rc = store_commit(st)) < 0)
		goto dbfail;
	goto out;
dbfail:
	store_rollback(st);
	snprintf(err, errlen, "%s: store error, nothing imported", path);
out:
	free(regs);
	free(cc);
	csvfile_free(&cf);
	return rc;
}

/* ---------------------------------------------------- remote attendance */

static int
imp_session_exists(struct store *st, const char *uid)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT 1 FROM sessions WHERE uid = ?", &q)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, uid, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return rc;
}

int
import_remote(struct store *st, const char *path, char *err, size_t errlen)
{
	struct csvfile cf;
	sqlite3_stmt *q = NULL;
	int64_t *when = NULL;
	int cs, cb, ce, cj, i, rc, ex;
	const char *uid, *badge, *email;

	rc = csvfile_load(path, &cf, err, errlen);
	if (rc < 0)
		return rc;
	cs = csvfile_column(&cf, "session_uid");
	cb = csvfile_column(&cf, "badge_id");
	ce = csvfile_column(&cf, "email");
	cj = csvfile_column(&cf, "join_time");
	if (cs < 0 || cj < 0 || (cb < 0 && ce < 0)) {
		rc = import_fail(err, errlen, "%s:%d: header needs session_uid, "
		    "join_time and badge_id or email", path, cf.rows[0].line);
		goto out;
	}
	when = calloc((size_t)cf.nrows, sizeof *when);
	if (!when) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 1; i < cf.nrows; i++) {
		if (cf.rows[i].nfields == 1 && !*cf.rows[i].fields[0])
			continue;
		uid = csvfile_get(&cf, i, cs);
		badge = csvfile_get(&cf, i, cb);
		email = csvfile_get(&cf, i, ce);
		ex = imp_session_exists(st, uid);
		if (ex < 0) {
			rc = ex;
			goto out;
		}
		if (!ex) {
			rc = import_fail(err, errlen, "%s:%d: session_uid \"%s\" is not "
			    "in the agenda (import the agenda first)", path,
			    cf.rows[i].line, uid);
			goto out;
		}
		if (*badge ? !imp_badge_ok(badge) : !*email) {
			rc = import_fail(err, errlen, "%s:%d: needs a valid badge_id or "
			    "an email", path, cf.rows[i].line);
			goto out;
		}
		if (*email && (!imp_field_ok(email, 254) || !strchr(email, '@'))) {
			rc = import_fail(err, errlen, "%s:%d: email must be an address "
			    "with an @", path, cf.rows[i].line);
			goto out;
		}
		if (import_parse_rfc3339(csvfile_get(&cf, i, cj), &when[i]) < 0) {
			rc = import_fail(err, errlen, "%s:%d: join_time must be RFC 3339 "
			    "with an offset, like 2026-07-20T09:31:00+02:00", path,
			    cf.rows[i].line);
			goto out;
		}
	}
	if ((rc = store_begin(st)) < 0 ||
	    (rc = store_exec(st, "DELETE FROM remote_attendance")) < 0 ||
	    /* Purged under-13 badges never come back through this door. */
	    (rc = store_prepare(st, "INSERT INTO remote_attendance(session_uid,"
	    " badge_id, email, join_time) SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS"
	    " (SELECT 1 FROM purged_badges WHERE badge_id = ?2) AND NOT EXISTS"
	    " (SELECT 1 FROM purged_emails WHERE ?3 <> '' AND"
	    "  sha256 = nw_sha256(lower(?3)))"
	    " ON CONFLICT DO UPDATE SET join_time = min(join_time,"
	    " excluded.join_time)", &q)) < 0)
		goto dbfail;
	for (i = 1; i < cf.nrows; i++) {
		if (cf.rows[i].nfields == 1 && !*cf.rows[i].fields[0])
			continue;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, csvfile_get(&cf, i, cs), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, csvfile_get(&cf, i, cb), -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, csvfile_get(&cf, i, ce), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, when[i]);
		if ((rc = store_step_done(st, q)) < 0)
			goto dbfail;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = store_audit(st, "notewell", "import remote", path)) < 0 ||
	    (rc = store_commit(st)) < 0)
		goto dbfail;
	goto out;
dbfail:
	sqlite3_finalize(q);
	q = NULL;
	store_rollback(st);
	snprintf(err, errlen, "%s: store error, nothing imported", path);
out:
	sqlite3_finalize(q);
	free(when);
	csvfile_free(&cf);
	return rc;
}
