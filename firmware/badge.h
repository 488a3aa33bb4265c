#ifndef NW_BADGE_H
#define NW_BADGE_H
/*
 * Badge code validation: decides whether a decoded scan is a badge id for the
 * blue sheet, a setup (enrollment) code, or junk to reject. Pure: no I/O.
 *
 * The charset is a character class without brackets: single characters and
 * ranges, e.g. "A-Z0-9-" (a '-' first or last is literal, "\\-" and "\\\\"
 * escape). Only printable ASCII (0x20..0x7e) may be allowed at all.
 */
#include <stddef.h>

#define BADGE_DEFAULT_MIN_LEN 4
#define BADGE_DEFAULT_MAX_LEN 64
#define BADGE_DEFAULT_CHARSET "A-Za-z0-9-"
#define BADGE_DEFAULT_SETUP_PREFIX "NWSETUP:"
#define BADGE_SETUP_PREFIX_MAX 32
#define BADGE_SETUP_MAX_LEN 512	/* payload: host URL, token, key fingerprint */

enum badge_status {
	BADGE_VALID = 0,	/* a badge id for the blue sheet */
	BADGE_SETUP,		/* an enrollment code: route to enrollment */
	BADGE_EMPTY,
	BADGE_TOO_SHORT,
	BADGE_TOO_LONG,
	BADGE_BINARY,		/* control or non-ASCII bytes, embedded NUL */
	BADGE_BAD_CHAR,		/* printable, but outside the charset */
	BADGE_REPEAT,		/* a run of one character longer than max_run */
	BADGE_SETUP_BAD,	/* setup prefix with an empty or unprintable payload */
	BADGE_CONFIG,		/* badge_config_init: bad bounds, charset or prefix */
};

struct badge_config {
	size_t min_len, max_len;
	size_t max_run;		/* 0: no limit on runs of one character */
	unsigned char allowed[128 / 8];	/* bitmap of allowed ASCII */
	char setup_prefix[BADGE_SETUP_PREFIX_MAX + 1];	/* "" disables setup codes */
};

/* Fills cfg. charset NULL means BADGE_DEFAULT_CHARSET, setup_prefix NULL
 * means BADGE_DEFAULT_SETUP_PREFIX. Returns BADGE_VALID or BADGE_CONFIG (cfg
 * is then left unchanged): min_len 0 or above max_len, max_len above
 * BADGE_SETUP_MAX_LEN, an empty/unprintable/descending charset, a prefix that
 * is too long or unprintable. */
enum badge_status badge_config_init(struct badge_config *cfg, size_t min_len,
    size_t max_len, const char *charset, const char *setup_prefix, size_t max_run);

/* Classifies code[0..len). For BADGE_SETUP, *payload (if not NULL) points
 * into code just after the prefix. */
enum badge_status badge_check(const struct badge_config *cfg, const char *code,
    size_t len, const char **payload);

const char *badge_strerror(enum badge_status);

#endif
