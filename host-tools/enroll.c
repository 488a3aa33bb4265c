/*
 * Enrollment tokens and setup QR codes; see enroll.h.
 */
#include "enroll.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <sodium.h>

#include "syncstore.h"
#include "tlscert.h"

#define QR_MARGIN 4

static int
room_ok(const char *room)
{
	size_t n = strlen(room);

	if (n == 0 || n > 64)
		return 0;
	for (; *room; room++)
		if ((unsigned char)*room < 0x20 || *room == 0x7f)
			return 0;
	return 1;
}

/* A file name for the room: letters, digits, '-' and '_' only. */
static void
room_file(const char *room, char *out, size_t len)
{
	size_t o = 0;

	for (; *room && o + 1 < len; room++)
		out[o++] = isalnum((unsigned char)*room) || *room == '-' ? *room : '_';
	out[o] = '\0';
}

static QRcode *
encode(const char *code)
{
	/* 8-bit mode keeps the case of the base64 pin; level M survives a
	 * smudged screen or print-out. */
	return QRcode_encodeString8bit(code, 0, QR_ECLEVEL_M);
}

static int
module(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

int
enroll_print_qr(FILE *f, const char *code)
{
	QRcode *qr = encode(code);
	int x, y;

	if (!qr)
		return -errno ? -errno : -EINVAL;
	/* Light modules (and the quiet zone) are drawn as blocks, so on the
	 * usual light-on-dark terminal the code reads dark-on-light as a
	 * scanner expects. */
	for (y = -QR_MARGIN; y < qr->width + QR_MARGIN; y += 2) {
		for (x = -QR_MARGIN; x < qr->width + QR_MARGIN; x++) {
			int top = !module(qr, x, y), bot = !module(qr, x, y + 1);
			fputs(top && bot ? "\u2588" : top ? "\u2580" : bot ? "\u2584" : " ", f);
		}
		fputc('\n', f);
	}
	QRcode_free(qr);
	return 0;
}

int
enroll_write_png(const char *path, const char *code, int scale)
{
	QRcode *qr = encode(code);
	png_structp png = NULL;
	png_infop info = NULL;
	png_bytep row = NULL;
	char tmp[4200];
	FILE *f = NULL;
	int size, x, y, rc = -EIO;

	if (!qr)
		return -EINVAL;
	size = (qr->width + 2 * QR_MARGIN) * scale;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (!(f = fopen(tmp, "wbe"))) {
		rc = -errno;
		goto out;
	}
	if (!(row = malloc((size_t)size)) ||
	    !(png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL)) ||
	    !(info = png_create_info_struct(png)))
		goto out;
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < size; y++) {
		for (x = 0; x < size; x++)
			row[x] = module(qr, x / scale - QR_MARGIN, y / scale - QR_MARGIN) ? 0 : 255;
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out;
	rc = 0;
out:
	if (png)
		png_destroy_write_struct(&png, info ? &info : NULL);
	if (f && fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	free(row);
	QRcode_free(qr);
	return rc;
}

int
enroll_create(struct store *st, const struct enroll_opts *o, char *code, size_t codelen,
    char *png_out, size_t pnglen, char *err, size_t errlen)
{
	struct syncproto_setup s;
	unsigned char tok[SYNCPROTO_TOKEN_HEX / 2];
	char certp[4200], sha[SYNCPROTO_SHA_HEX + 1], fname[80];
	const char *prefix = o->prefix ? o->prefix : SYNCPROTO_DEFAULT_PREFIX;
	int rc;

	memset(&s, 0, sizeof s);
	if (!room_ok(o->room)) {
		snprintf(err, errlen, "room name must be 1 to 64 printable characters");
		return -EINVAL;
	}
	if (o->url) {
		snprintf(s.url, sizeof s.url, "%s", o->url);
	} else if (syncstore_setting_get(st, "url", s.url, sizeof s.url) != 0) {
		snprintf(err, errlen, "no host URL: run `notewell init --url URL` or pass --url");
		return -ENOENT;
	}
	if (!syncproto_url_ok(s.url)) {
		snprintf(err, errlen, "'%s' is not a usable URL (https://HOST[:PORT], "
		    "no ';', no trailing '/')", s.url);
		return -EINVAL;
	}
	snprintf(certp, sizeof certp, "%s/" TLSCERT_CERT, st->dir);
	if ((rc = tlscert_pin_file(certp, s.pin)) < 0) {
		snprintf(err, errlen, "%s: %s (run `notewell init` first)", certp, strerror(-rc));
		return rc;
	}
	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(tok, sizeof tok);
	sodium_bin2hex(s.token, sizeof s.token, tok, sizeof tok);
	sodium_memzero(tok, sizeof tok);
	if ((rc = syncproto_setup_format(prefix, &s, code, codelen)) < 0) {
		snprintf(err, errlen, "setup code does not fit (prefix or URL too long)");
		return rc;
	}
	syncproto_sha256_hex(s.token, strlen(s.token), sha);
	if ((rc = syncstore_token_add(st, sha, o->room, s.url, o->now, o->now + o->ttl_s)) < 0) {
		snprintf(err, errlen, "cannot store the token");
		return rc;
	}
	store_audit(st, "notewell", "enroll-token", o->room);
	if (o->png) {
		snprintf(png_out, pnglen, "%s", o->png);
	} else {
		snprintf(certp, sizeof certp, "%s/enroll", st->dir);
		mkdir(certp, 0700);
		room_file(o->room, fname, sizeof fname);
		snprintf(png_out, pnglen, "%s/enroll/%s.png", st->dir, fname);
	}
	if ((rc = enroll_write_png(png_out, code, 8)) < 0) {
		snprintf(err, errlen, "%s: %s", png_out, strerror(-rc));
		return rc;
	}
	return 0;
}
