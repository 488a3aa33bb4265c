/* In-memory RGB canvas; see canvas.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"

int
canvas_init(struct canvas *c, int w, int h)
{
	c->w = c->h = 0;
	c->px = NULL;
	if (w < 1 || h < 1 || w > 8192 || h > 8192)
		return -EINVAL;
	if ((c->px = calloc((size_t)w * (size_t)h, 3)) == NULL)
		return -ENOMEM;
	c->w = w;
	c->h = h;
	return 0;
}

void
canvas_free(struct canvas *c)
{
	free(c->px);
	c->px = NULL;
	c->w = c->h = 0;
}

void
canvas_fill(struct canvas *c, struct rgb col)
{
	canvas_fill_rect(c, 0, 0, c->w, c->h, col);
}

void
canvas_fill_rect(struct canvas *c, int x, int y, int w, int h, struct rgb col)
{
	int x1 = x + w, y1 = y + h, i, j;
	uint8_t *p;

	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x1 > c->w)
		x1 = c->w;
	if (y1 > c->h)
		y1 = c->h;
	for (j = y; j < y1; j++) {
		p = c->px + ((size_t)j * c->w + x) * 3;
		for (i = x; i < x1; i++) {
			*p++ = col.r;
			*p++ = col.g;
			*p++ = col.b;
		}
	}
}

void
canvas_blend(struct canvas *c, int x, int y, struct rgb col, unsigned a)
{
	uint8_t *p;

	if (x < 0 || y < 0 || x >= c->w || y >= c->h || a == 0)
		return;
	if (a > 255)
		a = 255;
	p = c->px + ((size_t)y * c->w + x) * 3;
	p[0] = (uint8_t)((col.r * a + p[0] * (255 - a) + 127) / 255);
	p[1] = (uint8_t)((col.g * a + p[1] * (255 - a) + 127) / 255);
	p[2] = (uint8_t)((col.b * a + p[2] * (255 - a) + 127) / 255);
}

void
canvas_fill_circle(struct canvas *c, int cx, int cy, int r, struct rgb col)
{
	int dy, dx;

	/* One span per row; the edge is left hard, it is big enough not to matter. */
	for (dy = -r; dy <= r; dy++) {
		for (dx = 0; (dx + 1) * (dx + 1) + dy * dy <= r * r; dx++)
			;
		canvas_fill_rect(c, cx - dx, cy + dy, 2 * dx + 1, 1, col);
	}
}

void
canvas_blit(struct canvas *dst, const struct canvas *src, int x, int y)
{
	int j, sx0 = 0, w = src->w;

	if (x < 0) {
		sx0 = -x;
		w += x;
		x = 0;
	}
	if (x + w > dst->w)
		w = dst->w - x;
	if (w <= 0)
		return;
	for (j = 0; j < src->h; j++) {
		if (y + j < 0 || y + j >= dst->h)
			continue;
		memcpy(dst->px + ((size_t)(y + j) * dst->w + x) * 3,
		    src->px + ((size_t)j * src->w + sx0) * 3, (size_t)w * 3);
	}
}

struct rgb
canvas_get(const struct canvas *c, int x, int y)
{
	struct rgb k = { 0, 0, 0 };
	const uint8_t *p;

	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return k;
	p = c->px + ((size_t)y * c->w + x) * 3;
	k.r = p[0];
	k.g = p[1];
	k.b = p[2];
	return k;
}
