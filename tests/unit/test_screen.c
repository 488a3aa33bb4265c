/*
 * The room screen, checked the way people see it: render, write the PNG,
 * let zbarimg read the QR codes back, and look at the colour of the places
 * that must show the recording state. No byte-exact images, so a font
 * update does not break the tests.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "canvas.h"
#include "display.h"
#include "font.h"
#include "notice.h"
#include "qr.h"
#include "screen.h"

static struct font *font;
static struct notice_set notices;
static char tmpdir[] = "/tmp/nwscreen.XXXXXX";

static const int sizes[][2] = { { 480, 320 }, { 800, 480 } };

static int
setup(void **state)
{
	struct notice_error err;
	const char *reg = getenv("NW_FONT");

	if (font_open(&font, reg ? reg : FONT_DEFAULT_REGULAR,
	    getenv("NW_FONT_BOLD") ? getenv("NW_FONT_BOLD") : FONT_DEFAULT_BOLD) < 0)
		return -1;
	if (notice_set_load_dir("board/notices", &notices, &err) < 0)
		return -1;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[200];

	font_close(font);
	notice_set_free(&notices);
	if (getenv("NW_KEEP")) {
		fprintf(stderr, "# kept %s\n", tmpdir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A busy screen: everything the daemon can show, at once. */
static void
busy_model(struct screen_model *m, const struct notice *n, enum screen_state st)
{
	screen_model_init(m);
	snprintf(m->room, sizeof(m->room), "Room Karlín I/II");
	snprintf(m->session, sizeof(m->session),
	    "QUIC working group — session 2 of 2, extended for the interop report");
	m->state = st;
	assert_int_equal(screen_model_set_notice(m, n), 0);
	m->signed_in = 137;
	m->scan = SCREEN_SCAN_OK;
	snprintf(m->scan_text, sizeof(m->scan_text),
	    "Signed in \xe2\x80\x94 your name and affiliation will be published "
	    "in the proceedings");
	m->level_dbfs = -18.0f;
	m->alarms = SCREEN_ALARM_CLOCK | SCREEN_ALARM_SYNC;
}

/* Decodes every code in a PNG; returns zbarimg's output (caller frees). */
static char *
zbar(const char *png)
{
	char cmd[600], *out = calloc(1, 4096);
	size_t n = 0;
	FILE *p;

	assert_non_null(out);
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q '%s' 2>/dev/null", png);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < 4095 && fgets(out + n, (int)(4096 - n), p) != NULL)
		n = strlen(out);
	pclose(p);
	return out;
}

static void
render_to_png(const struct screen_model *m, int w, int h, const char *name,
    struct canvas *c, char *path, size_t plen)
{
	assert_int_equal(canvas_init(c, w, h), 0);
	assert_int_equal(screen_render(c, m, font), 0);
	snprintf(path, plen, "%s/%s-%dx%d.png", tmpdir, name, w, h);
	assert_int_equal(display_png_write(path, c), 0);
}

static void
notice_qr_decodes_to_versioned_url_at_every_size(void **state)
{
	size_t i, s;

	assert_int_equal(notices.n, 2);
	for (i = 0; i < notices.n; i++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			struct screen_model m;
			struct canvas c;
			char path[300], want[600], *got;

			busy_model(&m, &notices.v[i], SCREEN_RECORDING);
			render_to_png(&m, sizes[s][0], sizes[s][1],
			    notices.v[i].version, &c, path, sizeof(path));
			got = zbar(path);
			snprintf(want, sizeof(want), "%s#v=%s\n", notices.v[i].url,
			    notices.v[i].version);
			assert_string_equal(got, want);
			free(got);
			canvas_free(&c);
		}
	}
}

static void
second_qr_for_online_signin_decodes_too(void **state)
{
	static const char signin[] =
	    "https://datatracker.ietf.org/meeting/125/session/33001/attendance";
	size_t s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct screen_model m;
		struct canvas c;
		char path[300], qr[600], *got, *a, *b;

		busy_model(&m, &notices.v[notices.n - 1], SCREEN_RECORDING);
		snprintf(m.signin_url, sizeof(m.signin_url), "%s", signin);
		render_to_png(&m, sizes[s][0], sizes[s][1], "signin", &c, path,
		    sizeof(path));
		got = zbar(path);
		/* Both codes, each exactly once, in whatever order zbar finds them. */
		snprintf(qr, sizeof(qr), "%s\n", m.notice_qr);
		a = strstr(got, qr);
		b = strstr(got, signin);
		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(strlen(got), strlen(qr) + strlen(signin) + 1);
		free(got);
		canvas_free(&c);
	}
}

