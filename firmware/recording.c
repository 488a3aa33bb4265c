/*
 * Sessions and recordings. The audio source is read continuously (the level
 * meter must show the room even between sessions, and ALSA overruns if it
 * is not drained); frames reach the recorder only while a recorded session
 * is open and not paused. Every transition is written to the journal before
 * it is reported, so a crash at any point leaves a journal that says what
 * the file on disk is.
 */
#include "recording.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "audio.h"
#include "daemon.h"
#include "level.h"
#include "log.h"
#include "recorder.h"
#include "schedule.h"
#include "sync.h"

#define CHUNK_FRAMES 960		/* 20 ms at 48 kHz */
#define CHUNKS_PER_WAKE 50		/* then let the loop serve others */
#define NS 1000000000LL

static int recorder_recover_row(struct daemon *d, int64_t id);


/* Session uids come from the agenda; only a safe subset becomes a file name. */
static void
file_name(const char *uid, unsigned part, char *out, size_t len)
{
	char safe[128];
	size_t i;

	for (i = 0; uid[i] && i + 1 < sizeof safe; i++) {
		char c = uid[i];
		safe[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_') ? c : '_';
	}
	safe[i] = '\0';
	snprintf(out, len, "recordings/%s.part%u.opus", safe, part);
}

static int
exec_row(struct daemon *d, const char *sql, int64_t id, const struct recorder_result *r,
    const char *state, const char *detail)
{
	sqlite3_stmt *st = NULL;
	struct nw_stamp now;
	int rc;

	nwclock_now(&d->clock, &now);
	rc = sqlite3_prepare_v2(journal_db(d->journal), sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = r ? sqlite3_bind_text(st, 2, r->sha256_hex, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 2);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, r ? (int64_t)r->bytes : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, r ? (int64_t)(r->samples * NS / 48000) : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 6, &now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 10, id);
	/* The recorder's prefix digests, for sync (recorder.h): none at all
	 * for a file shorter than one interval, but kept (an empty list) so
	 * sync knows it needs none. */
	if (rc == SQLITE_OK && r && r->prefixes.every) {
		rc = sqlite3_bind_int64(st, 11, (int64_t)r->prefixes.every);
		if (rc == SQLITE_OK)
			rc = r->prefixes.n ? sqlite3_bind_blob(st, 12, r->prefixes.d,
			    (int)(r->prefixes.n * 32), SQLITE_STATIC) : sqlite3_bind_zeroblob(st, 12, 0);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : journal_errno(rc);
}

#define FINISH_SQL "UPDATE recordings SET state = ?1, sha256 = ?2, bytes = ?3," \
	" duration_ns = ?4, detail = ?5, end_boot = ?6, end_mono_ns = ?7," \
	" end_wall_ns = ?8, end_synced = ?9, prefix_every = ?11, prefix_sha256 = ?12" \
	" WHERE id = ?10"

/* Makes the file of an unfinished recording playable and records what it
 * holds. A recording row with no file (crash before the first page) is
 * marked failed with the reason. */
static int
recorder_recover_row(struct daemon *d, int64_t id)
{
	struct recorder_result r;
	sqlite3_stmt *st = NULL;
	char path[4400] = "";
	int rc;

	rc = sqlite3_prepare_v2(journal_db(d->journal), "SELECT path FROM recordings WHERE id = ?",
	    -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_int64(st, 1, id) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		snprintf(path, sizeof path, "%s/%s", d->dir, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!path[0])
		return -ENOENT;
	rc = recorder_recover(path, &r);
	if (rc != 0) {
		char why[128];
		snprintf(why, sizeof why, "unrecoverable after crash: %s", rc == -ENODATA ?
		    "no audio reached the disk" : strerror(-rc));
		exec_row(d, FINISH_SQL, id, NULL, "failed", why);
		journal_eventf(d->journal, &d->clock, "recording-failed", "recording %lld (%s): %s", (long long)id, path, why);
		return rc;
	}
	exec_row(d, FINISH_SQL, id, &r, "recovered", "finished by recovery after a crash");
	journal_eventf(d->journal, &d->clock, "recording-recovered", "recording %lld (%s): %.3f s kept, sha256 %s",
	    (long long)id, path, r.seconds, r.sha256_hex);
	return 0;
}

static int
mark(struct daemon *d, const char *kind, const char *detail)
{
	sqlite3_stmt *st = NULL;
	struct nw_stamp now;
	int rc;

	if (!d->rec)
		return 0;
	nwclock_now(&d->clock, &now);
	rc = sqlite3_prepare_v2(journal_db(d->journal),
	    "INSERT INTO recording_marks (recording_id, kind, position_samples, detail,"
	    " at_boot, at_mono_ns, at_wall_ns, at_synced) VALUES (?,?,?,?,?,?,?,?)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, d->rec_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (int64_t)recorder_position(d->rec));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 5, &now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : journal_errno(rc);
}

/* Free space in MB, or -1 when it cannot be read. */
static int64_t
free_mb(struct daemon *d)
{
	struct statvfs sv;

	if (statvfs(d->dir, &sv) != 0)
		return -1;
	return (int64_t)((uint64_t)sv.f_bavail * sv.f_frsize / (1024 * 1024));
}

/* Free space against the reserve; checked before opening and every few
 * seconds of audio while recording. */
static int
disk_ok(struct daemon *d)
{
	int64_t mb = free_mb(d);

	if (mb < 0)
		return 1;
	if (mb < d->cfg.disk_reserve_mb) {
		if (!(d->alarms & DAEMON_ALARM_DISK))
			journal_eventf(d->journal, &d->clock, "alarm-on", "disk: %lld MB free, reserve %d MB",
			    (long long)mb, d->cfg.disk_reserve_mb);
		d->alarms |= DAEMON_ALARM_DISK;
		return 0;
	}
	if (d->alarms & DAEMON_ALARM_DISK)
		journal_eventf(d->journal, &d->clock, "alarm-off", "disk: %lld MB free", (long long)mb);
	d->alarms &= ~DAEMON_ALARM_DISK;
	return 1;
}

/* A recording stopped at the reserve starts again only with some room above
 * it (a tenth of the reserve, at least 1 MB): freeing a few pages must not
 * make a new part every few seconds. */
static int
disk_room_to_resume(struct daemon *d)
{
	int64_t margin = d->cfg.disk_reserve_mb / 10;
	int64_t mb = free_mb(d);

	if (margin < 1)
		margin = 1;
	return mb >= 0 && mb >= d->cfg.disk_reserve_mb + margin;
}

static int
recording_start(struct daemon *d, int64_t session_id, const char *uid, char *err, size_t errlen)
{
	struct recorder_params p;
	struct recorder_tags tags = { 0 };
	struct nw_stamp now;
	sqlite3_stmt *st = NULL;
	char rel[256], path[4400];
	unsigned part = 1;
	int rc;

	if (!d->audio)
		return 0;
	if (!disk_ok(d)) {
		journal_eventf(d->journal, &d->clock, "recording-failed", "session=%s reason=disk below reserve", uid);
		d->rec_failed = 1;
		d->rec_disk_wait = 1;
		return 0;	/* the session goes on; scans still work */
	}
	rc = sqlite3_prepare_v2(journal_db(d->journal),
	    "SELECT COALESCE(MAX(part), 0) + 1 FROM recordings WHERE session_id = ?", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_int64(st, 1, session_id) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		part = (unsigned)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	file_name(uid, part, rel, sizeof rel);
	snprintf(path, sizeof path, "%s/%s", d->dir, rel);

	nwclock_now(&d->clock, &now);
	/* The row comes first: a crash between it and the file leaves a row
	 * whose recovery finds no file and says so. */
	rc = sqlite3_prepare_v2(journal_db(d->journal),
	    "INSERT INTO recordings (session_id, path, part, state, notice_id, notice_sha256,"
	    " start_boot, start_mono_ns, start_wall_ns, start_synced)"
	    " VALUES (?,?,?, 'recording', ?,?,?,?,?,?)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, session_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, rel, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, (int)part);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, d->notice_id[0] ? d->notice_id : NULL, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 5, d->notice_sha256[0] ? d->notice_sha256 : NULL, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = journal_bind_stamp(st, 6, &now);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot journal the recording: %s", sqlite3_errstr(rc));
		return journal_errno(rc);
	}
	d->rec_id = sqlite3_last_insert_rowid(journal_db(d->journal));

	recorder_params_default(&p);
	p.prefix_every = RECORDER_PREFIX_EVERY;
	p.rate = d->cfg.audio_rate;
	p.channels = d->cfg.audio_channels;
	p.bitrate = d->cfg.opus_bitrate;
	p.complexity = d->cfg.opus_complexity;
	/* The recorder checks free space as it writes and stops cleanly
	 * (-EDQUOT) at the reserve, leaving a finished file. */
	p.reserve_bytes = (uint64_t)d->cfg.disk_reserve_mb * 1024 * 1024;
	tags.session_id = uid;
	tags.room = d->cfg.room[0] ? d->cfg.room : NULL;
	tags.meeting = d->cfg.meeting[0] ? d->cfg.meeting : NULL;
	tags.device_id = journal_device_id(d->journal);
	tags.start.tv_sec = now.wall_ns / NS;
	tags.start.tv_nsec = now.wall_ns % NS;
	tags.clock_synced = now.synced;
	tags.part = part;
	tags.notice_id = d->notice_id[0] ? d->notice_id : NULL;
	tags.notice_url = d->notice_url[0] ? d->notice_url : NULL;
	tags.notice_sha256 = d->notice_sha256[0] ? d->notice_sha256 : NULL;
	char recdir[4200];
	snprintf(recdir, sizeof recdir, "%s/recordings", d->dir);
	mkdir(recdir, 0750);
	rc = recorder_open(path, &p, &tags, &d->rec);
	if (rc != 0) {
		exec_row(d, FINISH_SQL, d->rec_id, NULL, "failed", strerror(-rc));
		journal_eventf(d->journal, &d->clock, "recording-failed", "session=%s file=%s: %s", uid, path, strerror(-rc));
		snprintf(err, errlen, "cannot record to %s: %s", path, strerror(-rc));
		d->rec_failed = 1;
		d->rec = NULL;
		return rc;
	}
	d->rec_session = session_id;
	d->rec_failed = 0;
	d->rec_disk_wait = 0;
	d->paused = 0;
	journal_eventf(d->journal, &d->clock, "recording-start", "session=%s part=%u file=%s", uid, part, path);
	log_info("recording %s", path);
	return 0;
}

static void
recording_stop(struct daemon *d, const char *why)
{
	struct recorder_result r;
	int rc;

	if (!d->rec)
		return;
	rc = recorder_close(d->rec, &r);
	d->rec = NULL;
	if (rc != 0) {
		/* The file is a valid prefix: make it playable and keep it. */
		int rrc = recorder_recover_row(d, d->rec_id);
		journal_eventf(d->journal, &d->clock, "recording-error", "recording %lld: %s (recovered: %s)",
		    (long long)d->rec_id, strerror(-rc), rrc == 0 ? "yes" : "no");
	} else {
		exec_row(d, FINISH_SQL, d->rec_id, &r, "finished", why);
		journal_eventf(d->journal, &d->clock, "recording-stop", "recording %lld: %.3f s, %llu bytes, sha256 %s",
		    (long long)d->rec_id, r.seconds, (unsigned long long)r.bytes, r.sha256_hex);
		recorder_prefixes_free(&r.prefixes);
	}
	d->rec_id = 0;
	d->rec_session = 0;
	d->paused = 0;
}

int
session_open(struct daemon *d, const char *uid, const char *title, const char *origin,
    int record, char *err, size_t errlen)
{
	struct nw_stamp now;
	int64_t id;
	int rc;

	if (d->session_id) {
		snprintf(err, errlen, "a session is already open (id %lld); stop it first",
		    (long long)d->session_id);
		return -EBUSY;
	}
	nwclock_now(&d->clock, &now);
	rc = journal_session_start(d->journal, uid, title, origin, &now, &id);
	if (rc == -EEXIST) {
		snprintf(err, errlen, "session uid '%s' was used before", uid);
		return rc;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot start session: %s", strerror(-rc));
		return rc;
	}
	d->session_id = id;
	journal_eventf(d->journal, &d->clock, "session-start", "id=%lld uid=%s origin=%s record=%s", (long long)id, uid,
	    origin, record ? "yes" : "no");
	log_info("session %lld (%s) started", (long long)id, uid);
	if (record)
		recording_start(d, id, uid, err, errlen);
	else
		journal_eventf(d->journal, &d->clock, "recording-skipped", "session=%s is not public: not recorded", uid);
	return 0;
}

int
session_close(struct daemon *d, char *err, size_t errlen)
{
	struct nw_stamp now;
	int rc;

	if (!d->session_id) {
		snprintf(err, errlen, "no session is open");
		return -ENOENT;
	}
	recording_stop(d, "session closed");
	nwclock_now(&d->clock, &now);
	if ((rc = journal_session_stop(d->journal, d->session_id, &now)) != 0) {
		snprintf(err, errlen, "cannot stop session: %s", strerror(-rc));
		return rc;
	}
	journal_eventf(d->journal, &d->clock, "session-stop", "id=%lld", (long long)d->session_id);
	log_info("session %lld stopped", (long long)d->session_id);
	d->session_id = 0;
	d->rec_failed = 0;
	d->rec_disk_wait = 0;
	sync_kick(d->sync);	/* a closed session is worth sending now */
	return 0;
}

int
recording_pause(struct daemon *d, int pause, char *err, size_t errlen)
{
	if (!d->rec) {
		snprintf(err, errlen, "nothing is being recorded");
		return -ENOENT;
	}
	if (pause == d->paused) {
		snprintf(err, errlen, "recording is already %s", pause ? "paused" : "running");
		return -EALREADY;
	}
	/* The mark is journalled before the audio stops or starts again, so
	 * the gap is on record even if we crash right after. */
	mark(d, pause ? "pause" : "resume", "privacy control");
	d->paused = pause;
	journal_eventf(d->journal, &d->clock, pause ? "recording-pause" : "recording-resume", "recording %lld at sample %llu",
	    (long long)d->rec_id, (unsigned long long)recorder_position(d->rec));
	return 0;
}

static void
level_events(struct daemon *d)
{
	struct level_event ev;

	while (level_next_event(d->level, &ev)) {
		unsigned bit = ev.alarm == LEVEL_ALARM_SILENCE ? LEVEL_ALARM_SILENCE : LEVEL_ALARM_CLIPPING;
		if (ev.active)
			d->alarms |= bit;
		else
			d->alarms &= ~bit;
		journal_eventf(d->journal, &d->clock, ev.active ? "alarm-on" : "alarm-off", "%s at sample %llu%s",
		    level_alarm_name(ev.alarm), (unsigned long long)ev.position,
		    d->rec ? " (recording)" : "");
		if (d->rec)
			mark(d, "alarm", level_alarm_name(ev.alarm));
	}
}

/* Feeds one chunk everywhere it goes. */
static void
feed(struct daemon *d, const int16_t *pcm, size_t frames)
{
	level_feed(d->level, pcm, frames);
	level_events(d);
	if (d->rec && !d->paused) {
		int rc = recorder_write(d->rec, pcm, frames);
		if (rc == -EDQUOT) {
			d->alarms |= DAEMON_ALARM_DISK;
			journal_eventf(d->journal, &d->clock, "alarm-on", "disk: below the %d MB reserve", d->cfg.disk_reserve_mb);
			journal_eventf(d->journal, &d->clock, "recording-stopped", "disk below reserve (%d MB): recording stopped, "
			    "scans go on", d->cfg.disk_reserve_mb);
			recording_stop(d, "disk below reserve");
			d->rec_failed = 1;
			d->rec_disk_wait = 1;
		} else if (rc != 0) {
			journal_eventf(d->journal, &d->clock, "recording-error", "write: %s", strerror(-rc));
			recording_stop(d, "write error");
			d->rec_failed = 1;
		}
	}
	d->audio_frames += frames;
	if (d->virtual_clock)
		nwclock_fake_advance(&d->clock, (int64_t)frames * NS / d->cfg.audio_rate);
}

static int
want_audio(struct daemon *d)
{
	struct nw_stamp now;

	if (!d->virtual_clock)
		return 1;
	nwclock_now(&d->clock, &now);
	/* Virtual time only moves by audio while something is recorded. */
	return d->rec && now.wall_ns < d->run_until_ns;
}

static void
on_audio(struct loop *l, int fd, short revents, void *arg)
{
	struct daemon *d = arg;
	int16_t buf[CHUNK_FRAMES * 2];
	int i;

	for (i = 0; i < CHUNKS_PER_WAKE && want_audio(d); i++) {
		ssize_t n = audio_read(d->audio, buf, CHUNK_FRAMES);
		if (n == -EAGAIN)
			break;
		if (n == 0 && d->cfg.audio_loop) {
			/* The sim board's file source loops for as long as the
			 * schedule wants audio. */
			struct audio_format fmt = { d->cfg.audio_rate, d->cfg.audio_channels };
			enum audio_pace pace;
			loop_del_fd(l, fd);
			audio_close(d->audio);
			d->audio = NULL;
			audio_pace_parse(d->cfg.audio_pace, &pace);
			if (audio_open(d->cfg.audio_source, pace, &fmt, &d->audio) != 0 ||
			    loop_add_fd(l, audio_fd(d->audio), POLLIN, on_audio, d) != 0) {
				journal_eventf(d->journal, &d->clock, "audio-lost", "cannot reopen %s", d->cfg.audio_source);
				return;
			}
			return;
		}
		if (n <= 0) {
			journal_eventf(d->journal, &d->clock, "audio-lost", "%s: %s", d->cfg.audio_source,
			    n == 0 ? "end of stream" : strerror((int)-n));
			recording_stop(d, "audio source ended");
			loop_del_fd(l, fd);
			audio_close(d->audio);
			d->audio = NULL;
			return;
		}
		feed(d, buf, (size_t)n);
		recording_tick(d);
		if (!d->audio)
			return;
	}
}

/* The wall clock is stepped (NTP's first sync on a board without RTC, an
 * operator, a bad time source) when it moves otherwise than the monotonic
 * clock between two ticks. Audit only: the schedule below copes. */
static void
clock_step_check(struct daemon *d, const struct nw_stamp *now)
{
	const struct nw_stamp *l = &d->last_tick;

	if (l->mono_ns && strcmp(l->boot_id, now->boot_id) == 0) {
		int64_t step = (now->wall_ns - l->wall_ns) - (now->mono_ns - l->mono_ns);
		if (step > 2 * NS || step < -2 * NS) {
			char from[40], to[40];
			nwtime_format(l->wall_ns + (now->mono_ns - l->mono_ns), from, sizeof from);
			nwtime_format(now->wall_ns, to, sizeof to);
			journal_eventf(d->journal, &d->clock, "clock-step", "wall clock stepped by %+.3f s: %s -> %s (%s)",
			    (double)step / NS, from, to, now->synced ? "synced" : "not synced");
		}
	}
	d->last_tick = *now;
}

static const struct schedule_entry *
schedule_find(const struct schedule *s, const char *uid)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->e[i].uid, uid) == 0)
			return &s->e[i];
	return NULL;
}

/* Whether the scheduled session in progress is over at wall time t: it left
 * the schedule, its window closed, or a later session's window began (back
 * to back). Only the end of its own window ends it: a wall clock set back
 * to before its start (or into an earlier session) leaves it open, so a
 * clock step neither cuts the recording nor starts it again in a new part.
 * If the new time is the right one the session really is still on; if the
 * old one was, a little more is recorded, never less. */
static int
scheduled_over(struct daemon *d, const char *uid, const struct schedule_entry *want, int64_t t)
{
	const struct schedule_entry *e = schedule_find(d->sched, uid);

	if (!e || t >= e->close_ns)
		return 1;
	return want && want != e && want->open_ns > e->open_ns;
}

void
recording_tick(struct daemon *d)
{
	const struct schedule_entry *want = NULL;
	struct journal_session cur;
	struct nw_stamp now;
	char err[256];

	nwclock_now(&d->clock, &now);
	if (d->virtual_clock && !d->rec && now.wall_ns < d->run_until_ns) {
		/* Nothing recorded: jump straight to the next thing that happens. */
		int64_t next = d->sched ? schedule_next_boundary(d->sched, now.wall_ns) : INT64_MAX;
		int64_t to = next < d->run_until_ns ? next : d->run_until_ns;
		nwclock_fake_advance(&d->clock, to - now.wall_ns);
		nwclock_now(&d->clock, &now);
	}
	clock_step_check(d, &now);
	if (d->sched)
		want = schedule_at(d->sched, now.wall_ns);
	if (d->session_id && journal_session_get(d->journal, d->session_id, &cur) == 0 &&
	    strcmp(cur.origin, "schedule") == 0 && scheduled_over(d, cur.uid, want, now.wall_ns))
		session_close(d, err, sizeof err);
	if (d->suppressed_uid[0] && (!want || strcmp(want->uid, d->suppressed_uid) != 0))
		d->suppressed_uid[0] = '\0';
	if (!d->session_id && want && strcmp(want->uid, d->suppressed_uid) != 0) {
		if (session_open(d, want->uid, want->title, "schedule", want->record, err, sizeof err) != 0) {
			/* Already held and closed earlier (e.g. stopped by hand,
			 * then a restart): do not try again every tick. */
			snprintf(d->suppressed_uid, sizeof d->suppressed_uid, "%s", want->uid);
			log_warnx("scheduled session %s not opened: %s", want->uid, err);
		}
	}
	/* Between recordings, watch the reserve so the alarm clears (or
	 * shows) without waiting for the next session. */
	if (!d->rec && now.mono_ns - d->last_disk_check_ns > 5 * NS) {
		d->last_disk_check_ns = now.mono_ns;
		/* The session still on whose recording stopped for disk goes
		 * on in a new part once there is room again. */
		if (disk_ok(d) && d->rec_disk_wait && d->session_id && disk_room_to_resume(d) &&
		    journal_session_get(d->journal, d->session_id, &cur) == 0) {
			journal_eventf(d->journal, &d->clock, "recording-resume-disk", "session=%s: space is back", cur.uid);
			recording_start(d, cur.id, cur.uid, err, sizeof err);
		}
	}
	if (d->audio)
		loop_mod_fd(d->loop, audio_fd(d->audio), want_audio(d) ? POLLIN : 0);
}

int
recording_run_until(struct daemon *d, int64_t t, char *err, size_t errlen)
{
	if (!d->virtual_clock) {
		snprintf(err, errlen, "the clock is real; only a sim board with sim_clock_start can be run");
		return -ENOTSUP;
	}
	d->run_until_ns = t;
	recording_tick(d);
	return 0;
}

int
recording_step_clock(struct daemon *d, int64_t t, int synced, char *err, size_t errlen)
{
	if (strcmp(d->cfg.board, "sim") != 0) {
		snprintf(err, errlen, "the clock can be set by hand on the sim board only");
		return -ENOTSUP;
	}
	if (d->virtual_clock) {
		nwclock_fake_set_wall(&d->clock, t, synced < 0 ? d->clock.fake_synced : synced);
		d->run_until_ns = t;
	} else {
		nwclock_system_step(&d->clock, t, synced);
	}
	recording_tick(d);
	return 0;
}

int
recording_load_schedule(struct daemon *d, char *err, size_t errlen)
{
	char path[4200];
	struct schedule *s;
	struct stat sb;
	int rc;

	snprintf(path, sizeof path, "%s/schedule.json", d->dir);
	if (stat(path, &sb) != 0)
		return 0;
	if (!(s = calloc(1, sizeof *s)))
		return -ENOMEM;
	rc = schedule_load(s, path, (int64_t)d->cfg.preroll_s * NS, (int64_t)d->cfg.postroll_s * NS,
	    err, errlen);
	if (rc != 0) {
		/* Keep the schedule we had: a bad push changes nothing. */
		free(s);
		return rc;
	}
	free(d->sched);
	d->sched = s;
	journal_eventf(d->journal, &d->clock, "schedule-loaded", "%zu sessions", s->n);
	return 0;
}

/* After a crash: finish every recording the journal says was running. */
static void
recover_unfinished(struct daemon *d)
{
	sqlite3_stmt *st = NULL;
	int64_t ids[64];
	int n = 0;

	if (sqlite3_prepare_v2(journal_db(d->journal),
	    "SELECT id FROM recordings WHERE state = 'recording' LIMIT 64", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++)
		recorder_recover_row(d, ids[i]);
}

int
recording_init(struct daemon *d, char *err, size_t errlen)
{
	struct level_params lp;
	int rc;

	if (d->cfg.sim_clock_start[0]) {
		int64_t t;
		if (strcmp(d->cfg.board, "sim") != 0) {
			snprintf(err, errlen, "sim_clock_start is for the sim board only");
			return -EINVAL;
		}
		nwtime_parse(d->cfg.sim_clock_start, &t);
		char boot[NW_BOOT_ID_LEN + 1];
		/* Its monotonic time is not the kernel's (it moves with the
		 * audio): a boot id of its own keeps the host from mixing it
		 * with the sync worker's real clock samples. */
		nwclock_random_boot_id(boot);
		nwclock_fake_init(&d->clock, boot, t, d->cfg.clock_synced != 0);
		d->virtual_clock = 1;
		d->run_until_ns = t;
	}
	level_params_default(&lp);
	lp.rate = d->cfg.audio_rate;
	lp.channels = d->cfg.audio_channels;
	lp.silence_dbfs = d->cfg.silence_dbfs;
	lp.silence_seconds = d->cfg.silence_s;
	if ((rc = level_new(&lp, &d->level)) != 0) {
		snprintf(err, errlen, "level meter: %s", strerror(-rc));
		return rc;
	}
	recover_unfinished(d);
	if (d->cfg.audio_source[0]) {
		struct audio_format fmt = { d->cfg.audio_rate, d->cfg.audio_channels };
		enum audio_pace pace = AUDIO_PACE_REALTIME;
		audio_pace_parse(d->cfg.audio_pace, &pace);
		rc = audio_open(d->cfg.audio_source, pace, &fmt, &d->audio);
		if (rc != 0) {
			snprintf(err, errlen, "audio source %s: %s", d->cfg.audio_source, strerror(-rc));
			return rc;
		}
		if ((rc = loop_add_fd(d->loop, audio_fd(d->audio), POLLIN, on_audio, d)) != 0)
			return rc;
	}
	if ((rc = recording_load_schedule(d, err, errlen)) != 0)
		return rc;
	/* A session still open after a crash continues in a new part. */
	if (d->session_id) {
		struct journal_session cur;
		if (journal_session_get(d->journal, d->session_id, &cur) == 0) {
			const struct schedule_entry *e = schedule_find(d->sched, cur.uid);
			if (!e || e->record)
				recording_start(d, cur.id, cur.uid, err, errlen);
		}
	}
	recording_tick(d);
	return 0;
}

void
recording_free(struct daemon *d)
{
	/* A clean stop finishes the file; the session stays open in the
	 * journal so a restart continues it in a new part. */
	recording_stop(d, "daemon stopped");
	if (d->audio)
		audio_close(d->audio);
	level_free(d->level);
	free(d->sched);
}

static const char *
state_name(struct daemon *d)
{
	if (d->rec)
		return d->paused ? "paused" : "recording";
	return d->session_id ? "in-session" : "idle";
}

void
recording_status(struct daemon *d, json_t *o)
{
	struct level_reading r = { 0 };
	json_t *alarms = json_array();

	if (d->level)
		level_read(d->level, &r);
	if (d->alarms & LEVEL_ALARM_SILENCE)
		json_array_append_new(alarms, json_string("silence"));
	if (d->alarms & LEVEL_ALARM_CLIPPING)
		json_array_append_new(alarms, json_string("clipping"));
	if (d->alarms & DAEMON_ALARM_DISK)
		json_array_append_new(alarms, json_string("disk"));
	if (d->rec_failed && d->session_id)
		json_array_append_new(alarms, json_string("not-recording"));
	json_object_set_new(o, "state", json_string(state_name(d)));
	json_object_set_new(o, "level", json_pack("{s:f, s:f, s:I}", "rms_dbfs", r.rms_dbfs,
	    "peak_dbfs", r.peak_dbfs, "position", (json_int_t)r.position));
	json_object_set_new(o, "alarms", alarms);
	json_object_set_new(o, "audio_source", json_string(d->audio ? d->cfg.audio_source : ""));
	json_object_set_new(o, "recording_seconds", json_real(d->rec ?
	    (double)recorder_position(d->rec) / d->cfg.audio_rate : 0.0));
}
