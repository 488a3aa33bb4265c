#ifndef NW_SCANFEED_H
#define NW_SCANFEED_H
/*
 * The scan input pipeline between scanner sources and the daemon: one HID
 * decoder per attached scanner, the badge validator, and a flood limit. It
 * plugs into any source as its scanner_cbs and hands the daemon finished
 * outcomes only:
 *
 *   scanner.c / scanner_fifo.c --reports--> scanfeed --events--> daemon
 *
 * Every attempt to scan ends in exactly one event (BADGE, SETUP or REJECT),
 * unless the flood limit drops it, which is itself reported (see below).
 * Nothing partial ever comes out. Events are delivered synchronously from
 * inside the source's callbacks or the timer.
 */
#include <stddef.h>
#include <stdint.h>

#include "badge.h"
#include "hid.h"
#include "loop.h"
#include "scanner.h"

enum scanfeed_kind {
	SCANFEED_BADGE,		/* code: a valid badge id for the blue sheet */
	SCANFEED_SETUP,		/* code: the enrollment payload (prefix removed) */
	SCANFEED_REJECT,	/* why: what was wrong; audit it, give feedback */
	SCANFEED_ATTACH,	/* a scanner appeared */
	SCANFEED_DETACH,	/* a scanner went away */
};

struct scanfeed_event {
	enum scanfeed_kind kind;
	const char *scanner_id;
	uint64_t now_ms;
	const char *code;	/* BADGE/SETUP: NUL-terminated; else NULL */
	size_t len;
	/* REJECT only: */
	enum hid_reason hid;	/* decoder fault, or HID_OK */
	enum badge_status badge; /* validator verdict when the decoder was happy */
	unsigned dropped;	/* flood: attempts dropped (0 if not a flood) */
	const char *why;	/* one human-readable line, never the code */
};

typedef void (*scanfeed_event_fn)(void *arg, const struct scanfeed_event *);

struct scanfeed_config {
	enum hid_layout layout;
	uint32_t timeout_ms;	/* half-typed code discarded after this */
	size_t max_len;		/* decoder cap: must fit setup codes too */
	struct badge_config badge;
	/* At most flood_max outcomes per scanner per flood_window_ms; 0 turns
	 * the limit off. Beyond it attempts are dropped: the first drop in a
	 * window is reported at once (dropped = 1), the rest as one summary
	 * when the window ends (dropped = how many). */
	unsigned flood_max;
	uint32_t flood_window_ms;
	/* Clock; NULL means loop_now_ms. Tests pass a fake. */
	uint64_t (*now_ms)(void);
};

#define SCANFEED_DEFAULT_TIMEOUT_MS 1000
#define SCANFEED_DEFAULT_FLOOD_MAX 10
#define SCANFEED_DEFAULT_FLOOD_WINDOW_MS 1000

/* Defaults: US layout, 1 s timeout, decoder cap HID_CODE_MAX, badge defaults
 * (badge.h), 10 outcomes per second per scanner. */
void scanfeed_config_default(struct scanfeed_config *);

/* Applies the config-file values; NULL/0 arguments keep the current value.
 * Returns 0, or -EINVAL with *bad_key naming the offending key (cfg is then
 * unchanged): keyboard_layout, badge_min_len, badge_max_len, badge_charset,
 * setup_prefix, scan_timeout_ms. */
int scanfeed_configure(struct scanfeed_config *cfg, const char *keyboard_layout,
    unsigned badge_min_len, unsigned badge_max_len, const char *badge_charset,
    const char *setup_prefix, unsigned scan_timeout_ms, const char **bad_key);

struct scanfeed;

/* loop may be NULL: then nobody arms the timer and the caller must call
 * scanfeed_tick itself (tests do). Returns NULL only without memory. */
struct scanfeed *scanfeed_new(struct loop *loop, const struct scanfeed_config *,
    scanfeed_event_fn fn, void *arg);
/* Detaches any scanner still attached (DETACH events), frees everything.
 * Close the sources first so they stop calling in. */
void scanfeed_free(struct scanfeed *);

/* The callbacks to hand to scanner_open / scanner_fifo_open. Valid as long
 * as the scanfeed lives. */
const struct scanner_cbs *scanfeed_cbs(struct scanfeed *);

/* Expires half-typed codes and ends flood windows. Runs from the loop timer
 * on its own; exposed for loop-less use. */
void scanfeed_tick(struct scanfeed *, uint64_t now_ms);

/* Number of scanners attached now (for status output). */
size_t scanfeed_scanners(const struct scanfeed *);

#endif
