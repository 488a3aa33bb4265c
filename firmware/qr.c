/* QR codes on a canvas through libqrencode; see qr.h. */
#include <errno.h>
#include <string.h>

#include <qrencode.h>

#include "qr.h"

/*
 * Level M: it survives some glare and a dirty screen, and a notice URL still
 * fits a small version so the modules stay large on a 480x320 panel.
 */
static QRcode *
encode(const char *payload, int *err)
{
	QRcode *q;

	if (payload == NULL || payload[0] == '\0') {
		*err = -EINVAL;
		return NULL;
	}
	/* Byte mode: the payload is sent as-is, URLs keep their case. */
	q = QRcode_encodeString8bit(payload, 0, QR_ECLEVEL_M);
	if (q == NULL)
		*err = errno == ENOMEM ? -ENOMEM : -ERANGE;
	return q;
}

int
qr_modules(const char *payload)
{
	QRcode *q;
	int err = 0, n;

	if ((q = encode(payload, &err)) == NULL)
		return err;
	n = q->width + 2 * QR_QUIET;
	QRcode_free(q);
	return n;
}

int
qr_draw(struct canvas *c, int x, int y, int max_px, const char *payload)
{
	static const struct rgb white = { 255, 255, 255 }, black = { 0, 0, 0 };
	QRcode *q;
	int err = 0, n, scale, i, j;

	if ((q = encode(payload, &err)) == NULL)
		return err;
	n = q->width + 2 * QR_QUIET;
	scale = max_px / n;
	if (scale < 1) {
		QRcode_free(q);
		return -ENOSPC;
	}
	canvas_fill_rect(c, x, y, n * scale, n * scale, white);
	for (j = 0; j < q->width; j++)
		for (i = 0; i < q->width; i++)
			if (q->data[j * q->width + i] & 1)
				canvas_fill_rect(c, x + (QR_QUIET + i) * scale,
				    y + (QR_QUIET + j) * scale, scale, scale, black);
	QRcode_free(q);
	return n * scale;
}
