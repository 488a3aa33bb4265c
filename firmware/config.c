#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S(f) CONFIG_T_STRING, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, NULL
#define I(f, lo, hi) CONFIG_T_INT, offsetof(struct config, f), sizeof(int), lo, hi, NULL
#define E(f, ch) CONFIG_T_ENUM, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, ch

const struct config_key config_keys[] = {
	{ "board", E(board, "sim|qemu-virt|rpi4"), "sim", "board support to use" },
	{ "room", S(room), "", "room name as in the agenda" },
	{ "meeting", S(meeting), "", "meeting name, e.g. ietf125" },
	{ "device_name", S(device_name), "", "human name of this box" },
	{ "scanner_ids", S(scanner_ids),
	  "0627:0001,05e0:1200,0c2e:0b61,05f9:2206,1eab:1a03",
	  "USB VID:PID list of badge scanners" },
	{ "scanner_fifo", S(scanner_fifo), "", "sim board: pipe of raw HID reports" },
	{ "keyboard_layout", E(keyboard_layout, "us|de|fr"), "us", "scanner keyboard layout" },
	{ "scan_timeout_ms", I(scan_timeout_ms, 20, 10000), "500", "drop a half-typed code after this" },
	{ "badge_min_len", I(badge_min_len, 1, 128), "4", "shortest valid badge code" },
	{ "badge_max_len", I(badge_max_len, 1, 128), "64", "longest valid badge code" },
	{ "badge_charset", S(badge_charset), "A-Za-z0-9-_.", "characters a badge code may use" },
	{ "setup_prefix", S(setup_prefix), "NWSETUP:", "prefix of enrollment codes" },
	{ "audio_source", S(audio_source), "", "alsa:DEVICE or file:PATH.wav" },
	{ "audio_pace", E(audio_pace, "realtime|fast"), "realtime", "file source pacing" },
	{ "audio_rate", I(audio_rate, 8000, 48000), "48000", "capture rate in Hz" },
	{ "audio_channels", I(audio_channels, 1, 2), "1", "capture channels" },
	{ "opus_bitrate", I(opus_bitrate, 6000, 256000), "32000", "Opus bitrate in b/s" },
	{ "opus_complexity", I(opus_complexity, 0, 10), "5", "Opus encoder complexity" },
	{ "preroll_s", I(preroll_s, 0, 3600), "60", "start recording this early" },
	{ "postroll_s", I(postroll_s, 0, 3600), "60", "stop recording this late" },
	{ "silence_dbfs", I(silence_dbfs, -120, 0), "-50", "silence alarm threshold" },
	{ "silence_s", I(silence_s, 1, 3600), "60", "silence alarm after this long" },
	{ "disk_reserve_mb", I(disk_reserve_mb, 0, 1 << 20), "200", "stop recording below this free space" },
	{ "display", E(display, "png|fb|none"), "png", "screen backend" },
	{ "display_size", S(display_size), "800x480", "screen size for the png backend" },
	{ "fb_device", S(fb_device), "/dev/fb0", "framebuffer device" },
	{ "font_dir", S(font_dir), "/usr/share/fonts/truetype/dejavu", "folder with DejaVuSans.ttf" },
	{ "notice_dir", S(notice_dir), "", "folder of consent notices" },
	{ "clock_synced", I(clock_synced, -1, 1), "-1", "-1 ask the kernel; 0/1 force" },
	{ "sync_url", S(sync_url), "", "host URL (set by enrollment)" },
	{ "heartbeat_s", I(heartbeat_s, 5, 3600), "30", "status push interval" },
	{ "sync_chunk_kb", I(sync_chunk_kb, 16, 8192), "4096",
	  "recording upload chunk size in KiB (each is fsynced and acknowledged)" },
	{ "sync_rate_kbps", I(sync_rate_kbps, 0, 10000000), "0",
	  "cap on upload speed in kB/s so sync leaves the room network usable; 0 no cap" },
	{ "sync_retry_max_s", I(sync_retry_max_s, 1, 86400), "300",
	  "longest wait between sync attempts (exponential backoff with jitter)" },
	{ "retention_free_mb", I(retention_free_mb, 0, 1 << 24), "1024",
	  "delete recordings the host has confirmed while free space is below this; 0 never" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL },
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
