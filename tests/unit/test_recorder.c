/*
 * recorder: Ogg Opus output judged by opus-tools, tags, fault injection on
 * write/fsync, the power-cut bound, and crash recovery (kill -9 of a writer
 * at several points, files cut at many byte offsets).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "audio.h"
#include "recorder.h"
#include "audio_fixtures.h"

#define NOTICE_SHA "36169e302d704185aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static struct recorder_tags
tags_for(const char *session)
{
	struct recorder_tags t = {
		.session_id = session,
		.room = "Room 101",
		.meeting = "IETF 125",
		.device_id = "box-7f3a",
		.start = { 1795420800, 250000000 },	/* 2026-11-23T08:00:00.250Z */
		.clock_synced = true,
		.part = 1,
		.notice_id = "notice-36169e30",
		.notice_url = "https://example.org/privacy",
		.notice_sha256 = NOTICE_SHA,
	};
	return t;
}

/* "opusinfo accepts it": exit 0 and no warnings at all. */
static int
opusinfo_clean(const char *path)
{
	return fx_sh("out=$(opusinfo '%s' 2>&1) && ! printf '%%s' \"$out\" | "
	    "grep -q WARNING", path);
}

/* Decoded length in 48 kHz samples, or -1. */
static long
opusdec_frames(const char *path)
{
	const char *wav = fx_path("decoded.wav");

	unlink(wav);
	if (fx_sh("opusdec --quiet '%s' '%s' 2>/dev/null", path, wav) != 0)
		return -1;
	return fx_frames(wav);
}

static void
file_sha256(const char *path, char hex[65])
{
	unsigned char *buf;
	uint8_t md[32];
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	crypto_hash_sha256(md, buf, (unsigned long long)st.st_size);
	sodium_bin2hex(hex, 65, md, 32);
	free(buf);
}

static off_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Encodes a WAV through the audio source, as the daemon will. */
static int
encode_wav(const char *wav, const char *out, const struct recorder_params *p,
    struct recorder_result *res, long *frames_in)
{
	struct audio_source *src;
	struct recorder *rec;
	struct recorder_tags t = tags_for("s-wav");
	int16_t buf[960];
	ssize_t n;
	int r;

