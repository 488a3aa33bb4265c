/*
 * The sync worker process: enrolls with the host from a scanned setup code,
 * then pushes records, recordings (chunked, resumable) and per-session
 * manifests, retrying with backoff forever. It has its own journal
 * connection and never shares a byte of state with the daemon except the
 * journal file and one socket for kicks and status; see sync.h for why it
 * is a process.
 */
#include "sync_worker.h"
#include "schedule.h"
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "heartbeat.h"
#include "journal.h"
#include "log.h"
#include "sync_http.h"
#include "sync_journal.h"
#include "sync_notices.h"
#include "syncseg.h"

#define BATCH_MAX 200
#define BATCH_BYTES (512u << 10)
#define REFUSED_MAX 1024
#define SHA_CACHE 8

enum cycle { CYCLE_IDLE, CYCLE_MORE, CYCLE_FAIL };

struct refused {
	char kind[24];
	int64_t ref;
};

struct sha_cache {
	char path[4096];
	int64_t size, mtime_ns;
	char sha[SYNCPROTO_SHA_HEX + 1];
};

struct syncw {
	const struct config *cfg;
	const char *dir;
	int fd;
	int lock;			/* worker.lock, held for life */
	struct journal *j;
	const struct minisign_key *key;
	struct nw_clock clock;
	struct syncseq seq;
	char box[SYNCPROTO_BOX_MAX + 1];
	/* the host, once enrolled */
	int enrolled;
	char url[SYNCPROTO_URL_MAX + 1];
	char pin[SYNCPROTO_PIN_B64 + 1];
	char room[128];
	struct synchttp http;
	int http_ready;
	/* status */
	const char *state;
	char last_error[256];
	char enroll_error[256];
	int64_t last_ok_ns, last_try_ns;
	int failures;
	int64_t next_try_ms;
	uint64_t records_sent, chunks_sent;
	int distrust_journal_sha;
	int bad_files;			/* recordings this round could not send */
	int bad_notices;		/* the host sent a notice the box refused */
	int64_t progress_ns;		/* last progress write to the journal */
	struct refused refused[REFUSED_MAX];
	size_t nrefused;
	struct sha_cache cache[SHA_CACHE];
};

static int64_t
wall_now(struct syncw *w)
{
	struct nw_stamp s;

	nwclock_now(&w->clock, &s);
	return s.wall_ns;
}

static void
event(struct syncw *w, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
event(struct syncw *w, const char *kind, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	if (journal_eventf(w->j, &w->clock, kind, "%s", detail) != 0)
		log_warnx("cannot log %s: %s", kind, detail);
}

static void
set_error(struct syncw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_error(struct syncw *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->last_error, sizeof w->last_error, fmt, ap);
	va_end(ap);
	log_warnx("sync: %s", w->last_error);
}

/* ---- status to the daemon ---- */

static void
send_status(struct syncw *w)
{
	json_t *s = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:I, s:I, s:I}",
	    "state", w->state, "enrolled", w->enrolled, "host", w->url, "room", w->room,
	    "last_error", w->last_error, "enroll_error", w->enroll_error,
	    "last_ok_wall_ns", (json_int_t)w->last_ok_ns,
	    "last_try_wall_ns", (json_int_t)w->last_try_ns, "failures", w->failures,
	    "next_try_ms", (json_int_t)w->next_try_ms,
	    "records_sent", (json_int_t)w->records_sent,
	    "chunks_sent", (json_int_t)w->chunks_sent);
	char *text = s ? json_dumps(s, JSON_COMPACT) : NULL;

	/* Never wait for the daemon: a status it misses is replaced by the next. */
	if (text)
		send(w->fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL);
	free(text);
	json_decref(s);
}

/* ---- enrollment state on disk ---- */

static void
sync_path(struct syncw *w, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/sync/%s", w->dir, name);
}

static int
load_host(struct syncw *w)
{
	char path[4200];
	json_t *j;
	const char *url, *pin, *room;

	sync_path(w, SYNC_HOST_FILE, path, sizeof path);
	if (!(j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL)))
		return -ENOENT;
	url = json_string_value(json_object_get(j, "url"));
	pin = json_string_value(json_object_get(j, "pin"));
	room = json_string_value(json_object_get(j, "room"));
	if (!url || !pin || !syncproto_url_ok(url) || !syncproto_pin_ok(pin)) {
		json_decref(j);
		log_warnx("%s is damaged; scan a setup code again", path);
		return -EBADMSG;
	}
	snprintf(w->url, sizeof w->url, "%s", url);
	snprintf(w->pin, sizeof w->pin, "%s", pin);
	snprintf(w->room, sizeof w->room, "%s", room ? room : "");
	w->enrolled = 1;
	json_decref(j);
	return 0;
}

