/*
 * notewell serve: receive what the boxes push; see receive.h and
 * docs/sync.md.
 *
 * libmicrohttpd runs one internal polling thread, so handlers run one at a
 * time: the store needs no locking and the sequence check cannot race. A
 * handler only touches the local disk (a chunk write and its fsync at most),
 * so one slow box cannot hold up the others: its bytes arrive through the
 * event-driven thread while others are served.
 */
#include "receive.h"
#include "noticepush.h"
#include "schedout.h"
#include "notice.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "log.h"
#include "minisign.h"
#include "opsalert.h"
#include "opsboard.h"
#include "opspage.h"
#include "opsstore.h"
#include "privdrop.h"
#include "progress.h"
#include "recv_parse.h"
#include "syncproto.h"
#include "syncseg.h"
#include "syncstore.h"
#include "tlscert.h"

#define MAX_CHUNK_BODY (8u << 20)
#define MAX_RECORDING_BYTES (16LL << 30)

enum route {
	R_NONE,
	R_ENROLL,	/* POST /v1/enroll */
	R_RECORDS,	/* POST /v1/records */
	R_MANIFEST,	/* POST /v1/manifests */
	R_REC_STATUS,	/* GET  /v1/recordings/SHA */
	R_REC_DATA,	/* PUT  /v1/recordings/SHA/data/OFFSET */
	R_REC_STREAM,	/* PUT  /v1/recordings/SHA/stream/OFFSET */
	R_REC_FINISH,	/* POST /v1/recordings/SHA/finish */
	R_SCHEDULE,	/* GET  /v1/schedule: the box's room's sessions */
	R_NOTICES,	/* GET  /v1/notices: versions the host pushes */
	R_NOTICE,	/* GET  /v1/notices/ID/VERSION: one of them */
	R_HEARTBEAT,	/* POST /v1/heartbeat: the box's status (own sequence) */
	R_BENCH,	/* PUT  /bench/sink (serve --bench-sink only) */
	R_STATUS,	/* GET  /status: the board for operators (basic auth) */
};

/* Addresses that keep failing authentication are turned away for a while
 * at accept time, so a prober costs a table lookup, not a TLS handshake. */
#define THROTTLE_SLOTS 64
#define THROTTLE_FAILS 100	/* within THROTTLE_WINDOW_S */
#define THROTTLE_WINDOW_S 10
#define THROTTLE_BLOCK_S 30

struct throttle {
	struct in6_addr addr;	/* IPv4 as mapped */
	time_t window, blocked_until;
	int fails;
};

/* Streams in progress, so a box that reconnects (or asks where its upload
 * stands) finds every byte the old connection had verified. One per
 * connection at most, so the connection limit bounds it. */
#define STREAMS_MAX 64
/* A streamed upload is made durable and confirmed at least this often. */
#define CHECKPOINT_NS 1000000000LL

struct req;

/* A connection as the slow-client watchdog sees it (watch_*). */
struct conn_watch {
	struct MHD_Connection *c;	/* NULL: free slot */
	int fd;
	int in_req;			/* headers done, response not yet sent */
	int64_t since_ns;		/* connected, or its last request ended */
	int64_t win_ns;			/* start of the body rate window */
	uint64_t win_bytes, bytes;	/* body bytes at the window's start, now */
};

struct srv {
	struct store *st;
	int bench_sink;
	struct throttle t[THROTTLE_SLOTS];
	struct req *streams[STREAMS_MAX];
	pthread_mutex_t watch_lock;	/* MHD's thread and the main one */
	struct conn_watch *watch;
	int nwatch;
	int header_timeout_s;
};

struct req {
	enum route route;
	char box[SYNCPROTO_BOX_MAX + 1];
	uint64_t seq;
	char clock[SYNCPROTO_CLOCK_MAX];
	char sig[SYNCPROTO_SIG_B64 + 1];
	struct nw_stamp box_now;
	char sha[SYNCPROTO_SHA_HEX + 1];	/* recording routes */
	int64_t offset;				/* R_REC_DATA */
	char nid[NOTICE_ID_MAX], nver[NOTICE_VERSION_MAX];	/* R_NOTICE */
	char addr[INET6_ADDRSTRLEN];
	size_t max;
	char *body;
	size_t len, cap;
	crypto_hash_sha256_state h;
	int sink_fd;			/* R_BENCH */
	int64_t sink_bytes;
	struct sha256_ctx sink_h;	/* the same hash as an upload's */
	/* R_REC_STREAM */
	struct srv *srv;
	struct syncseg_reader seg;
	struct progress prog;		/* on serve's terminal only */
	uint64_t body_seen;
	int part_fd;			/* -1 when not streaming */
	int64_t durable;		/* fdatasynced and confirmed up to here */
	int64_t writeback;		/* writeback started up to here */
	int64_t checkpoint_ns;
	int store_err;			/* a checkpoint failed: sticky */
};

struct reply {
	unsigned status;
	json_t *json;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;

