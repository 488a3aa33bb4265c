#ifndef NW_CANVAS_H
#define NW_CANVAS_H
/*
 * An in-memory 24-bit RGB picture. The screen is drawn here first and then
 * handed whole to a display backend, so drawing code never depends on the
 * pixel format of the device. Every drawing call clips to the canvas.
 */
#include <stdint.h>

struct rgb {
	uint8_t r, g, b;
};

struct canvas {
	int w, h;
	uint8_t *px;	/* w * h * 3 bytes, rows top to bottom, R G B */
};

/* 0 or -EINVAL (size not in 1..8192) or -ENOMEM. */
int canvas_init(struct canvas *, int w, int h);
void canvas_free(struct canvas *);
void canvas_fill(struct canvas *, struct rgb);
void canvas_fill_rect(struct canvas *, int x, int y, int w, int h, struct rgb);
/* Mixes c over the pixel with coverage alpha (0..255), as glyphs need. */
void canvas_blend(struct canvas *, int x, int y, struct rgb c, unsigned alpha);
void canvas_fill_circle(struct canvas *, int cx, int cy, int r, struct rgb);
/* Copies src onto dst with its top-left corner at (x, y). */
void canvas_blit(struct canvas *dst, const struct canvas *src, int x, int y);
/* The pixel at (x, y); black outside the canvas. */
struct rgb canvas_get(const struct canvas *, int x, int y);

#endif
