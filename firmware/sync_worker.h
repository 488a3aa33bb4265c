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

#endif
