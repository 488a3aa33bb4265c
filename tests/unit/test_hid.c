/*
 * HID boot-keyboard decoder: recorded report sequences (what a scanner sends
 * for a code) and known-bad sequences from tests/bad/hid/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hid.h"

#define MAX_EV 64

struct events {
	int n;
	struct hid_result r[MAX_EV];
};

static void
collect(void *arg, const struct hid_result *res)
{
	struct events *ev = arg;

	assert_true(ev->n < MAX_EV);
	assert_int_equal(strlen(res->code), res->len);
	ev->r[ev->n++] = *res;
}

struct fx {
	struct hid_decoder d;
	struct events ev;
	uint64_t now;
};

static struct fx *
fx_new(enum hid_layout layout, uint32_t timeout, size_t max_len)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	hid_decoder_init(&f->d, layout, timeout, max_len, collect, &f->ev);
	f->now = 1000;
	return f;
}

/* Feeds one 8-byte report 5 ms after the previous one. */
static int
rep(struct fx *f, uint8_t mod, uint8_t k0, uint8_t k1, uint8_t k2)
{
	uint8_t r[8] = { mod, 0, k0, k1, k2, 0, 0, 0 };

	f->now += 5;
	return hid_feed(&f->d, r, sizeof r, f->now);
}

/* Press and release, the way most scanners send each character. */
static void
key(struct fx *f, uint8_t mod, uint8_t k)
{
	rep(f, mod, k, 0, 0);
	rep(f, 0, 0, 0, 0);
}

enum {
	A = 0x04, B = 0x05, C = 0x06, Q = 0x14, Y = 0x1c, Z = 0x1d, N1 = 0x1e,
	N2 = 0x1f, N7 = 0x24, N0 = 0x27, ENTER = 0x28, ESC = 0x29, BKSP = 0x2a,
	TAB = 0x2b, SPACE = 0x2c, MINUS = 0x2d, CARET_DE = 0x35, F1 = 0x3a,
	KP_ENTER = 0x58, KP1 = 0x59, KP0 = 0x62,
	LCTRL = 0x01, LSHIFT = 0x02, LALT = 0x04, LGUI = 0x08, RSHIFT = 0x20,
	RALT = 0x40,
};

static void
assert_code(struct fx *f, int i, const char *want)
{
	assert_true(i < f->ev.n);
	assert_int_equal(f->ev.r[i].event, HID_CODE);
	assert_int_equal(f->ev.r[i].reason, HID_OK);
	assert_string_equal(f->ev.r[i].code, want);
}

static void
assert_reject(struct fx *f, int i, enum hid_reason why)
{
	assert_true(i < f->ev.n);
	assert_int_equal(f->ev.r[i].event, HID_REJECT);
	assert_int_equal(f->ev.r[i].reason, why);
	/* A rejection never carries typed characters. */
	assert_string_equal(f->ev.r[i].code, "");
}

static void
test_us_plain(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	key(f, 0, B);
	key(f, 0, N1);
	key(f, 0, MINUS);
	key(f, 0, N0);
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(rep(f, 0, ENTER, 0, 0), 1);
	rep(f, 0, 0, 0, 0);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "ab1-0");
	free(f);
}

static void
test_shift_left_right(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, LSHIFT, A);
	key(f, RSHIFT, B);
	key(f, LSHIFT | RSHIFT, C);
	key(f, RSHIFT, N1);
	key(f, LSHIFT, N2);
	key(f, 0, A);
	/* Shift held in its own report before the key, as keyboards do. */
	rep(f, LSHIFT, 0, 0, 0);
	rep(f, LSHIFT, Z, 0, 0);
	rep(f, LSHIFT, 0, 0, 0);
	rep(f, 0, 0, 0, 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "ABC!@aZ");
	free(f);
}

static void
test_repeat_after_release(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	/* "1100": the same key in consecutive reports, released between. */
	key(f, 0, N1);
	key(f, 0, N1);
	key(f, 0, N0);
	key(f, 0, N0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "1100");
	free(f);
}

