/*
 * notewell publish: the proceedings site.
 *
 * Reproducibility: nothing here reads the clock; every time shown comes from
 * the data (agenda times, recording and notice times), every list is sorted
 * in SQL or by qsort on bytes, and signatures are deterministic Ed25519.
 * Atomicity: the tree is built in DIR.tmp.PID next to DIR, synced, and then
 * swapped in with one renameat2(RENAME_EXCHANGE) (or rename when DIR is
 * new), so readers see the old tree or the new one, never a mix.
 */
#include "progress.h"
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <csv.h>
#include <jansson.h>
#include <sodium.h>

#include "log.h"
#include "publish_int.h"

/* ------------------------------------------------------------ helpers */

void
pub_fail(struct pub *p, int rc)
{
	if (p->rc == 0)
		p->rc = rc;
}

static void
pub_hex(const uint8_t *h, char out[SHA_HEX])
{
	sodium_bin2hex(out, SHA_HEX, h, 32);
}

int
publish_sha256_file(const char *path, char out[65])
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536], h[32];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
	}
	close(fd);
	crypto_hash_sha256_final(&st, h);
	pub_hex(h, out);
	return rc;
}

static void
pub_record(struct pub *p, const char *rel, const char sha[SHA_HEX])
{
	struct pub_file *nf;

	if (p->nfiles == p->capfiles) {
		p->capfiles = p->capfiles ? 2 * p->capfiles : 64;
		nf = realloc(p->files, (size_t)p->capfiles * sizeof *nf);
		if (!nf) {
			pub_fail(p, -ENOMEM);
			return;
		}
		p->files = nf;
	}
	p->files[p->nfiles].path = strdup(rel);
	memcpy(p->files[p->nfiles].sha, sha, SHA_HEX);
	if (!p->files[p->nfiles].path)
		pub_fail(p, -ENOMEM);
	p->nfiles++;
}

static void
pub_mkdir(struct pub *p, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", p->root, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		log_warn("publish: mkdir %s", path);
		pub_fail(p, -errno);
	}
}

/* Writes a file of the tree and remembers its hash for the manifests. */
static void
pub_emit(struct pub *p, const char *rel, const void *buf, size_t len)
{
	char path[PATH_MAX], sha[SHA_HEX];
	uint8_t h[32];
	int err = 0;
	FILE *f;

	if (p->rc)
		return;
	snprintf(path, sizeof path, "%s/%s", p->root, rel);
	/* The stream is closed whatever failed, or its descriptor leaks for
	 * the life of a long-running host process. */
	if ((f = fopen(path, "wxe")) == NULL)
		err = errno ? errno : EIO;
	else {
		if (fwrite(buf, 1, len, f) != len)
			err = errno ? errno : EIO;
		if (fclose(f) != 0 && err == 0)
			err = errno ? errno : EIO;
	}
	if (err != 0) {
		errno = err;
		log_warn("publish: write %s", path);
		pub_fail(p, -err);
		return;
	}
	crypto_hash_sha256(h, buf, len);
	pub_hex(h, sha);
	pub_record(p, rel, sha);
}

FILE *
pub_open(struct pub_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	return b->f;
}

void
pub_close(struct pub *p, struct pub_buf *b, const char *rel)
{
	if (!b->f) {
		pub_fail(p, -ENOMEM);
		return;
	}
	if (fclose(b->f) != 0)
		pub_fail(p, -ENOMEM);
	else
		pub_emit(p, rel, b->data, b->len);
	free(b->data);
	b->f = NULL;
	b->data = NULL;
}

/* HTML and XML text and attribute escaping. */
void
pub_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

const char *
pub_time(int64_t t, const char *fmt, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, fmt, &tm);
	return buf;
}

const char *
pub_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = (ms + 500) / 1000;

	if (s >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)(s / 3600),
		    (int)(s / 60 % 60), (int)(s % 60));
	else
		snprintf(buf, len, "%d:%02d", (int)(s / 60), (int)(s % 60));
	return buf;
}

void
pub_head(struct pub *p, FILE *f, const char *title)
{
	/* No scripts, nothing from another origin, enforced by CSP too. */
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	    "'none'; style-src 'unsafe-inline'; media-src 'self'; img-src 'self'\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<title>", f);
	pub_esc(f, title);
	fputs("</title>\n<style>body{font-family:sans-serif;max-width:60em;"
	    "margin:auto;padding:1em}table{border-collapse:collapse}"
	    "td,th{border:1px solid #999;padding:.2em .5em;text-align:left}"
	    "</style>\n</head>\n<body>\n<h1>", f);
	pub_esc(f, title);
	fputs("</h1>\n", f);
}

