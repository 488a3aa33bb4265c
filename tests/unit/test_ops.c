/*
 * Operations on a fake clock: the status board (recording, silence,
 * missing), alerts (once on entering, once on leaving, not again after a
 * restart, not more than once per interval), preflight (ready, and each
 * reason a room is not), heartbeat bodies (built by the box's code, checked
 * by the host's).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "heartbeat.h"
#include "opsalert.h"
#include "opsboard.h"
#include "opsstore.h"
#include "preflight.h"
#include "progress.h"
#include "schedout.h"
#include "store.h"

#define S 1000000000LL
/* The fake "now": 2026-07-18T12:00:00Z. */
#define T0 (1784376000LL * S)

struct fx {
	char dir[64];
	struct store st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct store_session s = { 0 };
	struct store_device d = { 0 };
	uint8_t pk[32] = { 1 };

	snprintf(f->dir, sizeof f->dir, "/tmp/nwops.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(&f->st, f->dir), 0);
	assert_int_equal(store_set_meeting(&f->st, "125"), 0);
	/* Three rooms in the agenda, each with a session from 13:00 to 15:00. */
	const char *rooms[] = { "Alpha", "Beta", "Gamma" };
	for (int i = 0; i < 3; i++) {
		char uid[64];
		snprintf(uid, sizeof uid, "ietf-125-%d-x", i);
		s.uid = uid;
		s.acronym = "x";
		s.name = "X";
		s.room = rooms[i];
		s.start_utc = T0 / S + 3600;
		s.end_utc = T0 / S + 3 * 3600;
		s.public_ = 1;
		assert_int_equal(store_put_session(&f->st, &s), 0);
	}
	/* Boxes for Alpha and Beta; Gamma has none. */
	d.pubkey = pk;
	d.enrolled_at = T0 / S - 86400;
	d.id = "aaaa000000000001";
	d.room = "Alpha";
	assert_int_equal(store_add_device(&f->st, &d), 0);
	d.id = "bbbb000000000002";
	d.room = "Beta";
	assert_int_equal(store_add_device(&f->st, &d), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

struct box_state {
	const char *state;		/* daemon's: idle, recording, paused */
	double rms;
	const char *alarm;		/* daemon alarm or NULL */
	int scanners, synced;
	int64_t disk_free;
};

/* A heartbeat as the box builds it (firmware/heartbeat.c) from a ctl
 * status reply, checked and stored as the host does. */
static void
beat(struct fx *f, const char *box, const struct box_state *b, int64_t at, int64_t offset)
{
	struct config cfg;
	json_t *st, *hb, *parsed = NULL;
	char *text, err[256];

	config_defaults(&cfg);
	cfg.heartbeat_s = 10;
	st = json_pack("{s:s, s:{s:s, s:s}, s:{s:f, s:f}, s:[], s:b, s:i, s:I, s:I, s:i,"
	    " s:{s:{s:i, s:i, s:i}, s:s}, s:{s:s, s:I, s:I, s:b}}",
	    "state", b->state, "session", "uid", "ietf-125-0-x", "title", "X",
	    "level", "rms_dbfs", b->rms, "peak_dbfs", b->rms + 10,
	    "alarms", "clock_synced", b->synced, "scanners", b->scanners,
	    "disk_free_bytes", (json_int_t)b->disk_free, "uptime_s", (json_int_t)100,
	    "badges_session", 7,
	    "sync", "backlog", "records", 2, "bytes", 0, "oldest_age_s", 1, "state", "idle",
	    "clock", "boot", "b", "mono_ns", (json_int_t)1, "wall_ns", (json_int_t)at,
	    "synced", b->synced);
	assert_non_null(st);
	if (b->alarm)
		json_array_append_new(json_object_get(st, "alarms"), json_string(b->alarm));
	hb = heartbeat_build(st, &cfg, box);
	assert_non_null(hb);
	text = json_dumps(hb, JSON_COMPACT);
	assert_int_equal(opsstore_heartbeat_parse(text, strlen(text), box, &parsed, err,
	    sizeof err), 0);
	assert_int_equal(opsstore_put_heartbeat(&f->st, box, parsed, at, offset, "127.0.0.1"), 0);
	free(text);
	json_decref(parsed);
	json_decref(hb);
	json_decref(st);
}

static const struct box_state speech = { "recording", -22, NULL, 1, 1, 100LL << 30 };
static const struct box_state silent = { "recording", -90, "silence", 1, 1, 100LL << 30 };

static const struct opsboard_room *
room(const struct opsboard *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->rooms[i].room, name) == 0)
			return &b->rooms[i];
	fail_msg("no room %s", name);
	return NULL;
}

static void
test_board(void **state)
{
	struct fx *f = *state;
	struct opsboard b;
	const struct opsboard_room *r;

	beat(f, "aaaa000000000001", &speech, T0 - 2 * S, 0);
	beat(f, "bbbb000000000002", &silent, T0 - 2 * S, 0);
	assert_int_equal(opsboard_build(&f->st, T0, &b), 0);
	assert_int_equal(b.n, 3);
	r = room(&b, "Alpha");
	assert_string_equal(r->state, "recording");
	assert_int_equal(r->nalarms, 0);
	assert_int_equal(r->people, 7);
	assert_int_equal(r->backlog_records, 2);
	assert_string_equal(r->session_uid, "ietf-125-0-x");
	r = room(&b, "Beta");
	assert_string_equal(r->state, "recording");
	assert_true(opsboard_has(r, "silence"));
	assert_false(opsboard_has(r, "missing"));
	assert_string_equal(room(&b, "Gamma")->state, "no-box");
	/* Problems first: Alpha, the only healthy room, is last. */
	assert_string_equal(b.rooms[2].room, "Alpha");
	opsboard_free(&b);

	/* 2 heartbeats of 10 s after the last one it is still there... */
	assert_int_equal(opsboard_build(&f->st, T0 - 2 * S + 20 * S, &b), 0);
	assert_string_equal(room(&b, "Alpha")->state, "recording");
	opsboard_free(&b);
	/* ... and then it is missing, keeping what it said last. */
	assert_int_equal(opsboard_build(&f->st, T0 - 2 * S + 21 * S, &b), 0);
	r = room(&b, "Alpha");
	assert_string_equal(r->state, "missing");
	assert_true(opsboard_has(r, "missing"));
	assert_string_equal(room(&b, "Beta")->state, "missing");
	assert_true(opsboard_has(room(&b, "Beta"), "silence"));
	opsboard_free(&b);

	/* The level history is bounded and in time order. */
	for (int i = 0; i < OPSSTORE_LEVELS_MAX + 10; i++) {
		struct box_state x = speech;
		x.rms = -60 + i % 40;
		beat(f, "aaaa000000000001", &x, T0 + i * S, 0);
	}
	assert_int_equal(opsboard_build(&f->st, T0 + 200 * S, &b), 0);
	r = room(&b, "Alpha");
	assert_int_equal(r->nlevels, OPSSTORE_LEVELS_MAX);
	assert_true(r->levels[OPSSTORE_LEVELS_MAX - 1] == -60 + (OPSSTORE_LEVELS_MAX + 9) % 40);
	opsboard_free(&b);
}

struct fired {
	char log[32][200];
	int n;
};

static int
fake_run(void *arg, const struct opsalert_event *ev, const char *json)
{
	struct fired *x = arg;
	json_t *j = json_loads(json, 0, NULL);

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "room")), ev->room->room);
	assert_string_equal(json_string_value(json_object_get(j, "event")), ev->event);
	json_decref(j);
	snprintf(x->log[x->n++], sizeof x->log[0], "%s %s %s", ev->room->room, ev->event,
	    ev->alarm);
	return 0;
}

