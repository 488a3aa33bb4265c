#ifndef NW_SYNCPROTO_H
#define NW_SYNCPROTO_H
/*
 * The sync protocol between a box and the host, shared by both ends so the
 * two can never disagree on a byte: the setup payload a box scans to enroll,
 * the signed request headers, canonical record hashing, and the parsers for
 * the host's replies. docs/sync.md describes the protocol in full.
 *
 * Functions return 0 or a negative errno unless said otherwise; the setup
 * parser returns a syncproto_err so the box can tell the operator exactly
 * what is wrong with a code.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nwtime.h"

#define SYNCPROTO_VERSION 1
#define SYNCPROTO_DEFAULT_PREFIX "NWSETUP:"
#define SYNCPROTO_TOKEN_HEX 32		/* 128-bit one-time token */
#define SYNCPROTO_PIN_B64 44		/* base64 of a SHA-256 */
#define SYNCPROTO_URL_MAX 200
/* A scanner types the payload as keystrokes, so keep it short. */
#define SYNCPROTO_SETUP_MAX 320
#define SYNCPROTO_SIG_B64 88		/* base64 of an Ed25519 signature */
#define SYNCPROTO_BOX_MAX 32
#define SYNCPROTO_CLOCK_MAX 128
#define SYNCPROTO_KEY_MAX 160		/* a record's key */
#define SYNCPROTO_SHA_HEX 64

/* Request headers every box request carries (see docs/sync.md). */
#define SYNCPROTO_H_BOX "X-NW-Box"
#define SYNCPROTO_H_SEQ "X-NW-Seq"
#define SYNCPROTO_H_CLOCK "X-NW-Clock"
#define SYNCPROTO_H_SIG "X-NW-Signature"

/* ---- the setup payload ---- */

struct syncproto_setup {
	int version;
	char url[SYNCPROTO_URL_MAX + 1];
	char token[SYNCPROTO_TOKEN_HEX + 1];
	char pin[SYNCPROTO_PIN_B64 + 1];	/* base64 SHA-256 of the host's SPKI */
};

enum syncproto_err {
	SYNCPROTO_OK = 0,
	SYNCPROTO_ERR_PREFIX,		/* does not start with the setup prefix */
	SYNCPROTO_ERR_CHARS,		/* not printable ASCII */
	SYNCPROTO_ERR_LENGTH,		/* longer than SYNCPROTO_SETUP_MAX */
	SYNCPROTO_ERR_VERSION,		/* a version this box does not know */
	SYNCPROTO_ERR_FIELD,		/* a field missing, repeated or unknown */
	SYNCPROTO_ERR_URL,		/* not an https:// URL we can use */
	SYNCPROTO_ERR_TOKEN,
	SYNCPROTO_ERR_PIN,
};
const char *syncproto_strerror(enum syncproto_err);

/* 1 when code starts with prefix (the daemon's routing test). */
int syncproto_is_setup(const char *prefix, const char *code);
/* "PREFIXv1;u=URL;t=TOKEN;p=PIN". -EINVAL when a field is not valid,
 * -ENOSPC when out is too small. */
int syncproto_setup_format(const char *prefix, const struct syncproto_setup *,
    char *out, size_t len);
enum syncproto_err syncproto_setup_parse(const char *prefix, const char *code,
    struct syncproto_setup *);
/* Field checks, shared with the host's enroll command. */
int syncproto_url_ok(const char *url);
int syncproto_token_ok(const char *token);
int syncproto_pin_ok(const char *pin);
int syncproto_box_ok(const char *box);
/* A record key: 1..SYNCPROTO_KEY_MAX printable ASCII without spaces. */
int syncproto_key_ok(const char *key);
int syncproto_sha_ok(const char *hex);

/* ---- request authentication ---- */

/* "BOOT MONO_NS WALL_NS SYNCED" */
int syncproto_clock_format(const struct nw_stamp *, char *out, size_t len);
int syncproto_clock_parse(const char *s, struct nw_stamp *);

/*
 * The signed string: "notewell-sync-1\nMETHOD\nPATH\nBOX\nSEQ\nCLOCK\n
 * SHA256(BODY)\n". Everything that changes what a request means is in it,
 * so no header can be altered or a body swapped without breaking the
 * signature.
 */
int syncproto_auth_message(const char *method, const char *path,
    const char *box, uint64_t seq, const char *clock,
    const uint8_t body_sha256[32], char *out, size_t len);
void syncproto_sign(const uint8_t sk[64], const char *msg,
    char sig_b64[SYNCPROTO_SIG_B64 + 1]);
/* 0, or -EBADMSG when the signature does not verify or is malformed. */
int syncproto_verify(const uint8_t pk[32], const char *msg, const char *sig_b64);
int syncproto_seq_parse(const char *s, uint64_t *seq);

/* ---- records ---- */

/* A file/folder name for a session: the uid when it is plain (letters,
 * digits, '-', '_', '.', at most 64, not starting with '.'), else "s-" and
 * 32 hex digits of its SHA-256. Box and host name session folders alike. */
void syncproto_safe_name(const char *uid, char *out, size_t len);
/* A record key for a text that may not be one (spaces...): the text itself
 * when syncproto_key_ok, else "h-" and its SHA-256. out >= 67 bytes. */
void syncproto_key_for(const char *text, char *out, size_t len);
/* SHA-256 of data as 64 lower-case hex digits. */
void syncproto_sha256_hex(const void *data, size_t len, char hex[SYNCPROTO_SHA_HEX + 1]);
/* Canonical text of a record (compact, keys sorted), malloc'd; NULL on
 * failure. Both ends hash this text, so the hash names the record. */
char *syncproto_canonical(const json_t *);
int syncproto_record_sha256(const json_t *, char hex[SYNCPROTO_SHA_HEX + 1]);
/* A stamp as a JSON object {"boot","mono_ns","wall_ns","synced"} and back. */
json_t *syncproto_stamp_json(const struct nw_stamp *);
int syncproto_stamp_from_json(const json_t *, struct nw_stamp *);

/* ---- the host's replies, parsed on the box ---- */

enum syncproto_status {
	SYNCPROTO_STORED,	/* stored now */
	SYNCPROTO_DUPLICATE,	/* was already stored: same hash */
	SYNCPROTO_PURGED,	/* the host refuses to keep it and the box must drop it */
	SYNCPROTO_REFUSED,	/* the host refused it; reason says why */
};

struct syncproto_ack {
	char kind[24];
	char key[SYNCPROTO_KEY_MAX + 1];
	char sha256[SYNCPROTO_SHA_HEX + 1];	/* what the host stored */
	enum syncproto_status status;
	char reason[160];
};

#define SYNCPROTO_MAX_BATCH 500

/* {"results":[{"kind","key","sha256","status","reason"?}...]}. *acks is
 * malloc'd. -EBADMSG for anything malformed. */
int syncproto_parse_results(const char *body, size_t len,
    struct syncproto_ack **acks, size_t *n);
/* {"offset":N,"complete":bool,"sha256"?} for a recording upload. */
int syncproto_parse_offset(const char *body, size_t len, int64_t *offset,
    int *complete);
/* {"sha256":HEX,...}: the hash the host stored for a recording or manifest. */
int syncproto_parse_stored(const char *body, size_t len,
    char sha256[SYNCPROTO_SHA_HEX + 1]);
/* {"error":"..."}: copies a printable, bounded reason; "" if none. */
void syncproto_parse_error(const char *body, size_t len, char *out, size_t outlen);

#endif
