/*
 * Signed segments of a streamed recording upload; see syncseg.h.
 */
#include "syncseg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_TAG "notewell-segment-1"

enum { PH_HDR, PH_DATA, PH_SIG, PH_DONE };

int
syncseg_message(const char *box, uint64_t seq, const char *sha, int64_t end,
    const uint8_t prefix[SHA256_DIGEST_SIZE], char *out, size_t len)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	int n;

	sodium_bin2hex(hex, sizeof hex, prefix, SHA256_DIGEST_SIZE);
	n = snprintf(out, len, SEG_TAG "\n%s\n%" PRIu64 "\n%s\n%" PRId64 "\n%s\n", box, seq,
	    sha, end, hex);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int64_t
syncseg_body_len(int64_t off, int64_t size, size_t seg)
{
	int64_t rest = size - off, n;

	if (rest <= 0 || seg == 0)
		return 0;
	n = (rest + (int64_t)seg - 1) / (int64_t)seg;
	return rest + n * (SYNCSEG_HDR + SYNCSEG_SIG);
}

/* ---- writer ---- */

static int
writer_setup(struct syncseg_writer *w, syncseg_pread_fn pread, void *arg,
    const uint8_t sk[64], const char *box, const char *sha, int64_t off, int64_t size,
    size_t seg)
{
	size_t n = 0;

	memset(w, 0, sizeof *w);
	if (off < 0 || off > size || seg == 0 || seg > SYNCSEG_MAX)
		return -EINVAL;
	if (sodium_hex2bin(w->name, sizeof w->name, sha, strlen(sha), NULL, &n, NULL) != 0 ||
	    n != sizeof w->name)
		return -EINVAL;
	w->pread = pread;
	w->arg = arg;
	w->sk = sk;
	snprintf(w->box, sizeof w->box, "%s", box);
	snprintf(w->sha, sizeof w->sha, "%s", sha);
	w->off = off;
	w->size = size;
	w->seg = seg;
	sha256_init(&w->h);
	w->phase = off < size ? PH_HDR : PH_DONE;
	return 0;
}

int
syncseg_writer_init(struct syncseg_writer *w, syncseg_pread_fn pread, void *arg,
    const uint8_t sk[64], const char *box, const char *sha, int64_t off, int64_t size,
    size_t seg)
{
	uint8_t buf[65536];
	int64_t at = 0;
	int rc;

	if ((rc = writer_setup(w, pread, arg, sk, box, sha, off, size, seg)) < 0)
		return rc;
	/* Resuming: every signature covers the file from its first byte. */
	while (at < off) {
		size_t want = off - at < (int64_t)sizeof buf ? (size_t)(off - at) : sizeof buf;
		ssize_t n = pread(arg, buf, want, at);
		if (n < 0)
			return (int)n;
		if ((size_t)n != want)
			return -EIO;
		sha256_update(&w->h, want, buf);
		at += n;
	}
	return 0;
}

int
syncseg_writer_init_known(struct syncseg_writer *w, syncseg_pread_fn pread, void *arg,
    const uint8_t sk[64], const char *box, const char *sha, int64_t off, int64_t size,
    size_t seg, const struct syncseg_known *k)
{
	int rc;

	if (!k || k->every == 0 || (!k->d && k->n) || seg % k->every != 0 ||
	    (uint64_t)off % k->every != 0 || k->n != (uint64_t)size / k->every)
		return -ENOTSUP;
	if ((rc = writer_setup(w, pread, arg, sk, box, sha, off, size, seg)) < 0)
		return rc;
	/* A digest at the very end must be the name: these are that file's. */
	if (k->n > 0 && (uint64_t)size % k->every == 0 &&
	    sodium_memcmp(k->d[k->n - 1], w->name, sizeof w->name) != 0)
		return -ENOTSUP;
	w->known = *k;
	return 0;
}

void
syncseg_writer_seq(struct syncseg_writer *w, uint64_t seq)
{
	w->seq = seq;
}

static void
writer_header(struct syncseg_writer *w)
{
	uint32_t len;

	w->seg_end = w->size - w->off < (int64_t)w->seg ? w->size : w->off + (int64_t)w->seg;
	len = (uint32_t)(w->seg_end - w->off);
	w->frame[0] = (uint8_t)(len >> 24);
	w->frame[1] = (uint8_t)(len >> 16);
	w->frame[2] = (uint8_t)(len >> 8);
	w->frame[3] = (uint8_t)len;
	w->fpos = 0;
	w->flen = SYNCSEG_HDR;
}

static int
writer_signature(struct syncseg_writer *w)
{
	struct sha256_ctx copy = w->h;
	uint8_t prefix[SHA256_DIGEST_SIZE];
	char msg[512];

	if (!w->known.every)
		sha256_digest(&copy, sizeof prefix, prefix);
	else if (w->seg_end == w->size)
		memcpy(prefix, w->name, sizeof prefix);
	else	/* seg is a multiple of every: segments end on digests */
		memcpy(prefix, w->known.d[(uint64_t)w->seg_end / w->known.every - 1],
		    sizeof prefix);
	if (syncseg_message(w->box, w->seq, w->sha, w->seg_end, prefix, msg, sizeof msg) < 0)
		return -ENOSPC;
	crypto_sign_detached(w->frame, NULL, (const uint8_t *)msg, strlen(msg), w->sk);
	if (w->seg_end == w->size)
		memcpy(w->digest, prefix, sizeof prefix);
	w->fpos = 0;
	w->flen = SYNCSEG_SIG;
	w->segments_sent++;
	return 0;
}

