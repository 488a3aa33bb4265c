/*
 * HID boot-keyboard decoder. Usage numbers are from the HID Usage Tables,
 * Keyboard/Keypad page (0x07). The layouts map key positions to the ASCII
 * characters the host OS would type; keys whose character is not ASCII
 * (umlauts, accented letters, currency signs) map to 0 and reject the code,
 * since badge codes and setup codes are ASCII.
 */
#include "hid.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

enum {
	KEY_ERR_ROLLOVER = 0x01,	/* 0x01..0x03: error states, not keys */
	KEY_ERR_UNDEFINED = 0x03,
	KEY_ENTER = 0x28,
	KEY_TAB = 0x2b,
	KEY_SPACE = 0x2c,
	KEY_KP_ENTER = 0x58,
	KEY_MOD_FIRST = 0xe0,	/* modifiers belong in byte 0, never in a slot */
	KEY_MOD_LAST = 0xe7,
	KEY_TABLE = 0x68,	/* the tables cover usages below this */
};

enum {
	MOD_LCTRL = 0x01, MOD_LSHIFT = 0x02, MOD_LALT = 0x04, MOD_LGUI = 0x08,
	MOD_RCTRL = 0x10, MOD_RSHIFT = 0x20, MOD_RALT = 0x40, MOD_RGUI = 0x80,
};

/* One key: the character at level plain/shift/AltGr (0 = nothing typable),
 * and a bitmask of the levels that are dead keys (accent waits for the next
 * key; followed by Space it types the accent itself). */
struct keydef {
	char lv[3];
	unsigned char dead;
};

#define LETTER(u, c) [u] = { { c, (char)((c) - 'a' + 'A'), 0 }, 0 }
#define K(u, p, s, a) [u] = { { p, s, a }, 0 }
#define DEAD(u, p, s, a, m) [u] = { { p, s, a }, m }

/* Keys every layout here types the same way: space and the keypad (scanners
 * in "numeric keypad" mode use it; we assume Num Lock, as they do). */
#define COMMON_KEYS \
	K(0x2c, ' ', ' ', 0), \
	K(0x54, '/', '/', 0), K(0x55, '*', '*', 0), K(0x56, '-', '-', 0), \
	K(0x57, '+', '+', 0), K(0x59, '1', '1', 0), K(0x5a, '2', '2', 0), \
	K(0x5b, '3', '3', 0), K(0x5c, '4', '4', 0), K(0x5d, '5', '5', 0), \
	K(0x5e, '6', '6', 0), K(0x5f, '7', '7', 0), K(0x60, '8', '8', 0), \
	K(0x61, '9', '9', 0), K(0x62, '0', '0', 0), K(0x63, '.', '.', 0), \
	K(0x67, '=', '=', 0)

static const struct keydef keymap_us[KEY_TABLE] = {
	LETTER(0x04, 'a'), LETTER(0x05, 'b'), LETTER(0x06, 'c'), LETTER(0x07, 'd'),
	LETTER(0x08, 'e'), LETTER(0x09, 'f'), LETTER(0x0a, 'g'), LETTER(0x0b, 'h'),
	LETTER(0x0c, 'i'), LETTER(0x0d, 'j'), LETTER(0x0e, 'k'), LETTER(0x0f, 'l'),
	LETTER(0x10, 'm'), LETTER(0x11, 'n'), LETTER(0x12, 'o'), LETTER(0x13, 'p'),
	LETTER(0x14, 'q'), LETTER(0x15, 'r'), LETTER(0x16, 's'), LETTER(0x17, 't'),
	LETTER(0x18, 'u'), LETTER(0x19, 'v'), LETTER(0x1a, 'w'), LETTER(0x1b, 'x'),
	LETTER(0x1c, 'y'), LETTER(0x1d, 'z'),
	K(0x1e, '1', '!', 0), K(0x1f, '2', '@', 0), K(0x20, '3', '#', 0),
	K(0x21, '4', '$', 0), K(0x22, '5', '%', 0), K(0x23, '6', '^', 0),
	K(0x24, '7', '&', 0), K(0x25, '8', '*', 0), K(0x26, '9', '(', 0),
	K(0x27, '0', ')', 0),
	K(0x2d, '-', '_', 0), K(0x2e, '=', '+', 0), K(0x2f, '[', '{', 0),
	K(0x30, ']', '}', 0), K(0x31, '\\', '|', 0), K(0x32, '\\', '|', 0),
	K(0x33, ';', ':', 0), K(0x34, '\'', '"', 0), K(0x35, '`', '~', 0),
	K(0x36, ',', '<', 0), K(0x37, '.', '>', 0), K(0x38, '/', '?', 0),
	K(0x64, '\\', '|', 0),
	COMMON_KEYS,
};

