/*
 * Signed HTTPS requests to the host; see sync_http.h.
 */
#include "sync_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SEQ_BLOCK 1000

int
syncseq_open(struct syncseq *s, const char *path)
{
	uint8_t *text = NULL;
	size_t len;
	char *end;
	int rc;

	memset(s, 0, sizeof *s);
	snprintf(s->path, sizeof s->path, "%s", path);
	rc = minisign_read_file(path, &text, &len);
	if (rc == -ENOENT) {
		s->next = s->reserved = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	s->next = strtoull((char *)text, &end, 10);
	rc = s->next == 0 || (*end && *end != '\n') ? -EBADMSG : 0;
	free(text);
	if (rc < 0)
		return rc;
	s->reserved = s->next;
	return 0;
}

int
syncseq_take(struct syncseq *s, uint64_t *out)
{
	char buf[32];
	int n, rc;

	if (s->next >= s->reserved) {
		n = snprintf(buf, sizeof buf, "%" PRIu64 "\n", s->next + SEQ_BLOCK);
		if ((rc = minisign_write_file(s->path, buf, (size_t)n, 0600)) < 0)
			return rc;
		s->reserved = s->next + SEQ_BLOCK;
	}
	*out = s->next++;
	return 0;
}

int
synchttp_init(struct synchttp *h, const char *base, const char *pin, const char *box,
    const struct minisign_key *key, struct syncseq *seq, struct nw_clock *clock,
    long rate_bps)
{
	memset(h, 0, sizeof *h);
	if (!(h->curl = curl_easy_init()))
		return -ENOMEM;
	snprintf(h->base, sizeof h->base, "%s", base);
	snprintf(h->pin, sizeof h->pin, "sha256//%s", pin);
	snprintf(h->box, sizeof h->box, "%s", box);
	h->key = key;
	h->seq = seq;
	h->clock = clock;
	h->rate_bps = rate_bps;
	return 0;
}

void
synchttp_free(struct synchttp *h)
{
	if (h->curl)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

void
synchttp_reply_free(struct synchttp_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct synchttp_reply *r = arg;
	size_t n = size * nmemb;
	char *nb;

	/* A host that answers more than we ever ask for is not our host. */
	if (r->len + n > SYNCHTTP_MAX_REPLY)
		return 0;
	if (!(nb = realloc(r->body, r->len + n + 1)))
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static int
curl_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return -EKEYREJECTED;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Signs a request and sets everything but its body on the handle. */
static int
prepare(struct synchttp *h, const char *method, const char *path, const char *ctype,
    const uint8_t body_sha[32], uint64_t *seq, struct curl_slist **hdrp,
    struct synchttp_reply *r, char *cerr, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	struct nw_stamp now;
	char url[SYNCPROTO_URL_MAX + 256], clock[SYNCPROTO_CLOCK_MAX], msg[1024];
	char sig[SYNCPROTO_SIG_B64 + 1], line[256];
	int rc;

	if ((rc = syncseq_take(h->seq, seq)) < 0) {
		snprintf(err, errlen, "cannot reserve a request number: %s", strerror(-rc));
		return rc;
	}
	nwclock_now(h->clock, &now);
	if (syncproto_clock_format(&now, clock, sizeof clock) != 0 ||
	    syncproto_auth_message(method, path, h->box, *seq, clock, body_sha, msg,
	    sizeof msg) != 0) {
		snprintf(err, errlen, "request too long to sign");
		return -EINVAL;
	}
	syncproto_sign(h->key->sk, msg, sig);
	snprintf(url, sizeof url, "%s%s", h->base, path);
	snprintf(line, sizeof line, SYNCPROTO_H_BOX ": %s", h->box);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, SYNCPROTO_H_SEQ ": %" PRIu64, *seq);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, SYNCPROTO_H_CLOCK ": %s", clock);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, SYNCPROTO_H_SIG ": %s", sig);
	hdr = curl_slist_append(hdr, line);
	snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : "application/json");
	hdr = curl_slist_append(hdr, line);
	*hdrp = hdr;

	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, cerr);
	/* The host's certificate is self-signed: the pin is the trust anchor,
	 * and curl checks it whether or not the chain is verified. */
	curl_easy_setopt(h->curl, CURLOPT_PINNEDPUBLICKEY, h->pin);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	/* Nor is any CA: without these libcurl-gnutls still parses the whole
	 * system store (430-odd certificates) for every connection, 23-25 ms
	 * of each handshake on the x86 test host and far more on a Pi. */
	curl_easy_setopt(h->curl, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(h->curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	/* A link that moves under 256 B/s for 30 s is dead; no fixed total
	 * timeout, so a rate-capped upload on a slow link still completes. */
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 256L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	if (h->rate_bps > 0)
		curl_easy_setopt(h->curl, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)h->rate_bps);
	return 0;
}

