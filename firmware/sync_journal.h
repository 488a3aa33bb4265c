#ifndef NW_SYNC_JOURNAL_H
#define NW_SYNC_JOURNAL_H
/*
 * What sync reads from and writes to the journal. A record is synced when
 * sync_state holds (kind, ref_id) with the SHA-256 the host answered; until
 * then it is backlog. Nothing here deletes an unsynced record.
 *
 * Kinds: notice, session, scan, notice-switch, event (records pushed as
 * JSON), recording (files, acked_bytes = bytes the host confirmed),
 * manifest (per session).
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "journal.h"
#include "syncproto.h"

struct syncj_backlog {
	int64_t records;	/* records, recordings and manifests not yet acknowledged */
	int64_t bytes;		/* recording bytes the host has not confirmed */
	int64_t oldest_wall_ns;	/* wall time of the oldest unsynced item, 0 if none */
};
int syncj_backlog(struct journal *, const char *dir, struct syncj_backlog *);

struct syncj_item {
	char kind[24];
	int64_t ref;			/* rowid in its table */
	char key[SYNCPROTO_KEY_MAX + 1];
	char sha256[SYNCPROTO_SHA_HEX + 1];
	int session_closed;		/* sessions: the record has its end */
	json_t *obj;			/* the record pushed (owned) */
};

/* Up to max unsynced records, oldest kinds first (notices, sessions, scans,
 * notice switches, events), within about max_bytes of JSON, leaving out
 * those skip says to (records the host refused this run). */
typedef int (*syncj_skip_fn)(void *arg, const char *kind, int64_t ref);
int syncj_collect(struct journal *, const char *box, struct syncj_item *items,
    size_t max, size_t max_bytes, syncj_skip_fn skip, void *skip_arg, size_t *n);
void syncj_items_free(struct syncj_item *, size_t n);
/* Marks the acknowledged items synced, in one transaction. acks[i] is the
 * host's hash for items[i] (NULL: skip). */
int syncj_mark(struct journal *, const struct syncj_item *items, const char *const *acks,
    size_t n, int64_t now_wall_ns);
/* The host refused to keep a scan (a purged registration): the box drops it. */
int syncj_drop_scan(struct journal *, int64_t ref, const struct nw_stamp *now);

/* One record's JSON, rebuilt exactly as it is pushed (manifests list it). */
json_t *syncj_record(struct journal *, const char *kind, int64_t ref, const char *box);

struct syncj_recording {
	int64_t id;
	char path[4096];		/* absolute */
	char name[256];			/* file name */
	char journal_sha256[SYNCPROTO_SHA_HEX + 1];	/* "" when the recorder left none */
	int64_t bytes_journal;
	int64_t duration_ns;
	int64_t session_id;
	char session_uid[128];		/* "" between sessions */
	char notice_id[64];
	char notice_sha256[SYNCPROTO_SHA_HEX + 1];
	struct nw_stamp start;
	int64_t acked_bytes;
	char acked_sha256[SYNCPROTO_SHA_HEX + 1];	/* "" until the host confirmed it */
};

/* Finished recordings the host has not confirmed, oldest first. */
int syncj_recordings_pending(struct journal *, const char *dir, struct syncj_recording **,
    size_t *n);
/* The recorder's prefix digests of recording id (recorder.h): *d (free it)
 * holds *n of them, one every *every bytes. -ENOENT when it left none. */
int syncj_recording_prefixes(struct journal *, int64_t id, size_t *every,
    uint8_t (**d)[32], size_t *n);
/* Records the host's confirmed length; complete when sha256 is given. */
int syncj_recording_progress(struct journal *, int64_t id, int64_t confirmed,
    const char *sha256, int64_t now_wall_ns);
/* Recordings the host confirmed whose file is still on disk, oldest first. */
int syncj_recordings_confirmed(struct journal *, const char *dir, struct syncj_recording **,
    size_t *n);

/* Sessions that ended, whose every record and recording is synced, and whose
 * manifest is not: ready for a manifest. */
int syncj_sessions_for_manifest(struct journal *, int64_t **ids, size_t *n);
int syncj_manifest_done(struct journal *, int64_t session_id, const char *sha256,
    int64_t now_wall_ns);
/*
 * The box moves to another host (a setup code for another URL or TLS key):
 * every confirmation was the old host's, so all is forgotten and everything
 * is sent again, and retention waits for the new host's word. Recordings
 * retention already freed cannot be sent; they, and their sessions'
 * manifests, stay marked (by the old host) so they do not block the rest.
 */
int syncj_forget_host(struct journal *, const char *dir);
/* The manifest body of a session (see docs/sync.md). */
json_t *syncj_manifest(struct journal *, const char *dir, const char *box,
    int64_t session_id, const char *signed_at);

#endif
