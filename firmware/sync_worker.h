#ifndef NW_SYNC_WORKER_H
#define NW_SYNC_WORKER_H
/*
 * The sync worker's entry point (sync_worker.c), run in its own process by
 * sync.c. Files it keeps in DIR/sync/: host.json (the enrolled host: URL,
 * TLS pin, room), setup.pending (a scanned setup code not yet used), seq
 * (request counter reservation) and worker.lock.
 */
#include "config.h"
#include "minisign.h"

#define SYNC_HOST_FILE "host.json"
#define SYNC_SETUP_FILE "setup.pending"

/* Runs until the daemon closes fd; returns the exit status. */
int syncw_main(const struct config *, const char *dir, int fd, const struct minisign_key *);

/*
 * The same worker one round at a time, for syncw_main and for tests that
 * drive rounds themselves (tests/unit/test_sync_faults.c): fd is the
 * daemon's socket (-1: no daemon to tell). syncw_open takes the folder's
 * worker lock and opens the journal; syncw_round runs one round (enroll,
 * records, recordings, manifests, schedule, notices) and returns 0 when
 * it is done, 1 when more is waiting, -1 when it failed and the worker
 * would back off (the connection is dropped, so the next round starts
 * afresh). Neither starts heartbeats; the status goes to fd only from
 * syncw_main, after each round.
 */
struct syncw;
int syncw_open(const struct config *, const char *dir, int fd, const struct minisign_key *,
    struct syncw **);
int syncw_round(struct syncw *);
/* The state the status line shows: "idle", "retrying", "refused", ... */
const char *syncw_state(const struct syncw *);
void syncw_close(struct syncw *);

#endif
