#ifndef NW_AUDIO_H
#define NW_AUDIO_H
/*
 * audio: where the recorder's samples come from. One ops struct, two
 * backends chosen by a spec string:
 *   "alsa:DEVICE"     ALSA capture (hw:0, plughw:Loopback,1, default, ...)
 *   "file:PATH.wav"   any file libsndfile reads (sim board and tests)
 *
 * Every source hands out interleaved int16 frames in the format asked for
 * (rate must match; channels are downmixed by averaging or a mono input is
 * copied to each channel) and one descriptor to poll for POLLIN, so the
 * daemon's loop treats all sources alike:
 *
 *   loop_add_fd(loop, audio_fd(src), POLLIN, on_audio, ctx);
 *   on_audio: while ((n = audio_read(src, buf, cap)) > 0) feed(buf, n);
 *             n == -EAGAIN: wait for the next POLLIN; n == 0: end of file;
 *             other n < 0: the source is dead, close it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum audio_pace {
	AUDIO_PACE_REALTIME,	/* files give frames at wall-clock rate */
	AUDIO_PACE_FAST,	/* files give frames as fast as they are read */
};

struct audio_format {
	int rate;		/* default 48000 */
	int channels;		/* default 1 */
};

struct audio_status {
	bool present;		/* false while an ALSA device is gone */
	uint64_t frames;	/* delivered so far */
	uint64_t xruns;		/* ALSA overruns recovered (audio was lost) */
	uint64_t lost;		/* times the device disappeared */
	uint64_t reopens;	/* times it came back */
};

struct audio_source;

struct audio_ops {
	const char *name;
	ssize_t (*read)(struct audio_source *, int16_t *pcm, size_t frames);
	void (*close)(struct audio_source *);
};

/* Backends put this first in their own struct. */
struct audio_source {
	const struct audio_ops *ops;
	int fd;			/* poll for POLLIN; always valid */
	struct audio_format fmt;
	struct audio_status status;
};

/* Returns 0 or -errno: -EINVAL for a bad spec or format (logged). */
int audio_open(const char *spec, enum audio_pace, const struct audio_format *,
    struct audio_source **out);
int audio_fd(const struct audio_source *);
/* frames > 0. Returns >0 frames read, 0 end of stream, -EAGAIN nothing
 * yet, else -errno. */
ssize_t audio_read(struct audio_source *, int16_t *pcm, size_t frames);
void audio_get_status(const struct audio_source *, struct audio_status *);
void audio_close(struct audio_source *);
/* "realtime"/"fast" -> pace; -EINVAL otherwise. */
int audio_pace_parse(const char *, enum audio_pace *);

/* Backends (audio_wav.c, audio_alsa.c) and their shared helper. */
int audio_wav_open(const char *path, enum audio_pace,
    const struct audio_format *, struct audio_source **out);
int audio_alsa_open(const char *device, const struct audio_format *,
    struct audio_source **out);
/* Channel conversion: in_ch -> out_ch for frames; -EINVAL if unsupported. */
int audio_convert(const int16_t *in, int in_ch, int16_t *out, int out_ch,
    size_t frames);
bool audio_convert_ok(int in_ch, int out_ch);

#endif
