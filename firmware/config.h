#ifndef NW_CONFIG_H
#define NW_CONFIG_H
/*
 * Box configuration: "key = value" lines, '#' comments. The keys are a
 * table (name, type, offset, bounds) so parsing, defaults, checking and the
 * documentation in notewelld.conf.5 all follow from one list.
 */
#include <stddef.h>
#include <stdint.h>

#define CONFIG_STR 128

struct config {
	char board[CONFIG_STR];		/* sim | qemu-virt | rpi4 */
	char room[CONFIG_STR];
	char meeting[CONFIG_STR];
	char device_name[CONFIG_STR];
	/* scanner */
	char scanner_ids[512];		/* "vvvv:pppp,vvvv:pppp" */
	char scanner_fifo[CONFIG_STR];	/* sim: raw HID reports from a pipe */
	char keyboard_layout[16];
	int scan_timeout_ms;
	int badge_min_len;
	int badge_max_len;
	char badge_charset[CONFIG_STR];
	int badge_max_run;
	char setup_prefix[32];
	/* audio */
	char audio_source[256];		/* alsa:DEVICE | file:PATH.wav */
	char audio_pace[16];		/* realtime | fast */
	int audio_rate;
	int audio_channels;
	int opus_bitrate;
	int opus_complexity;
	int preroll_s;
	int postroll_s;
	int silence_dbfs;
	int silence_s;
	int disk_reserve_mb;
	int audio_loop;			/* file source: start again at the end */
	char sim_clock_start[40];	/* sim: virtual clock from this time */
	/* screen */
	char display[16];		/* png | fb | none */
	char display_size[16];		/* WIDTHxHEIGHT */
	char fb_device[CONFIG_STR];
	char font_dir[CONFIG_STR];
	char notice_dir[256];
	/* clock */
	int clock_synced;		/* -1 ask the kernel, 0/1 force (sim) */
	/* sync */
	char sync_url[256];
	int heartbeat_s;
	int sync_chunk_kb;		/* recording upload chunk */
	int sync_rate_kbps;		/* upload cap, 0 = none */
	int sync_retry_max_s;		/* longest wait between attempts */
	int retention_free_mb;		/* free synced recordings below this */
	/* privileges */
	char user[64];			/* run as this user once devices are open */
};

enum config_type { CONFIG_T_STRING, CONFIG_T_INT, CONFIG_T_ENUM };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size;		/* strings: buffer size */
	long min, max;		/* ints */
	const char *choices;	/* enums: "a|b|c" */
	const char *defval;
	const char *help;
	/* Optional check of a value beyond its type: 0 or an error message. */
	int (*check)(const char *value, char *err, size_t errlen);
};

extern const struct config_key config_keys[];

void config_defaults(struct config *);
/* Parses FILE over the current values. On error writes "FILE:LINE: what"
 * into err and leaves *cfg untouched. */
int config_load(struct config *, const char *path, char *err, size_t errlen);
/* Sets one key from a string (used by the file parser and the command line). */
int config_set(struct config *, const char *key, const char *value, char *err, size_t errlen);

#endif
