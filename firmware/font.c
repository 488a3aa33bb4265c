/* FreeType text rendering onto a canvas; see font.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_CACHE_H
#include FT_GLYPH_H

#include "font.h"

/*
 * Glyphs come from FreeType's own cache (FTC): the screen measures the
 * same text again and again while it wraps and shrinks it to fit, and a
 * glyph loaded with full TrueType hinting costs tens of microseconds. With
 * every load uncached a full redraw of the room screen took 44 ms of CPU
 * on the x86 test host (several times that on a Pi), on every scan; see
 * test_screen's render counts. The cache keeps rendered glyphs per size
 * and style up to FONT_CACHE_BYTES, least recently used first out.
 */
#define FONT_CACHE_BYTES (2u << 20)

struct font {
	FT_Library lib;
	FTC_Manager cache;
	FTC_CMapCache cmaps;
	FTC_ImageCache glyphs;
	char *path[2];		/* [FONT_REGULAR], [FONT_BOLD] */
	int id[2];		/* FTC face ids point here */
};

static const char ellipsis[] = "\xe2\x80\xa6";

/* The cache opens faces itself, by id, when it needs them. */
static FT_Error
open_face(FTC_FaceID id, FT_Library lib, FT_Pointer arg, FT_Face *face)
{
	const struct font *f = arg;

	return FT_New_Face(lib, f->path[*(const int *)id], 0, face);
}

static FTC_FaceID
face_id(const struct font *f, enum font_style st)
{
	return (FTC_FaceID)&f->id[st == FONT_BOLD && f->path[FONT_BOLD] ? FONT_BOLD :
	    FONT_REGULAR];
}

int
font_open(struct font **out, const char *regular, const char *bold)
{
	struct font *f;
	FT_Face face;
	int rc = -ENOMEM;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->id[FONT_REGULAR] = FONT_REGULAR;
	f->id[FONT_BOLD] = FONT_BOLD;
	if (!(f->path[FONT_REGULAR] = strdup(regular)) ||
	    (bold && !(f->path[FONT_BOLD] = strdup(bold))))
		goto fail;
	if (FT_Init_FreeType(&f->lib) != 0) {
		f->lib = NULL;
		goto fail;
	}
	if (FTC_Manager_New(f->lib, 2, 0, FONT_CACHE_BYTES, open_face, f, &f->cache) != 0 ||
	    FTC_CMapCache_New(f->cache, &f->cmaps) != 0 ||
	    FTC_ImageCache_New(f->cache, &f->glyphs) != 0)
		goto fail;
	/* Open both now, so a missing font file is an error here and not a
	 * blank screen later. */
	rc = -ENOENT;
	if (FTC_Manager_LookupFace(f->cache, face_id(f, FONT_REGULAR), &face) != 0 ||
	    FTC_Manager_LookupFace(f->cache, face_id(f, FONT_BOLD), &face) != 0)
		goto fail;
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
	if (f->cache)
		FTC_Manager_Done(f->cache);	/* its caches and faces too */
	if (f->lib)
		FT_Done_FreeType(f->lib);
	free(f->path[FONT_REGULAR]);
	free(f->path[FONT_BOLD]);
	free(f);
}

static void
scaler_of(const struct font *f, enum font_style st, int px, FTC_ScalerRec *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->face_id = face_id(f, st);
	sc->height = (FT_UInt)(px < 1 ? 1 : px);
	sc->pixel = 1;
}

/* The size's metrics (26.6 pixels), or NULL if the face cannot be had. */
static const FT_Size_Metrics *
metrics_at(const struct font *f, enum font_style st, int px)
{
	FTC_ScalerRec sc;
	FT_Size size;

	scaler_of(f, st, px, &sc);
	if (FTC_Manager_LookupSize(f->cache, &sc, &size) != 0)
		return NULL;
	return &size->metrics;
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
	const FT_Size_Metrics *m = metrics_at(f, st, px);

	return m ? (int)((m->height + 63) >> 6) : px;
}

int
font_ascent(const struct font *f, enum font_style st, int px)
{
	const FT_Size_Metrics *m = metrics_at(f, st, px);

	return m ? (int)((m->ascender + 63) >> 6) : px;
}

/* The rendered glyph for cp (U+FFFD if cp's cannot be loaded), valid until
 * the next lookup; NULL if neither can be had. */
static FT_BitmapGlyph
glyph_of(const struct font *f, FTC_ScalerRec *sc, unsigned long cp)
{
	FT_Glyph g;
	FT_UInt gi = FTC_CMapCache_Lookup(f->cmaps, sc->face_id, -1, (FT_UInt32)cp);

	if (FTC_ImageCache_LookupScaler(f->glyphs, sc, FT_LOAD_RENDER, gi, &g, NULL) != 0) {
		gi = FTC_CMapCache_Lookup(f->cmaps, sc->face_id, -1, 0xfffd);
		if (FTC_ImageCache_LookupScaler(f->glyphs, sc, FT_LOAD_RENDER, gi, &g,
		    NULL) != 0)
			return NULL;
	}
	return g->format == FT_GLYPH_FORMAT_BITMAP ? (FT_BitmapGlyph)g : NULL;
}

static int
run(const struct font *f, struct canvas *c, enum font_style st, int px,
    int x, int y, struct rgb col, const char *s, size_t len)
{
	FTC_ScalerRec sc;
	int base = y + font_ascent(f, st, px);
	long pen = 0;	/* 26.6 */
	size_t i = 0;
	unsigned row, colx;

	scaler_of(f, st, px, &sc);
	while (i < len) {
		unsigned long cp = next_cp(s, len, &i);
		FT_BitmapGlyph g;
		const FT_Bitmap *bm;

		if (cp == '\n' || cp == '\r')
			continue;
		if ((g = glyph_of(f, &sc, cp)) == NULL)
			continue;
		bm = &g->bitmap;
		if (c && bm->pixel_mode == FT_PIXEL_MODE_GRAY) {
			int gx = x + (int)(pen >> 6) + g->left;
			int gy = base - g->top;
			for (row = 0; row < bm->rows; row++)
				for (colx = 0; colx < bm->width; colx++)
					canvas_blend(c, gx + (int)colx, gy + (int)row, col,
					    bm->buffer[row * bm->pitch + colx]);
		}
		pen += g->root.advance.x >> 10;	/* 16.16 to 26.6 */
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
