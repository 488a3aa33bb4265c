/*
 * Keyboard-wedge badge scanners through libusb. This layer only finds,
 * claims and reads devices; it holds no decoding logic, because it can only
 * be exercised with real (or QEMU-emulated) USB hardware.
 *
 * libusb runs inside our poll loop: its descriptors are registered with the
 * loop (and kept in step through the pollfd notifiers), and whenever one is
 * ready we let libusb handle events with a zero timeout. Hotplug callbacks
 * and transfer completions only record what happened; opening, claiming and
 * releasing devices happens afterwards, outside libusb's event handling,
 * where synchronous libusb calls are allowed.
 */
#include "scanner.h"

#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DEV_BUF_MAX 64		/* full-speed interrupt endpoints max out here */
#define DEV_MAX_ERRORS 8	/* consecutive transfer errors before giving up */
/* Reads kept queued on the endpoint. With one, every key waits for the
 * loop to come round and resubmit; while the loop is busy (a full screen
 * redraw under emulation takes 0.5 s) the device's own queue overflows and
 * keys are lost, and a lost Enter merges two badges. Each queued read
 * holds one report (a key is two: press, release). */
#define DEV_XFERS 32
#define CTRL_TIMEOUT_MS 1000
#define POLL_TIMER_MS 50	/* only where libusb needs its own timeouts */

struct scanner_dev {
	struct scanner *s;
	libusb_device *udev;	/* referenced */
	libusb_device_handle *h;
	struct libusb_transfer *xfer[DEV_XFERS];
	int iface;
	unsigned char ep;
	int busy;		/* transfers submitted, not yet completed */
	int gone;		/* unplugged, failed or closing: tear down when idle */
	int clear_halt;		/* endpoint stalled: clear and resubmit */
	int errors;
	void *ctx;		/* from on_attach */
	uint8_t buf[DEV_XFERS][DEV_BUF_MAX];
	char id[SCANNER_ID_MAX];
	struct scanner_dev *next;
};

/* A device just plugged in may not be ready to claim yet (the kernel is
 * still configuring it, or its driver still binding): retry for a while. */
#define ATTACH_TRIES 20
#define ATTACH_RETRY_MS 100

struct arrival {
	libusb_device *udev;
	int tries;		/* failed attempts so far */
	int waiting;		/* for the retry timer */
};

struct scanner {
	struct loop *loop;
	libusb_context *usb;
	struct scanner_ids ids;
	struct scanner_cbs cbs;
	libusb_hotplug_callback_handle hotplug;
	int hotplug_on;
	long timer;
	struct scanner_dev *devs;
	struct arrival *arrived;	/* referenced, waiting to be claimed */
	size_t narrived, caparrived;
	long retry_timer;		/* armed while an arrival waits to retry */
};

static void scanner_process(struct scanner *);

static void
usb_fd_ready(struct loop *l, int fd, short revents, void *arg)
{
	struct scanner *s = arg;
	struct timeval zero = { 0, 0 };

	libusb_handle_events_timeout_completed(s->usb, &zero, NULL);
	scanner_process(s);
}

static void
usb_timer(struct loop *l, void *arg)
{
	struct scanner *s = arg;

	usb_fd_ready(l, -1, 0, s);
	s->timer = loop_add_timer(l, POLL_TIMER_MS, usb_timer, s);
}

static void
pollfd_added(int fd, short events, void *arg)
{
	struct scanner *s = arg;

	if (loop_add_fd(s->loop, fd, events, usb_fd_ready, s) < 0)
		log_warnx("scanner: cannot watch libusb descriptor %d", fd);
}

static void
pollfd_removed(int fd, void *arg)
{
	struct scanner *s = arg;

	loop_del_fd(s->loop, fd);
}

/* Cancels every read still queued (unplug, stall, close). */
static void
dev_cancel(struct scanner_dev *d)
{
	for (int i = 0; i < DEV_XFERS; i++)
		if (d->xfer[i])
			libusb_cancel_transfer(d->xfer[i]);
}

static void
xfer_done(struct libusb_transfer *x)
{
	struct scanner_dev *d = x->user_data;

	d->busy--;
	switch (x->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		d->errors = 0;
		if (d->ctx && d->s->cbs.on_report && !d->gone && !d->clear_halt)
			d->s->cbs.on_report(d->s->cbs.arg, d->ctx, d->id,
			    x->buffer, (size_t)x->actual_length);
		break;
	case LIBUSB_TRANSFER_TIMED_OUT:
		break;
	case LIBUSB_TRANSFER_STALL:
		/* The halt is cleared once every queued read has come back. */
		if (!d->clear_halt) {
			d->clear_halt = 1;
			dev_cancel(d);
		}
		return;
	case LIBUSB_TRANSFER_CANCELLED:
		if (!d->clear_halt)
			d->gone = 1;
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		d->gone = 1;
		return;
	default:
		if (++d->errors >= DEV_MAX_ERRORS) {
			log_warnx("scanner %s: %d transfer errors in a row, "
			    "releasing it", d->id, d->errors);
			d->gone = 1;
			dev_cancel(d);
			return;
		}
		break;
	}
	if (d->gone || d->clear_halt)
		return;
	if (libusb_submit_transfer(x) == 0)
		d->busy++;
	else {
		d->gone = 1;
		dev_cancel(d);
	}
}

