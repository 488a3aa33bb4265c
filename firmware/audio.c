/*
 * audio: source selection by spec string and the small helpers every
 * backend shares (channel conversion). Backends: audio_wav.c, audio_alsa.c.
 */
#include "audio.h"

#include <errno.h>
#include <string.h>

#include "log.h"

int
audio_pace_parse(const char *s, enum audio_pace *pace)
{
	if (strcmp(s, "realtime") == 0)
		*pace = AUDIO_PACE_REALTIME;
	else if (strcmp(s, "fast") == 0)
		*pace = AUDIO_PACE_FAST;
	else
		return -EINVAL;
	return 0;
}

int
audio_open(const char *spec, enum audio_pace pace,
    const struct audio_format *fmt, struct audio_source **out)
{
	static const struct audio_format def = { 48000, 1 };

	*out = NULL;
	if (fmt == NULL)
		fmt = &def;
	if (fmt->rate < 8000 || fmt->rate > 192000 || fmt->channels < 1 ||
	    fmt->channels > 2) {
		log_warnx("audio: unsupported format %d Hz, %d channels",
		    fmt->rate, fmt->channels);
		return -EINVAL;
	}
	if (strncmp(spec, "alsa:", 5) == 0 && spec[5] != '\0')
		return audio_alsa_open(spec + 5, fmt, out);
	if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0')
		return audio_wav_open(spec + 5, pace, fmt, out);
	log_warnx("audio: bad source \"%s\" (want alsa:DEVICE or file:PATH.wav)",
	    spec);
	return -EINVAL;
}

int
audio_fd(const struct audio_source *src)
{
	return src->fd;
}

ssize_t
audio_read(struct audio_source *src, int16_t *pcm, size_t frames)
{
	ssize_t n;

	/* 0 means end of stream, so an empty request must not look like it. */
	if (frames == 0)
		return -EINVAL;
	n = src->ops->read(src, pcm, frames);

	if (n > 0)
		src->status.frames += (uint64_t)n;
	return n;
}

void
audio_get_status(const struct audio_source *src, struct audio_status *st)
{
	*st = src->status;
}

void
audio_close(struct audio_source *src)
{
	if (src != NULL)
		src->ops->close(src);
}

bool
audio_convert_ok(int in_ch, int out_ch)
{
	return in_ch >= 1 && out_ch >= 1 &&
	    (in_ch == out_ch || out_ch == 1 || in_ch == 1);
}

int
audio_convert(const int16_t *in, int in_ch, int16_t *out, int out_ch,
    size_t frames)
{
	if (!audio_convert_ok(in_ch, out_ch))
		return -EINVAL;
	if (in_ch == out_ch) {
		memmove(out, in, frames * (size_t)in_ch * sizeof *in);
		return 0;
	}
	/* Callers pass separate buffers: an upmix is wider than its input. */
	for (size_t f = 0; f < frames; f++) {
		if (out_ch == 1) {
			long sum = 0;

			for (int c = 0; c < in_ch; c++)
				sum += in[f * (size_t)in_ch + (size_t)c];
			out[f] = (int16_t)(sum / in_ch);
		} else {
			for (int c = 0; c < out_ch; c++)
				out[f * (size_t)out_ch + (size_t)c] = in[f];
		}
	}
	return 0;
}
