#ifndef NW_SYNC_HTTP_H
#define NW_SYNC_HTTP_H
/*
 * The box's HTTPS client (libcurl): every request signed with the device
 * key (docs/sync.md), the host's TLS key pinned from the setup code, bounded
 * answers, timeouts that notice a dead link. One connection is kept across
 * requests of a sync round.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "minisign.h"
#include "nwtime.h"
#include "syncproto.h"

#define SYNCHTTP_MAX_REPLY (1u << 20)

/* A strictly increasing request counter kept in a file. Numbers are
 * reserved in blocks so a request costs no fsync, and a restart skips
 * to the next block: the host never sees a number twice. */
struct syncseq {
	char path[4200];
	uint64_t next, reserved;
};
int syncseq_open(struct syncseq *, const char *path);
int syncseq_take(struct syncseq *, uint64_t *);

struct synchttp {
	CURL *curl;
	char base[SYNCPROTO_URL_MAX + 1];
	char pin[8 + SYNCPROTO_PIN_B64 + 1];	/* "sha256//BASE64" */
	char box[SYNCPROTO_BOX_MAX + 1];
	const struct minisign_key *key;
	struct syncseq *seq;
	struct nw_clock *clock;
	long rate_bps;			/* 0 = no cap */
	uint64_t sent_bytes;		/* request bodies sent, for status */
};

struct synchttp_reply {
	long status;
	char *body;			/* NUL-terminated, malloc'd */
	size_t len;
};

int synchttp_init(struct synchttp *, const char *base_url, const char *pin_b64,
    const char *box, const struct minisign_key *, struct syncseq *, struct nw_clock *,
    long rate_bps);
void synchttp_free(struct synchttp *);
/*
 * Sends one signed request. 0 when the host answered (any HTTP status, see
 * reply->status); otherwise -EKEYREJECTED (the host's key does not match
 * the pin: not our host), -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH or -EIO,
 * with err saying what happened.
 */
int synchttp_request(struct synchttp *, const char *method, const char *path,
    const char *content_type, const void *body, size_t len, struct synchttp_reply *,
    char *err, size_t errlen);
/* Fills buf with up to len body bytes: the count, 0 at the end, -errno. */
typedef ssize_t (*synchttp_read_fn)(void *arg, void *buf, size_t len);
/*
 * Sends a signed PUT whose body of len bytes comes from read as curl sends
 * it (a streamed recording upload, syncseg.h). *seq is set to the request's
 * sequence number before the first read, as the body's signatures name it.
 * The request signature covers an empty body; the host asks for the body
 * (100-continue) only after checking the headers. Returns as
 * synchttp_request, or read's error.
 */
int synchttp_stream(struct synchttp *, const char *path, const char *content_type,
    int64_t len, synchttp_read_fn read, void *arg, uint64_t *seq,
    struct synchttp_reply *, char *err, size_t errlen);
void synchttp_reply_free(struct synchttp_reply *);

#endif