static int
alerts_at(struct fx *f, int64_t now, struct fired *x)
{
	struct opsboard b;
	int n;

	assert_int_equal(opsboard_build(&f->st, now, &b), 0);
	n = opsalert_check(&f->st, &b, 60 * S, fake_run, x);
	opsboard_free(&b);
	return n;
}

static void
test_alerts(void **state)
{
	struct fx *f = *state;
	struct fired x = { 0 };

	beat(f, "aaaa000000000001", &speech, T0, 0);
	beat(f, "bbbb000000000002", &speech, T0, 0);
	assert_int_equal(alerts_at(f, T0, &x), 0);	/* healthy; Gamma has no box */

	beat(f, "bbbb000000000002", &silent, T0 + 1 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 1 * S, &x), 1);
	assert_string_equal(x.log[0], "Beta enter silence");
	beat(f, "bbbb000000000002", &silent, T0 + 2 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 2 * S, &x), 0);	/* still on: not again */

	/* A restart (a new connection to the same store) does not re-fire. */
	store_close(&f->st);
	assert_int_equal(store_open(&f->st, f->dir), 0);
	assert_int_equal(alerts_at(f, T0 + 3 * S, &x), 0);

	beat(f, "bbbb000000000002", &speech, T0 + 4 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 4 * S, &x), 1);
	assert_string_equal(x.log[1], "Beta leave silence");
	assert_int_equal(alerts_at(f, T0 + 5 * S, &x), 0);

	/* Flapping within the interval: no second "enter" until it passed. */
	beat(f, "bbbb000000000002", &silent, T0 + 6 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 6 * S, &x), 0);
	beat(f, "bbbb000000000002", &silent, T0 + 61 * S, 0);
	beat(f, "aaaa000000000001", &speech, T0 + 61 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 61 * S, &x), 1);
	assert_string_equal(x.log[2], "Beta enter silence");

	/* Alpha goes quiet: missing once; Beta's silence is not "left" while
	 * Beta is missing too. */
	assert_int_equal(alerts_at(f, T0 + 200 * S, &x), 2);
	assert_string_equal(x.log[3], "Alpha enter missing");
	assert_string_equal(x.log[4], "Beta enter missing");
	assert_int_equal(alerts_at(f, T0 + 201 * S, &x), 0);
	beat(f, "aaaa000000000001", &speech, T0 + 202 * S, 0);
	assert_int_equal(alerts_at(f, T0 + 202 * S, &x), 1);
	assert_string_equal(x.log[5], "Alpha leave missing");
	assert_int_equal(x.n, 6);
}

