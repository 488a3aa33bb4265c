#include "schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nwtime.h"

static int
cmp_start(const void *a, const void *b)
{
	const struct schedule_entry *x = a, *y = b;

	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int
copy_str(char *dst, size_t len, json_t *v, int required)
{
	const char *s = json_string_value(v);

	if (!s)
		return required ? -1 : (dst[0] = '\0', 0);
	if (strlen(s) >= len)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
parse_entry(struct schedule_entry *e, json_t *o, size_t i, char *err, size_t errlen)
{
	json_t *rec = json_object_get(o, "record");

	memset(e, 0, sizeof *e);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "sessions[%zu]: not an object", i);
		return -EINVAL;
	}
	if (copy_str(e->uid, sizeof e->uid, json_object_get(o, "uid"), 1) || !e->uid[0]) {
		snprintf(err, errlen, "sessions[%zu]: missing or over-long \"uid\"", i);
		return -EINVAL;
	}
	if (copy_str(e->title, sizeof e->title, json_object_get(o, "title"), 0) ||
	    copy_str(e->signin_url, sizeof e->signin_url, json_object_get(o, "signin_url"), 0)) {
		snprintf(err, errlen, "sessions[%zu] (%s): over-long title or signin_url", i, e->uid);
		return -EINVAL;
	}
	if (!e->title[0])
		snprintf(e->title, sizeof e->title, "%s", e->uid);
	const char *st = json_string_value(json_object_get(o, "start"));
	const char *en = json_string_value(json_object_get(o, "end"));
	if (!st || nwtime_parse(st, &e->start_ns) != 0 || !en || nwtime_parse(en, &e->end_ns) != 0) {
		snprintf(err, errlen, "sessions[%zu] (%s): \"start\" and \"end\" must be RFC 3339 times", i, e->uid);
		return -EINVAL;
	}
	if (e->end_ns <= e->start_ns) {
		snprintf(err, errlen, "sessions[%zu] (%s): ends before it starts", i, e->uid);
		return -EINVAL;
	}
	if (rec && !json_is_boolean(rec)) {
		snprintf(err, errlen, "sessions[%zu] (%s): \"record\" must be true or false", i, e->uid);
		return -EINVAL;
	}
	e->record = rec ? json_is_true(rec) : 1;
	return 0;
}

int
schedule_parse(struct schedule *out, const char *json, size_t len,
    int64_t pre, int64_t post, char *err, size_t errlen)
{
	struct schedule *s = NULL;
	json_error_t jerr;
	json_t *root, *list, *o;
	size_t i;
	int rc = -EINVAL;

	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	list = json_object_get(root, "sessions");
	if (!json_is_object(root) || !json_is_array(list)) {
		snprintf(err, errlen, "expected an object with a \"sessions\" array");
		goto out;
	}
	if (json_array_size(list) > SCHEDULE_MAX) {
		snprintf(err, errlen, "more than %d sessions", SCHEDULE_MAX);
		goto out;
	}
	if (!(s = calloc(1, sizeof *s))) {
		rc = -ENOMEM;
		goto out;
	}
	if (copy_str(s->room, sizeof s->room, json_object_get(root, "room"), 0)) {
		snprintf(err, errlen, "over-long \"room\"");
		goto out;
	}
	json_array_foreach(list, i, o) {
		if ((rc = parse_entry(&s->e[i], o, i, err, errlen)) != 0)
			goto out;
		s->n++;
	}
	rc = -EINVAL;
	qsort(s->e, s->n, sizeof s->e[0], cmp_start);
	for (i = 0; i < s->n; i++) {
		struct schedule_entry *e = &s->e[i];
		e->open_ns = e->start_ns - pre;
		e->close_ns = e->end_ns + post;
		for (size_t k = 0; k < i; k++)
			if (strcmp(s->e[k].uid, e->uid) == 0) {
				snprintf(err, errlen, "session %s is listed twice", e->uid);
				goto out;
			}
		if (i == 0)
			continue;
		struct schedule_entry *p = &s->e[i - 1];
		if (e->start_ns < p->end_ns) {
			snprintf(err, errlen, "sessions %s and %s overlap in one room", p->uid, e->uid);
			goto out;
		}
		if (p->close_ns > e->open_ns) {
			int64_t mid = p->end_ns + (e->start_ns - p->end_ns) / 2;
			p->close_ns = mid;
			e->open_ns = mid;
		}
	}
	*out = *s;
	rc = 0;
out:
	free(s);
	json_decref(root);
	return rc;
}

int
schedule_load(struct schedule *s, const char *path, int64_t pre, int64_t post,
    char *err, size_t errlen)
{
	char msg[256], *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");
	int rc;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(1 << 20);
	if (buf)
		len = fread(buf, 1, 1 << 20, f);
	if (!buf || ferror(f) || !feof(f)) {
		snprintf(err, errlen, "%s: unreadable or larger than 1 MiB", path);
		fclose(f);
		free(buf);
		return -EINVAL;
	}
	fclose(f);
	rc = schedule_parse(s, buf, len, pre, post, msg, sizeof msg);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(buf);
	return rc;
}

const struct schedule_entry *
schedule_at(const struct schedule *s, int64_t t)
{
	for (size_t i = 0; i < s->n; i++)
		if (t >= s->e[i].open_ns && t < s->e[i].close_ns)
			return &s->e[i];
	return NULL;
}

int64_t
schedule_next_boundary(const struct schedule *s, int64_t t)
{
	int64_t best = INT64_MAX;

	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].open_ns > t && s->e[i].open_ns < best)
			best = s->e[i].open_ns;
		if (s->e[i].close_ns > t && s->e[i].close_ns < best)
			best = s->e[i].close_ns;
	}
	return best;
}
