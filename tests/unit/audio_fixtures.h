/*
 * Shared helpers for the audio tests (test_recorder, test_level,
 * test_audio_wav): a scratch directory, generated signals and WAV files,
 * and running the opus-tools that judge our output. Header-only so each
 * test binary stays a single translation unit.
 */
#ifndef NW_AUDIO_FIXTURES_H
#define NW_AUDIO_FIXTURES_H

#include <math.h>
#include <sndfile.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char fx_dir[256];

/* Creates the scratch directory once per binary; removed at exit. */
static __attribute__((unused)) void
fx_cleanup(void)
{
	char cmd[300];

	if (fx_dir[0] != '\0' && getenv("NW_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", fx_dir);
	}
}

static __attribute__((unused)) const char *
fx_tmpdir(void)
{
	if (fx_dir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(fx_dir, sizeof fx_dir, "%s/nwaudio.XXXXXX", t ? t : "/tmp");
		if (mkdtemp(fx_dir) == NULL)
			abort();
		atexit(fx_cleanup);
	}
	return fx_dir;
}

static __attribute__((unused)) char *
fx_path(const char *name)
{
	static char buf[8][512];
	static int i;
	char *p = buf[i++ % 8];

	snprintf(p, 512, "%s/%s", fx_tmpdir(), name);
	return p;
}

/* Runs a shell command (printf-style); returns its exit status. */
static int __attribute__((format(printf, 1, 2), unused))
fx_sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : 255;
}

static __attribute__((unused)) int
fx_write_wav(const char *path, int rate, int ch, int subtype,
    const int16_t *pcm, size_t frames)
{
	SF_INFO info = { .samplerate = rate, .channels = ch,
	    .format = SF_FORMAT_WAV | subtype };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	sf_count_t n;

	if (sf == NULL)
		return -1;
	n = sf_writef_short(sf, pcm, (sf_count_t)frames);
	sf_close(sf);
	return n == (sf_count_t)frames ? 0 : -1;
}

/* Reads a whole sound file as int16 (any channels); returns frames or -1. */
static __attribute__((unused)) long
fx_read_sound(const char *path, int16_t **pcm, int *ch, int *rate)
{
	SF_INFO info;
	SNDFILE *sf;
	sf_count_t n;

	memset(&info, 0, sizeof info);
	if ((sf = sf_open(path, SFM_READ, &info)) == NULL)
		return -1;
	*pcm = calloc((size_t)info.frames * (size_t)info.channels + 1, sizeof **pcm);
	n = sf_readf_short(sf, *pcm, info.frames);
	sf_close(sf);
	if (ch)
		*ch = info.channels;
	if (rate)
		*rate = info.samplerate;
	return (long)n;
}

/* Frames in a sound file, or -1. */
static __attribute__((unused)) long
fx_frames(const char *path)
{
	SF_INFO info;
	SNDFILE *sf;

	memset(&info, 0, sizeof info);
	if ((sf = sf_open(path, SFM_READ, &info)) == NULL)
		return -1;
	sf_close(sf);
	return (long)info.frames;
}

/*
 * Synthetic speech, 48 kHz mono 16-bit, made with espeak-ng and sox the
 * first time it is asked for. About 25 s of varied sentences.
 */
static __attribute__((unused)) const char *
fx_speech_wav(void)
{
	static const char text[] =
	    "Good morning everyone, and welcome to this session of the working "
	    "group. The chairs would like to remind you that this meeting is "
	    "being recorded, and that the note well applies. We have three drafts "
	    "on the agenda today. First, the authors will present the changes "
	    "since the last meeting, then we will discuss the open issues on the "
	    "mailing list. Please state your name at the microphone before you "
	    "speak. If you have not scanned your badge yet, the scanner is by "
	    "the door.";
	const char *out = fx_path("speech.wav");

	if (access(out, R_OK) == 0)
		return out;
	if (fx_sh("espeak-ng -w '%s' \"%s\" && sox '%s' -r 48000 -c 1 -b 16 '%s'",
	    fx_path("speech-raw.wav"), text, fx_path("speech-raw.wav"), out) != 0)
		return NULL;
	return out;
}

/* A sine of amplitude amp (may exceed 32767: it is then hard-clipped). */
static __attribute__((unused)) void
fx_sine(int16_t *pcm, size_t frames, int rate, double hz, double amp)
{
	for (size_t i = 0; i < frames; i++) {
		double v = amp * sin(2.0 * M_PI * hz * (double)i / rate);

		if (v > 32767.0)
			v = 32767.0;
		if (v < -32768.0)
			v = -32768.0;
		pcm[i] = (int16_t)lrint(v);
	}
}

#endif