enum hue { HUE_RED, HUE_AMBER, HUE_OTHER };

static enum hue
hue_of(struct rgb p)
{
	if (p.r >= 180 && p.g <= 70 && p.b <= 70)
		return HUE_RED;
	if (p.r >= 200 && p.g >= 110 && p.g <= 190 && p.b <= 60)
		return HUE_AMBER;
	return HUE_OTHER;
}

/* Share (percent) of pixels of hue h in rectangle r. */
static int
share(const struct canvas *c, const struct screen_rect *r, enum hue h)
{
	long n = 0, all = 0;
	int x, y;

	for (y = r->y; y < r->y + r->h; y++)
		for (x = r->x; x < r->x + r->w; x++, all++)
			n += hue_of(canvas_get(c, x, y)) == h;
	return all ? (int)(n * 100 / all) : 0;
}

static void
recording_indicator_shows_state(void **state)
{
	size_t s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct screen_model m;
		struct screen_layout l;
		struct canvas c;
		char path[300];
		int w = sizes[s][0], h = sizes[s][1];

		screen_layout(w, h, &l);
		assert_true(l.indicator.w >= h / 10);	/* large: readable from the room */

		busy_model(&m, &notices.v[1], SCREEN_RECORDING);
		render_to_png(&m, w, h, "rec", &c, path, sizeof(path));
		assert_true(share(&c, &l.indicator, HUE_RED) > 60);
		assert_true(share(&c, &l.band, HUE_RED) > 50);
		canvas_free(&c);

		m.state = SCREEN_IDLE;
		render_to_png(&m, w, h, "idle", &c, path, sizeof(path));
		assert_int_equal(share(&c, &l.band, HUE_RED), 0);
		assert_int_equal(share(&c, &l.band, HUE_AMBER), 0);
		canvas_free(&c);

		m.state = SCREEN_PAUSED;
		render_to_png(&m, w, h, "paused", &c, path, sizeof(path));
		assert_int_equal(share(&c, &l.band, HUE_RED), 0);
		assert_true(share(&c, &l.band, HUE_AMBER) > 50);
		canvas_free(&c);
	}
}

static void
notice_text_and_counts_are_drawn(void **state)
{
	struct screen_model m;
	struct screen_layout l;
	struct canvas c;
	char path[300];
	int ink = 0, x, y;

	busy_model(&m, &notices.v[1], SCREEN_RECORDING);
	render_to_png(&m, 800, 480, "text", &c, path, sizeof(path));
	screen_layout(800, 480, &l);
	/* The body carries text: plenty of dark pixels, none outside the canvas. */
	for (y = l.body.y; y < l.body.y + l.body.h; y++)
		for (x = l.body.x; x < l.body.x + l.body.w; x++) {
			struct rgb p = canvas_get(&c, x, y);
			ink += p.r < 100 && p.g < 100 && p.b < 100;
		}
	assert_true(ink > 2000);
	canvas_free(&c);

	/* Blank texts leave the body nearly empty: the ink above was the text. */
	busy_model(&m, &notices.v[1], SCREEN_RECORDING);
	m.notice_recording[0] = m.notice_bluesheet[0] = m.session[0] = '\0';
	render_to_png(&m, 800, 480, "blank", &c, path, sizeof(path));
	{
		int ink2 = 0;
		for (y = l.body.y; y < l.body.y + l.body.h; y++)
			for (x = l.body.x; x < l.body.x + l.body.w; x++) {
				struct rgb p = canvas_get(&c, x, y);
				ink2 += p.r < 100 && p.g < 100 && p.b < 100;
			}
		assert_true(ink2 < ink / 2);
	}
	canvas_free(&c);
}

static void
enrollment_screen_qr_decodes_to_payload(void **state)
{
	static const char payload[] =
	    "notewell-enroll:v1;url=https://host.example:8443/;token=Zq3k9X;"
	    "fp=SHA256:3f1c0e0d5a9e6b1f2a8c7d4e";
	size_t s;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct screen_model m;
		struct canvas c;
		char path[300], want[300], *got;

		busy_model(&m, &notices.v[1], SCREEN_RECORDING);
		m.enrollment = 1;
		snprintf(m.enroll_payload, sizeof(m.enroll_payload), "%s", payload);
		snprintf(m.enroll_text, sizeof(m.enroll_text),
		    "Box key fingerprint: 3f1c 0e0d 5a9e 6b1f");
		render_to_png(&m, sizes[s][0], sizes[s][1], "enroll", &c, path,
		    sizeof(path));
		got = zbar(path);
		snprintf(want, sizeof(want), "%s\n", payload);
		/* Only the setup code: the notice QR is not on this screen. */
		assert_string_equal(got, want);
		free(got);
		canvas_free(&c);
	}
}