static int
perform(struct synchttp *h, struct curl_slist *hdr, struct synchttp_reply *r,
    const char *cerr, char *err, size_t errlen)
{
	CURLcode cc;

	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
	cc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdr);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ?
		    "the host's TLS key does not match the pin from the setup code" :
		    *cerr ? cerr : curl_easy_strerror(cc));
		synchttp_reply_free(r);
		return curl_errno(cc);
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (!r->body && !(r->body = strdup("")))
		return -ENOMEM;
	return 0;
}

int
synchttp_request(struct synchttp *h, const char *method, const char *path,
    const char *ctype, const void *body, size_t len, struct synchttp_reply *r,
    char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	uint8_t sha[crypto_hash_sha256_BYTES];
	char cerr[CURL_ERROR_SIZE] = "";
	uint64_t seq;
	int rc;

	memset(r, 0, sizeof *r);
	crypto_hash_sha256(sha, body, len);
	if ((rc = prepare(h, method, path, ctype, sha, &seq, &hdr, r, cerr, err, errlen)) < 0)
		return rc;
	/* No "100 continue" round trip: bodies are small and the host answers
	 * an unwanted one with 401 at the headers anyway. */
	hdr = curl_slist_append(hdr, "Expect:");
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if ((rc = perform(h, hdr, r, cerr, err, errlen)) == 0)
		h->sent_bytes += len;
	return rc;
}

struct stream_src {
	synchttp_read_fn read;
	void *arg;
	int err;
};

static size_t
on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct stream_src *s = arg;
	ssize_t n = s->read(s->arg, buf, size * nmemb);

	if (n < 0) {
		s->err = (int)n;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

int
synchttp_stream(struct synchttp *h, const char *path, const char *ctype, int64_t len,
    synchttp_read_fn read, void *arg, uint64_t *seq, struct synchttp_reply *r, char *err,
    size_t errlen)
{
	struct curl_slist *hdr = NULL;
	struct stream_src src = { read, arg, 0 };
	uint8_t sha[crypto_hash_sha256_BYTES];
	char cerr[CURL_ERROR_SIZE] = "";
	int rc;

	memset(r, 0, sizeof *r);
	/* The body signs itself, segment by segment (syncseg.h); the request
	 * signature covers it as empty, so the host can check the headers
	 * before the first byte of a body it may not want. */
	crypto_hash_sha256(sha, NULL, 0);
	if ((rc = prepare(h, "PUT", path, ctype, sha, seq, &hdr, r, cerr, err, errlen)) < 0)
		return rc;
	/* Here the round trip is worth it: a refusal or an offset the host
	 * does not expect comes back before the body is sent. */
	hdr = curl_slist_append(hdr, "Expect: 100-continue");
	curl_easy_setopt(h->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h->curl, CURLOPT_READDATA, &src);
	/* Bigger reads mean fewer, fuller TLS records. */
	curl_easy_setopt(h->curl, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
	rc = perform(h, hdr, r, cerr, err, errlen);
	if (rc < 0 && src.err) {
		snprintf(err, errlen, "reading the recording: %s", strerror(-src.err));
		rc = src.err;
	}
	return rc;
}