static void
fetched(struct fx *f, const char *box, const char *room_name)
{
	char sha[65];
	json_t *j = schedout_room(&f->st, room_name);

	assert_non_null(j);
	assert_int_equal(schedout_sha256(j, sha), 0);
	assert_int_equal(opsstore_note_schedule(&f->st, box, sha, 1, T0), 0);
	json_decref(j);
}

/* Runs preflight at T0; returns the failing check of room, or "" if ready. */
static const char *
failing(struct fx *f, const char *name, char *detail, size_t len)
{
	static char what[32];
	struct preflight_opts o;
	struct preflight_result res;

	preflight_defaults(&o);
	assert_int_equal(preflight_run(&f->st, T0, &o, &res), 0);
	what[0] = detail[0] = '\0';
	for (size_t i = 0; i < res.nrooms; i++) {
		if (strcmp(res.rooms[i].room, name) != 0)
			continue;
		for (size_t k = 0; k < res.rooms[i].nchecks; k++)
			if (!res.rooms[i].checks[k].ok && !what[0]) {
				snprintf(what, sizeof what, "%s", res.rooms[i].checks[k].what);
				snprintf(detail, len, "%s", res.rooms[i].checks[k].detail);
			}
	}
	preflight_free(&res);
	return what;
}

static void
test_preflight(void **state)
{
	struct fx *f = *state;
	struct preflight_opts o;
	struct preflight_result res;
	struct box_state b = speech;
	char d[256];
	/* 2 h of session + 2 min of roll at 32 kb/s = 29.3 MB, + 200 MB reserve. */
	int64_t need = (2 * 3600 + 120) * 32000 / 8 + 200LL * 1024 * 1024;

	assert_string_equal(failing(f, "Alpha", d, sizeof d), "heard");
	assert_string_equal(failing(f, "Gamma", d, sizeof d), "box");
	assert_non_null(strstr(d, "no box enrolled"));

	b.disk_free = need;
	beat(f, "aaaa000000000001", &b, T0 - S, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "schedule");
	fetched(f, "aaaa000000000001", "Alpha");
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "");

	b.disk_free = need - 1;
	beat(f, "aaaa000000000001", &b, T0 - S, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "disk");
	assert_non_null(strstr(d, "too little"));
	b.disk_free = need;

	b.scanners = 0;
	beat(f, "aaaa000000000001", &b, T0 - S, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "scanner");
	b.scanners = 1;

	beat(f, "aaaa000000000001", &b, T0 - S, 5 * S);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "clock");
	assert_non_null(strstr(d, "off by 5000 ms"));
	b.synced = 0;
	beat(f, "aaaa000000000001", &b, T0 - S, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "clock");
	assert_non_null(strstr(d, "not synced"));
	b.synced = 1;

	/* Silence in all of the last few heartbeats. */
	struct box_state q = b;
	q.rms = -90;
	for (int i = 3; i >= 1; i--)
		beat(f, "aaaa000000000001", &q, T0 - i * S, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "audio");
	beat(f, "aaaa000000000001", &b, T0 - S / 2, 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "");

	/* The agenda changed after the box fetched its schedule. */
	struct store_session s = { "ietf-125-9-y", "y", "Y", "Alpha", T0 / S + 5 * 3600,
	    T0 / S + 6 * 3600, 1, 0 };
	assert_int_equal(store_put_session(&f->st, &s), 0);
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "schedule");
	fetched(f, "aaaa000000000001", "Alpha");
	assert_string_equal(failing(f, "Alpha", d, sizeof d), "disk");	/* one more hour */

	/* A box that stopped sending is not ready. */
	preflight_defaults(&o);
	assert_int_equal(preflight_run(&f->st, T0 + 3600 * S, &o, &res), 0);
	assert_int_equal(res.nrooms, 3);
	assert_int_equal(res.failed_rooms, 3);
	assert_string_equal(res.rooms[0].room, "Alpha");
	assert_string_equal(res.rooms[0].checks[1].what, "heard");
	assert_non_null(strstr(res.rooms[0].checks[1].detail, "missing"));
	preflight_free(&res);
}

