/*
 * Agenda import: the datatracker's agenda.ics through libical, or our
 * agenda.json through jansson (docs/host-publishing.md has both shapes).
 * Both are parsed into one list, checked, and written in one transaction.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <libical/ical.h>

#include "csvfile.h"
#include "import.h"
#include "import_int.h"
#include "minisign.h"

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
		return import_fail(err, errlen, "%s:1: no sessions in the agenda", path);
	qsort(a->s, (size_t)a->n, sizeof a->s[0], imp_uid_cmp);
	for (i = 1; i < a->n; i++)
		if (strcmp(a->s[i].uid, a->s[i - 1].uid) == 0)
			return import_fail(err, errlen, "%s:%d: duplicate UID %s",
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
		return import_fail(err, errlen, "%s:%d: VEVENT without UID", path, line);
	if ((why = imp_check_uid(a, uid)))
		return import_fail(err, errlen, "%s:%d: %s: %s", path, line, uid, why);
	s->uid = strdup(uid);
	if (!sum || !import_text_ok(sum, 512) ||
	    imp_split_summary(sum, &s->acronym, &s->name) < 0)
		return import_fail(err, errlen, "%s:%d: %s: SUMMARY must be "
		    "\"acronym - name\"", path, line, uid);
	if (!loc || !import_text_ok(loc, 200))
		return import_fail(err, errlen, "%s:%d: %s: LOCATION (the room) is "
		    "missing or not one line of text", path, line, uid);
	s->room = strdup(loc);
	if (imp_ics_time(ev, ICAL_DTSTART_PROPERTY, &s->start, &why) < 0)
		return import_fail(err, errlen, "%s:%d: %s: DTSTART %s", path, line,
		    uid, why);
	if (imp_ics_time(ev, ICAL_DTEND_PROPERTY, &s->end, &why) < 0)
		return import_fail(err, errlen, "%s:%d: %s: DTEND %s", path, line,
		    uid, why);
	if (s->end <= s->start)
		return import_fail(err, errlen, "%s:%d: %s: DTEND is not after DTSTART",
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
	if ((i = csvfile_utf8_bad_line((char *)text, len))) {
		rc = import_fail(err, errlen, "%s:%d: not valid UTF-8", path, i);
		i = 0;
		goto out;
	}
	if (strncasecmp((char *)text, "BEGIN:VCALENDAR", 15) != 0) {
		rc = import_fail(err, errlen, "%s:1: not an iCalendar file "
		    "(expected BEGIN:VCALENDAR)", path);
		goto out;
	}
	lines = imp_vevent_lines((char *)text, &nlines);
	root = icalparser_parse_string((char *)text);
	if (!root) {
		rc = import_fail(err, errlen, "%s:1: iCalendar syntax error", path);
		goto out;
	}
	cal = icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT ? root :
	    icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
	if (!cal) {
		rc = import_fail(err, errlen, "%s:1: no VCALENDAR", path);
		goto out;
	}
	for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	    ev; ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), i++) {
		int line = i < nlines ? lines[i] : 1;
		/* libical records what it could not parse as X-LIC-ERROR. */
		xerr = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
		if (xerr) {
			rc = import_fail(err, errlen, "%s:%d: %s", path, line,
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
	if (!json_is_string(v) || !import_text_ok(json_string_value(v), max))
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
		return import_fail(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
	list = json_object_get(root, "sessions");
	if (!json_is_object(root) || !json_is_array(list)) {
		rc = import_fail(err, errlen, "%s:1: expected an object with a "
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
			rc = import_fail(err, errlen, "%s: sessions[%zu]%s%s: %s", path,
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

