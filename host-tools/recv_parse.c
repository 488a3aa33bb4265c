/*
 * Request body parsers for notewell serve; see recv_parse.h.
 */
#include "recv_parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_STR, F_STR_NULL, F_INT, F_STAMP, F_STAMP_NULL, F_SHA, F_SHA_NULL };

struct field {
	const char *name;
	enum ftype type;
	size_t max;		/* strings: longest accepted */
};

static const struct field session_fields[] = {
	{ "uid", F_STR, 128 }, { "title", F_STR, 256 }, { "origin", F_STR, 16 }, { "start", F_STAMP, 0 },
	{ "end", F_STAMP_NULL, 0 }, { NULL, 0, 0 },
};
static const struct field scan_fields[] = {
	{ "badge", F_STR, 128 }, { "source", F_STR, 64 }, { "session", F_STR_NULL, 128 },
	{ "notice_id", F_STR_NULL, 64 }, { "notice_sha256", F_SHA_NULL, 0 },
	{ "at", F_STAMP, 0 }, { NULL, 0, 0 },
};
static const struct field event_fields[] = {
	{ "type", F_STR, 32 }, { "detail", F_STR, 1024 }, { "at", F_STAMP, 0 },
	{ NULL, 0, 0 },
};
static const struct field notice_fields[] = {
	{ "id", F_STR, 64 }, { "version", F_STR, 64 }, { "language", F_STR, 16 },
	{ "url", F_STR, 512 }, { "sha256", F_SHA, 0 }, { "effective_from_ns", F_INT, 0 },
	{ NULL, 0, 0 },
};
static const struct field switch_fields[] = {
	{ "notice_id", F_STR, 64 }, { "sha256", F_SHA, 0 }, { "at", F_STAMP, 0 },
	{ NULL, 0, 0 },
};
static const struct field enroll_fields[] = {
	{ "token", F_STR, SYNCPROTO_TOKEN_HEX }, { "box", F_STR, SYNCPROTO_BOX_MAX },
	{ "pubkey", F_STR, 64 }, { "name", F_STR, 128 }, { NULL, 0, 0 },
};
static const struct field finish_fields[] = {
	{ "key", F_STR, SYNCPROTO_KEY_MAX }, { "session", F_STR_NULL, 128 },
	{ "name", F_STR, 128 }, { "bytes", F_INT, 0 }, { "duration_ns", F_INT, 0 },
	{ "notice_id", F_STR_NULL, 64 }, { "notice_sha256", F_SHA_NULL, 0 },
	{ "start", F_STAMP, 0 }, { NULL, 0, 0 },
};
static const struct field mpost_fields[] = {
	{ "session", F_STR, 128 }, { "manifest", F_STR, RECV_MAX_MANIFEST_BODY },
	{ "minisig", F_STR, 2048 }, { NULL, 0, 0 },
};

static const struct {
	const char *kind;
	const struct field *fields;
} kinds[] = {
	{ "session", session_fields },
	{ "scan", scan_fields },
	{ "event", event_fields },
	{ "notice", notice_fields },
	{ "notice-switch", switch_fields },
};

