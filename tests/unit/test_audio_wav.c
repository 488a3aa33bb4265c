/*
 * audio sources: the WAV backend (format checks, channel conversion, fast
 * and realtime pacing) and the spec parser; ALSA as far as it runs without
 * sound hardware: the "null" device, and a device that fails and returns
 * (alsa-lib's file plugin writing to /dev/full). Real capture, xruns and
 * USB hotplug are exercised in the QEMU image with snd-aloop.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "audio.h"
#include "audio_fixtures.h"

#define RATE 48000

static char *
spec_for(const char *path)
{
	static char buf[600];

	snprintf(buf, sizeof buf, "file:%s", path);
	return buf;
}

/* Reads everything in fast mode; returns frames, fills out (cap frames). */
static long
drain(struct audio_source *src, int16_t *out, size_t cap, int ch)
{
	long total = 0;
	ssize_t n;

	for (;;) {
		struct pollfd pfd = { .fd = audio_fd(src), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 1000), 1);
		int16_t scratch[2];

		/* A full buffer asks for one more frame, which must be EOF. */
		if ((size_t)total == cap)
			n = audio_read(src, scratch, 1);
		else
			n = audio_read(src, out + (size_t)total * (size_t)ch, cap - (size_t)total);
		if ((size_t)total == cap && n > 0)
			fail_msg("more frames than expected");
		if (n == 0)
			return total;
		if (n == -EAGAIN)
			continue;
		if (n < 0)
			fail_msg("audio_read: %s", strerror((int)-n));
		total += n;
	}
}

static void
test_fast_mono_exact(void **state)
{
	const char *path = fx_path("mono.wav");
	int16_t *pcm = malloc(RATE * 2 * sizeof *pcm), *got = calloc(RATE * 2, sizeof *got);
	struct audio_source *src;
	struct audio_status st;
	long n;

	for (int i = 0; i < RATE * 2; i++)
		pcm[i] = (int16_t)(i * 31 - 20000);
	assert_int_equal(fx_write_wav(path, RATE, 1, SF_FORMAT_PCM_16, pcm, RATE * 2), 0);
	assert_int_equal(audio_open(spec_for(path), AUDIO_PACE_FAST, NULL, &src), 0);
	n = drain(src, got, RATE * 2, 1);
	assert_int_equal(n, RATE * 2);
	assert_memory_equal(got, pcm, RATE * 2 * sizeof *pcm);
	audio_get_status(src, &st);
	assert_int_equal(st.frames, RATE * 2);
	assert_true(st.present);
	/* Stays at end of file. */
	assert_int_equal(audio_read(src, got, 100), 0);
	audio_close(src);
	free(pcm);
	free(got);
}

static void
test_channel_conversion(void **state)
{
	const char *st_path = fx_path("stereo.wav");
	const char *mono_path = fx_path("mono2.wav");
	int16_t in[2 * 1000], out[2 * 1000];
	struct audio_format mono = { RATE, 1 }, stereo = { RATE, 2 };
	struct audio_source *src;

	for (int i = 0; i < 1000; i++) {
		in[2 * i] = (int16_t)(i * 20);
		in[2 * i + 1] = (int16_t)(-i * 10);
	}
	assert_int_equal(fx_write_wav(st_path, RATE, 2, SF_FORMAT_PCM_16, in, 1000), 0);
	assert_int_equal(audio_open(spec_for(st_path), AUDIO_PACE_FAST, &mono, &src), 0);
	assert_int_equal(drain(src, out, 1000, 1), 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(out[i], (i * 20 - i * 10) / 2);
	audio_close(src);

	/* Mono file to a stereo recorder: both channels carry it. */
	assert_int_equal(fx_write_wav(mono_path, RATE, 1, SF_FORMAT_PCM_16, in, 1000), 0);
	assert_int_equal(audio_open(spec_for(mono_path), AUDIO_PACE_FAST, &stereo, &src), 0);
	assert_int_equal(drain(src, out, 1000, 2), 1000);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(out[2 * i], in[i]);
		assert_int_equal(out[2 * i + 1], in[i]);
	}
	audio_close(src);

	/* 24-bit and float files are converted to int16 by libsndfile. */
	assert_int_equal(fx_sh("sox -n -r 48000 -c 1 -b 24 '%s' synth 0.5 sine 440",
	    fx_path("s24.wav")), 0);
	int16_t *big = calloc(RATE, sizeof *big);
	int peak = 0;
	assert_int_equal(audio_open(spec_for(fx_path("s24.wav")), AUDIO_PACE_FAST, NULL, &src), 0);
	assert_int_equal(drain(src, big, RATE, 1), RATE / 2);
	for (int i = 0; i < RATE / 2; i++)
		peak = abs(big[i]) > peak ? abs(big[i]) : peak;
	assert_true(peak > 30000);	/* full-scale 24-bit sine, scaled */
	audio_close(src);
	free(big);
}