static void
test_heartbeat_refused(void **state)
{
	struct fx *f = *state;
	json_t *out = NULL;
	char err[256], big[OPSSTORE_HEARTBEAT_MAX + 2];
	const char *bad[] = {
		"[]", "{", "{\"format\":\"notewell-heartbeat-1\"}",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(opsstore_heartbeat_parse(bad[i], strlen(bad[i]), "b", &out, err,
		    sizeof err), -EBADMSG);
	memset(big, ' ', sizeof big);
	assert_int_equal(opsstore_heartbeat_parse(big, sizeof big, "b", &out, err, sizeof err),
	    -EBADMSG);
	/* A good one for another box, and one with a level of the wrong type. */
	beat(f, "aaaa000000000001", &speech, T0, 0);
	sqlite3_stmt *q;
	assert_int_equal(store_prepare(&f->st, "SELECT body FROM box_status", &q), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	char *body = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	assert_int_equal(opsstore_heartbeat_parse(body, strlen(body), "bbbb000000000002", &out,
	    err, sizeof err), -EBADMSG);
	json_t *j = json_loads(body, 0, NULL);
	assert_non_null(j);
	json_object_set_new(json_object_get(j, "level"), "rms_dbfs", json_string("x"));
	free(body);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	assert_int_equal(opsstore_heartbeat_parse(body, strlen(body), "aaaa000000000001", &out,
	    err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "rms_dbfs"));
	free(body);
	/* Replayed heartbeat numbers are refused, apart from data numbers. */
	assert_int_equal(opsstore_check_hb_seq(&f->st, "aaaa000000000001", 5), 0);
	assert_int_equal(opsstore_check_hb_seq(&f->st, "aaaa000000000001", 5), -EACCES);
	assert_int_equal(opsstore_check_hb_seq(&f->st, "aaaa000000000001", 4), -EACCES);
	assert_int_equal(opsstore_check_hb_seq(&f->st, "aaaa000000000001", 6), 0);
}

/* Every file in tests/bad/heartbeat is refused (as box "b"), and the good
 * heartbeat they were made from is accepted, so each file fails for its
 * own reason. */
static void
test_heartbeat_bad_files(void **state)
{
	static const char good[] = "{\"alarms\":[],\"backlog\":{\"bytes\":0,\"oldest_age_s\":0,"
	    "\"records\":0},\"box\":\"b\",\"clock\":{\"boot\":\"x\",\"mono_ns\":1,\"synced\":true,"
	    "\"wall_ns\":1},\"disk_free_bytes\":1,\"disk_reserve_mb\":200,\"format\":"
	    "\"notewell-heartbeat-1\",\"heartbeat_s\":1,\"level\":{\"peak_dbfs\":-1.0,"
	    "\"rms_dbfs\":-2.0},\"opus_bitrate\":32000,\"postroll_s\":60,\"preroll_s\":60,"
	    "\"room\":\"R\",\"scanner_present\":true,\"scanners\":1,\"scans_session\":0,"
	    "\"session\":null,\"silence_dbfs\":-50,\"state\":\"idle\",\"sync_state\":\"idle\","
	    "\"uptime_s\":2,\"version\":\"0.9.0\"}";
	DIR *d = opendir("tests/bad/heartbeat");
	struct dirent *de;
	json_t *out = NULL;
	char err[256], path[512], buf[16384];
	int n = 0;

	(void)state;
	assert_int_equal(opsstore_heartbeat_parse(good, strlen(good), "b", &out, err,
	    sizeof err), 0);
	json_decref(out);
	assert_non_null(d);
	while ((de = readdir(d))) {
		FILE *f;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "tests/bad/heartbeat/%s", de->d_name);
		assert_non_null(f = fopen(path, "r"));
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		out = NULL;
		if (opsstore_heartbeat_parse(buf, len, "b", &out, err, sizeof err) != -EBADMSG)
			fail_msg("%s was accepted", path);
		assert_null(out);
		n++;
	}
	closedir(d);
	assert_true(n >= 15);
}

static void
test_operators(void **state)
{
	struct fx *f = *state;
	char secret[OPSSTORE_SECRET_HEX + 1], wrong[OPSSTORE_SECRET_HEX + 1];

	assert_int_equal(opsstore_operator_add(&f->st, "alice", secret, 1), 0);
	assert_int_equal(strlen(secret), OPSSTORE_SECRET_HEX);
	assert_int_equal(opsstore_operator_check(&f->st, "alice", secret), 0);
	snprintf(wrong, sizeof wrong, "%s", secret);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	assert_int_equal(opsstore_operator_check(&f->st, "alice", wrong), -EACCES);
	assert_int_equal(opsstore_operator_check(&f->st, "bob", secret), -EACCES);
	assert_int_equal(opsstore_operator_check(&f->st, "alice", ""), -EACCES);
	assert_int_equal(opsstore_operator_remove(&f->st, "alice"), 0);
	assert_int_equal(opsstore_operator_check(&f->st, "alice", secret), -EACCES);
	assert_int_equal(opsstore_operator_remove(&f->st, "alice"), -ENOENT);
}

static void
read_all(FILE *f, char *buf, size_t len)
{
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
}

static void
test_progress(void **state)
{
	struct progress p;
	char buf[4096];
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	/* A file is not a terminal: nothing at all. */
	progress_start(&p, f, "publish", 3);
	progress_set(&p, 1);
	progress_end(&p);
	read_all(f, buf, sizeof buf);
	assert_string_equal(buf, "");
	/* On a terminal: a bar redrawn in place, the last state shown, the
	 * line cleared at the end. */
	progress_start_as(&p, f, "publish", 3, 1);
	for (int i = 1; i <= 3; i++)
		progress_set(&p, (uint64_t)i);
	progress_end(&p);
	read_all(f, buf, sizeof buf);
	assert_non_null(strstr(buf, "\rpublish      [.........................."));
	assert_non_null(strstr(buf, "[##############################] 3/3 100%"));
	assert_non_null(strstr(buf, "\r\033[K"));
	assert_null(strchr(buf, '\n'));
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_board, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_heartbeat_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
