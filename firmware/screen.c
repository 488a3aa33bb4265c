/*
 * Room screen layout and redraw policy; see screen.h.
 *
 * Everything scales from the screen height so one layout serves a 3.5"
 * 480x320 panel and a 7" 800x480 one. Text that does not fit at its
 * preferred size is shrunk, down to a floor, and then cut with "…": the
 * recording state and the QR code must never be pushed off the screen.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qr.h"
#include "screen.h"

static const struct rgb
    WHITE = { 255, 255, 255 }, INK = { 20, 20, 20 }, GREY = { 110, 110, 110 },
    BAND_REC = { 200, 0, 0 }, DOT_REC = { 255, 40, 40 },
    BAND_PAUSE = { 235, 150, 0 }, BAND_IDLE = { 80, 80, 80 },
    RING_IDLE = { 170, 170, 170 }, OK_GREEN = { 0, 130, 40 },
    BAD_RED = { 190, 0, 0 }, METER_BG = { 225, 225, 225 },
    METER_GREEN = { 40, 170, 60 }, METER_AMBER = { 235, 160, 0 },
    METER_RED = { 220, 30, 30 };

#define MIN_PX 10

void
screen_model_init(struct screen_model *m)
{
	memset(m, 0, sizeof(*m));
	m->level_dbfs = NAN;
}

int
screen_model_set_notice(struct screen_model *m, const struct notice *n)
{
	snprintf(m->notice_recording, sizeof(m->notice_recording), "%s",
	    n->screen_recording);
	snprintf(m->notice_bluesheet, sizeof(m->notice_bluesheet), "%s",
	    n->screen_bluesheet);
	return notice_qr_url(n, m->notice_qr, sizeof(m->notice_qr));
}

/* Whole dB, with every "no signal" value folded into one. */
static int
level_step(float db)
{
	if (isnan(db) || db < SCREEN_LEVEL_FLOOR)
		return -1000;
	if (db > 0)
		return 0;
	return (int)lrintf(db);
}

enum screen_change
screen_model_compare(const struct screen_model *a, const struct screen_model *b)
{
	/* Field by field: memcmp would also compare padding and stale text. */
	if (strcmp(a->room, b->room) || strcmp(a->session, b->session) ||
	    a->state != b->state ||
	    strcmp(a->notice_recording, b->notice_recording) ||
	    strcmp(a->notice_bluesheet, b->notice_bluesheet) ||
	    strcmp(a->notice_qr, b->notice_qr) || a->signed_in != b->signed_in ||
	    a->scan != b->scan || strcmp(a->scan_text, b->scan_text) ||
	    a->alarms != b->alarms || strcmp(a->signin_url, b->signin_url) ||
	    a->enrollment != b->enrollment ||
	    strcmp(a->enroll_payload, b->enroll_payload) ||
	    strcmp(a->enroll_text, b->enroll_text))
		return SCREEN_CHANGED;
	if (level_step(a->level_dbfs) != level_step(b->level_dbfs))
		return SCREEN_LEVEL_ONLY;
	return SCREEN_SAME;
}

void
screen_redraw_init(struct screen_redraw *r)
{
	memset(r, 0, sizeof(*r));
}

