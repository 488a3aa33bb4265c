#include "csvfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "minisign.h"

struct csv_ctx {
	struct csvfile *cf;
	char **fields;		/* the record being built */
	int nfields, cap;
	int newlines;		/* newlines inside the record's fields */
	int line;		/* line being fed to the parser */
	int oom;
};

int
csvfile_utf8_ok(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	unsigned c, need, min;
	uint32_t cp;

	while (i < len) {
		c = s[i++];
		if (c == 0)
			return 0;
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (len - i < need)
			return 0;
		while (need--) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i++] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
	}
	return 1;
}

int
csvfile_utf8_bad_line(const char *buf, size_t len)
{
	const char *nl;
	size_t n = 0, ll;
	int line;

	for (line = 1; n < len; line++) {
		nl = memchr(buf + n, '\n', len - n);
		ll = nl ? (size_t)(nl - buf) - n + 1 : len - n;
		if (!csvfile_utf8_ok(buf + n, ll))
			return line;
		n += ll;
	}
	return 0;
}

static void
csv_field_cb(void *data, size_t len, void *vctx)
{
	struct csv_ctx *c = vctx;
	char **nf, *f;
	size_t i;

	if (c->oom)
		return;
	if (c->nfields == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		nf = realloc(c->fields, (size_t)c->cap * sizeof *nf);
		if (!nf) {
			c->oom = 1;
			return;
		}
		c->fields = nf;
	}
	f = malloc(len + 1);
	if (!f) {
		c->oom = 1;
		return;
	}
	memcpy(f, data ? data : "", len);
	f[len] = '\0';
	for (i = 0; i < len; i++)
		if (f[i] == '\n')
			c->newlines++;
	c->fields[c->nfields++] = f;
}

static void
csv_row_cb(int term, void *vctx)
{
	struct csv_ctx *c = vctx;
	struct csvfile *cf = c->cf;
	struct csvfile_row *nr;

	if (c->oom)
		return;
	if (cf->nrows == cf->cap) {
		cf->cap = cf->cap ? 2 * cf->cap : 64;
		nr = realloc(cf->rows, (size_t)cf->cap * sizeof *nr);
		if (!nr) {
			c->oom = 1;
			return;
		}
		cf->rows = nr;
	}
	/* Called on the record's last line: count back over embedded breaks. */
	cf->rows[cf->nrows].line = c->line - c->newlines;
	cf->rows[cf->nrows].nfields = c->nfields;
	cf->rows[cf->nrows].fields = c->fields;
	cf->nrows++;
	c->fields = NULL;
	c->nfields = c->cap = 0;
	c->newlines = 0;
}

int
csvfile_load(const char *path, struct csvfile *cf, char *err, size_t errlen)
{
	struct csv_parser p;
	struct csv_ctx c;
	uint8_t *buf = NULL;
	size_t len, off = 0, n;
	char *nl;
	int rc = 0, i, parser = 0;

	memset(cf, 0, sizeof *cf);
	memset(&c, 0, sizeof c);
	c.cf = cf;
	rc = minisign_read_file(path, &buf, &len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;	/* spreadsheets like to start with a BOM */
	/* Validate UTF-8 first so the error names the line. */
	if ((c.line = csvfile_utf8_bad_line((char *)buf + off, len - off))) {
		snprintf(err, errlen, "%s:%d: invalid UTF-8 (or NUL byte)",
		    path, c.line);
		rc = -EINVAL;
		goto out;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
		rc = -ENOMEM;
		goto out;
	}
	parser = 1;
	for (c.line = 1, n = off; n < len; c.line++) {
		nl = memchr(buf + n, '\n', len - n);
		size_t ll = nl ? (size_t)(nl - (char *)buf) - n + 1 : len - n;
		if (csv_parse(&p, buf + n, ll, csv_field_cb, csv_row_cb, &c) != ll)
			break;
		n += ll;
	}
	if (n >= len) {
		c.line--;
		if (c.line < 1)
			c.line = 1;
		if (csv_fini(&p, csv_field_cb, csv_row_cb, &c) != 0)
			n = 0;	/* flag the error below */
		else
			n = len;
	}
	if (n < len || csv_error(&p) != CSV_SUCCESS) {
		snprintf(err, errlen, "%s:%d: CSV syntax: %s", path, c.line,
		    csv_error(&p) == CSV_EPARSE ?
		    "stray or unterminated quote" : csv_strerror(csv_error(&p)));
		rc = -EINVAL;
		goto out;
	}
	if (c.oom) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (cf->nrows == 0) {
		snprintf(err, errlen, "%s:1: empty file, expected a header row",
		    path);
		rc = -EINVAL;
	}
out:
	if (parser)
		csv_free(&p);
	for (i = 0; i < c.nfields; i++)
		free(c.fields[i]);
	free(c.fields);
	free(buf);
	if (rc < 0)
		csvfile_free(cf);
	return rc;
}

void
csvfile_free(struct csvfile *cf)
{
	int r, i;

	for (r = 0; r < cf->nrows; r++) {
		for (i = 0; i < cf->rows[r].nfields; i++)
			free(cf->rows[r].fields[i]);
		free(cf->rows[r].fields);
	}
	free(cf->rows);
	memset(cf, 0, sizeof *cf);
}

int
csvfile_column(const struct csvfile *cf, const char *name)
{
	const char *h;
	size_t n;
	int i;

	if (cf->nrows == 0)
		return -1;
	for (i = 0; i < cf->rows[0].nfields; i++) {
		h = cf->rows[0].fields[i];
		h += strspn(h, " \t");
		n = strlen(h);
		while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t' ||
		    h[n - 1] == '\r'))
			n--;
		if (n == strlen(name) && strncasecmp(h, name, n) == 0)
			return i;
	}
	return -1;
}

const char *
csvfile_get(const struct csvfile *cf, int r, int col)
{
	if (col < 0 || r >= cf->nrows || col >= cf->rows[r].nfields)
		return "";
	return cf->rows[r].fields[col];
}
