/*
 * level: block RMS/peak meter and the silence/clipping alarm state machines.
 *
 * Alarms follow the room, not single blocks: silence needs silence_seconds
 * of consecutive quiet blocks (speech has pauses of a second or two, a dead
 * microphone has no end of them), and clipping needs a share of clipped
 * blocks over a sliding window (one loud laugh is not a gain problem; a
 * talker who drives the input into the rails for seconds is).
 */
#include "level.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define LEVEL_QUEUE 32

struct level {
	struct level_params p;
	size_t block;		/* frames per block */
	/* current block */
	double sumsq;
	int peak;
	size_t clipped;
	size_t filled;		/* frames */
	int clip_at;		/* |sample| threshold */
	/* last complete block */
	double rms_dbfs, peak_dbfs;
	double *peaks;		/* block peaks over the last second */
	size_t npeaks, peak_i;
	uint64_t position;
	/* silence */
	uint64_t quiet;		/* consecutive quiet frames */
	uint64_t quiet_needed;
	bool silence;
	/* clipping */
	bool *win;
	size_t nwin, win_i, win_count, win_needed;
	bool clipping;
	/* pending transitions */
	struct level_event q[LEVEL_QUEUE];
	size_t q_head, q_len;
};

void
level_params_default(struct level_params *p)
{
	memset(p, 0, sizeof *p);
	p->rate = 48000;
	p->channels = 1;
	p->block_ms = 100;
	p->silence_dbfs = -50.0;
	p->silence_seconds = 60.0;
	p->clip_dbfs = -0.1;
	p->clip_block_fraction = 0.005;
	p->clip_window_seconds = 5.0;
	p->clip_window_fraction = 0.2;
}

const char *
level_alarm_name(enum level_alarm a)
{
	switch (a) {
	case LEVEL_ALARM_SILENCE:
		return "silence";
	case LEVEL_ALARM_CLIPPING:
		return "clipping";
	}
	return "unknown";
}

static double
to_dbfs(double v)
{
	double db;

	if (v <= 0.0)
		return LEVEL_FLOOR_DBFS;
	db = 20.0 * log10(v / 32768.0);
	return db < LEVEL_FLOOR_DBFS ? LEVEL_FLOOR_DBFS : db;
}

int
level_new(const struct level_params *p, struct level **out)
{
	struct level *lv = NULL;
	int r = -EINVAL;

	*out = NULL;
	if (p->rate < 8000 || p->rate > 192000 || p->channels < 1 ||
	    p->channels > 8 || p->block_ms < 5 || p->block_ms > 1000 ||
	    !(p->silence_dbfs < 0.0 && p->silence_dbfs > LEVEL_FLOOR_DBFS) ||
	    !(p->silence_seconds > 0.0 && p->silence_seconds <= 86400.0) ||
	    !(p->clip_dbfs <= 0.0 && p->clip_dbfs > -20.0) ||
	    !(p->clip_block_fraction > 0.0 && p->clip_block_fraction <= 1.0) ||
	    !(p->clip_window_seconds * 1000.0 >= p->block_ms &&
	      p->clip_window_seconds <= 600.0) ||
	    !(p->clip_window_fraction > 0.0 && p->clip_window_fraction <= 1.0)) {
		log_warnx("level: meter parameters out of range");
		goto out;
	}
	r = -ENOMEM;
	if ((lv = calloc(1, sizeof *lv)) == NULL)
		goto out;
	lv->p = *p;
	lv->block = (size_t)p->rate * (size_t)p->block_ms / 1000;
	lv->clip_at = (int)floor(32768.0 * pow(10.0, p->clip_dbfs / 20.0));
	lv->quiet_needed = (uint64_t)llround(p->silence_seconds * p->rate);
	lv->nwin = (size_t)llround(p->clip_window_seconds * 1000.0 / p->block_ms);
	lv->win_needed = (size_t)ceil(p->clip_window_fraction * (double)lv->nwin);
	lv->npeaks = (size_t)((1000 + p->block_ms - 1) / p->block_ms);
	lv->rms_dbfs = lv->peak_dbfs = LEVEL_FLOOR_DBFS;
	if ((lv->win = calloc(lv->nwin, sizeof *lv->win)) == NULL ||
	    (lv->peaks = calloc(lv->npeaks, sizeof *lv->peaks)) == NULL)
		goto out;
	for (size_t i = 0; i < lv->npeaks; i++)
		lv->peaks[i] = LEVEL_FLOOR_DBFS;
	*out = lv;
	lv = NULL;
	r = 0;
out:
	level_free(lv);
	return r;
}