/* German QWERTZ (Linux/X11 "de"): Y and Z swapped, AltGr symbols, ^ and the
 * acute/grave key are dead keys. */
static const struct keydef keymap_de[KEY_TABLE] = {
	LETTER(0x04, 'a'), LETTER(0x05, 'b'), LETTER(0x06, 'c'), LETTER(0x07, 'd'),
	LETTER(0x08, 'e'), LETTER(0x09, 'f'), LETTER(0x0a, 'g'), LETTER(0x0b, 'h'),
	LETTER(0x0c, 'i'), LETTER(0x0d, 'j'), LETTER(0x0e, 'k'), LETTER(0x0f, 'l'),
	LETTER(0x10, 'm'), LETTER(0x11, 'n'), LETTER(0x12, 'o'), LETTER(0x13, 'p'),
	K(0x14, 'q', 'Q', '@'), LETTER(0x15, 'r'), LETTER(0x16, 's'),
	LETTER(0x17, 't'), LETTER(0x18, 'u'), LETTER(0x19, 'v'), LETTER(0x1a, 'w'),
	LETTER(0x1b, 'x'), LETTER(0x1c, 'z'), LETTER(0x1d, 'y'),
	K(0x1e, '1', '!', 0), K(0x1f, '2', '"', 0), K(0x20, '3', 0, 0),
	K(0x21, '4', '$', 0), K(0x22, '5', '%', 0), K(0x23, '6', '&', 0),
	K(0x24, '7', '/', '{'), K(0x25, '8', '(', '['), K(0x26, '9', ')', ']'),
	K(0x27, '0', '=', '}'),
	K(0x2d, 0, '?', '\\'),			/* sharp s */
	DEAD(0x2e, 0, '`', 0, 2),		/* acute (not ASCII) / grave */
	K(0x2f, 0, 0, 0),			/* u umlaut */
	K(0x30, '+', '*', '~'),
	K(0x31, '#', '\'', 0), K(0x32, '#', '\'', 0),
	K(0x33, 0, 0, 0), K(0x34, 0, 0, 0),	/* o, a umlaut */
	DEAD(0x35, '^', 0, 0, 1),		/* circumflex / degree */
	K(0x36, ',', ';', 0), K(0x37, '.', ':', 0), K(0x38, '-', '_', 0),
	K(0x64, '<', '>', '|'),
	COMMON_KEYS,
};

/* French AZERTY (Linux/X11 "fr"): digits need Shift, A/Q, Z/W and M moved,
 * the circumflex key is dead. */
static const struct keydef keymap_fr[KEY_TABLE] = {
	LETTER(0x04, 'q'), LETTER(0x05, 'b'), LETTER(0x06, 'c'), LETTER(0x07, 'd'),
	LETTER(0x08, 'e'), LETTER(0x09, 'f'), LETTER(0x0a, 'g'), LETTER(0x0b, 'h'),
	LETTER(0x0c, 'i'), LETTER(0x0d, 'j'), LETTER(0x0e, 'k'), LETTER(0x0f, 'l'),
	K(0x10, ',', '?', 0), LETTER(0x11, 'n'), LETTER(0x12, 'o'),
	LETTER(0x13, 'p'), LETTER(0x14, 'a'), LETTER(0x15, 'r'), LETTER(0x16, 's'),
	LETTER(0x17, 't'), LETTER(0x18, 'u'), LETTER(0x19, 'v'), LETTER(0x1a, 'z'),
	LETTER(0x1b, 'x'), LETTER(0x1c, 'y'), LETTER(0x1d, 'w'),
	K(0x1e, '&', '1', 0), K(0x1f, 0, '2', '~'), K(0x20, '"', '3', '#'),
	K(0x21, '\'', '4', '{'), K(0x22, '(', '5', '['), K(0x23, '-', '6', '|'),
	K(0x24, 0, '7', '`'), K(0x25, '_', '8', '\\'), K(0x26, 0, '9', '^'),
	K(0x27, 0, '0', '@'),
	K(0x2d, ')', 0, ']'), K(0x2e, '=', '+', '}'),
	DEAD(0x2f, '^', 0, 0, 1),		/* circumflex / diaeresis */
	K(0x30, '$', 0, 0),
	K(0x31, '*', 0, 0), K(0x32, '*', 0, 0),
	LETTER(0x33, 'm'), K(0x34, 0, '%', 0), K(0x35, 0, 0, 0),
	K(0x36, ';', '.', 0), K(0x37, ':', '/', 0), K(0x38, '!', 0, 0),
	K(0x64, '<', '>', 0),
	COMMON_KEYS,
};