static int
save_host(struct syncw *w)
{
	char path[4200], *text;
	json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "url", w->url, "pin", w->pin,
	    "room", w->room, "enrolled_wall_ns", (json_int_t)wall_now(w));
	int rc;

	if (!j || !(text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS))) {
		json_decref(j);
		return -ENOMEM;
	}
	json_decref(j);
	sync_path(w, SYNC_HOST_FILE, path, sizeof path);
	rc = minisign_write_file(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

static void
http_drop(struct syncw *w)
{
	if (w->http_ready)
		synchttp_free(&w->http);
	w->http_ready = 0;
}

static int
http_for(struct syncw *w, const char *url, const char *pin)
{
	long rate = (long)w->cfg->sync_rate_kbps * 1000;
	int rc;

	http_drop(w);
	if ((rc = synchttp_init(&w->http, url, pin, w->box, w->key, &w->seq, &w->clock,
	    rate)) < 0)
		return rc;
	w->http_ready = 1;
	return 0;
}

/* ---- enrollment ---- */

static enum cycle
enroll(struct syncw *w)
{
	struct syncproto_setup s;
	struct synchttp_reply r = { 0 };
	enum syncproto_err pe;
	uint8_t *code = NULL;
	size_t len;
	char path[4200], pub[64], err[256], *body = NULL;
	json_t *j = NULL, *reply = NULL;
	enum cycle ret = CYCLE_FAIL;
	int rc;

	sync_path(w, SYNC_SETUP_FILE, path, sizeof path);
	if (minisign_read_file(path, &code, &len) < 0)
		return CYCLE_IDLE;
	((char *)code)[strcspn((char *)code, "\r\n")] = '\0';
	if ((pe = syncproto_setup_parse(w->cfg->setup_prefix, (char *)code, &s)) != SYNCPROTO_OK) {
		snprintf(w->enroll_error, sizeof w->enroll_error, "%s", syncproto_strerror(pe));
		unlink(path);
		ret = CYCLE_MORE;
		goto out;
	}
	w->state = "enrolling";
	send_status(w);
	minisign_public_b64(w->key, pub, sizeof pub);
	j = json_pack("{s:s, s:s, s:s, s:s}", "token", s.token, "box", w->box, "pubkey", pub,
	    "name", w->cfg->device_name[0] ? w->cfg->device_name : w->box);
	if (!j || !(body = json_dumps(j, JSON_COMPACT)) || http_for(w, s.url, s.pin) < 0)
		goto out;
	rc = synchttp_request(&w->http, "POST", "/v1/enroll", NULL, body, strlen(body), &r,
	    err, sizeof err);
	if (rc == -EKEYREJECTED || (rc == 0 && r.status == 401)) {
		/* A definite no: this code will never work, so forget it. */
		snprintf(w->enroll_error, sizeof w->enroll_error, "%s", rc ? err :
		    "the host refused the setup code (unknown, already used or expired)");
		event(w, "sync-enroll-refused", "url=%s reason=%s", s.url, w->enroll_error);
		log_warnx("enrollment with %s refused: %s", s.url, w->enroll_error);
		unlink(path);
		ret = CYCLE_MORE;
		goto out;
	}
	if (rc < 0 || r.status != 200) {
		set_error(w, "enrollment with %s: %s", s.url, rc < 0 ? err : "host error");
		goto out;
	}
	reply = json_loadb(r.body, r.len, 0, NULL);
	snprintf(w->room, sizeof w->room, "%s",
	    json_string_value(json_object_get(reply, "room")) ?
	    json_string_value(json_object_get(reply, "room")) : "");
	/* Another host: its confirmations are not the old one's. Forgotten
	 * before the new host is saved, so a crash between the two only sends
	 * everything to the old host again, which stores nothing twice. */
	if (w->enrolled && (strcmp(w->url, s.url) != 0 || strcmp(w->pin, s.pin) != 0)) {
		if ((rc = syncj_forget_host(w->j, w->dir)) < 0) {
			set_error(w, "cannot reset sync state for the new host: %s", strerror(-rc));
			goto out;
		}
		event(w, "sync-host-changed", "from=%s to=%s", w->url, s.url);
		log_info("moving from %s to %s: everything is sent again", w->url, s.url);
		w->nrefused = 0;
		w->distrust_journal_sha = 0;
	}
	snprintf(w->url, sizeof w->url, "%s", s.url);
	snprintf(w->pin, sizeof w->pin, "%s", s.pin);
	if ((rc = save_host(w)) < 0) {
		set_error(w, "cannot save the enrollment: %s", strerror(-rc));
		goto out;
	}
	unlink(path);
	w->enrolled = 1;
	w->enroll_error[0] = '\0';
	w->last_error[0] = '\0';
	event(w, "sync-enrolled", "url=%s room=%s", w->url, w->room);
	log_info("enrolled with %s for room %s", w->url, w->room);
	ret = CYCLE_MORE;
out:
	sodium_memzero(&s, sizeof s);
	if (code) {
		sodium_memzero(code, len);
		free(code);
	}
	free(body);
	json_decref(j);
	json_decref(reply);
	synchttp_reply_free(&r);
	return ret;
}

/* Handles an answer that is not 200 the same way everywhere. */
static void
http_problem(struct syncw *w, const char *what, int rc, const char *err,
    const struct synchttp_reply *r)
{
	char reason[200];

	if (rc < 0) {
		set_error(w, "%s: %s", what, err);
		return;
	}
	if (r->status == 401) {
		w->state = "refused";
		set_error(w, "%s: the host does not accept this box (revoked, or not enrolled "
		    "there); scan a new setup code", what);
		return;
	}
	syncproto_parse_error(r->body, r->len, reason, sizeof reason);
	set_error(w, "%s: host answered %ld%s%s", what, r->status, *reason ? ": " : "", reason);
}

/* ---- records ---- */

static int
is_refused(void *arg, const char *kind, int64_t ref)
{
	struct syncw *w = arg;

	for (size_t i = 0; i < w->nrefused; i++)
		if (w->refused[i].ref == ref && strcmp(w->refused[i].kind, kind) == 0)
			return 1;
	return 0;
}

static void
remember_refused(struct syncw *w, const struct syncj_item *it, const char *reason)
{
	if (w->nrefused < REFUSED_MAX) {
		snprintf(w->refused[w->nrefused].kind, sizeof w->refused[0].kind, "%s", it->kind);
		w->refused[w->nrefused++].ref = it->ref;
	}
	event(w, "sync-refused", "%s %s: %s", it->kind, it->key, reason);
	set_error(w, "host refused %s %s: %s", it->kind, it->key, reason);
}

/* One batch; CYCLE_MORE when something was sent, IDLE when nothing was left. */
static enum cycle
push_records(struct syncw *w)
{
	struct syncj_item items[BATCH_MAX];
	const char *acks[BATCH_MAX];
	struct synchttp_reply r = { 0 };
	struct syncproto_ack *res = NULL;
	struct nw_stamp now;
	json_t *batch = NULL, *list;
	char *body = NULL, err[256];
	size_t n = 0, nres = 0, i, k, marked = 0;
	enum cycle ret = CYCLE_FAIL;
	int rc;

	if ((rc = syncj_collect(w->j, w->box, items, BATCH_MAX, BATCH_BYTES, is_refused, w,
	    &n)) < 0) {
		set_error(w, "cannot read the journal: %s", strerror(-rc));
		return CYCLE_FAIL;
	}
	if (n == 0)
		return CYCLE_IDLE;
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append(list, items[i].obj);
	batch = json_pack("{s:o}", "records", list);
	if (!batch || !(body = json_dumps(batch, JSON_COMPACT | JSON_ENSURE_ASCII)))
		goto out;
	rc = synchttp_request(&w->http, "POST", "/v1/records", NULL, body, strlen(body), &r,
	    err, sizeof err);
	if (rc < 0 || r.status != 200) {
		http_problem(w, "sending records", rc, err, &r);
		goto out;
	}
	if (syncproto_parse_results(r.body, r.len, &res, &nres) != 0) {
		set_error(w, "sending records: the host's answer is not valid");
		goto out;
	}
	nwclock_now(&w->clock, &now);
	for (i = 0; i < n; i++) {
		acks[i] = NULL;
		for (k = 0; k < nres; k++)
			if (strcmp(res[k].kind, items[i].kind) == 0 &&
			    strcmp(res[k].key, items[i].key) == 0)
				break;
		if (k == nres)
			continue;	/* not answered: sent again next time */
		switch (res[k].status) {
		case SYNCPROTO_STORED:
		case SYNCPROTO_DUPLICATE:
			/* Synced only when the host holds exactly what we hold. */
			if (strcmp(res[k].sha256, items[i].sha256) == 0)
				acks[i] = items[i].sha256;
			else
				remember_refused(w, &items[i], "host stored another hash");
			break;
		case SYNCPROTO_PURGED:
			if (strcmp(items[i].kind, "scan") == 0 &&
			    syncj_drop_scan(w->j, items[i].ref, &now) == 0)
				marked++;
			break;
		case SYNCPROTO_REFUSED:
			remember_refused(w, &items[i], res[k].reason[0] ? res[k].reason : "refused");
			break;
		}
		marked += acks[i] != NULL;
	}
	if ((rc = syncj_mark(w->j, items, acks, n, now.wall_ns)) < 0) {
		set_error(w, "cannot mark records synced: %s", strerror(-rc));
		goto out;
	}
	w->records_sent += n;
	ret = CYCLE_MORE;
out:
	syncj_items_free(items, n);
	free(res);
	free(body);
	json_decref(batch);
	synchttp_reply_free(&r);
	return ret;
}

/* ---- recordings ---- */

static int
file_sha(struct syncw *w, const char *path, int64_t *size, char sha[SYNCPROTO_SHA_HEX + 1])
{
	crypto_hash_sha256_state h;
	uint8_t buf[65536], out[crypto_hash_sha256_BYTES];
	struct stat sb;
	struct sha_cache *c, *slot = &w->cache[0];
	ssize_t n;
	int fd;

	if (stat(path, &sb) != 0)
		return -errno;
	*size = sb.st_size;
	for (c = w->cache; c < w->cache + SHA_CACHE; c++) {
		if (strcmp(c->path, path) == 0 && c->size == sb.st_size &&
		    c->mtime_ns == (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec) {
			memcpy(sha, c->sha, sizeof c->sha);
			return 0;
		}
		if (c->path[0] == '\0')
			slot = c;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	crypto_hash_sha256_init(&h);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		crypto_hash_sha256_update(&h, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -EIO;
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(sha, SYNCPROTO_SHA_HEX + 1, out, sizeof out);
	snprintf(slot->path, sizeof slot->path, "%s", path);
	slot->size = sb.st_size;
	slot->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	memcpy(slot->sha, sha, sizeof slot->sha);
	return 0;
}

static int
offset_of(struct syncw *w, const struct synchttp_reply *r, int64_t *off, int *complete)
{
	if (syncproto_parse_offset(r->body, r->len, off, complete) != 0) {
		set_error(w, "the host's upload answer is not valid");
		return -EBADMSG;
	}
	return 0;
}

static ssize_t
file_pread(void *arg, void *buf, size_t len, int64_t off)
{
	int fd = *(int *)arg;
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (int64_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

struct stream_progress {
	struct syncw *w;
	struct syncseg_writer sw;
	const struct syncj_recording *rec;
};

static ssize_t
stream_read(void *arg, void *buf, size_t len)
{
	struct stream_progress *p = arg;
	ssize_t n = syncseg_writer_read(&p->sw, buf, len);

	/* Progress is for the status line only (the host's confirmed length
	 * is what resumes), so a journal write a second is plenty. */
	if (n > 0 && wall_now(p->w) - p->w->progress_ns > 1000000000) {
		p->w->progress_ns = wall_now(p->w);
		syncj_recording_progress(p->w->j, p->rec->id, p->sw.off, NULL, p->w->progress_ns);
	}
	return n;
}

/*
 * Sends [*off, size) in one request as signed segments (syncseg.h): the
 * host checks and writes each as it arrives and makes them durable at
 * least once a second and at the end, so disk, network and hashing
 * overlap instead of taking turns per chunk. The answer is the length the
 * host confirmed: 0 when it took the stream, 1 when it holds another length
 * than *off (409, before any body; *off is then that length), or -errno.
 */
static int
send_stream(struct syncw *w, const struct syncj_recording *rec, const char *sha,
    int64_t size, int64_t *off, int *complete, const struct syncseg_known *known,
    int *used_known)
{
	struct stream_progress p = { .w = w, .rec = rec };
	struct synchttp_reply r = { 0 };
	size_t seg = (size_t)w->cfg->sync_chunk_kb * 1024;
	char path[160], err[256];
	int fd, rc = -ENOTSUP;

	if ((fd = open(rec->path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		set_error(w, "%s: %s", rec->path, strerror(errno));
		return rc;
	}
	/* The recorder's digests if they fit this upload, else hash. */
	if (known)
		rc = syncseg_writer_init_known(&p.sw, file_pread, &fd, w->key->sk, w->box, sha,
		    *off, size, seg, known);
	*used_known = rc == 0;
	if (rc == -ENOTSUP)
		rc = syncseg_writer_init(&p.sw, file_pread, &fd, w->key->sk, w->box, sha, *off,
		    size, seg);
	if (rc < 0) {
		set_error(w, "%s: %s", rec->path, strerror(-rc));
		goto out;
	}
	snprintf(path, sizeof path, "/v1/recordings/%s/stream/%" PRId64, sha, *off);
	rc = synchttp_stream(&w->http, path, SYNCSEG_CONTENT_TYPE,
	    syncseg_body_len(*off, size, seg), stream_read, &p, &p.sw.seq, &r, err, sizeof err);
	/* 409: the host holds another length; carry on from there. */
	if (rc < 0 || (r.status != 200 && r.status != 409)) {
		http_problem(w, "uploading a recording", rc, err, &r);
		/* 422: a segment's bytes are not what its signature says. */
		rc = rc < 0 ? rc : r.status == 422 ? -EILSEQ : -EIO;
		goto out;
	}
	if ((rc = offset_of(w, &r, off, complete)) < 0)
		goto out;
	w->chunks_sent += p.sw.segments_sent;
	if (r.status == 409) {
		rc = 1;
		goto out;
	}
	/* The recorder sealed another hash than these bytes have: the file
	 * changed since, and the box cannot vouch for it. */
	if (p.sw.off == size && !syncseg_writer_matches(&p.sw)) {
		set_error(w, "recording %s no longer matches its SHA-256; not sending it",
		    rec->name);
		rc = -EBADMSG;
	}
out:
	synchttp_reply_free(&r);
	close(fd);
	return rc;
}

static int
finish_recording(struct syncw *w, const struct syncj_recording *rec, const char *sha,
    int64_t size, int64_t *off, int *complete, int used_known)
{
	struct synchttp_reply r = { 0 };
	char path[160], err[256], stored[SYNCPROTO_SHA_HEX + 1], *body = NULL;
	json_t *j = json_pack("{s:s, s:o, s:s, s:I, s:I, s:o, s:o, s:o}",
	    "key", "", "session", rec->session_uid[0] ? json_string(rec->session_uid) : json_null(),
	    "name", rec->name, "bytes", (json_int_t)size, "duration_ns",
	    (json_int_t)rec->duration_ns,
	    "notice_id", rec->notice_id[0] ? json_string(rec->notice_id) : json_null(),
	    "notice_sha256", rec->notice_sha256[0] ? json_string(rec->notice_sha256) : json_null(),
	    "start", syncproto_stamp_json(&rec->start));
	char key[32];
	int rc = -EIO;

	snprintf(key, sizeof key, "rec-%" PRId64, rec->id);
	if (!j || json_object_set_new(j, "key", json_string(key)) != 0 ||
	    !(body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)))
		goto out;
	snprintf(path, sizeof path, "/v1/recordings/%s/finish", sha);
	rc = synchttp_request(&w->http, "POST", path, NULL, body, strlen(body), &r, err,
	    sizeof err);
	if (rc == 0 && r.status == 409) {
		rc = offset_of(w, &r, off, complete);
		if (rc == 0)
			rc = -EAGAIN;	/* the host is missing bytes: send them */
		goto out;
	}
	if (rc < 0 || r.status != 200) {
		http_problem(w, "finishing a recording upload", rc, err, &r);
		/* The host got other bytes than the name says: from now on hash
		 * files here before sending, to find out whether it is the file. */
		if (rc == 0 && r.status == 422)
			w->distrust_journal_sha = 1;
		rc = rc < 0 ? rc : -EIO;
		goto out;
	}
	if (syncproto_parse_stored(r.body, r.len, stored) != 0 || strcmp(stored, sha) != 0) {
		set_error(w, "the host confirmed another hash for %s", rec->name);
		rc = -EBADMSG;
		goto out;
	}
	rc = syncj_recording_progress(w->j, rec->id, size, sha, wall_now(w));
	if (rc == 0)
		log_info("recording %s (%" PRId64 " bytes) confirmed by the host (%s)", rec->name,
		    size, used_known ? "signed with the recorder's digests" : "hashed to send");
out:
	free(body);
	json_decref(j);
	synchttp_reply_free(&r);
	return rc;
}

static int
upload_one(struct syncw *w, const struct syncj_recording *rec)
{
	char sha[SYNCPROTO_SHA_HEX + 1];
	int64_t size, off = 0;
	int complete = 0, rc, tries, used_known = 0;
	struct syncseg_known known = { 0 };
	uint8_t (*digests)[32] = NULL;
	struct stat sb;

	/* The recorder seals a recording with its SHA-256; naming the upload by
	 * it saves reading the whole file once more. The host checks the bytes
	 * against it at the end, and only if it disagrees do we hash here. */
	if (rec->journal_sha256[0] && syncproto_sha_ok(rec->journal_sha256) &&
	    !w->distrust_journal_sha) {
		if (stat(rec->path, &sb) != 0) {
			set_error(w, "recording %s: %s", rec->path, strerror(errno));
			return -ENOENT;
		}
		size = sb.st_size;
		memcpy(sha, rec->journal_sha256, sizeof sha);
		/* Likewise its prefix digests sign the segments. */
		if (syncj_recording_prefixes(w->j, rec->id, &known.every, &digests, &known.n) == 0)
			known.d = (const uint8_t (*)[32])digests;
	} else if ((rc = file_sha(w, rec->path, &size, sha)) < 0) {
		set_error(w, "recording %s: %s", rec->path, strerror(-rc));
		return rc;
	} else if (rec->journal_sha256[0] && strcmp(rec->journal_sha256, sha) != 0) {
		/* The file changed after the recorder sealed it: do not send
		 * something the box cannot vouch for. */
		set_error(w, "recording %s no longer matches its SHA-256; not sending it",
		    rec->name);
		return -EBADMSG;
	}
	/* No question first: a stream from the start is answered 409 with the
	 * host's confirmed length, before any body is sent, when the host
	 * holds part of it already; that is a resume, and rare. */
	off = 0;
	used_known = known.d != NULL;	/* for the log, if no stream is needed */
	for (tries = 0, rc = -EIO; tries < 4; tries++) {
		if (!complete && off < size) {
			rc = send_stream(w, rec, sha, size, &off, &complete,
			    known.d ? &known : NULL, &used_known);
			if (rc == -EILSEQ && used_known) {
				/* The bytes are not what the recorder hashed: hash
				 * them here, which tells whether the file changed. */
				log_warnx("recording %s does not match the recorder's digests; "
				    "hashing it", rec->name);
				known.d = NULL;
				continue;
			}
			if (rc == -EILSEQ)
				rc = -EIO;
			if (rc < 0)
				break;
			if (rc == 1 && off <= size)
				continue;	/* the host is elsewhere: from there */
		}
		rc = finish_recording(w, rec, sha, size, &off, &complete, used_known);
		if (rc != -EAGAIN)
			break;
		rc = -EIO;
	}
	free(digests);
	return rc;
}

static enum cycle
push_recordings(struct syncw *w)
{
	struct syncj_recording *recs = NULL;
	size_t n = 0;
	int rc, failed = 0;

	if ((rc = syncj_recordings_pending(w->j, w->dir, &recs, &n)) < 0) {
		set_error(w, "cannot read recordings: %s", strerror(-rc));
		return CYCLE_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		rc = upload_one(w, &recs[i]);
		/* A network failure ends the round; a bad file only skips itself
		 * (and keeps its error on the status line). */
		if (rc == -EBADMSG || rc == -ENOENT) {
			w->bad_files++;
		} else if (rc < 0) {
			failed = 1;
			break;
		}
	}
	free(recs);
	return failed ? CYCLE_FAIL : CYCLE_IDLE;
}

/* ---- manifests ---- */

static int
manifest_files(struct syncw *w, int64_t sid, char *path, size_t len)
{
	struct journal_session s;
	char safe[80], dirp[4200];
	int rc, n;

	if ((rc = journal_session_get(w->j, sid, &s)) != 0)
		return rc;
	syncproto_safe_name(s.uid, safe, sizeof safe);
	snprintf(dirp, sizeof dirp, "%.4000s/manifests", w->dir);
	if (mkdir(dirp, 0750) != 0 && errno != EEXIST)
		return -errno;
	n = snprintf(path, len, "%.4000s/%.80s.json", dirp, safe);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Writes DIR/manifests/SESSION.json and its .minisig once; a manifest is
 * never rewritten, so what the host holds stays what the box signed. */
static int
make_manifest(struct syncw *w, int64_t sid, const char *path)
{
	struct journal_session s;
	struct stat sb;
	json_t *m = NULL;
	char when[40], tc[512], idhex[17], safe[80], sig[4200], *text = NULL;
	int rc;

	snprintf(sig, sizeof sig, "%.4100s.minisig", path);
	if (stat(path, &sb) == 0 && stat(sig, &sb) == 0)
		return 0;
	if ((rc = journal_session_get(w->j, sid, &s)) != 0)
		return rc;
	nwtime_format(wall_now(w), when, sizeof when);
	if (!(m = syncj_manifest(w->j, w->dir, w->box, sid, when)) ||
	    !(text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII))) {
		json_decref(m);
		return -ENOMEM;
	}
	json_decref(m);
	/* One line, printable: the uid is shown as its safe name. */
	minisign_keyid_hex(w->key, idhex);
	syncproto_safe_name(s.uid, safe, sizeof safe);
	snprintf(tc, sizeof tc, "notewell manifest box=%s session=%s signed=%s key=%s",
	    w->box, safe, when, idhex);
	rc = minisign_write_file(path, text, strlen(text), 0644);
	if (rc == 0)
		rc = minisign_sign_file(w->key, path, tc);
	free(text);
	return rc;
}

static enum cycle
push_manifests(struct syncw *w)
{
	struct synchttp_reply r = { 0 };
	int64_t *ids = NULL;
	size_t n = 0;
	enum cycle ret = CYCLE_IDLE;
	int rc;

	if ((rc = syncj_sessions_for_manifest(w->j, &ids, &n)) < 0) {
		set_error(w, "cannot read sessions: %s", strerror(-rc));
		return CYCLE_FAIL;
	}
	for (size_t i = 0; i < n; i++) {
		struct journal_session s;
		char path[4200], sigp[4300], err[256], stored[SYNCPROTO_SHA_HEX + 1];
		uint8_t *text = NULL, *sig = NULL;
		size_t tlen, slen;
		json_t *j = NULL;
		char *body = NULL;

		if (manifest_files(w, ids[i], path, sizeof path) != 0 ||
		    journal_session_get(w->j, ids[i], &s) != 0 ||
		    (rc = make_manifest(w, ids[i], path)) < 0) {
			set_error(w, "cannot make the manifest of session %" PRId64, ids[i]);
			ret = CYCLE_FAIL;
			break;
		}
		snprintf(sigp, sizeof sigp, "%s.minisig", path);
		if (minisign_read_file(path, &text, &tlen) == 0 &&
		    minisign_read_file(sigp, &sig, &slen) == 0 &&
		    (j = json_pack("{s:s, s:s, s:s}", "session", s.uid, "manifest", (char *)text,
		    "minisig", (char *)sig)) && (body = json_dumps(j, JSON_COMPACT)))
			rc = synchttp_request(&w->http, "POST", "/v1/manifests", NULL, body,
			    strlen(body), &r, err, sizeof err);
		else {
			rc = -ENOMEM;
			snprintf(err, sizeof err, "cannot read the manifest");
		}
		if (rc == 0 && r.status == 200 &&
		    syncproto_parse_stored(r.body, r.len, stored) == 0) {
			/* Not noted, not done: the round fails and the next one
			 * sends it again (the host answers a repeat the same). */
			if ((rc = syncj_manifest_done(w->j, ids[i], stored, wall_now(w))) < 0) {
				set_error(w, "cannot mark the manifest of session %s sent: %s",
				    s.uid, strerror(-rc));
				ret = CYCLE_FAIL;
			} else {
				log_info("manifest of session %s accepted by the host", s.uid);
			}
		} else {
			http_problem(w, "sending a manifest", rc, err, &r);
			/* 422: the host checked it and it does not match what it
			 * holds. Make it again from the journal next time. */
			if (rc == 0 && r.status == 422) {
				unlink(path);
				unlink(sigp);
			}
			ret = CYCLE_FAIL;
		}
		free(text);
		free(sig);
		free(body);
		json_decref(j);
		synchttp_reply_free(&r);
		if (ret == CYCLE_FAIL)
			break;
	}
	free(ids);
	return ret;
}

/* ---- retention ---- */

static int64_t
free_mb(const char *dir)
{
	struct statvfs v;

	if (statvfs(dir, &v) != 0)
		return -1;
	return (int64_t)((uint64_t)v.f_bavail * v.f_frsize / (1024 * 1024));
}

/* Frees space by deleting recordings the host confirmed, oldest first, and
 * only while space is short. Unconfirmed recordings are never touched. */
static int
retention(struct syncw *w)
{
	struct syncj_recording *recs = NULL;
	int64_t avail;
	size_t n = 0;
	int freed = 0;

	if (w->cfg->retention_free_mb <= 0)
		return 0;
	if ((avail = free_mb(w->dir)) < 0 || avail >= w->cfg->retention_free_mb)
		return 0;
	if (syncj_recordings_confirmed(w->j, w->dir, &recs, &n) != 0)
		return 0;
	for (size_t i = 0; i < n && free_mb(w->dir) < w->cfg->retention_free_mb; i++) {
		if (unlink(recs[i].path) != 0)
			continue;
		event(w, "recording-freed", "id=%" PRId64 " sha256=%s bytes=%" PRId64
		    " reason=free space below %d MB", recs[i].id, recs[i].acked_sha256,
		    recs[i].acked_bytes, w->cfg->retention_free_mb);
		log_info("freed recording %s (confirmed by the host)", recs[i].name);
		freed++;
	}
	free(recs);
	return freed;
}

/* ---- the room's schedule, pulled from the host ---- */

/* Writes path atomically: temp file, fsync, rename, fsync the folder, so a
 * power cut leaves the old schedule or the new one. */
static int
write_atomic(const char *dir, const char *path, const char *data, size_t len)
{
	char tmp[4300];
	int fd, dfd, rc = 0;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		rc = -errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		return rc;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* The host is the source of the room's agenda. A schedule that does not
 * parse is not written: the box keeps the one it has. */
static enum cycle
pull_schedule(struct syncw *w)
{
	struct synchttp_reply r = { 0 };
	struct schedule *sched = NULL;
	char err[256], path[4200], *old = NULL;
	enum cycle ret = CYCLE_FAIL;
	size_t oldlen = 0;
	FILE *f;
	int rc;

	rc = synchttp_request(&w->http, "GET", "/v1/schedule", NULL, NULL, 0, &r, err, sizeof err);
	if (rc < 0 || r.status != 200) {
		http_problem(w, "fetching the schedule", rc, err, &r);
		goto out;
	}
	if (!(sched = calloc(1, sizeof *sched)) ||
	    schedule_parse(sched, r.body, r.len, 0, 0, err, sizeof err) != 0) {
		set_error(w, "the host's schedule is not valid: %s", sched ? err : "no memory");
		goto out;
	}
	snprintf(path, sizeof path, "%s/schedule.json", w->dir);
	if ((f = fopen(path, "r")) != NULL) {
		old = malloc(r.len + 1);
		if (old)
			oldlen = fread(old, 1, r.len + 1, f);
		fclose(f);
	}
	ret = CYCLE_IDLE;
	if (old && oldlen == r.len && memcmp(old, r.body, r.len) == 0)
		goto out;
	if ((rc = write_atomic(w->dir, path, r.body, r.len)) != 0) {
		set_error(w, "cannot write %s: %s", path, strerror(-rc));
		ret = CYCLE_FAIL;
		goto out;
	}
	/* Tell the daemon; if it is busy or gone it reads the file at start. */
	json_t *req = json_pack("{s:s}", "cmd", "schedule");
	json_t *rep = req ? ctl_call(w->dir, req, err, sizeof err) : NULL;
	json_decref(req);
	json_decref(rep);
out:
	free(old);
	free(sched);
	synchttp_reply_free(&r);
	return ret;
}

/* New consent notices from the host: written by sync_notices.c, then the
 * daemon reloads (it reads them at start if it is busy or gone now). */
static enum cycle
pull_notices(struct syncw *w)
{
	char err[1024] = "", cerr[256];
	json_t *req, *rep;
	enum syncnotices_result res = syncnotices_pull(&w->http, w->dir, err, sizeof err);

	if (res == SYNCNOTICES_NEW) {
		req = json_pack("{s:s}", "cmd", "notices");
		rep = req ? ctl_call(w->dir, req, cerr, sizeof cerr) : NULL;
		if (rep && json_object_get(rep, "error")) {
			snprintf(err, sizeof err, "the box refused the host's notices: %s",
			    json_string_value(json_object_get(rep, "error")));
			res = SYNCNOTICES_BAD;
		}
		json_decref(req);
		json_decref(rep);
	}
	if (err[0]) {
		set_error(w, "%s", err);
		w->bad_notices = res != SYNCNOTICES_NET;
	}
	/* A notice the box refuses is the host's mistake to fix; it is no
	 * reason to back off from syncing data. */
	return res == SYNCNOTICES_NET ? CYCLE_FAIL : CYCLE_IDLE;
}

/* ---- one round ---- */

/* 1 when a record the host has not confirmed (and has not refused in this
 * worker's life) is in the journal. */
static int
records_waiting(struct syncw *w)
{
	struct syncj_item item;
	size_t n = 0;

	if (syncj_collect(w->j, w->box, &item, 1, BATCH_BYTES, is_refused, w, &n) < 0)
		return 0;
	syncj_items_free(&item, n);
	return n > 0;
}

static enum cycle
cycle(struct syncw *w)
{
	char path[4200];
	struct stat sb;
	enum cycle c;

	w->last_try_ns = wall_now(w);
	w->bad_files = 0;
	w->bad_notices = 0;
	/* Space is freed whether or not the host is reachable: it only ever
	 * deletes what the host already confirmed. */
	retention(w);
	sync_path(w, SYNC_SETUP_FILE, path, sizeof path);
	if (stat(path, &sb) == 0) {
		c = enroll(w);
		if (c != CYCLE_MORE)
			return c;
	}
	if (!w->enrolled) {
		w->state = "not-enrolled";
		return CYCLE_IDLE;
	}
	if (!w->http_ready && http_for(w, w->url, w->pin) < 0)
		return CYCLE_FAIL;
	w->state = "syncing";
	send_status(w);
	while ((c = push_records(w)) == CYCLE_MORE)
		send_status(w);
	if (c == CYCLE_FAIL)
		return c;
	if (push_recordings(w) == CYCLE_FAIL)
		return CYCLE_FAIL;
	/* Recordings may have closed a session's set: records first again. */
	while ((c = push_records(w)) == CYCLE_MORE)
		;
	if (c == CYCLE_FAIL || push_manifests(w) == CYCLE_FAIL)
		return CYCLE_FAIL;
	if (pull_schedule(w) == CYCLE_FAIL || pull_notices(w) == CYCLE_FAIL)
		return CYCLE_FAIL;
	w->last_ok_ns = wall_now(w);
	if (w->nrefused == 0 && w->bad_files == 0 && w->bad_notices == 0)
		w->last_error[0] = '\0';
	w->state = "idle";
	/* Again, as this round may have confirmed more; its audit events are
	 * records too, so go round once more to send them. So does anything
	 * written while this round ran (the daemon's nudge is queued too, but
	 * the worker's own events have no one to nudge it). */
	return retention(w) || records_waiting(w) ? CYCLE_MORE : CYCLE_IDLE;
}

/* Exponential backoff with "equal jitter": half the step fixed, half
 * random, so boxes that lost the host together do not return in step. */
static int64_t
backoff_ms(struct syncw *w)
{
	int64_t cap = (int64_t)w->cfg->sync_retry_max_s * 1000, step = 1000;

	for (int i = 1; i < w->failures && step < cap; i++)
		step *= 2;
	if (step > cap)
		step = cap;
	return step / 2 + (int64_t)randombytes_uniform((uint32_t)(step / 2 + 1));
}

/* Waits up to ms for the daemon: WAKE_KICK when asked to sync now
 * (notewellctl sync, a setup code, a session's end), WAKE_DATA when only
 * told that new rows exist, 0 on timeout, -1 when the daemon has gone. */
enum { WAKE_DATA = 1, WAKE_KICK = 2 };

static int
wait_daemon(struct syncw *w, int64_t ms)
{
	struct pollfd p = { w->fd, POLLIN, 0 };
	char buf[256];
	int wake = 0;
	ssize_t n;

	if (poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int)ms) <= 0)
		return 0;
	while ((n = recv(w->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		if (wake < WAKE_KICK)
			wake = n == 4 && memcmp(buf, "data", 4) == 0 ? WAKE_DATA : WAKE_KICK;
	if (n == 0)
		return -1;
	return wake;
}

/* Rows written close together (a queue of badge scans, a session's events)
 * go in one round: a nudge starts a round no sooner than this after the
 * last one began. */
#define GATHER_MS 300

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
syncw_open(const struct config *cfg, const char *dir, int fd,
    const struct minisign_key *key, struct syncw **out)
{
	struct syncw *w = calloc(1, sizeof *w);
	char err[512], path[4200];
	int rc = -ENOMEM;

	*out = NULL;
	if (!w)
		return rc;
	w->cfg = cfg;
	w->dir = dir;
	w->fd = fd;
	w->key = key;
	w->lock = -1;
	w->state = "starting";
	nwclock_system_init(&w->clock);
	w->clock.force_synced = cfg->clock_synced;
	snprintf(path, sizeof path, "%s/sync", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		log_warn("%s", path);
		goto fail;
	}
	/* One worker per data folder, even across a daemon restart race. */
	sync_path(w, "worker.lock", path, sizeof path);
	if ((w->lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(w->lock, LOCK_EX) != 0) {
		rc = -errno;
		log_warn("%s", path);
		goto fail;
	}
	if ((rc = journal_open(dir, &w->j, err, sizeof err)) != 0) {
		log_warnx("sync: %s", err);
		rc = rc < 0 ? rc : -EIO;
		goto fail;
	}
	snprintf(w->box, sizeof w->box, "%s", journal_device_id(w->j));
	sync_path(w, "seq", path, sizeof path);
	if ((rc = syncseq_open(&w->seq, path)) < 0) {
		log_warnx("sync: %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		rc = -EIO;
		goto fail;
	}
	load_host(w);
	*out = w;
	return 0;
fail:
	syncw_close(w);
	return rc;
}

int
syncw_round(struct syncw *w)
{
	enum cycle c = cycle(w);

	if (c == CYCLE_FAIL) {
		w->failures++;
		if (strcmp(w->state, "refused") != 0)
			w->state = "retrying";
		/* A fresh connection next time: the old one may be half dead. */
		http_drop(w);
		return -1;
	}
	w->failures = 0;
	return c == CYCLE_MORE;
}

const char *
syncw_state(const struct syncw *w)
{
	return w->state;
}

void
syncw_close(struct syncw *w)
{
	if (!w)
		return;
	http_drop(w);
	journal_close(w->j);
	if (w->lock >= 0)
		close(w->lock);
	free(w);
}

int
syncw_main(const struct config *cfg, const char *dir, int fd,
    const struct minisign_key *key)
{
	struct syncw *w = NULL;
	struct heartbeat *hb = NULL;
	int rc;

	if (syncw_open(cfg, dir, fd, key, &w) < 0)
		return 1;
	/* Heartbeats on their own thread and connection: see heartbeat.h. */
	if ((rc = heartbeat_start(&hb, cfg, dir, w->box, key, cfg->clock_synced)) < 0)
		log_warnx("sync: no heartbeats: %s", strerror(-rc));
	for (;;) {
		int64_t began = mono_ms(), delay;
		int r = syncw_round(w), k;

		if (r < 0)
			delay = backoff_ms(w);
		else
			delay = r > 0 ? 0 : (int64_t)cfg->heartbeat_s * 1000;
		w->next_try_ms = delay;
		send_status(w);
		if ((k = wait_daemon(w, delay)) < 0)
			break;
		/* New rows while retrying change nothing: the backoff stands. */
		while (k == WAKE_DATA && w->failures > 0) {
			int64_t left = delay - (mono_ms() - began);
			if (left <= 0 || (k = wait_daemon(w, left)) <= 0)
				break;
		}
		while (k == WAKE_DATA && mono_ms() - began < GATHER_MS)
			if ((k = wait_daemon(w, GATHER_MS - (mono_ms() - began))) == 0)
				break;
		if (k < 0)
			break;
		if (k == WAKE_KICK)
			w->failures = 0;	/* someone asked: try now */
	}
	heartbeat_stop(hb);
	syncw_close(w);
	return 0;
}
