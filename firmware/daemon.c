#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"
#include "version.h"
#include "recording.h"
#include "sandbox.h"
#include "schedule.h"
#include "sync.h"

/* One daemon per data folder: a second one would interleave two sessions'
 * scans in one journal. flock is released by the kernel when we die. */
static int
lock_datadir(struct daemon *d, char *err, size_t errlen)
{
	char path[4200], pid[32];

	snprintf(path, sizeof path, "%s/notewelld.lock", d->dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		snprintf(err, errlen, "%s is in use by another notewelld (pid %s)",
		    d->dir, n > 0 ? pid : "unknown");
		return -EBUSY;
	}
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) != 0 || pwrite(d->lock_fd, pid, len, 0) != len)
		log_warn("cannot write pid to %s", path);
	return 0;
}

static void
before_sleep(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	recording_tick(d);
	/* Before the screen is drawn, so the worker starts on what the
	 * handlers and the schedule wrote while the screen is redrawn; again
	 * after it, for the notice switches the screen journals. */
	sync_flush(d->sync);
	roomscreen_tick(d);
	sync_flush(d->sync);
}

/* The schedule and the screen are checked before every sleep; this timer
 * makes sure there is a wake-up often enough for the level meter. */
static void
on_second(struct loop *l, void *arg)
{
	loop_add_timer(l, 250, on_second, arg);
}

static void
on_signal(struct loop *l, int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof si) == sizeof si)
		log_info("signal %u: stopping", si.ssi_signo);
	loop_stop(l);
}

static json_t *
session_json(struct daemon *d)
{
	struct journal_session s;
	char when[40];

	if (!d->session_id || journal_session_get(d->journal, d->session_id, &s) != 0)
		return json_null();
	nwtime_format(s.start.wall_ns, when, sizeof when);
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)s.id, "uid", s.uid,
	    "title", s.title, "origin", s.origin, "start", when);
}

static json_t *
cmd_status(struct daemon *d)
{
	struct nw_stamp now;
	char when[40];
	json_t *o;

	nwclock_now(&d->clock, &now);
	nwtime_format(now.wall_ns, when, sizeof when);
	o = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:o, s:i, s:I, s:I, s:i, s:s, s:o, s:b, s:s, s:I}",
	    "ok", 1,
	    "device_id", journal_device_id(d->journal),
	    "board", d->board.name,
	    "room", d->cfg.room,
	    "meeting", d->cfg.meeting,
	    "state", d->session_id ? "in-session" : "idle",
	    "session", session_json(d),
	    "badges_session", journal_count_badges(d->journal, d->session_id),
	    "scans_ok", (json_int_t)d->scans_ok,
	    "scans_rejected", (json_int_t)d->scans_rejected,
	    "scanners", scanin_count(d->scanin),
	    "last_scan", d->last_scan,
	    "notice", d->notice_id[0] ? json_pack("{s:s, s:s}", "id", d->notice_id,
		"sha256", d->notice_sha256) : json_null(),
	    "clock_synced", now.synced,
	    "time", when,
	    "uptime_s", (json_int_t)((now.mono_ns - d->started_mono_ns) / 1000000000));
	if (o) {
		struct statvfs v;

		recording_status(d, o);
		json_object_set_new(o, "version", json_string(NOTEWELL_VERSION));
		json_object_set_new(o, "clock", json_pack("{s:s, s:I, s:I, s:b}", "boot",
		    now.boot_id, "mono_ns", (json_int_t)now.mono_ns, "wall_ns",
		    (json_int_t)now.wall_ns, "synced", now.synced));
		if (statvfs(d->dir, &v) == 0)
			json_object_set_new(o, "disk_free_bytes",
			    json_integer((json_int_t)((uint64_t)v.f_bavail * v.f_frsize)));
		json_object_set_new(o, "sync", sync_status_json(d->sync, d->journal, d->dir, &now));
		json_object_set_new(o, "screen_alarms", roomscreen_alarms_json(d));
	}
	return o;
}

