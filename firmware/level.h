#ifndef NW_LEVEL_H
#define NW_LEVEL_H
/*
 * level: an audio level meter and the two health alarms (long silence,
 * sustained clipping). Everything is counted in samples, never wall time,
 * so a WAV played fast gives the same alarms as the room in real time and
 * tests need no clock.
 *
 * dBFS here: 0 dBFS is a full-scale square wave (RMS 32768), so a
 * full-scale sine reads -3 dBFS RMS and 0 dBFS peak. Digital silence
 * reads LEVEL_FLOOR_DBFS.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEVEL_FLOOR_DBFS (-120.0)

struct level_params {
	int rate;		/* samples per second per channel; 48000 */
	int channels;		/* interleaved channels; all are metered together */
	int block_ms;		/* meter block; default 100 */
	double silence_dbfs;	/* block RMS below this is silent; -50 */
	double silence_seconds;	/* silent this long: alarm; 60 */
	double clip_dbfs;	/* |sample| at or above this is clipped; -0.1 */
	double clip_block_fraction; /* clipped samples making a block clipped; 0.005 */
	double clip_window_seconds; /* window for "sustained"; 5 */
	double clip_window_fraction; /* clipped blocks in window to alarm; 0.2 */
};

enum level_alarm {
	LEVEL_ALARM_SILENCE = 1,
	LEVEL_ALARM_CLIPPING = 2,
};

struct level_event {
	enum level_alarm alarm;
	bool active;		/* true: alarm entered; false: it cleared */
	uint64_t position;	/* sample (per channel) where it happened */
};

struct level_reading {
	double rms_dbfs;	/* last complete block */
	double peak_dbfs;	/* last complete block */
	double peak_hold_dbfs;	/* highest block peak over the last second */
	bool silence;		/* alarm states */
	bool clipping;
	uint64_t position;	/* samples metered */
};

struct level;

void level_params_default(struct level_params *);
/* Returns 0 or -EINVAL (bad params, logged) / -ENOMEM. */
int level_new(const struct level_params *, struct level **out);
void level_free(struct level *);
/* Meters frames of interleaved int16; queues alarm transitions. */
void level_feed(struct level *, const int16_t *pcm, size_t frames);
/* Pops the oldest queued transition; false when none is left. */
bool level_next_event(struct level *, struct level_event *);
void level_read(const struct level *, struct level_reading *);
const char *level_alarm_name(enum level_alarm);

#endif
