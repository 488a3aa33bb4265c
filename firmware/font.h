#ifndef NW_FONT_H
#define NW_FONT_H
/*
 * Text on the canvas through FreeType, from a TrueType file on disk
 * (Debian's fonts-dejavu-core on the sim board; the image may ship it
 * elsewhere, hence the paths are parameters). UTF-8 in, sizes in pixels;
 * invalid UTF-8 is drawn as U+FFFD rather than refused, since what reaches
 * the screen has been validated by whoever produced it.
 */
#include <stddef.h>

#include "canvas.h"

#define FONT_DEFAULT_REGULAR "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_DEFAULT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

enum font_style { FONT_REGULAR, FONT_BOLD };

struct font;

/* bold may be NULL: bold text then uses the regular face. 0 or -errno. */
int font_open(struct font **out, const char *regular_path, const char *bold_path);
void font_close(struct font *);

/* Distance between baselines, and the height of a line's ink above it. */
int font_line_height(const struct font *, enum font_style, int px);
int font_ascent(const struct font *, enum font_style, int px);

/* Advance width in pixels of len bytes of s. */
int font_text_width(const struct font *, enum font_style, int px,
    const char *s, size_t len);

/*
 * Draws one line with the top of its line box at y; returns the advance
 * width. Nothing is wrapped or clipped except at the canvas edge.
 */
int font_draw(const struct font *, struct canvas *, enum font_style, int px,
    int x, int y, struct rgb, const char *s, size_t len);

/*
 * Word wrap: greedy, at spaces and at '\n'; a word wider than max_w is
 * broken between characters. font_wrap_lines counts the lines text takes.
 * font_draw_wrapped draws as many whole lines as fit in max_h, ending the
 * last one with "…" when text is cut, and returns the height used.
 */
int font_wrap_lines(const struct font *, enum font_style, int px, int max_w,
    const char *text);
int font_draw_wrapped(const struct font *, struct canvas *, enum font_style,
    int px, int x, int y, int max_w, int max_h, struct rgb, const char *text);

#endif
