/*
 * Fault injection through SQLite's own plug-in point, the VFS: a wrapping
 * VFS, registered as the default so the journal opens through it exactly as
 * in production, fails the Nth xWrite/xSync/xTruncate. For N = 1, 2, ...
 * until a run sees no fault, a scripted stretch of the box's life (scans
 * through bluesheet_scan, a recorded session opened and closed through
 * session_open/session_close) runs against it. After every run:
 *   - nothing crashed, and under the san stage nothing leaked;
 *   - once the fault is gone the same process goes on working (a disk that
 *     came back needs no restart);
 *   - the journal reopened from disk passes PRAGMA integrity_check;
 *   - every scan that was acknowledged (bluesheet_scan returned 0 and the
 *     board said "ok") is there, stamped with the session it was told;
 *     every acknowledged session start and stop is there;
 *   - every recording the journal calls finished has a file whose hash is
 *     the one journalled, and any other recording's file is recoverable.
 * Scans that were refused may or may not be there: a commit whose fsync
 * failed can still be found complete in the WAL. Storing a scan the
 * attendee was asked to repeat is harmless; losing one they were thanked
 * for is not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "audio.h"
#include "badge.h"
#include "config.h"
#include "daemon.h"
#include "journal.h"
#include "recorder.h"
#include "recording.h"
#include "audio_fixtures.h"
#include "fault_vfs.h"

/* ---- the faulty VFS (fault_vfs.h) -------------------------------------- */

enum fault_kind {
	FAULT_IOERR,	/* write, sync and truncate fail with SQLITE_IOERR_* */
	FAULT_FULL,	/* writes fail with SQLITE_FULL (disk full) */
};

struct fault_vfs {
	enum fault_kind kind;
	int armed;
	int sticky;		/* fail every call from the Nth on (dead disk) */
	long fail_at;		/* 1-based; 0: never */
	long calls;		/* counted calls while armed */
	long injected;
};

static int
fault_hit(struct fault_vfs *fv, int is_write)
{
	if (!fv->armed || (fv->kind == FAULT_FULL && !is_write))
		return 0;
	fv->calls++;
	if (fv->fail_at == 0 || fv->calls < fv->fail_at ||
	    (fv->calls > fv->fail_at && !fv->sticky))
		return 0;
	fv->injected++;
	return 1;
}

static int
fault_fail(void *arg, int tag, enum faultvfs_op op)
{
	struct fault_vfs *fv = arg;

	(void)tag;
	if (!fault_hit(fv, op == FAULTVFS_WRITE))
		return SQLITE_OK;
	switch (op) {
	case FAULTVFS_WRITE: return fv->kind == FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	case FAULTVFS_SYNC: return SQLITE_IOERR_FSYNC;
	case FAULTVFS_TRUNCATE: return SQLITE_IOERR_TRUNCATE;
	}
	return SQLITE_IOERR;
}

static struct fault_vfs *
fault_vfs_install(void)
{
	static struct fault_vfs fv;

	/* Default VFS: journal_open() goes through it unchanged. */
	assert_int_equal(faultvfs_install(fault_fail, NULL, &fv), 0);
	fv.armed = 0;
	return &fv;
}

static void
fault_arm(struct fault_vfs *fv, enum fault_kind kind, long n, int sticky)
{
	fv->kind = kind;
	fv->fail_at = n;
	fv->sticky = sticky;
	fv->calls = 0;
	fv->injected = 0;
	fv->armed = 1;
}

/* ---- a daemon without its loop ----------------------------------------- */

struct box {
	struct daemon d;
	int acks_ok, acks_refused;
};

static void
box_ack(struct board *b, int ok, const char *msg)
{
	struct box *x = b->arg;

	if (ok)
		x->acks_ok++;
	else
		x->acks_refused++;
}