	json_decref(j);
	if (!text)
		text = strdup("{}");
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
addr_key(const struct sockaddr *sa, struct in6_addr *out)
{
	memset(out, 0, sizeof *out);
	if (sa && sa->sa_family == AF_INET) {
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
}

static struct throttle *
throttle_slot(struct srv *s, const struct in6_addr *a, int create)
{
	struct throttle *oldest = &s->t[0];

	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		if (memcmp(&s->t[i].addr, a, sizeof *a) == 0 && s->t[i].window)
			return &s->t[i];
		if (s->t[i].window < oldest->window)
			oldest = &s->t[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	oldest->addr = *a;
	return oldest;
}

/* ---- slow clients ----
 *
 * libmicrohttpd's own timeout is for idleness: a client that sends a byte
 * now and then (slowloris) would hold a connection slot for ever, and the
 * slots are few (64, 8 per address). So each connection is watched: it
 * gets header_timeout_s to send a request's headers, from connecting or
 * from its previous request's end, and a body must keep arriving at
 * RECEIVE_MIN_BPS (the box itself gives up below that) over every window
 * of three times that. The main thread checks once a second and shuts the
 * socket of a slow one down; libmicrohttpd then sees it end and closes it. */

static struct conn_watch *
watch_find(struct srv *s, struct MHD_Connection *c)
{
	for (int i = 0; i < s->nwatch; i++)
		if (s->watch[i].c == c)
			return &s->watch[i];
	return NULL;
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct srv *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn_watch *w;

	(void)socket_context;
	pthread_mutex_lock(&s->watch_lock);
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci && (w = watch_find(s, NULL))) {
			memset(w, 0, sizeof *w);
			w->c = c;
			w->fd = ci->connect_fd;
			w->since_ns = now_ns();
		}
	} else if ((w = watch_find(s, c))) {
		w->c = NULL;
	}
	pthread_mutex_unlock(&s->watch_lock);
}

/* A request's headers are in (start) or its response is done (end). */
static void
watch_request(struct srv *s, struct MHD_Connection *c, int start)
{
	struct conn_watch *w;

	pthread_mutex_lock(&s->watch_lock);
	if ((w = watch_find(s, c))) {
		w->in_req = start;
		w->since_ns = w->win_ns = now_ns();
		w->win_bytes = w->bytes;
	}
	pthread_mutex_unlock(&s->watch_lock);
}

static void
watch_body(struct srv *s, struct MHD_Connection *c, size_t len)
{
	struct conn_watch *w;

	pthread_mutex_lock(&s->watch_lock);
	if ((w = watch_find(s, c)))
		w->bytes += len;
	pthread_mutex_unlock(&s->watch_lock);
}

static void
watch_tick(struct srv *s)
{
	int64_t now = now_ns(), h = (int64_t)s->header_timeout_s * 1000000000;
	struct conn_watch *w;

	pthread_mutex_lock(&s->watch_lock);
	for (int i = 0; i < s->nwatch; i++) {
		w = &s->watch[i];
		if (!w->c || w->fd < 0)
			continue;
		if (!w->in_req && now - w->since_ns > h) {
			log_warnx("closing a connection that sent no request within %d s",
			    s->header_timeout_s);
		} else if (w->in_req && now - w->win_ns >= 3 * h) {
			if (w->bytes - w->win_bytes >= (uint64_t)RECEIVE_MIN_BPS * 3 *
			    (uint64_t)s->header_timeout_s) {
				w->win_ns = now;
				w->win_bytes = w->bytes;
				continue;
			}
			log_warnx("closing a connection whose request moved under %d B/s for "
			    "%d s", RECEIVE_MIN_BPS, 3 * s->header_timeout_s);
		} else {
			continue;
		}
		shutdown(w->fd, SHUT_RDWR);
		w->fd = -1;	/* once: libmicrohttpd closes it next */
	}
	pthread_mutex_unlock(&s->watch_lock);
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct srv *s = cls;
	struct in6_addr a;
	struct throttle *t;

	addr_key(sa, &a);
	t = throttle_slot(s, &a, 0);
	return t && t->blocked_until > time(NULL) ? MHD_NO : MHD_YES;
}

/* Counts a refusal against the client's address. */
static void
note_refusal(struct srv *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	time_t now = time(NULL);
	struct in6_addr a;
	struct throttle *t;

	addr_key(ci ? ci->client_addr : NULL, &a);
	t = throttle_slot(s, &a, 1);
	if (now - t->window >= THROTTLE_WINDOW_S) {
		t->window = now;
		t->fails = 0;
	}
	if (++t->fails >= THROTTLE_FAILS) {
		t->blocked_until = now + THROTTLE_BLOCK_S;
		log_warnx("too many unauthenticated requests from one address; refusing it "
		    "for %d s", THROTTLE_BLOCK_S);
	}
}

/* The one answer to anything not signed by an enrolled box. */
static enum MHD_Result
unauthorized(struct srv *s, struct MHD_Connection *c)
{
	note_refusal(s, c);
	return send_json(c, MHD_HTTP_UNAUTHORIZED, json_pack("{s:s}", "error", "unauthorized"));
}

static struct reply
fail(unsigned status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct reply
fail(unsigned status, const char *fmt, ...)
{
	struct reply r = { status, NULL };
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r.json = json_pack("{s:s}", "error", msg);
	return r;
}

/* A store failure as the box sees it: a full disk is 507 and says so (the
 * box keeps its data and retries), anything else a plain 500. */
static struct reply
store_fail(int rc)
{
	if (rc == -ENOSPC)
		return fail(MHD_HTTP_INSUFFICIENT_STORAGE, "host storage full");
	return fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
}

static struct reply
ok(json_t *j)
{
	struct reply r = { MHD_HTTP_OK, j };
	return r;
}

static int
parse_offset(const char *s, int64_t *out)
{
	char *e;
	long long v;

	if (!*s || strlen(s) > 15 || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno || *e || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Copies one path segment of allowed characters; -1 if empty, too long
 * or holding anything else, so no name from a URL reaches SQL or a path
 * unchecked. */
static int
segment(const char **p, const char *allowed, char *out, size_t len)
{
	size_t n = strspn(*p, allowed);

	if (n == 0 || n >= len)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return 0;
}

/* /v1/notices/ID/VERSION */
static int
notice_route(const char *url, struct req *r)
{
	static const char pre[] = "/v1/notices/";
	const char *p = url + sizeof pre - 1;

	if (strncmp(url, pre, sizeof pre - 1) != 0 ||
	    segment(&p, "abcdefghijklmnopqrstuvwxyz0123456789-._", r->nid, sizeof r->nid) != 0 ||
	    *p++ != '/' || segment(&p, "0123456789-.", r->nver, sizeof r->nver) != 0)
		return -1;
	return *p == '\0' ? 0 : -1;
}

/* Recognises method + path; recording routes fill sha (and offset). */
static enum route
route_of(const char *method, const char *url, struct req *r)
{
	static const char rec[] = "/v1/recordings/";
	const char *p;

	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/enroll") == 0)
		return R_ENROLL;
	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/records") == 0)
		return R_RECORDS;
	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/manifests") == 0)
		return R_MANIFEST;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/schedule") == 0)
		return R_SCHEDULE;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/notices") == 0)
		return R_NOTICES;
	if (strcmp(method, "GET") == 0 && notice_route(url, r) == 0)
		return R_NOTICE;
	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/heartbeat") == 0)
		return R_HEARTBEAT;
	if (strncmp(url, rec, sizeof rec - 1) != 0)
		return R_NONE;
	p = url + sizeof rec - 1;
	if (strlen(p) < SYNCPROTO_SHA_HEX)
		return R_NONE;
	memcpy(r->sha, p, SYNCPROTO_SHA_HEX);
	r->sha[SYNCPROTO_SHA_HEX] = '\0';
	if (!syncproto_sha_ok(r->sha))
		return R_NONE;
	p += SYNCPROTO_SHA_HEX;
	if (strcmp(method, "GET") == 0 && *p == '\0')
		return R_REC_STATUS;
	if (strcmp(method, "POST") == 0 && strcmp(p, "/finish") == 0)
		return R_REC_FINISH;
	if (strcmp(method, "PUT") == 0 && strncmp(p, "/data/", 6) == 0 &&
	    parse_offset(p + 6, &r->offset) == 0)
		return R_REC_DATA;
	if (strcmp(method, "PUT") == 0 && strncmp(p, "/stream/", 8) == 0 &&
	    parse_offset(p + 8, &r->offset) == 0)
		return R_REC_STREAM;
	return R_NONE;
}

static size_t
route_max(enum route r)
{
	switch (r) {
	case R_ENROLL: return RECV_MAX_ENROLL_BODY;
	case R_RECORDS: return RECV_MAX_RECORDS_BODY;
	case R_MANIFEST: return RECV_MAX_MANIFEST_BODY + 4096;
	case R_REC_DATA: return MAX_CHUNK_BODY;
	case R_REC_FINISH: return RECV_MAX_FINISH_BODY;
	case R_HEARTBEAT: return OPSSTORE_HEARTBEAT_MAX;
	case R_REC_STREAM:	/* checked segment by segment, see stream_data */
	case R_REC_STATUS:
	case R_SCHEDULE:
	case R_NOTICES:
	case R_NOTICE:
	case R_BENCH:
	case R_STATUS:
	case R_NONE: return 0;
	}
	return 0;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void
client_addr(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
}

/* Reads and checks the auth headers' form; 0 or -1. */
static int
read_headers(struct MHD_Connection *c, struct req *r)
{
	const char *box = header(c, SYNCPROTO_H_BOX), *seq = header(c, SYNCPROTO_H_SEQ);
	const char *clk = header(c, SYNCPROTO_H_CLOCK), *sig = header(c, SYNCPROTO_H_SIG);

	if (!box || !seq || !clk || !sig || !syncproto_box_ok(box) ||
	    syncproto_seq_parse(seq, &r->seq) != 0 ||
	    strlen(clk) >= sizeof r->clock || syncproto_clock_parse(clk, &r->box_now) != 0 ||
	    strlen(sig) != SYNCPROTO_SIG_B64)
		return -1;
	snprintf(r->box, sizeof r->box, "%s", box);
	snprintf(r->clock, sizeof r->clock, "%s", clk);
	snprintf(r->sig, sizeof r->sig, "%s", sig);
	return 0;
}

/* Verifies the request signature with key; 0 or -EBADMSG. */
static int
check_sig(struct req *r, const char *method, const char *url, const uint8_t pk[32])
{
	uint8_t sha[crypto_hash_sha256_BYTES];
	char msg[1024];

	crypto_hash_sha256_final(&r->h, sha);
	if (syncproto_auth_message(method, url, r->box, r->seq, r->clock, sha, msg,
	    sizeof msg) != 0)
		return -EBADMSG;
	return syncproto_verify(pk, msg, r->sig);
}

static int
device_pk(struct srv *s, const char *box, uint8_t pk[32])
{
	return store_device_key(s->st, box, pk);
}

/*
 * Records the request's sequence number (refusing a replay) and clock
 * sample in one transaction committed without an fsync of its own: the
 * next data commit (synchronous = FULL) makes it durable with everything
 * before it, as SQLite's WAL replays a prefix. A power cut can therefore
 * only forget the sequence numbers of requests that changed nothing (a
 * status or schedule question), and answering such a request twice is
 * harmless; it saves an fsync per request, most of a small request's cost.
 */
static int
note_request(struct srv *s, struct req *r)
{
	int rc;

	store_exec(s->st, "PRAGMA synchronous = NORMAL");
	if ((rc = store_begin(s->st)) == 0) {
		rc = syncstore_check_seq(s->st, r->box, r->seq, now_ns() / 1000000000, r->addr);
		if (rc == 0)
			syncstore_note_clock(s->st, r->box, &r->box_now, now_ns());
		if (rc == 0)
			rc = store_commit(s->st);
		store_rollback(s->st);
	}
	store_exec(s->st, "PRAGMA synchronous = FULL");
	return rc;
}

/* ---- handlers ---- */

static struct reply
h_enroll(struct srv *s, struct req *r, const char *method, const char *url, int *authed)
{
	struct recv_enroll e;
	struct minisign_key key;
	json_t *root = NULL;
	char err[256], sha[SYNCPROTO_SHA_HEX + 1], room[128];
	int64_t now = now_ns() / 1000000000;
	struct reply rep;
	int rc;

	*authed = 0;
	if (recv_parse_enroll(r->body, r->len, &root, &e, err, sizeof err) != 0 ||
	    strcmp(e.box, r->box) != 0 || minisign_parse_public(e.pubkey, &key) != 0)
		return fail(MHD_HTTP_UNAUTHORIZED, "unauthorized");
	/* Proof of possession: the request is signed by the key it registers. */
	if (check_sig(r, method, url, key.pk) != 0) {
		json_decref(root);
		return fail(MHD_HTTP_UNAUTHORIZED, "unauthorized");
	}
	syncproto_sha256_hex(e.token, strlen(e.token), sha);
	if ((rc = store_begin(s->st)) < 0) {
		json_decref(root);
		return fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store unavailable");
	}
	rc = syncstore_token_redeem(s->st, sha, e.box, e.pubkey, e.name, now, room, sizeof room);
	if (rc == 0)
		rc = syncstore_check_seq(s->st, e.box, r->seq, now, r->addr);
	if (rc == 0)
		rc = store_commit(s->st);
	store_rollback(s->st);
	switch (rc) {
	case 0:
		*authed = 1;
		log_info("enrolled box %s for room %s (%s)", e.box, room, r->addr);
		rep = ok(json_pack("{s:s, s:s}", "box", e.box, "room", room));
		break;
	case -ENOENT:
	case -ETIME:
	case -EALREADY:
	case -EKEYREVOKED:
	case -EKEYREJECTED:
	case -EACCES:
		/* Say no the same way whatever the reason: the log has the detail. */
		log_warnx("enrollment refused for box %s from %s: %s", e.box, r->addr,
		    rc == -ENOENT ? "unknown token" : rc == -ETIME ? "token expired" :
		    rc == -EALREADY ? "token already used" : rc == -EKEYREVOKED ?
		    "box was revoked" : rc == -EKEYREJECTED ? "box id enrolled with another key" :
		    "replayed request");
		rep = fail(MHD_HTTP_UNAUTHORIZED, "unauthorized");
		break;
	default:
		rep = fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	}
	json_decref(root);
	return rep;
}

static const char *
status_word(enum syncproto_status st)
{
	switch (st) {
	case SYNCPROTO_STORED: return "stored";
	case SYNCPROTO_DUPLICATE: return "duplicate";
	case SYNCPROTO_PURGED: return "purged";
	case SYNCPROTO_REFUSED: return "refused";
	}
	return "refused";
}

static struct reply
h_records(struct srv *s, struct req *r)
{
	struct recv_record *recs = NULL;
	json_t *root = NULL, *results = NULL;
	char err[256], reason[160];
	int64_t now = now_ns() / 1000000000;
	size_t i, n = 0, stored = 0;
	int rc;

	if (recv_parse_records(r->body, r->len, &root, &recs, &n, err, sizeof err) != 0) {
		log_warnx("box %s: records refused: %s", r->box, err);
		return fail(MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	results = json_array();
	if ((rc = store_begin(s->st)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		enum syncproto_status st;
		if (recs[i].invalid[0]) {
			st = SYNCPROTO_REFUSED;
			snprintf(reason, sizeof reason, "%s", recs[i].invalid);
		} else if ((rc = syncstore_put_record(s->st, r->box, &recs[i], now, &st, reason,
		    sizeof reason)) < 0)
			goto out;
		if (st == SYNCPROTO_REFUSED)
			log_warnx("box %s: %s %s refused: %s", r->box, recs[i].kind, recs[i].key,
			    reason);
		stored += st == SYNCPROTO_STORED;
		json_array_append_new(results, json_pack("{s:s, s:s, s:s, s:s}",
		    "kind", recs[i].kind, "key", recs[i].key, "sha256", recs[i].sha256,
		    "status", status_word(st)));
		if (*reason)
			json_object_set_new(json_array_get(results, i), "reason", json_string(reason));
	}
	rc = store_commit(s->st);
out:
	store_rollback(s->st);
	free(recs);
	json_decref(root);
	if (rc < 0) {
		json_decref(results);
		return store_fail(rc);
	}
	log_debug("box %s: %zu records, %zu new", r->box, n, stored);
	return ok(json_pack("{s:o}", "results", results));
}

static void
part_path(struct srv *s, const char *box, const char *sha, char *out, size_t len)
{
	snprintf(out, len, "%s/incoming/%s/%s.part", s->st->dir, box, sha);
}

static int
mkdirs(const char *base, const char *rel)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof path, "%s/%s", base, rel);

	if (n < 0 || (size_t)n >= sizeof path)
		return -ENAMETOOLONG;
	for (char *p = path + strlen(base) + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(path, 0700) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

static json_t *
offset_json(int64_t off, int complete, const char *sha)
{
	return json_pack("{s:I, s:b, s:s}", "offset", (json_int_t)off, "complete", complete,
	    "sha256", sha);
}

/* The size of the upload's file where finish puts it (boxes/BOX/SESSION/
 * SHA.opus), or -1: a finish that moved it there and then failed. */
static int64_t
moved_size(struct srv *s, const char *box, const char *sha)
{
	char pat[PATH_MAX];
	struct stat sb;
	int64_t size = -1;
	glob_t g;

	snprintf(pat, sizeof pat, "%s/boxes/%s/*/%s.opus", s->st->dir, box, sha);
	if (glob(pat, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc == 1 &&
	    stat(g.gl_pathv[0], &sb) == 0)
		size = sb.st_size;
	globfree(&g);
	return size;
}

/* The confirmed length, with the part file cut back to it: bytes past it
 * may be a torn write from before a crash and are sent again. */
static int
upload_state(struct srv *s, struct req *r, int64_t *confirmed, int *complete,
    struct sha256_ctx *hs, int *has_state)
{
	char part[PATH_MAX];
	struct stat sb;
	int exists, rc, dummy;

	if ((rc = syncstore_upload_get(s->st, r->box, r->sha, confirmed, complete, &exists,
	    hs, hs ? sizeof *hs : 0, has_state ? has_state : &dummy)) < 0)
		return rc;
	if (*complete || !exists)
		return 0;
	part_path(s, r->box, r->sha, part, sizeof part);
	/* All of it is in its place already: only the finish is missing. */
	if (stat(part, &sb) != 0 && *confirmed > 0 &&
	    moved_size(s, r->box, r->sha) == *confirmed)
		return 0;
	if (stat(part, &sb) != 0 || sb.st_size < *confirmed) {
		/* The host lost bytes it had confirmed (disk replaced?): start over. */
		log_warnx("box %s: upload %s: part file shorter than confirmed; restarting",
		    r->box, r->sha);
		*confirmed = 0;
		if (has_state)
			*has_state = 0;
		unlink(part);
		return syncstore_upload_advance(s->st, r->box, r->sha, 0, 0, NULL, 0,
		    now_ns() / 1000000000);
	}
	if (sb.st_size > *confirmed) {
		/* Checked bytes written after the last checkpoint by a host that
		 * died: the box sends them again, so count them as received. */
		if (truncate(part, *confirmed) != 0)
			return -errno;
		syncstore_upload_count(s->st, r->box, r->sha, sb.st_size - *confirmed);
	}
	return 0;
}

/* ---- streamed uploads ---- */

static struct req **
stream_slot(struct srv *s, const char *box, const char *sha)
{
	for (int i = 0; i < STREAMS_MAX; i++)
		if (s->streams[i] && strcmp(s->streams[i]->box, box) == 0 &&
		    strcmp(s->streams[i]->sha, sha) == 0)
			return &s->streams[i];
	return NULL;
}

/* Makes what the stream verified durable, then confirms it: only then may
 * the box hear of it or a resume start after it. */
static int
stream_checkpoint(struct srv *s, struct req *r)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	r->checkpoint_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (r->store_err || r->seg.end <= r->durable)
		return r->store_err;
	if (fdatasync(r->part_fd) != 0)
		rc = -errno;
	else
		rc = syncstore_upload_advance(s->st, r->box, r->sha, r->seg.end,
		    r->seg.end - r->durable, &r->seg.h, sizeof r->seg.h, now_ns() / 1000000000);
	if (rc < 0) {
		log_warnx("box %s: upload %s: cannot confirm %" PRId64 " bytes: %s", r->box,
		    r->sha, r->seg.end, strerror(-rc));
		r->store_err = rc;
		return rc;
	}
	r->durable = r->seg.end;
	return 0;
}

/* Ends a stream's hold on its upload: checkpoint, then forget it. */
static void
stream_close(struct srv *s, struct req *r)
{
	struct req **slot;

	if (r->part_fd < 0)
		return;
	progress_end(&r->prog);
	stream_checkpoint(s, r);
	if ((slot = stream_slot(s, r->box, r->sha)) && *slot == r)
		*slot = NULL;
	/* Bytes past what is confirmed were never checked (or never made
	 * durable): they are not part of the upload. */
	if (ftruncate(r->part_fd, r->durable) != 0)
		log_warn("box %s: upload %s: truncate", r->box, r->sha);
	close(r->part_fd);
	r->part_fd = -1;
}

/* Writeback is started every this many bytes, so the fdatasync at a
 * checkpoint finds most of the data on its way to the disk already. */
#define WRITEBACK_BYTES (4 << 20)

static int
seg_write(void *arg, int64_t off, const uint8_t *data, size_t len)
{
	struct req *r = arg;

	if (off + (int64_t)len - r->writeback >= WRITEBACK_BYTES) {
		sync_file_range(r->part_fd, r->writeback, off - r->writeback,
		    SYNC_FILE_RANGE_WRITE);
		r->writeback = off;
	}
	while (len > 0) {
		ssize_t n = pwrite(r->part_fd, data, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The SHA-256 state over the first len bytes of a part file, for an
 * upload whose stored state is missing. */
static int
hash_prefix(const char *path, int64_t len, struct sha256_ctx *h)
{
	uint8_t buf[65536];
	int64_t at = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	sha256_init(h);
	if (len == 0)
		return fd >= 0 ? close(fd), 0 : 0;
	if (fd < 0)
		return -errno;
	while (at < len) {
		size_t want = len - at < (int64_t)sizeof buf ? (size_t)(len - at) : sizeof buf;
		ssize_t n = pread(fd, buf, want, at);
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		sha256_update(h, (size_t)n, buf);
		at += n;
	}
	close(fd);
	return rc;
}

/*
 * The headers of a stream are authenticated: take over the upload. A
 * stream of the same upload on another connection (a box that reconnected
 * before the old connection was seen to die) is checkpointed and cut off.
 * Anything but a response (NULL) means the body is not wanted.
 */
static json_t *
stream_begin(struct srv *s, struct req *r, const uint8_t pk[32], unsigned *status)
{
	char part[PATH_MAX], rel[256];
	int64_t confirmed;
	struct sha256_ctx hs;
	struct req **slot;
	int complete, rc, has_state = 0;

	*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	if ((slot = stream_slot(s, r->box, r->sha))) {
		struct req *old = *slot;
		log_warnx("box %s: upload %s: a new stream replaces the one in progress",
		    r->box, r->sha);
		stream_close(s, old);
		old->store_err = -ECANCELED;
	}
	for (slot = NULL, rc = 0; rc < STREAMS_MAX && !slot; rc++)
		if (!s->streams[rc])
			slot = &s->streams[rc];
	if (!slot) {
		*status = MHD_HTTP_SERVICE_UNAVAILABLE;
		return json_pack("{s:s}", "error", "too many uploads in progress");
	}
	if ((rc = upload_state(s, r, &confirmed, &complete, &hs, &has_state)) < 0)
		return json_pack("{s:s}", "error", "store error");
	if (complete || r->offset != confirmed) {
		*status = MHD_HTTP_CONFLICT;
		return offset_json(confirmed, complete, r->sha);
	}
	snprintf(rel, sizeof rel, "incoming/%s", r->box);
	part_path(s, r->box, r->sha, part, sizeof part);
	if (!has_state && (rc = hash_prefix(part, confirmed, &hs)) < 0)
		return json_pack("{s:s}", "error", "store error");
	if ((rc = mkdirs(s->st->dir, rel)) < 0 ||
	    (r->part_fd = open(part, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_warnx("box %s: upload %s: %s", r->box, r->sha, strerror(rc < 0 ? -rc : errno));
		*status = MHD_HTTP_INSUFFICIENT_STORAGE;
		return json_pack("{s:s}", "error", "cannot store the upload");
	}
	syncseg_reader_init(&r->seg, pk, r->box, r->seq, r->sha, confirmed, &hs, SYNCSEG_MAX,
	    seg_write, r);
	r->durable = r->writeback = confirmed;
	r->srv = s;
	stream_checkpoint(s, r);	/* starts the clock */
	*slot = r;
	return NULL;
}

/* Body bytes of a stream: checked and written segment by segment. */
static enum MHD_Result
stream_data(struct srv *s, struct req *r, const char *data, size_t len)
{
	struct timespec ts;

	/* Cut off by a newer stream of the same upload. */
	if (r->part_fd < 0)
		return MHD_NO;
	/* After a refusal the rest is read and dropped, so the box hears why. */
	if (!r->seg.err && r->seg.end + (int64_t)len > MAX_RECORDING_BYTES + SYNCSEG_MAX)
		r->seg.err = -EFBIG, r->seg.why = "recording too large";
	if (!r->seg.err && !r->store_err)
		syncseg_reader_feed(&r->seg, (const uint8_t *)data, len);
	r->body_seen += len;
	progress_set(&r->prog, r->body_seen);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - r->checkpoint_ns >= CHECKPOINT_NS)
		stream_checkpoint(s, r);
	return MHD_YES;
}

static struct reply
stream_end(struct srv *s, struct req *r)
{
	int rc = syncseg_reader_end(&r->seg);
	int complete = r->seg.complete;
	const char *why = r->seg.why;
	uint64_t nseg = r->seg.segments;
	json_t *j;

	stream_close(s, r);
	if (r->store_err == -ECANCELED)
		return fail(MHD_HTTP_CONFLICT, "another stream of this upload took over");
	if (r->store_err || (rc < 0 && rc != -EBADMSG && rc != -EFBIG && rc != -EPIPE)) {
		j = offset_json(r->durable, 0, r->sha);
		json_object_set_new(j, "error", json_string("cannot store the upload"));
		return (struct reply){ MHD_HTTP_INSUFFICIENT_STORAGE, j };
	}
	if (rc == -EBADMSG || rc == -EFBIG) {
		/* What came before the bad segment was checked and is kept. */
		log_warnx("box %s: upload %s refused at %" PRId64 ": %s", r->box, r->sha,
		    r->seg.end, why);
		store_audit(s->st, "notewell", "upload-refused", r->box);
		j = offset_json(r->durable, 0, r->sha);
		json_object_set_new(j, "error", json_string(why));
		return (struct reply){ MHD_HTTP_UNPROCESSABLE_CONTENT, j };
	}
	log_debug("box %s: upload %s: stream of %" PRIu64 " segments, confirmed %" PRId64
	    "%s", r->box, r->sha, nseg, r->durable, complete ? " (whole)" : "");
	return ok(offset_json(r->durable, complete, r->sha));
}

static struct reply
h_rec_status(struct srv *s, struct req *r)
{
	int64_t confirmed;
	int complete, rc;
	struct req **slot;

	/* A box asking has lost its stream, whether or not we noticed yet. */
	if ((slot = stream_slot(s, r->box, r->sha)))
		stream_checkpoint(s, *slot);
	if ((rc = upload_state(s, r, &confirmed, &complete, NULL, NULL)) < 0)
		return fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	return ok(offset_json(confirmed, complete, r->sha));
}

static int
write_chunk(const char *path, int64_t off, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		buf += n;
		off += n;
		len -= (size_t)n;
	}
	/* Confirmed bytes are on disk before the box hears about them. */
	if (rc == 0 && fdatasync(fd) != 0)
		rc = -errno;
	close(fd);
	return rc;
}

static struct reply
h_rec_data(struct srv *s, struct req *r)
{
	char part[PATH_MAX], rel[256];
	int64_t confirmed, now = now_ns() / 1000000000;
	struct sha256_ctx hs;
	int complete, rc, has_state = 0;

	if ((rc = upload_state(s, r, &confirmed, &complete, &hs, &has_state)) < 0)
		return fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	if (complete || r->offset != confirmed) {
		struct reply rep = { MHD_HTTP_CONFLICT, offset_json(confirmed, complete, r->sha) };
		return rep;
	}
	if (r->len == 0 || r->offset + (int64_t)r->len > MAX_RECORDING_BYTES)
		return fail(MHD_HTTP_BAD_REQUEST, "empty chunk or recording too large");
	snprintf(rel, sizeof rel, "incoming/%s", r->box);
	part_path(s, r->box, r->sha, part, sizeof part);
	if ((rc = mkdirs(s->st->dir, rel)) < 0 ||
	    (rc = write_chunk(part, r->offset, r->body, r->len)) < 0) {
		log_warnx("box %s: upload %s: %s", r->box, r->sha, strerror(-rc));
		return fail(MHD_HTTP_INSUFFICIENT_STORAGE, rc == -ENOSPC ? "host storage full" :
		    "cannot store the chunk");
	}
	/* The content hash runs along with the upload and is kept with the
	 * confirmed length, so finishing does not read the whole file again. */
	if (confirmed == 0) {
		sha256_init(&hs);
		has_state = 1;
	}
	if (has_state)
		sha256_update(&hs, r->len, (const uint8_t *)r->body);
	confirmed += (int64_t)r->len;
	if ((rc = syncstore_upload_advance(s->st, r->box, r->sha, confirmed, (int64_t)r->len,
	    has_state ? &hs : NULL, sizeof hs, now)) < 0)
		return store_fail(rc);
	log_debug("box %s: upload %s: chunk at %" PRId64 " (%zu bytes)", r->box, r->sha,
	    r->offset, r->len);
	return ok(offset_json(confirmed, 0, r->sha));
}

static int
file_sha256(const char *path, char hex[SYNCPROTO_SHA_HEX + 1], int64_t *size)
{
	struct sha256_ctx h;
	uint8_t buf[65536], out[SHA256_DIGEST_SIZE];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	*size = 0;
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		sha256_update(&h, (size_t)n, buf);
		*size += n;
	}
	close(fd);
	if (n < 0)
		return -EIO;
	sha256_digest(&h, sizeof out, out);
	sodium_bin2hex(hex, SYNCPROTO_SHA_HEX + 1, out, sizeof out);
	return 0;
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* A finish that moved the file into place and then failed (its folder could
 * not be synced, or the store not commit) left it there and no part file:
 * 1 if dst is that file, whole, so the retry takes it from there instead
 * of having the box send it all again. */
static int
finished_before(struct req *r, const char *part, const char *dst, int64_t bytes)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	struct stat sb;
	int64_t size;

	if (stat(part, &sb) == 0 || stat(dst, &sb) != 0 || sb.st_size != bytes)
		return 0;
	return file_sha256(dst, hex, &size) == 0 && size == bytes && strcmp(hex, r->sha) == 0;
}

/* The part file of a whole upload, checked against its name and moved to
 * dst (in the store's folder dirrel): 0, or -1 with the answer in *rep. */
static int
move_into_place(struct srv *s, struct req *r, int64_t bytes, const char *part,
    const char *dst, const char *dirrel, struct reply *rep)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	int64_t confirmed, size = 0;
	struct sha256_ctx hs;
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct stat sb;
	int complete, rc, has_state = 0;

	if ((rc = upload_state(s, r, &confirmed, &complete, &hs, &has_state)) < 0) {
		*rep = fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
		return -1;
	}
	if (confirmed != bytes) {
		*rep = (struct reply){ MHD_HTTP_CONFLICT, offset_json(confirmed, 0, r->sha) };
		return -1;
	}
	if (has_state && stat(part, &sb) == 0) {
		sha256_digest(&hs, sizeof digest, digest);
		sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
		size = sb.st_size;
	} else {
		rc = file_sha256(part, hex, &size);
	}
	if (rc < 0 || size != bytes || strcmp(hex, r->sha) != 0) {
		/* Not what the box said it sent: drop it so the next try is clean. */
		log_warnx("box %s: recording %s refused: content hash is %s", r->box, r->sha,
		    rc < 0 ? strerror(-rc) : hex);
		unlink(part);
		syncstore_upload_advance(s->st, r->box, r->sha, 0, 0, NULL, 0,
		    now_ns() / 1000000000);
		*rep = fail(MHD_HTTP_UNPROCESSABLE_CONTENT, "hash mismatch: the host received "
		    "other bytes than the recording's SHA-256; send it again");
		return -1;
	}
	if (mkdirs(s->st->dir, dirrel) < 0 || rename(part, dst) != 0) {
		*rep = fail(MHD_HTTP_INSUFFICIENT_STORAGE, "cannot store the recording");
		return -1;
	}
	return 0;
}

static struct reply
h_rec_finish(struct srv *s, struct req *r)
{
	struct recv_finish f;
	struct store_recording sr;
	json_t *root = NULL;
	char err[256], part[PATH_MAX], rel[512], dst[PATH_MAX], dir[PATH_MAX], safe[80];
	char dirrel[256];
	int64_t now = now_ns() / 1000000000;
	int rc;
	struct reply rep;

	if (recv_parse_finish(r->body, r->len, &root, &f, err, sizeof err) != 0)
		return fail(MHD_HTTP_BAD_REQUEST, "%s", err);
	if (syncstore_recording_has(s->st, r->box, r->sha, f.bytes) == 0) {
		rep = ok(json_pack("{s:s, s:I, s:s}", "sha256", r->sha, "bytes",
		    (json_int_t)f.bytes, "status", "duplicate"));
		goto out;
	}
	recv_safe_name(f.session_uid ? f.session_uid : "no-session", safe, sizeof safe);
	snprintf(dirrel, sizeof dirrel, "boxes/%s/%s", r->box, safe);
	snprintf(rel, sizeof rel, "%s/%s.opus", dirrel, r->sha);
	snprintf(dst, sizeof dst, "%s/%s", s->st->dir, rel);
	snprintf(dir, sizeof dir, "%s/%s", s->st->dir, dirrel);
	part_path(s, r->box, r->sha, part, sizeof part);
	if (!finished_before(r, part, dst, f.bytes) &&
	    move_into_place(s, r, f.bytes, part, dst, dirrel, &rep) < 0)
		goto out;
	/* Stored means it survives a power cut: its name too. */
	if ((rc = fsync_dir(dir)) < 0) {
		log_warnx("box %s: recording %s: sync %s: %s", r->box, r->sha, dir, strerror(-rc));
		rep = fail(MHD_HTTP_INSUFFICIENT_STORAGE, "cannot store the recording");
		goto out;
	}
	memset(&sr, 0, sizeof sr);
	sr.device_id = r->box;
	sr.session_uid = f.session_uid ? f.session_uid : "";
	sr.sha256 = r->sha;
	sr.bytes = f.bytes;
	sr.duration_ms = f.duration_ns / 1000000;
	sr.path = rel;
	sr.notice_id = f.notice_id;
	sr.notice_sha256 = f.notice_sha256;
	if ((rc = store_begin(s->st)) < 0 || (rc = store_add_recording(s->st, &sr)) < 0 ||
	    (rc = syncstore_upload_complete(s->st, r->box, r->sha, now)) < 0 ||
	    (rc = store_commit(s->st)) < 0) {
		store_rollback(s->st);
		/* The file is in place; the box's retry finds it there. */
		rep = store_fail(rc);
		goto out;
	}
	log_info("box %s: recording %s (%" PRId64 " bytes) stored as %s", r->box, r->sha,
	    f.bytes, rel);
	rep = ok(json_pack("{s:s, s:I, s:s}", "sha256", r->sha, "bytes", (json_int_t)f.bytes,
	    "status", "stored"));
out:
	json_decref(root);
	return rep;
}

static struct reply
h_manifest(struct srv *s, struct req *r)
{
	struct recv_manifest_post mp;
	struct recv_manifest m = { 0 };
	struct minisign_key pub;
	json_t *root = NULL, *mroot = NULL;
	char err[256], mpub[128], sha[SYNCPROTO_SHA_HEX + 1], old[SYNCPROTO_SHA_HEX + 1];
	char rel[512], path[PATH_MAX], safe[80], *tc = NULL;
	int64_t now = now_ns() / 1000000000;
	struct reply rep;
	size_t i;
	int rc;

	if (recv_parse_manifest_post(r->body, r->len, &root, &mp, err, sizeof err) != 0)
		return fail(MHD_HTTP_BAD_REQUEST, "%s", err);
	if (syncstore_device_minisign(s->st, r->box, mpub, sizeof mpub) != 0 ||
	    minisign_parse_public(mpub, &pub) != 0) {
		rep = fail(MHD_HTTP_UNPROCESSABLE_CONTENT, "no manifest key on record for this box");
		goto out;
	}
	if ((rc = minisign_verify(&pub, mp.manifest, strlen(mp.manifest), mp.minisig, &tc)) < 0) {
		log_warnx("box %s: manifest for %s refused: bad signature (%s)", r->box,
		    mp.session_uid, strerror(-rc));
		store_audit(s->st, "notewell", "manifest-refused", r->box);
		rep = fail(MHD_HTTP_UNPROCESSABLE_CONTENT, "manifest signature does not verify");
		goto out;
	}
	if (recv_parse_manifest(mp.manifest, strlen(mp.manifest), &mroot, &m, err,
	    sizeof err) != 0 || strcmp(m.box, r->box) != 0 ||
	    strcmp(m.session_uid, mp.session_uid) != 0) {
		rep = fail(MHD_HTTP_UNPROCESSABLE_CONTENT, "manifest is not valid: %s",
		    *err ? err : "names another box or session");
		goto out;
	}
	/* Every hash it lists must be what this host stored for this box. */
	for (i = 0; i < m.n; i++) {
		const struct recv_manifest_entry *e = &m.e[i];
		rc = strcmp(e->kind, "file") == 0 ?
		    syncstore_recording_has(s->st, r->box, e->sha256, e->bytes) :
		    syncstore_record_has(s->st, r->box, e->kind, e->key, e->sha256);
		if (rc == -ENOENT) {
			rep = fail(MHD_HTTP_CONFLICT, "manifest lists %s %s which the host does "
			    "not have yet", e->kind, e->key);
			goto out;
		}
		if (rc < 0) {
			log_warnx("box %s: manifest for %s refused: %s %s hash differs from the "
			    "stored one", r->box, m.session_uid, e->kind, e->key);
			rep = fail(MHD_HTTP_UNPROCESSABLE_CONTENT, "manifest hash of %s %s differs "
			    "from what the host stored", e->kind, e->key);
			goto out;
		}
	}
	syncproto_sha256_hex(mp.manifest, strlen(mp.manifest), sha);
	if (syncstore_manifest_get(s->st, r->box, m.session_uid, old) == 0) {
		rep = ok(json_pack("{s:s, s:s}", "sha256", old, "status", "duplicate"));
		goto out;
	}
	recv_safe_name(m.session_uid, safe, sizeof safe);
	snprintf(rel, sizeof rel, "boxes/%s/%s", r->box, safe);
	if (mkdirs(s->st->dir, rel) < 0) {
		rep = fail(MHD_HTTP_INSUFFICIENT_STORAGE, "cannot store the manifest");
		goto out;
	}
	snprintf(rel, sizeof rel, "boxes/%s/%s/manifest.json", r->box, safe);
	snprintf(path, sizeof path, "%s/%s.minisig", s->st->dir, rel);
	if (minisign_write_file(path, mp.minisig, strlen(mp.minisig), 0644) < 0) {
		rep = fail(MHD_HTTP_INSUFFICIENT_STORAGE, "cannot store the manifest");
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", s->st->dir, rel);
	if (minisign_write_file(path, mp.manifest, strlen(mp.manifest), 0644) < 0 ||
	    syncstore_manifest_put(s->st, r->box, m.session_uid, sha, rel, tc, now) < 0) {
		rep = fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store the manifest");
		goto out;
	}
	log_info("box %s: manifest for session %s verified and stored (%s)", r->box,
	    m.session_uid, rel);
	rep = ok(json_pack("{s:s, s:s}", "sha256", sha, "status", "stored"));
out:
	free(tc);
	free(m.e);
	json_decref(mroot);
	json_decref(root);
	return rep;
}

/* ---- the benchmark sink ---- */

static enum MHD_Result
bench_start(struct srv *s, struct req *r)
{
	char path[PATH_MAX];

	r->route = R_BENCH;
	snprintf(path, sizeof path, "%s/incoming", s->st->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/incoming/bench.sink", s->st->dir);
	r->sink_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	sha256_init(&r->sink_h);
	return r->sink_fd < 0 ? MHD_NO : MHD_YES;
}

/* Streams the body to disk, hashing it, like an upload does: the work a
 * server must do with the bytes, without the protocol. */
static enum MHD_Result
bench_data(struct MHD_Connection *c, struct req *r, const char *data, size_t *len)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	uint8_t sha[SHA256_DIGEST_SIZE];

	if (*len) {
		if (write(r->sink_fd, data, *len) != (ssize_t)*len)
			return MHD_NO;
		sha256_update(&r->sink_h, *len, (const uint8_t *)data);
		r->sink_bytes += (int64_t)*len;
		/* The same early writeback as an upload's (seg_write). */
		if (r->sink_bytes - r->writeback >= WRITEBACK_BYTES) {
			sync_file_range(r->sink_fd, r->writeback, r->sink_bytes - r->writeback,
			    SYNC_FILE_RANGE_WRITE);
			r->writeback = r->sink_bytes;
		}
		*len = 0;
		return MHD_YES;
	}
	if (fdatasync(r->sink_fd) != 0)
		return MHD_NO;
	sha256_digest(&r->sink_h, sizeof sha, sha);
	sodium_bin2hex(hex, sizeof hex, sha, sizeof sha);
	return send_json(c, MHD_HTTP_OK, json_pack("{s:I, s:s}", "bytes",
	    (json_int_t)r->sink_bytes, "sha256", hex));
}

/* The schedule of the room the box was enrolled for. Which version each
 * box fetched is noted, for `notewell preflight`. */
static struct reply
h_schedule(struct srv *s, struct req *r)
{
	char room[256], sha[SYNCPROTO_SHA_HEX + 1];
	json_t *j;

	if (schedout_device_room(s->st, r->box, room, sizeof room) != 0)
		return (struct reply){ MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "error", "no room") };
	if (!(j = schedout_room(s->st, room)))
		return (struct reply){ MHD_HTTP_INTERNAL_SERVER_ERROR,
		    json_pack("{s:s}", "error", "cannot read the agenda") };
	if (schedout_sha256(j, sha) == 0)
		opsstore_note_schedule(s->st, r->box, sha,
		    (int)json_array_size(json_object_get(j, "sessions")), now_ns());
	return (struct reply){ MHD_HTTP_OK, j };
}

/* The notices this host pushes: the index, then one version at a time,
 * so a reply stays small however many versions there are. */
static struct reply
h_notices(struct srv *s, struct req *r)
{
	json_t *j;
	int found;

	if (r->route == R_NOTICES)
		j = noticepush_index(s->st);
	else if (!(j = noticepush_get(s->st, r->nid, r->nver, &found)) && !found)
		return (struct reply){ MHD_HTTP_NOT_FOUND, json_pack("{s:s}", "error", "no such notice") };
	if (!j)
		return (struct reply){ MHD_HTTP_INTERNAL_SERVER_ERROR,
		    json_pack("{s:s}", "error", "cannot read the notices") };
	return (struct reply){ MHD_HTTP_OK, j };
}

static struct reply
h_heartbeat(struct srv *s, struct req *r)
{
	char err[256];
	json_t *hb = NULL;
	int64_t now = now_ns();

	if (opsstore_heartbeat_parse(r->body, r->len, r->box, &hb, err, sizeof err) != 0) {
		log_warnx("box %s: heartbeat refused: %s", r->box, err);
		return fail(MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	/* The offset from the request's own clock header, stamped at sending. */
	if (opsstore_put_heartbeat(s->st, r->box, hb, now, r->box_now.wall_ns - now,
	    r->addr) < 0) {
		json_decref(hb);
		return fail(MHD_HTTP_INTERNAL_SERVER_ERROR, "store error");
	}
	json_decref(hb);
	return ok(json_pack("{s:b}", "ok", 1));
}

/* ---- the status page ---- */

#define STATUS_REFRESH_S 10

static enum MHD_Result
send_page(struct MHD_Connection *c, unsigned status, char *html, int challenge)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(html), html, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(html);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* Nothing on the page may come from anywhere: no scripts, no fetches;
	 * inline style and the inline SVG only. */
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
	    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = challenge ? MHD_queue_basic_auth_fail_response(c, "notewell operators", r) :
	    MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Operators only (notewell operator add); anyone else learns nothing. */
static enum MHD_Result
status_page(struct srv *s, struct MHD_Connection *c, const char *addr)
{
	struct opsboard b;
	char *pass = NULL, *user = MHD_basic_auth_get_username_password(c, &pass);
	char *html;
	int rc = opsstore_operator_check(s->st, user, pass);

	if (rc != 0) {
		log_warnx("status page: %s from %s", user ? "wrong operator credentials" :
		    "no credentials", addr);
		note_refusal(s, c);
	}
	if (pass) {
		sodium_memzero(pass, strlen(pass));
		MHD_free(pass);
	}
	if (user)
		MHD_free(user);
	if (rc != 0) {
		html = strdup("<!DOCTYPE html><title>401</title><p>unauthorized</p>\n");
		return html ? send_page(c, MHD_HTTP_UNAUTHORIZED, html, 1) : MHD_NO;
	}
	if (opsboard_build(s->st, now_ns(), &b) < 0)
		return send_json(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    json_pack("{s:s}", "error", "store error"));
	html = opspage_html(&b, STATUS_REFRESH_S);
	opsboard_free(&b);
	return html ? send_page(c, MHD_HTTP_OK, html, 0) : MHD_NO;
}

/* ---- the access handler ---- */

/*
 * The answer when the sequence check did not pass: a replay (-EACCES) is
 * refused like any other forgery; a store that could not record the number
 * (disk error, disk full) is the host's trouble, and saying 401 would tell
 * the box it was revoked. It retries, with a new number, after backoff.
 */
static enum MHD_Result
seq_refused(struct srv *s, struct MHD_Connection *c, struct req *r, const char *method,
    const char *url, int rc)
{
	if (rc != -EACCES) {
		log_warnx("box %s: %s %s: cannot record the request: %s", r->box, method, url,
		    strerror(-rc));
		if (rc == -ENOSPC) {	/* 507 "host storage full": the box waits */
			struct reply rep = store_fail(rc);
			return send_json(c, rep.status, rep.json);
		}
		return send_json(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    json_pack("{s:s}", "error", "store error"));
	}
	log_warnx("replayed request %s %s from %s (box %s, seq %" PRIu64 ")", method, url,
	    r->addr, r->box, r->seq);
	return unauthorized(s, c);
}

/* A stream's headers carry the only request signature (over an empty
 * body; the segments sign themselves), so it is checked before any body
 * byte is read. */
static enum MHD_Result
stream_headers(struct srv *s, struct MHD_Connection *c, struct req *r, const char *method,
    const char *url, const uint8_t pk[32])
{
	unsigned status;
	json_t *j;
	int rc;

	if (check_sig(r, method, url, pk) != 0) {
		log_warnx("unauthenticated %s %s from %s (box header %s)", method, url, r->addr,
		    r->box);
		return unauthorized(s, c);
	}
	if ((rc = note_request(s, r)) != 0)
		return seq_refused(s, c, r, method, url, rc);
	if ((j = stream_begin(s, r, pk, &status)))
		return send_json(c, status, j);
	/* A large backlog arriving, as an operator at serve's terminal sees it. */
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char label[32];
	snprintf(label, sizeof label, "box %.8s", r->box);
	progress_start(&r->prog, stderr, label, cl ? strtoull(cl, NULL, 10) : 0);
	return MHD_YES;
}

/* First call of a request: headers only. Refuse early so no body is read. */
static enum MHD_Result
request_headers(struct srv *s, struct MHD_Connection *c, const char *url, const char *method,
    void **con_cls)
{
	struct req *r;
	const char *cl;
	uint8_t pk[32];

	if (!(r = calloc(1, sizeof *r)))
		return MHD_NO;
	*con_cls = r;
	client_addr(c, r->addr, sizeof r->addr);
	crypto_hash_sha256_init(&r->h);
	r->sink_fd = -1;
	r->part_fd = -1;
	r->route = route_of(method, url, r);
	log_debug("request %s %s from %s", method, url, r->addr);
	if (strcmp(method, "GET") == 0 && strcmp(url, "/status") == 0) {
		r->route = R_STATUS;
		return status_page(s, c, r->addr);
	}
	if (s->bench_sink && strcmp(method, "PUT") == 0 && strcmp(url, "/bench/sink") == 0)
		return bench_start(s, r);
	r->max = route_max(r->route);
	if (r->route == R_NONE || read_headers(c, r) != 0)
		return unauthorized(s, c);
	if (r->route != R_ENROLL && device_pk(s, r->box, pk) != 0)
		return unauthorized(s, c);
	if (r->route == R_REC_STREAM)
		return stream_headers(s, c, r, method, url, pk);
	cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && (size_t)strtoull(cl, NULL, 10) > r->max)
		return send_json(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    json_pack("{s:s}", "error", "request body too large"));
	return MHD_YES;
}

/* Body bytes of an ordinary request, kept until the request is whole. */
static enum MHD_Result
request_body(struct req *r, const char *upload, size_t len)
{
	/* A body over the limit ends the connection: nothing is stored. */
	if (len > r->max - r->len)
		return MHD_NO;
	/* Grown as bytes arrive: a request that only claims to be big
	 * costs nothing before it sends. */
	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 65536;
		char *nb;
		while (cap < r->len + len)
			cap *= 2;
		if (cap > r->max)
			cap = r->max;
		if (!(nb = realloc(r->body, cap)))
			return MHD_NO;
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, upload, len);
	crypto_hash_sha256_update(&r->h, (const uint8_t *)upload, len);
	r->len += len;
	return MHD_YES;
}

/* The whole request is here: authenticate, then act. */
static enum MHD_Result
request_done(struct srv *s, struct MHD_Connection *c, struct req *r, const char *url,
    const char *method)
{
	uint8_t pk[32];
	struct reply rep;
	int authed = 1, rc;

	if (r->route == R_ENROLL) {
		rep = h_enroll(s, r, method, url, &authed);
		if (!authed) {
			json_decref(rep.json);
			return unauthorized(s, c);
		}
		return send_json(c, rep.status, rep.json);
	}
	if (device_pk(s, r->box, pk) != 0 || check_sig(r, method, url, pk) != 0) {
		log_warnx("unauthenticated %s %s from %s (box header %s)", method, url, r->addr,
		    r->box);
		return unauthorized(s, c);
	}
	if ((rc = r->route == R_HEARTBEAT ? opsstore_check_hb_seq(s->st, r->box, r->seq) :
	    note_request(s, r)) != 0)
		return seq_refused(s, c, r, method, url, rc);
	switch (r->route) {
	case R_RECORDS: rep = h_records(s, r); break;
	case R_REC_STATUS: rep = h_rec_status(s, r); break;
	case R_REC_DATA: rep = h_rec_data(s, r); break;
	case R_REC_FINISH: rep = h_rec_finish(s, r); break;
	case R_MANIFEST: rep = h_manifest(s, r); break;
	case R_SCHEDULE: rep = h_schedule(s, r); break;
	case R_NOTICES:
	case R_NOTICE: rep = h_notices(s, r); break;
	case R_HEARTBEAT: rep = h_heartbeat(s, r); break;
	default: return unauthorized(s, c);
	}
	return send_json(c, rep.status, rep.json);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
	struct srv *s = cls;
	struct req *r = *con_cls;
	struct reply rep;
	enum MHD_Result mr;

	(void)version;
	if (!r) {
		watch_request(s, c, 1);
		return request_headers(s, c, url, method, con_cls);
	}
	if (*upload_len)
		watch_body(s, c, *upload_len);
	if (r->route == R_BENCH)
		return bench_data(c, r, upload, upload_len);
	if (r->route == R_REC_STREAM) {
		if (*upload_len) {
			mr = stream_data(s, r, upload, *upload_len);
			*upload_len = 0;
			return mr;
		}
		rep = stream_end(s, r);
		return send_json(c, rep.status, rep.json);
	}
	if (*upload_len) {
		mr = request_body(r, upload, *upload_len);
		*upload_len = 0;
		return mr;
	}
	return request_done(s, c, r, url, method);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	watch_request(cls, c, 0);
	if (r) {
		/* A stream cut short keeps every byte it verified. */
		if (r->part_fd >= 0)
			stream_close(r->srv, r);
		if (r->sink_fd >= 0)
			close(r->sink_fd);
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("httpd: %s", msg);
}

void
receive_defaults(struct receive_opts *o)
{
	o->addr = "0.0.0.0";
	o->port = 8443;
	o->max_conns = 64;
	o->per_ip = 8;
	o->timeout_s = 60;
	o->header_timeout_s = 10;
	o->bench_sink = 0;
	o->alert_cmd = NULL;
	o->alert_interval_s = 300;
	o->drop = NULL;
}

/* Once a second in the main thread, on its own store connection (the
 * request thread has the other): rooms that went missing are noticed
 * without any request arriving. */
static void
alert_tick(struct store *st, const struct receive_opts *o)
{
	struct opsboard b;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;	/* alert commands that finished */
	if (opsboard_build(st, now_ns(), &b) < 0)
		return;
	opsalert_check(st, &b, (int64_t)o->alert_interval_s * 1000000000, opsalert_spawn,
	    (void *)o->alert_cmd);
	opsboard_free(&b);
}

/*
 * The listening socket, made here rather than by MHD so that it exists
 * (on a port root may need) before the privileges go, and MHD's threads
 * only ever start as the unprivileged user. -errno on failure.
 */
static int
listen_socket(const struct sockaddr_in *sa)
{
	int fd, one = 1, rc;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0 ||
	    listen(fd, 64) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * What the served user gets: the store (database, incoming and received
 * files), not what only `init`, `enroll` and `publish` use: the signing
 * key of the proceedings, the TLS key already in memory, enrollment QR
 * codes that carry tokens.
 */
static int
drop_privileges(struct store *st, const struct privdrop *p)
{
	static const char *const keep[] = { "host.key", "tls", "enroll", NULL };
	int rc;

	if (!p || !p->active)
		return 0;
	if ((rc = privdrop_chown_tree_skip(p, st->dir, keep)) != 0) {
		log_warnx("serve: cannot hand %s to %s: %s", st->dir, p->name, strerror(-rc));
		return rc;
	}
	if ((rc = privdrop_apply(p)) != 0) {
		log_warnx("serve: cannot become %s: %s", p->name, strerror(-rc));
		return rc;
	}
	log_info("serve: running as %s (uid %ju)", p->name, (uintmax_t)p->uid);
	return 0;
}

static int
srv_init(struct srv *s, struct store *st, const struct receive_opts *o)
{
	memset(s, 0, sizeof *s);
	s->st = st;
	s->bench_sink = o->bench_sink;
	s->header_timeout_s = o->header_timeout_s;
	pthread_mutex_init(&s->watch_lock, NULL);
	/* One slot per connection libmicrohttpd may hold, and a spare. */
	s->nwatch = o->max_conns + 1;
	if (!(s->watch = calloc((size_t)s->nwatch, sizeof *s->watch))) {
		pthread_mutex_destroy(&s->watch_lock);
		return -ENOMEM;
	}
	return 0;
}

static struct MHD_Daemon *
start_httpd(struct srv *s, const struct receive_opts *o, int lfd, const uint8_t *cert,
    const uint8_t *key)
{
	return MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG,
	    (uint16_t)o->port, on_accept, s, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
	    MHD_OPTION_HTTPS_MEM_CERT, (const char *)cert,
	    MHD_OPTION_HTTPS_MEM_KEY, (const char *)key,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)o->per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_END);
}

int
receive_run(struct store *st, const struct receive_opts *o)
{
	struct srv s;
	struct store ast = { 0 };
	struct timespec tick = { 1, 0 };
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sa;
	uint8_t *cert = NULL, *key = NULL;
	char path[PATH_MAX], pin[SYNCPROTO_PIN_B64 + 1];
	size_t len = 0;
	sigset_t set;
	int sig, rc, lfd = -1;

	if ((rc = srv_init(&s, st, o)) < 0)
		return rc;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1) {
		log_warnx("serve: '%s' is not an IPv4 address", o->addr);
		return -EINVAL;
	}
	snprintf(path, sizeof path, "%s/" TLSCERT_CERT, st->dir);
	if ((rc = minisign_read_file(path, &cert, &len)) < 0 ||
	    (rc = tlscert_pin_pem((char *)cert, len, pin)) < 0) {
		log_warnx("serve: %s: %s (run `notewell init` first)", path, strerror(-rc));
		goto out;
	}
	snprintf(path, sizeof path, "%s/" TLSCERT_KEY, st->dir);
	if ((rc = minisign_read_file(path, &key, &len)) < 0) {
		log_warnx("serve: %s: %s", path, strerror(-rc));
		goto out;
	}
	if ((lfd = listen_socket(&sa)) < 0) {
		log_warnx("serve: cannot listen on %s:%d: %s", o->addr, o->port, strerror(-lfd));
		rc = lfd;
		goto out;
	}
	if ((rc = drop_privileges(st, o->drop)) != 0)
		goto out;
	/* Signals are taken with sigwait below, not by handlers. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = start_httpd(&s, o, lfd, cert, key);
	if (!d) {
		log_warnx("serve: cannot listen on %s:%d", o->addr, o->port);
		rc = -EADDRINUSE;
		goto out;
	}
	lfd = -1;	/* MHD's now: it closes it when it stops */
	/* Tests and operators wait for this line. */
	printf("listening on https://%s:%d (TLS key pin sha256//%s)\n", o->addr, o->port, pin);
	fflush(stdout);
	log_info("serving on %s:%d", o->addr, o->port);
	if (o->alert_cmd && (rc = store_open(&ast, st->dir)) < 0)
		goto out;
	for (;;) {
		if ((sig = sigtimedwait(&set, NULL, &tick)) > 0)
			break;
		if (o->alert_cmd)
			alert_tick(&ast, o);
		watch_tick(&s);
	}
	log_info("signal %d: stopping", sig);
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	if (ast.db)
		store_close(&ast);
	if (lfd >= 0)
		close(lfd);
	if (key) {
		sodium_memzero(key, len);
		free(key);
	}
	free(cert);
	free(s.watch);
	pthread_mutex_destroy(&s.watch_lock);
	return rc;
}