/* Queues every read; 0, or a libusb error with none left queued. */
static int
dev_submit_all(struct scanner_dev *d)
{
	int rc;

	for (int i = 0; i < DEV_XFERS; i++) {
		if ((rc = libusb_submit_transfer(d->xfer[i])) < 0) {
			if (d->busy)
				dev_cancel(d);
			return rc;
		}
		d->busy++;
	}
	return 0;
}

static int
hotplug_cb(libusb_context *usb, libusb_device *udev, libusb_hotplug_event ev,
    void *arg)
{
	struct scanner *s = arg;
	struct libusb_device_descriptor dd;

	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
		for (struct scanner_dev *d = s->devs; d; d = d->next)
			if (d->udev == udev) {
				d->gone = 1;
				if (d->busy)
					dev_cancel(d);
			}
		for (size_t i = 0; i < s->narrived; i++)
			if (s->arrived[i].udev == udev) {
				libusb_unref_device(udev);
				s->arrived[i--] = s->arrived[--s->narrived];
			}
		return 0;
	}
	if (libusb_get_device_descriptor(udev, &dd) < 0 ||
	    !scanner_ids_match(&s->ids, dd.idVendor, dd.idProduct))
		return 0;
	if (s->narrived == s->caparrived) {
		size_t cap = s->caparrived ? s->caparrived * 2 : 8;
		struct arrival *n = realloc(s->arrived, cap * sizeof *n);
		if (!n) {
			log_warnx("scanner: out of memory, ignoring a scanner");
			return 0;
		}
		s->arrived = n;
		s->caparrived = cap;
	}
	s->arrived[s->narrived++] = (struct arrival){ libusb_ref_device(udev), 0, 0 };
	return 0;
}

/* Finds the keyboard-protocol HID interface and its interrupt IN endpoint.
 * Returns 0, or -ENODEV when the device has none. */
