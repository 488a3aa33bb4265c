/* FreeType text rendering onto a canvas; see font.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H

#include "font.h"

struct font {
	FT_Library lib;
	FT_Face face[2];	/* [FONT_REGULAR], [FONT_BOLD] (may alias) */
};

static const char ellipsis[] = "\xe2\x80\xa6";

int
font_open(struct font **out, const char *regular, const char *bold)
{
	struct font *f;
	int rc = -EINVAL;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	if (FT_Init_FreeType(&f->lib) != 0) {
		f->lib = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	if (FT_New_Face(f->lib, regular, 0, &f->face[FONT_REGULAR]) != 0) {
		f->face[FONT_REGULAR] = NULL;
		rc = -ENOENT;
		goto fail;
	}
	if (bold == NULL)
		f->face[FONT_BOLD] = f->face[FONT_REGULAR];
	else if (FT_New_Face(f->lib, bold, 0, &f->face[FONT_BOLD]) != 0) {
		f->face[FONT_BOLD] = NULL;
		rc = -ENOENT;
		goto fail;
	}
	*out = f;
	return 0;
fail:
	font_close(f);
	return rc;
}

void
font_close(struct font *f)
{
	if (f == NULL)
		return;
	if (f->face[FONT_BOLD] && f->face[FONT_BOLD] != f->face[FONT_REGULAR])
		FT_Done_Face(f->face[FONT_BOLD]);
	if (f->face[FONT_REGULAR])
		FT_Done_Face(f->face[FONT_REGULAR]);
	if (f->lib)
		FT_Done_FreeType(f->lib);
	free(f);
}

static FT_Face
face_at(const struct font *f, enum font_style st, int px)
{
	FT_Face face = f->face[st == FONT_BOLD ? FONT_BOLD : FONT_REGULAR];

	if (px < 1)
		px = 1;
	FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px);
	return face;
}

/* Next code point of s (U+FFFD for a bad byte); advances *i. */
static unsigned long
next_cp(const char *s, size_t len, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s + *i;
	size_t left = len - *i, n, k;
	unsigned long cp;

	if (u[0] < 0x80) {
		(*i)++;
		return u[0];
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2; cp = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3; cp = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4; cp = u[0] & 0x07;
	} else
		goto bad;
	if (left < n)
		goto bad;
	for (k = 1; k < n; k++) {
		if ((u[k] & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (u[k] & 0x3f);
	}
	*i += n;
	return cp;
bad:
	(*i)++;
	return 0xfffd;
}

int
font_line_height(const struct font *f, enum font_style st, int px)
{
	FT_Face face = face_at(f, st, px);

	return (int)((face->size->metrics.height + 63) >> 6);
}

int
font_ascent(const struct font *f, enum font_style st, int px)
{
	FT_Face face = face_at(f, st, px);

	return (int)((face->size->metrics.ascender + 63) >> 6);
}

static int
run(const struct font *f, struct canvas *c, enum font_style st, int px,
    int x, int y, struct rgb col, const char *s, size_t len)
{
	FT_Face face = face_at(f, st, px);
	FT_Int32 flags = c ? FT_LOAD_RENDER : FT_LOAD_DEFAULT;
	int base = y + (int)((face->size->metrics.ascender + 63) >> 6);
	long pen = 0;	/* 26.6 */
	size_t i = 0;
	unsigned row, colx;

	while (i < len) {
		unsigned long cp = next_cp(s, len, &i);
		FT_GlyphSlot g;

		if (cp == '\n' || cp == '\r')
			continue;
		if (FT_Load_Char(face, cp, flags) != 0 &&
		    FT_Load_Char(face, 0xfffd, flags) != 0)
			continue;
		g = face->glyph;
		if (c && g->bitmap.pixel_mode == FT_PIXEL_MODE_GRAY) {
			int gx = x + (int)(pen >> 6) + g->bitmap_left;
			int gy = base - g->bitmap_top;
			for (row = 0; row < g->bitmap.rows; row++)
				for (colx = 0; colx < g->bitmap.width; colx++)
					canvas_blend(c, gx + (int)colx, gy + (int)row, col,
					    g->bitmap.buffer[row * g->bitmap.pitch + colx]);
		}
		pen += g->advance.x;
	}
	return (int)((pen + 63) >> 6);
}

int
font_text_width(const struct font *f, enum font_style st, int px,
    const char *s, size_t len)
{
	struct rgb none = { 0, 0, 0 };

	return run(f, NULL, st, px, 0, 0, none, s, len);
}

int
font_draw(const struct font *f, struct canvas *c, enum font_style st, int px,
    int x, int y, struct rgb col, const char *s, size_t len)
{
	return run(f, c, st, px, x, y, col, s, len);
}

/*
 * Finds the line starting at pos: [*ls, *le) is what to draw, the return
 * value where the next line starts.
 */
static size_t
wrap_next(const struct font *f, enum font_style st, int px, int max_w,
    const char *t, size_t len, size_t pos, size_t *ls, size_t *le)
{
	size_t end, we, i;

	while (pos < len && t[pos] == ' ')
		pos++;
	*ls = end = pos;
	for (;;) {
		we = end;
		while (we < len && t[we] == ' ')
			we++;
		while (we < len && t[we] != ' ' && t[we] != '\n')
			we++;
		if (we == end || font_text_width(f, st, px, t + pos, we - pos) > max_w)
			break;
		end = we;
		if (end < len && t[end] == '\n')
			break;
	}
	if (end == pos && pos < len && t[pos] != '\n') {
		/* One word wider than the line: cut it between characters. */
		i = pos;
		next_cp(t, len, &i);
		end = i;
		while (i < len && t[i] != ' ' && t[i] != '\n') {
			next_cp(t, len, &i);
			if (font_text_width(f, st, px, t + pos, i - pos) > max_w)
				break;
			end = i;
		}
	}
	*le = end;
	if (end < len && t[end] == '\n')
		end++;
	return end;
}

int
font_wrap_lines(const struct font *f, enum font_style st, int px, int max_w,
    const char *text)
{
	size_t len = strlen(text), pos = 0, ls, le;
	int n = 0;

	while (pos < len) {
		pos = wrap_next(f, st, px, max_w, text, len, pos, &ls, &le);
		if (le > ls || pos < len)
			n++;
	}
	return n;
}

int
font_draw_wrapped(const struct font *f, struct canvas *c, enum font_style st,
    int px, int x, int y, int max_w, int max_h, struct rgb col,
    const char *text)
{
	size_t len = strlen(text), pos = 0, ls, le;
	int lh = font_line_height(f, st, px), used = 0;
	int ew = font_text_width(f, st, px, ellipsis, sizeof(ellipsis) - 1);

	while (pos < len && used + lh <= max_h) {
		pos = wrap_next(f, st, px, max_w, text, len, pos, &ls, &le);
		if (pos < len && used + 2 * lh > max_h) {
			/* Last line that fits and text remains: end it with "…". */
			while (le > ls && font_text_width(f, st, px, text + ls,
			    le - ls) + ew > max_w) {
				le--;
				while (le > ls && ((unsigned char)text[le] & 0xc0) == 0x80)
					le--;
			}
			int w = font_draw(f, c, st, px, x, y + used, col, text + ls, le - ls);
			font_draw(f, c, st, px, x + w, y + used, col, ellipsis,
			    sizeof(ellipsis) - 1);
			used += lh;
			break;
		}
		font_draw(f, c, st, px, x, y + used, col, text + ls, le - ls);
		used += lh;
	}
	return used;
}
