#ifndef NW_SCANNER_H
#define NW_SCANNER_H
/*
 * Badge scanner sources. A source delivers raw HID input reports; decoding
 * (hid.h) and validation (badge.h) happen in the daemon, the same way for
 * every source:
 *   scanner.c        real keyboard-wedge scanners through libusb (hotplug)
 *   scanner_fifo.c   a named pipe of raw 8-byte reports (sim board, tests)
 * Both are driven by the event loop and call back through scanner_cbs. Each
 * physical (or fake) scanner gets a stable id string and its own per-scanner
 * context, so the daemon can keep one hid_decoder per scanner.
 */
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

#define SCANNER_ID_MAX 64

struct scanner_cbs {
	/* A scanner appeared. Returns the per-scanner context handed to
	 * on_report/on_detach (e.g. a struct hid_decoder *), or NULL to ignore
	 * this scanner; on_detach is still called for it. */
	void *(*on_attach)(void *arg, const char *scanner_id);
	/* One input report as received (normally 8 bytes, but pass anything
	 * on: the decoder judges). */
	void (*on_report)(void *arg, void *dev, const char *scanner_id,
	    const uint8_t *report, size_t len);
	/* The scanner went away (unplugged, FIFO writer closed, source
	 * closed). dev is what on_attach returned; free it here. */
	void (*on_detach)(void *arg, void *dev, const char *scanner_id);
	void *arg;
};

/* VID:PID match list. pid_any matches every product of the vendor. Either
 * way a device is only claimed through a HID keyboard-protocol interface, so
 * a vendor's serial-mode scanner or QEMU's usb-tablet (which shares
 * 0627:0001 with usb-kbd) is left alone. */
struct scanner_match {
	uint16_t vid, pid;
	int pid_any;
};

#define SCANNER_MATCH_MAX 32

struct scanner_ids {
	size_t n;
	struct scanner_match m[SCANNER_MATCH_MAX];
};

/* The built-in list, as a config string. */
extern const char scanner_ids_default[];

/* Parses "0627:0001, 05e0:1200 0c2e:*" (hex, separated by commas and/or
 * blanks). Returns 0 or -EINVAL (ids unchanged) for a malformed entry, an
 * empty list or more than SCANNER_MATCH_MAX entries. */
int scanner_ids_parse(struct scanner_ids *ids, const char *spec);

/* 1 if vid:pid is in the list, else 0. */
int scanner_ids_match(const struct scanner_ids *ids, uint16_t vid, uint16_t pid);

/* ---- libusb source (scanner.c) ---- */
struct scanner;

/* Opens libusb, registers its descriptors with the loop and starts hotplug
 * (scanners already plugged in are attached during this call). cbs and ids
 * are copied. Returns 0 or -errno (-ENODEV when libusb cannot initialise). */
int scanner_open(struct scanner **out, struct loop *loop,
    const struct scanner_ids *ids, const struct scanner_cbs *cbs);
/* Releases every claimed scanner (calling on_detach for each), removes the
 * loop descriptors and closes libusb. NULL is fine. */
void scanner_close(struct scanner *);

/* ---- FIFO source (scanner_fifo.c) ---- */
struct scanner_fifo;

/* Reads raw reports from the named pipe at path (created with mode 0600 if
 * missing). Each writer session is one "plug-in": the first bytes after a
 * writer opens the pipe attach scanner "fifo:<path>", the writer closing the
 * pipe detaches it. The byte stream is cut into 8-byte reports; a partial
 * report left when the writer closes is delivered as a short report, which
 * lets tests feed malformed reports. Returns 0 or -errno. */
int scanner_fifo_open(struct scanner_fifo **out, struct loop *loop,
    const char *path, const struct scanner_cbs *cbs);
void scanner_fifo_close(struct scanner_fifo *);

#endif