enum screen_change
screen_redraw_due(struct screen_redraw *r, const struct screen_model *m,
    uint64_t now_ms)
{
	enum screen_change c;

	c = r->valid ? screen_model_compare(&r->shown, m) : SCREEN_CHANGED;
	if (c == SCREEN_SAME)
		return SCREEN_SAME;
	/*
	 * The meter alone waits its turn; the shown model keeps the old level
	 * so the next call after the interval still sees the difference.
	 */
	if (c == SCREEN_LEVEL_ONLY && now_ms - r->level_ms < SCREEN_LEVEL_INTERVAL_MS)
		return SCREEN_SAME;
	r->shown = *m;
	r->valid = 1;
	r->level_ms = now_ms;
	return c;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

void
screen_layout(int w, int h, struct screen_layout *l)
{
	int pad = imax(4, h / 60), band_h = h * 17 / 100, foot_h = h * 12 / 100;
	int body_h = h - band_h - foot_h - 2 * pad;
	int qr_w = imin(w * 36 / 100, body_h);

	memset(l, 0, sizeof(*l));
	l->pad = pad;
	l->band = (struct screen_rect){ 0, 0, w, band_h };
	l->indicator = (struct screen_rect){ pad, pad, band_h - 2 * pad,
	    band_h - 2 * pad };
	l->qr = (struct screen_rect){ w - pad - qr_w, band_h + pad, qr_w, body_h };
	l->body = (struct screen_rect){ pad, band_h + pad, w - qr_w - 3 * pad,
	    body_h };
	l->meter = (struct screen_rect){ pad, h - foot_h, w * 30 / 100,
	    foot_h - pad };
	l->alarms = (struct screen_rect){ 2 * pad + w * 30 / 100, h - foot_h,
	    w - 3 * pad - w * 30 / 100, foot_h - pad };
}

/* Largest size <= px at which text wraps into max_h. */
static int
fit_px(const struct font *f, enum font_style st, const char *text, int max_w,
    int max_h, int px)
{
	for (; px > MIN_PX; px--)
		if (font_wrap_lines(f, st, px, max_w, text) *
		    font_line_height(f, st, px) <= max_h)
			break;
	return px;
}

/* One line, shrunk to fit the width; returns the height used. */
static int
draw_line_fit(struct canvas *c, const struct font *f, enum font_style st,
    int px, int x, int y, int max_w, struct rgb col, const char *s)
{
	size_t len = strlen(s);

	while (px > MIN_PX && font_text_width(f, st, px, s, len) > max_w)
		px--;
	font_draw_wrapped(f, c, st, px, x, y, max_w, font_line_height(f, st, px),
	    col, s);
	return font_line_height(f, st, px);
}

static void
draw_band(struct canvas *c, const struct screen_layout *l,
    enum screen_state st, const struct font *f, const char *override)
{
	const struct screen_rect *b = &l->band, *in = &l->indicator;
	int r = in->w / 2, cx = in->x + r, cy = in->y + r, tx, px;
	struct rgb band;
	const char *label;

	switch (st) {
	case SCREEN_RECORDING:
		band = BAND_REC;
		label = "RECORDING";
		break;
	case SCREEN_PAUSED:
		band = BAND_PAUSE;
		label = "PAUSED \xe2\x80\x94 NOT RECORDING";
		break;
	case SCREEN_IDLE:
	default:
		band = BAND_IDLE;
		label = "NOT RECORDING";
		break;
	}
	if (override)
		label = override;
	canvas_fill_rect(c, b->x, b->y, b->w, b->h, band);
	/* The disc reads at a distance even for people who cannot read the word. */
	if (st == SCREEN_RECORDING) {
		canvas_fill_circle(c, cx, cy, r, WHITE);
		canvas_fill_circle(c, cx, cy, r * 3 / 4, DOT_REC);
	} else if (st == SCREEN_PAUSED) {
		canvas_fill_circle(c, cx, cy, r, WHITE);
		canvas_fill_rect(c, cx - r / 2, cy - r / 2, r / 3, r, band);
		canvas_fill_rect(c, cx + r / 2 - r / 3, cy - r / 2, r / 3, r, band);
	} else {
		canvas_fill_circle(c, cx, cy, r, RING_IDLE);
		canvas_fill_circle(c, cx, cy, r * 3 / 4, band);
	}
	tx = in->x + in->w + 2 * l->pad;
	px = b->h * 45 / 100;
	while (px > MIN_PX && font_text_width(f, FONT_BOLD, px, label,
	    strlen(label)) > b->w - tx - l->pad)
		px--;
	font_draw(f, c, FONT_BOLD, px, tx,
	    b->y + (b->h - font_line_height(f, FONT_BOLD, px)) / 2, WHITE,
	    label, strlen(label));
}

/* QR with a caption under it; returns the height used or -errno. */
static int
draw_qr(struct canvas *c, const struct font *f, int x, int y, int w, int h,
    const char *payload, const char *caption, int px)
{
	int lh = font_line_height(f, FONT_REGULAR, px), side, cw, n;

	/* Centred in its column: the column is wider than a stacked code. */
	if ((n = qr_modules(payload)) < 0)
		return n;
	side = imin(w, h - lh) / n * n;
	if (side > 0)
		x += (w - side) / 2;
	side = qr_draw(c, x, y, side, payload);
	if (side < 0)
		return side;
	cw = font_text_width(f, FONT_REGULAR, px, caption, strlen(caption));
	font_draw(f, c, FONT_REGULAR, px, x + imax(0, (side - cw) / 2), y + side,
	    GREY, caption, strlen(caption));
	return side + lh;
}

static void
draw_meter(struct canvas *c, const struct screen_layout *l,
    const struct screen_model *m, const struct font *f)
{
	const struct screen_rect *r = &l->meter;
	int px = imax(MIN_PX, r->h * 45 / 100), lvl = level_step(m->level_dbfs);
	int tw, bx, bw, fill;
	char txt[32];
	struct rgb col;

	canvas_fill_rect(c, r->x, r->y, r->w, r->h, WHITE);
	if (lvl <= -1000)
		snprintf(txt, sizeof(txt), "no audio");
	else
		snprintf(txt, sizeof(txt), "%d dB", lvl);
	tw = font_text_width(f, FONT_REGULAR, px, "no audio", 8);
	font_draw(f, c, FONT_REGULAR, px, r->x,
	    r->y + (r->h - font_line_height(f, FONT_REGULAR, px)) / 2, INK, txt,
	    strlen(txt));
	bx = r->x + tw + l->pad;
	bw = r->w - tw - l->pad;
	if (bw < 4)
		return;
	canvas_fill_rect(c, bx, r->y + r->h / 4, bw, r->h / 2, METER_BG);
	if (lvl <= -1000)
		return;
	/* -60..0 dBFS across the bar; amber from -12, red from -3 (near clipping). */
	fill = (int)((long)bw * (lvl - (int)SCREEN_LEVEL_FLOOR) /
	    (int)-SCREEN_LEVEL_FLOOR);
	col = lvl >= -3 ? METER_RED : lvl >= -12 ? METER_AMBER : METER_GREEN;
	canvas_fill_rect(c, bx, r->y + r->h / 4, fill, r->h / 2, col);
}


/* What the screen says for each alarm (also what ctl status reports). */
static const struct {
	unsigned bit;
	const char *text;
} names[] = {
	{ SCREEN_ALARM_SILENCE, "SILENCE" },
	{ SCREEN_ALARM_CLIPPING, "CLIPPING" },
	{ SCREEN_ALARM_DISK, "DISK LOW" },
	{ SCREEN_ALARM_CLOCK, "CLOCK NOT SYNCED" },
	{ SCREEN_ALARM_SYNC, "SYNC BACKLOG" },
	{ SCREEN_ALARM_SCANNER, "NO SCANNER" },
};

const char *
screen_alarm_text(unsigned bit)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit == bit)
			return names[i].text;
	return NULL;
}

