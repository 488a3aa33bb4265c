/*
 * Alerts on alarm changes; see opsalert.h.
 */
#include "opsalert.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nwtime.h"
#include "opsstore.h"

extern char **environ;

#define MAX_PENDING 64

struct pending {
	char room[128];
	char alarm[32];
	int enter;
	size_t idx;			/* room in the board */
};

static int
alertable(const char *alarm)
{
	return strcmp(alarm, "no_box") != 0 && strcmp(alarm, "unheard") != 0;
}

static struct opsstore_alert *
find(struct opsstore_alert *a, size_t n, const char *alarm)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].alarm, alarm) == 0)
			return &a[i];
	return NULL;
}

/* Decides the changes due for one room and records them as told. */
static int
room_changes(struct store *st, const struct opsboard *b, size_t idx, int64_t interval,
    struct pending *p, size_t *np)
{
	const struct opsboard_room *r = &b->rooms[idx];
	struct opsstore_alert *a = NULL, fresh;
	int missing = opsboard_has(r, "missing"), rc = 0;
	size_t n = 0, i;

	if ((rc = opsstore_alerts_get(st, r->room, &a, &n)) < 0)
		return rc;
	/* Entering: alarms on the board not reported as entered. */
	for (i = 0; i < r->nalarms && *np < MAX_PENDING; i++) {
		struct opsstore_alert *s = find(a, n, r->alarms[i]);
		if (!alertable(r->alarms[i]) || (s && s->notified))
			continue;
		if (s && s->last_enter_ns && b->now_ns - s->last_enter_ns < interval)
			continue;	/* reported within the interval: later */
		if (!s) {
			memset(&fresh, 0, sizeof fresh);
			snprintf(fresh.alarm, sizeof fresh.alarm, "%s", r->alarms[i]);
			s = &fresh;
		}
		s->notified = 1;
		s->last_enter_ns = b->now_ns;
		if ((rc = opsstore_alert_put(st, r->room, s)) < 0)
			goto out;
		snprintf(p[*np].room, sizeof p->room, "%s", r->room);
		snprintf(p[*np].alarm, sizeof p->alarm, "%s", r->alarms[i]);
		p[*np].enter = 1;
		p[(*np)++].idx = idx;
	}
	/* Leaving: reported alarms no longer on the board. While the room is
	 * missing its other alarms are unknown, not gone. */
	for (i = 0; i < n && *np < MAX_PENDING; i++) {
		if (!a[i].notified || opsboard_has(r, a[i].alarm) ||
		    (missing && strcmp(a[i].alarm, "missing") != 0))
			continue;
		if (a[i].last_leave_ns && b->now_ns - a[i].last_leave_ns < interval)
			continue;
		a[i].notified = 0;
		a[i].last_leave_ns = b->now_ns;
		if ((rc = opsstore_alert_put(st, r->room, &a[i])) < 0)
			goto out;
		snprintf(p[*np].room, sizeof p->room, "%s", r->room);
		snprintf(p[*np].alarm, sizeof p->alarm, "%s", a[i].alarm);
		p[*np].enter = 0;
		p[(*np)++].idx = idx;
	}
out:
	free(a);
	return rc;
}

int
opsalert_check(struct store *st, const struct opsboard *b, int64_t interval,
    opsalert_fn fn, void *arg)
{
	struct pending p[MAX_PENDING];
	size_t np = 0, i;
	int rc;

	if ((rc = store_begin(st)) < 0)
		return rc;
	for (i = 0; i < b->n; i++)
		if ((rc = room_changes(st, b, i, interval, p, &np)) < 0)
			break;
	if (rc == 0)
		rc = store_commit(st);
	store_rollback(st);
	if (rc < 0)
		return rc;
	/* Told after the commit: a crash in between loses an alert, it never
	 * repeats one. */
	for (i = 0; i < np; i++) {
		struct opsalert_event ev = { p[i].enter ? "enter" : "leave", p[i].alarm,
		    &b->rooms[p[i].idx], b->now_ns };
		json_t *j = opsboard_room_json(b, ev.room);
		char *text;

		if (j) {
			json_object_set_new(j, "event", json_string(ev.event));
			json_object_set_new(j, "alarm", json_string(ev.alarm));
			json_object_del(j, "levels");
		}
		text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		log_info("alert: room %s %s %s", ev.room->room, p[i].enter ? "entered" : "left",
		    ev.alarm);
		if (fn(arg, &ev, text ? text : "{}") < 0)
			log_warnx("alert command for room %s could not run", ev.room->room);
		free(text);
		json_decref(j);
	}
	return (int)np;
}

int
opsalert_spawn(void *cmd, const struct opsalert_event *ev, const char *json)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "sh", "-c", cmd, NULL };
	char env[8][512], at[40], *envp[256 + 8];
	size_t n = 0, k;
	int fds[2], rc;
	pid_t pid;

	nwtime_format(ev->at_ns, at, sizeof at);
	snprintf(env[0], sizeof env[0], "NOTEWELL_EVENT=%s", ev->event);
	snprintf(env[1], sizeof env[1], "NOTEWELL_ALARM=%s", ev->alarm);
	snprintf(env[2], sizeof env[2], "NOTEWELL_ROOM=%s", ev->room->room);
	snprintf(env[3], sizeof env[3], "NOTEWELL_BOX=%s", ev->room->box);
	snprintf(env[4], sizeof env[4], "NOTEWELL_STATE=%s", ev->room->state);
	snprintf(env[5], sizeof env[5], "NOTEWELL_SESSION=%s", ev->room->session_uid);
	snprintf(env[6], sizeof env[6], "NOTEWELL_AT=%s", at);
	/* The command gets our environment (PATH, HOME, mail settings) minus
	 * any NOTEWELL_* of ours, plus the alert's. */
	for (k = 0; environ[k] && n < 256; k++)
		if (strncmp(environ[k], "NOTEWELL_", 9) != 0)
			envp[n++] = environ[k];
	for (k = 0; k < 7; k++)
		envp[n++] = env[k];
	envp[n] = NULL;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		return -rc;
	}
	/* A few hundred bytes: fits the pipe, so this never blocks. */
	if (write(fds[1], json, strlen(json)) < 0 || write(fds[1], "\n", 1) < 0)
		log_warn("alert command stdin");
	close(fds[1]);
	return (int)pid;
}
