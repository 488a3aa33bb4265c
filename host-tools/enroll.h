#ifndef NW_ENROLL_H
#define NW_ENROLL_H
/*
 * `notewell enroll`: a one-time, expiring enrollment token for one room,
 * and the setup code that carries it to the box (host URL, token, TLS pin)
 * as a QR code in the terminal and as a PNG. Only the token's SHA-256 is
 * stored: a copy of the store cannot enroll a box.
 */
#include <stdint.h>
#include <stdio.h>

#include "store.h"
#include "syncproto.h"

#define ENROLL_TTL_DEFAULT_S (30 * 60)

struct enroll_opts {
	const char *room;
	const char *url;		/* NULL: the one notewell init recorded */
	const char *prefix;		/* NULL: SYNCPROTO_DEFAULT_PREFIX */
	const char *png;		/* NULL: DIR/enroll/ROOM.png */
	int64_t ttl_s;
	int64_t now;			/* UTC seconds */
};

/* Makes the token and writes the payload into code; png_out gets the PNG
 * path written. err says why on failure. */
int enroll_create(struct store *, const struct enroll_opts *, char *code, size_t codelen,
    char *png_out, size_t pnglen, char *err, size_t errlen);
/* Draws code as a QR code with Unicode half blocks (two modules a line). */
int enroll_print_qr(FILE *, const char *code);
/* Writes code as a QR code PNG: scale pixels a module, 4-module margin. */
int enroll_write_png(const char *path, const char *code, int scale);

#endif