static const char *
tone_wav(void)
{
	static char path[512];

	if (path[0] == '\0') {
		int16_t pcm[4800];

		for (size_t i = 0; i < 4800; i++)
			pcm[i] = (int16_t)(6000.0 * sin((double)i * 0.06));
		snprintf(path, sizeof path, "%s", fx_path("tone.wav"));
		assert_int_equal(fx_write_wav(path, 48000, 1, SF_FORMAT_PCM_16, pcm, 4800), 0);
	}
	return path;
}

/* What notewelld's init does for scans and sessions, minus the loop,
 * socket and screen. An audio source makes session_open record. */
static void
box_open(struct box *x, const char *dir)
{
	struct daemon *d = &x->d;
	char err[256], spec[600];
	struct audio_format fmt = { 48000, 1 };

	memset(x, 0, sizeof *x);
	config_defaults(&d->cfg);
	d->cfg.disk_reserve_mb = 0;
	snprintf(d->dir, sizeof d->dir, "%s", dir);
	assert_int_equal(fx_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
	d->board.ack = box_ack;
	d->board.arg = x;
	assert_int_equal(badge_config_init(&d->badge, (size_t)d->cfg.badge_min_len,
	    (size_t)d->cfg.badge_max_len, d->cfg.badge_charset, d->cfg.setup_prefix,
	    (size_t)d->cfg.badge_max_run), BADGE_VALID);
	nwclock_fake_init(&d->clock, "11111111-2222-3333-4444-555555555555",
	    1795420800LL * 1000000000, 1);
	if (journal_open(dir, &d->journal, err, sizeof err) != 0)
		fail_msg("journal_open: %s", err);
	snprintf(d->notice_id, sizeof d->notice_id, "privacy@3");
	memset(d->notice_sha256, 'a', 64);
	snprintf(spec, sizeof spec, "file:%s", tone_wav());
	assert_int_equal(audio_open(spec, AUDIO_PACE_FAST, &fmt, &d->audio), 0);
}

static void
box_close(struct box *x)
{
	assert_null(x->d.rec);
	audio_close(x->d.audio);
	journal_close(x->d.journal);
}

/* Descriptors open in this process: a file left open on an error path is
 * a leak LeakSanitizer does not see. */
static int
open_fds(void)
{
	DIR *dh = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(dh);
	while ((e = readdir(dh)) != NULL)
		n += e->d_name[0] != '.';
	closedir(dh);
	return n;
}

/* ---- the scripted run and its checks ----------------------------------- */

#define NSCANS 5

struct script {
	const char *badge[NSCANS];
	int64_t session_of[NSCANS];	/* session the scan was stamped with */
	int rc[NSCANS];
	int open_rc, close_rc, closed_later;
	int64_t session_id;
};

static void
scan(struct box *x, struct script *s, int i)
{
	char msg[256];
	int ok_before = x->acks_ok, refused_before = x->acks_refused;

	s->session_of[i] = x->d.session_id;
	s->rc[i] = bluesheet_scan(&x->d, s->badge[i], "test", msg, sizeof msg);
	/* The attendee is thanked exactly when the scan is durable. */
	assert_int_equal(x->acks_ok - ok_before, s->rc[i] == 0);
	assert_int_equal(x->acks_refused - refused_before, s->rc[i] != 0);
	if (s->rc[i] != 0 && s->rc[i] != -EIO && s->rc[i] != -ENOSPC)
		fail_msg("scan %s: unexpected %s", s->badge[i], strerror(-s->rc[i]));
}

static void
run_script(struct box *x, struct script *s, const char *uid)
{
	char err[256];

	scan(x, s, 0);
	nwclock_fake_advance(&x->d.clock, 1000000000);
	s->open_rc = session_open(&x->d, uid, "Fault session", "manual", 1, err, sizeof err);
	if (s->open_rc == 0)
		s->session_id = x->d.session_id;
	scan(x, s, 1);
	nwclock_fake_advance(&x->d.clock, 1000000000);
	scan(x, s, 2);
	s->close_rc = x->d.session_id ? session_close(&x->d, err, sizeof err) : -ENOENT;
	scan(x, s, 3);
}

static int64_t
count(struct journal *j, const char *sql, const char *text, int64_t num)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_prepare_v2(journal_db(j), sql, -1, &st, NULL), SQLITE_OK);
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, num);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Reopens the journal from disk and checks everything acknowledged. */
static void
check_after(const char *dir, const struct script *s, const char *uid, const char *what)
{
	struct journal *j = NULL;
	sqlite3_stmt *st = NULL;
	char err[256];

	if (journal_open(dir, &j, err, sizeof err) != 0)
		fail_msg("%s: reopen: %s", what, err);
	if (!journal_integrity_ok(j))
		fail_msg("%s: integrity_check failed", what);
	for (int i = 0; i < NSCANS; i++) {
		if (s->rc[i] != 0)
			continue;
		if (count(j, "SELECT COUNT(*) FROM scans WHERE badge = ?1 AND "
		    "COALESCE(session_id, 0) = ?2", s->badge[i], s->session_of[i]) != 1)
			fail_msg("%s: acknowledged scan %s (session %lld) lost", what,
			    s->badge[i], (long long)s->session_of[i]);
	}
	if (s->open_rc == 0 &&
	    count(j, "SELECT COUNT(*) FROM sessions WHERE uid = ?1 AND id = ?2",
	    uid, s->session_id) != 1)
		fail_msg("%s: acknowledged session start lost", what);
	if ((s->close_rc == 0 || s->closed_later) &&
	    count(j, "SELECT COUNT(*) FROM sessions WHERE id = ?2 AND end_wall_ns IS NOT NULL",
	    NULL, s->session_id) != 1)
		fail_msg("%s: acknowledged session stop lost", what);
	/* A finished recording's file is the one journalled; any other
	 * recording's file is playable after recovery (what a restart does),
	 * or holds no audio at all, which a restart marks failed. */
	assert_int_equal(sqlite3_prepare_v2(journal_db(j),
	    "SELECT path, state, sha256 FROM recordings", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 1);
		const char *sha = (const char *)sqlite3_column_text(st, 2);
		struct recorder_result r;
		char path[4400];
		int rc;

		snprintf(path, sizeof path, "%s/%s", dir, sqlite3_column_text(st, 0));
		if (strcmp(state, "failed") == 0)
			continue;
		rc = recorder_recover(path, &r);
		if (strcmp(state, "finished") == 0) {
			if (rc != 0 || r.recovered || !sha || strcmp(sha, r.sha256_hex) != 0)
				fail_msg("%s: finished recording %s is not the file journalled", what, path);
		} else if (rc != 0 && rc != -ENOENT && rc != -ENODATA) {
			fail_msg("%s: recording %s (%s) not recoverable: %s", what, path, state,
			    strerror(-rc));
		}
	}
	sqlite3_finalize(st);
	journal_close(j);
}

