#ifndef NW_HEARTBEAT_H
#define NW_HEARTBEAT_H
/*
 * Heartbeats: every heartbeat_s the sync worker pushes a small signed status
 * (POST /v1/heartbeat, docs/sync.md) so the host's status board knows the box
 * is alive, hears sound, scans badges and syncs.
 *
 * They run on a thread of the sync worker with their own connection and
 * their own request counter (DIR/sync/hbseq, a separate sequence the host
 * checks separately), so a heartbeat never waits behind an upload, an upload
 * never waits behind a heartbeat, and a heartbeat that fails is not a sync
 * failure: it does not touch the data backoff.
 */
#include <jansson.h>

#include "config.h"
#include "minisign.h"
#include "nwtime.h"
#include "sync.h"

/* Oldest unsynced item older than this raises the sync_backlog alarm. */
#define HEARTBEAT_BACKLOG_ALARM_S SYNC_BACKLOG_ALARM_S
#define HEARTBEAT_SEQ_FILE "hbseq"
#define HEARTBEAT_FORMAT "notewell-heartbeat-1"

/*
 * The heartbeat body from the daemon's `status` ctl reply (NULL when the
 * daemon did not answer: the heartbeat then says so) and the box config.
 * New reference, NULL only when out of memory.
 */
json_t *heartbeat_build(const json_t *status, const struct config *, const char *box);

struct heartbeat;
/* Starts the thread; it reads DIR/sync/host.json before every beat and
 * stays quiet until the box is enrolled. */
int heartbeat_start(struct heartbeat **, const struct config *, const char *dir,
    const char *box, const struct minisign_key *, int force_synced);
/* Stops and joins the thread (waits at most a few seconds). */
void heartbeat_stop(struct heartbeat *);

#endif
