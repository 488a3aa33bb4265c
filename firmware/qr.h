#ifndef NW_QR_H
#define NW_QR_H
/*
 * QR codes (libqrencode) drawn onto a canvas as whole-pixel squares with
 * the 4-module quiet zone the standard asks for, so phones and zbarimg
 * find them even against a busy screen.
 */
#include "canvas.h"

#define QR_QUIET 4

/*
 * Modules per side of payload's code including the quiet zone, or -errno
 * (-EINVAL for an empty payload, -ERANGE if it does not fit any version).
 */
int qr_modules(const char *payload);

/*
 * Draws payload in the largest whole-pixel scale whose square (quiet zone
 * included) fits in max_px, with its top-left corner at (x, y). Returns the
 * side drawn in pixels, -ENOSPC if even one pixel per module does not fit,
 * or another -errno from qr_modules.
 */
int qr_draw(struct canvas *, int x, int y, int max_px, const char *payload);

#endif
