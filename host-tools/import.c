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
#include <libical/ical.h>

#include "csvfile.h"
#include "minisign.h"

static int
imp_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
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

/* --------------------------------------------------------------- agenda */

struct imp_session {
	char *uid, *acronym, *name, *room;
	int64_t start, end, dt_id;
	int public_;
	int line;
};

struct imp_agenda {
	struct imp_session *s;
	int n, cap;
	char meeting[32];
};

static void
imp_agenda_free(struct imp_agenda *a)
{
	int i;

	for (i = 0; i < a->n; i++) {
		free(a->s[i].uid);
		free(a->s[i].acronym);
		free(a->s[i].name);
		free(a->s[i].room);
	}
	free(a->s);
	memset(a, 0, sizeof *a);
}

static struct imp_session *
imp_agenda_add(struct imp_agenda *a)
{
	struct imp_session *ns;

	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		ns = realloc(a->s, (size_t)a->cap * sizeof *ns);
		if (!ns)
			return NULL;
		a->s = ns;
	}
	memset(&a->s[a->n], 0, sizeof a->s[0]);
	return &a->s[a->n++];
}

/* A single line of printable UTF-8 text, 1..max bytes. */
static int
imp_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || !csvfile_utf8_ok(s, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Checks a session UID (ietf-<meeting>-<timeslot>-<acronym>) and the
 * meeting it names against the rest of the agenda.
 */
static const char *
imp_check_uid(struct imp_agenda *a, const char *uid)
{
	const char *p = uid, *m;
	size_t mlen;

	if (strncmp(p, "ietf-", 5) != 0)
		return "UID must look like ietf-<meeting>-<timeslot>-<acronym>";
	m = p += 5;
	while (isdigit((unsigned char)*p))
		p++;
	mlen = (size_t)(p - m);
	if (mlen == 0 || mlen >= sizeof a->meeting || *p != '-')
		return "UID must look like ietf-<meeting>-<timeslot>-<acronym>";
	for (p++; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return "UID has characters other than letters, digits, '-', '_', '.'";
	if (strlen(uid) > 128)
		return "UID longer than 128 bytes";
	if (a->meeting[0] == '\0')
		memcpy(a->meeting, m, mlen);
	else if (strlen(a->meeting) != mlen || memcmp(a->meeting, m, mlen) != 0)
		return "UID names a different meeting than the first session";
	return NULL;
}

static int
imp_uid_cmp(const void *x, const void *y)
{
	const struct imp_session *a = x, *b = y;

	return strcmp(a->uid, b->uid);
}

/* Checks what both agenda formats share, then writes it all at once. */
static int
imp_agenda_commit(struct store *st, struct imp_agenda *a, const char *path,
    char *err, size_t errlen)
{
	struct store_session s;
	int i, rc;

	if (a->n == 0)
		return imp_fail(err, errlen, "%s:1: no sessions in the agenda", path);
	qsort(a->s, (size_t)a->n, sizeof a->s[0], imp_uid_cmp);
	for (i = 1; i < a->n; i++)
		if (strcmp(a->s[i].uid, a->s[i - 1].uid) == 0)
			return imp_fail(err, errlen, "%s:%d: duplicate UID %s",
			    path, a->s[i].line > a->s[i - 1].line ? a->s[i].line :
			    a->s[i - 1].line, a->s[i].uid);
	if ((rc = store_begin(st)) < 0)
		goto fail;
	if ((rc = store_set_meeting(st, a->meeting)) < 0)
		goto fail;
	for (i = 0; i < a->n; i++) {
		s.uid = a->s[i].uid;
		s.acronym = a->s[i].acronym;
		s.name = a->s[i].name;
		s.room = a->s[i].room;
		s.start_utc = a->s[i].start;
		s.end_utc = a->s[i].end;
		s.public_ = a->s[i].public_;
		s.dt_session_id = a->s[i].dt_id;
		if ((rc = store_put_session(st, &s)) < 0)
			goto fail;
	}
	if ((rc = store_audit(st, "notewell", "import agenda", path)) < 0 ||
	    (rc = store_commit(st)) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	snprintf(err, errlen, "%s: store error, nothing imported", path);
	return rc;
}

/* Line numbers of each BEGIN:VEVENT, in order, for error messages. */
static int *
imp_vevent_lines(const char *text, int *n)
{
	int *lines = NULL, *nl, cap = 0, line = 1;
	const char *p = text;

	*n = 0;
	for (; *p; line++) {
		if (strncasecmp(p, "BEGIN:VEVENT", 12) == 0) {
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				nl = realloc(lines, (size_t)cap * sizeof *nl);
				if (!nl)
					break;
				lines = nl;
			}
			lines[(*n)++] = line;
		}
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return lines;
}

static int
imp_ics_time(icalcomponent *ev, icalproperty_kind kind, int64_t *out,
    const char **why)
{
	icalproperty *prop = icalcomponent_get_first_property(ev, kind);
	icalparameter *tzp;
	struct icaltimetype t;

	if (!prop) {
		*why = "missing";
		return -1;
	}
	t = kind == ICAL_DTSTART_PROPERTY ? icalcomponent_get_dtstart(ev) :
	    icalcomponent_get_dtend(ev);
	if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) {
		*why = "not a valid date-time";
		return -1;
	}
	if (icaltime_is_date(t)) {
		*why = "is a date without a time";
		return -1;
	}
	tzp = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
	if (!icaltime_is_utc(t) && !t.zone) {
		/* libical resolves a TZID from the file's VTIMEZONEs or the
		 * system zoneinfo; if neither knows it we must not guess. */
		*why = tzp ? "has a TZID that is neither in the file's VTIMEZONEs"
		    " nor a known zoneinfo name" : "is a floating time (no TZID, not UTC)";
		return -1;
	}
	*out = (int64_t)icaltime_as_timet_with_zone(t, t.zone ? t.zone :
	    icaltimezone_get_utc_timezone());
	return 0;
}

/* Splits "acronym - name" into a fresh pair. */
static int
imp_split_summary(const char *sum, char **acr, char **name)
{
	const char *dash = strstr(sum, " - ");
	size_t n;

	if (!dash || dash == sum || !dash[3])
		return -1;
	n = (size_t)(dash - sum);
	*acr = strndup(sum, n);
	*name = strdup(dash + 3);
	return *acr && *name ? 0 : -1;
}

static int
imp_ics_event(struct imp_agenda *a, icalcomponent *ev, int line,
    const char *path, char *err, size_t errlen)
{
	struct imp_session *s;
	const char *uid, *sum, *loc, *why, *cls;
	icalproperty *p;

	s = imp_agenda_add(a);
	if (!s)
		return -ENOMEM;
	s->line = line;
	uid = icalcomponent_get_uid(ev);
	sum = icalcomponent_get_summary(ev);
	loc = icalcomponent_get_location(ev);
	if (!uid || !*uid)
		return imp_fail(err, errlen, "%s:%d: VEVENT without UID", path, line);
	if ((why = imp_check_uid(a, uid)))
		return imp_fail(err, errlen, "%s:%d: %s: %s", path, line, uid, why);
	s->uid = strdup(uid);
	if (!sum || !imp_text_ok(sum, 512) ||
	    imp_split_summary(sum, &s->acronym, &s->name) < 0)
		return imp_fail(err, errlen, "%s:%d: %s: SUMMARY must be "
		    "\"acronym - name\"", path, line, uid);
	if (!loc || !imp_text_ok(loc, 200))
		return imp_fail(err, errlen, "%s:%d: %s: LOCATION (the room) is "
		    "missing or not one line of text", path, line, uid);
	s->room = strdup(loc);
	if (imp_ics_time(ev, ICAL_DTSTART_PROPERTY, &s->start, &why) < 0)
		return imp_fail(err, errlen, "%s:%d: %s: DTSTART %s", path, line,
		    uid, why);
	if (imp_ics_time(ev, ICAL_DTEND_PROPERTY, &s->end, &why) < 0)
		return imp_fail(err, errlen, "%s:%d: %s: DTEND %s", path, line,
		    uid, why);
	if (s->end <= s->start)
		return imp_fail(err, errlen, "%s:%d: %s: DTEND is not after DTSTART",
		    path, line, uid);
	/* CLASS:PRIVATE or CONFIDENTIAL marks a closed session. */
	s->public_ = 1;
	p = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY);
	if (p && (cls = icalproperty_get_value_as_string(p)) &&
	    (strcasecmp(cls, "PRIVATE") == 0 || strcasecmp(cls, "CONFIDENTIAL") == 0))
		s->public_ = 0;
	if (!s->uid || !s->room)
		return -ENOMEM;
	return 0;
}

int
import_agenda_ics(struct store *st, const char *path, char *err, size_t errlen)
{
	struct imp_agenda a;
	icalcomponent *root = NULL, *ev, *cal;
	icalproperty *xerr;
	uint8_t *text = NULL;
	int *lines = NULL, nlines = 0, i = 0, rc;
	size_t len;

	memset(&a, 0, sizeof a);
	rc = minisign_read_file(path, &text, &len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!csvfile_utf8_ok((char *)text, len)) {
		rc = imp_fail(err, errlen, "%s:1: not valid UTF-8", path);
		goto out;
	}
	if (strncasecmp((char *)text, "BEGIN:VCALENDAR", 15) != 0) {
		rc = imp_fail(err, errlen, "%s:1: not an iCalendar file "
		    "(expected BEGIN:VCALENDAR)", path);
		goto out;
	}
	lines = imp_vevent_lines((char *)text, &nlines);
	root = icalparser_parse_string((char *)text);
	if (!root) {
		rc = imp_fail(err, errlen, "%s:1: iCalendar syntax error", path);
		goto out;
	}
	cal = icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT ? root :
	    icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
	if (!cal) {
		rc = imp_fail(err, errlen, "%s:1: no VCALENDAR", path);
		goto out;
	}
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	    ev; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), i++) {
		int line = i < nlines ? lines[i] : 1;
		/* libical records what it could not parse as X-LIC-ERROR. */
		xerr = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
		if (xerr) {
			rc = imp_fail(err, errlen, "%s:%d: %s", path, line,
			    icalproperty_get_xlicerror(xerr));
			goto out;
		}
		rc = imp_ics_event(&a, ev, line, path, err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = imp_agenda_commit(st, &a, path, err, errlen);
out:
	if (root)
		icalcomponent_free(root);
	imp_agenda_free(&a);
	free(lines);
	free(text);
	return rc;
}

static const char *
imp_json_str(json_t *o, const char *key, size_t max, int required, char **out)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		if (!required)
			return NULL;
		return "is missing";
	}
	if (!json_is_string(v) || !imp_text_ok(json_string_value(v), max))
		return "must be a non-empty one-line string";
	*out = strdup(json_string_value(v));
	return NULL;
}

