/*
 * Scanner input: every attached scanner (USB or the sim FIFO) gets its own
 * HID decoder, so two scanners typing at once never mix characters. A
 * decoded code goes to bluesheet_scan(); a failed attempt (timeout, junk,
 * unplugged mid-code) is refused with feedback and an audit event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "hid.h"
#include "log.h"
#include "scanner.h"

struct scanin {
	struct daemon *d;
	struct scanner *usb;
	struct scanner_fifo *fifo;
	int attached;
};

struct scandev {
	struct scanin *in;
	struct hid_decoder dec;
	long timer;
	char id[96];
};

static void
on_code(void *arg, const struct hid_result *r)
{
	struct scandev *dev = arg;
	struct daemon *d = dev->in->d;
	struct nw_stamp now;
	char msg[256], detail[256];

	if (r->event == HID_CODE) {
		bluesheet_scan(d, r->code, dev->id, msg, sizeof msg);
		return;
	}
	nwclock_now(&d->clock, &now);
	snprintf(detail, sizeof detail, "source=%s reason=%s", dev->id, hid_strerror(r->reason));
	journal_event(d->journal, "scan-rejected", detail, &now);
	d->scans_rejected++;
	snprintf(d->last_scan, sizeof d->last_scan, "Not a badge - try again");
	d->last_scan_ok = 0;
	snprintf(msg, sizeof msg, "Not read (%s). Please scan again.", hid_strerror(r->reason));
	d->board.ack(&d->board, 0, msg);
}

static void
on_deadline(struct loop *l, void *arg)
{
	struct scandev *dev = arg;

	dev->timer = 0;
	hid_tick(&dev->dec, loop_now_ms());
}

static void *
on_attach(void *arg, const char *id)
{
	struct scanin *in = arg;
	struct daemon *d = in->d;
	struct scandev *dev = calloc(1, sizeof *dev);
	enum hid_layout layout = HID_LAYOUT_US;
	struct nw_stamp now;

	if (!dev)
		return NULL;
	dev->in = in;
	snprintf(dev->id, sizeof dev->id, "%s", id);
	hid_layout_from_name(d->cfg.keyboard_layout, &layout);
	/* Setup codes are longer than badges: allow the longer of the two. */
	hid_decoder_init(&dev->dec, layout, d->cfg.scan_timeout_ms, HID_CODE_MAX, on_code, dev);
	in->attached++;
	nwclock_now(&d->clock, &now);
	journal_event(d->journal, "scanner-attached", id, &now);
	log_info("scanner %s attached", id);
	return dev;
}

static void
on_report(void *arg, void *devp, const char *id, const uint8_t *report, size_t len)
{
	struct scandev *dev = devp;
	uint64_t due;

	if (!dev)
		return;
	hid_feed(&dev->dec, report, len, loop_now_ms());
	if (dev->timer > 0)
		loop_del_timer(dev->in->d->loop, dev->timer);
	dev->timer = 0;
	if ((due = hid_deadline(&dev->dec)) != 0) {
		uint64_t now = loop_now_ms();
		dev->timer = loop_add_timer(dev->in->d->loop, due > now ? due - now : 0,
		    on_deadline, dev);
	}
}

static void
on_detach(void *arg, void *devp, const char *id)
{
	struct scanin *in = arg;
	struct scandev *dev = devp;
	struct nw_stamp now;

	nwclock_now(&in->d->clock, &now);
	journal_event(in->d->journal, "scanner-detached", id, &now);
	log_info("scanner %s detached", id);
	if (!dev)
		return;
	hid_abort(&dev->dec, HID_ERR_DETACHED);
	if (dev->timer > 0)
		loop_del_timer(in->d->loop, dev->timer);
	in->attached--;
	free(dev);
}

int
scanin_open(struct daemon *d, struct scanin **out)
{
	struct scanin *in = calloc(1, sizeof *in);
	struct scanner_cbs cbs = { on_attach, on_report, on_detach, NULL };
	struct scanner_ids ids;
	int rc;

	if (!in)
		return -ENOMEM;
	in->d = d;
	cbs.arg = in;
	*out = in;
	if (d->cfg.scanner_fifo[0]) {
		rc = scanner_fifo_open(&in->fifo, d->loop, d->cfg.scanner_fifo, &cbs);
		if (rc != 0) {
			log_warnx("scanner fifo %s: %s", d->cfg.scanner_fifo, strerror(-rc));
			return rc;
		}
	}
	if (scanner_ids_parse(&ids, d->cfg.scanner_ids) != 0)
		return -EINVAL;
	/* No USB on this machine is not fatal: scans still come through
	 * notewellctl and the FIFO, and the screen shows the scanner alarm. */
	if ((rc = scanner_open(&in->usb, d->loop, &ids, &cbs)) != 0)
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
	free(in);
}

int
scanin_count(struct scanin *in)
{
	return in ? in->attached : 0;
}
