#include "simfeed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ogg/ogg.h>
#include <sodium.h>

#include "import.h"
#include "minisign.h"

int
simfeed_opus_duration(const char *path, int64_t *ms)
{
	ogg_sync_state oy;
	ogg_page og;
	uint8_t *data = NULL;
	size_t len;
	char *buf;
	int64_t last = -1;
	int preskip = -1, rc;

	rc = minisign_read_file(path, &data, &len);
	if (rc < 0)
		return rc;
	ogg_sync_init(&oy);
	buf = ogg_sync_buffer(&oy, (long)len);
	memcpy(buf, data, len);
	ogg_sync_wrote(&oy, (long)len);
	while (ogg_sync_pageout(&oy, &og) == 1) {
		/* The first page holds OpusHead: pre-skip at bytes 10-11. */
		if (preskip < 0) {
			if (og.body_len < 19 || memcmp(og.body, "OpusHead", 8) != 0)
				break;
			preskip = og.body[10] | og.body[11] << 8;
		}
		if (ogg_page_granulepos(&og) >= 0)
			last = ogg_page_granulepos(&og);
	}
	ogg_sync_clear(&oy);
	free(data);
	if (preskip < 0 || last < preskip)
		return -EINVAL;
	*ms = (last - preskip) / 48;
	return 0;
}

static int
sim_first_session(struct store *st, char **uid, char **room, int64_t *start)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = store_prepare(st, "SELECT uid, room, start_utc FROM sessions"
	    " WHERE (?1 IS NULL AND room = (SELECT min(room) FROM sessions))"
	    " OR uid = ?1 ORDER BY start_utc, uid LIMIT 1", &q)) < 0)
		return rc;
	if (*uid)
		sqlite3_bind_text(q, 1, *uid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) == SQLITE_ROW) {
		free(*uid);
		*uid = strdup((const char *)sqlite3_column_text(q, 0));
		*room = strdup((const char *)sqlite3_column_text(q, 1));
		*start = sqlite3_column_int64(q, 2);
		rc = *uid && *room ? 0 : -ENOMEM;
	} else {
		rc = -ENOENT;
	}
	sqlite3_finalize(q);
	return rc;
}

struct sim_notice {
	char id[128];
	char sha[65];
};

static int
sim_notice(struct store *st, const struct simfeed_opts *o, int64_t start,
    struct sim_notice *sn, char *err, size_t errlen)
{
	struct store_notice n;
	uint8_t *text = NULL, h[32];
	const char *base;
	size_t len;
	char *dot;
	int rc;

	if ((rc = minisign_read_file(o->notice, &text, &len)) < 0) {
		snprintf(err, errlen, "%s: %s", o->notice, strerror(-rc));
		return rc;
	}
	crypto_hash_sha256(h, text, len);
	sodium_bin2hex(sn->sha, sizeof sn->sha, h, sizeof h);
	base = strrchr(o->notice, '/');
	snprintf(sn->id, sizeof sn->id, "%s", base ? base + 1 : o->notice);
	if ((dot = strrchr(sn->id, '.')))
		*dot = '\0';
	memset(&n, 0, sizeof n);
	n.id = sn->id;
	n.sha256 = sn->sha;
	n.url = o->notice_url;
	n.text = (const char *)text;
	n.first_seen = start;
	rc = store_add_notice(st, &n);
	free(text);
	return rc;
}

static int
sim_recording(struct store *st, const char *uid, const char *room,
    const char *src, const struct sim_notice *sn, char *err, size_t errlen)
{
	struct store_recording r;
	uint8_t *data = NULL, h[32];
	char sha[65], rel[128], dst[4096], dev[256];
	size_t len;
	int64_t ms;
	int rc;

	if ((rc = simfeed_opus_duration(src, &ms)) < 0) {
		snprintf(err, errlen, "%s: not an Ogg Opus file", src);
		return rc;
	}
	if ((rc = minisign_read_file(src, &data, &len)) < 0) {
		snprintf(err, errlen, "%s: %s", src, strerror(-rc));
		return rc;
	}
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(sha, sizeof sha, h, sizeof h);
	snprintf(dst, sizeof dst, "%s/recordings", st->dir);
	mkdir(dst, 0700);
	snprintf(rel, sizeof rel, "recordings/%s.opus", sha);
	if (snprintf(dst, sizeof dst, "%s/%s", st->dir, rel) >= (int)sizeof dst)
		rc = -ENAMETOOLONG;
	else
		rc = minisign_write_file(dst, data, len, 0644);
	free(data);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(-rc));
		return rc;
	}
	snprintf(dev, sizeof dev, "sim-%s", room);
	memset(&r, 0, sizeof r);
	r.device_id = dev;
	r.session_uid = uid;
	r.sha256 = sha;
	r.bytes = (int64_t)len;
	r.duration_ms = ms;
	r.path = rel;
	if (sn) {
		r.notice_id = sn->id;
		r.notice_sha256 = sn->sha;
	}
	return store_add_recording(st, &r);
}

int
simfeed_run(struct store *st, const char *scans, const struct simfeed_opts *o,
    char *err, size_t errlen)
{
	struct sim_notice sn;
	struct store_scan s;
	char *uid = o->session ? strdup(o->session) : NULL, *room = NULL;
	char *line = NULL, *save, nonce[512], dev[256];
	char *badge, *suid, *when;
	int64_t start = 0, t;
	size_t cap = 0;
	FILE *f = NULL;
	int rc, lineno = 0, n = 0;

	if ((rc = sim_first_session(st, &uid, &room, &start)) < 0) {
		snprintf(err, errlen, "no such session (import the agenda first)");
		goto out;
	}
	snprintf(dev, sizeof dev, "sim-%s", room);
	f = fopen(scans, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", scans, strerror(errno));
		goto out;
	}
	if ((rc = store_begin(st)) < 0)
		goto out;
	if (o->notice && (rc = sim_notice(st, o, start, &sn, err, errlen)) < 0)
		goto out;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if (!(badge = strtok_r(line, " \t\r\n", &save)) || *badge == '#')
			continue;
		suid = strtok_r(NULL, " \t\r\n", &save);
		when = suid ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		t = start + 60 + n;
		if (when && import_parse_rfc3339(when, &t) < 0) {
			snprintf(err, errlen, "%s:%d: bad time", scans, lineno);
			rc = -EINVAL;
			goto out;
		}
		memset(&s, 0, sizeof s);
		/* Deterministic nonce: feeding the same file twice is a no-op. */
		snprintf(nonce, sizeof nonce, "sim:%s:%s:%d", suid ? suid : uid,
		    badge, lineno);
		s.nonce = nonce;
		s.device_id = dev;
		s.badge_id = badge;
		s.wall_ns = t * 1000000000LL;
		s.clock_synced = 1;
		s.session_uid = suid ? suid : uid;
		if (o->notice) {
			s.notice_id = sn.id;
			s.notice_sha256 = sn.sha;
		}
		rc = store_add_scan(st, &s);
		if (rc < 0) {
			snprintf(err, errlen, "%s:%d: %s", scans, lineno, strerror(-rc));
			goto out;
		}
		n++;
	}
	if (o->recording && (rc = sim_recording(st, uid, room, o->recording,
	    o->notice ? &sn : NULL, err, errlen)) < 0)
		goto out;
	if ((rc = store_audit(st, "notewell", "sim-feed", scans)) < 0)
		goto out;
	rc = store_commit(st);
out:
	store_rollback(st);
	if (f)
		fclose(f);
	free(line);
	free(uid);
	free(room);
	return rc;
}
