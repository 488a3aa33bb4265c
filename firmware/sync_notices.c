/*
 * Consent notices pushed by the host, as the sync worker receives them
 * (see sync_notices.h).
 */
#include "sync_notices.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "minisign.h"
#include "notice.h"
#include "syncproto.h"

/* The host stores statements up to 256 KiB; the reply limit bounds the
 * rest. */
#define STATEMENT_MAX (256u * 1024)

static int
name_ok(const char *s, const char *allowed, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n < max && strspn(s, allowed) == n;
}

/* 1 if path holds exactly the bytes whose SHA-256 is hex. */
static int
file_has(const char *path, const char *hex)
{
	char got[65];

	return notice_sha256_file(path, got) == 0 && strcmp(got, hex) == 0;
}

/* 1 if a notice in folder other than self stands on a statement called
 * n->statement with another hash: writing ours would break it. A damaged
 * copy of our own statement is not "taken" and gets rewritten. */
static int
statement_taken(const char *folder, const char *self, const struct notice *n)
{
	DIR *d = opendir(folder);
	struct dirent *de;
	struct notice o;
	uint8_t *buf;
	size_t len, l;
	char path[4500];
	int taken = 0;

	while (d && !taken && (de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l < 8 || strcmp(de->d_name + l - 7, ".notice") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", folder, de->d_name);
		if (strcmp(path, self) == 0 || minisign_read_file(path, &buf, &len) != 0)
			continue;
		taken = notice_parse((char *)buf, len, path, &o, NULL) == 0 &&
		    strcmp(o.statement, n->statement) == 0 && strcmp(o.sha256, n->sha256) != 0;
		free(buf);
	}
	if (d)
		closedir(d);
	return taken;
}

/* Fetches, checks and writes one version. 1 written, 0 already there,
 * -1 refused (err), -2 network (err). */
static int
fetch_one(struct synchttp *http, const char *folder, json_t *e, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(e, "id"));
	const char *ver = json_string_value(json_object_get(e, "version"));
	const char *nsha = json_string_value(json_object_get(e, "notice_sha256"));
	struct synchttp_reply r = { 0 };
	struct notice_error nerr;
	struct notice n;
	json_t *j = NULL;
	const char *text, *sname, *b64;
	unsigned char *stmt = NULL;
	size_t slen = 0;
	char url[200], npath[4400], spath[4400], hex[65], buf[400];
	int rc = -1;

	if (!id || !ver || !nsha || !syncproto_sha_ok(nsha) ||
	    !name_ok(id, "abcdefghijklmnopqrstuvwxyz0123456789-._", NOTICE_ID_MAX) ||
	    !name_ok(ver, "0123456789-.", NOTICE_VERSION_MAX)) {
		snprintf(err, errlen, "the host's notice index has a malformed entry");
		return -1;
	}
	snprintf(npath, sizeof npath, "%s/%s@%s.notice", folder, id, ver);
	/* Already here and whole (notice_load checks the statement too): a
	 * damaged copy is fetched again, so a box heals on its next round. */
	if (file_has(npath, nsha) && notice_load(npath, &n, &nerr) == 0)
		return 0;
	snprintf(url, sizeof url, "/v1/notices/%s/%s", id, ver);
	if (synchttp_request(http, "GET", url, NULL, NULL, 0, &r, buf, sizeof buf) < 0 ||
	    r.status != 200) {
		snprintf(err, errlen, "fetching notice %s %s: %s", id, ver,
		    r.status ? "the host refused" : buf);
		rc = -2;
		goto out;
	}
	if (!(j = json_loadb(r.body, r.len, 0, NULL)) ||
	    !(text = json_string_value(json_object_get(j, "notice"))) ||
	    !(sname = json_string_value(json_object_get(j, "statement_name"))) ||
	    !(b64 = json_string_value(json_object_get(j, "statement")))) {
		snprintf(err, errlen, "notice %s %s: the host's reply is malformed", id, ver);
		goto out;
	}
	if (notice_parse(text, strlen(text), npath, &n, &nerr) != 0) {
		snprintf(err, errlen, "%s", notice_error_format(&nerr, buf, sizeof buf));
		goto out;
	}
	syncproto_sha256_hex(text, strlen(text), hex);
	if (strcmp(n.id, id) != 0 || strcmp(n.version, ver) != 0 ||
	    strcmp(n.statement, sname) != 0 || strcmp(hex, nsha) != 0) {
		snprintf(err, errlen, "notice %s %s: the host sent another notice than it listed",
		    id, ver);
		goto out;
	}
	if (!(stmt = malloc(STATEMENT_MAX)) ||
	    sodium_base642bin(stmt, STATEMENT_MAX, b64, strlen(b64), NULL, &slen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		snprintf(err, errlen, "notice %s %s: statement is not base64 or too big", id, ver);
		goto out;
	}
	notice_sha256_hex(stmt, slen, hex);
	if (strcmp(hex, n.sha256) != 0) {
		snprintf(err, errlen, "notice %s %s: statement %s does not match its sha256",
		    id, ver, n.statement);
		goto out;
	}
	/* One name, one text: never overwrite a statement another notice
	 * already stands on. */
	snprintf(spath, sizeof spath, "%s/%s", folder, n.statement);
	if (statement_taken(folder, npath, &n)) {
		snprintf(err, errlen, "notice %s %s: another statement is already called %s",
		    id, ver, n.statement);
		goto out;
	}
	/* Statement first: a notice file on disk always has its statement. */
	if ((!file_has(spath, n.sha256) &&
	    (rc = minisign_write_file(spath, stmt, slen, 0640)) != 0) ||
	    (rc = minisign_write_file(npath, text, strlen(text), 0640)) != 0) {
		snprintf(err, errlen, "writing notice %s %s: %s", id, ver, strerror(-rc));
		rc = -1;
		goto out;
	}
	rc = 1;
out:
	free(stmt);
	json_decref(j);
	synchttp_reply_free(&r);
	return rc;
}

enum syncnotices_result
syncnotices_pull(struct synchttp *http, const char *dir, char *err, size_t errlen)
{
	struct synchttp_reply r = { 0 };
	enum syncnotices_result res = SYNCNOTICES_SAME;
	char folder[4200], buf[512], why[1024] = "";
	json_t *j = NULL, *list, *e;
	size_t i;
	int rc;

	snprintf(folder, sizeof folder, "%s/%s", dir, NOTICE_PUSHED_DIR);
	if (synchttp_request(http, "GET", "/v1/notices", NULL, NULL, 0, &r, buf, sizeof buf) < 0 ||
	    r.status != 200) {
		snprintf(err, errlen, "fetching the notices: %s", r.status ? "the host refused" : buf);
		res = SYNCNOTICES_NET;
		goto out;
	}
	if (!(j = json_loadb(r.body, r.len, 0, NULL)) ||
	    !json_is_array(list = json_object_get(j, "notices"))) {
		snprintf(err, errlen, "the host's notice index is malformed");
		res = SYNCNOTICES_BAD;
		goto out;
	}
	if (json_array_size(list) && mkdir(folder, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", folder, strerror(errno));
		res = SYNCNOTICES_BAD;
		goto out;
	}
	json_array_foreach(list, i, e) {
		rc = fetch_one(http, folder, e, why, sizeof why);
		if (rc == 1 && res == SYNCNOTICES_SAME)
			res = SYNCNOTICES_NEW;
		if (rc == -2) {
			snprintf(err, errlen, "%s", why);
			res = SYNCNOTICES_NET;
			goto out;
		}
		/* A refused version is reported; it must not keep the others
		 * (perhaps a correction) from arriving. */
		if (rc == -1) {
			snprintf(err, errlen, "%s", why);
			if (res != SYNCNOTICES_NEW)
				res = SYNCNOTICES_BAD;
		}
	}
out:
	json_decref(j);
	synchttp_reply_free(&r);
	return res;
}