/* Printable text: no control characters (UTF-8 above 0x7f is fine). */
static int
text_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Checks obj against fields plus the names in extra; 0 or -EBADMSG. */
static int
check_fields(const json_t *obj, const struct field *fields, const char *const *extra,
    char *err, size_t errlen)
{
	const char *name;
	json_t *v;
	struct nw_stamp st;

	json_object_foreach((json_t *)obj, name, v) {
		const struct field *f;
		int known = 0;
		for (const char *const *x = extra; x && *x; x++)
			known |= strcmp(*x, name) == 0;
		for (f = fields; f->name && !known; f++)
			if (strcmp(f->name, name) == 0)
				break;
		if (!known && !f->name) {
			snprintf(err, errlen, "unknown field '%.40s'", name);
			return -EBADMSG;
		}
	}
	for (const struct field *f = fields; f->name; f++) {
		v = json_object_get(obj, f->name);
		if (!v) {
			snprintf(err, errlen, "field '%s' is missing", f->name);
			return -EBADMSG;
		}
		switch (f->type) {
		case F_STR_NULL:
			if (json_is_null(v))
				break;
			__attribute__((fallthrough));
		case F_STR:
			if (!json_is_string(v) || json_string_length(v) > f->max ||
			    strlen(json_string_value(v)) != json_string_length(v) ||
			    !text_ok(json_string_value(v)))
				goto bad;
			break;
		case F_INT:
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				goto bad;
			break;
		case F_STAMP_NULL:
			if (json_is_null(v))
				break;
			__attribute__((fallthrough));
		case F_STAMP:
			if (syncproto_stamp_from_json(v, &st) != 0)
				goto bad;
			break;
		case F_SHA_NULL:
			if (json_is_null(v))
				break;
			__attribute__((fallthrough));
		case F_SHA:
			if (!json_is_string(v) || !syncproto_sha_ok(json_string_value(v)))
				goto bad;
			break;
		}
		continue;
bad:
		snprintf(err, errlen, "field '%s' is not valid", f->name);
		return -EBADMSG;
	}
	return 0;
}