static void
too_small_for_qr_is_reported(void **state)
{
	struct screen_model m;
	struct canvas c;

	busy_model(&m, &notices.v[1], SCREEN_RECORDING);
	assert_int_equal(canvas_init(&c, 120, 80), 0);
	assert_int_equal(screen_render(&c, &m, font), -ENOSPC);
	canvas_free(&c);
}

static void
redraw_on_change_and_level_at_most_every_interval(void **state)
{
	struct screen_redraw r;
	struct screen_model m;

	screen_redraw_init(&r);
	busy_model(&m, &notices.v[1], SCREEN_RECORDING);
	assert_int_equal(screen_redraw_due(&r, &m, 1000), SCREEN_CHANGED);
	assert_int_equal(screen_redraw_due(&r, &m, 1001), SCREEN_SAME);

	/* Less than a whole dB is not worth a redraw. */
	m.level_dbfs = -18.3f;
	assert_int_equal(screen_redraw_due(&r, &m, 2000), SCREEN_SAME);

	m.level_dbfs = -25.0f;
	assert_int_equal(screen_redraw_due(&r, &m, 1000 + SCREEN_LEVEL_INTERVAL_MS - 1),
	    SCREEN_SAME);
	assert_int_equal(screen_redraw_due(&r, &m, 1000 + SCREEN_LEVEL_INTERVAL_MS),
	    SCREEN_LEVEL_ONLY);

	/* Anything else is drawn at once, interval or not. */
	m.signed_in++;
	assert_int_equal(screen_redraw_due(&r, &m, 1000 + SCREEN_LEVEL_INTERVAL_MS + 1),
	    SCREEN_CHANGED);
	m.state = SCREEN_PAUSED;
	assert_int_equal(screen_redraw_due(&r, &m, 1000 + SCREEN_LEVEL_INTERVAL_MS + 2),
	    SCREEN_CHANGED);

	/* All "no signal" values are one state. */
	m.level_dbfs = NAN;
	assert_int_equal(screen_redraw_due(&r, &m, 5000), SCREEN_LEVEL_ONLY);
	m.level_dbfs = -90.0f;
	assert_int_equal(screen_redraw_due(&r, &m, 6000), SCREEN_SAME);
}

static void
level_only_redraw_touches_only_the_meter(void **state)
{
	struct screen_model m;
	struct screen_layout l;
	struct canvas a, b;
	int x, y, diff_out = 0, diff_in = 0;

	busy_model(&m, &notices.v[1], SCREEN_RECORDING);
	assert_int_equal(canvas_init(&a, 800, 480), 0);
	assert_int_equal(canvas_init(&b, 800, 480), 0);
	assert_int_equal(screen_render(&a, &m, font), 0);
	m.level_dbfs = -2.0f;
	screen_render_level(&a, &m, font);
	assert_int_equal(screen_render(&b, &m, font), 0);
	screen_layout(800, 480, &l);
	for (y = 0; y < 480; y++)
		for (x = 0; x < 800; x++) {
			struct rgb p = canvas_get(&a, x, y), q = canvas_get(&b, x, y);
			int in = x >= l.meter.x && x < l.meter.x + l.meter.w &&
			    y >= l.meter.y && y < l.meter.y + l.meter.h;
			if (p.r != q.r || p.g != q.g || p.b != q.b)
				*(in ? &diff_in : &diff_out) += 1;
		}
	/* Partial repaint equals a full render of the new model. */
	assert_int_equal(diff_out, 0);
	assert_int_equal(diff_in, 0);
	/* And the meter really moved: near 0 dBFS it shows red. */
	assert_true(share(&b, &l.meter, HUE_RED) > 5);
	canvas_free(&a);
	canvas_free(&b);
}

static void
canvas_clips_and_blits(void **state)
{
	struct canvas c, s;
	struct rgb red = { 255, 0, 0 }, blue = { 0, 0, 255 }, p;

	assert_int_equal(canvas_init(&c, 10, 10), 0);
	assert_int_equal(canvas_init(&s, 4, 4), 0);
	canvas_fill_rect(&c, -5, -5, 7, 7, red);	/* clipped to 2x2 */
	p = canvas_get(&c, 1, 1);
	assert_int_equal(p.r, 255);
	p = canvas_get(&c, 2, 2);
	assert_int_equal(p.r, 0);
	canvas_fill(&s, blue);
	canvas_blit(&c, &s, 8, -2);	/* only a 2x2 corner lands */
	assert_int_equal(canvas_get(&c, 9, 1).b, 255);
	assert_int_equal(canvas_get(&c, 7, 1).b, 0);
	assert_int_equal(canvas_get(&c, 9, 2).b, 0);
	canvas_free(&s);
	assert_int_equal(canvas_init(&s, 0, 5), -EINVAL);
	assert_null(s.px);
	canvas_free(&c);
}

