#ifndef NW_DAEMON_H
#define NW_DAEMON_H
/*
 * notewelld's context: one struct passed to every handler, no globals.
 */
#include <stdint.h>

#include "badge.h"
#include "board.h"
#include "config.h"
#include "ctl.h"
#include "journal.h"
#include "loop.h"
#include "nwtime.h"
#include "privdrop.h"

#define DAEMON_ALARM_DISK 0x100
#define DAEMON_ALARM_CLOCK 0x200

struct daemon {
	struct config cfg;
	char dir[4096];
	struct board board;
	struct nw_clock clock;
	struct loop *loop;
	struct journal *journal;
	struct ctl *ctl;
	struct badge_config badge;
	struct scanin *scanin;
	int lock_fd;
	int signal_fd;
	int64_t started_mono_ns;
	/* The session in progress (0 = between sessions). */
	int64_t session_id;
	/* Notice in force; empty until a notice is loaded. */
	char notice_id[128];	/* "id@version" */
	char notice_sha256[65];
	char notice_url[512];
	/* Recording (recording.c). */
	struct audio_source *audio;
	struct level *level;
	struct recorder *rec;
	int64_t rec_id;			/* journal row of the open recording */
	int64_t rec_session;		/* session it belongs to */
	int paused;
	int rec_failed;			/* disk reserve / write error: no recording */
	int rec_disk_wait;		/* stopped for disk: start a new part when space is back */
	uint64_t audio_frames;		/* read from the source */
	struct schedule *sched;
	char suppressed_uid[128];	/* a scheduled session stopped by hand */
	int virtual_clock;		/* sim: time moves only when told */
	int64_t run_until_ns;
	unsigned alarms;		/* LEVEL_ALARM_* | DAEMON_ALARM_* */
	int64_t last_disk_check_ns;	/* monotonic */
	struct nw_stamp last_tick;	/* to see the wall clock step */
	/* Last scan result as shown to the attendee. */
	char last_scan[256];
	int last_scan_ok;
	/* Notices and the room screen (roomscreen.c). */
	struct roomscreen *screen;
	char notice_version[32];
	uint64_t scans_ok, scans_rejected;
	/* sync.c: the worker that pushes to the host (NULL: not running). */
	struct sync *sync;
	/* privdrop.c: who the daemon becomes after the open phase. */
	struct privdrop priv;
};

int daemon_init(struct daemon *, const struct config *, const char *dir,
    char *err, size_t errlen);
int daemon_run(struct daemon *);
void daemon_free(struct daemon *);

/* bluesheet.c: the one path every scan takes, manual or from a scanner.
 * Returns 0 once the scan is durable (msg is the attendee's confirmation),
 * or -EINVAL (not a badge), -ENOSPC and friends (could not store). */
int bluesheet_scan(struct daemon *, const char *code, const char *source,
    char *msg, size_t msglen);
json_t *bluesheet_list(struct daemon *, int64_t session_id);

/* roomscreen.c: notices in force and the room screen. */
int roomscreen_open(struct daemon *, char *err, size_t errlen);
void roomscreen_close(struct roomscreen *);
/* Picks the notice in force now (switching atomically, journalled) and
 * redraws the screen if anything shown changed. */
void roomscreen_tick(struct daemon *);
json_t *roomscreen_notice_json(struct daemon *);
json_t *roomscreen_reload_notices(struct daemon *);
json_t *roomscreen_alarms_json(struct daemon *);
void roomscreen_set_enrollment(struct daemon *, const char *payload, const char *text);

/* scanin.c: scanners (libusb, sim FIFO) -> HID decoder -> bluesheet_scan. */
int scanin_open(struct daemon *, struct scanin **);
void scanin_close(struct scanin *);
int scanin_count(struct scanin *);

#endif
