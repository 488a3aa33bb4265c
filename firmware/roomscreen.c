/*
 * The notice in force and the room screen. Everything runs in the one loop,
 * so a notice switch happens between two scans, never during one: every
 * scan and recording is stamped with exactly one version. The switch itself
 * is journalled (notice_switches, an event, and a mark in the open
 * recording at its audio position).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "canvas.h"
#include "daemon.h"
#include "display.h"
#include "font.h"
#include "level.h"
#include "log.h"
#include "notice.h"
#include "nwtime.h"
#include "recorder.h"
#include "schedule.h"
#include "screen.h"
#include "sync.h"

#ifndef NW_DEFAULT_NOTICE_DIR
#define NW_DEFAULT_NOTICE_DIR "/usr/share/notewell/notices"
#endif

struct roomscreen {
	struct notice_set notices;
	const struct notice *current;
	struct display display;
	int have_display;
	struct canvas canvas;
	struct font *font;
	struct screen_model model;
	struct screen_redraw redraw;
	/* Cached for the model: recounted only when these change. */
	int64_t counted_session;
	uint64_t counted_scans;
	unsigned signed_in;
	int enrollment;
	char enroll_payload[512];
	char enroll_text[200];
	/* The sync backlog is a journal query: asked every few seconds. */
	int64_t backlog_checked_ms;
	int backlog_alarm;
};

#define BACKLOG_CHECK_MS 5000

/* Copies src into a display field, cutting at a UTF-8 character boundary
 * when it does not fit. */