void
pub_foot(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

static void
pub_free_sessions(struct pub *p)
{
	int i;

	for (i = 0; i < p->ns; i++) {
		free(p->s[i].uid);
		free(p->s[i].acronym);
		free(p->s[i].name);
		free(p->s[i].room);
		free(p->s[i].rec_path);
		free(p->s[i].rec_notice);
		free(p->s[i].rec_notice_sha);
	}
	free(p->s);
	p->s = NULL;
	p->ns = 0;
}

static char *
pub_col(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? strdup((const char *)s) : NULL;
}

/* Sessions in index order (day, room, time) with their chosen recording. */
static int
pub_load_sessions(struct pub *p)
{
	sqlite3_stmt *q = NULL;
	struct pub_session *s;
	const unsigned char *m;
	int rc, n = 0;

	if ((rc = store_prepare(p->st, "SELECT number FROM meeting", &q)) < 0)
		return rc;
	if (sqlite3_step(q) != SQLITE_ROW || !(m = sqlite3_column_text(q, 0))) {
		sqlite3_finalize(q);
		log_warnx("publish: no agenda imported yet (notewell import agenda FILE)");
		return -ENOENT;
	}
	snprintf(p->meeting, sizeof p->meeting, "%s", m);
	sqlite3_finalize(q);
	if ((rc = store_prepare(p->st, "SELECT count(*) FROM sessions", &q)) < 0)
		return rc;
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	p->s = calloc((size_t)n + 1, sizeof *p->s);
	if (!p->s)
		return -ENOMEM;
	/* One recording per session: the longest, ties broken by hash. */
	if ((rc = store_prepare(p->st, "SELECT s.uid, s.acronym, s.name, s.room,"
	    " s.start_utc, s.end_utc, s.public, s.dt_session_id, r.path, r.sha256,"
	    " r.bytes, r.duration_ms, r.notice_id, r.notice_sha256 FROM sessions s"
	    " LEFT JOIN recordings r ON r.rowid = (SELECT rowid FROM recordings"
	    "  WHERE session_uid = s.uid ORDER BY duration_ms DESC, sha256, device_id"
	    "  LIMIT 1)"
	    " ORDER BY date(s.start_utc, 'unixepoch'), s.room, s.start_utc, s.uid",
	    &q)) < 0)
		return rc;
	while (p->ns < n && sqlite3_step(q) == SQLITE_ROW) {
		s = &p->s[p->ns++];
		s->uid = pub_col(q, 0);
		s->acronym = pub_col(q, 1);
		s->name = pub_col(q, 2);
		s->room = pub_col(q, 3);
		s->start = sqlite3_column_int64(q, 4);
		s->end = sqlite3_column_int64(q, 5);
		s->public_ = sqlite3_column_int(q, 6);
		s->dt_id = sqlite3_column_int64(q, 7);
		if (sqlite3_column_type(q, 8) != SQLITE_NULL && s->public_) {
			s->has_rec = 1;
			s->rec_path = pub_col(q, 8);
			snprintf(s->rec_sha, SHA_HEX, "%s", sqlite3_column_text(q, 9));
			s->rec_bytes = sqlite3_column_int64(q, 10);
			s->rec_ms = sqlite3_column_int64(q, 11);
			s->rec_notice = pub_col(q, 12);
			s->rec_notice_sha = pub_col(q, 13);
		}
		if (!s->uid || !s->acronym || !s->name || !s->room)
			rc = -ENOMEM;
	}
	sqlite3_finalize(q);
	return rc;
}

static void pub_manifest(struct pub *p, const char *prefix, int lo, int hi,
    const char *tc);

/* ------------------------------------------------------ session files */

/* CSV cell through libcsv's quoting, with spreadsheet formulas defused. */
static void
pub_csv_cell(FILE *f, const char *s, int last)
{
	char *tmp = NULL;

	if (strchr("=+-@\t\r", s[0]) && s[0]) {
		if (asprintf(&tmp, "'%s", s) < 0)
			return;
		s = tmp;
	}
	csv_fwrite(f, s, strlen(s));
	fputc(last ? '\n' : ',', f);
	free(tmp);
}

static void
pub_link_recording(struct pub *p, struct pub_session *s, const char *rel)
{
	char src[PATH_MAX], dst[PATH_MAX], sha[SHA_HEX];
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if (snprintf(src, sizeof src, "%s/%s", p->st->dir, s->rec_path) >=
	    (int)sizeof src || snprintf(dst, sizeof dst, "%s/%s", p->root, rel) >=
	    (int)sizeof dst) {
		pub_fail(p, -ENAMETOOLONG);
		return;
	}
	/* Publish only the file sync verified: re-check it against the store. */
	rc = publish_sha256_file(src, sha);
	if (rc < 0 || strcmp(sha, s->rec_sha) != 0) {
		log_warnx("publish: recording %s of %s %s; not publishing", src,
		    s->uid, rc < 0 ? strerror(-rc) : "does not match its SHA-256");
		pub_fail(p, rc < 0 ? rc : -EBADMSG);
		return;
	}
	if (link(src, dst) < 0) {
		/* Another file system or no hard links: copy instead. */
		rc = minisign_read_file(src, &buf, &len);
		if (rc == 0)
			rc = minisign_write_file(dst, buf, len, 0644);
		free(buf);
		if (rc < 0) {
			log_warnx("publish: copy %s: %s", src, strerror(-rc));
			pub_fail(p, rc);
			return;
		}
	}
	pub_record(p, rel, sha);
}

static void
pub_json(struct pub *p, json_t *j, const char *rel)
{
	char *s;

	if (!j) {
		pub_fail(p, -ENOMEM);
		return;
	}
	/* Sorted keys and fixed indentation keep the bytes reproducible. */
	s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(j);
	if (!s || !(s = realloc(s, strlen(s) + 2))) {
		pub_fail(p, -ENOMEM);
		return;
	}
	strcat(s, "\n");
	pub_emit(p, rel, s, strlen(s));
	free(s);
}

static void
pub_session_html(struct pub *p, struct pub_session *s,
    const struct privacy_list *l, const char *rel)
{
	struct pub_buf b;
	char title[1024], t1[64], t2[64], d[32], cl[64], cr[64];
	FILE *f;
	int i;

	f = pub_open(&b);
	if (!f) {
		pub_fail(p, -ENOMEM);
		return;
	}
	snprintf(title, sizeof title, "%s - %s", s->acronym, s->name);
	pub_head(p, f, title);
	fprintf(f, "<p><a href=\"../index.html\">IETF %s proceedings</a></p>\n",
	    p->meeting);
	fputs("<p>", f);
	pub_esc(f, s->room);
	fprintf(f, ", %s to %s UTC</p>\n",
	    pub_time(s->start, "%Y-%m-%d %H:%M", t1, sizeof t1),
	    pub_time(s->end, "%H:%M", t2, sizeof t2));
	if (s->has_rec) {
		fprintf(f, "<h2>Recording</h2>\n<p><audio controls preload=\"metadata\""
		    " src=\"recording.opus\"></audio></p>\n<p><a href=\"recording.opus\">"
		    "recording.opus</a> (Ogg Opus, %s, %lld bytes, SHA-256 %s)",
		    pub_duration(s->rec_ms, d, sizeof d), (long long)s->rec_bytes,
		    s->rec_sha);
		if (s->rec_notice) {
			fputs(", recorded under consent notice <a href=\"../notices.html\">", f);
			pub_esc(f, s->rec_notice);
			fputs("</a>", f);
		}
		fputs("</p>\n", f);
	} else {
		fputs("<p>No recording.</p>\n", f);
	}
	privacy_count(&p->o->policy, s->nlocal, cl, sizeof cl);
	privacy_count(&p->o->policy, s->nremote, cr, sizeof cr);
	fprintf(f, "<h2>Blue sheet</h2>\n<p>In the room: %s. Remote: %s.</p>\n"
	    "<p>Also as <a href=\"bluesheet.csv\">CSV</a>, <a href=\"bluesheet.json\">"
	    "JSON</a>, <a href=\"bluesheet.txt\">text</a>.</p>\n", cl, cr);
	fputs("<table>\n<tr><th>Name</th><th>Organization</th><th>Country</th>"
	    "<th>Attended</th></tr>\n", f);
	for (i = 0; i < l->n; i++) {
		const struct privacy_attendee *a = &l->a[i];
		fputs("<tr><td>", f);
		if (*a->profile_url) {
			fputs("<a rel=\"nofollow noopener noreferrer\" href=\"", f);
			pub_esc(f, a->profile_url);
			fputs("\">", f);
		}
		pub_esc(f, a->last_name);
		fputs(*a->last_name && *a->first_name ? ", " : "", f);
		pub_esc(f, a->first_name);
		if (*a->profile_url)
			fputs("</a>", f);
		fputs("</td><td>", f);
		pub_esc(f, a->organization);
		fputs("</td><td>", f);
		pub_esc(f, a->country_code);
		fprintf(f, "</td><td>%s</td></tr>\n", a->local ? "in the room" : "remote");
	}
	fputs("</table>\n", f);
	pub_foot(f);
	pub_close(p, &b, rel);
}

static void
pub_session(struct pub *p, struct pub_session *s)
{
	struct privacy_list l;
	struct pub_buf b;
	char rel[PATH_MAX], t1[64], t2[64];
	json_t *arr, *api, *att, *o;
	FILE *f;
	char *name;
	int i, rc, lo;

	rc = privacy_session_attendees(p->st, s->uid, &l);
	if (rc < 0) {
		pub_fail(p, rc);
		return;
	}
	for (i = 0; i < l.n; i++) {
		if (l.a[i].local)
			s->nlocal++;
		else
			s->nremote++;
	}
	if (!s->public_)
		goto out;	/* closed session: only listed on the index */
	lo = p->nfiles;
	pub_mkdir(p, s->uid);
	if (s->has_rec) {
		snprintf(rel, sizeof rel, "%s/recording.opus", s->uid);
		pub_link_recording(p, s, rel);
	}
	snprintf(rel, sizeof rel, "%s/bluesheet.html", s->uid);
	pub_session_html(p, s, &l, rel);

	f = pub_open(&b);
	if (f) {
		fputs("last_name,first_name,organization,country_code,profile_url,"
		    "attended\n", f);
		for (i = 0; i < l.n; i++) {
			pub_csv_cell(f, l.a[i].last_name, 0);
			pub_csv_cell(f, l.a[i].first_name, 0);
			pub_csv_cell(f, l.a[i].organization, 0);
			pub_csv_cell(f, l.a[i].country_code, 0);
			pub_csv_cell(f, l.a[i].profile_url, 0);
			pub_csv_cell(f, l.a[i].local ? "local" : "remote", 1);
		}
	}
	snprintf(rel, sizeof rel, "%s/bluesheet.csv", s->uid);
	pub_close(p, &b, rel);

	/* The datatracker's bluesheet text form: name<TAB>affiliation. */
	f = pub_open(&b);
	for (i = 0; f && i < l.n; i++) {
		name = privacy_display_name(&l.a[i]);
		fprintf(f, "%s\t%s\n", name ? name : "", l.a[i].organization);
		free(name);
	}
	snprintf(rel, sizeof rel, "%s/bluesheet.txt", s->uid);
	pub_close(p, &b, rel);

	arr = json_array();
	for (i = 0; arr && i < l.n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
		    "first_name", l.a[i].first_name, "last_name", l.a[i].last_name,
		    "organization", l.a[i].organization,
		    "country_code", l.a[i].country_code,
		    "profile_url", l.a[i].profile_url,
		    "attended", l.a[i].local ? "local" : "remote"));
	snprintf(rel, sizeof rel, "%s/bluesheet.json", s->uid);
	pub_json(p, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "session", s->uid,
	    "acronym", s->acronym, "name", s->name, "room", s->room,
	    "start", pub_time(s->start, "%Y-%m-%dT%H:%M:%SZ", t1, sizeof t1),
	    "end", pub_time(s->end, "%Y-%m-%dT%H:%M:%SZ", t2, sizeof t2),
	    "attendees", arr), rel);

	/* Datatracker payloads, outside the public site (see docs/publish.md). */
	snprintf(rel, sizeof rel, "datatracker/%s", s->uid);
	pub_mkdir(p, rel);
	att = json_array();
	for (i = 0; att && i < l.n; i++) {
		if (!l.a[i].dt_user_id)
			continue;
		o = json_pack("{s:I,s:s}", "user_id", (json_int_t)l.a[i].dt_user_id,
		    "join_time", pub_time(l.a[i].join_time, "%Y-%m-%dT%H:%M:%SZ",
		    t1, sizeof t1));
		json_array_append_new(att, o);
	}
	api = json_pack("{s:o,s:o}", "session_id", s->dt_id ?
	    json_integer(s->dt_id) : json_null(), "attendees", att);
	snprintf(rel, sizeof rel, "datatracker/%s/attendees-api.json", s->uid);
	pub_json(p, api, rel);
	arr = json_array();
	for (i = 0; arr && i < l.n; i++) {
		name = privacy_display_name(&l.a[i]);
		json_array_append_new(arr, json_pack("{s:s,s:s}", "name",
		    name ? name : "", "affiliation", l.a[i].organization));
		free(name);
	}
	snprintf(rel, sizeof rel, "datatracker/%s/bluesheet-api.json", s->uid);
	pub_json(p, arr, rel);
	snprintf(rel, sizeof rel, "notewell ietf-%s session %s", p->meeting, s->uid);
	pub_manifest(p, s->uid, lo, p->nfiles, rel);
