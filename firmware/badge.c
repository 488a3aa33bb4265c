#include "badge.h"

#include <string.h>

static int
printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

static void
allow(unsigned char *set, unsigned char c)
{
	set[c / 8] |= (unsigned char)(1u << (c % 8));
}

static int
allowed(const unsigned char *set, unsigned char c)
{
	return c < 128 && (set[c / 8] & (1u << (c % 8)));
}

/* Parses a bracket-less character class into set. Returns 0 or -1. */
static int
parse_charset(const char *spec, unsigned char *set)
{
	const unsigned char *s = (const unsigned char *)spec;
	int any = 0;

	while (*s) {
		unsigned char lo = *s++;
		if (lo == '\\') {
			if (!*s)
				return -1;
			lo = *s++;
		}
		if (!printable(lo))
			return -1;
		unsigned char hi = lo;
		/* "a-z" is a range; a '-' with nothing after it is literal. */
		if (s[0] == '-' && s[1]) {
			s++;
			hi = *s++;
			if (hi == '\\') {
				if (!*s)
					return -1;
				hi = *s++;
			}
			if (!printable(hi) || hi < lo)
				return -1;
		}
		for (unsigned c = lo; c <= hi; c++)
			allow(set, (unsigned char)c);
		any = 1;
	}
	return any ? 0 : -1;
}

enum badge_status
badge_config_init(struct badge_config *cfg, size_t min_len, size_t max_len,
    const char *charset, const char *setup_prefix, size_t max_run)
{
	struct badge_config c;

	memset(&c, 0, sizeof c);
	if (!charset)
		charset = BADGE_DEFAULT_CHARSET;
	if (!setup_prefix)
		setup_prefix = BADGE_DEFAULT_SETUP_PREFIX;
	if (min_len < 1 || min_len > max_len || max_len > BADGE_SETUP_MAX_LEN)
		return BADGE_CONFIG;
	if (parse_charset(charset, c.allowed) < 0)
		return BADGE_CONFIG;
	size_t plen = strlen(setup_prefix);
	if (plen > BADGE_SETUP_PREFIX_MAX)
		return BADGE_CONFIG;
	for (size_t i = 0; i < plen; i++)
		if (!printable((unsigned char)setup_prefix[i]) || setup_prefix[i] == ' ')
			return BADGE_CONFIG;
	memcpy(c.setup_prefix, setup_prefix, plen + 1);
	c.min_len = min_len;
	c.max_len = max_len;
	c.max_run = max_run;
	*cfg = c;
	return BADGE_VALID;
}

static enum badge_status
check_setup(const char *code, size_t len, size_t plen, const char **payload)
{
	if (len == plen || len > BADGE_SETUP_MAX_LEN)
		return BADGE_SETUP_BAD;
	/* The payload is a URL plus token and fingerprint: no spaces. */
	if (memchr(code + plen, ' ', len - plen))
		return BADGE_SETUP_BAD;
	if (payload)
		*payload = code + plen;
	return BADGE_SETUP;
}

enum badge_status
badge_check(const struct badge_config *cfg, const char *code, size_t len,
    const char **payload)
{
	if (!code || len == 0)
		return BADGE_EMPTY;
	for (size_t i = 0; i < len; i++)
		if (!printable((unsigned char)code[i]))
			return BADGE_BINARY;
	size_t plen = strlen(cfg->setup_prefix);
	if (plen && len >= plen && memcmp(code, cfg->setup_prefix, plen) == 0)
		return check_setup(code, len, plen, payload);
	if (len < cfg->min_len)
		return BADGE_TOO_SHORT;
	if (len > cfg->max_len)
		return BADGE_TOO_LONG;
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		if (!allowed(cfg->allowed, (unsigned char)code[i]))
			return BADGE_BAD_CHAR;
		run = i > 0 && code[i] == code[i - 1] ? run + 1 : 1;
		if (cfg->max_run && run > cfg->max_run)
			return BADGE_REPEAT;
	}
	return BADGE_VALID;
}

const char *
badge_strerror(enum badge_status s)
{
	switch (s) {
	case BADGE_VALID:
		return "valid badge";
	case BADGE_SETUP:
		return "setup code";
	case BADGE_EMPTY:
		return "empty code";
	case BADGE_TOO_SHORT:
		return "code too short for a badge";
	case BADGE_TOO_LONG:
		return "code too long for a badge";
	case BADGE_BINARY:
		return "code contains control or non-ASCII bytes";
	case BADGE_BAD_CHAR:
		return "code contains characters badges never have";
	case BADGE_REPEAT:
		return "code repeats one character too often (keyboard mashing?)";
	case BADGE_SETUP_BAD:
		return "malformed setup code";
	case BADGE_CONFIG:
		return "invalid badge configuration";
	}
	return "unknown badge status";
}