int
import_agenda_json(struct store *st, const char *path, char *err, size_t errlen)
{
	struct imp_agenda a;
	struct imp_session *s;
	json_error_t jerr;
	json_t *root = NULL, *list, *o, *v;
	char *start = NULL, *end = NULL;
	const char *why, *key;
	size_t i;
	int rc = 0;

	memset(&a, 0, sizeof a);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return imp_fail(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
	list = json_object_get(root, "sessions");
	if (!json_is_object(root) || !json_is_array(list)) {
		rc = imp_fail(err, errlen, "%s:1: expected an object with a "
		    "\"sessions\" array", path);
		goto out;
	}
	json_array_foreach(list, i, o) {
		free(start);
		free(end);
		start = end = NULL;
		s = imp_agenda_add(&a);
		if (!s) {
			rc = -ENOMEM;
			goto out;
		}
		s->line = (int)i;
		key = "";
		if (!json_is_object(o)) {
			why = "must be an object";
		} else if ((why = imp_json_str(o, key = "uid", 128, 1, &s->uid)) ||
		    (why = imp_check_uid(&a, s->uid)) ||
		    (why = imp_json_str(o, key = "acronym", 64, 1, &s->acronym)) ||
		    (why = imp_json_str(o, key = "name", 512, 1, &s->name)) ||
		    (why = imp_json_str(o, key = "room", 200, 1, &s->room)) ||
		    (why = imp_json_str(o, key = "start", 64, 1, &start)) ||
		    (why = imp_json_str(o, key = "end", 64, 1, &end))) {
			/* reported below */
		} else if (import_parse_rfc3339(start, &s->start) < 0) {
			key = "start";
			why = "must be an RFC 3339 time with offset";
		} else if (import_parse_rfc3339(end, &s->end) < 0) {
			key = "end";
			why = "must be an RFC 3339 time with offset";
		} else if (s->end <= s->start) {
			key = "end";
			why = "is not after start";
		}
		s->public_ = 1;
		if (!why && (v = json_object_get(o, key = "public"))) {
			if (!json_is_boolean(v))
				why = "must be true or false";
			else
				s->public_ = json_is_true(v);
		}
		if (!why && (v = json_object_get(o, key = "session_id"))) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				why = "must be a positive integer";
			else
				s->dt_id = json_integer_value(v);
		}
		if (why) {
			rc = imp_fail(err, errlen, "%s: sessions[%zu]%s%s: %s", path,
			    i, *key ? "." : "", key, why);
			goto out;
		}
	}
	rc = imp_agenda_commit(st, &a, path, err, errlen);
out:
	free(start);
	free(end);
	json_decref(root);
	imp_agenda_free(&a);
	return rc;
}