static json_t *
cmd_session(struct daemon *d, json_t *req)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	const char *uid = json_string_value(json_object_get(req, "uid"));
	const char *title = json_string_value(json_object_get(req, "title"));
	struct journal_session cur;
	char gen[64], err[256];

	if (action && strcmp(action, "start") == 0) {
		if (!uid || !*uid) {
			char nonce[JOURNAL_NONCE_LEN + 1];
			journal_nonce(nonce);
			snprintf(gen, sizeof gen, "manual-%.12s", nonce);
			uid = gen;
		}
		if (strlen(uid) >= sizeof cur.uid)
			return ctl_error("session uid too long");
		if (session_open(d, uid, title ? title : uid, "manual", 1, err, sizeof err) != 0)
			return ctl_error("%s", err);
		return json_pack("{s:b, s:o}", "ok", 1, "session", session_json(d));
	}
	if (action && strcmp(action, "stop") == 0) {
		if (!d->session_id)
			return ctl_error("no session is open");
		json_t *s = session_json(d);
		/* Stopping a scheduled session by hand keeps it stopped for the
		 * rest of its slot. */
		if (journal_session_get(d->journal, d->session_id, &cur) == 0 &&
		    strcmp(cur.origin, "schedule") == 0)
			snprintf(d->suppressed_uid, sizeof d->suppressed_uid, "%s", cur.uid);
		if (session_close(d, err, sizeof err) != 0) {
			json_decref(s);
			return ctl_error("%s", err);
		}
		return json_pack("{s:b, s:o}", "ok", 1, "session", s);
	}
	return ctl_error("session action must be start or stop");
}

static json_t *
cmd_pause(struct daemon *d, int pause)
{
	char err[256];

	if (recording_pause(d, pause, err, sizeof err) != 0)
		return ctl_error("%s", err);
	return json_pack("{s:b, s:s}", "ok", 1, "state", pause ? "paused" : "recording");
}

static json_t *
cmd_clock(struct daemon *d, json_t *req)
{
	const char *until = json_string_value(json_object_get(req, "until"));
	const char *action = json_string_value(json_object_get(req, "action"));
	json_t *synced = json_object_get(req, "synced");
	char err[256];
	int64_t t;

	if (action && strcmp(action, "set") == 0) {
		const char *when = json_string_value(json_object_get(req, "time"));
		if (!when || nwtime_parse(when, &t) != 0)
			return ctl_error("clock set needs an RFC 3339 time");
		if (recording_step_clock(d, t, synced ? json_is_true(synced) : -1, err,
		    sizeof err) != 0)
			return ctl_error("%s", err);
		return json_pack("{s:b}", "ok", 1);
	}
	if (!until || nwtime_parse(until, &t) != 0)
		return ctl_error("clock run-until needs an RFC 3339 time");
	if (recording_run_until(d, t, err, sizeof err) != 0)
		return ctl_error("%s", err);
	return json_pack("{s:b}", "ok", 1);
}

static json_t *
cmd_schedule(struct daemon *d)
{
	char err[512];

	if (recording_load_schedule(d, err, sizeof err) != 0)
		return ctl_error("schedule not loaded, the old one stays: %s", err);
	recording_tick(d);
	return json_pack("{s:b, s:i}", "ok", 1, "sessions", d->sched ? (int)d->sched->n : 0);
}

static json_t *
cmd_scan(struct daemon *d, json_t *req)
{
	const char *badge = json_string_value(json_object_get(req, "badge"));
	char msg[256];
	int rc;

	if (!badge)
		return ctl_error("scan needs a badge");
	rc = bluesheet_scan(d, badge, "manual", msg, sizeof msg);
	if (rc != 0)
		return ctl_error("%s", msg);
	return json_pack("{s:b, s:s, s:I}", "ok", 1, "message", msg,
	    "session_id", (json_int_t)d->session_id);
}

