/*
 * audio_alsa: ALSA capture, non-blocking, behind one pollable descriptor.
 *
 * ALSA may want several poll descriptors (plugins), and a USB microphone may
 * vanish and come back, changing them. The daemon's loop wants one stable
 * fd, so we hand it an epoll descriptor holding the PCM's descriptors and a
 * timerfd that paces reopen attempts. epoll fds are themselves pollable.
 *
 * Overruns (-EPIPE) and suspends (-ESTRPIPE) go through snd_pcm_recover and
 * are counted; the audio in them is lost, which status.xruns tells the
 * daemon. A device that errors with anything else (-ENODEV when a USB
 * microphone is pulled) is closed and reopened with exponential backoff
 * (250 ms .. 5 s) while reads return -EAGAIN; status says it is gone.
 */
#include "audio.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"

#define ALSA_CHUNK 4800		/* frames per read */
/*
 * The ALSA ring: the loop may stall for a recorder fsync on a slow SD card
 * (100 ms and more happen), and the ring must outlast that without an
 * overrun. alsa-lib makes periods of a quarter of it, so we still wake
 * every ~125 ms.
 */
#define ALSA_LATENCY_US 500000
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 5000
#define STABLE_SECONDS 10	/* ran this long: the next loss retries fast */

struct alsa_source {
	struct audio_source base;	/* first; base.fd is the epoll fd */
	char *device;
	snd_pcm_t *pcm;
	int dev_ch;			/* channels the device gives */
	struct pollfd *pfds;
	int npfds;
	int tfd;			/* reopen timer */
	int efd;			/* always-ready stand-in, or -1 */
	int backoff_ms;
	uint64_t since_open;		/* frames read since the last (re)open */
	int16_t *buf;			/* ALSA_CHUNK frames at dev_ch */
};

/*
 * alsa-lib prints its own errors to stderr; while a device is gone every
 * reopen attempt would add lines to the log. Our messages carry the
 * context, so the library's go to debug level.
 */
static void
alsa_lib_log(const char *file, int line, const char *func, int err,
    const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_debug("audio: alsa-lib: %s%s%s", buf, err ? ": " : "",
	    err ? snd_strerror(err) : "");
}

static void
pcm_close(struct alsa_source *a)
{
	for (int i = 0; i < a->npfds; i++)
		epoll_ctl(a->base.fd, EPOLL_CTL_DEL, a->pfds[i].fd, NULL);
	free(a->pfds);
	a->pfds = NULL;
	a->npfds = 0;
	if (a->efd >= 0) {
		epoll_ctl(a->base.fd, EPOLL_CTL_DEL, a->efd, NULL);
		close(a->efd);
		a->efd = -1;
	}
	if (a->pcm != NULL)
		snd_pcm_close(a->pcm);
	a->pcm = NULL;
}

static int
add_always_ready(struct alsa_source *a)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (a->efd >= 0)
		return 0;
	if ((a->efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	ev.data.fd = a->efd;
	return epoll_ctl(a->base.fd, EPOLL_CTL_ADD, a->efd, &ev) < 0 ? -errno : 0;
}

static int
try_params(snd_pcm_t *pcm, int ch, int rate)
{
	return snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED,
	    (unsigned)ch, (unsigned)rate, 0, ALSA_LATENCY_US);
}

