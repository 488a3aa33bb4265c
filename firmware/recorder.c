/*
 * recorder: Ogg Opus files through libopusenc's callback interface.
 *
 * libopusenc's own file writer never fsyncs and, by default, holds up to 2 s
 * of audio for its decision delay plus 1 s pages. We set the decision delay
 * to 0 (bit-identical output, measured), bound pages to page_ms, and fsync
 * from our side whenever at least fsync_ms of audio went in since the last
 * fsync and bytes are pending. So a power cut loses at most about
 * page_ms + fsync_ms + the encoder's lookahead.
 */
#include "recorder.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <dlfcn.h>
#include <ogg/ogg.h>
#include <opus/opusenc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "log.h"

struct recorder {
	OggOpusEnc *enc;
	int fd;
	const struct recorder_io *io;
	crypto_hash_sha256_state sha;
	uint64_t bytes;
	uint64_t position;	/* input samples per channel */
	uint64_t synced_at;	/* position at the last fsync */
	uint64_t fsync_every;	/* samples */
	bool dirty;		/* bytes written since the last fsync */
	int channels;
	int rate;
	int error;		/* first fatal error, sticky */
	int stopped;		/* -EDQUOT once the disk reserve is reached */
	uint64_t reserve;
	struct recorder_prefixes prefixes;
	size_t prefix_cap;
};

void
recorder_prefixes_free(struct recorder_prefixes *p)
{
	free(p->d);
	memset(p, 0, sizeof *p);
}

/* The running digest at a multiple of every. Out of memory only drops the
 * digests (sync then hashes the file itself): never the recording. */
static void
keep_prefix(struct recorder *rec)
{
	struct recorder_prefixes *p = &rec->prefixes;
	crypto_hash_sha256_state copy = rec->sha;

	if (p->n == rec->prefix_cap) {
		size_t cap = rec->prefix_cap ? 2 * rec->prefix_cap : 64;
		uint8_t (*nd)[32] = realloc(p->d, cap * sizeof *nd);
		if (!nd) {
			log_warnx("recorder: out of memory for prefix digests; sync will hash");
			free(p->d);
			p->d = NULL;
			p->n = p->every = 0;
			return;
		}
		p->d = nd;
		rec->prefix_cap = cap;
	}
	crypto_hash_sha256_final(&copy, p->d[p->n++]);
}

/* Hashes bytes as they are written, keeping the digests at the marks. */
static void
hash_written(struct recorder *rec, const unsigned char *ptr, size_t len)
{
	while (len > 0) {
		size_t take = len;
		if (rec->prefixes.every) {
			uint64_t to_mark = rec->prefixes.every - rec->bytes % rec->prefixes.every;
			if (take > to_mark)
				take = (size_t)to_mark;
		}
		crypto_hash_sha256_update(&rec->sha, ptr, (unsigned long long)take);
		rec->bytes += (uint64_t)take;
		ptr += take;
		len -= take;
		if (rec->prefixes.every && rec->bytes % rec->prefixes.every == 0)
			keep_prefix(rec);
	}
}

static int
real_write(void *ctx, int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
real_fsync(void *ctx, int fd)
{
	return fsync(fd) < 0 ? -errno : 0;
}

static int
real_space(void *ctx, int fd, uint64_t *avail)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	*avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	return 0;
}

static const struct recorder_io real_io = { real_write, real_fsync, real_space, NULL };

/*
 * A memo for libopus's opus_encoder_get_size(), interposed process-wide.
 *
 * libopusenc always drives a multistream encoder, and libopus's multistream
 * layer finds its per-stream encoders by calling opus_encoder_get_size() on
 * every encode and every ctl: six calls per 20 ms frame with libopusenc
 * (which issues two prediction ctls per frame). In Debian's x86 libopus
 * (custom modes, runtime CPU detection) each call reaches
 * opus_select_arch(), which executes CPUID twice; in a virtual machine CPUID
 * traps to the hypervisor (about 10 us per call measured by bench/probe),
 * which made the recorder 1.3-2.7x as costly as a bare opus_encode() loop
 * at the same instruction count. See bench/README.md.
 *
 * The size depends only on the channel count and the library build, and
 * libopus makes these calls through its PLT, so a definition in the
 * executable takes them: the first call per channel count goes to the real
 * function (dlsym RTLD_NEXT), later ones return the remembered value. The
 * memo is process-wide by nature (that is what interposition is); the cache
 * holds the same value whichever thread fills it, so relaxed atomics do.
 * recorder_opus_size_memo(false) sends every call through, for the test
 * that proves the output bit-identical and for bench/nwrec's before/after.
 */