	assert_int_equal(audio_open(wav, AUDIO_PACE_FAST, NULL, &src), 0);
	assert_int_equal(recorder_open(out, p, &t, &rec), 0);
	*frames_in = 0;
	while ((n = audio_read(src, buf, 960)) > 0) {
		assert_int_equal(recorder_write(rec, buf, (size_t)n), 0);
		*frames_in += n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(recorder_position(rec), (uint64_t)*frames_in);
	audio_close(src);
	r = recorder_close(rec, res);
	return r;
}

static void
test_speech_roundtrip(void **state)
{
	const char *wav = fx_speech_wav();
	const char *out = fx_path("speech.opus");
	char spec[600], hex[65];
	struct recorder_result res;
	long in, dec;

	assert_non_null(wav);
	snprintf(spec, sizeof spec, "file:%s", wav);
	unlink(out);
	assert_int_equal(encode_wav(spec, out, NULL, &res, &in), 0);
	assert_true(in > 48000 * 10);
	assert_int_equal(opusinfo_clean(out), 0);
	dec = opusdec_frames(out);
	/* Same duration within 20 ms (960 samples). */
	assert_true(labs(dec - in) <= 960);
	assert_int_equal(res.samples, (uint64_t)in);
	assert_int_equal(res.bytes, (uint64_t)file_size(out));
	file_sha256(out, hex);
	assert_string_equal(hex, res.sha256_hex);
	/* 32 kb/s VBR speech: roughly 4 kB/s, never 10. */
	assert_true(res.bytes < (uint64_t)(res.seconds * 6000));
	assert_true(res.bytes > (uint64_t)(res.seconds * 1500));
	/* A finished file needs no recovery and recovery changes nothing. */
	struct recorder_result rr;
	assert_int_equal(recorder_recover(out, &rr), 0);
	assert_false(rr.recovered);
	assert_string_equal(rr.sha256_hex, res.sha256_hex);
	assert_int_equal(rr.samples, res.samples);
}

/* The prefix digests the recorder keeps for sync: one per `every` bytes
 * written, each the SHA-256 of the file up to there, at any page sizes
 * (pages straddle the marks); none when not asked for. */
static void
test_prefix_digests(void **state)
{
	const char *wav = fx_speech_wav();
	const char *out = fx_path("prefixes.opus");
	static const size_t every[] = { 4096, 16384, 1000 };
	struct recorder_params p;
	struct recorder_result res;
	char spec[600];
	long in;

	assert_non_null(wav);
	snprintf(spec, sizeof spec, "file:%s", wav);
	for (size_t i = 0; i < 3; i++) {
		uint8_t *f, md[32];
		struct stat st;
		int fd;

		recorder_params_default(&p);
		p.prefix_every = every[i];
		unlink(out);
		assert_int_equal(encode_wav(spec, out, &p, &res, &in), 0);
		assert_int_equal(res.prefixes.every, every[i]);
		assert_int_equal(res.prefixes.n, res.bytes / every[i]);
		assert_true(res.prefixes.n >= 2);
		assert_int_equal(stat(out, &st), 0);
		f = malloc((size_t)st.st_size);
		assert_non_null(f);
		assert_true((fd = open(out, O_RDONLY)) >= 0);
		assert_int_equal(read(fd, f, (size_t)st.st_size), st.st_size);
		close(fd);
		for (size_t k = 0; k < res.prefixes.n; k++) {
			crypto_hash_sha256(md, f, (unsigned long long)((k + 1) * every[i]));
			assert_memory_equal(res.prefixes.d[k], md, 32);
		}
		free(f);
		recorder_prefixes_free(&res.prefixes);
		assert_null(res.prefixes.d);
	}
	/* Not asked for: none, and nothing to free. */
	unlink(out);
	assert_int_equal(encode_wav(spec, out, NULL, &res, &in), 0);
	assert_int_equal(res.prefixes.n, 0);
	assert_null(res.prefixes.d);
}

static void
test_tags(void **state)
{
	const char *out = fx_path("tags.opus");
	const char *info = fx_path("tags.txt");
	static const char *want[] = {
		"SESSION_ID=s-wav", "PART=1", "ROOM=Room 101", "MEETING=IETF 125",
		"DEVICE_ID=box-7f3a", "START_TIME=2026-11-23T08:00:00.250Z",
		"CLOCK_SYNCED=yes", "NOTICE_ID=notice-36169e30",
		"NOTICE_URL=https://example.org/privacy",
		("NOTICE_SHA256=" NOTICE_SHA),
	};
	struct recorder_result res;
	char spec[600];
	long in;

	snprintf(spec, sizeof spec, "file:%s", fx_speech_wav());
	unlink(out);
	assert_int_equal(encode_wav(spec, out, NULL, &res, &in), 0);
	assert_int_equal(fx_sh("opusinfo '%s' > '%s'", out, info), 0);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		/* opusinfo prints each comment on its own tab-indented line. */
		if (fx_sh("grep -qx \"$(printf '\\t%s')\" '%s'", want[i], info) != 0)
			fail_msg("tag %s missing", want[i]);
	}
}