static void
test_rejects(void **state)
{
	struct audio_source *src = (struct audio_source *)&src;
	int16_t pcm[100] = { 0 };
	struct audio_format stereo = { RATE, 2 };
	enum audio_pace pace;

	assert_int_equal(fx_write_wav(fx_path("cd.wav"), 44100, 1, SF_FORMAT_PCM_16, pcm, 100), 0);
	assert_int_equal(audio_open(spec_for(fx_path("cd.wav")), AUDIO_PACE_FAST, NULL, &src), -EINVAL);
	assert_null(src);
	assert_int_equal(fx_write_wav(fx_path("quad.wav"), RATE, 4, SF_FORMAT_PCM_16, pcm, 25), 0);
	assert_int_equal(audio_open(spec_for(fx_path("quad.wav")), AUDIO_PACE_FAST, &stereo, &src), -EINVAL);
	assert_int_equal(audio_open(spec_for(fx_path("nothere.wav")), AUDIO_PACE_FAST, NULL, &src), -ENOENT);
	assert_int_equal(fx_sh("echo 'not audio' > '%s'", fx_path("text.wav")), 0);
	assert_int_equal(audio_open(spec_for(fx_path("text.wav")), AUDIO_PACE_FAST, NULL, &src), -EINVAL);
	assert_int_equal(audio_open("mp3:x", AUDIO_PACE_FAST, NULL, &src), -EINVAL);
	assert_int_equal(audio_open("file:", AUDIO_PACE_FAST, NULL, &src), -EINVAL);
	assert_int_equal(audio_open("alsa:", AUDIO_PACE_FAST, NULL, &src), -EINVAL);
	assert_int_equal(audio_pace_parse("fast", &pace), 0);
	assert_int_equal(pace, AUDIO_PACE_FAST);
	assert_int_equal(audio_pace_parse("realtime", &pace), 0);
	assert_int_equal(pace, AUDIO_PACE_REALTIME);
	assert_int_equal(audio_pace_parse("slow", &pace), -EINVAL);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Realtime pacing never runs ahead of the clock. This is a bound, not a
 * timing: delivered <= elapsed * rate holds however slow the machine is.
 */
static void
test_realtime_pacing(void **state)
{
	const char *path = fx_path("short.wav");
	int16_t *pcm = calloc(RATE / 4, sizeof *pcm), buf[4800];
	struct audio_source *src;
	long total = 0;
	int waits = 0;
	double t0;
	ssize_t n;

	assert_int_equal(fx_write_wav(path, RATE, 1, SF_FORMAT_PCM_16, pcm, RATE / 4), 0);
	t0 = now_s();
	assert_int_equal(audio_open(spec_for(path), AUDIO_PACE_REALTIME, NULL, &src), 0);
	for (;;) {
		struct pollfd pfd = { .fd = audio_fd(src), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
		waits++;
		while ((n = audio_read(src, buf, 4800)) > 0) {
			total += n;
			assert_true((double)total <= (now_s() - t0) * RATE + 1);
		}
		if (n == 0)
			break;
		assert_int_equal(n, -EAGAIN);
	}
	assert_int_equal(total, RATE / 4);
	/* 250 ms at 20 ms ticks: the loop slept many times, it did not spin. */
	assert_true(waits >= 5);
	audio_close(src);
	free(pcm);
}

/* ALSA's "null" device captures silence without any sound hardware. */
static void
test_alsa_null(void **state)
{
	struct audio_source *src = NULL;
	int16_t buf[4800];
	long total = 0;

	assert_int_equal(audio_open("alsa:null", AUDIO_PACE_REALTIME, NULL, &src), 0);
	for (int i = 0; i < 50 && total < 960; i++) {
		struct pollfd pfd = { .fd = audio_fd(src), .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pfd, 1, 2000), 1);
		n = audio_read(src, buf, 4800);
		if (n == -EAGAIN)
			continue;
		assert_true(n > 0);
		total += n;
	}
	assert_true(total >= 960);
	audio_close(src);
	assert_true(audio_open("alsa:no_such_device_here", AUDIO_PACE_REALTIME, NULL, &src) < 0);
}

/*
 * A device that fails and comes back. alsa-lib's "file" plugin on top of
 * "null" writes what it captures to a file; writing to /dev/full fails, so
 * every read soon errors with -EIO, which the source treats like a pulled
 * USB microphone: close, back off, reopen.
 */
static void
test_alsa_lost_and_back(void **state)
{
	struct audio_source *src = NULL;
	struct audio_status st;
	int16_t buf[4800];
	long after_reopen = 0;

	assert_int_equal(audio_open("alsa:file:'/dev/full',raw", AUDIO_PACE_REALTIME,
	    NULL, &src), 0);
	for (int i = 0; i < 10000; i++) {
		struct pollfd pfd = { .fd = audio_fd(src), .events = POLLIN };
		ssize_t n;

		/* The fd stays the same and wakes us for the reopen timer too. */
		assert_int_equal(poll(&pfd, 1, 10000), 1);
		n = audio_read(src, buf, 4800);
		assert_true(n > 0 || n == -EAGAIN);
		audio_get_status(src, &st);
		if (n > 0 && st.reopens > 0)
			after_reopen += n;
		if (st.lost >= 2 && after_reopen > 0)
			break;
	}
	audio_get_status(src, &st);
	assert_true(st.lost >= 2);
	assert_true(st.reopens >= 1);
	assert_true(after_reopen > 0);
	audio_close(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_mono_exact),
		cmocka_unit_test(test_channel_conversion),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_realtime_pacing),
		cmocka_unit_test(test_alsa_null),
		cmocka_unit_test(test_alsa_lost_and_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