static const struct {
	const char *name;
	enum hid_layout layout;
	const struct keydef *map;
} layouts[] = {
	{ "us", HID_LAYOUT_US, keymap_us },
	{ "de", HID_LAYOUT_DE, keymap_de },
	{ "fr", HID_LAYOUT_FR, keymap_fr },
};

static const struct keydef *
layout_map(enum hid_layout l)
{
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (layouts[i].layout == l)
			return layouts[i].map;
	return keymap_us;
}

int
hid_layout_from_name(const char *name, enum hid_layout *out)
{
	for (size_t i = 0; name && i < sizeof layouts / sizeof layouts[0]; i++)
		if (strcasecmp(name, layouts[i].name) == 0) {
			*out = layouts[i].layout;
			return 0;
		}
	return -EINVAL;
}

const char *
hid_layout_name(enum hid_layout l)
{
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		if (layouts[i].layout == l)
			return layouts[i].name;
	return "?";
}

const char *
hid_strerror(enum hid_reason r)
{
	switch (r) {
	case HID_OK:
		return "ok";
	case HID_ERR_REPORT_LEN:
		return "HID report has the wrong length";
	case HID_ERR_ROLLOVER:
		return "keyboard reported a rollover or error state";
	case HID_ERR_REPORT:
		return "malformed HID report";
	case HID_ERR_CHORD:
		return "key pressed with Ctrl, Alt or GUI held";
	case HID_ERR_KEY:
		return "key types no valid character in this layout";
	case HID_ERR_TOO_LONG:
		return "code too long";
	case HID_ERR_TIMEOUT:
		return "code not terminated in time";
	case HID_ERR_DETACHED:
		return "scanner detached while typing";
	}
	return "unknown HID error";
}

static void
reset_code(struct hid_decoder *d)
{
	d->active = 0;
	d->poison = HID_OK;
	d->dead = 0;
	d->res.len = 0;
	d->res.code[0] = '\0';
}

void
hid_decoder_init(struct hid_decoder *d, enum hid_layout layout,
    uint32_t timeout_ms, size_t max_len, hid_emit_fn emit, void *emit_arg)
{
	memset(d, 0, sizeof *d);
	d->layout = layout;
	d->timeout_ms = timeout_ms;
	if (max_len < 1)
		max_len = 1;
	d->max_len = max_len > HID_CODE_MAX ? HID_CODE_MAX : max_len;
	d->emit = emit;
	d->emit_arg = emit_arg;
	reset_code(d);
}

/* Records the first fault of this attempt; later ones add nothing. */
static void
poison(struct hid_decoder *d, enum hid_reason why)
{
	d->active = 1;
	if (d->poison == HID_OK)
		d->poison = why;
}

static void
emit_reject(struct hid_decoder *d, enum hid_reason why)
{
	/* The typed prefix is dropped, not reported: it may be part of a
	 * badge id, which has no place in a rejection log line. */
	d->res.event = HID_REJECT;
	d->res.reason = why;
	d->res.len = 0;
	d->res.code[0] = '\0';
	if (d->emit)
		d->emit(d->emit_arg, &d->res);
	reset_code(d);
}

/* A terminator: the attempt ends here, well or badly. */
static int
finish(struct hid_decoder *d)
{
	if (d->dead)
		poison(d, HID_ERR_KEY);
	if (d->poison != HID_OK) {
		emit_reject(d, d->poison);
		return 1;
	}
	if (d->res.len == 0) {
		reset_code(d);
		return 0;
	}
	d->res.event = HID_CODE;
	d->res.reason = HID_OK;
	d->res.code[d->res.len] = '\0';
	if (d->emit)
		d->emit(d->emit_arg, &d->res);
	reset_code(d);
	return 1;
}

static void
add_char(struct hid_decoder *d, char c)
{
	d->active = 1;
	if (d->poison != HID_OK)
		return;
	if (d->res.len >= d->max_len) {
		poison(d, HID_ERR_TOO_LONG);
		return;
	}
	d->res.code[d->res.len++] = c;
	d->res.code[d->res.len] = '\0';
}

/* Modifiers that turn a key into a command rather than a character. Right
 * Alt is AltGr in the European layouts and a chord key in the US one. */