static void
test_bad_input_changes_nothing(void **state)
{
	const char *out = fx_path("bad.opus");
	struct recorder_tags t = tags_for("s-bad");
	struct recorder_params p;
	struct recorder *rec = NULL;
	struct recorder_result res;

	unlink(out);
	t.session_id = NULL;
	assert_int_equal(recorder_open(out, NULL, &t, &rec), -EINVAL);
	t = tags_for("s-bad");
	t.notice_sha256 = "not-a-hash";
	assert_int_equal(recorder_open(out, NULL, &t, &rec), -EINVAL);
	t = tags_for("s-bad");
	recorder_params_default(&p);
	p.rate = 44100;
	assert_int_equal(recorder_open(out, &p, &t, &rec), -EINVAL);
	recorder_params_default(&p);
	p.complexity = 11;
	assert_int_equal(recorder_open(out, &p, &t, &rec), -EINVAL);
	assert_null(rec);
	assert_int_equal(access(out, F_OK), -1);

	/* Never overwrites: an existing recording is left as it was. */
	assert_int_equal(fx_sh("echo precious > '%s'", out), 0);
	assert_int_equal(recorder_open(out, NULL, &t, &rec), -EEXIST);
	assert_int_equal(fx_sh("grep -qx precious '%s'", out), 0);

	/* Recovery refuses what is not Ogg Opus and leaves it alone. */
	assert_int_equal(recorder_recover(out, &res), -EBADMSG);
	assert_int_equal(fx_sh("grep -qx precious '%s'", out), 0);
	assert_int_equal(fx_sh(": > '%s'", out), 0);
	assert_int_equal(recorder_recover(out, &res), -ENODATA);
	assert_int_equal(recorder_recover(fx_path("missing.opus"), &res), -ENOENT);
}

/*
 * A session stopped before any audio arrived (stop right after a restart)
 * still leaves a file players accept; one cut before any audio is not
 * passed off as a recording. libopusenc 0.2.1 alone writes a
 * garbage final granule here; the sanitizer build caught it.
 */
static void
test_empty_recording(void **state)
{
	const char *out = fx_path("empty.opus");
	struct recorder_tags t = tags_for("s-empty");
	struct recorder_result res, rr;
	struct recorder *rec;
	char hex[65];

	unlink(out);
	assert_int_equal(recorder_open(out, NULL, &t, &rec), 0);
	/* A crash now leaves headers and no audio: players refuse such a
	 * file, so recovery refuses it too and leaves it as it is. */
	assert_int_equal(fx_sh("cp '%s' '%s'", out, fx_path("headers-only.opus")), 0);
	off_t hsize = file_size(fx_path("headers-only.opus"));
	assert_true(hsize > 0);
	assert_int_equal(recorder_recover(fx_path("headers-only.opus"), &rr), -ENODATA);
	assert_int_equal(file_size(fx_path("headers-only.opus")), hsize);
	assert_int_equal(recorder_close(rec, &res), 0);
	assert_int_equal(opusinfo_clean(out), 0);
	assert_true(res.samples <= 1);
	assert_int_equal(res.bytes, (uint64_t)file_size(out));
	file_sha256(out, hex);
	assert_string_equal(hex, res.sha256_hex);
	assert_int_equal(recorder_recover(out, &rr), 0);
	assert_false(rr.recovered);
	assert_int_equal(rr.samples, res.samples);
}

/* ---- fault injection --------------------------------------------------- */

struct faulty {
	int fail_write_at;	/* 1-based call number to fail, 0 never */
	int fail_fsync_at;
	int writes, fsyncs;
	int err;
	/* power-cut model: what survives is what was fsynced */
	const char *path, *snap;
	struct recorder **rec;
	uint64_t durable;	/* samples recoverable from the last fsync */
	uint64_t position_at_fsync;
};

static int
faulty_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct faulty *f = ctx;

	if (++f->writes == f->fail_write_at)
		return -f->err;
	return write(fd, buf, len) == (ssize_t)len ? 0 : -errno;
}