static int
find_keyboard(libusb_device *udev, int *iface, unsigned char *ep, int *boot)
{
	struct libusb_config_descriptor *cfg = NULL;
	int rc = -ENODEV;

	if (libusb_get_active_config_descriptor(udev, &cfg) < 0 &&
	    libusb_get_config_descriptor(udev, 0, &cfg) < 0)
		return -ENODEV;
	for (int i = 0; rc < 0 && i < cfg->bNumInterfaces; i++) {
		if (cfg->interface[i].num_altsetting < 1)
			continue;
		const struct libusb_interface_descriptor *id =
		    &cfg->interface[i].altsetting[0];
		if (id->bInterfaceClass != LIBUSB_CLASS_HID ||
		    id->bInterfaceProtocol != 1)
			continue;
		for (int e = 0; e < id->bNumEndpoints; e++) {
			const struct libusb_endpoint_descriptor *ed = &id->endpoint[e];
			if ((ed->bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
			    (ed->bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
				*iface = id->bInterfaceNumber;
				*ep = ed->bEndpointAddress;
				*boot = id->bInterfaceSubClass == 1;
				rc = 0;
				break;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return rc;
}

static void
dev_name(struct scanner_dev *d)
{
	struct libusb_device_descriptor dd;
	uint8_t ports[8];
	int n = libusb_get_port_numbers(d->udev, ports, sizeof ports);
	int off;

	libusb_get_device_descriptor(d->udev, &dd);
	off = snprintf(d->id, sizeof d->id, "usb:%04x:%04x@%u-", dd.idVendor,
	    dd.idProduct, libusb_get_bus_number(d->udev));
	for (int i = 0; i < n && off > 0 && (size_t)off < sizeof d->id; i++)
		off += snprintf(d->id + off, sizeof d->id - off, i ? ".%u" : "%u",
		    ports[i]);
}

/* Opens and claims one arrived device; takes over the reference, except
 * on -EAGAIN (not ready yet: open or claim failed), when the caller keeps
 * it to try again. */
static int
dev_attach(struct scanner *s, libusb_device *udev, int last_try)
{
	struct scanner_dev *d = NULL;
	int boot, rc, transient = 0;

	/* Enumeration and a hotplug event can both report one device. */
	for (struct scanner_dev *o = s->devs; o; o = o->next)
		if (o->udev == udev && !o->gone) {
			libusb_unref_device(udev);
			return 0;
		}
	if (!(d = calloc(1, sizeof *d)))
		goto fail;
	d->s = s;
	d->udev = udev;
	d->iface = -1;
	dev_name(d);
	if (find_keyboard(udev, &d->iface, &d->ep, &boot) < 0) {
		log_info("scanner %s: no keyboard interface, not claimed", d->id);
		goto fail;
	}
	if ((rc = libusb_open(udev, &d->h)) < 0) {
		if (last_try)
			log_warnx("scanner %s: open: %s", d->id, libusb_strerror(rc));
		transient = 1;
		goto fail;
	}
	/* The kernel's keyboard driver must let go, or the badge would be
	 * typed into a console; libusb gives it back on release. */
	libusb_set_auto_detach_kernel_driver(d->h, 1);
	if ((rc = libusb_claim_interface(d->h, d->iface)) < 0) {
		if (last_try)
			log_warnx("scanner %s: claim interface %d: %s", d->id, d->iface,
			    libusb_strerror(rc));
		d->iface = -1;
		transient = 1;
		goto fail;
	}
	/* Ask for the 8-byte boot report format the decoder reads, and for
	 * reports on change only. Devices that refuse keep their defaults. */
	if (boot)
		libusb_control_transfer(d->h, 0x21, 0x0b, 0, d->iface, NULL, 0,
		    CTRL_TIMEOUT_MS);
	libusb_control_transfer(d->h, 0x21, 0x0a, 0, d->iface, NULL, 0,
	    CTRL_TIMEOUT_MS);
	for (int i = 0; i < DEV_XFERS; i++) {
		if (!(d->xfer[i] = libusb_alloc_transfer(0)))
			goto fail;
		libusb_fill_interrupt_transfer(d->xfer[i], d->h, d->ep, d->buf[i],
		    sizeof d->buf[i], xfer_done, d, 0);
	}
	d->ctx = s->cbs.on_attach ? s->cbs.on_attach(s->cbs.arg, d->id) : NULL;
	if ((rc = dev_submit_all(d)) < 0) {
		log_warnx("scanner %s: submit: %s", d->id, libusb_strerror(rc));
		/* Reads that were queued must come back before they are freed:
		 * the normal teardown waits for them (and detaches). */
		if (d->busy) {
			d->gone = 1;
			d->next = s->devs;
			s->devs = d;
			return 0;
		}
		if (s->cbs.on_detach)
			s->cbs.on_detach(s->cbs.arg, d->ctx, d->id);
		goto fail;
	}
	d->next = s->devs;
	s->devs = d;
	log_info("scanner %s attached (interface %d, endpoint 0x%02x)", d->id,
	    d->iface, d->ep);
	return 0;
fail:
	if (d) {
		for (int i = 0; i < DEV_XFERS; i++)
			libusb_free_transfer(d->xfer[i]);
		if (d->h && d->iface >= 0)
			libusb_release_interface(d->h, d->iface);
		if (d->h)
			libusb_close(d->h);
	}
	free(d);
	if (transient && !last_try)
		return -EAGAIN;
	libusb_unref_device(udev);
	return 0;
}

/* Frees a device whose transfer is no longer in flight. */
static void
dev_release(struct scanner *s, struct scanner_dev *d)
{
	for (int i = 0; i < DEV_XFERS; i++)
		libusb_free_transfer(d->xfer[i]);
	libusb_release_interface(d->h, d->iface);
	libusb_close(d->h);
	if (s->cbs.on_detach)
		s->cbs.on_detach(s->cbs.arg, d->ctx, d->id);
	log_info("scanner %s released", d->id);
	libusb_unref_device(d->udev);
	free(d);
}

static void
retry_timer(struct loop *l, void *arg)
{
	struct scanner *s = arg;

	(void)l;
	s->retry_timer = 0;
	for (size_t i = 0; i < s->narrived; i++)
		s->arrived[i].waiting = 0;
	scanner_process(s);
}

/* Does what the callbacks recorded: claim arrivals, clear stalls, release
 * departed devices. Other devices are left alone. */
static void
scanner_process(struct scanner *s)
{
	for (size_t i = 0; i < s->narrived;) {
		struct arrival *a = &s->arrived[i];

		if (a->waiting) {
			i++;
			continue;
		}
		if (dev_attach(s, a->udev, a->tries + 1 >= ATTACH_TRIES) == -EAGAIN) {
			a->tries++;
			a->waiting = 1;
			if (s->retry_timer <= 0)
				s->retry_timer = loop_add_timer(s->loop, ATTACH_RETRY_MS,
				    retry_timer, s);
			i++;
			continue;
		}
		s->arrived[i] = s->arrived[--s->narrived];
	}
	for (struct scanner_dev **pp = &s->devs; *pp;) {
		struct scanner_dev *d = *pp;
		if (d->clear_halt && !d->gone && !d->busy) {
			d->clear_halt = 0;
			if (libusb_clear_halt(d->h, d->ep) < 0 || dev_submit_all(d) < 0)
				d->gone = 1;
		}
		if (d->gone && !d->busy) {
			*pp = d->next;
			dev_release(s, d);
			continue;
		}
		pp = &d->next;
	}
}

static void
watch_pollfds(struct scanner *s, int add)
{
	const struct libusb_pollfd **fds = libusb_get_pollfds(s->usb);

	for (size_t i = 0; fds && fds[i]; i++) {
		if (add)
			pollfd_added(fds[i]->fd, fds[i]->events, s);
		else
			loop_del_fd(s->loop, fds[i]->fd);
	}
	libusb_free_pollfds(fds);
}

/* Without hotplug support we can still claim what is plugged in now. */
static void
enumerate_once(struct scanner *s)
{
	libusb_device **list = NULL;
	ssize_t n = libusb_get_device_list(s->usb, &list);

	for (ssize_t i = 0; i < n; i++)
		hotplug_cb(s->usb, list[i], LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED, s);
	if (n >= 0)
		libusb_free_device_list(list, 1);
}

int
scanner_open(struct scanner **out, struct loop *loop,
    const struct scanner_ids *ids, const struct scanner_cbs *cbs)
{
	struct scanner *s = NULL;
	int rc;

	if (!(s = calloc(1, sizeof *s)))
		return -ENOMEM;
	s->loop = loop;
	s->ids = *ids;
	s->cbs = *cbs;
	if ((rc = libusb_init(&s->usb)) < 0) {
		log_warnx("scanner: libusb: %s", libusb_strerror(rc));
		s->usb = NULL;
		rc = -ENODEV;
		goto fail;
	}
	libusb_set_pollfd_notifiers(s->usb, pollfd_added, pollfd_removed, s);
	watch_pollfds(s, 1);
	if (!libusb_pollfds_handle_timeouts(s->usb) &&
	    (s->timer = loop_add_timer(loop, POLL_TIMER_MS, usb_timer, s)) < 0) {
		rc = (int)s->timer;
		s->timer = 0;
		goto fail;
	}
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		rc = libusb_hotplug_register_callback(s->usb,
		    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
		    LIBUSB_HOTPLUG_ENUMERATE, LIBUSB_HOTPLUG_MATCH_ANY,
		    LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
		    hotplug_cb, s, &s->hotplug);
		if (rc < 0) {
			log_warnx("scanner: hotplug: %s", libusb_strerror(rc));
			rc = -ENODEV;
			goto fail;
		}
		s->hotplug_on = 1;
	} else {
		log_warnx("scanner: libusb has no hotplug here; "
		    "only scanners present now are used");
		enumerate_once(s);
	}
	scanner_process(s);
	*out = s;
	return 0;
fail:
	scanner_close(s);
	return rc;
}

void
scanner_close(struct scanner *s)
{
	if (!s)
		return;
	if (s->usb) {
		if (s->hotplug_on)
			libusb_hotplug_deregister_callback(s->usb, s->hotplug);
		for (size_t i = 0; i < s->narrived; i++)
			libusb_unref_device(s->arrived[i].udev);
		s->narrived = 0;
		for (struct scanner_dev *d = s->devs; d; d = d->next) {
			d->gone = 1;
			if (d->busy)
				dev_cancel(d);
		}
		/* Cancellation completes through event handling; a transfer
		 * still in flight must not be freed under libusb. */
		for (int tries = 0; tries < 20; tries++) {
			int busy = 0;
			for (struct scanner_dev *d = s->devs; d; d = d->next)
				busy |= d->busy;
			if (!busy)
				break;
			struct timeval tv = { 0, 50000 };
			libusb_handle_events_timeout_completed(s->usb, &tv, NULL);
		}
		scanner_process(s);
		for (struct scanner_dev *d = s->devs; d; d = d->next)
			log_warnx("scanner %s: transfer stuck, leaking it", d->id);
		libusb_set_pollfd_notifiers(s->usb, NULL, NULL, NULL);
		watch_pollfds(s, 0);
		libusb_exit(s->usb);
	}
	if (s->timer > 0)
		loop_del_timer(s->loop, s->timer);
	if (s->retry_timer > 0)
		loop_del_timer(s->loop, s->retry_timer);
	free(s->arrived);
	free(s);
}