void
level_free(struct level *lv)
{
	if (lv == NULL)
		return;
	free(lv->win);
	free(lv->peaks);
	free(lv);
}

static void
push(struct level *lv, enum level_alarm a, bool active)
{
	struct level_event *e;

	/* The daemon drains after every feed; if it did not, keep the newest. */
	if (lv->q_len == LEVEL_QUEUE) {
		lv->q_head = (lv->q_head + 1) % LEVEL_QUEUE;
		lv->q_len--;
	}
	e = &lv->q[(lv->q_head + lv->q_len) % LEVEL_QUEUE];
	e->alarm = a;
	e->active = active;
	e->position = lv->position;
	lv->q_len++;
}

static void
end_block(struct level *lv)
{
	size_t n = lv->filled * (size_t)lv->p.channels;
	bool clipped;

	lv->rms_dbfs = to_dbfs(sqrt(lv->sumsq / (double)n));
	lv->peak_dbfs = to_dbfs((double)lv->peak);
	lv->peaks[lv->peak_i] = lv->peak_dbfs;
	lv->peak_i = (lv->peak_i + 1) % lv->npeaks;

	if (lv->rms_dbfs < lv->p.silence_dbfs) {
		lv->quiet += lv->filled;
		if (!lv->silence && lv->quiet >= lv->quiet_needed) {
			lv->silence = true;
			push(lv, LEVEL_ALARM_SILENCE, true);
		}
	} else {
		lv->quiet = 0;
		/* 3 dB of hysteresis so room noise near the line does not flap. */
		if (lv->silence && lv->rms_dbfs >= lv->p.silence_dbfs + 3.0) {
			lv->silence = false;
			push(lv, LEVEL_ALARM_SILENCE, false);
		}
	}

	clipped = lv->clipped > 0 &&
	    (double)lv->clipped >= lv->p.clip_block_fraction * (double)n;
	lv->win_count -= lv->win[lv->win_i];
	lv->win[lv->win_i] = clipped;
	lv->win_count += clipped;
	lv->win_i = (lv->win_i + 1) % lv->nwin;
	if (!lv->clipping && lv->win_count >= lv->win_needed) {
		lv->clipping = true;
		push(lv, LEVEL_ALARM_CLIPPING, true);
	} else if (lv->clipping && lv->win_count == 0) {
		lv->clipping = false;
		push(lv, LEVEL_ALARM_CLIPPING, false);
	}

	lv->sumsq = 0.0;
	lv->peak = 0;
	lv->clipped = 0;
	lv->filled = 0;
}

/*
 * The per-sample loop runs 48000 times a second on the box: integers only,
 * branch-free, so the compiler can vectorise it. A block's sum of squares
 * fits easily in 64 bits (2^30 per sample).
 */
static int64_t
block_stats(const int16_t *pcm, size_t n, int clip_at, int *peak, size_t *clipped)
{
	int64_t ss = 0;
	int pk = *peak;
	size_t cl = 0;

	for (size_t i = 0; i < n; i++) {
		int v = pcm[i];
		int a = v < 0 ? -v : v;

		ss += (int64_t)(v * v);
		pk = a > pk ? a : pk;
		cl += (size_t)(a >= clip_at);
	}
	*peak = pk;
	*clipped += cl;
	return ss;
}

void
level_feed(struct level *lv, const int16_t *pcm, size_t frames)
{
	const int ch = lv->p.channels;

	while (frames > 0) {
		size_t take = lv->block - lv->filled;

		if (take > frames)
			take = frames;
		lv->sumsq += (double)block_stats(pcm, take * (size_t)ch,
		    lv->clip_at, &lv->peak, &lv->clipped);
		pcm += take * (size_t)ch;
		frames -= take;
		lv->filled += take;
		lv->position += take;
		if (lv->filled == lv->block)
			end_block(lv);
	}
}

bool
level_next_event(struct level *lv, struct level_event *ev)
{
	if (lv->q_len == 0)
		return false;
	*ev = lv->q[lv->q_head];
	lv->q_head = (lv->q_head + 1) % LEVEL_QUEUE;
	lv->q_len--;
	return true;
}

void
level_read(const struct level *lv, struct level_reading *r)
{
	r->rms_dbfs = lv->rms_dbfs;
	r->peak_dbfs = lv->peak_dbfs;
	r->peak_hold_dbfs = LEVEL_FLOOR_DBFS;
	for (size_t i = 0; i < lv->npeaks; i++)
		if (lv->peaks[i] > r->peak_hold_dbfs)
			r->peak_hold_dbfs = lv->peaks[i];
	r->silence = lv->silence;
	r->clipping = lv->clipping;
	r->position = lv->position;
}
