/*
 * bench/nwrec: notewelld's recording path without the daemon around it:
 * the WAV source (fast pacing), the level meter and the recorder, exactly
 * as the daemon chains them.
 *
 * Usage: nwrec IN.wav OUT.opus BITRATE COMPLEXITY voip|audio [nolevel] [nomemo]
 *   nolevel  skip the level meter
 *   nomemo   turn the recorder's opus_encoder_get_size memo off (what the
 *            recorder cost before it; see README.md)
 */
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio.h"
#include "level.h"
#include "recorder.h"

int
main(int argc, char **argv)
{
	struct recorder_params p;
	struct recorder_tags t = { .session_id = "bench", .part = 1 };
	struct recorder_result res;
	struct audio_source *src;
	struct level_params lp;
	struct level *lv = NULL;
	struct recorder *rec;
	struct level_event ev;
	char spec[4096];
	int16_t buf[4800];
	ssize_t n;
	bool level = true;

	if (argc < 6) {
		fprintf(stderr, "usage: nwrec IN.wav OUT.opus BITRATE COMPLEXITY voip|audio [nolevel] [nomemo]\n");
		return 2;
	}
	for (int i = 6; i < argc; i++) {
		if (strcmp(argv[i], "nolevel") == 0)
			level = false;
		else if (strcmp(argv[i], "nomemo") == 0)
			recorder_opus_size_memo(false);
		else {
			fprintf(stderr, "nwrec: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	recorder_params_default(&p);
	p.prefix_every = RECORDER_PREFIX_EVERY;	/* as notewelld */
	p.bitrate = atoi(argv[3]);
	p.complexity = atoi(argv[4]);
	p.application = strcmp(argv[5], "voip") == 0 ? OPUS_APPLICATION_VOIP :
	    OPUS_APPLICATION_AUDIO;
	snprintf(spec, sizeof spec, "file:%s", argv[1]);
	unlink(argv[2]);
	if (audio_open(spec, AUDIO_PACE_FAST, NULL, &src) < 0 ||
	    recorder_open(argv[2], &p, &t, &rec) < 0)
		return 1;
	level_params_default(&lp);
	if (level && level_new(&lp, &lv) < 0)
		return 1;
	/* 20 ms reads, as the realtime source delivers them. */
	while ((n = audio_read(src, buf, 960)) > 0) {
		if (lv != NULL) {
			level_feed(lv, buf, (size_t)n);
			while (level_next_event(lv, &ev))
				;
		}
		if (recorder_write(rec, buf, (size_t)n) < 0)
			return 1;
	}
	audio_close(src);
	level_free(lv);
	if (n < 0 || recorder_close(rec, &res) < 0)
		return 1;
	printf("%.3f s, %ju bytes, sha256 %s\n", res.seconds, (uintmax_t)res.bytes,
	    res.sha256_hex);
	recorder_prefixes_free(&res.prefixes);
	return 0;
}
