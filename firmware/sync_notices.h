#ifndef NW_SYNC_NOTICES_H
#define NW_SYNC_NOTICES_H
/*
 * Consent notices pushed by the host (host-tools/noticepush.h), as the
 * sync worker receives them.
 *
 * The worker reads the host's index, fetches each version the box lacks,
 * checks it exactly as the box checks the notices it ships (format,
 * statement hash), and writes statement then notice into
 * DIR/notices (NOTICE_PUSHED_DIR), each file atomically: a power cut leaves
 * a notice whole with its statement, or not there. The daemon is then told
 * to reload; it keeps its current set if the new one does not load.
 */
#include <stddef.h>

#include "sync_http.h"

enum syncnotices_result {
	SYNCNOTICES_SAME,	/* nothing new */
	SYNCNOTICES_NEW,	/* new versions written: the daemon should reload */
	SYNCNOTICES_NET,	/* the host could not be asked: retry later */
	SYNCNOTICES_BAD,	/* the host sent something the box refuses */
};

/* Pulls what the host pushes into dir/NOTICE_PUSHED_DIR; err says why on
 * NET and BAD. A bad version is skipped; the others are still written. */
enum syncnotices_result syncnotices_pull(struct synchttp *, const char *dir,
    char *err, size_t errlen);

#endif