static void
test_held_key_not_repeated(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	/* Idle-rate repeats of an unchanged report type nothing new. */
	rep(f, 0, A, 0, 0);
	rep(f, 0, A, 0, 0);
	rep(f, 0, A, 0, 0);
	rep(f, 0, 0, 0, 0);
	/* Changing Shift while a key stays down does not re-type it. */
	rep(f, 0, B, 0, 0);
	rep(f, LSHIFT, B, 0, 0);
	rep(f, 0, 0, 0, 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "ab");
	free(f);
}

static void
test_new_key_while_held(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	rep(f, 0, A, 0, 0);
	rep(f, 0, A, B, 0);	/* b pressed while a is held */
	rep(f, 0, B, 0, 0);	/* a released; b still held */
	rep(f, 0, C, 0, 0);	/* b replaced by c without an empty report */
	rep(f, 0, C, A, 0);	/* a again, since it was released */
	rep(f, 0, 0, 0, 0);
	rep(f, 0, A, B, C);	/* three at once: slot order */
	rep(f, 0, 0, 0, 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "abcaabc");
	free(f);
}

static void
test_terminators(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	key(f, 0, TAB);
	key(f, 0, KP1);
	key(f, 0, KP0);
	key(f, 0, KP_ENTER);
	key(f, 0, B);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 3);
	assert_code(f, 0, "a");
	assert_code(f, 1, "10");
	assert_code(f, 2, "b");
	free(f);
}

static void
test_stray_terminators_silent(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, ENTER);
	key(f, 0, TAB);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(hid_deadline(&f->d), 0);
	free(f);
}

static void
test_terminator_and_next_key_in_one_report(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	key(f, 0, B);
	assert_int_equal(rep(f, 0, ENTER, C, 0), 1);
	rep(f, 0, 0, 0, 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_code(f, 0, "ab");
	assert_code(f, 1, "c");
	free(f);
}

static void
test_layout_de(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_DE, 1000, 64);

	key(f, 0, Y);		/* QWERTZ: the US "y" position types z */
	key(f, LSHIFT, Z);	/* and the US "z" position types Y */
	key(f, LSHIFT, N7);	/* shift 7 is / */
	key(f, RALT, Q);	/* AltGr q is @ */
	key(f, RALT, N7);	/* AltGr 7 is { */
	key(f, 0, MINUS);	/* sharp s: no ASCII -> the whole code goes */
	key(f, 0, ENTER);
	key(f, 0, Y);
	key(f, LSHIFT, Z);
	key(f, LSHIFT, N7);
	key(f, RALT, Q);
	key(f, RALT, N7);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_reject(f, 0, HID_ERR_KEY);
	assert_code(f, 1, "zY/@{");
	free(f);
}

static void
test_layout_de_dead_key(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_DE, 1000, 64);

	key(f, 0, A);
	key(f, 0, CARET_DE);	/* dead ^ then space types ^ */
	key(f, 0, SPACE);
	key(f, 0, B);
	key(f, 0, ENTER);
	key(f, 0, CARET_DE);	/* dead ^ then a would compose a-circumflex */
	key(f, 0, A);
	key(f, 0, ENTER);
	key(f, 0, A);
	key(f, 0, CARET_DE);	/* dead key left hanging at the terminator */
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 3);
	assert_code(f, 0, "a^b");
	assert_reject(f, 1, HID_ERR_KEY);
	assert_reject(f, 2, HID_ERR_KEY);
	free(f);
}

static void
test_layout_fr(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_FR, 1000, 64);

	key(f, 0, Q);		/* AZERTY: US q position types a */
	key(f, 0, A);		/* US a position types q */
	key(f, LSHIFT, N1);	/* digits need Shift */
	key(f, 0, N1);		/* unshifted it is & */
	key(f, 0, 0x33);	/* US ; position types m */
	key(f, RALT, N0);	/* AltGr 0 is @ */
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "aq1&m@");
	free(f);
}

static void
test_us_right_alt_is_a_chord(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	key(f, RALT, Q);
	key(f, 0, B);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_reject(f, 0, HID_ERR_CHORD);
	free(f);
}

