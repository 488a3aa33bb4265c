/*
 * Notice files: parse, validate, and tie each notice to the exact bytes of
 * its statement through SHA-256 (libsodium). See notice.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "notice.h"

enum key {
	K_ID, K_VERSION, K_LANGUAGE, K_URL, K_STATEMENT, K_SHA256,
	K_EFFECTIVE_FROM, K_SCREEN_RECORDING, K_SCREEN_BLUESHEET, K_COUNT
};

/* Field table: the parser is driven by it, so adding a key is one line. */
static const struct {
	const char *name;
	size_t off;
	size_t size;	/* 0: not a plain string field */
} keys[K_COUNT] = {
	[K_ID] = { "id", offsetof(struct notice, id), NOTICE_ID_MAX },
	[K_VERSION] = { "version", offsetof(struct notice, version), NOTICE_VERSION_MAX },
	[K_LANGUAGE] = { "language", offsetof(struct notice, language), NOTICE_LANG_MAX },
	[K_URL] = { "url", offsetof(struct notice, url), NOTICE_URL_MAX },
	[K_STATEMENT] = { "statement", offsetof(struct notice, statement), NOTICE_FILE_MAX },
	[K_SHA256] = { "sha256", offsetof(struct notice, sha256), 65 },
	[K_EFFECTIVE_FROM] = { "effective_from", 0, 0 },
	[K_SCREEN_RECORDING] = { "screen_recording", offsetof(struct notice, screen_recording), NOTICE_TEXT_MAX },
	[K_SCREEN_BLUESHEET] = { "screen_bluesheet", offsetof(struct notice, screen_bluesheet), NOTICE_TEXT_MAX },
};

const char *
notice_strerror(enum notice_err e)
{
	switch (e) {
	case NOTICE_OK: return "no error";
	case NOTICE_ERR_IO: return "cannot read file";
	case NOTICE_ERR_TOO_BIG: return "file too big for a notice";
	case NOTICE_ERR_SYNTAX: return "expected \"key: value\"";
	case NOTICE_ERR_ENCODING: return "not UTF-8 text without control characters";
	case NOTICE_ERR_UNKNOWN_KEY: return "unknown key";
	case NOTICE_ERR_DUPLICATE_KEY: return "key given twice";
	case NOTICE_ERR_MISSING_KEY: return "missing key";
	case NOTICE_ERR_TOO_LONG: return "value too long";
	case NOTICE_ERR_BAD_VALUE: return "malformed value";
	case NOTICE_ERR_BAD_DATE: return "not a valid date";
	case NOTICE_ERR_BAD_HASH: return "sha256 must be 64 hex digits";
	case NOTICE_ERR_HASH_MISMATCH: return "statement does not match sha256";
	case NOTICE_ERR_DUPLICATE_NOTICE: return "same id and version as another notice";
	case NOTICE_ERR_NOMEM: return "out of memory";
	}
	return "unknown error";
}

char *
notice_error_format(const struct notice_error *e, char *buf, size_t len)
{
	char where[300];

	if (e->line > 0)
		snprintf(where, sizeof(where), "%s:%d", e->file, e->line);
	else
		snprintf(where, sizeof(where), "%s", e->file);
	if (e->code == NOTICE_ERR_IO)
		snprintf(buf, len, "%s: %s: %s%s%s", where, notice_strerror(e->code),
		    e->detail, e->detail[0] ? ": " : "", strerror(e->sys_errno));
	else if (e->detail[0])
		snprintf(buf, len, "%s: %s: %s", where, notice_strerror(e->code),
		    e->detail);
	else
		snprintf(buf, len, "%s: %s", where, notice_strerror(e->code));
	return buf;
}

static int
fail(struct notice_error *err, enum notice_err code, const char *file,
    int line, const char *detail)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = code;
		snprintf(err->file, sizeof(err->file), "%s", file ? file : "(notice)");
		err->line = line;
		if (detail) {
			size_t l = strnlen(detail, sizeof(err->detail) - 1);
			memcpy(err->detail, detail, l);
			err->detail[l] = '\0';
		}
	}
	return -1;
}

