/* Streamed uploads (syncseg.h): the box's writer and the host's reader
 * round trip a file in any piece sizes, resume from a middle offset; a
 * writer given the recorder's digests makes the very same body without
 * hashing or reading the prefix, or says it cannot; and the
 * reader refuses (without moving its verified end over a bad byte) a
 * flipped data byte, a flipped signature, another key, another request
 * number, another recording name, an oversized or empty segment, and bytes
 * after the whole file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "syncseg.h"

#define BOX "0123456789abcdef"
#define FILE_LEN 100003

struct mem {
	uint8_t *data;
	size_t len;
	size_t read;	/* bytes handed out */
};

struct sink {
	uint8_t data[FILE_LEN + 4096];
	int64_t max_off;		/* highest byte written + 1 */
	int fail_at;			/* fail the Nth write (1-based), 0 never */
	int writes;
};

static uint8_t file[FILE_LEN];
static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static char name[SYNCPROTO_SHA_HEX + 1];

static int
setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	randombytes_buf(file, sizeof file);
	crypto_sign_keypair(pk, sk);
	syncproto_sha256_hex(file, sizeof file, name);
	return 0;
}

static ssize_t
mem_pread(void *arg, void *buf, size_t len, int64_t off)
{
	struct mem *m = arg;

	if (off >= (int64_t)m->len)
		return 0;
	if (len > m->len - (size_t)off)
		len = m->len - (size_t)off;
	memcpy(buf, m->data + off, len);
	m->read += len;
	return (ssize_t)len;
}

static int
sink_write(void *arg, int64_t off, const uint8_t *data, size_t len)
{
	struct sink *s = arg;

	if (s->fail_at && ++s->writes == s->fail_at)
		return -ENOSPC;
	assert_true(off + (int64_t)len <= (int64_t)sizeof s->data);
	memcpy(s->data + off, data, len);
	if (off + (int64_t)len > s->max_off)
		s->max_off = off + (int64_t)len;
	return 0;
}

/* The whole body for [off, FILE_LEN) in segments of seg, read in pieces
 * of piece bytes (as curl would ask). */
static uint8_t *
make_body(int64_t off, size_t seg, size_t piece, uint64_t seq, const uint8_t *key,
    const char *sha, size_t *len)
{
	struct mem m = { file, sizeof file, 0 };
	struct syncseg_writer w;
	int64_t want = syncseg_body_len(off, sizeof file, seg);
	uint8_t *body = malloc((size_t)want + 1);
	size_t got = 0;
	ssize_t n;

	assert_non_null(body);
	assert_int_equal(syncseg_writer_init(&w, mem_pread, &m, key, BOX, sha, off,
	    sizeof file, seg), 0);
	syncseg_writer_seq(&w, seq);
	while ((n = syncseg_writer_read(&w, body + got,
	    piece < (size_t)want + 1 - got ? piece : (size_t)want + 1 - got)) > 0)
		got += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal((int64_t)got, want);
	assert_int_equal(syncseg_writer_matches(&w), strcmp(sha, name) == 0);
	*len = got;
	return body;
}

static void
reader_at(struct syncseg_reader *r, struct sink *s, int64_t start, uint64_t seq)
{
	struct sha256_ctx h;

	sha256_init(&h);
	sha256_update(&h, (size_t)start, file);
	memcpy(s->data, file, (size_t)start);
	syncseg_reader_init(r, pk, BOX, seq, name, start, &h, 1 << 20, sink_write, s);
}

static int
feed(struct syncseg_reader *r, const uint8_t *body, size_t len, size_t piece)
{
	int rc = 0;

	for (size_t at = 0; at < len && rc == 0; at += piece)
		rc = syncseg_reader_feed(r, body + at, piece < len - at ? piece : len - at);
	return rc ? rc : syncseg_reader_end(r);
}

static void
test_round_trip(void **state)
{
	static const size_t segs[] = { 1, 4096, 10000, 1 << 20 };
	static const size_t pieces[] = { 1, 7, 65536, 1 << 20 };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		for (size_t k = 0; k < 4; k++) {
			struct syncseg_reader r;
			struct sink *s;
			size_t len;
			uint8_t *body;

			/* one-byte segments over 100 kB would be slow to sign */
			if (segs[i] == 1 && pieces[k] != 7)
				continue;
			s = calloc(1, sizeof *s);
			body = make_body(0, segs[i] == 1 ? 997 : segs[i], pieces[k], 42, sk, name,
			    &len);
			reader_at(&r, s, 0, 42);
			assert_int_equal(feed(&r, body, len, pieces[(k + 1) % 4]), 0);
			assert_true(r.complete);
			assert_int_equal(r.end, FILE_LEN);
			assert_memory_equal(s->data, file, FILE_LEN);
			free(body);
			free(s);
		}
	}
}

