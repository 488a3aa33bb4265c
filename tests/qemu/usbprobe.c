/*
 * usbprobe: proves the real libusb path inside the qemu-virt guest.
 * Opens a HID boot keyboard by VID:PID, lets libusb detach usbhid, claims
 * interface 0 and prints every interrupt-IN report it reads as hex, until
 * COUNT reports were read or no report came for TIMEOUT_MS.
 *
 * usage: usbprobe VID:PID COUNT TIMEOUT_MS
 * Prints "USBPROBE-CLAIMED" once the interface is ours (the harness types
 * only after that), one "USBPROBE-REPORT xx xx ..." per report, and
 * "USBPROBE-DONE n" at the end. Exit 0 when COUNT reports were read.
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

int
main(int argc, char **argv)
{
	struct probe p = { 0 };
	unsigned vid, pid;
	int want, timeout, got = 0, rc;

	if (argc != 4 || parse_id(argv[1], &vid, &pid) < 0 ||
	    (want = atoi(argv[2])) <= 0 || (timeout = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: usbprobe VID:PID COUNT TIMEOUT_MS\n");
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
