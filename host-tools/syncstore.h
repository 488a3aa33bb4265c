#ifndef NW_SYNCSTORE_H
#define NW_SYNCSTORE_H
/*
 * What enrollment and sync keep in the host store (schema: store.c
 * migration 2): settings, one-time enrollment tokens, each box's request
 * sequence (replay protection) and clock samples, every record a box pushed,
 * recording uploads in progress and per-session manifests.
 *
 * Functions return 0 or a negative errno; SQLite failures are logged by the
 * store layer and come back as -EIO.
 */
#include <stddef.h>
#include <stdint.h>

#include "recv_parse.h"
#include "store.h"
#include "syncproto.h"

/* ---- settings (key/value) ---- */
int syncstore_setting_get(struct store *, const char *key, char *out, size_t len);
int syncstore_setting_set(struct store *, const char *key, const char *value);

/* ---- enrollment tokens: only their SHA-256 is stored ---- */
int syncstore_token_add(struct store *, const char *token_sha256, const char *room,
    const char *url, int64_t now, int64_t expires);
/*
 * Spends a token for box/pk. 0 and room filled when it was valid (or was
 * spent earlier by this same box and key: the box's retry after a lost
 * answer); -ENOENT unknown, -ETIME expired, -EALREADY spent by someone else.
 * On success the device is added (or its key confirmed). minisign_pub is
 * the box's public key line as minisign writes it.
 */
int syncstore_token_redeem(struct store *, const char *token_sha256, const char *box,
    const char *minisign_pub, const char *name, int64_t now, char *room, size_t roomlen);
/* The box's minisign public key line; -ENOENT unknown, -EKEYREVOKED. */
int syncstore_device_minisign(struct store *, const char *box, char *out, size_t len);

/* ---- request authentication state ---- */
/* Accepts seq only when it is above every seq seen from box; records the
 * contact. -EACCES for a replayed or reordered request. */
int syncstore_check_seq(struct store *, const char *box, uint64_t seq, int64_t now,
    const char *addr);
/* Records one clock sample (the box's stamp when it sent a request, the
 * host's wall clock when it arrived) and corrects unsynced record times of
 * that boot when the estimate improved. */
int syncstore_note_clock(struct store *, const char *box, const struct nw_stamp *box_now,
    int64_t host_now_ns);

/* ---- records ---- */
int syncstore_put_record(struct store *, const char *box, const struct recv_record *,
    int64_t now, enum syncproto_status *status, char *reason, size_t reasonlen);
/* 0 when box holds (kind, key) with this sha256; -ENOENT if not held,
 * -EBADMSG when held with another hash. */
int syncstore_record_has(struct store *, const char *box, const char *kind,
    const char *key, const char *sha256);

/* ---- recording uploads ---- */
/* The confirmed length of an upload; 0 and *exists = 0 when none started.
 * state (may be NULL) gets the SHA-256 state over the confirmed bytes;
 * *has_state = 0 when there is none (start from the file). */
int syncstore_upload_get(struct store *, const char *box, const char *sha256,
    int64_t *confirmed, int *complete, int *exists, void *state, size_t statelen,
    int *has_state);
/* Moves the confirmed length (with the hash state over it, or NULL). */
int syncstore_upload_advance(struct store *, const char *box, const char *sha256,
    int64_t confirmed, int64_t chunk_len, const void *state, size_t statelen, int64_t now);
/* Adds bytes to what the upload received (bytes that arrived and were then
 * lost, so the count shows what was sent twice). */
int syncstore_upload_count(struct store *, const char *box, const char *sha256,
    int64_t bytes);
int syncstore_upload_complete(struct store *, const char *box, const char *sha256,
    int64_t now);
/* 0 when box uploaded a recording with this hash and size; -ENOENT if not. */
int syncstore_recording_has(struct store *, const char *box, const char *sha256,
    int64_t bytes);

/* ---- manifests ---- */
int syncstore_manifest_put(struct store *, const char *box, const char *session_uid,
    const char *sha256, const char *path, const char *trusted_comment, int64_t now);
/* -ENOENT when none; else 0 and the stored hash. */
int syncstore_manifest_get(struct store *, const char *box, const char *session_uid,
    char sha256[SYNCPROTO_SHA_HEX + 1]);

/* ---- devices listing ---- */
typedef void (*syncstore_device_fn)(void *arg, const char *id, const char *room,
    int64_t enrolled_at, int64_t revoked_at, int64_t last_seen, int64_t records,
    int64_t recordings);
int syncstore_devices(struct store *, syncstore_device_fn, void *arg);

#endif
