/*
 * level: meter values on known signals and the alarm state machines on
 * generated silence, clipped tones and synthetic speech. All counted in
 * samples, so the tests run minutes of audio in milliseconds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "level.h"
#include "audio_fixtures.h"

#define RATE 48000

static struct level *
new_meter(const struct level_params *p)
{
	struct level_params d;
	struct level *lv;

	if (p == NULL) {
		level_params_default(&d);
		p = &d;
	}
	assert_int_equal(level_new(p, &lv), 0);
	return lv;
}

/* Feeds n frames of pcm in odd-sized pieces, as a real source would. */
static void
feed(struct level *lv, const int16_t *pcm, size_t n)
{
	size_t piece = 1013;

	while (n > 0) {
		size_t k = n < piece ? n : piece;
		level_feed(lv, pcm, k);
		pcm += k;
		n -= k;
	}
}

static int
count_events(struct level *lv, enum level_alarm a, bool active, uint64_t *pos)
{
	struct level_event ev;
	int n = 0;

	while (level_next_event(lv, &ev))
		if (ev.alarm == a && ev.active == active) {
			n++;
			if (pos)
				*pos = ev.position;
		}
	return n;
}

static void
test_meter_values(void **state)
{
	struct level *lv = new_meter(NULL);
	struct level_reading r;
	int16_t *buf = calloc(RATE, sizeof *buf);

	/* A -20 dBFS-peak sine: peak -20, RMS -23 (square-wave reference). */
	fx_sine(buf, RATE, RATE, 1000.0, 3276.8);
	feed(lv, buf, RATE);
	level_read(lv, &r);
	assert_true(r.peak_dbfs > -20.05 && r.peak_dbfs < -19.95);
	assert_true(r.rms_dbfs > -23.1 && r.rms_dbfs < -22.9);
	assert_int_equal(r.position, RATE);

	memset(buf, 0, RATE * sizeof *buf);
	feed(lv, buf, RATE);
	level_read(lv, &r);
	assert_true(r.rms_dbfs == LEVEL_FLOOR_DBFS);
	assert_true(r.peak_dbfs == LEVEL_FLOOR_DBFS);
	/* Peak hold forgets after a second of silence. */
	assert_true(r.peak_hold_dbfs == LEVEL_FLOOR_DBFS);
	level_free(lv);
	free(buf);
}

static void
test_silence_alarm(void **state)
{
	struct level *lv = new_meter(NULL);
	int16_t *buf = calloc(RATE, sizeof *buf);
	struct level_reading r;
	uint64_t pos = 0;

	/* Quiet room noise at about -60 dBFS: below the -50 line. */
	for (int i = 0; i < RATE; i++)
		buf[i] = (int16_t)((i * 7919 % 65) - 32);
	for (int s = 0; s < 59; s++)
		feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_SILENCE, true, NULL), 0);
	feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_SILENCE, true, &pos), 1);
	assert_int_equal(pos, 60 * RATE);
	level_read(lv, &r);
	assert_true(r.silence);
	/* More silence: no second alarm. */
	feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_SILENCE, true, NULL), 0);
	/* Sound clears it at the first loud block. */
	fx_sine(buf, RATE, RATE, 440.0, 3000.0);
	feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_SILENCE, false, &pos), 1);
	assert_int_equal(pos, 61 * RATE + RATE / 10);
	level_read(lv, &r);
	assert_false(r.silence);
	level_free(lv);
	free(buf);
}

static void
test_clipping_alarm(void **state)
{
	struct level *lv = new_meter(NULL);
	int16_t *buf = calloc(RATE, sizeof *buf);
	struct level_reading r;
	uint64_t pos = 0;

	/* A loud but clean tone never alarms. */
	fx_sine(buf, RATE, RATE, 440.0, 30000.0);
	for (int s = 0; s < 10; s++)
		feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, true, NULL), 0);
	/* Driven 6 dB into the rails: alarms after 1 s of a 5 s window. */
	fx_sine(buf, RATE, RATE, 440.0, 65000.0);
	for (int s = 0; s < 3; s++)
		feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, true, &pos), 1);
	assert_int_equal(pos, 11 * RATE);
	level_read(lv, &r);
	assert_true(r.clipping);
	assert_true(r.peak_dbfs > -0.01);
	/* Clean again: clears once the whole window is clean (5 s). */
	fx_sine(buf, RATE, RATE, 440.0, 10000.0);
	for (int s = 0; s < 4; s++)
		feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, false, NULL), 0);
	feed(lv, buf, RATE);
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, false, &pos), 1);
	assert_int_equal(pos, 18 * RATE);
	level_free(lv);
	free(buf);
}

/* A single clipped burst (a laugh, a slammed door) is not "sustained". */
static void
test_short_clip_no_alarm(void **state)
{
	struct level *lv = new_meter(NULL);
	int16_t *buf = calloc(RATE, sizeof *buf);

	for (int s = 0; s < 20; s++) {
		fx_sine(buf, RATE, RATE, 440.0, s % 5 == 0 ? 65000.0 : 8000.0);
		/* Only the first 300 ms of every fifth second clips. */
		if (s % 5 == 0)
			fx_sine(buf + RATE * 3 / 10, RATE * 7 / 10, RATE, 440.0, 8000.0);
		feed(lv, buf, RATE);
	}
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, true, NULL), 0);
	level_free(lv);
	free(buf);
}

static void
test_speech_no_alarm(void **state)
{
	const char *wav = fx_speech_wav();
	struct level_params p;
	struct level *lv;
	struct level_event ev;
	int16_t *pcm = NULL;
	long n;
	int ch, rate;

	assert_non_null(wav);
	n = fx_read_sound(wav, &pcm, &ch, &rate);
	assert_true(n > 10 * RATE);
	assert_int_equal(rate, RATE);
	/*
	 * A much stricter silence time than the default 60 s: speech pauses
	 * are short and must still not look like a dead microphone.
	 */
	level_params_default(&p);
	p.silence_seconds = 3.0;
	lv = new_meter(&p);
	for (int rep = 0; rep < 4; rep++)
		feed(lv, pcm, (size_t)n);
	if (level_next_event(lv, &ev))
		fail_msg("speech raised %s at sample %ju",
		    level_alarm_name(ev.alarm), (uintmax_t)ev.position);
	level_free(lv);

	/* The same speech 10x too loud does raise the clipping alarm. */
	for (long i = 0; i < n; i++) {
		long v = pcm[i] * 10L;
		pcm[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	lv = new_meter(NULL);
	feed(lv, pcm, (size_t)n);
	assert_int_equal(count_events(lv, LEVEL_ALARM_CLIPPING, true, NULL), 1);
	level_free(lv);
	free(pcm);
}

static void
test_bad_params(void **state)
{
	struct level_params p;
	struct level *lv = (struct level *)&p;

	level_params_default(&p);
	p.silence_dbfs = 3.0;
	assert_int_equal(level_new(&p, &lv), -EINVAL);
	assert_null(lv);
	level_params_default(&p);
	p.block_ms = 0;
	assert_int_equal(level_new(&p, &lv), -EINVAL);
	level_params_default(&p);
	p.clip_window_fraction = 0.0;
	assert_int_equal(level_new(&p, &lv), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meter_values),
		cmocka_unit_test(test_silence_alarm),
		cmocka_unit_test(test_clipping_alarm),
		cmocka_unit_test(test_short_clip_no_alarm),
		cmocka_unit_test(test_speech_no_alarm),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