static int
pcm_open(struct alsa_source *a, bool quiet)
{
	int r, n;

	r = snd_pcm_open(&a->pcm, a->device, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	if (r < 0) {
		a->pcm = NULL;
		if (!quiet)
			log_warnx("audio: alsa: %s: %s", a->device, snd_strerror(r));
		return r;
	}
	/* No resampling: a device at the wrong rate is a config error. */
	a->dev_ch = a->base.fmt.channels;
	if ((r = try_params(a->pcm, a->dev_ch, a->base.fmt.rate)) < 0 &&
	    a->base.fmt.channels == 1) {
		/* Many hw: devices are stereo-only; we downmix. */
		a->dev_ch = 2;
		r = try_params(a->pcm, a->dev_ch, a->base.fmt.rate);
	}
	if (r < 0) {
		log_warnx("audio: alsa: %s cannot capture S16 %d Hz %d ch: %s",
		    a->device, a->base.fmt.rate, a->base.fmt.channels, snd_strerror(r));
		goto fail;
	}
	n = snd_pcm_poll_descriptors_count(a->pcm);
	if (n <= 0 || (a->pfds = calloc((size_t)n, sizeof *a->pfds)) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	a->npfds = snd_pcm_poll_descriptors(a->pcm, a->pfds, (unsigned)n);
	for (int i = 0; i < a->npfds; i++) {
		struct epoll_event ev = { .events = a->pfds[i].events, .data.fd = a->pfds[i].fd };

		if (epoll_ctl(a->base.fd, EPOLL_CTL_ADD, a->pfds[i].fd, &ev) == 0)
			continue;
		/*
		 * epoll refuses files that are always ready (the "null"
		 * plugin polls /dev/null); stand in an always-ready eventfd.
		 */
		if (errno != EPERM) {
			r = -errno;
			goto fail;
		}
		if ((r = add_always_ready(a)) < 0)
			goto fail;
	}
	/* Capture must be started explicitly or poll never fires. */
	if ((r = snd_pcm_start(a->pcm)) < 0) {
		log_warnx("audio: alsa: %s: start: %s", a->device, snd_strerror(r));
		goto fail;
	}
	return 0;
fail:
	pcm_close(a);
	return r;
}

static void
arm_reopen(struct alsa_source *a)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = a->backoff_ms / 1000;
	its.it_value.tv_nsec = (long)(a->backoff_ms % 1000) * 1000000L;
	timerfd_settime(a->tfd, 0, &its, NULL);
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : a->backoff_ms * 2;
}

static void
device_lost(struct alsa_source *a, int err)
{
	log_warnx("audio: alsa: %s lost (%s); reopening", a->device, snd_strerror(err));
	pcm_close(a);
	a->base.status.present = false;
	a->base.status.lost++;
	/*
	 * A device that ran a while gets a quick retry; one that fails again
	 * right after coming back keeps its growing backoff, so a flapping
	 * device cannot flood the log.
	 */
	if (a->since_open >= (uint64_t)a->base.fmt.rate * STABLE_SECONDS)
		a->backoff_ms = BACKOFF_MIN_MS;
	arm_reopen(a);
}

static ssize_t
alsa_read(struct audio_source *src, int16_t *pcm, size_t frames)
{
	struct alsa_source *a = (struct alsa_source *)src;
	snd_pcm_sframes_t n;
	uint64_t ticks;

	if (a->pcm == NULL) {
		if (read(a->tfd, &ticks, sizeof ticks) < 0)
			return -EAGAIN;		/* timer not due yet */
		if (pcm_open(a, true) < 0) {
			arm_reopen(a);
			return -EAGAIN;
		}
		log_info("audio: alsa: %s is back", a->device);
		a->since_open = 0;
		src->status.present = true;
		src->status.reopens++;
	}
	if (frames > ALSA_CHUNK)
		frames = ALSA_CHUNK;
	n = snd_pcm_readi(a->pcm, a->buf, frames);
	if (n == -EAGAIN)
		return -EAGAIN;
	if (n == -EPIPE || n == -ESTRPIPE || n == -EINTR) {
		src->status.xruns += n == -EPIPE;
		if ((n = snd_pcm_recover(a->pcm, (int)n, 1)) == 0 &&
		    (n = snd_pcm_start(a->pcm)) == 0)
			return -EAGAIN;
	}
	if (n < 0) {
		device_lost(a, (int)n);
		return -EAGAIN;
	}
	audio_convert(a->buf, a->dev_ch, pcm, src->fmt.channels, (size_t)n);
	a->since_open += (uint64_t)n;
	return (ssize_t)n;
}

static void
alsa_close(struct audio_source *src)
{
	struct alsa_source *a = (struct alsa_source *)src;

	pcm_close(a);
	if (a->tfd >= 0)
		close(a->tfd);
	if (src->fd >= 0)
		close(src->fd);
	free(a->buf);
	free(a->device);
	free(a);
}

static const struct audio_ops alsa_ops = { "alsa", alsa_read, alsa_close };

int
audio_alsa_open(const char *device, const struct audio_format *fmt,
    struct audio_source **out)
{
	struct alsa_source *a = NULL;
	struct epoll_event ev = { .events = EPOLLIN };
	int r = -ENOMEM;

	*out = NULL;
	snd_lib_error_set_handler(alsa_lib_log);
	if ((a = calloc(1, sizeof *a)) == NULL)
		goto out;
	a->base.ops = &alsa_ops;
	a->base.fmt = *fmt;
	a->base.status.present = true;
	a->tfd = -1;
	a->efd = -1;
	a->backoff_ms = BACKOFF_MIN_MS;
	a->base.fd = epoll_create1(EPOLL_CLOEXEC);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.fd = a->tfd;
	if (a->base.fd < 0 || a->tfd < 0 ||
	    epoll_ctl(a->base.fd, EPOLL_CTL_ADD, a->tfd, &ev) < 0) {
		r = -errno;
		goto out;
	}
	r = -ENOMEM;
	if ((a->device = strdup(device)) == NULL ||
	    (a->buf = calloc((size_t)ALSA_CHUNK * 2, sizeof *a->buf)) == NULL)
		goto out;
	/* A device missing at start is a config error, not a hotplug event. */
	if ((r = pcm_open(a, false)) < 0)
		goto out;
	*out = &a->base;
	a = NULL;
	r = 0;
out:
	if (a != NULL)
		alsa_close(&a->base);
	return r;
}
