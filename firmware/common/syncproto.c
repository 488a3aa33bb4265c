/*
 * Sync protocol encoding and decoding shared by box and host.
 */
#include "syncproto.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define AUTH_TAG "notewell-sync-1"

const char *
syncproto_strerror(enum syncproto_err e)
{
	switch (e) {
	case SYNCPROTO_OK:
		return "ok";
	case SYNCPROTO_ERR_PREFIX:
		return "not a setup code";
	case SYNCPROTO_ERR_CHARS:
		return "setup code has characters a scanner cannot type";
	case SYNCPROTO_ERR_LENGTH:
		return "setup code is too long";
	case SYNCPROTO_ERR_VERSION:
		return "setup code is from a newer notewell";
	case SYNCPROTO_ERR_FIELD:
		return "setup code is incomplete or garbled";
	case SYNCPROTO_ERR_URL:
		return "setup code has no usable https URL";
	case SYNCPROTO_ERR_TOKEN:
		return "setup code has a malformed token";
	case SYNCPROTO_ERR_PIN:
		return "setup code has a malformed host key pin";
	}
	return "unknown setup code error";
}

int
syncproto_is_setup(const char *prefix, const char *code)
{
	size_t n = strlen(prefix);

	return n > 0 && strncmp(code, prefix, n) == 0;
}

static int
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int
syncproto_url_ok(const char *url)
{
	const char *host;
	size_t n = strlen(url);

	if (n == 0 || n > SYNCPROTO_URL_MAX || !printable(url))
		return 0;
	if (strncmp(url, "https://", 8) != 0)
		return 0;
	host = url + 8;
	/* ';' separates the payload's fields; a host part must be there. */
	if (strchr(url, ';') || !*host || *host == '/' || *host == ':')
		return 0;
	return url[n - 1] != '/';
}

static int
hex_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return 0;
	return 1;
}

int
syncproto_token_ok(const char *t)
{
	return hex_ok(t, SYNCPROTO_TOKEN_HEX, SYNCPROTO_TOKEN_HEX);
}

int
syncproto_box_ok(const char *b)
{
	return hex_ok(b, 8, SYNCPROTO_BOX_MAX);
}

int
syncproto_sha_ok(const char *s)
{
	return hex_ok(s, SYNCPROTO_SHA_HEX, SYNCPROTO_SHA_HEX);
}

int
syncproto_pin_ok(const char *pin)
{
	unsigned char bin[32];
	size_t len = 0;

	if (strlen(pin) != SYNCPROTO_PIN_B64)
		return 0;
	if (sodium_init() < 0)
		return 0;
	return sodium_base642bin(bin, sizeof bin, pin, SYNCPROTO_PIN_B64, NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) == 0 && len == sizeof bin;
}

int
syncproto_key_ok(const char *k)
{
	size_t n = strlen(k);

	return n > 0 && n <= SYNCPROTO_KEY_MAX && printable(k);
}

int
syncproto_setup_format(const char *prefix, const struct syncproto_setup *s,
    char *out, size_t len)
{
	int n;

	if (!*prefix || !printable(prefix) || !syncproto_url_ok(s->url) ||
	    !syncproto_token_ok(s->token) || !syncproto_pin_ok(s->pin))
		return -EINVAL;
	n = snprintf(out, len, "%sv%d;u=%s;t=%s;p=%s", prefix, SYNCPROTO_VERSION,
	    s->url, s->token, s->pin);
	if (n < 0 || (size_t)n >= len || n > SYNCPROTO_SETUP_MAX)
		return -ENOSPC;
	return 0;
}

/* Copies field value [v, end) into out when it fits; 0 or -1. */
static int
take(const char *v, const char *end, char *out, size_t outlen)
{
	size_t n = (size_t)(end - v);

	if (n >= outlen)
		return -1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 0;
}