static int
faulty_fsync(void *ctx, int fd)
{
	struct faulty *f = ctx;
	struct recorder_result rr;

	if (++f->fsyncs == f->fail_fsync_at)
		return -f->err;
	if (f->rec != NULL && *f->rec != NULL)
		f->position_at_fsync = recorder_position(*f->rec);
	if (f->snap != NULL) {
		/* Snapshot what a power cut right now would leave, recover it. */
		unlink(f->snap);
		assert_int_equal(fx_sh("cp '%s' '%s'", f->path, f->snap), 0);
		/* Headers only (the fsync at open): nothing durable yet. */
		int r = recorder_recover(f->snap, &rr);
		if (r != -ENODATA)
			assert_int_equal(r, 0);
		f->durable = r == 0 ? rr.samples : 0;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

static void
tone(int16_t *buf, size_t n, uint64_t start)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (int16_t)(8000.0 * sin((double)(start + i) * 0.0523) *
		    sin((double)(start + i) * 0.00013));
}

/* Every write and fsync position fails once; the error is sticky and the
 * file left behind is always recoverable or absent. */
static void
test_write_fsync_faults(void **state)
{
	const char *out = fx_path("fault.opus");
	struct recorder_tags t = tags_for("s-fault");
	struct recorder_params p;
	struct recorder_result res;
	struct recorder *rec;
	int16_t buf[960];
	int total_writes = 0, total_fsyncs = 0;

	/* Count the calls of a clean 5 s run first. */
	for (int pass = 0; pass < 3; pass++) {
		int limit = pass == 0 ? 1 : pass == 1 ? total_writes : total_fsyncs;

		for (int n = 1; n <= limit; n++) {
			struct faulty f = { .err = ENOSPC };
			struct recorder_io io = { .write = faulty_write, .fsync = faulty_fsync, .ctx = &f };
			int r;

			if (pass == 1)
				f.fail_write_at = n;
			if (pass == 2)
				f.fail_fsync_at = n, f.err = EIO;
			rec = NULL;
			f.rec = &rec;
			recorder_params_default(&p);
			p.io = &io;
			unlink(out);
			r = recorder_open(out, &p, &t, &rec);
			if (r < 0) {
				assert_int_equal(r, -f.err);
				assert_int_equal(access(out, F_OK), -1);
				continue;
			}
			for (uint64_t pos = 0; pos < 5 * 48000; pos += 960) {
				tone(buf, 960, pos);
				r = recorder_write(rec, buf, 960);
				if (r < 0)
					break;
			}
			if (r < 0) {
				assert_int_equal(r, -f.err);
				/* Sticky: nothing more is accepted. */
				assert_int_equal(recorder_write(rec, buf, 960), -f.err);
				assert_int_equal(recorder_error(rec), -f.err);
			}
			r = recorder_close(rec, &res);
			if (pass == 0) {
				assert_int_equal(r, 0);
				total_writes = f.writes;
				total_fsyncs = f.fsyncs;
				assert_true(total_fsyncs >= 5 * 2);	/* every 500 ms */
				continue;
			}
			assert_int_equal(r, -f.err);
			/* What reached the disk is a playable prefix, and it holds
			 * the audio that was fsynced before the fault, less at most
			 * the 1 s bound of the power-cut contract. */
			r = recorder_recover(out, &res);
			if (f.position_at_fsync > 0) {
				assert_int_equal(r, 0);
				if (res.samples + 48000 < f.position_at_fsync)
					fail_msg("fault at call %d: %llu samples fsynced, %llu kept",
					    n, (unsigned long long)f.position_at_fsync,
					    (unsigned long long)res.samples);
			}
			if (r == 0 && res.samples > 0)
				assert_int_equal(opusinfo_clean(out), 0);
		}
	}
	assert_true(total_writes > 10);
}

/* Power cut: at any moment, what was fsynced holds all but <= 1 s. */
static void
test_power_cut_bound(void **state)
{
	const char *out = fx_path("power.opus");
	struct recorder_tags t = tags_for("s-power");
	struct faulty f = { .path = out, .snap = fx_path("power-snap.opus") };
	struct recorder_io io = { .write = faulty_write, .fsync = faulty_fsync, .ctx = &f };
	struct recorder_params p;
	struct recorder_result res;
	struct recorder *rec;
	int16_t buf[960];
	uint64_t worst = 0;

	recorder_params_default(&p);
	p.io = &io;
	unlink(out);
	assert_int_equal(recorder_open(out, &p, &t, &rec), 0);
	for (uint64_t pos = 0; pos < 20 * 48000; pos += 960) {
		tone(buf, 960, pos);
		assert_int_equal(recorder_write(rec, buf, 960), 0);
		if (pos + 960 > 48000) {
			uint64_t lost = pos + 960 - f.durable;
			if (lost > worst)
				worst = lost;
		}
	}
	assert_int_equal(recorder_close(rec, &res), 0);
	print_message("# worst power-cut loss: %.3f s\n", (double)worst / 48000);
	assert_true(worst <= 48000);
}

struct filling_disk {
	uint64_t free_bytes;	/* shrinks with every byte written */
	int queries;
};

static int
disk_write(void *ctx, int fd, const void *buf, size_t len)
{
	struct filling_disk *d = ctx;

	d->free_bytes = d->free_bytes > len ? d->free_bytes - len : 0;
	return write(fd, buf, len) == (ssize_t)len ? 0 : -errno;
}

static int
disk_fsync(void *ctx, int fd)
{
	return fsync(fd) < 0 ? -errno : 0;
}

static int
disk_space(void *ctx, int fd, uint64_t *avail)
{
	struct filling_disk *d = ctx;

	d->queries++;
	*avail = d->free_bytes;
	return 0;
}

/* The reserve stops recording cleanly: a finished file, not a torn one. */
static void
test_disk_reserve(void **state)
{
	const char *out = fx_path("reserve.opus");
	struct recorder_tags t = tags_for("s-reserve");
	struct filling_disk d = { .free_bytes = 100000 };
	struct recorder_io io = { disk_write, disk_fsync, disk_space, &d };
	struct recorder_params p;
	struct recorder_result res;
	struct recorder *rec;
	int16_t buf[960];
	uint64_t pos, stopped_at = 0;
	int r = 0;

	recorder_params_default(&p);
	p.io = &io;
	p.reserve_bytes = 80000;	/* ~20 KB of room: about 5 s at 32 kb/s */
	unlink(out);
	assert_int_equal(recorder_open(out, &p, &t, &rec), 0);
	for (pos = 0; pos < 60 * 48000; pos += 960) {
		tone(buf, 960, pos);
		if ((r = recorder_write(rec, buf, 960)) < 0)
			break;
	}
	assert_int_equal(r, -EDQUOT);
	stopped_at = recorder_position(rec);
	assert_true(stopped_at > 2 * 48000 && stopped_at < 10 * 48000);
	assert_int_equal(recorder_write(rec, buf, 960), -EDQUOT);
	assert_int_equal(recorder_position(rec), stopped_at);
	assert_true(d.queries > 2);
	/* Close finishes the file normally with what was recorded. */
	assert_int_equal(recorder_close(rec, &res), 0);
	assert_int_equal(res.samples, stopped_at);
	assert_int_equal(opusinfo_clean(out), 0);
	assert_true(labs(opusdec_frames(out) - (long)stopped_at) <= 960);
}

/* kill -9 a writer at several points; recovery keeps >= recorded - 1.5 s. */
static void
test_kill9_recovery(void **state)
{
	static const double at[] = { 0.0, 0.3, 1.0, 2.7, 6.1, 9.95 };

	for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
		char name[64];
		const char *out;
		int pfd[2];
		pid_t pid;
		uint64_t written = 0;
		struct recorder_result res;
		int status;

		snprintf(name, sizeof name, "kill9-%zu.opus", k);
		out = fx_path(name);
		unlink(out);
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct recorder_tags t = tags_for("s-kill");
			struct recorder *rec;
			int16_t buf[960];
			uint64_t stop = (uint64_t)(at[k] * 48000);

			close(pfd[0]);
			if (recorder_open(out, NULL, &t, &rec) != 0)
				_exit(1);
			for (uint64_t pos = 0; pos < stop; pos += 960) {
				tone(buf, 960, pos);
				if (recorder_write(rec, buf, 960) != 0)
					_exit(1);
			}
			written = recorder_position(rec);
			if (write(pfd[1], &written, sizeof written) != sizeof written)
				_exit(1);
			for (;;)
				pause();	/* mid-recording, never closed */
		}
		close(pfd[1]);
		assert_int_equal(read(pfd[0], &written, sizeof written), sizeof written);
		close(pfd[0]);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status));

		int r = recorder_recover(out, &res);
		if (r == -ENODATA) {
			/* Killed before the first audio page: headers only,
			 * which players refuse; nothing to recover, and no more
			 * lost than the power-cut bound. */
			assert_true((double)written <= 1.5 * 48000);
			continue;
		}
		assert_int_equal(r, 0);
		assert_true(res.recovered);
		assert_true(res.samples > 0);
		assert_int_equal(opusinfo_clean(out), 0);
		assert_true((double)res.samples >= (double)written - 1.5 * 48000);
		assert_true(res.samples <= written);
		/* The decoder opens it and agrees with the duration we report. */
		long dec = opusdec_frames(out);
		assert_true(dec >= 0);
		assert_true(labs(dec - (long)res.samples) <= 960);
		/* Running it again changes nothing. */
		struct recorder_result again;
		assert_int_equal(recorder_recover(out, &again), 0);
		assert_false(again.recovered);
		assert_string_equal(again.sha256_hex, res.sha256_hex);
	}
}

