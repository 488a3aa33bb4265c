#include "scanfeed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scanfeed_dev {
	struct scanfeed *sf;
	struct hid_decoder dec;
	char id[SCANNER_ID_MAX];
	/* flood window */
	uint64_t win_start;
	unsigned win_count;
	unsigned win_dropped;	/* drops after the first, not yet reported */
	struct scanfeed_dev *next;
};

struct scanfeed {
	struct loop *loop;
	struct scanfeed_config cfg;
	scanfeed_event_fn fn;
	void *arg;
	struct scanner_cbs cbs;
	struct scanfeed_dev *devs;
	size_t ndevs;
	long timer;		/* 0 when not armed */
	uint64_t timer_due;
	uint64_t now;		/* time of the report being handled */
};

void
scanfeed_config_default(struct scanfeed_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->layout = HID_LAYOUT_US;
	cfg->timeout_ms = SCANFEED_DEFAULT_TIMEOUT_MS;
	cfg->max_len = HID_CODE_MAX;
	badge_config_init(&cfg->badge, BADGE_DEFAULT_MIN_LEN,
	    BADGE_DEFAULT_MAX_LEN, BADGE_DEFAULT_CHARSET,
	    BADGE_DEFAULT_SETUP_PREFIX, 0);
	cfg->flood_max = SCANFEED_DEFAULT_FLOOD_MAX;
	cfg->flood_window_ms = SCANFEED_DEFAULT_FLOOD_WINDOW_MS;
}

int
scanfeed_configure(struct scanfeed_config *cfg, const char *keyboard_layout,
    unsigned badge_min_len, unsigned badge_max_len, const char *badge_charset,
    const char *setup_prefix, unsigned scan_timeout_ms, const char **bad_key)
{
	struct scanfeed_config c = *cfg;
	const char *bad = NULL;

	if (keyboard_layout && hid_layout_from_name(keyboard_layout, &c.layout) < 0)
		bad = "keyboard_layout";
	/* Only the keys given are checked, against the ones kept. The
	 * charset and prefix are not stored as text, so the badge config is
	 * rebuilt from the defaults when either changes. */
	size_t min = badge_min_len ? badge_min_len : c.badge.min_len;
	size_t max = badge_max_len ? badge_max_len : c.badge.max_len;
	if (!bad && (badge_min_len || badge_max_len || badge_charset || setup_prefix)) {
		struct badge_config b;
		if (min > max)
			bad = badge_min_len ? "badge_min_len" : "badge_max_len";
		else if (badge_config_init(&b, min, max, NULL, NULL, 0) != BADGE_VALID)
			bad = badge_max_len ? "badge_max_len" : "badge_min_len";
		else if (badge_charset && badge_config_init(&b, min, max,
		    badge_charset, NULL, 0) != BADGE_VALID)
			bad = "badge_charset";
		else if (setup_prefix && badge_config_init(&b, min, max, NULL,
		    setup_prefix, 0) != BADGE_VALID)
			bad = "setup_prefix";
		if (!bad) {
			/* Keep the old allowed set and prefix unless replaced. */
			b = c.badge;
			b.min_len = min;
			b.max_len = max;
			if (badge_charset) {
				struct badge_config t;
				badge_config_init(&t, min, max, badge_charset, NULL, 0);
				memcpy(b.allowed, t.allowed, sizeof b.allowed);
			}
			if (setup_prefix)
				strcpy(b.setup_prefix, setup_prefix);
			c.badge = b;
		}
	}
	if (!bad && scan_timeout_ms) {
		if (scan_timeout_ms > 60000)
			bad = "scan_timeout_ms";
		else
			c.timeout_ms = scan_timeout_ms;
	}
	if (bad) {
		if (bad_key)
			*bad_key = bad;
		return -EINVAL;
	}
	*cfg = c;
	return 0;
}

static uint64_t
feed_now(const struct scanfeed *sf)
{
	return sf->cfg.now_ms ? sf->cfg.now_ms() : loop_now_ms();
}

static void
deliver(struct scanfeed *sf, struct scanfeed_event *ev)
{
	if (sf->fn)
		sf->fn(sf->arg, ev);
}

static void
reject_flood(struct scanfeed_dev *d, unsigned dropped)
{
	struct scanfeed_event ev = {
		.kind = SCANFEED_REJECT, .scanner_id = d->id,
		.now_ms = d->sf->now, .dropped = dropped,
		.why = "too many scans from one scanner; dropped",
	};

	deliver(d->sf, &ev);
}

/* Ends the flood window if its time is up, reporting what it dropped. */
static void
flood_close(struct scanfeed_dev *d, uint64_t now, int force)
{
	const struct scanfeed_config *c = &d->sf->cfg;

	if (!force && now - d->win_start < c->flood_window_ms)
		return;
	if (d->win_dropped)
		reject_flood(d, d->win_dropped);
	d->win_start = now;
	d->win_count = 0;
	d->win_dropped = 0;
}

/* 1 if this outcome may go out, 0 if the flood limit eats it. */
static int
admit(struct scanfeed_dev *d)
{
	const struct scanfeed_config *c = &d->sf->cfg;

	if (!c->flood_max)
		return 1;
	flood_close(d, d->sf->now, 0);
	if (d->win_count < c->flood_max) {
		d->win_count++;
		return 1;
	}
	if (d->win_count++ == c->flood_max)
		reject_flood(d, 1);
	else
		d->win_dropped++;
	return 0;
}