static json_t *
cmd_events(struct daemon *d, json_t *req)
{
	json_int_t limit = json_integer_value(json_object_get(req, "limit"));
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	char when[40];
	int rc;

	if (limit <= 0 || limit > 10000)
		limit = 50;
	rc = sqlite3_prepare_v2(journal_db(d->journal),
	    "SELECT * FROM (SELECT id, kind, detail, at_wall_ns, at_synced FROM events"
	    " ORDER BY id DESC LIMIT ?) ORDER BY id", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, limit);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		nwtime_format(sqlite3_column_int64(st, 3), when, sizeof when);
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:b}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "kind", (const char *)sqlite3_column_text(st, 1),
		    "detail", (const char *)sqlite3_column_text(st, 2),
		    "time", when, "clock_synced", sqlite3_column_int(st, 4)));
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return ctl_error("cannot read events: %s", sqlite3_errstr(rc));
	}
	return json_pack("{s:b, s:o}", "ok", 1, "events", list);
}

static json_t *
cmd_bluesheet(struct daemon *d, json_t *req)
{
	json_t *sid = json_object_get(req, "session_id");

	return bluesheet_list(d, sid ? json_integer_value(sid) : d->session_id);
}

static json_t *
handle(void *arg, const char *cmd, json_t *req)
{
	struct daemon *d = arg;

	if (strcmp(cmd, "status") == 0)
		return cmd_status(d);
	if (strcmp(cmd, "session") == 0)
		return cmd_session(d, req);
	if (strcmp(cmd, "scan") == 0)
		return cmd_scan(d, req);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(d, req);
	if (strcmp(cmd, "bluesheet") == 0)
		return cmd_bluesheet(d, req);
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		return cmd_pause(d, cmd[0] == 'p');
	if (strcmp(cmd, "notice") == 0)
		return roomscreen_notice_json(d);
	if (strcmp(cmd, "notices") == 0)
		return roomscreen_reload_notices(d);
	if (strcmp(cmd, "clock") == 0)
		return cmd_clock(d, req);
	if (strcmp(cmd, "schedule") == 0)
		return cmd_schedule(d);
	if (strcmp(cmd, "sync") == 0)
		return sync_ctl(d, req);
	return ctl_error("unknown command '%s'", cmd);
}

