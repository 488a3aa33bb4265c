#include "dtpost.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "log.h"
#include "minisign.h"

/* Keeps the reply short for error messages, drops the rest. */
static size_t
dt_sink(char *p, size_t sz, size_t n, void *ud)
{
	char *buf = ud;
	size_t have = strlen(buf), add = sz * n;

	if (have < 200) {
		size_t k = add < 200 - have ? add : 200 - have;
		memcpy(buf + have, p, k);
		buf[have + k] = '\0';
	}
	return sz * n;
}

static int
dt_post(CURL *c, const char *url, const char *body, const char *what)
{
	char reply[256] = "";
	long code = 0;
	CURLcode cc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, dt_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		log_warnx("datatracker: %s: %s", what, curl_easy_strerror(cc));
		return -EIO;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		log_warnx("datatracker: %s: HTTP %ld: %s", what, code, reply);
		return -EIO;
	}
	log_info("datatracker: %s: ok", what);
	return 0;
}

/* "apikey=...&name=value..." with every value URL-encoded. */
static char *
dt_form(CURL *c, const char *apikey, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	char *ek = curl_easy_escape(c, apikey, 0);
	char *e1 = curl_easy_escape(c, v1, 0);
	char *e2 = k2 ? curl_easy_escape(c, v2, 0) : NULL;
	char *out = NULL;

	if (ek && e1 && (!k2 || e2) && asprintf(&out, "apikey=%s&%s=%s%s%s%s%s",
	    ek, k1, e1, k2 ? "&" : "", k2 ? k2 : "", k2 ? "=" : "",
	    k2 ? e2 : "") < 0)
		out = NULL;
	curl_free(ek);
	curl_free(e1);
	curl_free(e2);
	return out;
}

static int
dt_session(CURL *c, const char *dir, const char *uid, const char *base,
    const char *apikey)
{
	char path[4096], url[2048], idbuf[32], what[300];
	uint8_t *att = NULL, *bs = NULL;
	json_t *j = NULL, *sid;
	char *form = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof path, "%s/datatracker/%s/attendees-api.json", dir, uid);
	if ((rc = minisign_read_file(path, &att, &len)) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/datatracker/%s/bluesheet-api.json", dir, uid);
	if ((rc = minisign_read_file(path, &bs, &len)) < 0)
		goto out;
	j = json_loads((char *)att, 0, NULL);
	sid = json_object_get(j, "session_id");
	if (!json_is_integer(sid)) {
		log_warnx("datatracker: %s: no datatracker session id (import the "
		    "agenda as JSON with session_id); skipped", uid);
		rc = 0;
		goto out;
	}
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(sid));
	snprintf(url, sizeof url, "%s/api/notify/session/attendees", base);
	snprintf(what, sizeof what, "%s attendees", uid);
	form = dt_form(c, apikey, "attended", (char *)att, NULL, NULL);
	if (!form || (rc = dt_post(c, url, form, what)) < 0) {
		rc = form ? rc : -ENOMEM;
		goto out;
	}
	free(form);
	snprintf(url, sizeof url, "%s/api/notify/session/bluesheet", base);
	snprintf(what, sizeof what, "%s bluesheet", uid);
	form = dt_form(c, apikey, "session_id", idbuf, "bluesheet", (char *)bs);
	rc = form ? dt_post(c, url, form, what) : -ENOMEM;
out:
	if (rc < 0 && rc != -EIO)
		log_warnx("datatracker: %s: %s", uid, strerror(-rc));
	if (form)
		memset(form, 0, strlen(form));
	free(form);
	json_decref(j);
	free(att);
	free(bs);
	return rc;
}

static int
dt_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
dtpost_run(const char *dir, const char *base, const char *keyfile)
{
	char path[4096], **uids = NULL, **nu;
	uint8_t *key = NULL;
	size_t klen, n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = NULL;
	CURL *c = NULL;
	int rc, fails = 0;

	if ((rc = minisign_read_file(keyfile, &key, &klen)) < 0) {
		log_warnx("datatracker: API key file %s: %s", keyfile, strerror(-rc));
		return rc;
	}
	while (klen > 0 && isspace(key[klen - 1]))
		key[--klen] = '\0';
	if (klen == 0) {
		rc = -EINVAL;
		log_warnx("datatracker: API key file %s is empty", keyfile);
		goto out;
	}
	snprintf(path, sizeof path, "%s/datatracker", dir);
	if (!(d = opendir(path))) {
		rc = -errno;
		log_warn("datatracker: %s", path);
		goto out;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			if (!(nu = realloc(uids, cap * sizeof *nu))) {
				rc = -ENOMEM;
				goto out;
			}
			uids = nu;
		}
		if (!(uids[n] = strdup(de->d_name))) {
			rc = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(uids, n, sizeof *uids, dt_cmp);
	if (!(c = curl_easy_init())) {
		rc = -ENOMEM;
		goto out;
	}
	/* Each session is posted on its own; one failure does not stop the
	 * rest, and the command fails at the end so the operator retries. */
	for (i = 0; i < n; i++)
		if (dt_session(c, dir, uids[i], base, (char *)key) < 0)
			fails++;
	rc = fails ? -EIO : 0;
out:
	if (c)
		curl_easy_cleanup(c);
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(uids[i]);
	free(uids);
	if (key)
		memset(key, 0, klen);
	free(key);
	return rc;
}