static void
draw_alarms(struct canvas *c, const struct screen_layout *l, unsigned alarms,
    const struct font *f)
{
	const struct screen_rect *r = &l->alarms;
	char buf[200] = "";
	size_t i;
	int px;

	canvas_fill_rect(c, r->x, r->y, r->w, r->h, WHITE);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(alarms & names[i].bit))
			continue;
		if (buf[0])
			strcat(buf, " \xc2\xb7 ");
		strcat(buf, names[i].text);
	}
	if (!buf[0])
		return;
	px = fit_px(f, FONT_BOLD, buf, r->w, r->h, r->h * 45 / 100);
	font_draw_wrapped(f, c, FONT_BOLD, px, r->x, r->y, r->w, r->h, BAD_RED, buf);
}

static int
render_enrollment(struct canvas *c, const struct screen_model *m,
    const struct font *f, const struct screen_layout *l)
{
	int pad = l->pad, top = l->band.h + pad, h = c->h - top - pad;
	int side, tx, px;
	const char *text = m->enroll_text[0] ? m->enroll_text :
	    "Setup: scan this code to enroll the room box.";

	draw_band(c, l, SCREEN_IDLE, f, "SETUP");
	side = qr_draw(c, pad, top, imin(h, c->w * 60 / 100), m->enroll_payload);
	if (side < 0)
		return side;
	tx = pad + side + 2 * pad;
	if (m->room[0])
		top += draw_line_fit(c, f, FONT_BOLD, c->h / 14, tx, top,
		    c->w - tx - pad, INK, m->room) + pad;
	px = fit_px(f, FONT_REGULAR, text, c->w - tx - pad, c->h - top - pad,
	    c->h / 16);
	font_draw_wrapped(f, c, FONT_REGULAR, px, tx, top, c->w - tx - pad,
	    c->h - top - pad, INK, text);
	return 0;
}