/* SIGTERM and SIGINT through the loop (signalfd), SIGPIPE ignored. */
static int
watch_signals(struct daemon *d, char *err, size_t errlen)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->signal_fd < 0 || loop_add_fd(d->loop, d->signal_fd, POLLIN, on_signal, d) != 0) {
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Devices and socket are open: the rest runs as the configured user, which
 * gets the data folder with what root just created in it (the sync worker
 * is not told to start before this). Whoever we are then, root included,
 * writes stay in the data folder (sandbox.h); the sync processes confine
 * themselves the same way.
 */
static int
drop_privileges(struct daemon *d, char *err, size_t errlen)
{
	int rc;

	if (d->priv.active) {
		if ((rc = privdrop_chown_tree(&d->priv, d->dir)) != 0 ||
		    (rc = privdrop_apply(&d->priv)) != 0) {
			snprintf(err, errlen, "cannot become user %s: %s", d->priv.name,
			    strerror(-rc));
			return rc;
		}
		log_info("running as %s (uid %ld)", d->priv.name, (long)d->priv.uid);
	}
	if ((rc = sandbox_confine(d->dir)) == -EOPNOTSUPP)
		log_warnx("no Landlock in this kernel: writes are not confined to %s", d->dir);
	else if (rc != 0) {
		snprintf(err, errlen, "landlock: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

int
daemon_init(struct daemon *d, const struct config *cfg, const char *dir,
    char *err, size_t errlen)
{
	struct journal_session cur;
	struct nw_stamp now;
	int rc;

	memset(d, 0, sizeof *d);
	d->lock_fd = d->signal_fd = -1;
	d->cfg = *cfg;
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	if ((rc = board_init(&d->board, cfg->board)) != 0) {
		snprintf(err, errlen, "unknown board '%s'", cfg->board);
		return rc;
	}
	if (badge_config_init(&d->badge, cfg->badge_min_len, cfg->badge_max_len,
	    cfg->badge_charset, cfg->setup_prefix, cfg->badge_max_run) != BADGE_VALID) {
		snprintf(err, errlen, "badge settings are inconsistent (lengths, charset or prefix)");
		return -EINVAL;
	}
	if ((rc = privdrop_plan(cfg->user, &d->priv)) == -ENOENT)
		log_warnx("running as root: user '%s' does not exist", cfg->user);
	else if (rc != 0) {
		snprintf(err, errlen, "user '%s': %s", cfg->user, strerror(-rc));
		return rc;
	}
	if ((rc = lock_datadir(d, err, errlen)) != 0)
		return rc;
	/* Before any SQLite connection exists: see sync.h. A box that cannot
	 * sync still takes scans, so a failure here is only logged. */
	if (sync_start(&d->sync, cfg, dir, err, errlen) != 0)
		log_warnx("sync disabled: %s", err);
	nwclock_system_init(&d->clock);
	d->clock.force_synced = cfg->clock_synced;
	if ((rc = journal_open(dir, &d->journal, err, errlen)) != 0)
		return rc;
	/* Whatever the box records reaches the host without waiting for the
	 * next heartbeat; events the worker writes itself it sends in the
	 * same round (see sync_worker.c). */
	if (d->sync)
		journal_on_change(d->journal, sync_nudge, d->sync);
	nwclock_now(&d->clock, &now);
	d->started_mono_ns = now.mono_ns;
	/* A session left open by a crash or power cut goes on: the room is
	 * still meeting, and its scans belong to it. */
	if (journal_session_current(d->journal, &cur) == 0) {
		d->session_id = cur.id;
		log_info("session %lld (%s) still open from before; continuing",
		    (long long)cur.id, cur.uid);
	}
	if (!(d->loop = loop_new())) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((rc = watch_signals(d, err, errlen)) != 0)
		return rc;
	if ((rc = ctl_open(d->loop, dir, handle, d, &d->ctl)) != 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, CTL_SOCKET, strerror(-rc));
		return rc;
	}
	if ((rc = roomscreen_open(d, err, errlen)) != 0)
		return rc;
	if ((rc = recording_init(d, err, errlen)) != 0)
		return rc;
	/* The notice is in force before the first scan or recording. */
	roomscreen_tick(d);
	loop_set_before_sleep(d->loop, before_sleep, d);
	loop_add_timer(d->loop, 1000, on_second, d);
	if ((rc = scanin_open(d, &d->scanin)) != 0) {
		snprintf(err, errlen, "scanner input: %s", strerror(-rc));
		return rc;
	}
	if ((rc = drop_privileges(d, err, errlen)) != 0)
		return rc;
	if (sync_attach(d->sync, d->loop) != 0)
		log_warnx("sync: cannot start the worker");
	nwclock_now(&d->clock, &now);
	journal_event(d->journal, "start", d->board.name, &now);
	return 0;
}

int
daemon_run(struct daemon *d)
{
	struct nw_stamp now;
	int rc;

	log_info("ready: board %s, data %s, device %s", d->board.name, d->dir,
	    journal_device_id(d->journal));
	rc = loop_run(d->loop, NULL);
	nwclock_now(&d->clock, &now);
	journal_event(d->journal, "stop", rc ? strerror(-rc) : "clean", &now);
	return rc;
}

void
daemon_free(struct daemon *d)
{
	/* Closing the scanners and the recording still writes events: they
	 * must not nudge a sync that is gone. */
	if (d->journal)
		journal_on_change(d->journal, NULL, NULL);
	sync_stop(d->sync);
	scanin_close(d->scanin);
	if (d->level)
		recording_free(d);
	roomscreen_close(d->screen);
	ctl_close(d->ctl);
	loop_free(d->loop);
	journal_close(d->journal);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}
