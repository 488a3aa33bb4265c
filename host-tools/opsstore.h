#ifndef NW_OPSSTORE_H
#define NW_OPSSTORE_H
/*
 * What operations keep in the host store (schema: store.c migration 3):
 * each box's latest heartbeat and a bounded history of its audio level,
 * the heartbeat request sequence, which schedule each box last fetched,
 * what the alert command was last told, and the operators who may read the
 * status page.
 *
 * Functions return 0 or a negative errno; SQLite failures are logged by the
 * store layer and come back as -EIO.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

#define OPSSTORE_LEVELS_MAX 120		/* level history kept per box */
#define OPSSTORE_HEARTBEAT_MAX 8192	/* bytes of one heartbeat body */
#define OPSSTORE_SECRET_HEX 32		/* operator secrets: 128 bits, hex */

/* ---- heartbeats ---- */
/* Accepts seq only when above every heartbeat seq seen from box (heartbeats
 * count apart from data requests); -EACCES for a replay. */
int opsstore_check_hb_seq(struct store *, const char *box, uint64_t seq);
/* Parses and checks a heartbeat body: an object with the fields of
 * docs/sync.md of the right types, naming box. *out is a new reference.
 * -EBADMSG with err filled when it is not one. */
int opsstore_heartbeat_parse(const char *body, size_t len, const char *box, json_t **out,
    char *err, size_t errlen);
/* Stores a checked heartbeat as the box's latest and appends its level to
 * the history (the oldest beyond OPSSTORE_LEVELS_MAX are dropped).
 * clock_offset_ns: the box's wall clock minus the host's at arrival. */
int opsstore_put_heartbeat(struct store *, const char *box, const json_t *hb,
    int64_t received_ns, int64_t clock_offset_ns, const char *addr);

/* ---- schedules the boxes fetched ---- */
int opsstore_note_schedule(struct store *, const char *box, const char *sha256,
    int sessions, int64_t now_ns);

/* ---- alert state: (room, alarm) -> what the alert command was told ---- */
struct opsstore_alert {
	char alarm[32];
	int notified;			/* 1: told "enter" last */
	int64_t last_enter_ns, last_leave_ns;
};
/* Every stored alert of room (malloc'd array in *out). */
int opsstore_alerts_get(struct store *, const char *room, struct opsstore_alert **out,
    size_t *n);
int opsstore_alert_put(struct store *, const char *room, const struct opsstore_alert *);

/* ---- operators ---- */
/* Adds (or replaces the secret of) an operator; secret gets a fresh one to
 * show once. Only its SHA-256 is stored. */
int opsstore_operator_add(struct store *, const char *name,
    char secret[OPSSTORE_SECRET_HEX + 1], int64_t now);
int opsstore_operator_remove(struct store *, const char *name);
/* 0 when name/secret is a valid operator, -EACCES otherwise. Takes the same
 * time whether the name exists or not and compares in constant time. */
int opsstore_operator_check(struct store *, const char *name, const char *secret);
typedef void (*opsstore_operator_fn)(void *arg, const char *name, int64_t created_at);
int opsstore_operators(struct store *, opsstore_operator_fn, void *arg);

#endif