ssize_t
syncseg_writer_read(struct syncseg_writer *w, uint8_t *buf, size_t len)
{
	size_t out = 0;

	if (w->err)
		return w->err;
	if (w->phase == PH_HDR && w->flen == 0)
		writer_header(w);
	while (out < len && w->phase != PH_DONE) {
		if (w->phase == PH_HDR || w->phase == PH_SIG) {
			size_t n = w->flen - w->fpos < len - out ? w->flen - w->fpos : len - out;
			memcpy(buf + out, w->frame + w->fpos, n);
			w->fpos += n;
			out += n;
			if (w->fpos < w->flen)
				break;
			if (w->phase == PH_HDR) {
				w->phase = PH_DATA;
			} else if (w->seg_end == w->size) {
				w->phase = PH_DONE;
			} else {
				w->phase = PH_HDR;
				writer_header(w);
			}
			continue;
		}
		/* Data straight from the file into curl's buffer. */
		size_t want = (size_t)(w->seg_end - w->off);
		ssize_t n;
		if (want > len - out)
			want = len - out;
		n = w->pread(w->arg, buf + out, want, w->off);
		if (n <= 0) {
			/* The file shrank under us: nothing more can be vouched for. */
			w->err = n < 0 ? (int)n : -EIO;
			return w->err;
		}
		if (!w->known.every)
			sha256_update(&w->h, (size_t)n, buf + out);
		w->off += n;
		out += (size_t)n;
		if (w->off == w->seg_end) {
			int rc = writer_signature(w);
			if (rc < 0)
				return w->err = rc;
			w->phase = PH_SIG;
		}
	}
	return (ssize_t)out;
}

int
syncseg_writer_matches(const struct syncseg_writer *w)
{
	if (w->phase != PH_DONE || w->off != w->size)
		return 0;
	return sodium_memcmp(w->name, w->digest, sizeof w->name) == 0;
}

/* ---- reader ---- */

void
syncseg_reader_init(struct syncseg_reader *r, const uint8_t pk[32], const char *box,
    uint64_t seq, const char *sha, int64_t start, const struct sha256_ctx *h,
    size_t max, syncseg_write_fn write, void *arg)
{
	memset(r, 0, sizeof *r);
	memcpy(r->pk, pk, sizeof r->pk);
	snprintf(r->box, sizeof r->box, "%s", box);
	snprintf(r->sha, sizeof r->sha, "%s", sha);
	r->seq = seq;
	r->end = start;
	r->h = *h;
	r->max = max > SYNCSEG_MAX ? SYNCSEG_MAX : max;
	r->write = write;
	r->arg = arg;
}

static int
reader_fail(struct syncseg_reader *r, int err, const char *why)
{
	r->err = err;
	r->why = why;
	return err;
}

/* The signature of a segment is in: check it against the running hash. */
static int
reader_segment(struct syncseg_reader *r)
{
	struct sha256_ctx copy = r->next;
	uint8_t prefix[SHA256_DIGEST_SIZE], name[SHA256_DIGEST_SIZE];
	char msg[512];
	int64_t end = r->end + (int64_t)r->want;
	size_t n = 0;

	sha256_digest(&copy, sizeof prefix, prefix);
	if (syncseg_message(r->box, r->seq, r->sha, end, prefix, msg, sizeof msg) < 0 ||
	    crypto_sign_verify_detached(r->sig, (const uint8_t *)msg, strlen(msg), r->pk) != 0)
		return reader_fail(r, -EBADMSG, "segment signature does not verify");
	r->h = r->next;
	r->end = end;
	r->segments++;
	if (sodium_hex2bin(name, sizeof name, r->sha, strlen(r->sha), NULL, &n, NULL) == 0 &&
	    n == sizeof name && sodium_memcmp(name, prefix, sizeof name) == 0)
		r->complete = 1;
	r->hdrlen = r->siglen = r->want = r->have = 0;
	return 0;
}

int
syncseg_reader_feed(struct syncseg_reader *r, const uint8_t *data, size_t len)
{
	int rc;

	while (len > 0 && !r->err) {
		size_t n;

		if (r->complete)
			return reader_fail(r, -EBADMSG, "bytes after the whole recording");
		if (r->hdrlen < SYNCSEG_HDR) {
			n = SYNCSEG_HDR - r->hdrlen < len ? SYNCSEG_HDR - r->hdrlen : len;
			memcpy(r->hdr + r->hdrlen, data, n);
			r->hdrlen += n;
			data += n;
			len -= n;
			if (r->hdrlen < SYNCSEG_HDR)
				break;
			r->want = (size_t)r->hdr[0] << 24 | (size_t)r->hdr[1] << 16 |
			    (size_t)r->hdr[2] << 8 | r->hdr[3];
			if (r->want == 0)
				return reader_fail(r, -EBADMSG, "empty segment");
			if (r->want > r->max)
				return reader_fail(r, -EFBIG, "segment too large");
			r->next = r->h;
			continue;
		}
		if (r->have < r->want) {
			/* Written where it belongs at once, hashed on the way:
			 * no copy, and nothing counts until the signature does. */
			n = r->want - r->have < len ? r->want - r->have : len;
			if ((rc = r->write(r->arg, r->end + (int64_t)r->have, data, n)) < 0)
				return reader_fail(r, rc, "cannot store the segment");
			sha256_update(&r->next, n, data);
			r->have += n;
			data += n;
			len -= n;
			continue;
		}
		n = SYNCSEG_SIG - r->siglen < len ? SYNCSEG_SIG - r->siglen : len;
		memcpy(r->sig + r->siglen, data, n);
		r->siglen += n;
		data += n;
		len -= n;
		if (r->siglen == SYNCSEG_SIG && reader_segment(r) < 0)
			break;
	}
	return r->err;
}

int
syncseg_reader_end(struct syncseg_reader *r)
{
	if (r->err)
		return r->err;
	return r->hdrlen ? -EPIPE : 0;
}

