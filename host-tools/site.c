/*
 * The meeting-level pages of the proceedings: index, attendee list, consent
 * notices and the Atom feed of recordings.  Everything about people comes
 * from privacy.c; every string is escaped on output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "privacy.h"
#include "publish_int.h"

void
site_index(struct pub *p)
{
	struct pub_buf b;
	char title[128], day[32], prev[32] = "", t1[16], t2[16], cl[64], cr[64], d[32];
	struct pub_session *s;
	FILE *f;
	int i;

	f = pub_open(&b);
	if (!f)
		return pub_fail(p, -ENOMEM);
	snprintf(title, sizeof title, "IETF %s proceedings", p->meeting);
	pub_head(p, f, title);
	fputs("<p><a href=\"attendees.html\">Attendees</a> · <a href=\"feed.atom\">"
	    "Recordings feed (Atom)</a> · <a href=\"notices.html\">Consent notices"
	    "</a> · <a href=\"host.pub\">Signing key</a> (check <code>manifest.txt"
	    "</code> with <code>minisign -V -p host.pub -m manifest.txt</code>)</p>\n", f);
	for (i = 0; i < p->ns; i++) {
		s = &p->s[i];
		pub_time(s->start, "%A %Y-%m-%d", day, sizeof day);
		if (strcmp(day, prev) != 0) {
			if (*prev)
				fputs("</table>\n", f);
			fprintf(f, "<h2>%s</h2>\n<table>\n<tr><th>Room</th><th>Time (UTC)"
			    "</th><th>Session</th><th>Recording</th><th>In the room</th>"
			    "<th>Remote</th></tr>\n", day);
			snprintf(prev, sizeof prev, "%s", day);
		}
		fputs("<tr><td>", f);
		pub_esc(f, s->room);
		fprintf(f, "</td><td>%s-%s</td><td>",
		    pub_time(s->start, "%H:%M", t1, sizeof t1),
		    pub_time(s->end, "%H:%M", t2, sizeof t2));
		if (s->public_) {
			fputs("<a href=\"", f);
			pub_esc(f, s->uid);
			fputs("/bluesheet.html\">", f);
		}
		pub_esc(f, s->acronym);
		fputs(" - ", f);
		pub_esc(f, s->name);
		if (!s->public_) {
			fputs(" (closed session, not published)</td><td></td><td></td>"
			    "<td></td></tr>\n", f);
			continue;
		}
		fputs("</a></td><td>", f);
		if (s->has_rec) {
			fputs("<a href=\"", f);
			pub_esc(f, s->uid);
			fprintf(f, "/recording.opus\">%s</a>",
			    pub_duration(s->rec_ms, d, sizeof d));
		}
		privacy_count(&p->o->policy, s->nlocal, cl, sizeof cl);
		privacy_count(&p->o->policy, s->nremote, cr, sizeof cr);
		fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", cl, cr);
	}
	if (*prev)
		fputs("</table>\n", f);
	pub_foot(f);
	pub_close(p, &b, "index.html");
}

struct pub_country {
	const char *cc;
	int n;
};

static int
pub_cc_cmp(const void *x, const void *y)
{
	const struct pub_country *a = x, *b = y;

	return strcmp(a->cc, b->cc);
}

void
site_attendees(struct pub *p)
{
	struct privacy_list l;
	struct pub_country *c = NULL;
	struct pub_buf b;
	char title[128], cnt[64];
	int i, nc = 0, other = 0, rc;
	FILE *f;

	rc = privacy_meeting_attendees(p->st, &l);
	if (rc < 0)
		return pub_fail(p, rc);
	c = calloc((size_t)l.n + 1, sizeof *c);
	f = pub_open(&b);
	if (!c || !f) {
		pub_fail(p, -ENOMEM);
		goto out;
	}
	snprintf(title, sizeof title, "IETF %s attendees", p->meeting);
	pub_head(p, f, title);
	fputs("<p><a href=\"index.html\">Proceedings</a></p>\n<table>\n<tr><th>"
	    "Last name</th><th>First name</th><th>Organization</th><th>Country"
	    "</th><th>Participation</th></tr>\n", f);
	for (i = 0; i < l.n; i++) {
		struct privacy_attendee *a = &l.a[i];
		fputs("<tr><td>", f);
		pub_esc(f, a->last_name);
		fputs("</td><td>", f);
		pub_esc(f, a->first_name);
		fputs("</td><td>", f);
		pub_esc(f, a->organization);
		fputs("</td><td>", f);
		pub_esc(f, a->country_code);
		fprintf(f, "</td><td>%s</td></tr>\n", a->onsite ? "onsite" : "remote");
		c[i].cc = a->country_code;
	}
	fputs("</table>\n", f);
	/* Counts by country; small groups fold into one suppressed row. */
	qsort(c, (size_t)l.n, sizeof *c, pub_cc_cmp);
	for (i = 0; i < l.n; i++) {
		if (nc > 0 && strcmp(c[nc - 1].cc, c[i].cc) == 0)
			c[nc - 1].n++;
		else {
			c[nc].cc = c[i].cc;
			c[nc++].n = 1;
		}
	}
	fputs("<h2>Attendance by country</h2>\n<table>\n<tr><th>Country</th>"
	    "<th>Attendees</th></tr>\n", f);
	for (i = 0; i < nc; i++) {
		if (!privacy_count(&p->o->policy, c[i].n, cnt, sizeof cnt)) {
			other += c[i].n;
			continue;
		}
		fputs("<tr><td>", f);
		pub_esc(f, *c[i].cc ? c[i].cc : "not given");
		fprintf(f, "</td><td>%s</td></tr>\n", cnt);
	}
	if (other) {
		privacy_count(&p->o->policy, other, cnt, sizeof cnt);
		fprintf(f, "<tr><td>countries with fewer than %d attendees</td>"
		    "<td>%s</td></tr>\n", p->o->policy.min_group, cnt);
	}
	fputs("</table>\n", f);
	pub_foot(f);
	pub_close(p, &b, "attendees.html");
