#ifndef NW_PROGRESS_H
#define NW_PROGRESS_H
/*
 * A progress bar for long host operations (publish, verify): drawn on a
 * terminal only, so scripts and logs see nothing. Redrawn at most ten times
 * a second; progress_end clears the line.
 */
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *f;
	int on;
	char label[32];
	uint64_t total, done;
	int64_t last_ms;
};

/* On when f is a terminal. */
void progress_start(struct progress *, FILE *, const char *label, uint64_t total);
/* The same, with the decision made by the caller (tests). */
void progress_start_as(struct progress *, FILE *, const char *label, uint64_t total, int on);
void progress_set(struct progress *, uint64_t done);
void progress_end(struct progress *);

#endif
