#include "config.h"

#include "badge.h"
#include "nwtime.h"
#include "scanner.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
check_charset(const char *v, char *err, size_t errlen)
{
	struct badge_config b;

	if (badge_config_init(&b, 1, 64, v, NULL, 0) != BADGE_VALID) {
		snprintf(err, errlen, "badge_charset '%s' is not a valid character class "
		    "(printable ASCII, ascending ranges, '-' last)", v);
		return -1;
	}
	return 0;
}

static int
check_scanner_ids(const char *v, char *err, size_t errlen)
{
	struct scanner_ids ids;

	if (scanner_ids_parse(&ids, v) != 0) {
		snprintf(err, errlen, "scanner_ids '%s' is not a list of VID:PID (hex, PID may be *)", v);
		return -1;
	}
	return 0;
}

static int
check_prefix(const char *v, char *err, size_t errlen)
{
	struct badge_config b;

	if (badge_config_init(&b, 1, 64, NULL, v, 0) != BADGE_VALID) {
		snprintf(err, errlen, "setup_prefix '%s' must be short printable ASCII", v);
		return -1;
	}
	return 0;
}

static int
check_time(const char *v, char *err, size_t errlen)
{
	int64_t t;

	if (*v && nwtime_parse(v, &t) != 0) {
		snprintf(err, errlen, "'%s' is not an RFC 3339 time (e.g. 2026-03-16T09:00:00Z)", v);
		return -1;
	}
	return 0;
}

#define S(f) CONFIG_T_STRING, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, NULL
#define I(f, lo, hi) CONFIG_T_INT, offsetof(struct config, f), sizeof(int), lo, hi, NULL
#define E(f, ch) CONFIG_T_ENUM, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, ch

const struct config_key config_keys[] = {
	{ "board", E(board, "sim|qemu-virt|rpi4"), "sim", "board support to use", NULL },
	{ "room", S(room), "", "room name as in the agenda", NULL },
	{ "meeting", S(meeting), "", "meeting name, e.g. ietf125", NULL },
	{ "device_name", S(device_name), "", "human name of this box", NULL },
	{ "scanner_ids", S(scanner_ids), "0627:0001 05e0:1200 0c2e:* 05f9:*",
	  "USB VID:PID list of badge scanners (* matches any PID)", check_scanner_ids },
	{ "scanner_fifo", S(scanner_fifo), "", "sim board: pipe of raw HID reports", NULL },
	{ "keyboard_layout", E(keyboard_layout, "us|de|fr"), "us", "scanner keyboard layout", NULL },
	{ "scan_timeout_ms", I(scan_timeout_ms, 20, 10000), "500", "drop a half-typed code after this", NULL },
	{ "badge_min_len", I(badge_min_len, 1, 128), "4", "shortest valid badge code", NULL },
	{ "badge_max_len", I(badge_max_len, 1, 128), "64", "longest valid badge code", NULL },
	{ "badge_charset", S(badge_charset), "A-Za-z0-9-", "characters a badge code may use (a class: ranges and '-' last)", check_charset },
	{ "badge_max_run", I(badge_max_run, 0, 128), "8", "longest run of one character (0: any)", NULL },
	{ "setup_prefix", S(setup_prefix), "NWSETUP:", "prefix of enrollment codes", check_prefix },
	{ "audio_source", S(audio_source), "", "alsa:DEVICE or file:PATH.wav", NULL },
	{ "audio_pace", E(audio_pace, "realtime|fast"), "realtime", "file source pacing", NULL },
	{ "audio_rate", I(audio_rate, 8000, 48000), "48000", "capture rate in Hz", NULL },
	{ "audio_channels", I(audio_channels, 1, 2), "1", "capture channels", NULL },
	{ "opus_bitrate", I(opus_bitrate, 6000, 256000), "32000", "Opus bitrate in b/s", NULL },
	{ "opus_complexity", I(opus_complexity, 0, 10), "5", "Opus encoder complexity", NULL },
	{ "preroll_s", I(preroll_s, 0, 3600), "60", "start recording this early", NULL },
	{ "postroll_s", I(postroll_s, 0, 3600), "60", "stop recording this late", NULL },
	{ "silence_dbfs", I(silence_dbfs, -120, 0), "-50", "silence alarm threshold", NULL },
	{ "silence_s", I(silence_s, 1, 3600), "60", "silence alarm after this long", NULL },
	{ "disk_reserve_mb", I(disk_reserve_mb, 0, 1 << 20), "200", "stop recording below this free space", NULL },
	{ "audio_loop", I(audio_loop, 0, 1), "0", "file source: loop at the end (sim)", NULL },
	{ "sim_clock_start", S(sim_clock_start), "", "sim: virtual clock starting at this RFC 3339 time", check_time },
	{ "display", E(display, "png|fb|none"), "png", "screen backend", NULL },
	{ "display_size", S(display_size), "800x480", "screen size for the png backend", NULL },
	{ "fb_device", S(fb_device), "/dev/fb0", "framebuffer device", NULL },
	{ "font_dir", S(font_dir), "/usr/share/fonts/truetype/dejavu", "folder with DejaVuSans.ttf", NULL },
	{ "notice_dir", S(notice_dir), "", "folder of consent notices", NULL },
	{ "clock_synced", I(clock_synced, -1, 1), "-1", "-1 ask the kernel; 0/1 force", NULL },
	{ "sync_url", S(sync_url), "", "host URL (set by enrollment)", NULL },
	{ "heartbeat_s", I(heartbeat_s, 1, 3600), "30",
	  "seconds between heartbeats to the host (and between sync rounds when idle)", NULL },
	{ "sync_chunk_kb", I(sync_chunk_kb, 16, 8192), "1024",
	  "signed segment size of a streamed recording upload, KiB", NULL },
	{ "sync_rate_kbps", I(sync_rate_kbps, 0, 10000000), "0",
	  "cap on upload speed in kB/s so sync leaves the room network usable; 0 no cap", NULL },
	{ "sync_retry_max_s", I(sync_retry_max_s, 1, 86400), "300",
	  "longest wait between sync attempts (exponential backoff with jitter)", NULL },
	{ "retention_free_mb", I(retention_free_mb, 0, 1 << 24), "1024",
	  "delete recordings the host has confirmed while free space is below this; 0 never", NULL },
	{ "user", S(user), "notewell",
	  "started as root: become this user once devices and socket are open "
	  "(if it exists; empty or root: stay root)", NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL },
};