static json_t *
load(const char *body, size_t len, size_t max, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	if (!body || len == 0 || len > max) {
		snprintf(err, errlen, "body is empty or too large");
		return NULL;
	}
	if (memchr(body, '\0', len)) {
		snprintf(err, errlen, "body contains a NUL byte");
		return NULL;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errlen, "not JSON: %.80s", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char *
str_or_null(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

static int
parse_record(json_t *obj, struct recv_record *r, char *err, size_t errlen)
{
	static const char *const common[] = { "kind", "key", NULL };
	const struct field *fields = NULL;
	const char *kind, *key;
	char sub[160];
	size_t i;

	memset(r, 0, sizeof *r);
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "a record is not an object");
		return -EBADMSG;
	}
	kind = str_or_null(obj, "kind");
	key = str_or_null(obj, "key");
	for (i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			fields = kinds[i].fields;
	if (!fields) {
		snprintf(err, errlen, "record kind is missing or unknown");
		return -EBADMSG;
	}
	if (!key || !syncproto_key_ok(key)) {
		snprintf(err, errlen, "%s record has no valid key", kind);
		return -EBADMSG;
	}
	if (check_fields(obj, fields, common, sub, sizeof sub) != 0) {
		snprintf(err, errlen, "%s %.60s: %s", kind, key, sub);
		return -EBADMSG;
	}
	if (strcmp(kind, "session") == 0) {
		const char *o = str_or_null(obj, "origin");
		if (strcmp(o, "schedule") != 0 && strcmp(o, "manual") != 0) {
			snprintf(err, errlen, "session %.60s: origin is not valid", key);
			return -EBADMSG;
		}
		r->session_uid = str_or_null(obj, "uid");
		r->has_at = syncproto_stamp_from_json(json_object_get(obj, "start"), &r->at) == 0;
	} else {
		if (strcmp(kind, "scan") == 0)
			r->session_uid = str_or_null(obj, "session");
		r->has_at = syncproto_stamp_from_json(json_object_get(obj, "at"), &r->at) == 0;
	}
	r->obj = obj;
	r->kind = kind;
	r->key = key;
	if (syncproto_record_sha256(obj, r->sha256) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* A record the box can be told about: an object of a known kind with a
 * valid key. */
static int
known(const json_t *obj)
{
	const char *kind = json_is_object(obj) ? str_or_null(obj, "kind") : NULL;
	const char *key = json_is_object(obj) ? str_or_null(obj, "key") : NULL;

	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return key && syncproto_key_ok(key);
	return 0;
}

int
recv_parse_records(const char *body, size_t len, json_t **root,
    struct recv_record **out, size_t *nout, char *err, size_t errlen)
{
	json_t *j, *list, *e;
	struct recv_record *recs = NULL;
	size_t i, n;
	int rc = -EBADMSG;

	*root = NULL;
	*out = NULL;
	*nout = 0;
	if (!(j = load(body, len, RECV_MAX_RECORDS_BODY, err, errlen)))
		return -EBADMSG;
	list = json_object_get(j, "records");
	if (json_object_size(j) != 1 || !json_is_array(list)) {
		snprintf(err, errlen, "expected {\"records\":[...]}");
		goto out;
	}
	n = json_array_size(list);
	if (n == 0 || n > SYNCPROTO_MAX_BATCH) {
		snprintf(err, errlen, "a batch holds 1 to %d records", SYNCPROTO_MAX_BATCH);
		goto out;
	}
	if (!(recs = calloc(n, sizeof *recs))) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(list, i, e) {
		if ((rc = parse_record(e, &recs[i], err, errlen)) == -EBADMSG && known(e)) {
			/* One bad record must not hold back the others forever:
			 * it is refused by name (the box stops sending it), and
			 * the batch goes on. */
			recs[i].obj = e;
			recs[i].kind = str_or_null(e, "kind");
			recs[i].key = str_or_null(e, "key");
			snprintf(recs[i].invalid, sizeof recs[i].invalid, "%s", err);
			err[0] = '\0';
			rc = 0;
		}
		if (rc != 0)
			goto out;
		/* One key once per batch: the answer must be unambiguous. */
		for (size_t k = 0; k < i; k++) {
			if (strcmp(recs[k].kind, recs[i].kind) == 0 &&
			    strcmp(recs[k].key, recs[i].key) == 0) {
				snprintf(err, errlen, "%s %.60s is in the batch twice",
				    recs[i].kind, recs[i].key);
				rc = -EBADMSG;
				goto out;
			}
		}
	}
	*root = j;
	*out = recs;
	*nout = n;
	return 0;
out:
	free(recs);
	json_decref(j);
	return rc;
}

int
recv_parse_enroll(const char *body, size_t len, json_t **root, struct recv_enroll *e,
    char *err, size_t errlen)
{
	json_t *j;

	*root = NULL;
	memset(e, 0, sizeof *e);
	if (!(j = load(body, len, RECV_MAX_ENROLL_BODY, err, errlen)))
		return -EBADMSG;
	if (check_fields(j, enroll_fields, NULL, err, errlen) != 0)
		goto bad;
	e->token = str_or_null(j, "token");
	e->box = str_or_null(j, "box");
	e->pubkey = str_or_null(j, "pubkey");
	e->name = str_or_null(j, "name");
	if (!syncproto_token_ok(e->token) || !syncproto_box_ok(e->box)) {
		snprintf(err, errlen, "token or box id is malformed");
		goto bad;
	}
	*root = j;
	return 0;
bad:
	json_decref(j);
	return -EBADMSG;
}

int
recv_parse_finish(const char *body, size_t len, json_t **root, struct recv_finish *f,
    char *err, size_t errlen)
{
	json_t *j;

	*root = NULL;
	memset(f, 0, sizeof *f);
	if (!(j = load(body, len, RECV_MAX_FINISH_BODY, err, errlen)))
		return -EBADMSG;
	if (check_fields(j, finish_fields, NULL, err, errlen) != 0)
		goto bad;
	f->key = str_or_null(j, "key");
	f->session_uid = str_or_null(j, "session");
	f->name = str_or_null(j, "name");
	f->bytes = json_integer_value(json_object_get(j, "bytes"));
	f->duration_ns = json_integer_value(json_object_get(j, "duration_ns"));
	f->notice_id = str_or_null(j, "notice_id");
	f->notice_sha256 = str_or_null(j, "notice_sha256");
	syncproto_stamp_from_json(json_object_get(j, "start"), &f->start);
	if (!syncproto_key_ok(f->key) || !*f->name || strchr(f->name, '/')) {
		snprintf(err, errlen, "key or name is malformed");
		goto bad;
	}
	*root = j;
	return 0;
bad:
	json_decref(j);
	return -EBADMSG;
}

int
recv_parse_manifest_post(const char *body, size_t len, json_t **root,
    struct recv_manifest_post *m, char *err, size_t errlen)
{
	json_t *j;
	const struct field *f;

	*root = NULL;
	memset(m, 0, sizeof *m);
	if (!(j = load(body, len, RECV_MAX_MANIFEST_BODY + 4096, err, errlen)))
		return -EBADMSG;
	/* The manifest text has newlines, so check it apart from text_ok. */
	for (f = mpost_fields; f->name; f++) {
		json_t *v = json_object_get(j, f->name);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > f->max ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen, "field '%s' is missing or not valid", f->name);
			goto bad;
		}
	}
	if (json_object_size(j) != 3) {
		snprintf(err, errlen, "unknown fields");
		goto bad;
	}
	m->session_uid = str_or_null(j, "session");
	m->manifest = str_or_null(j, "manifest");
	m->minisig = str_or_null(j, "minisig");
	if (!text_ok(m->session_uid)) {
		snprintf(err, errlen, "session is not valid");
		goto bad;
	}
	*root = j;
	return 0;
bad:
	json_decref(j);
	return -EBADMSG;
}

int
recv_parse_manifest(const char *text, size_t len, json_t **root, struct recv_manifest *m,
    char *err, size_t errlen)
{
	json_t *j, *recs, *files, *e;
	size_t i, n;
	const char *fmt;

	*root = NULL;
	memset(m, 0, sizeof *m);
	if (!(j = load(text, len, RECV_MAX_MANIFEST_BODY, err, errlen)))
		return -EBADMSG;
	fmt = str_or_null(j, "format");
	m->box = str_or_null(j, "box");
	m->session_uid = str_or_null(j, "session");
	recs = json_object_get(j, "records");
	files = json_object_get(j, "files");
	if (!fmt || strcmp(fmt, "notewell-manifest-1") != 0 || !m->box || !m->session_uid ||
	    !json_is_array(recs) || !json_is_array(files)) {
		snprintf(err, errlen, "not a notewell manifest");
		goto bad;
	}
	n = json_array_size(recs) + json_array_size(files);
	if (n > 100000) {
		snprintf(err, errlen, "manifest lists too many entries");
		goto bad;
	}
	if (n && !(m->e = calloc(n, sizeof *m->e))) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	json_array_foreach(recs, i, e) {
		struct recv_manifest_entry *x = &m->e[m->n];
		x->kind = str_or_null(e, "kind");
		x->key = str_or_null(e, "key");
		x->sha256 = str_or_null(e, "sha256");
		if (!x->kind || !x->key || !x->sha256 || !syncproto_key_ok(x->key) ||
		    !syncproto_sha_ok(x->sha256) || strcmp(x->kind, "file") == 0) {
			snprintf(err, errlen, "manifest record entry %zu is not valid", i);
			goto bad;
		}
		m->n++;
	}
	json_array_foreach(files, i, e) {
		struct recv_manifest_entry *x = &m->e[m->n];
		x->kind = "file";
		x->key = str_or_null(e, "name");
		x->sha256 = str_or_null(e, "sha256");
		x->bytes = json_integer_value(json_object_get(e, "bytes"));
		if (!x->key || !x->sha256 || !syncproto_sha_ok(x->sha256) ||
		    !json_is_integer(json_object_get(e, "bytes")) || x->bytes < 0) {
			snprintf(err, errlen, "manifest file entry %zu is not valid", i);
			goto bad;
		}
		m->n++;
	}
	*root = j;
	return 0;
bad:
	free(m->e);
	m->e = NULL;
	m->n = 0;
	json_decref(j);
	return -EBADMSG;
}

void
recv_safe_name(const char *uid, char *out, size_t len)
{
	syncproto_safe_name(uid, out, len);
}
