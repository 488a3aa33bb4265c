#ifndef NW_SIMFEED_H
#define NW_SIMFEED_H
/*
 * Simulation/testing only: feeds scans and a recording into the store
 * through the same store_add_scan()/store_add_recording() calls sync uses,
 * as if the box of the session's room had synced them.  Used by `make demo`
 * and the integration tests (`notewell sim-feed`), until real boxes sync.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * scans: lines "BADGE [SESSION_UID [RFC3339]]" ('#' comments); lines without
 * a session use session (or, if NULL, the first session of the first room).
 * recording: an Ogg Opus file copied into the store for that session.
 * notice: its file name (without extension) is the notice id, its SHA-256
 * the stamp; it is recorded as first shown at the session's start.
 */
struct simfeed_opts {
	const char *session;	/* NULL: first session of the first room */
	const char *recording;	/* Ogg Opus file, or NULL */
	const char *notice;	/* consent notice text file stamped on all, or NULL */
	const char *notice_url;
};
int simfeed_run(struct store *st, const char *scans,
    const struct simfeed_opts *o, char *err, size_t errlen);
/* Duration of an Ogg Opus file from its last granule position (libogg). */
int simfeed_opus_duration(const char *path, int64_t *ms);
#endif
