/*
 * Scan-to-durable latency: bluesheet_scan() (validate, stamp, commit with
 * WAL + synchronous=FULL, acknowledge) against a bare SQLite INSERT +
 * COMMIT of a row of the same size with the same pragmas, in the same run
 * on the same disk. Prints p50/p99 of each and the ratios.
 *
 * usage: scan_latency DIR [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "journal.h"

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
quiet_ack(struct board *b, int ok, const char *msg)
{
}

static double
pct(int64_t *v, int n, double p)
{
	return v[(int)(p * (n - 1))] / 1000.0;
}

int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 10000;
	int64_t *ours = calloc(n, sizeof *ours), *bare = calloc(n, sizeof *bare);
	struct daemon d;
	char err[512], msg[256], badge[32], path[4200];
	sqlite3 *db;
	sqlite3_stmt *st;

	if (argc < 2 || n < 10 || !ours || !bare) {
		fprintf(stderr, "usage: scan_latency DIR [N]\n");
		return 2;
	}
	memset(&d, 0, sizeof d);
	config_defaults(&d.cfg);
	snprintf(d.dir, sizeof d.dir, "%s/box", argv[1]);
	snprintf(path, sizeof path, "mkdir -p %s/box", argv[1]);
	if (system(path) != 0)
		return 1;
	board_init(&d.board, "sim");
	d.board.ack = quiet_ack;
	nwclock_system_init(&d.clock);
	badge_config_init(&d.badge, 4, 64, NULL, NULL, 8);
	if (journal_open(d.dir, &d.journal, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(path, sizeof path, "%s/bare.db", argv[1]);
	remove(path);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "CREATE TABLE scans (id INTEGER PRIMARY KEY, nonce TEXT UNIQUE, badge TEXT,"
	    " source TEXT, session_id INTEGER, notice_id TEXT, notice_sha256 TEXT,"
	    " at_boot TEXT, at_mono_ns INTEGER, at_wall_ns INTEGER, at_synced INTEGER)", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO scans VALUES (NULL,?,?,'manual',NULL,"
	    "'ietf-privacy@2026-01-01','e66c431b5117adb0dc5c4ed90df7fc913a094cf6add6c2139b90b5167e212d10',"
	    "'7f40df9a-6067-4ac6-8317-6ab48e0fb925',?,?,0)", -1, &st, NULL);
	snprintf(d.notice_id, sizeof d.notice_id, "ietf-privacy@2026-01-01");
	snprintf(d.notice_sha256, sizeof d.notice_sha256,
	    "e66c431b5117adb0dc5c4ed90df7fc913a094cf6add6c2139b90b5167e212d10");
	/* Interleaved so both see the same disk and cache conditions. */
	for (int i = 0; i < n; i++) {
		char nonce[JOURNAL_NONCE_LEN + 1];
		snprintf(badge, sizeof badge, "B%08d", i);
		int64_t t0 = now_ns();
		if (bluesheet_scan(&d, badge, "manual", msg, sizeof msg) != 0) {
			fprintf(stderr, "scan failed: %s\n", msg);
			return 1;
		}
		ours[i] = now_ns() - t0;
		journal_nonce(nonce);
		t0 = now_ns();
		sqlite3_bind_text(st, 1, nonce, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, badge, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, t0);
		sqlite3_bind_int64(st, 4, t0);
		if (sqlite3_step(st) != SQLITE_DONE)
			return 1;
		sqlite3_reset(st);
		bare[i] = now_ns() - t0;
	}
	qsort(ours, n, sizeof *ours, cmp64);
	qsort(bare, n, sizeof *bare, cmp64);
	printf("scans %d\n", n);
	printf("ours_p50_us %.1f\nours_p99_us %.1f\n", pct(ours, n, 0.5), pct(ours, n, 0.99));
	printf("bare_p50_us %.1f\nbare_p99_us %.1f\n", pct(bare, n, 0.5), pct(bare, n, 0.99));
	printf("ratio_p50 %.2f\nratio_p99 %.2f\n", pct(ours, n, 0.5) / pct(bare, n, 0.5),
	    pct(ours, n, 0.99) / pct(bare, n, 0.99));
	sqlite3_finalize(st);
	sqlite3_close(db);
	journal_close(d.journal);
	return 0;
}