/*
 * Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Returns the length of the sequence at s, or 0 if it is not valid.
 */
static size_t
utf8_seq(const unsigned char *s, size_t left)
{
	unsigned cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; cp = s[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

int
notice_parse_time(const char *s, int64_t *out)
{
	struct tm tm, back;
	time_t t;
	int i;

	/* Exactly YYYY-MM-DDTHH:MM:SSZ: one spelling, so stamps compare. */
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	for (i = 0; pat[i]; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return -1;
	}
	if (s[i] != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	back = tm;
	t = timegm(&tm);
	/* timegm normalises 02-30 into March; a round trip catches that. */
	if (t == (time_t)-1 || tm.tm_year != back.tm_year ||
	    tm.tm_mon != back.tm_mon || tm.tm_mday != back.tm_mday ||
	    tm.tm_hour != back.tm_hour || tm.tm_min != back.tm_min ||
	    tm.tm_sec != back.tm_sec)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* YYYY-MM-DD, optionally ".N" when two versions are issued on one day. */
static int
valid_version(const char *v)
{
	char tbuf[32];
	int64_t t;
	size_t i;

	if (strlen(v) < 10)
		return 0;
	snprintf(tbuf, sizeof(tbuf), "%.10sT00:00:00Z", v);
	if (notice_parse_time(tbuf, &t) < 0)
		return 0;
	if (v[10] == '\0')
		return 1;
	if (v[10] != '.' || !isdigit((unsigned char)v[11]) || v[11] == '0')
		return 0;
	for (i = 12; v[i]; i++)
		if (!isdigit((unsigned char)v[i]) || i > 14)
			return 0;
	return 1;
}

static int
valid_id(const char *s)
{
	if (!islower((unsigned char)s[0]) && !isdigit((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '-' && *s != '.' && *s != '_')
			return 0;
	return 1;
}

/* A BCP 47-shaped tag: letters, then "-" subtags of letters and digits. */
static int
valid_language(const char *s)
{
	size_t n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 2 || n > 8)
		return 0;
	for (s += n; *s; ) {
		if (*s++ != '-')
			return 0;
		for (n = 0; isalnum((unsigned char)s[n]); n++)
			;
		if (n < 1 || n > 8)
			return 0;
		s += n;
	}
	return 1;
}

/*
 * http(s) URL of printable ASCII without a fragment: the QR code appends
 * "#v=VERSION", and a second '#' would make that ambiguous.
 */
static int
valid_url(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return 0;
	if (*host == '\0' || *host == '/')
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '#')
			return 0;
	return 1;
}

/* A bare file name in the notice's own directory: no paths, no dot files. */
static int
valid_filename(const char *s)
{
	if (s[0] == '.' || s[0] == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return 0;
	return 1;
}

/* The parse keeps the line of each key so later checks can point at it. */
struct parsed {
	struct notice n;
	int line[K_COUNT];
};

static int
check_value(enum key k, char *v, struct parsed *p, const char *name,
    int line, struct notice_error *err)
{
	size_t i;

	switch (k) {
	case K_ID:
		if (!valid_id(v))
			return fail(err, NOTICE_ERR_BAD_VALUE, name, line,
			    "id: lower-case letters, digits, '-', '.', '_'");
		break;
	case K_VERSION:
		if (!valid_version(v))
			return fail(err, NOTICE_ERR_BAD_DATE, name, line,
			    "version: want YYYY-MM-DD or YYYY-MM-DD.N");
		break;
	case K_LANGUAGE:
		if (!valid_language(v))
			return fail(err, NOTICE_ERR_BAD_VALUE, name, line,
			    "language: want a tag such as en or pt-BR");
		break;
	case K_URL:
		if (!valid_url(v))
			return fail(err, NOTICE_ERR_BAD_VALUE, name, line,
			    "url: want http(s)://host/... without '#' or spaces");
		break;
	case K_STATEMENT:
		if (!valid_filename(v))
			return fail(err, NOTICE_ERR_BAD_VALUE, name, line,
			    "statement: want a file name in the same directory");
		break;
	case K_SHA256:
		if (strlen(v) != 64)
			return fail(err, NOTICE_ERR_BAD_HASH, name, line, NULL);
		for (i = 0; i < 64; i++) {
			if (!isxdigit((unsigned char)v[i]))
				return fail(err, NOTICE_ERR_BAD_HASH, name, line, NULL);
			v[i] = (char)tolower((unsigned char)v[i]);
		}
		break;
	case K_EFFECTIVE_FROM:
		if (notice_parse_time(v, &p->n.effective_from) < 0)
			return fail(err, NOTICE_ERR_BAD_DATE, name, line,
			    "effective_from: want YYYY-MM-DDTHH:MM:SSZ");
		/* Stamps keep times in int64 nanoseconds, which end in 2262. */
		if (p->n.effective_from >= NOTICE_TIME_MAX)
			return fail(err, NOTICE_ERR_BAD_DATE, name, line,
			    "effective_from: after 2199");
		break;
	case K_SCREEN_RECORDING:
	case K_SCREEN_BLUESHEET:
	case K_COUNT:
		break;
	}
	return 0;
}

static int
parse_line(char *s, size_t len, struct parsed *p, const char *name, int line,
    struct notice_error *err)
{
	char *colon, *v, *end;
	size_t klen, vlen;
	int k;

	if (len == 0 || s[0] == '#')
		return 0;
	colon = memchr(s, ':', len);
	if (colon == NULL || colon == s || colon + 1 >= s + len ||
	    colon[1] != ' ')
		return fail(err, NOTICE_ERR_SYNTAX, name, line, NULL);
	klen = (size_t)(colon - s);
	for (k = 0; k < K_COUNT; k++)
		if (strlen(keys[k].name) == klen &&
		    memcmp(keys[k].name, s, klen) == 0)
			break;
	if (k == K_COUNT) {
		char kn[64];
		snprintf(kn, sizeof(kn), "%.*s", (int)(klen < 40 ? klen : 40), s);
		return fail(err, NOTICE_ERR_UNKNOWN_KEY, name, line, kn);
	}
	if (p->line[k])
		return fail(err, NOTICE_ERR_DUPLICATE_KEY, name, line, keys[k].name);
	v = colon + 1;
	end = s + len;
	while (v < end && *v == ' ')
		v++;
	while (end > v && end[-1] == ' ')
		end--;
	vlen = (size_t)(end - v);
	if (vlen == 0)
		return fail(err, NOTICE_ERR_BAD_VALUE, name, line, keys[k].name);
	*end = '\0';
	if (keys[k].size) {
		if (vlen >= keys[k].size)
			return fail(err, NOTICE_ERR_TOO_LONG, name, line, keys[k].name);
		memcpy((char *)&p->n + keys[k].off, v, vlen + 1);
		v = (char *)&p->n + keys[k].off;
	}
	if (check_value((enum key)k, v, p, name, line, err) < 0)
		return -1;
	p->line[k] = line;
	return 0;
}

static int
parse(const char *buf, size_t len, const char *name, struct parsed *p,
    struct notice_error *err)
{
	char linebuf[NOTICE_LINE_MAX + 1];
	size_t i = 0, start, n;
	int line = 0, k;

	memset(p, 0, sizeof(*p));
	if (len > NOTICE_FILE_SIZE_MAX)
		return fail(err, NOTICE_ERR_TOO_BIG, name, 0, NULL);
	while (i < len) {
		start = i;
		line++;
		while (i < len && buf[i] != '\n') {
			size_t q = utf8_seq((const unsigned char *)buf + i, len - i);
			/* Controls would let a notice hide text on screen. */
			if (q == 0 || (unsigned char)buf[i] < 0x20 ||
			    buf[i] == 0x7f)
				return fail(err, NOTICE_ERR_ENCODING, name, line, NULL);
			i += q;
		}
		n = i - start;
		if (i < len)
			i++;	/* the '\n' */
		if (n > NOTICE_LINE_MAX)
			return fail(err, NOTICE_ERR_TOO_LONG, name, line, "line");
		memcpy(linebuf, buf + start, n);
		linebuf[n] = '\0';
		if (parse_line(linebuf, n, p, name, line, err) < 0)
			return -1;
	}
	for (k = 0; k < K_COUNT; k++)
		if (!p->line[k])
			return fail(err, NOTICE_ERR_MISSING_KEY, name, 0, keys[k].name);
	return 0;
}

int
notice_parse(const char *buf, size_t len, const char *name, struct notice *n,
    struct notice_error *err)
{
	struct parsed p;

	if (parse(buf, len, name, &p, err) < 0)
		return -1;
	*n = p.n;
	return 0;
}

void
notice_sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, buf, len);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

int
notice_sha256_file(const char *path, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES], chunk[8192];
	crypto_hash_sha256_state st;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	crypto_hash_sha256_init(&st);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		crypto_hash_sha256_update(&st, chunk, (unsigned long long)r);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, sizeof(h));
out:
	close(fd);
	return rc;
}

/* Reads a whole small file; returns 0 or -errno (-EFBIG past max). */
static int
read_small(const char *path, char **out, size_t *outlen, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((buf = malloc(max + 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		r = read(fd, buf + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			rc = -EFBIG;
			goto out;
		}
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int
notice_load(const char *path, struct notice *n, struct notice_error *err)
{
	struct parsed p;
	char *buf = NULL, *stpath = NULL, hex[65];
	const char *slash;
	size_t len = 0;
	int r, rc = -1;

	r = read_small(path, &buf, &len, NOTICE_FILE_SIZE_MAX);
	if (r == -EFBIG) {
		fail(err, NOTICE_ERR_TOO_BIG, path, 0, NULL);
		goto out;
	}
	if (r < 0) {
		fail(err, r == -ENOMEM ? NOTICE_ERR_NOMEM : NOTICE_ERR_IO, path, 0, NULL);
		if (err)
			err->sys_errno = -r;
		goto out;
	}
	if (parse(buf, len, path, &p, err) < 0)
		goto out;
	slash = strrchr(path, '/');
	if (asprintf(&stpath, "%.*s%s", slash ? (int)(slash - path + 1) : 0,
	    path, p.n.statement) < 0) {
		stpath = NULL;
		fail(err, NOTICE_ERR_NOMEM, path, 0, NULL);
		goto out;
	}
	if (sodium_init() < 0) {
		fail(err, NOTICE_ERR_NOMEM, path, 0, "libsodium init");
		goto out;
	}
	r = notice_sha256_file(stpath, hex);
	if (r < 0) {
		fail(err, NOTICE_ERR_IO, path, p.line[K_STATEMENT], stpath);
		if (err)
			err->sys_errno = -r;
		goto out;
	}
	if (strcmp(hex, p.n.sha256) != 0) {
		char d[400];
		snprintf(d, sizeof(d), "%s has %s", p.n.statement, hex);
		fail(err, NOTICE_ERR_HASH_MISMATCH, path, p.line[K_SHA256], d);
		goto out;
	}
	*n = p.n;
	rc = 0;
out:
	free(stpath);
	free(buf);
	return rc;
}

int
notice_qr_url(const struct notice *n, char *buf, size_t len)
{
	int r = snprintf(buf, len, "%s#v=%s", n->url, n->version);

	return (r < 0 || (size_t)r >= len) ? -ENAMETOOLONG : 0;
}

static int
cmp_notice(const void *a, const void *b)
{
	const struct notice *x = a, *y = b;

	int d;

	if (x->effective_from != y->effective_from)
		return x->effective_from < y->effective_from ? -1 : 1;
	/* Date first, then the ".N" suffix as a number, so .10 follows .9. */
	if ((d = strncmp(x->version, y->version, 10)) != 0)
		return d;
	return atoi(x->version + 10 + (x->version[10] == '.')) -
	    atoi(y->version + 10 + (y->version[10] == '.'));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
notice_set_load_dir(const char *dir, struct notice_set *set,
    struct notice_error *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL, *path = NULL;
	struct notice *v = NULL;
	size_t nn = 0, cap = 0, i, j, l;
	int rc = -1;

	if ((d = opendir(dir)) == NULL) {
		fail(err, NOTICE_ERR_IO, dir, 0, NULL);
		if (err)
			err->sys_errno = errno;
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 8 ||
		    strcmp(de->d_name + l - 7, ".notice") != 0)
			continue;
		if (nn == cap) {
			char **t = realloc(names, (cap ? cap * 2 : 8) * sizeof(*t));
			if (t == NULL)
				goto nomem;
			names = t;
			cap = cap ? cap * 2 : 8;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL)
			goto nomem;
		nn++;
	}
	/* Sorted so that errors and duplicates are reported the same way every run. */
	if (nn)
		qsort(names, nn, sizeof(*names), cmp_str);
	if (nn && (v = calloc(nn, sizeof(*v))) == NULL)
		goto nomem;
	for (i = 0; i < nn; i++) {
		free(path);
		if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			goto nomem;
		}
		if (notice_load(path, &v[i], err) < 0)
			goto out;
		for (j = 0; j < i; j++) {
			if (strcmp(v[j].id, v[i].id) == 0 &&
			    strcmp(v[j].version, v[i].version) == 0) {
				char dd[400];
				snprintf(dd, sizeof(dd), "%s %s also in %s",
				    v[i].id, v[i].version, names[j]);
				fail(err, NOTICE_ERR_DUPLICATE_NOTICE, path, 0, dd);
				goto out;
			}
		}
	}
	if (nn)
		qsort(v, nn, sizeof(*v), cmp_notice);
	notice_set_free(set);
	set->v = v;
	set->n = nn;
	v = NULL;
	rc = 0;
	goto out;
nomem:
	fail(err, NOTICE_ERR_NOMEM, dir, 0, NULL);
out:
	if (d)
		closedir(d);
	for (i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(path);
	free(v);
	return rc;
}

static int
same_notice(const struct notice *a, const struct notice *b)
{
	return strcmp(a->sha256, b->sha256) == 0 && strcmp(a->url, b->url) == 0 &&
	    strcmp(a->language, b->language) == 0 && a->effective_from == b->effective_from &&
	    strcmp(a->screen_recording, b->screen_recording) == 0 &&
	    strcmp(a->screen_bluesheet, b->screen_bluesheet) == 0;
}

int
notice_set_merge(struct notice_set *dst, const struct notice_set *src,
    const char *src_name, struct notice_error *err)
{
	struct notice *v;
	size_t i, j, n = dst->n;

	if (src->n == 0)
		return 0;
	if ((v = calloc(dst->n + src->n, sizeof(*v))) == NULL) {
		fail(err, NOTICE_ERR_NOMEM, src_name, 0, NULL);
		return -1;
	}
	if (dst->n)
		memcpy(v, dst->v, dst->n * sizeof(*v));
	for (i = 0; i < src->n; i++) {
		const struct notice *s = &src->v[i];

		for (j = 0; j < dst->n; j++)
			if (strcmp(v[j].id, s->id) == 0 && strcmp(v[j].version, s->version) == 0)
				break;
		if (j == dst->n) {
			v[n++] = *s;
			continue;
		}
		/* The same version delivered twice is one notice; two different
		 * texts under one version would make stamps ambiguous. */
		if (!same_notice(&v[j], s)) {
			char d[200];
			snprintf(d, sizeof(d), "%s %s differs from the one already loaded",
			    s->id, s->version);
			fail(err, NOTICE_ERR_DUPLICATE_NOTICE, src_name, 0, d);
			free(v);
			return -1;
		}
	}
	qsort(v, n, sizeof(*v), cmp_notice);
	free(dst->v);
	dst->v = v;
	dst->n = n;
	return 0;
}

void
notice_set_free(struct notice_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

const struct notice *
notice_set_current(const struct notice_set *set, int64_t now)
{
	const struct notice *best = NULL;
	size_t i;

	/* The set is sorted, so the last one that has taken effect wins. */
	for (i = 0; i < set->n; i++)
		if (set->v[i].effective_from <= now)
			best = &set->v[i];
	return best;
}
