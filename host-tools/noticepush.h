#ifndef NW_NOTICEPUSH_H
#define NW_NOTICEPUSH_H
/*
 * Consent notices the host pushes to its boxes.
 *
 * The operator adds a notice file (with its statement beside it, the same
 * format the box ships: board/notices/README); the host keeps both byte for
 * byte. Each box asks for the index (GET /v1/notices) and fetches the
 * versions it lacks (GET /v1/notices/ID/VERSION), checks them as it checks
 * its own and writes them into its data folder. A version, once added, is
 * never replaced: a changed text needs a new version, so every stamp names
 * exactly one text.
 */
#include <stddef.h>

#include <jansson.h>

#include "store.h"

/* A statement bigger than this is not a privacy statement; it also keeps
 * one notice (base64) well inside the box's reply limit. */
#define NOTICEPUSH_STATEMENT_MAX (256 * 1024)
/* The index a box reads lists at most this many versions. */
#define NOTICEPUSH_MAX 256

/*
 * Adds the notice at path (its statement must be in the same folder and
 * match its sha256). Returns 0 when added, 1 when that exact version is
 * already there, or -errno with err saying why (a different text under an
 * existing version, a statement name already used for another text...).
 * Nothing is stored on error.
 */
int noticepush_add(struct store *, const char *path, int64_t now, char *err, size_t errlen);

/* {"notices":[{"id","version","effective_from","sha256","notice_sha256"}]},
 * oldest first; NULL on a store error. */
json_t *noticepush_index(struct store *);

/* {"notice": TEXT, "statement_name": NAME, "statement": BASE64} of one
 * version; NULL with *found = 0 if there is no such version. */
json_t *noticepush_get(struct store *, const char *id, const char *version, int *found);

/* One line per version for `notewell notice list`. */
int noticepush_list(struct store *, FILE *out);

#endif