static void
test_resume(void **state)
{
	struct syncseg_reader r;
	struct sink *s = calloc(1, sizeof *s);
	size_t len;
	uint8_t *body = make_body(54321, 8192, 3000, 7, sk, name, &len);

	(void)state;
	reader_at(&r, s, 54321, 7);
	assert_int_equal(feed(&r, body, len, 5000), 0);
	assert_true(r.complete);
	assert_memory_equal(s->data, file, FILE_LEN);
	/* The same body checked against a reader that holds fewer bytes
	 * (another prefix hash) fails at its first segment. */
	memset(s, 0, sizeof *s);
	reader_at(&r, s, 54320, 7);
	assert_int_equal(feed(&r, body, len, 5000), -EBADMSG);
	assert_int_equal(r.end, 54320);
	free(body);
	free(s);
}

/* Flips one byte at pos: the segments before it are kept, the one with
 * it is not, and nothing after it counts. */
static void
refused_at(uint8_t *body, size_t len, size_t pos, int64_t kept, uint64_t seq, int err)
{
	struct syncseg_reader r;
	struct sink *s = calloc(1, sizeof *s);

	body[pos] ^= 0x40;
	reader_at(&r, s, 0, seq);
	assert_int_equal(feed(&r, body, len, 1000), err);
	assert_int_equal(r.end, kept);
	assert_false(r.complete);
	assert_non_null(r.why);
	body[pos] ^= 0x40;
	free(s);
}

static void
test_tampered(void **state)
{
	size_t seg = 10000, frame = SYNCSEG_HDR + seg + SYNCSEG_SIG, len;
	uint8_t *body = make_body(0, seg, 4096, 9, sk, name, &len);
	uint8_t other_pk[32], other_sk[64];

	(void)state;
	/* a data byte of the third segment; a signature byte of the second */
	refused_at(body, len, 2 * frame + SYNCSEG_HDR + 17, 2 * (int64_t)seg, 9, -EBADMSG);
	refused_at(body, len, frame + SYNCSEG_HDR + seg + 3, (int64_t)seg, 9, -EBADMSG);
	/* a length that makes the rest misparse */
	refused_at(body, len, frame + 3, (int64_t)seg, 9, -EBADMSG);
	/* signed for request 9, replayed as request 10 */
	{
		struct syncseg_reader r;
		struct sink *s = calloc(1, sizeof *s);
		reader_at(&r, s, 0, 10);
		assert_int_equal(feed(&r, body, len, 1000), -EBADMSG);
		assert_int_equal(r.end, 0);
		free(s);
	}
	free(body);
	/* another key; another recording's name */
	crypto_sign_keypair(other_pk, other_sk);
	body = make_body(0, seg, 4096, 9, other_sk, name, &len);
	refused_at(body, len, len - 1, 0, 9, -EBADMSG);
	free(body);
	body = make_body(0, seg, 4096, 9, sk,
	    "1111111111111111111111111111111111111111111111111111111111111111", &len);
	refused_at(body, len, len - 1, 0, 9, -EBADMSG);
	free(body);
}

static void
test_framing(void **state)
{
	struct syncseg_reader r;
	struct sink *s = calloc(1, sizeof *s);
	uint8_t hdr[4] = { 0, 0x20, 0, 0 };	/* 2 MiB: over the 1 MiB limit */
	uint8_t zero[4] = { 0, 0, 0, 0 };
	size_t len;
	uint8_t *body = make_body(0, 50000, 4096, 3, sk, name, &len), *more;

	(void)state;
	reader_at(&r, s, 0, 3);
	assert_int_equal(syncseg_reader_feed(&r, hdr, 4), -EFBIG);
	assert_int_equal(syncseg_reader_feed(&r, body, len), -EFBIG);	/* sticky */
	assert_int_equal(s->max_off, 0);
	reader_at(&r, s, 0, 3);
	assert_int_equal(syncseg_reader_feed(&r, zero, 4), -EBADMSG);
	/* stopping inside a segment drops that segment only */
	reader_at(&r, s, 0, 3);
	assert_int_equal(syncseg_reader_feed(&r, body, len - 10), 0);
	assert_int_equal(syncseg_reader_end(&r), -EPIPE);
	assert_int_equal(r.end, 100000);
	/* anything after the whole file */
	more = malloc(len + 1);
	memcpy(more, body, len);
	more[len] = 0;
	reader_at(&r, s, 0, 3);
	assert_int_equal(feed(&r, more, len + 1, len + 1), -EBADMSG);
	assert_int_equal(r.end, FILE_LEN);
	/* a write that fails is the reader's error, and sticks */
	memset(s, 0, sizeof *s);
	s->fail_at = 2;
	reader_at(&r, s, 0, 3);
	assert_int_equal(feed(&r, body, len, 4096), -ENOSPC);
	assert_int_equal(r.end, 0);
	free(more);
	free(body);
	free(s);
}

/* The body a writer makes of m's [off, end), read whole. */
static uint8_t *
drain(struct syncseg_writer *w, int64_t want, size_t *len)
{
	uint8_t *body = malloc((size_t)want + 1);
	size_t got = 0;
	ssize_t n;

	assert_non_null(body);
	syncseg_writer_seq(w, 5);
	while ((n = syncseg_writer_read(w, body + got, 3000 < (size_t)want + 1 - got ? 3000 :
	    (size_t)want + 1 - got)) > 0)
		got += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal((int64_t)got, want);
	*len = got;
	return body;
}