static int memo_off;
static int memo_size[3];	/* by channel count; 0: not asked yet */

void
recorder_opus_size_memo(bool on)
{
	__atomic_store_n(&memo_off, !on, __ATOMIC_RELAXED);
}

int
opus_encoder_get_size(int channels)
{
	static int (*real)(int);
	int (*fn)(int);
	int n;

	if ((fn = __atomic_load_n(&real, __ATOMIC_RELAXED)) == NULL) {
		if ((fn = (int (*)(int))dlsym(RTLD_NEXT, "opus_encoder_get_size")) == NULL) {
			/* libopus would size nothing: encoder creation fails. */
			log_warnx("recorder: libopus's opus_encoder_get_size not found");
			return 0;
		}
		__atomic_store_n(&real, fn, __ATOMIC_RELAXED);
	}
	if (channels < 1 || channels > 2 || __atomic_load_n(&memo_off, __ATOMIC_RELAXED))
		return fn(channels);
	if ((n = __atomic_load_n(&memo_size[channels], __ATOMIC_RELAXED)) == 0) {
		n = fn(channels);
		__atomic_store_n(&memo_size[channels], n, __ATOMIC_RELAXED);
	}
	return n;
}

void
recorder_params_default(struct recorder_params *p)
{
	memset(p, 0, sizeof *p);
	p->rate = 48000;
	p->channels = 1;
	p->bitrate = 32000;
	/*
	 * VOIP keeps 32 kb/s speech in hybrid (SILK+CELT) mode at complexity
	 * 5, where AUDIO would switch to CELT-only; it costs about 60% of the
	 * complexity-10 default, which matters on a Cortex-A72 that also
	 * drives the screen and sync. See bench/README.md.
	 */
	p->complexity = 5;
	p->application = OPUS_APPLICATION_VOIP;
	p->page_ms = 200;
	p->fsync_ms = 500;
	p->io = NULL;
}

/* Called by libopusenc with each finished Ogg page. */
static int
rec_page(void *user, const unsigned char *ptr, opus_int32 len)
{
	struct recorder *rec = user;
	int r;

	if (rec->error)
		return 1;
	r = rec->io->write(rec->io->ctx, rec->fd, ptr, (size_t)len);
	if (r < 0) {
		rec->error = r;
		return 1;
	}
	hash_written(rec, ptr, (size_t)len);
	rec->dirty = true;
	return 0;
}

/* The stream end is handled in recorder_close(), which owns the fd. */
static int
rec_stream_close(void *user)
{
	return 0;
}

static int
rec_sync(struct recorder *rec)
{
	int r;

	if (rec->error || !rec->dirty)
		return rec->error;
	r = rec->io->fsync(rec->io->ctx, rec->fd);
	if (r < 0) {
		rec->error = r;
		return r;
	}
	rec->dirty = false;
	rec->synced_at = rec->position;
	return 0;
}

/*
 * Stops taking audio while there is still room to finish the file cleanly
 * (the final page is small) and for the journal and scans to keep working.
 */
static void
check_reserve(struct recorder *rec)
{
	uint64_t avail;

	if (rec->reserve == 0 || rec->stopped || rec->io->space == NULL ||
	    rec->io->space(rec->io->ctx, rec->fd, &avail) < 0)
		return;
	if (avail < rec->reserve) {
		log_warnx("recorder: %ju bytes free, below the %ju byte reserve: "
		    "recording stopped", (uintmax_t)avail, (uintmax_t)rec->reserve);
		rec->stopped = -EDQUOT;
	}
}

