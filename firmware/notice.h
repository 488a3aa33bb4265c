#ifndef NW_NOTICE_H
#define NW_NOTICE_H
/*
 * Consent notices: what the room screen says about recording and the blue
 * sheet, and which exact privacy statement that summary stands for.
 *
 * A notice lives in a small text file of "key: value" lines (format in
 * board/notices/README). The full statement is a separate file in the same
 * directory; its SHA-256 is part of the notice, so a stamp naming a notice
 * (id, version, sha256) proves which text people could reach. Loading checks
 * the hash, so a box never shows a notice whose statement it cannot back.
 *
 * Errors come back as a struct notice_error naming file and line; the
 * caller prints it once with notice_error_format().
 */
#include <stddef.h>
#include <stdint.h>

#define NOTICE_ID_MAX 64
#define NOTICE_VERSION_MAX 32
#define NOTICE_LANG_MAX 16
#define NOTICE_URL_MAX 400
#define NOTICE_FILE_MAX 128
#define NOTICE_TEXT_MAX 600
#define NOTICE_LINE_MAX 1024
/* Notice files are tiny; anything bigger is not a notice. */
#define NOTICE_FILE_SIZE_MAX 16384

struct notice {
	char id[NOTICE_ID_MAX];
	char version[NOTICE_VERSION_MAX];	/* YYYY-MM-DD or YYYY-MM-DD.N */
	char language[NOTICE_LANG_MAX];	/* BCP 47 tag, e.g. "en" */
	char url[NOTICE_URL_MAX];		/* where the full statement is published */
	char statement[NOTICE_FILE_MAX];	/* file name of the full text, same dir */
	char sha256[65];			/* lower-case hex of the statement */
	int64_t effective_from;			/* Unix seconds, UTC */
	char screen_recording[NOTICE_TEXT_MAX];
	char screen_bluesheet[NOTICE_TEXT_MAX];
};

enum notice_err {
	NOTICE_OK = 0,
	NOTICE_ERR_IO,		/* file cannot be read (errno in sys_errno) */
	NOTICE_ERR_TOO_BIG,
	NOTICE_ERR_SYNTAX,	/* a line that is not "key: value" */
	NOTICE_ERR_ENCODING,	/* not UTF-8, or control characters */
	NOTICE_ERR_UNKNOWN_KEY,
	NOTICE_ERR_DUPLICATE_KEY,
	NOTICE_ERR_MISSING_KEY,
	NOTICE_ERR_TOO_LONG,	/* a value longer than its field */
	NOTICE_ERR_BAD_VALUE,	/* id, language, url or file name malformed */
	NOTICE_ERR_BAD_DATE,	/* version or effective_from not a real date */
	NOTICE_ERR_BAD_HASH,	/* sha256 not 64 hex digits */
	NOTICE_ERR_HASH_MISMATCH,
	NOTICE_ERR_DUPLICATE_NOTICE,	/* same id and version twice in a set */
	NOTICE_ERR_NOMEM,
};

struct notice_error {
	enum notice_err code;
	char file[256];
	int line;		/* 1-based; 0 when the error is about the whole file */
	int sys_errno;		/* for NOTICE_ERR_IO */
	char detail[160];	/* e.g. the offending key */
};

const char *notice_strerror(enum notice_err);
/* "file:line: what (detail)" into buf; returns buf. */
char *notice_error_format(const struct notice_error *, char *buf, size_t len);

/*
 * Parses a notice from memory. name is used in errors only. Does not look
 * at the statement file (notice_load does), so it is safe to fuzz. Returns
 * 0 or -1 with *err filled; *n is only written on success.
 */
int notice_parse(const char *buf, size_t len, const char *name,
    struct notice *n, struct notice_error *err);

/* Reads and parses path, then checks the statement's SHA-256. */
int notice_load(const char *path, struct notice *n, struct notice_error *err);

/* SHA-256 (libsodium) of a buffer / a file, as 64 lower-case hex digits. */
void notice_sha256_hex(const void *buf, size_t len, char out[65]);
int notice_sha256_file(const char *path, char out[65]);	/* 0 or -errno */

/*
 * The URL the QR code carries: the statement URL with the version in the
 * fragment ("URL#v=VERSION"), so a phone opens the page and the scan still
 * names the version. Returns 0 or -ENAMETOOLONG.
 */
int notice_qr_url(const struct notice *, char *buf, size_t len);

/* 2200-01-01T00:00:00Z: no notice takes effect later (times are kept in
 * int64 nanoseconds everywhere, which run out in 2262). */
#define NOTICE_TIME_MAX 7258118400LL

/* "2026-11-22T00:00:00Z" -> Unix seconds; -1 if not a real UTC time. */
int notice_parse_time(const char *s, int64_t *out);

/*
 * All notices of a directory (every *.notice file), sorted by
 * effective_from then version. Either all load or none: on error *set is
 * left as it was.
 */
/* Notices the host pushed live in this folder of the box's data folder,
 * beside (never instead of) the notices shipped with the image. */
#define NOTICE_PUSHED_DIR "notices"

struct notice_set {
	struct notice *v;
	size_t n;
};
int notice_set_load_dir(const char *dir, struct notice_set *set,
    struct notice_error *err);
void notice_set_free(struct notice_set *);
/*
 * Adds src's notices to dst (the box's shipped set plus those the host
 * pushed). A version present in both must be the same notice; if it is
 * not, nothing changes and -1 comes back with *err naming src_name.
 */
int notice_set_merge(struct notice_set *dst, const struct notice_set *src,
    const char *src_name, struct notice_error *err);
/*
 * The notice in force at `now`: the latest effective_from <= now (later
 * version wins a tie). NULL if none has taken effect yet.
 */
const struct notice *notice_set_current(const struct notice_set *, int64_t now);

#endif