int
import_agenda(struct store *st, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (n >= 5 && strcasecmp(path + n - 5, ".json") == 0)
		return import_agenda_json(st, path, err, errlen);
	return import_agenda_ics(st, path, err, errlen);
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
	return *s == '\0' || imp_text_ok(s, max);
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

static const char *
imp_reg_row(const struct csvfile *cf, int r, const int *col,
    struct store_registration *g, char *cc)
{
	const char *v, *t;
	char *endp;
	long long id;

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
			rc = imp_fail(err, errlen, "%s:%d: header has no %s column",
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
			rc = imp_fail(err, errlen, "%s:%d: %s", path,
			    cf.rows[i].line, why);
			goto out;
		}
		regs[n++].line = cf.rows[i].line;
	}
	qsort(regs, (size_t)n, sizeof *regs, imp_reg_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(regs[i].r.badge_id, regs[i - 1].r.badge_id) == 0) {
			rc = imp_fail(err, errlen, "%s:%d: badge_id %s already on "
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
		rc = imp_fail(err, errlen, "%s:%d: header needs session_uid, "
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
			rc = imp_fail(err, errlen, "%s:%d: session_uid \"%s\" is not "
			    "in the agenda (import the agenda first)", path,
			    cf.rows[i].line, uid);
			goto out;
		}
		if (*badge ? !imp_badge_ok(badge) : !*email) {
			rc = imp_fail(err, errlen, "%s:%d: needs a valid badge_id or "
			    "an email", path, cf.rows[i].line);
			goto out;
		}
		if (*email && (!imp_field_ok(email, 254) || !strchr(email, '@'))) {
			rc = imp_fail(err, errlen, "%s:%d: email must be an address "
			    "with an @", path, cf.rows[i].line);
			goto out;
		}
		if (import_parse_rfc3339(csvfile_get(&cf, i, cj), &when[i]) < 0) {
			rc = imp_fail(err, errlen, "%s:%d: join_time must be RFC 3339 "
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
	    " (SELECT 1 FROM purged_badges WHERE badge_id = ?2)"
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
