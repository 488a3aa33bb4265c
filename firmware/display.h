#ifndef NW_DISPLAY_H
#define NW_DISPLAY_H
/*
 * Where a finished canvas goes. The daemon holds a struct display and
 * calls display_present() after each redraw; which backend sits behind it
 * is a board setting:
 *   png: a PNG file, replaced atomically (sim board, tests, demos);
 *   fb:  a Linux framebuffer device such as /dev/fb0 (the real box).
 */
#include "canvas.h"

struct display_ops {
	int (*present)(void *ctx, const struct canvas *);
	void (*close)(void *ctx);
};

struct display {
	const struct display_ops *ops;
	void *ctx;
	int w, h;	/* the size to render at */
};

/* 0 or -errno. */
int display_present(struct display *, const struct canvas *);
void display_close(struct display *);

/* display_png.c: w x h is the configured size; path is e.g. DIR/screen.png. */
int display_png_open(struct display *, const char *path, int w, int h);
/* Writes c to path as an 8-bit RGB PNG: temp file, fsync, rename, fsync dir. */
int display_png_write(const char *path, const struct canvas *c);

/*
 * display_fb.c: maps the framebuffer; the size comes from the device
 * (display->w, ->h). 16 (RGB565), 24 and 32 bpp packed-pixel true colour.
 */
int display_fb_open(struct display *, const char *dev);

#endif