/* A new file's name only survives a power cut once its directory is synced. */
static int
sync_parent_dir(const char *path)
{
	char buf[PATH_MAX];
	int fd, r = 0;

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

static void
format_rfc3339(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts->tv_nsec / 1000000));
}

static bool
valid_sha256_hex(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == 64;
}

static int
add_tag(OggOpusComments *c, const char *name, const char *val)
{
	if (val == NULL)
		return 0;
	return ope_comments_add(c, name, val) == OPE_OK ? 0 : -ENOMEM;
}

static int
build_tags(const struct recorder_tags *t, OggOpusComments **out)
{
	OggOpusComments *c = NULL;
	char when[96], part[16];
	int r = -EINVAL;

	if (t == NULL || t->session_id == NULL || t->session_id[0] == '\0') {
		log_warnx("recorder: a recording needs a session id");
		goto out;
	}
	if (t->notice_sha256 != NULL && !valid_sha256_hex(t->notice_sha256)) {
		log_warnx("recorder: notice SHA-256 \"%s\" is not 64 lower-case "
		    "hex digits", t->notice_sha256);
		goto out;
	}
	if (t->start.tv_nsec < 0 || t->start.tv_nsec >= 1000000000L) {
		log_warnx("recorder: bad start time");
		goto out;
	}
	r = -ENOMEM;
	if ((c = ope_comments_create()) == NULL)
		goto out;
	format_rfc3339(&t->start, when, sizeof when);
	snprintf(part, sizeof part, "%u", t->part ? t->part : 1);
	if ((r = add_tag(c, "SESSION_ID", t->session_id)) < 0 ||
	    (r = add_tag(c, "PART", part)) < 0 ||
	    (r = add_tag(c, "ROOM", t->room)) < 0 ||
	    (r = add_tag(c, "MEETING", t->meeting)) < 0 ||
	    (r = add_tag(c, "DEVICE_ID", t->device_id)) < 0 ||
	    (r = add_tag(c, "START_TIME", when)) < 0 ||
	    (r = add_tag(c, "CLOCK_SYNCED", t->clock_synced ? "yes" : "no")) < 0 ||
	    (r = add_tag(c, "NOTICE_ID", t->notice_id)) < 0 ||
	    (r = add_tag(c, "NOTICE_URL", t->notice_url)) < 0 ||
	    (r = add_tag(c, "NOTICE_SHA256", t->notice_sha256)) < 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	if (c != NULL)
		ope_comments_destroy(c);
	return r;
}

static int
check_params(const struct recorder_params *p)
{
	switch (p->rate) {
	case 8000: case 12000: case 16000: case 24000: case 48000:
		break;
	default:
		log_warnx("recorder: rate %d Hz is not an Opus input rate", p->rate);
		return -EINVAL;
	}
	if (p->channels < 1 || p->channels > 2 ||
	    p->bitrate < 6000 || p->bitrate > 256000 ||
	    p->complexity < 0 || p->complexity > 10 ||
	    p->page_ms < 20 || p->page_ms > 1000 ||
	    p->fsync_ms < 0 || p->fsync_ms > 10000) {
		log_warnx("recorder: parameters out of range (channels %d, "
		    "bitrate %d, complexity %d, page %d ms, fsync %d ms)",
		    p->channels, p->bitrate, p->complexity, p->page_ms,
		    p->fsync_ms);
		return -EINVAL;
	}
	switch (p->application) {
	case OPUS_APPLICATION_VOIP:
	case OPUS_APPLICATION_AUDIO:
	case OPUS_APPLICATION_RESTRICTED_LOWDELAY:
		return 0;
	default:
		log_warnx("recorder: unknown Opus application %d", p->application);
		return -EINVAL;
	}
}

static int
configure(struct recorder *rec, const struct recorder_params *p)
{
	/* Muxing delay is counted in 48 kHz samples whatever the input rate. */
	if (ope_encoder_ctl(rec->enc, OPE_SET_DECISION_DELAY(0)) != OPE_OK ||
	    ope_encoder_ctl(rec->enc, OPE_SET_MUXING_DELAY(p->page_ms * 48)) != OPE_OK ||
	    ope_encoder_ctl(rec->enc, OPUS_SET_APPLICATION(p->application)) != OPE_OK ||
	    ope_encoder_ctl(rec->enc, OPUS_SET_BITRATE(p->bitrate)) != OPE_OK ||
	    ope_encoder_ctl(rec->enc, OPUS_SET_VBR(1)) != OPE_OK ||
	    ope_encoder_ctl(rec->enc, OPUS_SET_COMPLEXITY(p->complexity)) != OPE_OK) {
		log_warnx("recorder: libopusenc refused a setting");
		return -EINVAL;
	}
	return 0;
}

int
recorder_open(const char *path, const struct recorder_params *params,
    const struct recorder_tags *tags, struct recorder **out)
{
	struct recorder_params defaults;
	struct recorder *rec = NULL;
	OggOpusComments *comments = NULL;
	OpusEncCallbacks cb = { rec_page, rec_stream_close };
	int r, oerr;

	*out = NULL;
	if (params == NULL) {
		recorder_params_default(&defaults);
		params = &defaults;
	}
	if ((r = check_params(params)) < 0 || (r = build_tags(tags, &comments)) < 0)
		goto out;
	if (sodium_init() < 0) {
		r = -EIO;
		goto out;
	}
	r = -ENOMEM;
	if ((rec = calloc(1, sizeof *rec)) == NULL)
		goto out;
	rec->fd = -1;
	rec->io = params->io ? params->io : &real_io;
	rec->rate = params->rate;
	rec->channels = params->channels;
	rec->fsync_every = (uint64_t)params->fsync_ms * (uint64_t)params->rate / 1000;
	rec->reserve = params->reserve_bytes;
	rec->prefixes.every = params->prefix_every;
	crypto_hash_sha256_init(&rec->sha);
	rec->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (rec->fd < 0) {
		r = -errno;
		log_warn("recorder: %s", path);
		goto out;
	}
	rec->enc = ope_encoder_create_callbacks(&cb, rec, comments, params->rate,
	    params->channels, 0, &oerr);
	if (rec->enc == NULL) {
		log_warnx("recorder: libopusenc: %s", ope_strerror(oerr));
		r = oerr == OPE_ALLOC_FAIL ? -ENOMEM : -EINVAL;
		goto out;
	}
	if ((r = configure(rec, params)) < 0)
		goto out;
	/* Headers go out now so even a file cut at once is recognisable. */
	if (ope_encoder_flush_header(rec->enc) != OPE_OK && rec->error == 0)
		rec->error = -EIO;
	rec->dirty = true;
	if ((r = rec_sync(rec)) < 0 || (r = sync_parent_dir(path)) < 0) {
		errno = -r;
		log_warn("recorder: %s: writing headers", path);
		goto out;
	}
	*out = rec;
	rec = NULL;
	r = 0;
out:
	if (comments != NULL)
		ope_comments_destroy(comments);
	if (rec != NULL) {
		if (rec->enc != NULL)
			ope_encoder_destroy(rec->enc);
		if (rec->fd >= 0) {
			close(rec->fd);
			unlink(path);	/* we created it (O_EXCL) */
		}
		recorder_prefixes_free(&rec->prefixes);
		free(rec);
	}
	return r;
}

int
recorder_write(struct recorder *rec, const int16_t *pcm, size_t frames)
{
	if (rec->error || rec->stopped)
		return rec->error ? rec->error : rec->stopped;
	while (frames > 0) {
		/* libopusenc takes an int count; feed it in bounded pieces. */
		int n = frames > 48000 ? 48000 : (int)frames;
		int oe = ope_encoder_write(rec->enc, pcm, n);

		if (rec->error)
			return rec->error;
		if (oe != OPE_OK) {
			log_warnx("recorder: libopusenc: %s", ope_strerror(oe));
			rec->error = oe == OPE_ALLOC_FAIL ? -ENOMEM : -EIO;
			return rec->error;
		}
		rec->position += (uint64_t)n;
		pcm += (size_t)n * (size_t)rec->channels;
		frames -= (size_t)n;
		if (rec->position - rec->synced_at >= rec->fsync_every) {
			rec_sync(rec);
			check_reserve(rec);
			if (rec->stopped)
				break;
		}
	}
	return rec->error ? rec->error : rec->stopped;
}

uint64_t
recorder_position(const struct recorder *rec)
{
	return rec->position;
}

int
recorder_error(const struct recorder *rec)
{
	return rec->error ? rec->error : rec->stopped;
}

static void
hex32(const uint8_t *in, char *out)
{
	sodium_bin2hex(out, 65, in, 32);
}

int
recorder_close(struct recorder *rec, struct recorder_result *res)
{
	int r;

	memset(res, 0, sizeof *res);
	/*
	 * libopusenc 0.2.1 drains a stream that never got audio from
	 * uninitialised state (its issue #24): the final granule position is
	 * heap garbage, or an assert fires. One sample of silence gives the
	 * stream its end; it is counted so the result describes the file.
	 */
	if (rec->error == 0 && rec->position == 0) {
		static const int16_t silence[2];

		if (ope_encoder_write(rec->enc, silence, 1) != OPE_OK && rec->error == 0)
			rec->error = -EIO;
		else
			rec->position = 1;
	}
	if (rec->error == 0 && ope_encoder_drain(rec->enc) != OPE_OK &&
	    rec->error == 0)
		rec->error = -EIO;
	rec->dirty = true;
	rec_sync(rec);
	ope_encoder_destroy(rec->enc);
	if (close(rec->fd) < 0 && rec->error == 0)
		rec->error = -errno;
	r = rec->error;
	if (r == 0) {
		crypto_hash_sha256_final(&rec->sha, res->sha256);
		hex32(res->sha256, res->sha256_hex);
		/* Input samples are scaled to the 48 kHz granule clock. */
		res->samples = rec->position * 48000 / (uint64_t)rec->rate;
		res->seconds = (double)res->samples / 48000.0;
		res->bytes = rec->bytes;
		res->prefixes = rec->prefixes;	/* handed over */
		memset(&rec->prefixes, 0, sizeof rec->prefixes);
	}
	recorder_prefixes_free(&rec->prefixes);
	free(rec);
	return r;
}

/* ---- crash recovery ---------------------------------------------------- */

struct scan {
	off_t keep;		/* bytes up to the end of the last usable page */
	off_t last_off;		/* offset of that page */
	long last_len;
	bool last_eos;
	int64_t granule;	/* of that page */
	unsigned preskip;
	long serial;
	int pages;
	bool have_tags;
	bool have_audio;	/* a page after the headers ends a packet */
	off_t size;
};

static bool
page_starts_with(const ogg_page *og, const char *magic)
{
	size_t n = strlen(magic);

	return og->body_len >= (long)n && memcmp(og->body, magic, n) == 0;
}

/*
 * Walks the Ogg pages with libogg's sync layer and remembers the last page
 * that ends a packet. A torn page, zero-filled blocks from a power cut or
 * anything else that is not a page of our stream ends the usable prefix.
 */
static int
scan_pages(int fd, struct scan *s)
{
	ogg_sync_state oy;
	ogg_page og;
	off_t off = 0;
	int r = 0;
	bool done = false;

	ogg_sync_init(&oy);
	while (!done) {
		char *buf = ogg_sync_buffer(&oy, 65536);
		ssize_t n = read(fd, buf, 65536);
		long got;

		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		ogg_sync_wrote(&oy, (long)n);
		while ((got = ogg_sync_pageseek(&oy, &og)) != 0) {
			if (got < 0 || (s->pages > 0 && ogg_page_serialno(&og) != s->serial)) {
				done = true;
				break;
			}
			if (s->pages == 0) {
				if (!ogg_page_bos(&og) || !page_starts_with(&og, "OpusHead") ||
				    og.body_len < 19) {
					r = -EBADMSG;
					goto out;
				}
				s->serial = ogg_page_serialno(&og);
				s->preskip = (unsigned)og.body[10] | (unsigned)og.body[11] << 8;
			} else if (s->pages == 1 && !page_starts_with(&og, "OpusTags")) {
				r = -EBADMSG;
				goto out;
			}
			s->pages++;
			if (ogg_page_granulepos(&og) != -1) {
				if (s->pages >= 2)
					s->have_tags = true;
				if (s->pages >= 3 && ogg_page_granulepos(&og) > 0)
					s->have_audio = true;
				s->last_off = off;
				s->last_len = got;
				s->keep = off + got;
				s->granule = ogg_page_granulepos(&og);
				s->last_eos = ogg_page_eos(&og) != 0;
			}
			off += got;
			if (ogg_page_eos(&og)) {
				done = true;
				break;
			}
		}
	}
	/*
	 * Headers without a single audio page (a crash within the first
	 * page of a recording) make a file players refuse to open: there is
	 * nothing to recover, and nothing must be published as a recording.
	 */
	if (s->have_tags && !s->have_audio)
		r = -ENODATA;
	if (!s->have_tags) {
		char magic[4] = "";

		/* A torn first page still starts with the capture pattern. */
		size_t n = s->size < 4 ? (size_t)s->size : 4;

		if (s->pages == 0 && n > 0 && (pread(fd, magic, n, 0) != (ssize_t)n ||
		    memcmp(magic, "OggS", n) != 0))
			r = -EBADMSG;
		else
			r = -ENODATA;
	}
out:
	ogg_sync_clear(&oy);
	return r;
}

/* Sets end-of-stream on the last kept page; libogg recomputes its CRC. */
static int
mark_eos(int fd, const struct scan *s)
{
	unsigned char *buf = NULL;
	ogg_page og;
	int r = -EIO;
	long hlen;

	if ((buf = malloc((size_t)s->last_len)) == NULL)
		return -ENOMEM;
	if (pread(fd, buf, (size_t)s->last_len, s->last_off) != s->last_len)
		goto out;
	hlen = 27 + buf[26];
	og.header = buf;
	og.header_len = hlen;
	og.body = buf + hlen;
	og.body_len = s->last_len - hlen;
	og.header[5] |= 0x04;
	ogg_page_checksum_set(&og);
	r = pwrite(fd, buf, (size_t)hlen, s->last_off) == hlen ? 0 : -errno;
out:
	free(buf);
	return r;
}

static int
hash_prefix(int fd, off_t len, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536];
	off_t off = 0;

	crypto_hash_sha256_init(&st);
	while (off < len) {
		size_t want = (size_t)(len - off) < sizeof buf ? (size_t)(len - off) : sizeof buf;
		ssize_t n = pread(fd, buf, want, off);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		off += n;
	}
	crypto_hash_sha256_final(&st, out);
	return 0;
}