static void
test_known_digests(void **state)
{
	enum { EVERY = 4096, N = FILE_LEN / EVERY };
	static uint8_t d[N + 1][32];
	struct syncseg_known k = { EVERY, N, (const uint8_t (*)[32])d };
	struct syncseg_writer w;
	struct syncseg_reader r;
	struct sink *s = calloc(1, sizeof *s);
	uint8_t *want, *got;
	size_t wlen, glen;
	char short_name[SYNCPROTO_SHA_HEX + 1];

	(void)state;
	for (size_t i = 0; i < N; i++)
		crypto_hash_sha256(d[i], file, (i + 1) * EVERY);
	/* From the start and resuming at a segment end: the same bytes as
	 * the hashing writer's, and only the bytes sent are read. */
	for (int64_t off = 0; off <= 40960; off += 40960) {
		struct mem m1 = { file, sizeof file, 0 }, m2 = { file, sizeof file, 0 };
		int64_t blen = syncseg_body_len(off, sizeof file, 8192);

		assert_int_equal(syncseg_writer_init(&w, mem_pread, &m1, sk, BOX, name, off,
		    sizeof file, 8192), 0);
		want = drain(&w, blen, &wlen);
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m2, sk, BOX, name,
		    off, sizeof file, 8192, &k), 0);
		got = drain(&w, blen, &glen);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		assert_true(syncseg_writer_matches(&w));
		assert_int_equal(m2.read, sizeof file - (size_t)off);
		assert_int_equal(m1.read, sizeof file);
		free(want);
		free(got);
	}
	/* A file shorter than one interval has none, and needs none: its one
	 * signature is at its end, whose digest is its name. */
	{
		struct mem m1 = { file, sizeof file, 0 }, m2 = { file, sizeof file, 0 };
		struct syncseg_known none = { 1u << 20, 0, NULL };
		int64_t blen = syncseg_body_len(0, sizeof file, 1u << 20);

		assert_int_equal(syncseg_writer_init(&w, mem_pread, &m1, sk, BOX, name, 0,
		    sizeof file, 1u << 20), 0);
		want = drain(&w, blen, &wlen);
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m2, sk, BOX, name, 0,
		    sizeof file, 1u << 20, &none), 0);
		got = drain(&w, blen, &glen);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		free(want);
		free(got);
	}
	/* Digests that cannot serve: the caller hashes instead. */
	{
		struct mem m = { file, sizeof file, 0 };
		struct syncseg_known few = k;
		few.n = N - 1;
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name, 0,
		    sizeof file, 10000, &k), -ENOTSUP);	/* seg not a multiple */
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name,
		    1000, sizeof file, 8192, &k), -ENOTSUP);	/* nor the offset */
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name, 0,
		    sizeof file, 8192, &few), -ENOTSUP);
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name, 0,
		    sizeof file, 8192, NULL), -ENOTSUP);
		assert_int_equal(m.read, 0);
	}
	/* A file that ends on a digest: that digest must be the name. */
	{
		struct mem m = { file, (size_t)N * EVERY, 0 };
		syncproto_sha256_hex(file, (size_t)N * EVERY, short_name);
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, short_name,
		    0, (int64_t)N * EVERY, 8192, &k), 0);
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name,
		    0, (int64_t)N * EVERY, 8192, &k), -ENOTSUP);
	}
	/* A wrong digest (or a file that changed since): the host keeps the
	 * segments before it and refuses the one it signs. */
	{
		struct mem m = { file, sizeof file, 0 };
		d[3][0] ^= 1;	/* the end of the second 8 KiB segment */
		assert_int_equal(syncseg_writer_init_known(&w, mem_pread, &m, sk, BOX, name, 0,
		    sizeof file, 8192, &k), 0);
		got = drain(&w, syncseg_body_len(0, sizeof file, 8192), &glen);
		reader_at(&r, s, 0, 5);
		assert_int_equal(feed(&r, got, glen, 1000), -EBADMSG);
		assert_int_equal(r.end, 8192);
		d[3][0] ^= 1;
		free(got);
	}
	free(s);
}

static void
test_writer_short_file(void **state)
{
	struct mem m = { file, 1000, 0 };	/* the file shrank under the writer */
	struct syncseg_writer w;
	uint8_t buf[4096];
	ssize_t n;

	(void)state;
	assert_int_equal(syncseg_writer_init(&w, mem_pread, &m, sk, BOX, name, 2000, 5000,
	    1024), -EIO);
	assert_int_equal(syncseg_writer_init(&w, mem_pread, &m, sk, BOX, name, 0, 5000, 1024), 0);
	while ((n = syncseg_writer_read(&w, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, -EIO);
	assert_int_equal(syncseg_writer_read(&w, buf, sizeof buf), -EIO);
	assert_false(syncseg_writer_matches(&w));
	assert_int_equal(syncseg_body_len(0, 5000, 1024), 5000 + 5 * (SYNCSEG_HDR + SYNCSEG_SIG));
	assert_int_equal(syncseg_body_len(5000, 5000, 1024), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_known_digests),
		cmocka_unit_test(test_writer_short_file),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
