#include "schedout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nwtime.h"
#include "syncproto.h"

static int
add_session(const struct store_session *s, void *arg)
{
	char start[40], end[40], title[512];

	nwtime_format(s->start_utc * 1000000000LL, start, sizeof start);
	nwtime_format(s->end_utc * 1000000000LL, end, sizeof end);
	snprintf(title, sizeof title, "%s - %s", s->acronym, s->name);
	return json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:b}",
	    "uid", s->uid, "title", title, "start", start, "end", end,
	    "record", s->public_ != 0)) == 0 ? 0 : -ENOMEM;
}

json_t *
schedout_room(struct store *st, const char *room)
{
	json_t *list = json_array();

	if (!list || store_room_sessions(st, room, add_session, list) != 0) {
		json_decref(list);
		return NULL;
	}
	return json_pack("{s:s, s:o}", "room", room, "sessions", list);
}

int
schedout_device_room(struct store *st, const char *device_id, char *room, size_t len)
{
	sqlite3_stmt *q = NULL;
	int rc = -ENOENT;

	if (store_prepare(st, "SELECT room FROM devices WHERE id = ?", &q) != 0)
		return -EIO;
	sqlite3_bind_text(q, 1, device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0)) {
		snprintf(room, len, "%s", sqlite3_column_text(q, 0));
		rc = 0;
	}
	sqlite3_finalize(q);
	return rc;
}

int
schedout_sha256(const json_t *j, char hex[65])
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	if (!text)
		return -ENOMEM;
	syncproto_sha256_hex(text, strlen(text), hex);
	free(text);
	return 0;
}
