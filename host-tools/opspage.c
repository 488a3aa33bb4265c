/*
 * The status board as one self-contained HTML page: inline CSS, an inline
 * SVG sparkline of each room's level history, a meta refresh, and nothing
 * fetched from anywhere (the server also sends a Content-Security-Policy
 * that forbids it). See opspage.h.
 */
#include "opspage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nwtime.h"
#include "publish_int.h"

#define SPARK_W 240
#define SPARK_H 40
#define SPARK_FLOOR -90.0	/* dBFS at the bottom of the sparkline */

static void
sparkline(FILE *f, const struct opsboard_room *r)
{
	fprintf(f, "<svg class=\"spark\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" aria-label=\"level history\">", SPARK_W, SPARK_H, SPARK_W, SPARK_H);
	if (r->nlevels > 1) {
		fputs("<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" "
		    "points=\"", f);
		for (size_t i = 0; i < r->nlevels; i++) {
			double v = r->levels[i] < SPARK_FLOOR ? SPARK_FLOOR :
			    r->levels[i] > 0 ? 0 : r->levels[i];
			fprintf(f, "%s%.1f,%.1f", i ? " " : "",
			    (double)i * SPARK_W / (double)(r->nlevels - 1),
			    SPARK_H * v / SPARK_FLOOR);
		}
		fputs("\"/>", f);
	}
	fputs("</svg>", f);
}

char *
opspage_html(const struct opsboard *b, int refresh_s)
{
	char *out = NULL, when[40] = "", heard[40];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	nwtime_format(b->now_ns, when, sizeof when);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"refresh\" content=\"%d\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>notewell status</title><style>"
	    "body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222}"
	    "table{border-collapse:collapse;width:100%%}"
	    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd}"
	    "tr.problem{background:#fde8e8}tr.problem td.alarms{color:#b00;font-weight:bold}"
	    "tr.recording td.state{color:#070;font-weight:bold}"
	    ".spark{color:#36c;vertical-align:middle}"
	    "code{font-size:12px}"
	    "</style></head><body><h1>Rooms</h1><p>%s &middot; refreshes every %d s</p>"
	    "<table><thead><tr><th>Room</th><th>Box</th><th>State</th><th>Session</th>"
	    "<th>Level</th><th>History</th><th>People</th><th>Backlog</th>"
	    "<th>Last heard</th><th>Alarms</th></tr></thead><tbody>\n",
	    refresh_s, when, refresh_s);
	for (size_t i = 0; i < b->n; i++) {
		const struct opsboard_room *r = &b->rooms[i];

		fprintf(f, "<tr class=\"%s\" id=\"room-%zu\"><td class=\"room\">",
		    r->nalarms ? "problem" : strcmp(r->state, "recording") == 0 ? "recording" : "",
		    i);
		pub_esc(f, r->room);
		fputs("</td><td><code>", f);
		pub_esc(f, r->box[0] ? r->box : "-");
		fputs("</code></td><td class=\"state\">", f);
		pub_esc(f, r->state);
		fputs("</td><td>", f);
		pub_esc(f, r->session_title[0] ? r->session_title : r->session_uid[0] ?
		    r->session_uid : "-");
		fputs("</td><td>", f);
		if (r->hb)
			fprintf(f, "%.0f dBFS", r->rms_dbfs);
		else
			fputs("-", f);
		fputs("</td><td>", f);
		sparkline(f, r);
		fprintf(f, "</td><td>%lld</td><td>%lld rec, %lld B</td><td>",
		    (long long)r->people, (long long)r->backlog_records,
		    (long long)r->backlog_bytes);
		if (r->last_heard_ns)
			snprintf(heard, sizeof heard, "%lld s ago",
			    (long long)((b->now_ns - r->last_heard_ns) / 1000000000));
		else
			snprintf(heard, sizeof heard, "never");
		pub_esc(f, heard);
		fputs("</td><td class=\"alarms\">", f);
		for (size_t k = 0; k < r->nalarms; k++) {
			if (k)
				fputs(", ", f);
			pub_esc(f, r->alarms[k]);
		}
		fputs(r->nalarms ? "" : "-", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></body></html>\n", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