out:
	privacy_list_free(&l);
}

/* ------------------------------------------------------------ manifests */

static int
pub_file_cmp(const void *x, const void *y)
{
	const struct pub_file *a = x, *b = y;

	return strcmp(a->path, b->path);
}

/* Writes and signs PREFIX/manifest.txt over the files under PREFIX/ among
 * p->files[lo..hi). */
static void
pub_manifest(struct pub *p, const char *prefix, int lo, int hi, const char *tc)
{
	struct pub_buf b;
	char rel[PATH_MAX], *sig = NULL;
	size_t plen = prefix ? strlen(prefix) + 1 : 0;
	FILE *f;
	int i, rc, n;

	if (p->rc)
		return;
	/* Only the range the caller wrote is sorted and scanned, so a meeting
	 * of n sessions costs O(n) here, not O(n^2). */
	qsort(p->files + lo, (size_t)(hi - lo), sizeof *p->files, pub_file_cmp);
	f = pub_open(&b);
	if (!f)
		return pub_fail(p, -ENOMEM);
	for (i = lo; i < hi; i++) {
		if (prefix && (strncmp(p->files[i].path, prefix, plen - 1) != 0 ||
		    p->files[i].path[plen - 1] != '/'))
			continue;
		/* sha256sum's format, so `sha256sum -c` works too. */
		fprintf(f, "%s  %s\n", p->files[i].sha, p->files[i].path + plen);
	}
	if (fclose(f) != 0)
		return pub_fail(p, -ENOMEM);
	b.f = NULL;
	n = snprintf(rel, sizeof rel, "%s%smanifest.txt", prefix ? prefix : "",
	    prefix ? "/" : "");
	(void)n;
	rc = minisign_sign(p->key, b.data, b.len, tc, &sig);
	if (rc < 0) {
		free(b.data);
		return pub_fail(p, rc);
	}
	pub_emit(p, rel, b.data, b.len);
	strcat(rel, ".minisig");
	pub_emit(p, rel, sig, strlen(sig));
	free(sig);
	free(b.data);
}