/*
 * One mode: fail call N (or every call from N on), for N = 1.. until a run
 * gets through without a fault. Returns how many runs hit a fault.
 */
static long
sweep(enum fault_kind kind, int sticky)
{
	static const char *badges[NSCANS] = { "FLT-0001", "FLT-0002", "FLT-0003", "FLT-0004", "FLT-0005" };
	struct fault_vfs *fv = fault_vfs_install();
	const char *dir = fx_path("faultbox");
	long n, faulted = 0;

	for (n = 1; n < 10000; n++) {
		struct script s = { 0 };
		struct box x;
		char what[96], err[256];
		int fds = open_fds();

		memcpy(s.badge, badges, sizeof badges);
		snprintf(what, sizeof what, "%s%s fault at call %ld",
		    kind == FAULT_FULL ? "disk-full" : "I/O", sticky ? " (sticky)" : "", n);
		box_open(&x, dir);
		fault_arm(fv, kind, n, sticky);
		run_script(&x, &s, "s-fault");
		fv->armed = 0;
		/* The disk is back: the same process closes what it holds open
		 * and takes the next scan without a restart. */
		if (x.d.session_id) {
			if (session_close(&x.d, err, sizeof err) != 0)
				fail_msg("%s: session close after the fault: %s", what, err);
			s.closed_later = 1;
		}
		scan(&x, &s, 4);
		if (s.rc[4] != 0)
			fail_msg("%s: the journal does not work again once the disk is back", what);
		box_close(&x);
		if (open_fds() != fds)
			fail_msg("%s: %d descriptors open before, %d after", what, fds, open_fds());
		check_after(dir, &s, "s-fault", what);
		if (fv->injected == 0) {
			/* Past the last call: the clean run acknowledged it all. */
			for (int i = 0; i < NSCANS; i++)
				assert_int_equal(s.rc[i], 0);
			assert_int_equal(s.open_rc, 0);
			assert_int_equal(s.close_rc, 0);
			break;
		}
		faulted++;
	}
	print_message("# %s%s: %ld faulted runs, clean at call %ld\n",
	    kind == FAULT_FULL ? "disk full" : "I/O error", sticky ? " (sticky)" : "", faulted, n);
	assert_true(faulted > 5);
	return faulted;
}

