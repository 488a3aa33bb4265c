#ifndef NW_RECORDER_H
#define NW_RECORDER_H
/*
 * recorder: one Ogg Opus file per recording, written with libopusenc through
 * our own callbacks so that we control durability (fsync at a bounded audio
 * interval), hashing (SHA-256 of exactly the bytes written) and fault
 * injection (the I/O seam below).
 *
 * Crash contract: at any moment the file on disk is a valid Ogg Opus prefix
 * that ends at most (muxing delay + fsync interval + encoder lookahead) of
 * audio behind what recorder_write() was given; with the defaults that is
 * about 0.7 s. recorder_recover() turns such a prefix into a finished file.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/*
 * The write/fsync seam. Production uses write(2)/fsync(2)/fstatvfs(2);
 * tests swap in a writer that fails the Nth call with -ENOSPC or -EIO, or
 * a disk that fills up. All return 0 or a negative errno; write must write
 * all len bytes or fail.
 */
struct recorder_io {
	int (*write)(void *ctx, int fd, const void *buf, size_t len);
	int (*fsync)(void *ctx, int fd);
	/* Bytes free to unprivileged writers on fd's filesystem. */
	int (*space)(void *ctx, int fd, uint64_t *avail);
	void *ctx;
};

struct recorder_params {
	int rate;		/* input rate: 48000 (8/12/16/24 kHz also valid) */
	int channels;		/* 1 or 2 */
	int bitrate;		/* bits/s, VBR; default 32000 */
	int complexity;		/* 0..10; default 5 (see docs/recording-tags.md) */
	int application;	/* OPUS_APPLICATION_*; default VOIP */
	int page_ms;		/* Ogg page duration bound; default 200 */
	int fsync_ms;		/* audio between fsyncs; default 500 */
	uint64_t reserve_bytes;	/* stop cleanly when free space falls below
				   this (checked at each fsync); 0: off */
	size_t prefix_every;	/* keep prefix digests every this many bytes
				   (recorder_result.prefixes); 0: none */
	const struct recorder_io *io;	/* NULL: real write/fsync */
};

/*
 * The SHA-256 of the file's first (k + 1) * every bytes, for k < n: the
 * recorder hashes every byte it writes anyway, so it keeps the running
 * digest at each multiple of every. Sync signs an upload's segments with
 * them instead of hashing the whole file again when it sends it (on a Pi
 * without SHA instructions that is seconds of CPU per recording). n is
 * bytes / every; d is NULL when none were asked for or memory ran out.
 */
#define RECORDER_PREFIX_EVERY (64u << 10)
struct recorder_prefixes {
	size_t every;
	size_t n;
	uint8_t (*d)[32];
};
void recorder_prefixes_free(struct recorder_prefixes *);

/* Fills p with the defaults above (48 kHz mono speech). */
void recorder_params_default(struct recorder_params *p);

/*
 * Stamps written as OpusTags (RFC 7845 comment header). NULL strings are
 * left out; session_id is required. Field names: docs/recording-tags.md.
 */
struct recorder_tags {
	const char *session_id;
	const char *room;
	const char *meeting;
	const char *device_id;
	struct timespec start;	/* wall clock at the first sample */
	bool clock_synced;	/* was the wall clock NTP-synced at start? */
	unsigned part;		/* 1 for a session's first file, 2.. after a crash */
	const char *notice_id;
	const char *notice_url;
	const char *notice_sha256;	/* 64 lower-case hex digits */
};

struct recorder_result {
	uint8_t sha256[32];
	char sha256_hex[65];
	uint64_t samples;	/* per channel, at 48 kHz (granule - pre-skip) */
	double seconds;
	uint64_t bytes;
	bool recovered;		/* set by recorder_recover() */
	/* recorder_close() only, when params.prefix_every was set: free with
	 * recorder_prefixes_free(). */
	struct recorder_prefixes prefixes;
};

struct recorder;

/*
 * Creates path (O_EXCL: never overwrites) and writes the Opus headers,
 * fsynced together with the directory entry. Returns 0 or -errno
 * (-EINVAL for bad params/tags, -EEXIST, -ENOSPC, ...).
 */
int recorder_open(const char *path, const struct recorder_params *,
    const struct recorder_tags *, struct recorder **out);

/*
 * Encodes frames (interleaved int16, params.channels per frame). Returns 0
 * or the first fatal error, which is sticky: once a write or fsync failed
 * every later call returns it and the data is dropped.
 * -EDQUOT is the soft stop: free space fell below reserve_bytes. The file
 * is intact and recorder_close() still finishes it normally; later writes
 * are dropped with -EDQUOT.
 */
int recorder_write(struct recorder *, const int16_t *pcm, size_t frames);

/* Samples (per channel, input rate) accepted so far. */
uint64_t recorder_position(const struct recorder *);

/* The sticky error (or -EDQUOT after the soft stop), or 0. */
int recorder_error(const struct recorder *);

/*
 * Flushes the encoder, writes the final page (EOS), fsyncs and closes.
 * Always frees rec. Returns 0 with *res filled, or the sticky error (the
 * file is then a prefix: run recorder_recover() on it).
 */
int recorder_close(struct recorder *, struct recorder_result *res);

/*
 * Makes the file left by a writer that died playable: cuts it after the last
 * complete Ogg page, marks that page end-of-stream, fsyncs, and reports its
 * duration and hash. Safe to run on a finished file (changes nothing,
 * res->recovered = false) and to run twice. A file with no complete Opus
 * header, or headers and no audio page, is left untouched: -EBADMSG (not
 * Ogg Opus) or -ENODATA (too short: nothing a player could open).
 */
int recorder_recover(const char *path, struct recorder_result *res);

/*
 * recorder.c also defines opus_encoder_get_size(), overriding libopus's for
 * the whole process with a memo of its result (libopus's multistream layer,
 * which libopusenc uses, calls it six times per frame, and on x86 each call
 * executes CPUID, a hypervisor trap in a VM). On by default; off sends every
 * call to libopus. Output is bit-identical either way (tests/unit/
 * test_recorder_opus_size.c); the switch exists for that test and the bench.
 */
void recorder_opus_size_memo(bool on);

#endif
