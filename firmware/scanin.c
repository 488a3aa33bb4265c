/*
 * Scanner input: USB scanners and the sim FIFO feed scanfeed (one HID
 * decoder per scanner, validation, flood limit, timeouts); its finished
 * events land here and take the one blue-sheet path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "scanfeed.h"
#include "scanner.h"

struct scanin {
	struct daemon *d;
	struct scanfeed *feed;
	struct scanner *usb;
	struct scanner_fifo *fifo;
};

static void
on_event(void *arg, const struct scanfeed_event *e)
{
	struct scanin *in = arg;
	struct daemon *d = in->d;
	struct nw_stamp now;
	char msg[256], detail[512];

	nwclock_now(&d->clock, &now);
	switch (e->kind) {
	case SCANFEED_BADGE:
		bluesheet_scan(d, e->code, e->scanner_id, msg, sizeof msg);
		break;
	case SCANFEED_SETUP:
		/* scanfeed hands over the payload; the scan path wants the code
		 * as typed, and routes it to enrollment. */
		snprintf(detail, sizeof detail, "%s%s", d->cfg.setup_prefix, e->code);
		bluesheet_scan(d, detail, e->scanner_id, msg, sizeof msg);
		break;
	case SCANFEED_REJECT:
		/* The rejected text itself is never logged: it may be someone's
		 * half-read badge. */
		snprintf(detail, sizeof detail, "source=%s reason=%s%s", e->scanner_id, e->why,
		    e->dropped > 1 ? " (flood)" : "");
		journal_event(d->journal, "scan-rejected", detail, &now);
		d->scans_rejected++;
		snprintf(d->last_scan, sizeof d->last_scan, "Not a badge - try again");
		d->last_scan_ok = 0;
		snprintf(msg, sizeof msg, "Not read (%s). Please scan again.", e->why);
		d->board.ack(&d->board, 0, msg);
		break;
	case SCANFEED_ATTACH:
	case SCANFEED_DETACH:
		journal_event(d->journal, e->kind == SCANFEED_ATTACH ? "scanner-attached" :
		    "scanner-detached", e->scanner_id, &now);
		log_info("scanner %s %s", e->scanner_id,
		    e->kind == SCANFEED_ATTACH ? "attached" : "detached");
		break;
	}
}

int
scanin_open(struct daemon *d, struct scanin **out)
{
	struct scanin *in = calloc(1, sizeof *in);
	struct scanfeed_config sc;
	struct scanner_ids ids;
	const char *bad = NULL;
	int rc;

	if (!in)
		return -ENOMEM;
	in->d = d;
	*out = in;
	scanfeed_config_default(&sc);
	if (scanfeed_configure(&sc, d->cfg.keyboard_layout, d->cfg.badge_min_len,
	    d->cfg.badge_max_len, d->cfg.badge_charset, d->cfg.setup_prefix,
	    d->cfg.scan_timeout_ms, &bad) < 0) {
		log_warnx("scanner setting %s is invalid", bad ? bad : "?");
		return -EINVAL;
	}
	if (!(in->feed = scanfeed_new(d->loop, &sc, on_event, in)))
		return -ENOMEM;
	if (d->cfg.scanner_fifo[0]) {
		rc = scanner_fifo_open(&in->fifo, d->loop, d->cfg.scanner_fifo, scanfeed_cbs(in->feed));
		if (rc != 0) {
			log_warnx("scanner fifo %s: %s", d->cfg.scanner_fifo, strerror(-rc));
			return rc;
		}
	}
	if (scanner_ids_parse(&ids, d->cfg.scanner_ids) != 0)
		return -EINVAL;
	/* No USB on this machine is not fatal: scans still come through
	 * notewellctl and the FIFO, and the screen shows the scanner alarm. */
	if ((rc = scanner_open(&in->usb, d->loop, &ids, scanfeed_cbs(in->feed))) != 0)
		log_warnx("USB scanners unavailable: %s", strerror(-rc));
	return 0;
}

void
scanin_close(struct scanin *in)
{
	if (!in)
		return;
	scanner_close(in->usb);
	scanner_fifo_close(in->fifo);
	scanfeed_free(in->feed);
	free(in);
}

int
scanin_count(struct scanin *in)
{
	return in && in->feed ? (int)scanfeed_scanners(in->feed) : 0;
}
