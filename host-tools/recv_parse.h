#ifndef NW_RECV_PARSE_H
#define NW_RECV_PARSE_H
/*
 * Parsers for what boxes send to `notewell serve`. Every body is untrusted
 * until its signature has been checked, and even then it is checked field
 * by field against a table: known fields only, types, lengths, formats. A
 * request that fails any check changes nothing and gets a reason back.
 *
 * Each parser returns 0 or -EBADMSG with err set; the parsed values point
 * into the json_t the caller owns (*root), so free that with json_decref.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nwtime.h"
#include "syncproto.h"

#define RECV_MAX_RECORDS_BODY (1u << 20)
#define RECV_MAX_ENROLL_BODY 4096u
#define RECV_MAX_FINISH_BODY 8192u
#define RECV_MAX_MANIFEST_BODY (1u << 20)

struct recv_record {
	json_t *obj;			/* the record, as sent */
	const char *kind;		/* session | scan | event | notice | notice-switch */
	const char *key;
	char sha256[SYNCPROTO_SHA_HEX + 1];	/* of the canonical text */
	const char *session_uid;	/* sessions and scans; NULL otherwise */
	int has_at;			/* at (or start for sessions) */
	struct nw_stamp at;
	/* Set when this record (kind and key readable) is not valid: it is
	 * refused on its own, the rest of the batch is stored. */
	char invalid[160];
};

/* {"records":[...]}: *recs is malloc'd, *n up to SYNCPROTO_MAX_BATCH. */
int recv_parse_records(const char *body, size_t len, json_t **root,
    struct recv_record **recs, size_t *n, char *err, size_t errlen);

struct recv_enroll {
	const char *token;
	const char *box;
	const char *pubkey;		/* minisign base64 public key line */
	const char *name;		/* may be "" */
};
int recv_parse_enroll(const char *body, size_t len, json_t **root,
    struct recv_enroll *, char *err, size_t errlen);

struct recv_finish {
	const char *key;		/* "rec-<journal id>" */
	const char *session_uid;	/* NULL: recorded between sessions */
	const char *name;		/* file name on the box */
	int64_t bytes;
	int64_t duration_ns;
	const char *notice_id, *notice_sha256;
	struct nw_stamp start;
};
int recv_parse_finish(const char *body, size_t len, json_t **root,
    struct recv_finish *, char *err, size_t errlen);

struct recv_manifest_post {
	const char *session_uid;
	const char *manifest;		/* the signed text */
	const char *minisig;		/* its .minisig */
};
int recv_parse_manifest_post(const char *body, size_t len, json_t **root,
    struct recv_manifest_post *, char *err, size_t errlen);

struct recv_manifest_entry {
	const char *kind;		/* a record kind, or "file" */
	const char *key;		/* record key, or file name */
	const char *sha256;
	int64_t bytes;			/* files only */
};
struct recv_manifest {
	const char *box;
	const char *session_uid;
	size_t n;
	struct recv_manifest_entry *e;	/* malloc'd */
};
/* The manifest text itself (after its signature verified). */
int recv_parse_manifest(const char *text, size_t len, json_t **root,
    struct recv_manifest *, char *err, size_t errlen);

/* A path segment naming a session on disk: the uid when it is plain, else
 * "s-" and a hash of it. out >= 80 bytes. */
void recv_safe_name(const char *uid, char *out, size_t len);

#endif