enum syncproto_err
syncproto_setup_parse(const char *prefix, const char *code, struct syncproto_setup *s)
{
	const char *p, *end;
	int seen_u = 0, seen_t = 0, seen_p = 0;
	char *vend;
	long v;

	memset(s, 0, sizeof *s);
	if (!syncproto_is_setup(prefix, code))
		return SYNCPROTO_ERR_PREFIX;
	if (strlen(code) > SYNCPROTO_SETUP_MAX)
		return SYNCPROTO_ERR_LENGTH;
	if (!printable(code))
		return SYNCPROTO_ERR_CHARS;
	p = code + strlen(prefix);
	if (*p != 'v' || !isdigit((unsigned char)p[1]))
		return SYNCPROTO_ERR_FIELD;
	v = strtol(p + 1, &vend, 10);
	if (v != SYNCPROTO_VERSION)
		return SYNCPROTO_ERR_VERSION;
	if (*vend != ';')
		return SYNCPROTO_ERR_FIELD;
	s->version = (int)v;
	p = vend + 1;
	while (*p) {
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if (end - p < 2 || p[1] != '=')
			return SYNCPROTO_ERR_FIELD;
		switch (p[0]) {
		case 'u':
			if (seen_u++ || take(p + 2, end, s->url, sizeof s->url) != 0 ||
			    !syncproto_url_ok(s->url))
				return seen_u > 1 ? SYNCPROTO_ERR_FIELD : SYNCPROTO_ERR_URL;
			break;
		case 't':
			if (seen_t++ || take(p + 2, end, s->token, sizeof s->token) != 0 ||
			    !syncproto_token_ok(s->token))
				return seen_t > 1 ? SYNCPROTO_ERR_FIELD : SYNCPROTO_ERR_TOKEN;
			break;
		case 'p':
			if (seen_p++ || take(p + 2, end, s->pin, sizeof s->pin) != 0 ||
			    !syncproto_pin_ok(s->pin))
				return seen_p > 1 ? SYNCPROTO_ERR_FIELD : SYNCPROTO_ERR_PIN;
			break;
		default:
			return SYNCPROTO_ERR_FIELD;
		}
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return SYNCPROTO_ERR_FIELD;	/* trailing ';' */
	}
	if (!seen_u || !seen_t || !seen_p)
		return SYNCPROTO_ERR_FIELD;
	return SYNCPROTO_OK;
}

int
syncproto_clock_format(const struct nw_stamp *st, char *out, size_t len)
{
	int n = snprintf(out, len, "%s %" PRId64 " %" PRId64 " %d", st->boot_id,
	    st->mono_ns, st->wall_ns, st->synced ? 1 : 0);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static int
parse_i64(const char *s, const char *end, int64_t *out)
{
	char buf[24];
	char *e;
	long long v;

	if (end - s < 1 || end - s >= (long)sizeof buf)
		return -EINVAL;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	if (!isdigit((unsigned char)buf[0]) && buf[0] != '-')
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &e, 10);
	if (errno || *e)
		return -EINVAL;
	*out = v;
	return 0;
}

int
syncproto_clock_parse(const char *s, struct nw_stamp *st)
{
	const char *sp1, *sp2, *sp3;

	memset(st, 0, sizeof *st);
	if (strlen(s) >= SYNCPROTO_CLOCK_MAX)
		return -EINVAL;
	sp1 = strchr(s, ' ');
	if (!sp1 || sp1 - s != NW_BOOT_ID_LEN)
		return -EINVAL;
	for (const char *p = s; p < sp1; p++)
		if (!isxdigit((unsigned char)*p) && *p != '-')
			return -EINVAL;
	memcpy(st->boot_id, s, NW_BOOT_ID_LEN);
	st->boot_id[NW_BOOT_ID_LEN] = '\0';
	sp2 = strchr(sp1 + 1, ' ');
	sp3 = sp2 ? strchr(sp2 + 1, ' ') : NULL;
	if (!sp3 || parse_i64(sp1 + 1, sp2, &st->mono_ns) != 0 ||
	    parse_i64(sp2 + 1, sp3, &st->wall_ns) != 0)
		return -EINVAL;
	if (strcmp(sp3 + 1, "0") != 0 && strcmp(sp3 + 1, "1") != 0)
		return -EINVAL;
	st->synced = sp3[1] == '1';
	if (st->mono_ns < 0)
		return -EINVAL;
	return 0;
}

int
syncproto_seq_parse(const char *s, uint64_t *seq)
{
	char *e;
	unsigned long long v;

	if (!*s || strlen(s) > 20 || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || *e || v == 0)
		return -EINVAL;
	*seq = v;
	return 0;
}

