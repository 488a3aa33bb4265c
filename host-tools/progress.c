/*
 * Progress bars on a terminal; see progress.h.
 */
#include "progress.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR 30

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
draw(struct progress *p)
{
	char bar[BAR + 1];
	uint64_t fill = p->total ? p->done * BAR / p->total : 0;
	unsigned pct = p->total ? (unsigned)(p->done * 100 / p->total) : 0;

	memset(bar, '#', fill);
	memset(bar + fill, '.', BAR - fill);
	bar[BAR] = '\0';
	fprintf(p->f, "\r%-12s [%s] %llu/%llu %3u%%", p->label, bar,
	    (unsigned long long)p->done, (unsigned long long)p->total, pct);
	fflush(p->f);
	p->last_ms = mono_ms();
}

void
progress_start_as(struct progress *p, FILE *f, const char *label, uint64_t total, int on)
{
	memset(p, 0, sizeof *p);
	p->f = f;
	p->on = on;
	p->total = total;
	snprintf(p->label, sizeof p->label, "%s", label);
	if (p->on)
		draw(p);
}

void
progress_start(struct progress *p, FILE *f, const char *label, uint64_t total)
{
	progress_start_as(p, f, label, total, isatty(fileno(f)));
}

void
progress_set(struct progress *p, uint64_t done)
{
	p->done = done > p->total ? p->total : done;
	/* A terminal redrawn a thousand times a second slows the work down. */
	if (p->on && (p->done == p->total || mono_ms() - p->last_ms >= 100))
		draw(p);
}

void
progress_end(struct progress *p)
{
	if (!p->on)
		return;
	p->done = p->total;
	draw(p);
	fputs("\r\033[K", p->f);
	fflush(p->f);
	p->on = 0;
}