/*
 * First boot on a failing disk: whatever call of the journal's creation
 * fails, the next start opens (or finishes creating) a sound journal, and
 * a box that got its identity keeps it.
 */
static void
test_open_faults(void **state)
{
	struct fault_vfs *fv = fault_vfs_install();
	const char *dir = fx_path("openbox");
	enum fault_kind kinds[] = { FAULT_IOERR, FAULT_FULL };

	for (size_t k = 0; k < 2; k++) {
		long n, faulted = 0;

		for (n = 1; n < 10000; n++) {
			struct journal *j = NULL;
			char err[256], id[64] = "";
			int rc;

			assert_int_equal(fx_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
			fault_arm(fv, kinds[k], n, 0);
			rc = journal_open(dir, &j, err, sizeof err);
			fv->armed = 0;
			if (rc == 0) {
				snprintf(id, sizeof id, "%s", journal_device_id(j));
				journal_close(j);
			}
			if (journal_open(dir, &j, err, sizeof err) != 0)
				fail_msg("fault %zu at call %ld (first open: %d): next start fails: %s",
				    k, n, rc, err);
			assert_true(journal_integrity_ok(j));
			assert_int_equal(journal_schema_version(j), JOURNAL_SCHEMA_VERSION);
			if (id[0])
				assert_string_equal(journal_device_id(j), id);
			journal_close(j);
			if (fv->injected == 0) {
				assert_int_equal(rc, 0);
				break;
			}
			faulted++;
		}
		print_message("# journal creation, fault kind %zu: %ld faulted runs\n", k, faulted);
		assert_true(faulted > 3);
	}
}

static void
test_io_error_once(void **state)
{
	sweep(FAULT_IOERR, 0);
}

static void
test_io_error_sticky(void **state)
{
	sweep(FAULT_IOERR, 1);
}

static void
test_disk_full_once(void **state)
{
	sweep(FAULT_FULL, 0);
}

static void
test_disk_full_sticky(void **state)
{
	sweep(FAULT_FULL, 1);
}

int
main(void)
{
	/* A few hundred journals are created and fsynced: on tmpfs that takes
	 * a second, on a disk shared with other work ten. What is tested is
	 * what SQLite does with the errors, not the disk. */
	if (getenv("TMPDIR") == NULL && access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_faults),
		cmocka_unit_test(test_io_error_once),
		cmocka_unit_test(test_io_error_sticky),
		cmocka_unit_test(test_disk_full_once),
		cmocka_unit_test(test_disk_full_sticky),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