static void
test_chords_rejected(void **state)
{
	const uint8_t mods[] = { LCTRL, LALT, LGUI, 0x10, 0x80, LCTRL | LSHIFT };

	for (size_t i = 0; i < sizeof mods; i++) {
		struct fx *f = fx_new(HID_LAYOUT_DE, 1000, 64);
		key(f, 0, A);
		key(f, mods[i], C);
		key(f, 0, B);
		key(f, 0, ENTER);
		assert_int_equal(f->ev.n, 1);
		assert_reject(f, 0, HID_ERR_CHORD);
		free(f);
	}
}

static void
test_modifier_alone_is_harmless(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	rep(f, 0xff, 0, 0, 0);	/* every modifier bit, no key */
	rep(f, 0, 0, 0, 0);
	key(f, 0, A);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "a");
	free(f);
}

static void
test_timeout_discards_half_code(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	key(f, 0, B);
	uint64_t last = f->now - 5;	/* the press; the release does not count */
	assert_int_equal(hid_deadline(&f->d), last + 1000);
	assert_int_equal(hid_tick(&f->d, last + 999), 0);
	assert_int_equal(f->ev.n, 0);
	assert_int_equal(hid_tick(&f->d, last + 1000), 1);
	assert_int_equal(f->ev.n, 1);
	assert_reject(f, 0, HID_ERR_TIMEOUT);
	assert_int_equal(hid_deadline(&f->d), 0);
	assert_int_equal(hid_tick(&f->d, last + 5000), 0);
	/* The next code is clean: no leftover "ab". */
	f->now = last + 6000;
	key(f, 0, C);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_code(f, 1, "c");
	free(f);
}

static void
test_timeout_noticed_by_late_report(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	f->now += 2000;		/* nobody called hid_tick */
	key(f, 0, C);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_reject(f, 0, HID_ERR_TIMEOUT);
	assert_code(f, 1, "c");
	free(f);
}

static void
test_empty_reports_do_not_extend_timeout(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	key(f, 0, A);
	/* A device repeating an unchanged report, then empty ones, for two
	 * seconds: no key press in all that time. */
	rep(f, 0, B, 0, 0);
	for (int i = 0; i < 10; i++) {
		f->now += 95;
		rep(f, 0, B, 0, 0);
	}
	for (int i = 0; i < 10; i++) {
		f->now += 95;
		rep(f, 0, 0, 0, 0);
	}
	assert_int_equal(f->ev.n, 1);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_reject(f, 0, HID_ERR_TIMEOUT);
	free(f);
}

static void
test_timeout_disabled(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 0, 64);

	key(f, 0, A);
	assert_int_equal(hid_deadline(&f->d), 0);
	assert_int_equal(hid_tick(&f->d, f->now + 1000000), 0);
	f->now += 1000000;
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_code(f, 0, "a");
	free(f);
}

static void
test_over_long_rejected(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 4);

	for (int i = 0; i < 4; i++)
		key(f, 0, A);
	key(f, 0, ENTER);
	for (int i = 0; i < 5; i++)
		key(f, 0, B);
	key(f, 0, ENTER);
	/* A burst far past the limit still ends in one rejection. */
	for (int i = 0; i < 1000; i++)
		key(f, 0, (uint8_t)(A + i % 26));
	key(f, 0, ENTER);
	key(f, 0, C);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 4);
	assert_code(f, 0, "aaaa");
	assert_reject(f, 1, HID_ERR_TOO_LONG);
	assert_reject(f, 2, HID_ERR_TOO_LONG);
	assert_code(f, 3, "c");
	free(f);
}

static void
test_max_len_clamped(void **state)
{
	struct hid_decoder d;

	hid_decoder_init(&d, HID_LAYOUT_US, 1000, 100000, NULL, NULL);
	assert_int_equal(d.max_len, HID_CODE_MAX);
	hid_decoder_init(&d, HID_LAYOUT_US, 1000, 0, NULL, NULL);
	assert_int_equal(d.max_len, 1);
}

