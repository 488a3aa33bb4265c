/*
 * Heartbeats to the host; see heartbeat.h.
 */
#include "heartbeat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "sync_http.h"
#include "sync_worker.h"
#include "version.h"

struct heartbeat {
	const struct config *cfg;
	char dir[4096];
	char box[SYNCPROTO_BOX_MAX + 1];
	const struct minisign_key *key;
	struct nw_clock clock;
	struct syncseq seq;
	struct synchttp http;
	int http_ready;
	char url[SYNCPROTO_URL_MAX + 1];
	char pin[SYNCPROTO_PIN_B64 + 1];
	int stop[2];		/* a byte on stop[1] ends the thread */
	pthread_t thread;
	int failing;		/* so a dead host is logged once, not every beat */
};

static void
add_alarm(json_t *alarms, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(alarms, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return;
	json_array_append_new(alarms, json_string(name));
}

/* The daemon's alarm names, in the heartbeat's vocabulary. */
static const char *
alarm_name(const char *daemon_name)
{
	if (strcmp(daemon_name, "disk") == 0)
		return "disk_low";
	if (strcmp(daemon_name, "not-recording") == 0)
		return "not_recording";
	return daemon_name;
}

static json_int_t
int_at(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_integer_value(v);
}

json_t *
heartbeat_build(const json_t *st, const struct config *cfg, const char *box)
{
	const char *state = json_string_value(json_object_get(st, "state"));
	const json_t *sess = json_object_get(st, "session"), *sync = json_object_get(st, "sync");
	const json_t *backlog = json_object_get(sync, "backlog"), *level, *v;
	json_t *hb, *alarms = json_array();
	size_t i;

	if (!state || (strcmp(state, "recording") != 0 && strcmp(state, "paused") != 0))
		state = "idle";	/* a session that records nothing is idle here */
	json_array_foreach(json_object_get(st, "alarms"), i, v)
		if (json_is_string(v))
			add_alarm(alarms, alarm_name(json_string_value(v)));
	if (st && !json_is_true(json_object_get(st, "clock_synced")))
		add_alarm(alarms, "clock_unsynced");
	if (st && int_at(st, "scanners", NULL) <= 0)
		add_alarm(alarms, "scanner_missing");
	if (int_at(backlog, "oldest_age_s", NULL) > HEARTBEAT_BACKLOG_ALARM_S)
		add_alarm(alarms, "sync_backlog");
	if (!st)
		add_alarm(alarms, "daemon_unreachable");
	level = json_object_get(st, "level");
	hb = json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:f, s:f}, s:o, s:I, s:I, s:s, s:I,"
	    " s:{s:b, s:I, s:I, s:s}, s:b, s:I, s:{s:I, s:I, s:I}, s:s,"
	    " s:i, s:i, s:i, s:i, s:i, s:i}",
	    "format", HEARTBEAT_FORMAT,
	    "box", box,
	    "room", cfg->room,
	    "state", state,
	    "session", json_is_object(sess) ? json_pack("{s:s, s:s}",
		"uid", json_string_value(json_object_get(sess, "uid")) ?
		json_string_value(json_object_get(sess, "uid")) : "",
		"title", json_string_value(json_object_get(sess, "title")) ?
		json_string_value(json_object_get(sess, "title")) : "") : json_null(),
	    "level", "rms_dbfs", json_is_number(json_object_get(level, "rms_dbfs")) ?
		json_number_value(json_object_get(level, "rms_dbfs")) : -120.0,
		"peak_dbfs", json_is_number(json_object_get(level, "peak_dbfs")) ?
		json_number_value(json_object_get(level, "peak_dbfs")) : -120.0,
	    "alarms", alarms,
	    "disk_free_bytes", int_at(st, "disk_free_bytes", NULL),
	    "scans_session", int_at(st, "badges_session", NULL),
	    "version", NOTEWELL_VERSION,
	    "uptime_s", int_at(st, "uptime_s", NULL),
	    "clock", "synced", json_is_true(json_object_get(st, "clock_synced")),
		"wall_ns", int_at(st, "clock", "wall_ns"),
		"mono_ns", int_at(st, "clock", "mono_ns"),
		"boot", json_string_value(json_object_get(json_object_get(st, "clock"), "boot")) ?
		json_string_value(json_object_get(json_object_get(st, "clock"), "boot")) : "",
	    "scanner_present", int_at(st, "scanners", NULL) > 0,
	    "scanners", int_at(st, "scanners", NULL),
	    "backlog", "records", int_at(backlog, "records", NULL),
		"bytes", int_at(backlog, "bytes", NULL),
		"oldest_age_s", int_at(backlog, "oldest_age_s", NULL),
	    "sync_state", json_string_value(json_object_get(sync, "state")) ?
		json_string_value(json_object_get(sync, "state")) : "unknown",
	    "heartbeat_s", cfg->heartbeat_s,
	    "opus_bitrate", cfg->opus_bitrate,
	    "disk_reserve_mb", cfg->disk_reserve_mb,
	    "preroll_s", cfg->preroll_s,
	    "postroll_s", cfg->postroll_s,
	    "silence_dbfs", cfg->silence_dbfs);
	return hb;
}

