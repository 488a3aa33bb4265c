/*
 * usbprobe: proves the real libusb path inside the qemu-virt guest.
 * Opens a HID boot keyboard by VID:PID, lets libusb detach usbhid, claims
 * interface 0 and prints every interrupt-IN report it reads as hex, until
 * COUNT reports were read or no report came for TIMEOUT_MS.
 *
 * usage: usbprobe VID:PID COUNT TIMEOUT_MS
 *        usbprobe --hotplug VID:PID TIMEOUT_MS
 * Prints "USBPROBE-CLAIMED" once the interface is ours (the harness types
 * only after that), one "USBPROBE-REPORT xx xx ..." per report, and
 * "USBPROBE-DONE n" at the end. Exit 0 when COUNT reports were read.
 * --hotplug prints "USBPROBE-HOTPLUG-ARMED", then "USBPROBE-LEFT" and
 * "USBPROBE-ARRIVED" as libusb reports the device going and coming back;
 * exit 0 once both were seen (the daemon's scanner hotplug needs exactly
 * these events, which libusb takes from udev).
 */
#include <errno.h>
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe {
	libusb_context *ctx;
	libusb_device_handle *h;
	unsigned char ep;
	int claimed;
};

static int
parse_id(const char *s, unsigned *vid, unsigned *pid)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	if (end == s || *end != ':' || v > 0xffff)
		return -EINVAL;
	s = end + 1;
	unsigned long p = strtoul(s, &end, 16);
	if (end == s || *end != '\0' || p > 0xffff)
		return -EINVAL;
	*vid = v;
	*pid = p;
	return 0;
}

/* The first interrupt-IN endpoint of interface 0: the boot report pipe. */
static int
find_ep(libusb_device *dev, unsigned char *ep)
{
	struct libusb_config_descriptor *cfg;
	int rc = libusb_get_active_config_descriptor(dev, &cfg);

	if (rc < 0)
		return rc;
	rc = LIBUSB_ERROR_NOT_FOUND;
	if (cfg->bNumInterfaces > 0 && cfg->interface[0].num_altsetting > 0) {
		const struct libusb_interface_descriptor *alt = &cfg->interface[0].altsetting[0];
		for (int i = 0; i < alt->bNumEndpoints; i++) {
			const struct libusb_endpoint_descriptor *e = &alt->endpoint[i];
			if ((e->bmAttributes & 3) == LIBUSB_TRANSFER_TYPE_INTERRUPT &&
			    (e->bEndpointAddress & LIBUSB_ENDPOINT_IN)) {
				*ep = e->bEndpointAddress;
				rc = 0;
				break;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return rc;
}

static int
probe_open(struct probe *p, unsigned vid, unsigned pid)
{
	int rc = libusb_init(&p->ctx);

	if (rc < 0)
		goto out;
	p->h = libusb_open_device_with_vid_pid(p->ctx, vid, pid);
	if (p->h == NULL) {
		rc = LIBUSB_ERROR_NO_DEVICE;
		goto out;
	}
	rc = find_ep(libusb_get_device(p->h), &p->ep);
	if (rc < 0)
		goto out;
	/* The point of the probe: usbhid owns the keyboard until we take it. */
	rc = libusb_set_auto_detach_kernel_driver(p->h, 1);
	if (rc < 0)
		goto out;
	rc = libusb_claim_interface(p->h, 0);
	if (rc < 0)
		goto out;
	p->claimed = 1;
out:
	return rc;
}

static void
probe_close(struct probe *p)
{
	if (p->claimed)
		libusb_release_interface(p->h, 0); /* re-attaches usbhid */
	if (p->h)
		libusb_close(p->h);
	if (p->ctx)
		libusb_exit(p->ctx);
}

struct hotplug {
	int left, arrived;
};

static int LIBUSB_CALL
hotplug_cb(libusb_context *ctx, libusb_device *dev, libusb_hotplug_event ev, void *arg)
{
	struct hotplug *hp = arg;

	if (ev == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
		hp->left = 1;
		printf("USBPROBE-LEFT\n");
	} else {
		hp->arrived = 1;
		printf("USBPROBE-ARRIVED\n");
	}
	fflush(stdout);
	return 0;
}

static int
hotplug_main(unsigned vid, unsigned pid, int timeout_ms)
{
	libusb_context *ctx = NULL;
	libusb_hotplug_callback_handle cb;
	struct hotplug hp = { 0 };
	int rc = libusb_init(&ctx);

	if (rc < 0)
		goto out;
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
		rc = LIBUSB_ERROR_NOT_SUPPORTED;
		goto out;
	}
	rc = libusb_hotplug_register_callback(ctx,
	    LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
	    0, vid, pid, LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb, &hp, &cb);
	if (rc < 0)
		goto out;
	printf("USBPROBE-HOTPLUG-ARMED\n");
	fflush(stdout);
	for (int waited = 0; !(hp.left && hp.arrived) && waited < timeout_ms; waited += 100) {
		struct timeval tv = { 0, 100000 };
		rc = libusb_handle_events_timeout_completed(ctx, &tv, NULL);
		if (rc < 0)
			goto out;
	}
	rc = hp.left && hp.arrived ? 0 : LIBUSB_ERROR_TIMEOUT;
out:
	if (rc < 0)
		fprintf(stderr, "usbprobe: hotplug: %s\n", libusb_strerror(rc));
	if (ctx)
		libusb_exit(ctx);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct probe p = { 0 };
	unsigned vid, pid;
	int want, timeout, got = 0, rc;

	if (argc == 4 && strcmp(argv[1], "--hotplug") == 0 &&
	    parse_id(argv[2], &vid, &pid) == 0 && atoi(argv[3]) > 0)
		return hotplug_main(vid, pid, atoi(argv[3]));
	if (argc != 4 || parse_id(argv[1], &vid, &pid) < 0 ||
	    (want = atoi(argv[2])) <= 0 || (timeout = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: usbprobe VID:PID COUNT TIMEOUT_MS\n"
		    "       usbprobe --hotplug VID:PID TIMEOUT_MS\n");
		return 2;
	}
	rc = probe_open(&p, vid, pid);
	if (rc < 0) {
		fprintf(stderr, "usbprobe: %04x:%04x: %s\n", vid, pid, libusb_strerror(rc));
		goto out;
	}
	printf("USBPROBE-CLAIMED ep=0x%02x\n", p.ep);
	fflush(stdout);
	while (got < want) {
		unsigned char buf[64];
		int n = 0;

		rc = libusb_interrupt_transfer(p.h, p.ep, buf, sizeof buf, &n, timeout);
		if (rc < 0) {
			fprintf(stderr, "usbprobe: read: %s\n", libusb_strerror(rc));
			break;
		}
		printf("USBPROBE-REPORT");
		for (int i = 0; i < n; i++)
			printf(" %02x", buf[i]);
		printf("\n");
		fflush(stdout);
		got++;
	}
	printf("USBPROBE-DONE %d\n", got);
out:
	probe_close(&p);
	return got == want ? 0 : 1;
}