static void
test_malformed_reports_poison_code(void **state)
{
	static const struct {
		uint8_t r[10];
		size_t len;
		enum hid_reason why;
	} bad[] = {
		{ { 0, 0, A }, 4, HID_ERR_REPORT_LEN },
		{ { 0, 0, A, 0, 0, 0, 0, 0, 0 }, 9, HID_ERR_REPORT_LEN },
		{ { 0 }, 0, HID_ERR_REPORT_LEN },
		{ { 0, 0, 1, 1, 1, 1, 1, 1 }, 8, HID_ERR_ROLLOVER },
		{ { 0, 0, 2, 2, 2, 2, 2, 2 }, 8, HID_ERR_ROLLOVER },
		{ { 0, 0, A, 3 }, 8, HID_ERR_ROLLOVER },
		{ { 0, 0, 0xe1 }, 8, HID_ERR_REPORT },
		{ { 0, 0, A, 0, A }, 8, HID_ERR_REPORT },
		{ { 0, 0, F1 }, 8, HID_ERR_KEY },
		{ { 0, 0, 0xff }, 8, HID_ERR_KEY },
		{ { 0, 0, ESC }, 8, HID_ERR_KEY },
		{ { 0, 0, BKSP }, 8, HID_ERR_KEY },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);
		key(f, 0, A);
		f->now += 5;
		hid_feed(&f->d, bad[i].r, bad[i].len, f->now);
		rep(f, 0, 0, 0, 0);
		key(f, 0, B);	/* the tail must not pass as a code */
		key(f, 0, ENTER);
		assert_int_equal(f->ev.n, 1);
		assert_reject(f, 0, bad[i].why);
		/* ... and the decoder is usable afterwards. */
		key(f, 0, C);
		key(f, 0, ENTER);
		assert_int_equal(f->ev.n, 2);
		assert_code(f, 1, "c");
		free(f);
	}
}

static void
test_null_report(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	assert_int_equal(hid_feed(&f->d, NULL, 8, 10), 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 1);
	assert_reject(f, 0, HID_ERR_REPORT_LEN);
	free(f);
}

static void
test_junk_between_codes_reported_on_timeout(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);
	uint8_t roll[8] = { 0, 0, 1, 1, 1, 1, 1, 1 };

	f->now += 5;
	hid_feed(&f->d, roll, sizeof roll, f->now);
	assert_int_equal(hid_deadline(&f->d), f->now + 1000);
	assert_int_equal(hid_tick(&f->d, f->now + 1000), 1);
	assert_reject(f, 0, HID_ERR_ROLLOVER);
	f->now += 2000;
	key(f, 0, A);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_code(f, 1, "a");
	free(f);
}

static void
test_rollover_keeps_held_keys(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);
	uint8_t roll[8] = { 0, 0, 1, 1, 1, 1, 1, 1 };

	/* After the error report, a key still held must not count as new
	 * and end the next attempt early. */
	rep(f, 0, ENTER, 0, 0);
	f->now += 5;
	hid_feed(&f->d, roll, sizeof roll, f->now);
	rep(f, 0, ENTER, 0, 0);	/* still the same Enter press */
	rep(f, 0, 0, 0, 0);
	key(f, 0, A);
	key(f, 0, ENTER);	/* the poisoned attempt ends here */
	assert_int_equal(f->ev.n, 1);
	assert_reject(f, 0, HID_ERR_ROLLOVER);
	free(f);
}

static void
test_abort(void **state)
{
	struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);

	assert_int_equal(hid_abort(&f->d, HID_ERR_DETACHED), 0);
	rep(f, 0, A, 0, 0);	/* unplugged with a key down */
	assert_int_equal(hid_abort(&f->d, HID_ERR_DETACHED), 1);
	assert_reject(f, 0, HID_ERR_DETACHED);
	/* Replugged: the held key is forgotten, so "a" types again. */
	rep(f, 0, A, 0, 0);
	rep(f, 0, 0, 0, 0);
	key(f, 0, ENTER);
	assert_int_equal(f->ev.n, 2);
	assert_code(f, 1, "a");
	free(f);
}

static void
test_layout_names(void **state)
{
	enum hid_layout l = HID_LAYOUT_US;

	assert_int_equal(hid_layout_from_name("de", &l), 0);
	assert_int_equal(l, HID_LAYOUT_DE);
	assert_int_equal(hid_layout_from_name("FR", &l), 0);
	assert_int_equal(l, HID_LAYOUT_FR);
	assert_int_equal(hid_layout_from_name("us", &l), 0);
	assert_int_equal(l, HID_LAYOUT_US);
	assert_int_equal(hid_layout_from_name("dvorak", &l), -EINVAL);
	assert_int_equal(hid_layout_from_name("", &l), -EINVAL);
	assert_int_equal(hid_layout_from_name(NULL, &l), -EINVAL);
	assert_int_equal(l, HID_LAYOUT_US);
	assert_string_equal(hid_layout_name(HID_LAYOUT_DE), "de");
}

