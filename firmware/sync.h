#ifndef NW_SYNC_H
#define NW_SYNC_H
/*
 * Sync, as the daemon sees it. The network work happens in a separate
 * worker process (sync_worker.c) so that the daemon's event loop never
 * waits on the network: a scan is acknowledged as soon as it is committed,
 * whatever an upload is doing. docs/sync.md explains the choice.
 *
 * Process tree: notewelld -> sync supervisor -> sync worker. The supervisor
 * is forked before the daemon opens any SQLite connection (a forked child
 * must never inherit SQLite state) and restarts the worker if it dies. Both
 * die with their parent (PR_SET_PDEATHSIG). Daemon and worker talk over one
 * SOCK_SEQPACKET pair: "kick" one way, JSON status the other, never blocking.
 */
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "journal.h"
#include "loop.h"
#include "nwtime.h"

struct sync;
struct daemon;

/* Makes the device key if there is none and forks the supervisor. Call it
 * before the daemon opens the journal. On failure *out stays NULL and the
 * daemon runs without sync (blue sheets keep working). */
int sync_start(struct sync **out, const struct config *, const char *dir,
    char *err, size_t errlen);
/* Once the journal is open and migrated: watch the worker's status and let
 * it begin. */
int sync_attach(struct sync *, struct loop *);
/* Stops supervisor and worker (bounded wait). NULL is fine. */
void sync_stop(struct sync *);
/*
 * Kicks and nudges are noted and sent by sync_flush, which the daemon calls
 * before it sleeps: whatever one event (a ctl command, a scan, a scheduled
 * stop) wrote reaches the worker as one message after the last of its
 * commits, so its round finds all of it in one batch instead of starting on
 * the first row and coming back for the rest.
 */
/* Asks the worker to try now (resets its backoff). */
void sync_kick(struct sync *);
/* journal_on_change hook (arg: the struct sync): new rows to send. */
void sync_nudge(void *);
/* Sends what was noted since the last flush: one "kick" (which covers new
 * data too) or one "data". NULL is fine. */
void sync_flush(struct sync *);

/* The status object for `notewellctl status`: worker state, enrollment,
 * last error, and the backlog counted from the journal. */
json_t *sync_status_json(struct sync *, struct journal *, const char *dir,
    const struct nw_stamp *now);
/* Oldest unsynced item older than this is an alarm (screen, heartbeat). */
#define SYNC_BACKLOG_ALARM_S 600
/* 1 if the box is enrolled and has held unsynced data longer than
 * SYNC_BACKLOG_ALARM_S: the host has been out of reach, or refuses it. */
int sync_backlog_alarm(struct sync *, struct journal *, const char *dir,
    const struct nw_stamp *now);

/* The ctl "sync" command: kick, and answer with the status. */
json_t *sync_ctl(struct daemon *, json_t *req);
/* bluesheet.c hands over every code that starts with the setup prefix: a
 * setup code is never stored as a scan. Returns 0 when the code was taken
 * (msg for the operator), -EINVAL when it is not a valid setup code. */
int sync_setup_scan(struct daemon *, const char *code, const char *source,
    char *msg, size_t msglen);

#endif
