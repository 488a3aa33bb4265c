#ifndef NW_SYNCSEG_H
#define NW_SYNCSEG_H
/*
 * The body of a streamed recording upload (PUT /v1/recordings/SHA/stream/
 * OFFSET, docs/sync.md): the rest of the file as a sequence of segments,
 * each of them
 *
 *     LEN (4 bytes, big-endian, 1..SYNCSEG_MAX)  DATA (LEN bytes)  SIG (64 bytes)
 *
 * where SIG is the box's Ed25519 signature of syncseg_message(): box,
 * request sequence number, the recording's name (its SHA-256), the offset
 * where the segment ends and the SHA-256 of the whole file up to there.
 * Signing the prefix hash rather than the segment's own hash lets both ends
 * hash every byte once: the host keeps one running SHA-256 for the upload,
 * checks each segment against it before a byte reaches the disk, and knows
 * the upload is whole when the prefix hash equals the name.
 *
 * The running hash is nettle's SHA-256: it uses the CPU's SHA instructions
 * where there are some (4-5x libsodium's portable code on x86), and its
 * state is a plain struct the host can keep with the confirmed length.
 *
 * The writer (box) makes the body on the fly from a file and the reader
 * (host) writes bytes where they belong as they arrive: neither holds a
 * buffer of its own, and bytes past the last verified segment count for
 * nothing until their signature checks. Both are plain
 * state machines over byte ranges, so tests and fuzzers drive them without
 * a network.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "syncproto.h"

#define SYNCSEG_HDR 4
#define SYNCSEG_SIG crypto_sign_BYTES
#define SYNCSEG_MAX (8u << 20)
#define SYNCSEG_CONTENT_TYPE "application/x-notewell-segments"

/* "notewell-segment-1\nBOX\nSEQ\nSHA\nEND\nPREFIX_SHA256_HEX\n" */
int syncseg_message(const char *box, uint64_t seq, const char *sha, int64_t end,
    const uint8_t prefix[SHA256_DIGEST_SIZE], char *out, size_t len);
/* Body length for the bytes [off, size) in segments of seg bytes. */
int64_t syncseg_body_len(int64_t off, int64_t size, size_t seg);

/* ---- box: the body, produced as curl asks for it ---- */

/* Reads len bytes at off; returns the count read (short only at EOF) or -errno. */
typedef ssize_t (*syncseg_pread_fn)(void *arg, void *buf, size_t len, int64_t off);

/*
 * Digests the box already has: d[k] is the SHA-256 of the file's first
 * (k + 1) * every bytes, for k < n (the recorder keeps them as it writes,
 * recorder.h). With them the writer signs without hashing what it sends,
 * and without reading the prefix again to resume. The host checks every
 * segment against the bytes it got all the same, so a file that changed
 * since, or a wrong digest, is refused there.
 */
struct syncseg_known {
	size_t every;
	size_t n;
	const uint8_t (*d)[SHA256_DIGEST_SIZE];
};

struct syncseg_writer {
	syncseg_pread_fn pread;
	void *arg;
	const uint8_t *sk;		/* Ed25519 secret key, 64 bytes */
	char box[SYNCPROTO_BOX_MAX + 1];
	char sha[SYNCPROTO_SHA_HEX + 1];
	uint64_t seq;
	int64_t off, size;		/* next file byte to send; file size */
	size_t seg;
	struct sha256_ctx h;		/* over [0, off) */
	int phase;			/* header, data, signature, done */
	int64_t seg_end;
	uint8_t frame[SYNCSEG_SIG];	/* header or signature being sent */
	size_t fpos, flen;
	int err;			/* sticky */
	uint64_t segments_sent;
	uint8_t digest[SHA256_DIGEST_SIZE];	/* of the whole file, when done */
	struct syncseg_known known;	/* every == 0: hash what is read */
	uint8_t name[SHA256_DIGEST_SIZE];	/* sha, as bytes */
};

/*
 * Prepares to send [off, size) of a file named sha. When off > 0 the first
 * off bytes are read and hashed here, as every signature covers the prefix.
 * 0 or -errno (-EIO for a file shorter than size).
 */
int syncseg_writer_init(struct syncseg_writer *, syncseg_pread_fn, void *arg,
    const uint8_t sk[64], const char *box, const char *sha, int64_t off, int64_t size,
    size_t seg);
/*
 * As syncseg_writer_init, signing with known digests. -ENOTSUP when they
 * cannot serve this upload (seg or off not multiples of every, fewer than
 * size / every of them, or one at the file's end that is not its name):
 * the caller then hashes, with syncseg_writer_init.
 */
int syncseg_writer_init_known(struct syncseg_writer *, syncseg_pread_fn, void *arg,
    const uint8_t sk[64], const char *box, const char *sha, int64_t off, int64_t size,
    size_t seg, const struct syncseg_known *);
/* The request's sequence number, known once the request is signed. */
void syncseg_writer_seq(struct syncseg_writer *, uint64_t seq);
/* Fills buf with the next body bytes: the count, 0 at the end, or -errno. */
ssize_t syncseg_writer_read(struct syncseg_writer *, uint8_t *buf, size_t len);
/* After the end: 1 when the file's SHA-256 is the name it was sent under.
 * With known digests it always is: the host's check is the one that counts. */
int syncseg_writer_matches(const struct syncseg_writer *);

/* ---- host: check and keep segments as they arrive ---- */

/* Called with segment bytes as they arrive, at their file offset: bytes at
 * or past the reader's end are not verified yet (scratch until end moves
 * over them). 0 or -errno (sticky). */
typedef int (*syncseg_write_fn)(void *arg, int64_t off, const uint8_t *data, size_t len);

struct syncseg_reader {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	char box[SYNCPROTO_BOX_MAX + 1];
	char sha[SYNCPROTO_SHA_HEX + 1];
	uint64_t seq;
	int64_t end;			/* verified and written up to here */
	struct sha256_ctx h;		/* over [0, end) */
	size_t max;
	syncseg_write_fn write;
	void *arg;
	uint8_t hdr[SYNCSEG_HDR], sig[SYNCSEG_SIG];
	size_t hdrlen, siglen;
	struct sha256_ctx next;		/* over [0, end + have) */
	size_t want, have;
	int err;			/* sticky */
	const char *why;		/* what was wrong, for the log and the box */
	int complete;			/* the prefix hash is the name: all here */
	uint64_t segments;
};

/* start/h: where the stream starts and the hash state over [0, start). */
void syncseg_reader_init(struct syncseg_reader *, const uint8_t pk[32], const char *box,
    uint64_t seq, const char *sha, int64_t start, const struct sha256_ctx *h,
    size_t max, syncseg_write_fn, void *arg);
/* Takes body bytes. 0, or the first error (sticky): -EBADMSG for a bad
 * frame or signature or bytes after the whole file, -EFBIG for a segment
 * over max, or what write returned. */
int syncseg_reader_feed(struct syncseg_reader *, const uint8_t *data, size_t len);
/* At the end of the body: 0, or -EPIPE when it stopped inside a segment
 * (that segment is dropped; the rest stays), or the sticky error. */
int syncseg_reader_end(struct syncseg_reader *);

#endif
