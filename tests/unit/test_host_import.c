/* csvfile.c and import.c: RFC 4180 edge cases with line numbers, agenda
 * import (TZIDs, UTC, JSON), every known-bad file rejected with FILE:LINE
 * and without changing the store, registrations re-import and purge. */
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

#include "csvfile.h"
#include "import.h"
#include "store.h"

static char tmpdir[64];

static char *
tpath(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

static void
write_bytes(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}
#define write_text(p, t) write_bytes(p, t, strlen(t))

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/nwimp.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int64_t
q1(struct store *st, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v = -1;

	assert_int_equal(store_prepare(st, sql, &q), 0);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static const char *
qs(struct store *st, const char *sql)
{
	static char buf[512];
	sqlite3_stmt *q;

	buf[0] = '\0';
	assert_int_equal(store_prepare(st, sql, &q), 0);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, sizeof buf, "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return buf;
}

static void
test_csv_quoting(void **state)
{
	struct csvfile cf;
	char err[256];
	/* BOM, CRLF, quoted comma, doubled quotes, a field over three lines,
	 * an empty quoted field, and a last line without a newline. */
	const char text[] = "\xef\xbb\xbf" "B,Name,Org\r\n"
	    "1,\"Lee, Ann\",\"The \"\"Best\"\" Org\"\r\n"
	    "2,\"Multi\nLine\nName\",\"\"\r\n"
	    "3,Plain,=cmd()";

	(void)state;
	write_text(tpath("q.csv"), text);
	assert_int_equal(csvfile_load(tpath("q.csv"), &cf, err, sizeof err), 0);
	assert_int_equal(cf.nrows, 4);
	assert_int_equal(csvfile_column(&cf, "b"), 0);
	assert_int_equal(csvfile_column(&cf, "ORG"), 2);
	assert_int_equal(csvfile_column(&cf, "missing"), -1);
	assert_string_equal(csvfile_get(&cf, 1, 1), "Lee, Ann");
	assert_string_equal(csvfile_get(&cf, 1, 2), "The \"Best\" Org");
	assert_string_equal(csvfile_get(&cf, 2, 1), "Multi\nLine\nName");
	assert_string_equal(csvfile_get(&cf, 2, 2), "");
	assert_string_equal(csvfile_get(&cf, 3, 2), "=cmd()");
	assert_string_equal(csvfile_get(&cf, 3, 7), "");
	assert_int_equal(cf.rows[1].line, 2);
	assert_int_equal(cf.rows[2].line, 3);
	assert_int_equal(cf.rows[3].line, 6);	/* after the 3-line field */
	csvfile_free(&cf);
}

static void
test_csv_errors(void **state)
{
	struct csvfile cf;
	char err[256], want[300];

	(void)state;
	write_text(tpath("e1.csv"), "a,b\n1,2\n3,\"x\ny\n");
	assert_int_equal(csvfile_load(tpath("e1.csv"), &cf, err, sizeof err),
	    -EINVAL);
	assert_non_null(strstr(err, "quote"));
	write_bytes(tpath("e2.csv"), "a,b\n1,2\n3,\xe2\x82\n", 13);
	assert_int_equal(csvfile_load(tpath("e2.csv"), &cf, err, sizeof err),
	    -EINVAL);
	snprintf(want, sizeof want, "%s:3: invalid UTF-8", tpath("e2.csv"));
	assert_memory_equal(err, want, strlen(want));
	/* UTF-8 validator details. */
	assert_true(csvfile_utf8_ok("\xf0\x9f\x98\x80", 4));
	assert_false(csvfile_utf8_ok("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(csvfile_utf8_ok("\xc0\x80", 2));		/* overlong */
	assert_false(csvfile_utf8_ok("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
}

static void
test_rfc3339(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(import_parse_rfc3339("2026-07-20T09:30:00+02:00", &t), 0);
	assert_int_equal(t, 1784532600);
	assert_int_equal(import_parse_rfc3339("2026-07-20T07:30:00.123Z", &t), 0);
	assert_int_equal(t, 1784532600);
	assert_int_equal(import_parse_rfc3339("2026-07-20T02:00:00-05:30", &t), 0);
	assert_int_equal(t, 1784532600);
	assert_int_equal(import_parse_rfc3339("2026-07-20T07:30:00", &t), -EINVAL);
	assert_int_equal(import_parse_rfc3339("2026-02-30T07:30:00Z", &t), -EINVAL);
	assert_int_equal(import_parse_rfc3339("2026-07-20 07:30:00Z", &t), -EINVAL);
	assert_int_equal(import_parse_rfc3339("2026-07-20T07:30:00+2", &t), -EINVAL);
}

static const char good_ics[] =
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
	"BEGIN:VEVENT\r\nUID:ietf-125-1-tls\r\nDTSTAMP:20260101T000000Z\r\n"
	"SUMMARY:tls - Transport Layer Security - bis\r\nLOCATION:Room A\r\n"
	"DTSTART;TZID=Europe/Madrid:20260720T093000\r\n"
	"DTEND;TZID=Europe/Madrid:20260720T113000\r\nEND:VEVENT\r\n"
	"BEGIN:VEVENT\r\nUID:ietf-125-2-iesg\r\nDTSTAMP:20260101T000000Z\r\n"
	"SUMMARY:iesg - Closed\r\nLOCATION:Room B\r\nCLASS:PRIVATE\r\n"
	"DTSTART:20260721T060000Z\r\nDTEND:20260721T070000Z\r\nEND:VEVENT\r\n"
	"END:VCALENDAR\r\n";

static void
test_agenda_ics(void **state)
{
	struct store st;
	char err[512];

	(void)state;
	assert_int_equal(store_open(&st, tpath("s-ics")), 0);
	write_text(tpath("agenda.ics"), good_ics);
	assert_int_equal(import_agenda(&st, tpath("agenda.ics"), err, sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM sessions"), 2);
	/* 09:30 in Madrid in July is 07:30 UTC. */
	assert_int_equal(q1(&st, "SELECT start_utc FROM sessions WHERE uid = "
	    "'ietf-125-1-tls'"), 1784532600);
	assert_string_equal(qs(&st, "SELECT name FROM sessions WHERE acronym = "
	    "'tls'"), "Transport Layer Security - bis");
	assert_int_equal(q1(&st, "SELECT public FROM sessions WHERE acronym = "
	    "'iesg'"), 0);
	assert_string_equal(qs(&st, "SELECT number FROM meeting"), "125");
	/* Idempotent, and an update changes in place. */
	assert_int_equal(import_agenda(&st, tpath("agenda.ics"), err, sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM sessions"), 2);
	store_close(&st);
}

static void
test_agenda_json(void **state)
{
	struct store st;
	char err[512];

	(void)state;
	assert_int_equal(store_open(&st, tpath("s-json")), 0);
	write_text(tpath("agenda.json"), "{\"sessions\":[{\"uid\":\"ietf-125-7-quic\","
	    "\"acronym\":\"quic\",\"name\":\"QUIC\",\"room\":\"Room A\","
	    "\"start\":\"2026-07-20T09:30:00+02:00\",\"end\":\"2026-07-20T11:00:00+02:00\","
	    "\"session_id\":33001,\"public\":true}]}");
	assert_int_equal(import_agenda(&st, tpath("agenda.json"), err, sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT dt_session_id FROM sessions"), 33001);
	assert_int_equal(q1(&st, "SELECT end_utc - start_utc FROM sessions"), 5400);
	store_close(&st);
}

/* Every file in dir must fail with "PATH:LINE: " (or a JSON path) and leave
 * the store exactly as it was. */
static void
run_bad_dir(const char *dir, int (*imp)(struct store *, const char *, char *,
    size_t), const char *store_name, const char *good, const char *count_sql)
{
	struct store st;
	struct dirent *de;
	char path[512], err[1024], fmt[600];
	int64_t before;
	int n = 0;
	DIR *d;

	assert_int_equal(store_open(&st, tpath(store_name)), 0);
	assert_int_equal(imp(&st, good, err, sizeof err), 0);
	before = q1(&st, count_sql);
	assert_true(before > 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		err[0] = '\0';
		if (imp(&st, path, err, sizeof err) == 0)
			fail_msg("%s was accepted", path);
		snprintf(fmt, sizeof fmt, "%s:", path);
		if (strncmp(err, fmt, strlen(fmt)) != 0 ||
		    (!(err[strlen(fmt)] >= '1' && err[strlen(fmt)] <= '9') &&
		    strncmp(err + strlen(fmt), " sessions[", 10) != 0))
			fail_msg("%s: error does not name file and line: %s", path, err);
		assert_int_equal(q1(&st, count_sql), before);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
	store_close(&st);
}

static int
imp_agenda(struct store *st, const char *p, char *e, size_t n)
{
	return import_agenda(st, p, e, n);
}

static void
test_bad_agendas(void **state)
{
	(void)state;
	write_text(tpath("good.ics"), good_ics);
	run_bad_dir("tests/bad/agenda", imp_agenda, "s-bad-agenda",
	    tpath("good.ics"), "SELECT count(*) + sum(start_utc) FROM sessions");
}

static const char good_reg[] =
	"email,under_13,registration_type,last_name,first_name,badge_id,"
	"country_code,organization,age,gender\n"
	"a@example.com,no,onsite,Lee,Ann,B1,se,Org,44,f\n"
	"k@example.com,YES,onsite,Kid,Little,B2,FR,School,9,m\n"
	"c@example.com,0,remote,\"Chen,\",\"Wei\nLing\",B3,,,30,m\n";

static void
test_bad_csvs(void **state)
{
	(void)state;
	write_text(tpath("good.csv"), good_reg);
	run_bad_dir("tests/bad/csv", import_registrations, "s-bad-csv",
	    tpath("good.csv"), "SELECT count(*) FROM registrations");
}

static void
test_registrations(void **state)
{
	struct store st;
	struct store_scan sc = { .nonce = "n1", .device_id = "d", .badge_id = "B2",
	    .wall_ns = 1, .session_uid = NULL };
	char err[512];

	(void)state;
	assert_int_equal(store_open(&st, tpath("s-reg")), 0);
	/* A scan of the child's badge arrives before the registrations. */
	assert_int_equal(store_add_scan(&st, &sc), 0);
	write_text(tpath("reg.csv"), good_reg);
	assert_int_equal(import_registrations(&st, tpath("reg.csv"), err,
	    sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM registrations"), 2);
	assert_string_equal(qs(&st, "SELECT country_code FROM registrations WHERE "
	    "badge_id = 'B1'"), "SE");
	assert_string_equal(qs(&st, "SELECT first_name FROM registrations WHERE "
	    "badge_id = 'B3'"), "Wei Ling");
	/* Under-13: gone with their scans, and later scans are refused. */
	assert_int_equal(q1(&st, "SELECT count(*) FROM registrations WHERE "
	    "badge_id = 'B2'"), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM scans"), 0);
	sc.nonce = "n2";
	assert_int_equal(store_add_scan(&st, &sc), STORE_SCAN_PURGED);
	assert_int_equal(q1(&st, "SELECT count(*) FROM scans"), 0);
	/* Re-import: same result; an updated file updates in place and drops
	 * people no longer registered. */
	assert_int_equal(import_registrations(&st, tpath("reg.csv"), err,
	    sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM registrations"), 2);
	write_text(tpath("reg2.csv"), "badge_id,first_name,last_name,"
	    "registration_type,under_13,organization\nB1,Ann,Lee,remote,no,New Org\n");
	assert_int_equal(import_registrations(&st, tpath("reg2.csv"), err,
	    sizeof err), 0);
	assert_int_equal(q1(&st, "SELECT count(*) FROM registrations"), 1);
	assert_string_equal(qs(&st, "SELECT organization || onsite FROM "
	    "registrations"), "New Org0");
	store_close(&st);
}

static int
imp_remote_after_agenda(struct store *st, const char *p, char *e, size_t n)
{
	/* The remote list refers to sessions: import the agenda first. */
	if (import_agenda(st, tpath("agenda-r.ics"), e, n) < 0)
		return -1;
	return import_remote(st, p, e, n);
}

static void
test_bad_remote(void **state)
{
	(void)state;
	write_text(tpath("agenda-r.ics"), good_ics);
	write_text(tpath("remote.csv"), "join_time,session_uid,email\n"
	    "2026-07-20T09:31:00+02:00,ietf-125-1-tls,x@example.com\n");
	run_bad_dir("tests/bad/remote", imp_remote_after_agenda, "s-bad-remote",
	    tpath("remote.csv"), "SELECT count(*) + sum(join_time) FROM "
	    "remote_attendance");
}

static void
test_schema_guard(void **state)
{
	struct store st;

	(void)state;
	assert_int_equal(store_open(&st, tpath("s-ver")), 0);
	assert_int_equal(q1(&st, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_string_equal(qs(&st, "PRAGMA journal_mode"), "wal");
	assert_int_equal(q1(&st, "PRAGMA synchronous"), 2);	/* FULL */
	assert_int_equal(store_exec(&st, "PRAGMA user_version = 42"), 0);
	store_close(&st);
	assert_int_equal(store_open(&st, tpath("s-ver")), -EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_agenda_ics),
		cmocka_unit_test(test_agenda_json),
		cmocka_unit_test(test_bad_agendas),
		cmocka_unit_test(test_bad_csvs),
		cmocka_unit_test(test_registrations),
		cmocka_unit_test(test_bad_remote),
		cmocka_unit_test(test_schema_guard),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
