/*
 * Linux framebuffer backend (the box's panel, /dev/fb0). The kernel tells us
 * the depth and where each colour sits in a pixel (FBIOGET_VSCREENINFO) and
 * the row stride (FBIOGET_FSCREENINFO line_length, which may exceed
 * width * bytes per pixel); we convert the RGB canvas into that layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/fb.h>

#include "display.h"

struct fb_ctx {
	int fd;
	uint8_t *mem;
	size_t len;
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
};

/* Scales an 8-bit channel into a bitfield of the pixel. */
static uint32_t
chan(uint8_t v, const struct fb_bitfield *bf)
{
	if (bf->length == 0)
		return 0;
	return ((uint32_t)v >> (8 - (bf->length > 8 ? 8 : bf->length))) << bf->offset;
}

static int
fb_present(void *ctx, const struct canvas *c)
{
	struct fb_ctx *f = ctx;
	unsigned bpp = f->var.bits_per_pixel / 8, x, y;
	unsigned w = (unsigned)c->w < f->var.xres ? (unsigned)c->w : f->var.xres;
	unsigned h = (unsigned)c->h < f->var.yres ? (unsigned)c->h : f->var.yres;

	for (y = 0; y < h; y++) {
		/* Draw into the visible page when the driver pans. */
		uint8_t *row = f->mem + (size_t)(y + f->var.yoffset) *
		    f->fix.line_length + (size_t)f->var.xoffset * bpp;
		const uint8_t *s = c->px + (size_t)y * c->w * 3;
		for (x = 0; x < w; x++, s += 3, row += bpp) {
			uint32_t p = chan(s[0], &f->var.red) |
			    chan(s[1], &f->var.green) | chan(s[2], &f->var.blue);
			memcpy(row, &p, bpp);	/* little-endian, as on arm64 and x86 */
		}
	}
	return 0;
}

static void
fb_close(void *ctx)
{
	struct fb_ctx *f = ctx;

	if (f->mem && f->mem != MAP_FAILED)
		munmap(f->mem, f->len);
	if (f->fd >= 0)
		close(f->fd);
	free(f);
}

static const struct display_ops fb_ops = { fb_present, fb_close };

int
display_fb_open(struct display *d, const char *dev)
{
	struct fb_ctx *f;
	int rc;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->mem = NULL;
	if ((f->fd = open(dev, O_RDWR | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	if (ioctl(f->fd, FBIOGET_VSCREENINFO, &f->var) < 0 ||
	    ioctl(f->fd, FBIOGET_FSCREENINFO, &f->fix) < 0) {
		rc = -errno;
		goto fail;
	}
	/* Palette and planar modes would need a different converter. */
	if (f->fix.type != FB_TYPE_PACKED_PIXELS ||
	    f->fix.visual != FB_VISUAL_TRUECOLOR ||
	    (f->var.bits_per_pixel != 16 && f->var.bits_per_pixel != 24 &&
	    f->var.bits_per_pixel != 32)) {
		rc = -ENOTSUP;
		goto fail;
	}
	f->len = f->fix.smem_len;
	if ((size_t)(f->var.yoffset + f->var.yres) * f->fix.line_length > f->len) {
		rc = -EINVAL;
		goto fail;
	}
	f->mem = mmap(NULL, f->len, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (f->mem == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	d->ops = &fb_ops;
	d->ctx = f;
	d->w = (int)f->var.xres;
	d->h = (int)f->var.yres;
	return 0;
fail:
	fb_close(f);
	return rc;
}