out:
	if (b.f)
		fclose(b.f), free(b.data);
	free(c);
	privacy_list_free(&l);
}

void
site_notices(struct pub *p)
{
	sqlite3_stmt *q = NULL;
	struct pub_buf b;
	char t[64];
	const char *url, *text;
	FILE *f;

	if (store_prepare(p->st, "SELECT id, sha256, url, text, first_seen FROM"
	    " notices ORDER BY first_seen, id, sha256", &q) < 0)
		return pub_fail(p, -EIO);
	f = pub_open(&b);
	if (!f) {
		sqlite3_finalize(q);
		return pub_fail(p, -ENOMEM);
	}
	pub_head(p, f, "Consent notices");
	fputs("<p><a href=\"index.html\">Proceedings</a></p>\n<p>The notices shown"
	    " in the rooms while recording and on every badge scan. Each scan and "
	    "recording is stamped with the notice version in force.</p>\n", f);
	while (sqlite3_step(q) == SQLITE_ROW) {
		url = (const char *)sqlite3_column_text(q, 2);
		text = (const char *)sqlite3_column_text(q, 3);
		fputs("<h2>", f);
		pub_esc(f, (const char *)sqlite3_column_text(q, 0));
		fputs("</h2>\n<p>SHA-256 <code>", f);
		pub_esc(f, (const char *)sqlite3_column_text(q, 1));
		fprintf(f, "</code>, first shown %s UTC", pub_time(
		    sqlite3_column_int64(q, 4), "%Y-%m-%d %H:%M", t, sizeof t));
		/* Notice URLs come from the boxes: only http(s) becomes a link. */
		if (url && (strncmp(url, "https://", 8) == 0 ||
		    strncmp(url, "http://", 7) == 0)) {
			fputs(", <a href=\"", f);
			pub_esc(f, url);
			fputs("\">", f);
			pub_esc(f, url);
			fputs("</a>", f);
		} else if (url) {
			fputs(", ", f);
			pub_esc(f, url);
		}
		fputs("</p>\n", f);
		if (text) {
			fputs("<pre>", f);
			pub_esc(f, text);
			fputs("</pre>\n", f);
		}
	}
	sqlite3_finalize(q);
	pub_foot(f);
	pub_close(p, &b, "notices.html");
}

void
site_feed(struct pub *p)
{
	struct pub_buf b;
	char t[64], t2[64];
	int64_t updated = 0;
	const char *base = p->o->base_url;
	FILE *f;
	int i;

	for (i = 0; i < p->ns; i++)
		if (p->s[i].has_rec && p->s[i].end > updated)
			updated = p->s[i].end;
	f = pub_open(&b);
	if (!f)
		return pub_fail(p, -ENOMEM);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\""
	    "http://www.w3.org/2005/Atom\"", f);
	if (base) {
		fputs(" xml:base=\"", f);
		pub_esc(f, base);
		fputs("\"", f);
	}
	fprintf(f, ">\n<title>IETF %s recordings</title>\n<id>urn:notewell:ietf-%s"
	    "</id>\n<updated>%s</updated>\n<author><name>notewell</name></author>\n"
	    "<link rel=\"alternate\" href=\"index.html\"/>\n", p->meeting, p->meeting,
	    pub_time(updated, "%Y-%m-%dT%H:%M:%SZ", t, sizeof t));
	for (i = 0; i < p->ns; i++) {
		struct pub_session *s = &p->s[i];
		if (!s->has_rec)
			continue;
		fputs("<entry>\n<title>", f);
		pub_esc(f, s->acronym);
		fputs(" - ", f);
		pub_esc(f, s->name);
		fputs("</title>\n<id>urn:notewell:", f);
		pub_esc(f, s->uid);
		fprintf(f, ":%s</id>\n<updated>%s</updated>\n<published>%s</published>\n",
		    s->rec_sha, pub_time(s->end, "%Y-%m-%dT%H:%M:%SZ", t, sizeof t),
		    pub_time(s->start, "%Y-%m-%dT%H:%M:%SZ", t2, sizeof t2));
		fputs("<link rel=\"alternate\" type=\"text/html\" href=\"", f);
		pub_esc(f, s->uid);
		fputs("/bluesheet.html\"/>\n<link rel=\"enclosure\" type=\"audio/ogg\" "
		    "href=\"", f);
		pub_esc(f, s->uid);
		fprintf(f, "/recording.opus\" length=\"%lld\"/>\n<summary>", (long long)
		    s->rec_bytes);
		pub_esc(f, s->room);
		fprintf(f, ", %s UTC</summary>\n</entry>\n", t2);
	}
	fputs("</feed>\n", f);
	pub_close(p, &b, "feed.atom");
}