static const struct config_key *
config_find(const char *name)
{
	for (const struct config_key *k = config_keys; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

static int
enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

int
config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config_key *k = config_find(key);
	char *field, *end;
	long v;

	if (!k) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -EINVAL;
	}
	field = (char *)cfg + k->offset;
	switch (k->type) {
	case CONFIG_T_ENUM:
		if (!enum_ok(k->choices, value)) {
			snprintf(err, errlen, "%s must be one of %s, not '%s'", key, k->choices, value);
			return -EINVAL;
		}
		/* stored as a string */
		__attribute__((fallthrough));
	case CONFIG_T_STRING:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s is too long (at most %zu bytes)", key, k->size - 1);
			return -EINVAL;
		}
		if (k->check && k->check(value, err, errlen) != 0)
			return -EINVAL;
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONFIG_T_INT:
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end) {
			snprintf(err, errlen, "%s must be a whole number, not '%s'", key, value);
			return -EINVAL;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s = %ld is out of range (%ld to %ld)", key, v, k->min, k->max);
			return -ERANGE;
		}
		*(int *)field = (int)v;
		return 0;
	}
	return -EINVAL;
}

void
config_defaults(struct config *cfg)
{
	char err[64];

	memset(cfg, 0, sizeof *cfg);
	for (const struct config_key *k = config_keys; k->name; k++)
		if (config_set(cfg, k->name, k->defval, err, sizeof err) != 0)
			abort();	/* a bad default is a programming error */
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Values may be quoted to keep leading/trailing spaces or '#'. */
static int
unquote(char *v)
{
	size_t n = strlen(v);

	if (n && v[0] == '"') {
		if (n < 2 || v[n - 1] != '"')
			return -1;
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct config tmp = *cfg;
	char line[1024], msg[256];
	FILE *f;
	int lineno = 0, rc = 0;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof line, f)) {
		char *p, *eq, *key, *val;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -EINVAL;
			goto out;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		eq = strchr(p, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
			rc = -EINVAL;
			goto out;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (*val != '"') {
			char *hash = strchr(val, '#');
			if (hash) {
				*hash = '\0';
				val = trim(val);
			}
		}
		if (unquote(val) != 0) {
			snprintf(err, errlen, "%s:%d: unterminated quote", path, lineno);
			rc = -EINVAL;
			goto out;
		}
		if ((rc = config_set(&tmp, key, val, msg, sizeof msg)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -EIO;
		goto out;
	}
	if (tmp.badge_min_len > tmp.badge_max_len) {
		snprintf(err, errlen, "%s: badge_min_len is larger than badge_max_len", path);
		rc = -EINVAL;
		goto out;
	}
	*cfg = tmp;
out:
	fclose(f);
	return rc;
}
