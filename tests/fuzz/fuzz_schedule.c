/*
 * libFuzzer target for the box's schedule.json loader (firmware/schedule.c),
 * the file the host pushes to a room. The input is the file.
 * fuzz-sources: firmware/schedule.c firmware/common/nwtime.c firmware/common/log.c
 *
 * A refused schedule must leave the current one untouched and say why; an
 * accepted one must be sorted, every string terminated, at most one
 * session open at any time (windows in order and disjoint), and
 * schedule_at / schedule_next_boundary must agree with the windows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

#define S 1000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_entry(const struct schedule *s, size_t i)
{
	const struct schedule_entry *e = &s->e[i];

	if (!memchr(e->uid, '\0', sizeof e->uid) || !e->uid[0] ||
	    !memchr(e->title, '\0', sizeof e->title) ||
	    !memchr(e->signin_url, '\0', sizeof e->signin_url))
		abort();
	if (e->start_ns > e->end_ns)
		abort();
	if (i > 0 && (s->e[i - 1].start_ns > e->start_ns ||
	    s->e[i - 1].close_ns > e->open_ns))
		abort();
	/* A window that is open at all is found by its start and its end. */
	if (e->open_ns < e->close_ns) {
		if (schedule_at(s, e->open_ns) != e ||
		    schedule_at(s, e->close_ns - 1) != e)
			abort();
		if (schedule_next_boundary(s, e->open_ns) <= e->open_ns)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct schedule s, before;
	char err[256];

	memset(&s, 0xa5, sizeof s);
	before = s;
	err[0] = '\0';
	if (schedule_parse(&s, (const char *)data, size, 5 * 60 * S, 10 * 60 * S,
	    err, sizeof err) != 0) {
		if (memcmp(&s, &before, sizeof s) != 0 || !err[0])
			abort();
		return 0;
	}
	if (s.n > SCHEDULE_MAX || !memchr(s.room, '\0', sizeof s.room))
		abort();
	for (size_t i = 0; i < s.n; i++)
		check_entry(&s, i);
	return 0;
}
