#ifndef NW_SCHEDOUT_H
#define NW_SCHEDOUT_H
/*
 * A room's schedule as the box reads it (firmware/schedule.h): what
 * `notewell serve` answers on GET /v1/schedule and `notewell schedule ROOM`
 * prints. Sessions marked non-public are sent with "record": false so the
 * box keeps their scans but records nothing.
 */
#include <jansson.h>

#include "store.h"

/* New reference, or NULL (out of memory or store error). */
json_t *schedout_room(struct store *, const char *room);
/* SHA-256 (hex) of a schedule as it is sent: compact, sorted keys. */
int schedout_sha256(const json_t *schedule, char hex[65]);
/* The room of an enrolled box, or -ENOENT. */
int schedout_device_room(struct store *, const char *device_id, char *room, size_t len);

#endif
