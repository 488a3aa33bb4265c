#ifndef NW_DTPOST_H
#define NW_DTPOST_H
/*
 * Posts a published tree's datatracker payloads (DIR/datatracker/<uid>/) to
 * the datatracker with libcurl, so what is posted is exactly what was
 * signed:
 *   BASE/api/notify/session/attendees   apikey, attended=<attendees-api.json>
 *   BASE/api/notify/session/bluesheet   apikey, session_id, bluesheet=<bluesheet-api.json>
 * Sessions without a datatracker session id are skipped with a warning.
 * The API key never reaches a log line.
 */
int dtpost_run(const char *dir, const char *base_url, const char *apikey_file);
#endif
