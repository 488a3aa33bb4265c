#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"

struct fx {
	char dir[64];
	char path[128];
	struct nw_clock clk;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/nwjournal.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
	nwclock_fake_init(&f->clk, "11111111-2222-3333-4444-555555555555",
	    1795000000LL * 1000000000, 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
add_scan(struct journal *j, struct nw_clock *clk, const char *badge, int64_t session)
{
	struct journal_scan s = { 0 };

	journal_nonce(s.nonce);
	s.badge = badge;
	s.source = "test";
	s.session_id = session;
	s.notice_id = "notice-x";
	s.notice_sha256 = "00";
	nwclock_now(clk, &s.at);
	nwclock_fake_advance(clk, 1000000);
	return journal_add_scan(j, &s, NULL);
}

static void
test_create_and_reopen(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	char err[512], id[40];

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
	snprintf(id, sizeof id, "%s", journal_device_id(j));
	assert_int_equal(strlen(id), 16);
	assert_int_equal(add_scan(j, &f->clk, "B1", 0), 0);
	journal_close(j);
	/* The identity is made once and kept. */
	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_string_equal(journal_device_id(j), id);
	assert_int_equal(journal_count_badges(j, 0), 1);
	assert_true(journal_integrity_ok(j));
	journal_close(j);
}

static void
test_pragmas(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	sqlite3_stmt *st;
	char err[512];

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(sqlite3_prepare_v2(journal_db(j), "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(journal_db(j), "PRAGMA synchronous", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);	/* FULL */
	sqlite3_finalize(st);
	journal_close(j);
}

static void
test_migrates_older(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	sqlite3_stmt *st;
	char err[512];

	/* A journal as version 1 wrote it, with a scan in it. */
	assert_int_equal(journal_open_path(f->path, 1, &j, err, sizeof err), 0);
	assert_int_equal(journal_schema_version(j), 1);
	assert_int_equal(add_scan(j, &f->clk, "OLD1", 0), 0);
	assert_int_not_equal(sqlite3_prepare_v2(journal_db(j),
	    "SELECT * FROM recording_marks", -1, &st, NULL), SQLITE_OK);
	journal_close(j);

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
	assert_int_equal(sqlite3_prepare_v2(journal_db(j),
	    "SELECT COUNT(*) FROM recording_marks", -1, &st, NULL), SQLITE_OK);
	sqlite3_finalize(st);
	assert_int_equal(journal_count_badges(j, 0), 1);	/* data kept */
	journal_close(j);
}

static void
test_refuses_newer(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	struct stat before, after;
	char err[512];

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(sqlite3_exec(journal_db(j), "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	journal_close(j);
	assert_int_equal(stat(f->path, &before), 0);
	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), -EPROTO);
	assert_null(j);
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
}

static void
test_refuses_corrupt(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	char err[512], junk[4096];
	int fd;

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(add_scan(j, &f->clk, "CORRUPTME", 0), 0);
	assert_int_equal(sqlite3_wal_checkpoint_v2(journal_db(j), NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL), SQLITE_OK);
	journal_close(j);
	/* Smash the second page onwards but keep the header. */
	memset(junk, 0xA5, sizeof junk);
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof junk, 4096), (ssize_t)sizeof junk);
	close(fd);
	assert_int_not_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_null(j);
	assert_non_null(strstr(err, "damaged"));
	/* Left alone for a person to look at: still our bytes. */
	fd = open(f->path, O_RDONLY);
	char back[16];
	assert_int_equal(pread(fd, back, sizeof back, 4096), 16);
	close(fd);
	assert_memory_equal(back, junk, 16);
}

static void
test_refuses_not_a_db(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	char err[512];
	FILE *fp = fopen(f->path, "w");

	fputs("this is not sqlite, this is a text file someone left here\n", fp);
	fclose(fp);
	assert_int_not_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	fp = fopen(f->path, "r");
	char line[64];
	assert_non_null(fgets(line, sizeof line, fp));
	fclose(fp);
	assert_non_null(strstr(line, "not sqlite"));
}

static void
test_refuses_readonly(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	char err[512];

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	journal_close(j);
	chmod(f->path, 0444);
	chmod(f->dir, 0755);
	/* Root writes through mode bits, so the check runs as an ordinary
	 * user in a child, as the daemon does once it has dropped privileges. */
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		_exit(journal_open(f->dir, &j, err, sizeof err) == -EROFS ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	chmod(f->path, 0600);
}

static void
test_disk_full(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	char err[512], badge[32];
	int i, rc = 0, stored = 0;

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	/* max_page_count makes SQLite report SQLITE_FULL exactly as a full
	 * disk does, through the same code path. */
	assert_int_equal(sqlite3_exec(journal_db(j), "PRAGMA max_page_count = 40", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 100000; i++) {
		snprintf(badge, sizeof badge, "BADGE%06d", i);
		if ((rc = add_scan(j, &f->clk, badge, 0)) != 0)
			break;
		stored++;
	}
	assert_int_equal(rc, -ENOSPC);
	assert_true(stored > 10);
	assert_true(journal_integrity_ok(j));
	journal_close(j);
	/* Everything acknowledged is still there after reopening. */
	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(journal_count_badges(j, 0), stored);
	journal_close(j);
}

static void
test_sessions_and_dedupe(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	struct journal_session s;
	struct nw_stamp now;
	char err[512];
	int64_t id;

	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(journal_session_current(j, &s), -ENOENT);
	nwclock_now(&f->clk, &now);
	assert_int_equal(journal_session_start(j, "ietf-125-1-abc", "ABC", "schedule", &now, &id), 0);
	assert_int_equal(journal_session_start(j, "ietf-125-1-abc", "ABC", "schedule", &now, &id), -EEXIST);
	assert_int_equal(journal_session_current(j, &s), 0);
	assert_string_equal(s.uid, "ietf-125-1-abc");
	assert_int_equal(add_scan(j, &f->clk, "A", s.id), 0);
	assert_int_equal(add_scan(j, &f->clk, "B", s.id), 0);
	assert_int_equal(add_scan(j, &f->clk, "A", s.id), 0);
	assert_int_equal(add_scan(j, &f->clk, "C", 0), 0);
	assert_int_equal(journal_count_badges(j, s.id), 2);
	assert_int_equal(journal_count_badges(j, 0), 1);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(journal_db(j),
	    "SELECT COUNT(*), COUNT(DISTINCT nonce) FROM scans", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 4);	/* every raw scan kept */
	assert_int_equal(sqlite3_column_int(st, 1), 4);	/* each with its own nonce */
	sqlite3_finalize(st);
	nwclock_fake_advance(&f->clk, 5000000000LL);
	nwclock_now(&f->clk, &now);
	assert_int_equal(journal_session_stop(j, s.id, &now), 0);
	assert_int_equal(journal_session_stop(j, s.id, &now), -ENOENT);
	assert_int_equal(journal_session_get(j, s.id, &s), 0);
	assert_true(s.has_end);
	assert_int_equal(nwtime_diff_ns(&s.end, &s.start), 5000000000LL + 4000000);
	journal_close(j);
}

static void
test_stamp_roundtrip(void **state)
{
	struct fx *f = *state;
	struct journal *j;
	sqlite3_stmt *st;
	char err[512];

	nwclock_fake_set_wall(&f->clk, 1234567890123456789LL, 1);
	assert_int_equal(journal_open(f->dir, &j, err, sizeof err), 0);
	assert_int_equal(add_scan(j, &f->clk, "STAMP", 0), 0);
	assert_int_equal(sqlite3_prepare_v2(journal_db(j),
	    "SELECT at_boot, at_mono_ns, at_wall_ns, at_synced FROM scans", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	struct nw_stamp s;
	journal_column_stamp(st, 0, &s);
	sqlite3_finalize(st);
	assert_string_equal(s.boot_id, "11111111-2222-3333-4444-555555555555");
	assert_int_equal(s.mono_ns, 1000000000);
	assert_int_equal(s.wall_ns, 1234567890123456789LL);
	assert_int_equal(s.synced, 1);
	journal_close(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_older, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_newer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_not_a_db, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_and_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamp_roundtrip, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