static unsigned
chord_mask(enum hid_layout l)
{
	unsigned m = MOD_LCTRL | MOD_LALT | MOD_LGUI | MOD_RCTRL | MOD_RGUI;

	return l == HID_LAYOUT_US ? m | MOD_RALT : m;
}

/* Handles one newly pressed key. Returns the number of events emitted. */
static int
press(struct hid_decoder *d, uint8_t key, uint8_t mods)
{
	if (key == KEY_ENTER || key == KEY_KP_ENTER || key == KEY_TAB)
		return finish(d);
	d->active = 1;
	if (mods & chord_mask(d->layout)) {
		poison(d, HID_ERR_CHORD);
		return 0;
	}
	int shift = (mods & (MOD_LSHIFT | MOD_RSHIFT)) != 0;
	int altgr = d->layout != HID_LAYOUT_US && (mods & MOD_RALT);
	if (shift && altgr) {
		/* The fourth level holds no ASCII in these layouts. */
		poison(d, HID_ERR_KEY);
		return 0;
	}
	int level = altgr ? 2 : shift;
	const struct keydef *k = key < KEY_TABLE ? &layout_map(d->layout)[key] : NULL;
	char c = k ? k->lv[level] : 0;
	if (d->dead) {
		/* An accent followed by Space types the accent; with anything
		 * else it would compose a non-ASCII letter. */
		char accent = d->dead;
		d->dead = 0;
		if (key == KEY_SPACE)
			add_char(d, accent);
		else
			poison(d, HID_ERR_KEY);
		return 0;
	}
	if (!c)
		poison(d, HID_ERR_KEY);
	else if (k->dead & (1u << level))
		d->dead = c;
	else
		add_char(d, c);
	return 0;
}

/* Checks the key slots of a full-length report. Returns HID_OK or the fault. */
static enum hid_reason
check_slots(const uint8_t *keys)
{
	for (int i = 0; i < 6; i++) {
		uint8_t k = keys[i];
		if (k >= KEY_ERR_ROLLOVER && k <= KEY_ERR_UNDEFINED)
			return HID_ERR_ROLLOVER;
		if (k >= KEY_MOD_FIRST && k <= KEY_MOD_LAST)
			return HID_ERR_REPORT;
		for (int j = 0; k && j < i; j++)
			if (keys[j] == k)
				return HID_ERR_REPORT;
	}
	return HID_OK;
}

static int
expire(struct hid_decoder *d)
{
	emit_reject(d, d->poison != HID_OK ? d->poison : HID_ERR_TIMEOUT);
	return 1;
}

static int
is_stale(const struct hid_decoder *d, uint64_t now_ms)
{
	return d->active && d->timeout_ms && now_ms >= d->last_ms &&
	    now_ms - d->last_ms >= d->timeout_ms;
}

int
hid_feed(struct hid_decoder *d, const uint8_t *report, size_t len, uint64_t now_ms)
{
	int n = 0;

	if (is_stale(d, now_ms))
		n += expire(d);
	if (!report || len != HID_REPORT_LEN) {
		/* Held keys are left as they were: we cannot tell from a
		 * damaged report which keys went up. */
		poison(d, HID_ERR_REPORT_LEN);
		d->last_ms = now_ms;
		return n;
	}
	const uint8_t mods = report[0], *keys = report + 2;
	enum hid_reason bad = check_slots(keys);
	if (bad != HID_OK) {
		poison(d, bad);
		d->last_ms = now_ms;
		return n;
	}
	/* A key is pressed when it appears in a slot and was not held in the
	 * previous report; slot order is the order the keyboard saw them.
	 * Only presses restart the timeout: a device that keeps sending empty
	 * or unchanged reports cannot keep a half-typed code alive. */
	for (int i = 0; i < 6; i++) {
		if (!keys[i] || memchr(d->held, keys[i], sizeof d->held))
			continue;
		d->last_ms = now_ms;
		n += press(d, keys[i], mods);
	}
	memcpy(d->held, keys, sizeof d->held);
	return n;
}

int
hid_tick(struct hid_decoder *d, uint64_t now_ms)
{
	return is_stale(d, now_ms) ? expire(d) : 0;
}

uint64_t
hid_deadline(const struct hid_decoder *d)
{
	if (!d->active || !d->timeout_ms)
		return 0;
	return d->last_ms + d->timeout_ms;
}

int
hid_abort(struct hid_decoder *d, enum hid_reason reason)
{
	int n = 0;

	if (d->active) {
		emit_reject(d, d->poison != HID_OK ? d->poison : reason);
		n = 1;
	}
	memset(d->held, 0, sizeof d->held);
	return n;
}