int
recorder_recover(const char *path, struct recorder_result *res)
{
	struct scan s;
	struct stat st;
	int fd, r;

	memset(res, 0, sizeof *res);
	memset(&s, 0, sizeof s);
	if (sodium_init() < 0)
		return -EIO;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	s.size = st.st_size;
	if ((r = scan_pages(fd, &s)) < 0) {
		log_warnx("recorder: %s: %s", path, r == -EBADMSG ?
		    "not an Ogg Opus file, left alone" :
		    "no audio after the Opus headers, left alone");
		goto out;
	}
	if (s.keep != s.size || !s.last_eos) {
		res->recovered = true;
		if (ftruncate(fd, s.keep) < 0 || (!s.last_eos && (r = mark_eos(fd, &s)) < 0) ||
		    fsync(fd) < 0) {
			r = r < 0 ? r : -errno;
			log_warn("recorder: %s: recovering", path);
			goto out;
		}
		log_info("recorder: %s: recovered, cut %jd bytes of %jd", path,
		    (intmax_t)(s.size - s.keep), (intmax_t)s.size);
	}
	if ((r = hash_prefix(fd, s.keep, res->sha256)) < 0)
		goto out;
	hex32(res->sha256, res->sha256_hex);
	res->samples = s.granule > (int64_t)s.preskip ? (uint64_t)(s.granule - s.preskip) : 0;
	res->seconds = (double)res->samples / 48000.0;
	res->bytes = (uint64_t)s.keep;
	r = 0;
out:
	close(fd);
	return r;
}
