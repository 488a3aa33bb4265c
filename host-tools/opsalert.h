#ifndef NW_OPSALERT_H
#define NW_OPSALERT_H
/*
 * Alerts: when a room enters or leaves an alarm of the status board
 * (opsboard.h), run the operator's command once, with the details as JSON
 * on stdin and in NOTEWELL_* environment variables:
 *   NOTEWELL_EVENT (enter|leave) NOTEWELL_ALARM NOTEWELL_ROOM NOTEWELL_BOX
 *   NOTEWELL_STATE NOTEWELL_SESSION NOTEWELL_AT (RFC 3339)
 *
 * What the command was last told per (room, alarm) is kept in the store
 * (ops_alerts), so a restarted `notewell serve` does not tell it again. At
 * most one "enter" and one "leave" per room, alarm and interval: a flapping
 * alarm is reported again only when the interval has passed, and then only
 * if its state still differs from what was last reported. The state is
 * committed before the command runs: a crash loses an alert rather than
 * repeating it.
 *
 * Not alerted: no_box and unheard (a room without a working box before it
 * ever worked is preflight's business), and while a room is missing, its
 * other alarms (unknown, not cleared).
 */
#include <stdint.h>

#include "opsboard.h"
#include "store.h"

struct opsalert_event {
	const char *event;		/* "enter" or "leave" */
	const char *alarm;
	const struct opsboard_room *room;
	int64_t at_ns;
};

/* Runs one alert; json is the stdin text. Production: opsalert_spawn. */
typedef int (*opsalert_fn)(void *arg, const struct opsalert_event *, const char *json);

/* Compares the board with the stored alert state and calls fn for every
 * change due. Returns the number of alerts run, or -errno. */
int opsalert_check(struct store *, const struct opsboard *, int64_t interval_ns,
    opsalert_fn, void *arg);

/* Starts `/bin/sh -c cmd` with json on stdin and the environment above;
 * does not wait for it (reap with waitpid). Returns its pid or -errno.
 * arg is the command string. */
int opsalert_spawn(void *cmd, const struct opsalert_event *, const char *json);

#endif