int
syncproto_auth_message(const char *method, const char *path, const char *box,
    uint64_t seq, const char *clock, const uint8_t sha[32], char *out, size_t len)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	int n;

	sodium_bin2hex(hex, sizeof hex, sha, 32);
	n = snprintf(out, len, AUTH_TAG "\n%s\n%s\n%s\n%" PRIu64 "\n%s\n%s\n",
	    method, path, box, seq, clock, hex);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

void
syncproto_sign(const uint8_t sk[64], const char *msg, char sig_b64[SYNCPROTO_SIG_B64 + 1])
{
	uint8_t sig[crypto_sign_BYTES];

	crypto_sign_detached(sig, NULL, (const uint8_t *)msg, strlen(msg), sk);
	sodium_bin2base64(sig_b64, SYNCPROTO_SIG_B64 + 1, sig, sizeof sig,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
syncproto_verify(const uint8_t pk[32], const char *msg, const char *sig_b64)
{
	uint8_t sig[crypto_sign_BYTES];
	size_t len = 0;

	if (sodium_init() < 0 || strlen(sig_b64) != SYNCPROTO_SIG_B64)
		return -EBADMSG;
	if (sodium_base642bin(sig, sizeof sig, sig_b64, SYNCPROTO_SIG_B64, NULL, &len,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || len != sizeof sig)
		return -EBADMSG;
	if (crypto_sign_verify_detached(sig, (const uint8_t *)msg, strlen(msg), pk) != 0)
		return -EBADMSG;
	return 0;
}

void
syncproto_sha256_hex(const void *data, size_t len, char hex[SYNCPROTO_SHA_HEX + 1])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(hex, SYNCPROTO_SHA_HEX + 1, h, sizeof h);
}

char *
syncproto_canonical(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

int
syncproto_record_sha256(const json_t *j, char hex[SYNCPROTO_SHA_HEX + 1])
{
	char *text = syncproto_canonical(j);

	if (!text)
		return -ENOMEM;
	syncproto_sha256_hex(text, strlen(text), hex);
	free(text);
	return 0;
}

json_t *
syncproto_stamp_json(const struct nw_stamp *s)
{
	return json_pack("{s:s, s:I, s:I, s:b}", "boot", s->boot_id,
	    "mono_ns", (json_int_t)s->mono_ns, "wall_ns", (json_int_t)s->wall_ns,
	    "synced", s->synced);
}

int
syncproto_stamp_from_json(const json_t *j, struct nw_stamp *s)
{
	const char *boot;
	json_int_t mono, wall;
	int synced;

	memset(s, 0, sizeof *s);
	if (!json_is_object(j) || json_object_size(j) != 4)
		return -EINVAL;
	if (json_unpack((json_t *)j, "{s:s, s:I, s:I, s:b}", "boot", &boot,
	    "mono_ns", &mono, "wall_ns", &wall, "synced", &synced) != 0)
		return -EINVAL;
	if (strlen(boot) > NW_BOOT_ID_LEN || mono < 0)
		return -EINVAL;
	snprintf(s->boot_id, sizeof s->boot_id, "%s", boot);
	s->mono_ns = mono;
	s->wall_ns = wall;
	s->synced = synced;
	return 0;
}

static json_t *
load_object(const char *body, size_t len)
{
	json_t *j;

	if (!body || len == 0 || len > (16u << 20))
		return NULL;
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
copy_str(const json_t *v, char *out, size_t outlen, int (*ok)(const char *))
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) >= outlen || (ok && !ok(s)))
		return -EBADMSG;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static int
parse_status(const char *s, enum syncproto_status *st)
{
	if (!s)
		return -EBADMSG;
	if (strcmp(s, "stored") == 0)
		*st = SYNCPROTO_STORED;
	else if (strcmp(s, "duplicate") == 0)
		*st = SYNCPROTO_DUPLICATE;
	else if (strcmp(s, "purged") == 0)
		*st = SYNCPROTO_PURGED;
	else if (strcmp(s, "refused") == 0)
		*st = SYNCPROTO_REFUSED;
	else
		return -EBADMSG;
	return 0;
}

static int
kind_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n >= sizeof(((struct syncproto_ack *)0)->kind))
		return 0;
	for (; *k; k++)
		if (!islower((unsigned char)*k) && *k != '-')
			return 0;
	return 1;
}