/* ------------------------------------------------------- tree handling */

static int
pub_rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb; (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int
pub_rmtree(const char *dir)
{
	return nftw(dir, pub_rm_cb, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/*
 * Temporary trees of runs that died (kill -9, power cut) would pile up
 * beside the output, each a full copy of the site. A run's tree is named
 * after its pid; one whose process is gone is removed. A live pid, even a
 * reused one, keeps its tree: a concurrent publish is never disturbed.
 */
static void
pub_clean_stale(const char *out)
{
	char pat[PATH_MAX];
	size_t plen;
	glob_t g;

	if (snprintf(pat, sizeof pat, "%s.tmp.*", out) >= (int)sizeof pat)
		return;
	plen = strlen(pat) - 1;
	if (glob(pat, GLOB_NOSORT, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i], *num = path + plen;
		struct stat st;
		char *end;
		long pid;

		if (strncmp(path, pat, plen) != 0 || *num == '\0')
			continue;
		errno = 0;
		pid = strtol(num, &end, 10);
		if (*end != '\0' || errno != 0 || pid <= 0 || pid == (long)getpid() ||
		    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			log_info("publish: removing %s, left by a run that died", path);
			pub_rmtree(path);
		}
	}
	globfree(&g);
}

/* Only an empty directory or an earlier publish may be replaced. */
static int
pub_replaceable(const char *out)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (lstat(out, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	snprintf(path, sizeof path, "%s/manifest.txt.minisig", out);
	if (access(path, F_OK) == 0)
		return 1;
	rc = rmdir(out);	/* fails unless empty, which is what we want */
	if (rc < 0) {
		log_warnx("publish: %s exists and is not a notewell tree; refusing "
		    "to replace it", out);
		return -EEXIST;
	}
	return 0;
}

int
publish_host_key(struct store *st, struct minisign_key *key)
{
	char sec[PATH_MAX], pub[PATH_MAX];
	int rc;

	snprintf(sec, sizeof sec, "%s/host.key", st->dir);
	snprintf(pub, sizeof pub, "%s/host.pub", st->dir);
	rc = minisign_load_secret(sec, key);
	if (rc != -ENOENT)
		return rc;
	if ((rc = minisign_keygen(key)) < 0 ||
	    (rc = minisign_write_keys(key, pub, sec)) < 0)
		return rc;
	log_info("publish: made host signing key %s", sec);
	return 0;
}

int
publish_run(struct store *st, const struct minisign_key *key,
    const struct publish_opts *o)
{
	struct pub p;
	struct progress bar;
	char tc[256], rel[PATH_MAX], pk[128];
	int i, rc, exists, dfd;

	memset(&p, 0, sizeof p);
	p.st = st;
	p.key = key;
	p.o = o;
	exists = pub_replaceable(o->out);
	if (exists < 0)
		return exists;
	if (asprintf(&p.root, "%s.tmp.%d", o->out, (int)getpid()) < 0)
		return -ENOMEM;
	pub_rmtree(p.root);	/* leftovers of a crashed run with our pid */
	pub_clean_stale(o->out);
	if (mkdir(p.root, 0755) < 0) {
		rc = -errno;
		log_warn("publish: mkdir %s", p.root);
		free(p.root);
		return rc;
	}
	/* Read everything in one snapshot so sync can keep writing. */
	if ((rc = store_exec(st, "BEGIN")) < 0)
		goto out;
	rc = pub_load_sessions(&p);
	if (rc < 0)
		goto out;
	pub_mkdir(&p, "datatracker");
	progress_start(&bar, stderr, "publish", (uint64_t)p.ns);
	for (i = 0; i < p.ns && !p.rc; i++) {
		pub_session(&p, &p.s[i]);
		progress_set(&bar, (uint64_t)i + 1);
	}
	progress_end(&bar);
	site_index(&p);
	site_attendees(&p);
	site_notices(&p);
	site_feed(&p);
	minisign_public_b64(key, pk, sizeof pk);
	{
		char idhex[17], text[256];
		minisign_keyid_hex(key, idhex);
		snprintf(text, sizeof text, "untrusted comment: minisign public key "
		    "%s\n%s\n", idhex, pk);
		pub_emit(&p, "host.pub", text, strlen(text));
	}
	snprintf(tc, sizeof tc, "notewell ietf-%s proceedings", p.meeting);
	pub_manifest(&p, NULL, 0, p.nfiles, tc);
	store_exec(st, "COMMIT");
	if ((rc = p.rc) < 0)
		goto out;
	/* Only a tree that reached the disk may replace the old one: a
	 * writeback error here would otherwise surface after a power cut as
	 * a published tree with holes. */
	dfd = open(p.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || syncfs(dfd) < 0) {
		rc = -errno;
		log_warn("publish: sync %s", p.root);
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	if (exists) {
		if (renameat2(AT_FDCWD, p.root, AT_FDCWD, o->out, RENAME_EXCHANGE) < 0) {
			rc = -errno;
			log_warn("publish: swap %s", o->out);
			goto out;
		}
		/* p.root now holds the old tree: removed below. */
	} else if (rename(p.root, o->out) < 0) {
		rc = -errno;
		log_warn("publish: rename to %s", o->out);
		goto out;
	}
	/* The swap itself survives a power cut once the parent is synced. It
	 * is done either way, so a failure here is only worth a warning. */
	snprintf(rel, sizeof rel, "%s", o->out);
	dfd = open(dirname(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		log_warn("publish: sync the directory of %s", o->out);
	if (dfd >= 0)
		close(dfd);
	rc = 0;
out:
	store_rollback(st);
	pub_rmtree(p.root);
	free(p.root);
	for (i = 0; i < p.nfiles; i++)
		free(p.files[i].path);
	free(p.files);
	pub_free_sessions(&p);
	return rc;
}
