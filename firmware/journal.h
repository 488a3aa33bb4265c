#ifndef NW_JOURNAL_H
#define NW_JOURNAL_H
/*
 * The box's journal: DIR/journal.db, SQLite in WAL mode with
 * synchronous=FULL, so a committed row survives a power cut. Every write the
 * daemon acknowledges to a person has been committed first.
 *
 * The schema is versioned (PRAGMA user_version). Opening an older journal
 * migrates it in one transaction; a newer one is refused, never touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "nwtime.h"

#define JOURNAL_SCHEMA_VERSION 3
#define JOURNAL_NONCE_LEN 32	/* hex chars */
#define JOURNAL_HASH_LEN 64	/* SHA-256 hex */

struct journal;

struct journal_scan {
	char nonce[JOURNAL_NONCE_LEN + 1];
	const char *badge;
	const char *source;		/* "manual", "usb:BUS-PORT", "fifo" */
	int64_t session_id;		/* 0: between sessions */
	const char *notice_id;		/* may be NULL before any notice is loaded */
	const char *notice_sha256;
	struct nw_stamp at;
};

struct journal_session {
	int64_t id;
	char uid[128];
	char title[256];
	char origin[16];		/* schedule | manual */
	struct nw_stamp start;
	int has_end;
	struct nw_stamp end;
};

/* Opens (creating if absent) DIR/journal.db. On failure err says why. */
int journal_open(const char *dir, struct journal **, char *err, size_t errlen);
/* Same for an explicit path, migrating only up to max_version (tests). */
int journal_open_path(const char *path, int max_version, struct journal **,
    char *err, size_t errlen);
void journal_close(struct journal *);
sqlite3 *journal_db(struct journal *);
int journal_schema_version(struct journal *);
/* The device id made on the first open (random, 16 hex chars). */
const char *journal_device_id(struct journal *);

/* Fills a fresh random nonce. */
void journal_nonce(char out[JOURNAL_NONCE_LEN + 1]);

/* Commits a scan; returns 0 once it is durable, or -errno
 * (-ENOSPC when the disk or journal is full). */
int journal_add_scan(struct journal *, const struct journal_scan *, int64_t *rowid);

int journal_session_start(struct journal *, const char *uid, const char *title,
    const char *origin, const struct nw_stamp *, int64_t *id);
int journal_session_stop(struct journal *, int64_t id, const struct nw_stamp *);
/* The open session (no end), or -ENOENT. */
int journal_session_current(struct journal *, struct journal_session *);
int journal_session_get(struct journal *, int64_t id, struct journal_session *);

/* Audit log. kind is a short word ("scan-rejected", "session-start"...). */
/* fn(arg) runs after a committed scan, session start or stop, or event (at
 * the commit of a journal_txn that wrote one): the daemon tells the sync
 * worker there is something new to send. */
void journal_on_change(struct journal *, void (*fn)(void *), void *arg);
int journal_event(struct journal *, const char *kind, const char *detail,
    const struct nw_stamp *);
/* The same, detail formatted, stamped now by clock. */
int journal_eventf(struct journal *, struct nw_clock *, const char *kind,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Blue sheet: calls fn once per distinct badge of the session, in first-scan
 * order, with the number of raw scans. session_id 0 lists between-sessions. */
typedef void (*journal_badge_fn)(void *arg, const char *badge, int scans,
    int64_t first_wall_ns);
int journal_bluesheet(struct journal *, int64_t session_id, journal_badge_fn, void *arg);
int journal_count_badges(struct journal *, int64_t session_id);

/* "ok" from PRAGMA integrity_check: 1 yes, 0 no. */
int journal_integrity_ok(struct journal *);

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT, rolling back on error. */
int journal_txn(struct journal *, int (*fn)(struct journal *, void *), void *arg);
/*
 * The same, committed without waiting for the disk (synchronous = NORMAL):
 * only for what a power cut may take back harmlessly, that is what the box
 * learns again by asking, such as the host's acknowledgements (sent again,
 * the host answers "duplicate"). Never for scans, recordings or anything
 * whose loss would free or drop data.
 */
int journal_txn_lazy(struct journal *, int (*fn)(struct journal *, void *), void *arg);

/* Binds a stamp to four consecutive parameters starting at idx. */
int journal_bind_stamp(sqlite3_stmt *, int idx, const struct nw_stamp *);
void journal_column_stamp(sqlite3_stmt *, int idx, struct nw_stamp *);
/* Maps an SQLite result code to -errno. */
int journal_errno(int sqlite_rc);

#endif