static void
font_measures_wraps_and_draws_utf8(void **state)
{
	struct canvas c;
	struct font *none;
	struct rgb ink = { 0, 0, 0 }, white = { 255, 255, 255 };
	const char *t = "Signed in — your name and affiliation will be published";
	int w1, w2, used, x, y, dark = 0;

	w1 = font_text_width(font, FONT_REGULAR, 20, "Karlín", strlen("Karlín"));
	w2 = font_text_width(font, FONT_REGULAR, 40, "Karlín", strlen("Karlín"));
	assert_true(w1 > 30 && w2 > w1 * 3 / 2);
	assert_true(font_text_width(font, FONT_BOLD, 20, "Karlín", 7) >= w1);
	assert_int_equal(font_wrap_lines(font, FONT_REGULAR, 20, 5000, t), 1);
	assert_true(font_wrap_lines(font, FONT_REGULAR, 20, 150, t) >= 4);
	/* A word wider than the line is broken rather than overflowing. */
	assert_true(font_wrap_lines(font, FONT_REGULAR, 20, 60,
	    "Antidisestablishmentarianism") >= 3);

	assert_int_equal(canvas_init(&c, 200, 100), 0);
	canvas_fill(&c, white);
	used = font_draw_wrapped(font, &c, FONT_REGULAR, 16, 0, 0, 200, 40, ink, t);
	assert_true(used <= 40 && used > 0);
	for (y = 0; y < 100; y++)
		for (x = 0; x < 200; x++)
			dark += canvas_get(&c, x, y).r < 128;
	assert_true(dark > 100);
	/* Cut to the box: nothing drawn below max_h. */
	for (y = 41; y < 100; y++)
		for (x = 0; x < 200; x++)
			assert_int_equal(canvas_get(&c, x, y).r, 255);
	canvas_free(&c);

	assert_int_equal(font_open(&none, "/nonexistent/font.ttf", NULL), -ENOENT);
	assert_null(none);
}

/*
 * font.c draws from FreeType's glyph cache. The oracle here is FreeType
 * without a cache: each glyph loaded and rendered afresh at the size, as
 * font.c did before, and blended the same way. The cached drawing must
 * match it pixel for pixel, for both styles, several sizes, characters
 * outside ASCII and one the font lacks, the first time (cache empty) and
 * again (every glyph from the cache), and widths must agree too.
 */
static int
oracle_draw(const char *path, int px, struct canvas *c, const char *s)
{
	FT_Library lib;
	FT_Face face;
	long pen = 0;
	size_t i = 0, len = strlen(s);

	assert_int_equal(FT_Init_FreeType(&lib), 0);
	assert_int_equal(FT_New_Face(lib, path, 0, &face), 0);
	FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px);
	int base = (int)((face->size->metrics.ascender + 63) >> 6);
	while (i < len) {
		/* The strings below are ASCII plus two-byte UTF-8 only. */
		unsigned long cp = (unsigned char)s[i];
		if (cp >= 0xc0) {
			cp = ((cp & 0x1f) << 6) | ((unsigned char)s[i + 1] & 0x3f);
			i += 2;
		} else {
			i++;
		}
		if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0)
			continue;
		FT_GlyphSlot g = face->glyph;
		for (unsigned r = 0; r < g->bitmap.rows; r++)
			for (unsigned x = 0; x < g->bitmap.width; x++)
				canvas_blend(c, 5 + (int)(pen >> 6) + g->bitmap_left + (int)x,
				    3 + base - g->bitmap_top + (int)r, (struct rgb){ 0, 0, 0 },
				    g->bitmap.buffer[r * g->bitmap.pitch + x]);
		pen += g->advance.x;
	}
	FT_Done_Face(face);
	FT_Done_FreeType(lib);
	return (int)((pen + 63) >> 6);
}

