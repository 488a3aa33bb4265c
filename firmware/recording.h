#ifndef NW_RECORDING_H
#define NW_RECORDING_H
/*
 * Sessions and their recordings, whoever opens them (schedule or
 * notewellctl): one recorder per open session, fed from the audio source,
 * with pause marks, level alarms, the disk reserve, and recovery of a file
 * left unfinished by a crash.
 */
#include <stdint.h>
#include <jansson.h>

struct daemon;

int recording_init(struct daemon *, char *err, size_t errlen);
void recording_free(struct daemon *);

/* Opens a session (and its recording when record and a source exist). */
int session_open(struct daemon *, const char *uid, const char *title,
    const char *origin, int record, char *err, size_t errlen);
/* Closes the open session and finishes its recording. */
int session_close(struct daemon *, char *err, size_t errlen);

int recording_pause(struct daemon *, int pause, char *err, size_t errlen);
/* Applies the schedule at the current time (called from the loop). */
void recording_tick(struct daemon *);
/* Status fields: state, level, alarms, current file. */
void recording_status(struct daemon *, json_t *status);
/* Sim board virtual clock: run until wall time t (ns). */
int recording_run_until(struct daemon *, int64_t t, char *err, size_t errlen);
/* Sim board: steps the wall clock to t (ns) without moving the monotonic
 * clock, as NTP or an operator would; synced 0/1 sets the synced flag, -1
 * keeps it. A virtual clock then holds at t until run-until; the real clock
 * goes on from t. */
int recording_step_clock(struct daemon *, int64_t t, int synced, char *err, size_t errlen);
/* Loads DIR/schedule.json if present (also after the host pushed a new one). */
int recording_load_schedule(struct daemon *, char *err, size_t errlen);

#endif