static void
fit(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void
journal_notice(struct daemon *d, const struct notice *n)
{
	sqlite3_stmt *st = NULL;
	char from[40];

	if (sqlite3_prepare_v2(journal_db(d->journal),
	    "INSERT OR IGNORE INTO notices (id, version, language, url, sha256, effective_from_ns,"
	    " screen_recording, screen_bluesheet) VALUES (?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return;
	/* The table is keyed by id alone in schema 1: the id we store is
	 * "id@version" so every version is kept. */
	snprintf(from, sizeof from, "%s", n->version);
	char key[NOTICE_ID_MAX + NOTICE_VERSION_MAX + 2];
	snprintf(key, sizeof key, "%s@%s", n->id, n->version);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, n->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->language, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, n->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, n->effective_from * 1000000000LL);
	sqlite3_bind_text(st, 7, n->screen_recording, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, n->screen_bluesheet, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
switch_notice(struct daemon *d, const struct notice *n)
{
	struct roomscreen *rs = d->screen;
	struct nw_stamp now;
	sqlite3_stmt *st = NULL;
	char detail[256];

	nwclock_now(&d->clock, &now);
	snprintf(d->notice_id, sizeof d->notice_id, "%s@%s", n->id, n->version);
	snprintf(d->notice_version, sizeof d->notice_version, "%s", n->version);
	snprintf(d->notice_sha256, sizeof d->notice_sha256, "%s", n->sha256);
	notice_qr_url(n, d->notice_url, sizeof d->notice_url);
	rs->current = n;
	screen_model_set_notice(&rs->model, n);
	if (sqlite3_prepare_v2(journal_db(d->journal),
	    "INSERT INTO notice_switches (notice_id, sha256, at_boot, at_mono_ns, at_wall_ns,"
	    " at_synced) VALUES (?,?,?,?,?,?)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->notice_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, d->notice_sha256, -1, SQLITE_STATIC);
		journal_bind_stamp(st, 3, &now);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	snprintf(detail, sizeof detail, "%s sha256=%s%s", d->notice_id, d->notice_sha256,
	    d->rec ? " (during a recording)" : "");
	journal_event(d->journal, "notice-switch", detail, &now);
	if (d->rec) {
		/* Recorded with its audio position so the file's stamp and the
		 * switch can be lined up afterwards. */
		st = NULL;
		if (sqlite3_prepare_v2(journal_db(d->journal),
		    "INSERT INTO recording_marks (recording_id, kind, position_samples, detail,"
		    " at_boot, at_mono_ns, at_wall_ns, at_synced) VALUES (?, 'notice', ?, ?, ?,?,?,?)",
		    -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, d->rec_id);
			sqlite3_bind_int64(st, 2, (int64_t)recorder_position(d->rec));
			sqlite3_bind_text(st, 3, d->notice_id, -1, SQLITE_STATIC);
			journal_bind_stamp(st, 4, &now);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
	}
	log_info("notice in force: %s", d->notice_id);
}

static int
parse_size(const char *s, int *w, int *h)
{
	char x;

	return sscanf(s, "%d%c%d", w, &x, h) == 3 && x == 'x' && *w >= 160 && *h >= 120 &&
	    *w <= 4096 && *h <= 4096 ? 0 : -EINVAL;
}

/* Adds the notices the host pushed (DIR/notices) to set. Returns the
 * number added, or -1 with err filled and set unchanged. */
static int
add_pushed(struct daemon *d, struct notice_set *set, char *err, size_t errlen)
{
	struct notice_set pushed = { 0 };
	struct notice_error nerr;
	char dir[4200], buf[512];
	struct stat sb;
	size_t before = set->n;

	snprintf(dir, sizeof dir, "%s/%s", d->dir, NOTICE_PUSHED_DIR);
	if (stat(dir, &sb) != 0 && errno == ENOENT)
		return 0;
	if (notice_set_load_dir(dir, &pushed, &nerr) != 0 ||
	    notice_set_merge(set, &pushed, dir, &nerr) != 0) {
		snprintf(err, errlen, "notices from the host: %s",
		    notice_error_format(&nerr, buf, sizeof buf));
		notice_set_free(&pushed);
		return -1;
	}
	notice_set_free(&pushed);
	return (int)(set->n - before);
}

int
roomscreen_open(struct daemon *d, char *err, size_t errlen)
{
	struct roomscreen *rs = calloc(1, sizeof *rs);
	const char *dir = d->cfg.notice_dir[0] ? d->cfg.notice_dir : NW_DEFAULT_NOTICE_DIR;
	struct notice_error nerr;
	char path[4200], buf[512], reg[300], bold[300];
	int w, h, rc;

	if (!rs)
		return -ENOMEM;
	d->screen = rs;
	screen_model_init(&rs->model);
	screen_redraw_init(&rs->redraw);
	rs->counted_session = -1;
	if (notice_set_load_dir(dir, &rs->notices, &nerr) != 0) {
		snprintf(err, errlen, "notices: %s", notice_error_format(&nerr, buf, sizeof buf));
		return -EINVAL;
	}
	/* The shipped set is the box's own and must load; what the host pushed
	 * is an addition, and a bad push must not keep the box from starting. */
	if (add_pushed(d, &rs->notices, buf, sizeof buf) < 0) {
		struct nw_stamp now;

		nwclock_now(&d->clock, &now);
		log_warnx("%s", buf);
		journal_event(d->journal, "notices-refused", buf, &now);
	}
	for (size_t i = 0; i < rs->notices.n; i++)
		journal_notice(d, &rs->notices.v[i]);
	if (strcmp(d->cfg.display, "none") == 0)
		return 0;
	snprintf(reg, sizeof reg, "%s/DejaVuSans.ttf", d->cfg.font_dir);
	snprintf(bold, sizeof bold, "%s/DejaVuSans-Bold.ttf", d->cfg.font_dir);
	if ((rc = font_open(&rs->font, reg, bold)) != 0) {
		snprintf(err, errlen, "font %s: %s", reg, strerror(-rc));
		return rc;
	}
	if (strcmp(d->cfg.display, "fb") == 0) {
		rc = display_fb_open(&rs->display, d->cfg.fb_device);
		if (rc != 0) {
			/* A box without a screen still records and scans. */
			log_warnx("framebuffer %s: %s; running without a screen",
			    d->cfg.fb_device, strerror(-rc));
			return 0;
		}
	} else {
		if (parse_size(d->cfg.display_size, &w, &h) != 0) {
			snprintf(err, errlen, "display_size '%s' is not WIDTHxHEIGHT", d->cfg.display_size);
			return -EINVAL;
		}
		snprintf(path, sizeof path, "%s/screen.png", d->dir);
		if ((rc = display_png_open(&rs->display, path, w, h)) != 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			return rc;
		}
	}
	rs->have_display = 1;
	if ((rc = canvas_init(&rs->canvas, rs->display.w, rs->display.h)) != 0) {
		snprintf(err, errlen, "screen canvas: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

void
roomscreen_close(struct roomscreen *rs)
{
	if (!rs)
		return;
	if (rs->have_display) {
		display_close(&rs->display);
		canvas_free(&rs->canvas);
	}
	if (rs->font)
		font_close(rs->font);
	notice_set_free(&rs->notices);
	free(rs);
}

void
roomscreen_set_enrollment(struct daemon *d, const char *payload, const char *text)
{
	struct roomscreen *rs = d->screen;

	if (!rs)
		return;
	rs->enrollment = payload != NULL;
	snprintf(rs->enroll_payload, sizeof rs->enroll_payload, "%s", payload ? payload : "");
	snprintf(rs->enroll_text, sizeof rs->enroll_text, "%s", text ? text : "");
}

static void
update_model(struct daemon *d, const struct nw_stamp *now)
{
	struct roomscreen *rs = d->screen;
	struct screen_model *m = &rs->model;
	struct journal_session s;

	fit(m->room, sizeof m->room, d->cfg.room[0] ? d->cfg.room :
	    (d->sched && d->sched->room[0] ? d->sched->room : "notewell"));
	m->session[0] = '\0';
	m->signin_url[0] = '\0';
	if (d->session_id && journal_session_get(d->journal, d->session_id, &s) == 0) {
		fit(m->session, sizeof m->session, s.title);
		for (size_t i = 0; d->sched && i < d->sched->n; i++)
			if (strcmp(d->sched->e[i].uid, s.uid) == 0)
				snprintf(m->signin_url, sizeof m->signin_url, "%s", d->sched->e[i].signin_url);
	}
	m->state = d->rec ? (d->paused ? SCREEN_PAUSED : SCREEN_RECORDING) : SCREEN_IDLE;
	if (rs->counted_session != d->session_id || rs->counted_scans != d->scans_ok) {
		rs->signed_in = (unsigned)journal_count_badges(d->journal, d->session_id);
		rs->counted_session = d->session_id;
		rs->counted_scans = d->scans_ok;
	}
	m->signed_in = d->session_id ? rs->signed_in : 0;
	m->scan = !d->last_scan[0] ? SCREEN_SCAN_NONE :
	    d->last_scan_ok ? SCREEN_SCAN_OK : SCREEN_SCAN_REJECTED;
	fit(m->scan_text, sizeof m->scan_text, d->last_scan_ok ?
	    "Signed in. Your name and affiliation will be published in the proceedings." :
	    d->last_scan);
	struct level_reading r = { .rms_dbfs = NAN };
	if (d->audio && d->level)
		level_read(d->level, &r);
	m->level_dbfs = (float)r.rms_dbfs;
	m->alarms = 0;
	if (d->alarms & LEVEL_ALARM_SILENCE)
		m->alarms |= SCREEN_ALARM_SILENCE;
	if (d->alarms & LEVEL_ALARM_CLIPPING)
		m->alarms |= SCREEN_ALARM_CLIPPING;
	if (d->alarms & DAEMON_ALARM_DISK)
		m->alarms |= SCREEN_ALARM_DISK;
	if (!now->synced)
		m->alarms |= SCREEN_ALARM_CLOCK;
	if (scanin_count(d->scanin) == 0)
		m->alarms |= SCREEN_ALARM_SCANNER;
	/* A box that cannot reach its host keeps working and says so here. */
	if (!rs->backlog_checked_ms || loop_now_ms() - rs->backlog_checked_ms >= BACKLOG_CHECK_MS) {
		rs->backlog_alarm = sync_backlog_alarm(d->sync, d->journal, d->dir, now);
		rs->backlog_checked_ms = loop_now_ms();
	}
	if (rs->backlog_alarm)
		m->alarms |= SCREEN_ALARM_SYNC;
	m->enrollment = rs->enrollment;
	snprintf(m->enroll_payload, sizeof m->enroll_payload, "%s", rs->enroll_payload);
	snprintf(m->enroll_text, sizeof m->enroll_text, "%s", rs->enroll_text);
}

/*
 * No notice has taken effect at the box's idea of now: a Pi without a
 * real-time clock boots in 1970, or the notices start later. People in the
 * room must still see a notice and every scan must name one, so show the
 * one last in force here (the journal knows it), else the earliest; the
 * switch is journalled with its unsynced time like any other.
 */
static const struct notice *
fallback_notice(struct daemon *d, const struct nw_stamp *now)
{
	struct roomscreen *rs = d->screen;
	const struct notice *n = rs->notices.n ? &rs->notices.v[0] : NULL;
	sqlite3_stmt *st = NULL;
	char key[NOTICE_ID_MAX + NOTICE_VERSION_MAX + 2], when[40];

	if (sqlite3_prepare_v2(journal_db(d->journal), "SELECT notice_id FROM notice_switches"
	    " ORDER BY id DESC LIMIT 1", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		for (size_t i = 0; i < rs->notices.n; i++) {
			snprintf(key, sizeof key, "%s@%s", rs->notices.v[i].id,
			    rs->notices.v[i].version);
			if (strcmp(key, (const char *)sqlite3_column_text(st, 0)) == 0)
				n = &rs->notices.v[i];
		}
	}
	sqlite3_finalize(st);
	if (n) {
		nwtime_format(now->wall_ns, when, sizeof when);
		log_warnx("no notice has taken effect by %s%s: showing %s@%s", when,
		    now->synced ? "" : " (clock not synced)", n->id, n->version);
	}
	return n;
}

void
roomscreen_tick(struct daemon *d)
{
	struct roomscreen *rs = d->screen;
	struct nw_stamp now;
	const struct notice *n;

	if (!rs)
		return;
	nwclock_now(&d->clock, &now);
	/* An unsynced wall clock cannot say which notice is in force: keep
	 * the one we have rather than switch at a wrong moment. */
	if (now.synced || !rs->current) {
		n = notice_set_current(&rs->notices, now.wall_ns / 1000000000);
		if (!n && !rs->current)
			n = fallback_notice(d, &now);
		if (n && n != rs->current)
			switch_notice(d, n);
	}
	if (!rs->have_display)
		return;
	update_model(d, &now);
	switch (screen_redraw_due(&rs->redraw, &rs->model, loop_now_ms())) {
	case SCREEN_SAME:
		return;
	case SCREEN_LEVEL_ONLY:
		screen_render_level(&rs->canvas, &rs->model, rs->font);
		break;
	case SCREEN_CHANGED:
		if (screen_render(&rs->canvas, &rs->model, rs->font) != 0)
			return;
		break;
	}
	if (display_present(&rs->display, &rs->canvas) != 0)
		log_warnx("screen update failed");
}

/*
 * Reloads the shipped and pushed notices (the sync worker calls this after
 * writing what the host sent). All or nothing: on any error the set in
 * force stays, and so does the notice on screen.
 */
json_t *
roomscreen_reload_notices(struct daemon *d)
{
	struct roomscreen *rs = d->screen;
	const char *dir = d->cfg.notice_dir[0] ? d->cfg.notice_dir : NW_DEFAULT_NOTICE_DIR;
	struct notice_set set = { 0 };
	struct notice_error nerr;
	char buf[512];
	size_t i, before;

	if (!rs)
		return ctl_error("the room screen is not running");
	if (notice_set_load_dir(dir, &set, &nerr) != 0)
		return ctl_error("notices: %s", notice_error_format(&nerr, buf, sizeof buf));
	if (add_pushed(d, &set, buf, sizeof buf) < 0) {
		struct nw_stamp now;

		nwclock_now(&d->clock, &now);
		notice_set_free(&set);
		journal_event(d->journal, "notices-refused", buf, &now);
		return ctl_error("%s", buf);
	}
	before = rs->notices.n;
	/* rs->current points into the old set: find the same version in the
	 * new one, so the next tick switches only if another is now in force. */
	const struct notice *cur = NULL;
	for (i = 0; rs->current && i < set.n; i++)
		if (strcmp(set.v[i].id, rs->current->id) == 0 &&
		    strcmp(set.v[i].version, rs->current->version) == 0)
			cur = &set.v[i];
	notice_set_free(&rs->notices);
	rs->notices = set;
	rs->current = cur;
	for (i = 0; i < rs->notices.n; i++)
		journal_notice(d, &rs->notices.v[i]);
	log_info("notices reloaded: %zu (was %zu)", rs->notices.n, before);
	roomscreen_tick(d);
	return json_pack("{s:b, s:I}", "ok", 1, "notices", (json_int_t)rs->notices.n);
}

/* What the screen shows as alarms now (empty without a screen). */
json_t *
roomscreen_alarms_json(struct daemon *d)
{
	json_t *a = json_array();
	unsigned bits = d->screen && d->screen->have_display ? d->screen->model.alarms : 0;

	for (unsigned bit = 1; a && bit && bit <= bits; bit <<= 1)
		if ((bits & bit) && screen_alarm_text(bit))
			json_array_append_new(a, json_string(screen_alarm_text(bit)));
	return a;
}

json_t *
roomscreen_notice_json(struct daemon *d)
{
	const struct notice *n = d->screen ? d->screen->current : NULL;

	if (!n)
		return ctl_error("no notice is in force (notice_dir has none effective yet)");
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ok", 1,
	    "id", n->id, "version", n->version, "language", n->language,
	    "url", n->url, "qr_url", d->notice_url, "sha256", n->sha256,
	    "statement", n->statement);
}