/* Copies the first len bytes of from into a new file to. */
static void
copy_prefix(const char *from, const char *to, off_t len)
{
	char *buf = malloc((size_t)len);
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_non_null(buf);
	assert_true(in >= 0 && out >= 0);
	assert_int_equal(read(in, buf, (size_t)len), len);
	assert_int_equal(write(out, buf, (size_t)len), len);
	close(in);
	close(out);
	free(buf);
}

/* A file cut at any byte (torn page) or followed by zeroed blocks. */
static void
test_recover_any_cut(void **state)
{
	const char *full = fx_path("full.opus");
	const char *cut = fx_path("cut.opus");
	struct recorder_tags t = tags_for("s-cut");
	struct recorder_result res, rr;
	struct recorder *rec;
	int16_t buf[960];
	uint64_t prev = 0;
	off_t size;
	int ok = 0;

	unlink(full);
	assert_int_equal(recorder_open(full, NULL, &t, &rec), 0);
	for (uint64_t pos = 0; pos < 6 * 48000; pos += 960) {
		tone(buf, 960, pos);
		assert_int_equal(recorder_write(rec, buf, 960), 0);
	}
	assert_int_equal(recorder_close(rec, &res), 0);
	size = file_size(full);
	for (off_t len = 1; len < size; len += 379) {
		unlink(cut);
		copy_prefix(full, cut, len);
		int r = recorder_recover(cut, &rr);
		if (r == -ENODATA) {
			/* Only before the headers are complete, and untouched. */
			assert_int_equal(prev, 0);
			assert_int_equal(file_size(cut), len);
			continue;
		}
		assert_int_equal(r, 0);
		assert_true(rr.samples >= prev);	/* more bytes, never less audio */
		prev = rr.samples;
		if (rr.samples > 0) {
			assert_int_equal(opusinfo_clean(cut), 0);
			ok++;
		}
	}
	assert_true(ok > 10);
	assert_true(prev >= res.samples - 48000 / 2);

	/* Zeros after the last page (delayed allocation after a power cut). */
	unlink(cut);
	assert_int_equal(fx_sh("cp '%s' '%s' && head -c 8192 /dev/zero >> '%s'",
	    full, cut, cut), 0);
	assert_int_equal(recorder_recover(cut, &rr), 0);
	assert_true(rr.recovered);
	assert_int_equal(rr.samples, res.samples);
	assert_string_equal(rr.sha256_hex, res.sha256_hex);
	assert_int_equal(file_size(cut), size);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_speech_roundtrip),
		cmocka_unit_test(test_prefix_digests),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_bad_input_changes_nothing),
		cmocka_unit_test(test_empty_recording),
		cmocka_unit_test(test_write_fsync_faults),
		cmocka_unit_test(test_power_cut_bound),
		cmocka_unit_test(test_disk_reserve),
		cmocka_unit_test(test_kill9_recovery),
		cmocka_unit_test(test_recover_any_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
