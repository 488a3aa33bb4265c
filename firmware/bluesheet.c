/*
 * The blue-sheet scan path. Every scan, from a USB scanner, the sim FIFO or
 * `notewellctl scan`, comes through bluesheet_scan(): validate, stamp with
 * the session and notice in force, commit, and only then acknowledge.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "badge.h"
#include "daemon.h"
#include "log.h"
#include "sync.h"
#include "syncproto.h"

/* The privacy statement in force says registration data (name and
 * affiliation) is published in the proceedings: the attendee is told so at
 * the moment they sign. */
#define SIGNED_IN_MSG "Signed in. Your name and affiliation will be published " \
	"in the proceedings blue sheet."

/* A printable, bounded copy of untrusted input for the audit log. */
static void
sanitize(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 5 < len; p++) {
		if (isprint(*p) && *p != '\\')
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", *p);
	}
	out[o] = '\0';
}

int
bluesheet_scan(struct daemon *d, const char *code, const char *source,
    char *msg, size_t msglen)
{
	struct journal_scan s = { 0 };
	char detail[512], clean[160];
	const char *why, *payload = NULL;
	enum badge_status st;
	int rc;

	/* Enrollment codes come in through the same scanner; they are the
	 * sync module's, never a scan. */
	if (syncproto_is_setup(d->cfg.setup_prefix, code))
		return sync_setup_scan(d, code, source, msg, msglen);
	nwclock_now(&d->clock, &s.at);
	st = badge_check(&d->badge, code, strlen(code), &payload);
	if (st != BADGE_VALID) {
		why = badge_strerror(st);
		sanitize(code, clean, sizeof clean);
		snprintf(detail, sizeof detail, "source=%s reason=%s code=\"%s\"", source, why, clean);
		journal_event(d->journal, "scan-rejected", detail, &s.at);
		snprintf(msg, msglen, "Not a badge (%s). Please try again.", why);
		d->scans_rejected++;
		snprintf(d->last_scan, sizeof d->last_scan, "Not a badge - try again");
		d->last_scan_ok = 0;
		d->board.ack(&d->board, 0, msg);
		return -EINVAL;
	}
	journal_nonce(s.nonce);
	s.badge = code;
	s.source = source;
	s.session_id = d->session_id;
	s.notice_id = d->notice_id[0] ? d->notice_id : NULL;
	s.notice_sha256 = d->notice_sha256[0] ? d->notice_sha256 : NULL;
	rc = journal_add_scan(d->journal, &s, NULL);
	if (rc != 0) {
		/* Not stored, so not acknowledged: the attendee must scan again. */
		log_warnx("scan from %s not stored: %s", source, strerror(-rc));
		snprintf(msg, msglen, "Could not record your scan (%s). Please tell the staff.",
		    rc == -ENOSPC ? "storage full" : "storage error");
		snprintf(d->last_scan, sizeof d->last_scan, "Scan not recorded - see staff");
		d->last_scan_ok = 0;
		d->board.ack(&d->board, 0, msg);
		return rc;
	}
	d->scans_ok++;
	snprintf(msg, msglen, "%s", SIGNED_IN_MSG);
	snprintf(d->last_scan, sizeof d->last_scan, "Signed in");
	d->last_scan_ok = 1;
	d->board.ack(&d->board, 1, msg);
	return 0;
}

static void
add_badge(void *arg, const char *badge, int scans, int64_t first_wall_ns)
{
	char when[40];

	nwtime_format(first_wall_ns, when, sizeof when);
	json_array_append_new(arg, json_pack("{s:s, s:i, s:s}", "badge", badge,
	    "scans", scans, "first_scan", when));
}

json_t *
bluesheet_list(struct daemon *d, int64_t session_id)
{
	json_t *list = json_array();
	int rc;

	if (!list)
		return NULL;
	if ((rc = journal_bluesheet(d->journal, session_id, add_badge, list)) != 0) {
		json_decref(list);
		return ctl_error("cannot read blue sheet: %s", strerror(-rc));
	}
	return json_pack("{s:b, s:I, s:i, s:o}", "ok", 1, "session_id", (json_int_t)session_id,
	    "badges", (int)json_array_size(list), "list", list);
}