/* The enrolled host, re-read each beat: enrollment happens while we run. */
static int
load_host(struct heartbeat *h)
{
	char path[4200];
	const char *url, *pin;
	json_t *j;
	int rc = -ENOENT;

	snprintf(path, sizeof path, "%s/sync/%s", h->dir, SYNC_HOST_FILE);
	if (!(j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL)))
		return -ENOENT;
	url = json_string_value(json_object_get(j, "url"));
	pin = json_string_value(json_object_get(j, "pin"));
	if (url && pin && syncproto_url_ok(url) && syncproto_pin_ok(pin)) {
		rc = 0;
		if (!h->http_ready || strcmp(url, h->url) != 0 || strcmp(pin, h->pin) != 0) {
			if (h->http_ready)
				synchttp_free(&h->http);
			h->http_ready = 0;
			snprintf(h->url, sizeof h->url, "%s", url);
			snprintf(h->pin, sizeof h->pin, "%s", pin);
			rc = synchttp_init(&h->http, url, pin, h->box, h->key, &h->seq, &h->clock, 0);
			h->http_ready = rc == 0;
		}
	}
	json_decref(j);
	return rc;
}

static void
beat(struct heartbeat *h)
{
	struct synchttp_reply r = { 0 };
	json_t *req, *st, *hb = NULL;
	char err[256], *body = NULL;
	int rc;

	if (load_host(h) != 0)
		return;
	req = json_pack("{s:s}", "cmd", "status");
	st = req ? ctl_call(h->dir, req, err, sizeof err) : NULL;
	json_decref(req);
	if (!(hb = heartbeat_build(st, h->cfg, h->box)) ||
	    !(body = json_dumps(hb, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)))
		goto out;
	rc = synchttp_request(&h->http, "POST", "/v1/heartbeat", NULL, body, strlen(body), &r,
	    err, sizeof err);
	if (rc < 0 || r.status != 200) {
		if (!h->failing)
			log_warnx("heartbeat to %s: %s", h->url, rc < 0 ? err : "refused by the host");
		h->failing = 1;
		/* A fresh connection next time: the old one may be half dead. */
		synchttp_free(&h->http);
		h->http_ready = 0;
	} else if (h->failing) {
		log_info("heartbeat to %s: the host hears us again", h->url);
		h->failing = 0;
	}
out:
	free(body);
	json_decref(hb);
	json_decref(st);
	synchttp_reply_free(&r);
}

static void *
run(void *arg)
{
	struct heartbeat *h = arg;
	struct pollfd p = { h->stop[0], POLLIN, 0 };

	/* The first beat soon after start, so a restarted box shows up at once. */
	if (poll(&p, 1, 1000) != 0)
		return NULL;
	for (;;) {
		struct timespec a, b;
		int64_t wait_ms;

		clock_gettime(CLOCK_MONOTONIC, &a);
		beat(h);
		clock_gettime(CLOCK_MONOTONIC, &b);
		/* Keep the cadence: a slow beat shortens the wait after it. */
		wait_ms = (int64_t)h->cfg->heartbeat_s * 1000 - ((b.tv_sec - a.tv_sec) * 1000 +
		    (b.tv_nsec - a.tv_nsec) / 1000000);
		if (poll(&p, 1, wait_ms > 0 ? (int)wait_ms : 0) != 0)
			break;
	}
	return NULL;
}

int
heartbeat_start(struct heartbeat **out, const struct config *cfg, const char *dir,
    const char *box, const struct minisign_key *key, int force_synced)
{
	struct heartbeat *h = calloc(1, sizeof *h);
	char path[4200];
	int rc;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->cfg = cfg;
	h->key = key;
	h->stop[0] = h->stop[1] = -1;
	snprintf(h->dir, sizeof h->dir, "%s", dir);
	snprintf(h->box, sizeof h->box, "%s", box);
	nwclock_system_init(&h->clock);
	h->clock.force_synced = force_synced;
	/* Its own counter: the host checks heartbeat numbers apart from data
	 * requests, so the two never race for one sequence. */
	snprintf(path, sizeof path, "%s/sync/%s", dir, HEARTBEAT_SEQ_FILE);
	if ((rc = syncseq_open(&h->seq, path)) < 0)
		goto fail;
	if (pipe2(h->stop, O_CLOEXEC) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = -pthread_create(&h->thread, NULL, run, h)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	if (h->stop[0] >= 0) {
		close(h->stop[0]);
		close(h->stop[1]);
	}
	free(h);
	return rc;
}

void
heartbeat_stop(struct heartbeat *h)
{
	struct timespec until;

	if (!h)
		return;
	if (write(h->stop[1], "x", 1) != 1)
		log_warn("heartbeat: stop");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 3;
	/* A beat stuck on a dead link may outlive us; the process is ending
	 * then anyway, so do not free what the thread still uses. */
	if (pthread_timedjoin_np(h->thread, NULL, &until) != 0)
		return;
	if (h->http_ready)
		synchttp_free(&h->http);
	close(h->stop[0]);
	close(h->stop[1]);
	free(h);
}
