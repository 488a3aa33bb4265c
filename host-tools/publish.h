#ifndef NW_PUBLISH_H
#define NW_PUBLISH_H
/*
 * The proceedings site and the datatracker payloads, written atomically and
 * reproducibly from the store (docs/publish.md has the layout), and the
 * checker for a published tree.
 */
#include "minisign.h"
#include "privacy.h"
#include "store.h"

struct publish_opts {
	const char *out;		/* the tree to (re)place */
	struct privacy_policy policy;
	const char *base_url;		/* absolute URL of the site for feed.atom, or NULL */
};

/* Loads the host signing key from the store dir, creating it if needed
 * (host.key mode 0600, host.pub). */
int publish_host_key(struct store *st, struct minisign_key *key);
int publish_run(struct store *st, const struct minisign_key *key,
    const struct publish_opts *o);
/*
 * Checks DIR: the signature of manifest.txt, every file's SHA-256, that no
 * file is missing or extra, and the same for each session manifest.
 * Problems are logged one per line; returns 0 or -EBADMSG (or -errno).
 */
int publish_verify(const char *dir, const struct minisign_key *pub);
/* SHA-256 of a file as 64 lower-case hex digits. */
int publish_sha256_file(const char *path, char out[65]);
#endif
