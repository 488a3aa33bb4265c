#ifndef NW_HID_H
#define NW_HID_H
/*
 * HID boot-keyboard report decoder: turns the 8-byte reports a keyboard-wedge
 * badge scanner sends (modifier bitmap, reserved byte, six key slots) into
 * typed codes.
 *
 * Contract:
 * - One decoder per scanner: reports of two scanners must never interleave in
 *   one decoder, because "new key" is judged against the previous report.
 * - Every attempt to type a code ends in exactly one event through the emit
 *   callback: HID_CODE (terminated by Enter, keypad Enter or Tab) or
 *   HID_REJECT with a reason. A code is never delivered partially.
 * - A fault (malformed report, rollover error, a Ctrl/Alt/GUI chord, a key
 *   with no ASCII meaning in the layout, an over-long burst) poisons the code
 *   being typed: everything up to the next terminator, or up to a quiet gap of
 *   timeout_ms, is discarded and reported once as HID_REJECT. That way the
 *   tail of a damaged code can never pass as a shorter valid code.
 * - A code left unterminated for timeout_ms after its last key press is
 *   discarded (HID_ERR_TIMEOUT); hid_tick() notices that without new input.
 * - A stray terminator with nothing typed produces no event.
 * Time is whatever monotonic millisecond clock the caller uses (loop_now_ms).
 */
#include <stddef.h>
#include <stdint.h>

#define HID_REPORT_LEN 8	/* boot protocol keyboard input report */
#define HID_CODE_MAX 512	/* hard cap for max_len; setup QR codes are long */

enum hid_layout {
	HID_LAYOUT_US,
	HID_LAYOUT_DE,		/* German QWERTZ, AltGr on right Alt */
	HID_LAYOUT_FR,		/* French AZERTY, AltGr on right Alt */
};

enum hid_event {
	HID_CODE,		/* res->code holds a complete code */
	HID_REJECT,		/* res->reason says why the attempt failed */
};

enum hid_reason {
	HID_OK = 0,
	HID_ERR_REPORT_LEN,	/* report is not 8 bytes long */
	HID_ERR_ROLLOVER,	/* keyboard reported ErrorRollOver/POSTFail/undefined */
	HID_ERR_REPORT,		/* impossible report: modifier or duplicate in key slots */
	HID_ERR_CHORD,		/* a key pressed with Ctrl, Alt or GUI held */
	HID_ERR_KEY,		/* a key that types no ASCII character in this layout */
	HID_ERR_TOO_LONG,	/* more than max_len characters */
	HID_ERR_TIMEOUT,	/* no terminator within timeout_ms of the last report */
	HID_ERR_DETACHED,	/* scanner went away mid-code (hid_abort) */
};

struct hid_result {
	enum hid_event event;
	enum hid_reason reason;	/* HID_OK for HID_CODE */
	size_t len;		/* strlen(code) */
	char code[HID_CODE_MAX + 1];	/* NUL-terminated, printable ASCII */
};

typedef void (*hid_emit_fn)(void *arg, const struct hid_result *);

struct hid_decoder {
	/* configuration */
	enum hid_layout layout;
	uint32_t timeout_ms;
	size_t max_len;
	hid_emit_fn emit;
	void *emit_arg;
	/* keys held in the previous report, so a held key is typed once */
	uint8_t held[6];
	/* the code being typed */
	int active;		/* something typed or poisoned since the last event */
	enum hid_reason poison;	/* first fault of this attempt, HID_OK if none */
	char dead;		/* pending dead-key accent (0 if none) */
	uint64_t last_ms;	/* time of the last key press or bad report */
	struct hid_result res;	/* buffer; emitted as is */
};

/* Sets up a decoder. max_len is clamped to 1..HID_CODE_MAX; a timeout of 0
 * disables the timeout. emit is called for every HID_CODE/HID_REJECT event,
 * from inside hid_feed/hid_tick/hid_abort, with a result valid during the call. */
void hid_decoder_init(struct hid_decoder *, enum hid_layout, uint32_t timeout_ms,
    size_t max_len, hid_emit_fn emit, void *emit_arg);

/* Feeds one input report of len bytes received at now_ms. Returns the number
 * of events emitted (0, 1 or more: a late report may first expire a stale
 * code, and one report may hold a terminator followed by a new key). Never
 * fails: bad input becomes a HID_REJECT event. */
int hid_feed(struct hid_decoder *, const uint8_t *report, size_t len, uint64_t now_ms);

/* Emits HID_ERR_TIMEOUT (or the earlier fault) for a code with no key press
 * (or bad report) for timeout_ms; empty or unchanged reports do not count as
 * activity. Call it from a timer; returns the number of events (0/1). */
int hid_tick(struct hid_decoder *, uint64_t now_ms);

/* When hid_tick next has work to do, or 0 if the decoder is idle: lets the
 * caller arm a one-shot timer instead of polling. */
uint64_t hid_deadline(const struct hid_decoder *);

/* Ends the current attempt with reason (e.g. HID_ERR_DETACHED) if something
 * was typed, and forgets held keys. Returns the number of events (0/1). */
int hid_abort(struct hid_decoder *, enum hid_reason reason);

/* "us", "de", "fr" (case-insensitive). Returns 0 or -EINVAL. */
int hid_layout_from_name(const char *name, enum hid_layout *out);
const char *hid_layout_name(enum hid_layout);
const char *hid_strerror(enum hid_reason);

#endif