static void
cached_glyphs_draw_what_freetype_renders(void **state)
{
	const char *text = "Karl\xc3\xadn QUIC (2/2) \xc3\x98resund \xc2\xa9 \xc7\xb6 gjpqy";
	const char *reg = getenv("NW_FONT") ? getenv("NW_FONT") : FONT_DEFAULT_REGULAR;
	const char *bold = getenv("NW_FONT_BOLD") ? getenv("NW_FONT_BOLD") : FONT_DEFAULT_BOLD;
	static const int px[] = { 9, 14, 23, 37, 61 };
	struct canvas want, got;
	struct font *f;

	assert_int_equal(font_open(&f, reg, bold), 0);
	assert_int_equal(canvas_init(&want, 1400, 90), 0);
	assert_int_equal(canvas_init(&got, 1400, 90), 0);
	for (int st = FONT_REGULAR; st <= FONT_BOLD; st++) {
		for (size_t k = 0; k < sizeof(px) / sizeof(px[0]); k++) {
			canvas_fill(&want, (struct rgb){ 255, 255, 255 });
			int w = oracle_draw(st == FONT_BOLD ? bold : reg, px[k], &want, text);
			assert_true(w > 0);
			for (int round = 0; round < 2; round++) {
				canvas_fill(&got, (struct rgb){ 255, 255, 255 });
				assert_int_equal(font_draw(f, &got, st, px[k], 5, 3,
				    (struct rgb){ 0, 0, 0 }, text, strlen(text)), w);
				assert_memory_equal(got.px, want.px, (size_t)want.w * want.h * 3);
				assert_int_equal(font_text_width(f, st, px[k], text, strlen(text)), w);
			}
		}
	}
	canvas_free(&want);
	canvas_free(&got);
	font_close(f);
}

static void
png_write_is_atomic_and_leaves_no_temp_files(void **state)
{
	struct canvas c;
	char dir[300], path[400], *got;
	struct dirent *de;
	DIR *d;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/atomic", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/screen.png", dir);
	assert_int_equal(canvas_init(&c, 200, 200), 0);
	canvas_fill(&c, (struct rgb){ 255, 255, 255 });
	assert_int_equal(qr_draw(&c, 10, 10, 180, "first"), 180 / qr_modules("first") *
	    qr_modules("first"));
	assert_int_equal(display_png_write(path, &c), 0);
	canvas_fill(&c, (struct rgb){ 255, 255, 255 });
	assert_true(qr_draw(&c, 10, 10, 180, "second") > 0);
	assert_int_equal(display_png_write(path, &c), 0);
	got = zbar(path);
	assert_string_equal(got, "second\n");
	free(got);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		files += de->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1);

	/* A directory that is not there: an error, and nothing written. */
	assert_int_equal(display_png_write("/nonexistent-dir/screen.png", &c), -ENOENT);
	canvas_free(&c);
}

static void
png_backend_presents_through_ops(void **state)
{
	struct display d;
	struct canvas c;
	char path[400], *got;

	snprintf(path, sizeof(path), "%s/ops.png", tmpdir);
	assert_int_equal(display_png_open(&d, path, 480, 320), 0);
	assert_int_equal(d.w, 480);
	assert_int_equal(canvas_init(&c, d.w, d.h), 0);
	canvas_fill(&c, (struct rgb){ 255, 255, 255 });
	assert_true(qr_draw(&c, 0, 0, 300, "via ops") > 0);
	assert_int_equal(display_present(&d, &c), 0);
	display_close(&d);
	assert_int_equal(display_present(&d, &c), -EBADF);
	got = zbar(path);
	assert_string_equal(got, "via ops\n");
	free(got);
	canvas_free(&c);
}

static void
fb_open_refuses_what_is_not_a_framebuffer(void **state)
{
	struct display d = { 0 };

	assert_int_equal(display_fb_open(&d, "/nonexistent/fb0"), -ENOENT);
	/* /dev/null opens but has no framebuffer ioctls. */
	assert_true(display_fb_open(&d, "/dev/null") < 0);
	assert_null(d.ops);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(notice_qr_decodes_to_versioned_url_at_every_size),
		cmocka_unit_test(second_qr_for_online_signin_decodes_too),
		cmocka_unit_test(recording_indicator_shows_state),
		cmocka_unit_test(notice_text_and_counts_are_drawn),
		cmocka_unit_test(enrollment_screen_qr_decodes_to_payload),
		cmocka_unit_test(too_small_for_qr_is_reported),
		cmocka_unit_test(redraw_on_change_and_level_at_most_every_interval),
		cmocka_unit_test(level_only_redraw_touches_only_the_meter),
		cmocka_unit_test(canvas_clips_and_blits),
		cmocka_unit_test(font_measures_wraps_and_draws_utf8),
		cmocka_unit_test(cached_glyphs_draw_what_freetype_renders),
		cmocka_unit_test(png_write_is_atomic_and_leaves_no_temp_files),
		cmocka_unit_test(png_backend_presents_through_ops),
		cmocka_unit_test(fb_open_refuses_what_is_not_a_framebuffer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