/* The decoder finished an attempt. */
static void
on_decoded(void *arg, const struct hid_result *r)
{
	struct scanfeed_dev *d = arg;
	struct scanfeed_event ev = {
		.scanner_id = d->id, .now_ms = d->sf->now,
		.hid = HID_OK, .badge = BADGE_VALID,
	};

	if (!admit(d))
		return;
	if (r->event == HID_REJECT) {
		ev.kind = SCANFEED_REJECT;
		ev.hid = r->reason;
		ev.why = hid_strerror(r->reason);
	} else {
		const char *payload = NULL;
		ev.badge = badge_check(&d->sf->cfg.badge, r->code, r->len, &payload);
		if (ev.badge == BADGE_VALID) {
			ev.kind = SCANFEED_BADGE;
			ev.code = r->code;
			ev.len = r->len;
		} else if (ev.badge == BADGE_SETUP) {
			ev.kind = SCANFEED_SETUP;
			ev.code = payload;
			ev.len = r->len - (size_t)(payload - r->code);
		} else {
			ev.kind = SCANFEED_REJECT;
			ev.why = badge_strerror(ev.badge);
		}
	}
	deliver(d->sf, &ev);
}

static uint64_t
dev_deadline(const struct scanfeed_dev *d)
{
	uint64_t t = hid_deadline(&d->dec);
	uint64_t w = d->win_dropped ? d->win_start + d->sf->cfg.flood_window_ms : 0;

	if (!t || (w && w < t))
		t = w;
	return t;
}

static void on_timer(struct loop *, void *);

/* Keeps one loop timer armed for the earliest deadline of any scanner. */
static void
rearm(struct scanfeed *sf)
{
	uint64_t due = 0;

	if (!sf->loop)
		return;
	for (struct scanfeed_dev *d = sf->devs; d; d = d->next) {
		uint64_t t = dev_deadline(d);
		if (t && (!due || t < due))
			due = t;
	}
	if (sf->timer && sf->timer_due == due)
		return;
	if (sf->timer)
		loop_del_timer(sf->loop, sf->timer);
	sf->timer = 0;
	if (!due)
		return;
	uint64_t now = feed_now(sf);
	long id = loop_add_timer(sf->loop, due > now ? due - now : 0, on_timer, sf);
	if (id > 0) {
		sf->timer = id;
		sf->timer_due = due;
	}
}

static void
on_timer(struct loop *l, void *arg)
{
	struct scanfeed *sf = arg;

	sf->timer = 0;
	scanfeed_tick(sf, feed_now(sf));
}

void
scanfeed_tick(struct scanfeed *sf, uint64_t now_ms)
{
	sf->now = now_ms;
	for (struct scanfeed_dev *d = sf->devs; d; d = d->next) {
		hid_tick(&d->dec, now_ms);
		if (d->win_dropped)
			flood_close(d, now_ms, 0);
	}
	rearm(sf);
}

static void *
cb_attach(void *arg, const char *scanner_id)
{
	struct scanfeed *sf = arg;
	struct scanfeed_dev *d = calloc(1, sizeof *d);
	struct scanfeed_event ev = { .kind = SCANFEED_ATTACH };

	if (!d)
		return NULL;
	d->sf = sf;
	snprintf(d->id, sizeof d->id, "%s", scanner_id);
	hid_decoder_init(&d->dec, sf->cfg.layout, sf->cfg.timeout_ms,
	    sf->cfg.max_len, on_decoded, d);
	sf->now = feed_now(sf);
	d->win_start = sf->now;
	d->next = sf->devs;
	sf->devs = d;
	sf->ndevs++;
	ev.scanner_id = d->id;
	ev.now_ms = sf->now;
	deliver(sf, &ev);
	return d;
}

static void
cb_report(void *arg, void *dev, const char *scanner_id, const uint8_t *report,
    size_t len)
{
	struct scanfeed *sf = arg;
	struct scanfeed_dev *d = dev;

	sf->now = feed_now(sf);
	hid_feed(&d->dec, report, len, sf->now);
	rearm(sf);
}

static void
cb_detach(void *arg, void *dev, const char *scanner_id)
{
	struct scanfeed *sf = arg;
	struct scanfeed_dev *d = dev, **pp;
	struct scanfeed_event ev = { .kind = SCANFEED_DETACH };

	if (!d)
		return;		/* attach failed for lack of memory */
	sf->now = feed_now(sf);
	hid_abort(&d->dec, HID_ERR_DETACHED);
	flood_close(d, sf->now, 1);
	for (pp = &sf->devs; *pp && *pp != d; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = d->next;
		sf->ndevs--;
	}
	ev.scanner_id = d->id;
	ev.now_ms = sf->now;
	deliver(sf, &ev);
	free(d);
	rearm(sf);
}

struct scanfeed *
scanfeed_new(struct loop *loop, const struct scanfeed_config *cfg,
    scanfeed_event_fn fn, void *arg)
{
	struct scanfeed *sf = calloc(1, sizeof *sf);

	if (!sf)
		return NULL;
	sf->loop = loop;
	sf->cfg = *cfg;
	sf->fn = fn;
	sf->arg = arg;
	sf->cbs = (struct scanner_cbs){ cb_attach, cb_report, cb_detach, sf };
	return sf;
}

void
scanfeed_free(struct scanfeed *sf)
{
	if (!sf)
		return;
	while (sf->devs)
		cb_detach(sf, sf->devs, sf->devs->id);
	if (sf->timer)
		loop_del_timer(sf->loop, sf->timer);
	free(sf);
}

const struct scanner_cbs *
scanfeed_cbs(struct scanfeed *sf)
{
	return &sf->cbs;
}

size_t
scanfeed_scanners(const struct scanfeed *sf)
{
	return sf->ndevs;
}
