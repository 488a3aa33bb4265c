#ifndef NW_SCREEN_H
#define NW_SCREEN_H
/*
 * The room screen. The daemon keeps a struct screen_model up to date (plain
 * data, no pointers, so it can be copied and compared) and screen_render()
 * lays it out on a canvas of any size from 480x320 upwards:
 *
 *   +----------------------------------------------+
 *   | (o) RECORDING              (state band)      |
 *   | Room                                 +-----+ |
 *   | Session title                        | QR  | |
 *   | notice: recording text               +-----+ |
 *   | notice: blue sheet text              privacy |
 *   | Signed in: 12   last scan result     [QR 2]  |
 *   | level meter        alarms                    |
 *   +----------------------------------------------+
 *
 * Redraw policy lives here too (screen_redraw_due) so the daemon redraws on
 * a change and lets the level meter move at most a few times a second.
 */
#include <stdint.h>

#include "canvas.h"
#include "font.h"
#include "notice.h"

enum screen_state { SCREEN_IDLE, SCREEN_RECORDING, SCREEN_PAUSED };
enum screen_scan { SCREEN_SCAN_NONE, SCREEN_SCAN_OK, SCREEN_SCAN_REJECTED };

#define SCREEN_ALARM_SILENCE	(1u << 0)
#define SCREEN_ALARM_CLIPPING	(1u << 1)
#define SCREEN_ALARM_DISK	(1u << 2)
#define SCREEN_ALARM_CLOCK	(1u << 3)	/* wall clock not synchronised */
#define SCREEN_ALARM_SYNC	(1u << 4)	/* sync backlog to the host */
#define SCREEN_ALARM_SCANNER	(1u << 5)	/* no badge scanner attached */

/* Below this the meter shows no signal ("no audio"). */
#define SCREEN_LEVEL_FLOOR (-60.0f)
/* Level-only changes are drawn at most this often. */
#define SCREEN_LEVEL_INTERVAL_MS 250

#define SCREEN_QR_MAX (NOTICE_URL_MAX + NOTICE_VERSION_MAX + 8)

struct screen_model {
	char room[64];
	char session[160];
	enum screen_state state;
	/* From the notice in force; see screen_model_set_notice(). */
	char notice_recording[NOTICE_TEXT_MAX];
	char notice_bluesheet[NOTICE_TEXT_MAX];
	char notice_qr[SCREEN_QR_MAX];
	unsigned signed_in;
	enum screen_scan scan;
	char scan_text[200];	/* e.g. "Signed in — your name ... published" */
	float level_dbfs;	/* NaN or below SCREEN_LEVEL_FLOOR: no signal */
	unsigned alarms;	/* SCREEN_ALARM_* */
	/* "Forgot your badge? Sign in online": second QR when non-empty. */
	char signin_url[NOTICE_URL_MAX];
	/* Enrollment: the whole screen is a setup QR and its caption. */
	int enrollment;
	char enroll_payload[512];
	char enroll_text[200];
};

/* Zeroes m and sets the level to "no signal". */
void screen_model_init(struct screen_model *m);
/* The words the screen shows for one SCREEN_ALARM_* bit; NULL if none. */
const char *screen_alarm_text(unsigned bit);
/* Copies the notice's screen texts and its QR URL (notice_qr_url). */
int screen_model_set_notice(struct screen_model *m, const struct notice *n);

enum screen_change {
	SCREEN_SAME = 0,
	SCREEN_LEVEL_ONLY,	/* only the meter moved (by a whole dB or more) */
	SCREEN_CHANGED,
};
enum screen_change screen_model_compare(const struct screen_model *a,
    const struct screen_model *b);

/*
 * Redraw bookkeeping: call with the current model whenever it may have
 * changed and from a SCREEN_LEVEL_INTERVAL_MS timer. Returns the kind of
 * redraw to do now (SCREEN_SAME: nothing) and then treats m as shown.
 * now_ms is the loop's monotonic clock, passed in so tests need no sleeps.
 */
struct screen_redraw {
	struct screen_model shown;
	int valid;
	uint64_t level_ms;
};
void screen_redraw_init(struct screen_redraw *);
enum screen_change screen_redraw_due(struct screen_redraw *,
    const struct screen_model *m, uint64_t now_ms);

/* Where things go on a w x h screen; exported so tests can look there. */
struct screen_rect {
	int x, y, w, h;
};
struct screen_layout {
	struct screen_rect band;	/* state band across the top */
	struct screen_rect indicator;	/* the disc inside the band */
	struct screen_rect body;	/* room, session, notice, scans */
	struct screen_rect qr;		/* notice QR and caption column */
	struct screen_rect meter;	/* level meter */
	struct screen_rect alarms;
	int pad;
};
void screen_layout(int w, int h, struct screen_layout *l);

/*
 * Draws the whole screen. 0, or -ENOSPC if the canvas is too small for a
 * readable QR code (the rest is still drawn), or -errno from qr_draw.
 */
int screen_render(struct canvas *, const struct screen_model *,
    const struct font *);
/* Repaints only the level meter, for SCREEN_LEVEL_ONLY. */
void screen_render_level(struct canvas *, const struct screen_model *,
    const struct font *);

#endif
