/*
 * audio_wav: a sound file as the microphone (sim board, tests, demos).
 *
 * Realtime pacing hands out exactly as many frames as wall-clock time since
 * open allows, computed from CLOCK_MONOTONIC rather than counted timer
 * ticks, so a late wakeup catches up instead of drifting. The poll
 * descriptor is a 20 ms periodic timerfd. Fast pacing polls an eventfd that
 * is always readable, so the same loop code drains the file at full speed.
 */
#include "audio.h"

#include <errno.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define WAV_TICK_NS 20000000L
#define WAV_CHUNK 4800		/* frames read from the file at once */

struct wav_source {
	struct audio_source base;	/* first */
	SNDFILE *sf;
	int file_ch;
	enum audio_pace pace;
	struct timespec t0;
	uint64_t delivered;
	int16_t *buf;		/* WAV_CHUNK frames at file_ch */
};

static uint64_t
elapsed_frames(const struct wav_source *w)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - w->t0.tv_sec) * 1000000000LL +
	    (now.tv_nsec - w->t0.tv_nsec);
	return ns <= 0 ? 0 : (uint64_t)ns * (uint64_t)w->base.fmt.rate / 1000000000ULL;
}

static ssize_t
wav_read(struct audio_source *src, int16_t *pcm, size_t frames)
{
	struct wav_source *w = (struct wav_source *)src;
	sf_count_t got;

	if (w->pace == AUDIO_PACE_REALTIME) {
		uint64_t ticks, due;

		/* Drain the timer so poll sleeps until the next tick. */
		if (read(src->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
			return -errno;
		due = elapsed_frames(w) - w->delivered;
		if (due == 0)
			return -EAGAIN;
		if (frames > due)
			frames = (size_t)due;
	}
	if (frames > WAV_CHUNK)
		frames = WAV_CHUNK;
	got = sf_readf_short(w->sf, w->buf, (sf_count_t)frames);
	if (got < 0 || sf_error(w->sf) != SF_ERR_NO_ERROR) {
		log_warnx("audio: file: %s", sf_strerror(w->sf));
		return -EIO;
	}
	if (got == 0)
		return 0;
	audio_convert(w->buf, w->file_ch, pcm, src->fmt.channels, (size_t)got);
	w->delivered += (uint64_t)got;
	return (ssize_t)got;
}

static void
wav_close(struct audio_source *src)
{
	struct wav_source *w = (struct wav_source *)src;

	if (w->sf != NULL)
		sf_close(w->sf);
	if (src->fd >= 0)
		close(src->fd);
	free(w->buf);
	free(w);
}

static const struct audio_ops wav_ops = { "file", wav_read, wav_close };

static int
make_fd(struct wav_source *w)
{
	struct itimerspec its = { { 0, WAV_TICK_NS }, { 0, WAV_TICK_NS } };

	if (w->pace == AUDIO_PACE_FAST) {
		w->base.fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		return w->base.fd < 0 ? -errno : 0;
	}
	w->base.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->base.fd < 0 || timerfd_settime(w->base.fd, 0, &its, NULL) < 0)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &w->t0);
	return 0;
}

int
audio_wav_open(const char *path, enum audio_pace pace,
    const struct audio_format *fmt, struct audio_source **out)
{
	struct wav_source *w = NULL;
	SF_INFO info;
	int r = -ENOMEM;

	*out = NULL;
	if ((w = calloc(1, sizeof *w)) == NULL)
		goto out;
	w->base.ops = &wav_ops;
	w->base.fd = -1;
	w->base.fmt = *fmt;
	w->base.status.present = true;
	w->pace = pace;
	memset(&info, 0, sizeof info);
	if ((w->sf = sf_open(path, SFM_READ, &info)) == NULL) {
		log_warnx("audio: file: %s: %s", path, sf_strerror(NULL));
		r = -ENOENT;
		if (access(path, R_OK) == 0)
			r = -EINVAL;
		goto out;
	}
	r = -EINVAL;
	if (info.samplerate != fmt->rate) {
		log_warnx("audio: file: %s is %d Hz but the recorder takes %d Hz; "
		    "resample it first (sox in.wav -r %d out.wav)", path,
		    info.samplerate, fmt->rate, fmt->rate);
		goto out;
	}
	if (!audio_convert_ok(info.channels, fmt->channels)) {
		log_warnx("audio: file: %s has %d channels, cannot make %d",
		    path, info.channels, fmt->channels);
		goto out;
	}
	w->file_ch = info.channels;
	r = -ENOMEM;
	if ((w->buf = calloc((size_t)WAV_CHUNK * (size_t)info.channels,
	    sizeof *w->buf)) == NULL)
		goto out;
	if ((r = make_fd(w)) < 0)
		goto out;
	*out = &w->base;
	w = NULL;
	r = 0;
out:
	if (w != NULL)
		wav_close(&w->base);
	return r;
}