static void
test_strerror_distinct(void **state)
{
	for (int a = HID_OK; a <= HID_ERR_DETACHED; a++)
		for (int b = a + 1; b <= HID_ERR_DETACHED; b++)
			assert_string_not_equal(hid_strerror(a), hid_strerror(b));
}

/*
 * tests/bad/hid/NAME.hex: one report per line as hex bytes ("-" for a
 * zero-length report), "wait MS" to let time pass, '#' comments. Every file
 * holds at least one attempted code; none may produce a code.
 */
static int
feed_hex_file(const char *path, struct fx *f)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	int reports = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof line, fp)) {
		uint8_t r[64];
		size_t len = 0;
		char *p = line;
		unsigned long ms;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		if (sscanf(p, "wait %lu", &ms) == 1) {
			f->now += ms;
			continue;
		}
		if (*p != '-') {
			for (;;) {
				char *end;
				unsigned long v = strtoul(p, &end, 16);
				if (end == p)
					break;
				assert_true(v <= 0xff && len < sizeof r);
				r[len++] = (uint8_t)v;
				p = end;
			}
			while (isspace((unsigned char)*p))
				p++;
			assert_true(*p == '\0' || *p == '#');
		}
		f->now += 5;
		hid_feed(&f->d, r, len, f->now);
		reports++;
	}
	fclose(fp);
	hid_tick(&f->d, f->now + 3600 * 1000);
	return reports;
}

static void
test_bad_folder(void **state)
{
	const char *dir = getenv("NW_BAD_HID_DIR");
	DIR *dp;
	struct dirent *de;
	int files = 0;

	if (!dir)
		dir = "tests/bad/hid";
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		char path[4096];

		if (n < 5 || strcmp(de->d_name + n - 4, ".hex") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct fx *f = fx_new(HID_LAYOUT_US, 1000, 64);
		assert_true(feed_hex_file(path, f) > 0);
		int rejects = 0;
		for (int i = 0; i < f->ev.n; i++) {
			if (f->ev.r[i].event == HID_CODE)
				fail_msg("%s produced code \"%s\"", de->d_name,
				    f->ev.r[i].code);
			rejects++;
		}
		if (rejects == 0)
			fail_msg("%s: no rejection reported", de->d_name);
		free(f);
		files++;
	}
	closedir(dp);
	assert_true(files >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_us_plain),
		cmocka_unit_test(test_shift_left_right),
		cmocka_unit_test(test_repeat_after_release),
		cmocka_unit_test(test_held_key_not_repeated),
		cmocka_unit_test(test_new_key_while_held),
		cmocka_unit_test(test_terminators),
		cmocka_unit_test(test_stray_terminators_silent),
		cmocka_unit_test(test_terminator_and_next_key_in_one_report),
		cmocka_unit_test(test_layout_de),
		cmocka_unit_test(test_layout_de_dead_key),
		cmocka_unit_test(test_layout_fr),
		cmocka_unit_test(test_us_right_alt_is_a_chord),
		cmocka_unit_test(test_chords_rejected),
		cmocka_unit_test(test_modifier_alone_is_harmless),
		cmocka_unit_test(test_timeout_discards_half_code),
		cmocka_unit_test(test_timeout_noticed_by_late_report),
		cmocka_unit_test(test_empty_reports_do_not_extend_timeout),
		cmocka_unit_test(test_timeout_disabled),
		cmocka_unit_test(test_over_long_rejected),
		cmocka_unit_test(test_max_len_clamped),
		cmocka_unit_test(test_malformed_reports_poison_code),
		cmocka_unit_test(test_null_report),
		cmocka_unit_test(test_junk_between_codes_reported_on_timeout),
		cmocka_unit_test(test_rollover_keeps_held_keys),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_layout_names),
		cmocka_unit_test(test_strerror_distinct),
		cmocka_unit_test(test_bad_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