int
syncproto_parse_results(const char *body, size_t len, struct syncproto_ack **out,
    size_t *nout)
{
	json_t *j = load_object(body, len), *list, *e, *r;
	struct syncproto_ack *acks = NULL;
	size_t i, n;
	int rc = -EBADMSG;

	*out = NULL;
	*nout = 0;
	if (!j)
		return -EBADMSG;
	list = json_object_get(j, "results");
	if (!json_is_array(list) || (n = json_array_size(list)) > SYNCPROTO_MAX_BATCH)
		goto out;
	if (n && !(acks = calloc(n, sizeof *acks))) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(list, i, e) {
		struct syncproto_ack *a = &acks[i];
		if (!json_is_object(e) ||
		    copy_str(json_object_get(e, "kind"), a->kind, sizeof a->kind, kind_ok) ||
		    copy_str(json_object_get(e, "key"), a->key, sizeof a->key, syncproto_key_ok) ||
		    parse_status(json_string_value(json_object_get(e, "status")), &a->status))
			goto out;
		if (a->status != SYNCPROTO_REFUSED &&
		    copy_str(json_object_get(e, "sha256"), a->sha256, sizeof a->sha256,
		    syncproto_sha_ok))
			goto out;
		if ((r = json_object_get(e, "reason")) != NULL)
			snprintf(a->reason, sizeof a->reason, "%s",
			    json_is_string(r) ? json_string_value(r) : "");
		/* The reason ends up on a screen and in the log: keep it printable. */
		for (char *p = a->reason; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				*p = '?';
	}
	*out = acks;
	*nout = n;
	acks = NULL;
	rc = 0;
out:
	free(acks);
	json_decref(j);
	return rc;
}

int
syncproto_parse_offset(const char *body, size_t len, int64_t *offset, int *complete)
{
	json_t *j = load_object(body, len), *o, *c;
	int rc = -EBADMSG;

	if (!j)
		return -EBADMSG;
	o = json_object_get(j, "offset");
	c = json_object_get(j, "complete");
	if (json_is_integer(o) && json_integer_value(o) >= 0 && json_is_boolean(c)) {
		*offset = json_integer_value(o);
		*complete = json_is_true(c);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

int
syncproto_parse_stored(const char *body, size_t len, char sha[SYNCPROTO_SHA_HEX + 1])
{
	json_t *j = load_object(body, len);
	int rc;

	if (!j)
		return -EBADMSG;
	rc = copy_str(json_object_get(j, "sha256"), sha, SYNCPROTO_SHA_HEX + 1,
	    syncproto_sha_ok);
	json_decref(j);
	return rc;
}

void
syncproto_parse_error(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *j;
	const char *s;
	size_t o = 0;

	if (!out || outlen == 0)
		return;
	out[0] = '\0';
	if (!(j = load_object(body, len)))
		return;
	s = json_string_value(json_object_get(j, "error"));
	for (; s && *s && o + 1 < outlen; s++)
		out[o++] = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';
	out[o] = '\0';
	json_decref(j);
}

void
syncproto_safe_name(const char *uid, char *out, size_t len)
{
	char hex[SYNCPROTO_SHA_HEX + 1];
	size_t n = strlen(uid);
	int plain = n > 0 && n <= 64 && uid[0] != '.';

	for (const char *p = uid; plain && *p; p++)
		plain = isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.';
	if (plain) {
		snprintf(out, len, "%s", uid);
		return;
	}
	syncproto_sha256_hex(uid, n, hex);
	snprintf(out, len, "s-%.32s", hex);
}

void
syncproto_key_for(const char *text, char *out, size_t len)
{
	char hex[SYNCPROTO_SHA_HEX + 1];

	if (syncproto_key_ok(text)) {
		snprintf(out, len, "%s", text);
		return;
	}
	syncproto_sha256_hex(text, strlen(text), hex);
	snprintf(out, len, "h-%s", hex);
}