/* Notice texts, shrunk together so both always show in full if possible. */
static void
draw_notice(struct canvas *c, const struct screen_model *m,
    const struct font *f, int x, int y, int w, int h, int pad)
{
	int px, lh, used;

	for (px = c->h / 20; px > MIN_PX; px--) {
		lh = font_line_height(f, FONT_REGULAR, px);
		if ((font_wrap_lines(f, FONT_REGULAR, px, w, m->notice_recording) +
		    font_wrap_lines(f, FONT_REGULAR, px, w, m->notice_bluesheet)) *
		    lh + pad <= h)
			break;
	}
	used = font_draw_wrapped(f, c, FONT_REGULAR, px, x, y, w, h, INK,
	    m->notice_recording);
	if (used + pad < h)
		font_draw_wrapped(f, c, FONT_REGULAR, px, x, y + used + pad, w,
		    h - used - pad, INK, m->notice_bluesheet);
}

int
screen_render(struct canvas *c, const struct screen_model *m,
    const struct font *f)
{
	struct screen_layout l;
	const struct screen_rect *b;
	int y, bottom, cap_px, used, rc = 0, scan_h, lh;
	char count[64];

	screen_layout(c->w, c->h, &l);
	canvas_fill(c, WHITE);
	if (m->enrollment)
		return render_enrollment(c, m, f, &l);
	draw_band(c, &l, m->state, f, NULL);

	/* QR column: the notice, and the online sign-in page below if given. */
	cap_px = imax(MIN_PX, c->h / 26);
	if (m->notice_qr[0]) {
		int qh = m->signin_url[0] ? l.qr.h / 2 : l.qr.h;
		used = draw_qr(c, f, l.qr.x, l.qr.y, l.qr.w, qh, m->notice_qr,
		    "Privacy statement", cap_px);
		if (used < 0)
			rc = used;
		else if (m->signin_url[0]) {
			used = draw_qr(c, f, l.qr.x, l.qr.y + used, l.qr.w,
			    l.qr.h - used, m->signin_url, "No badge? Sign in", cap_px);
			if (used < 0)
				rc = used;
		}
	} else {
		/* Recording without a notice must not look normal to the operator. */
		font_draw_wrapped(f, c, FONT_BOLD, cap_px, l.qr.x, l.qr.y, l.qr.w,
		    l.qr.h, BAD_RED, "No privacy notice in force");
	}

	b = &l.body;
	y = b->y;
	bottom = b->y + b->h;
	if (m->room[0])
		y += draw_line_fit(c, f, FONT_BOLD, c->h / 22, b->x, y, b->w, GREY,
		    m->room);
	if (m->session[0]) {
		int px = fit_px(f, FONT_BOLD, m->session, b->w,
		    2 * font_line_height(f, FONT_BOLD, c->h / 16), c->h / 16);
		y += font_draw_wrapped(f, c, FONT_BOLD, px, b->x, y, b->w,
		    2 * font_line_height(f, FONT_BOLD, px), INK, m->session);
	}
	y += l.pad;

	/* Scan area at the bottom of the body: count, then the last result. */
	lh = font_line_height(f, FONT_BOLD, c->h / 18);
	scan_h = lh + (m->scan != SCREEN_SCAN_NONE ?
	    2 * font_line_height(f, FONT_BOLD, c->h / 22) : 0);
	if (bottom - scan_h > y)
		draw_notice(c, m, f, b->x, y, b->w, bottom - scan_h - y - l.pad,
		    l.pad);
	y = bottom - scan_h;
	snprintf(count, sizeof(count), "Signed in: %u", m->signed_in);
	y += draw_line_fit(c, f, FONT_BOLD, c->h / 18, b->x, y, b->w, INK, count);
	if (m->scan != SCREEN_SCAN_NONE) {
		int px = fit_px(f, FONT_BOLD, m->scan_text, b->w, bottom - y,
		    c->h / 22);
		font_draw_wrapped(f, c, FONT_BOLD, px, b->x, y, b->w, bottom - y,
		    m->scan == SCREEN_SCAN_OK ? OK_GREEN : BAD_RED, m->scan_text);
	}

	draw_meter(c, &l, m, f);
	draw_alarms(c, &l, m->alarms, f);
	return rc;
}

void
screen_render_level(struct canvas *c, const struct screen_model *m,
    const struct font *f)
{
	struct screen_layout l;

	if (m->enrollment)
		return;
	screen_layout(c->w, c->h, &l);
	draw_meter(c, &l, m, f);
}
