#ifndef NW_DAEMON_H
#define NW_DAEMON_H
/*
 * notewelld's context: one struct passed to every handler, no globals.
 */
#include <stdint.h>

#include "board.h"
#include "config.h"
#include "ctl.h"
#include "journal.h"
#include "loop.h"
#include "nwtime.h"

struct daemon {
	struct config cfg;
	char dir[4096];
	struct board board;
	struct nw_clock clock;
	struct loop *loop;
	struct journal *journal;
	struct ctl *ctl;
	int lock_fd;
	int signal_fd;
	int64_t started_mono_ns;
	/* The session in progress (0 = between sessions). */
	int64_t session_id;
	/* Notice in force; empty until a notice is loaded. */
	char notice_id[64];
	char notice_sha256[65];
	/* Last scan result as shown to the attendee. */
	char last_scan[256];
	uint64_t scans_ok, scans_rejected;
	/* sync.c: the worker that pushes to the host (NULL: not running). */
	struct sync *sync;
};

int daemon_init(struct daemon *, const struct config *, const char *dir,
    char *err, size_t errlen);
int daemon_run(struct daemon *);
void daemon_free(struct daemon *);

/* bluesheet.c: the one path every scan takes, manual or from a scanner.
 * Returns 0 once the scan is durable (msg is the attendee's confirmation),
 * or -EINVAL (not a badge), -ENOSPC and friends (could not store). */
int bluesheet_scan(struct daemon *, const char *code, const char *source,
    char *msg, size_t msglen);
json_t *bluesheet_list(struct daemon *, int64_t session_id);

#endif
