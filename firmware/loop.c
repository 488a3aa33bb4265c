#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct loop_fd {
	int fd;
	short events;
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	long id;
	uint64_t due_ms;
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	struct loop_fd *fds;
	size_t nfds, capfds;
	struct loop_timer *timers;
	size_t ntimers, captimers;
	long next_id;
	loop_hook_cb before_sleep;
	void *before_sleep_arg;
	int stop;
};

uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *
loop_new(void)
{
	struct loop *l = calloc(1, sizeof *l);

	if (l)
		l->next_id = 1;
	return l;
}

void
loop_free(struct loop *l)
{
	if (!l)
		return;
	free(l->fds);
	free(l->timers);
	free(l);
}

int
loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	if (l->nfds == l->capfds) {
		size_t cap = l->capfds ? l->capfds * 2 : 8;
		struct loop_fd *n = realloc(l->fds, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		l->fds = n;
		l->capfds = cap;
	}
	l->fds[l->nfds++] = (struct loop_fd){ fd, events, cb, arg };
	return 0;
}

int
loop_mod_fd(struct loop *l, int fd, short events)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd) {
			l->fds[i].events = events;
			return 0;
		}
	return -ENOENT;
}

void
loop_del_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++)
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->nfds];
			return;
		}
}

long
loop_add_timer(struct loop *l, uint64_t after_ms, loop_timer_cb cb, void *arg)
{
	if (l->ntimers == l->captimers) {
		size_t cap = l->captimers ? l->captimers * 2 : 8;
		struct loop_timer *n = realloc(l->timers, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		l->timers = n;
		l->captimers = cap;
	}
	l->timers[l->ntimers++] = (struct loop_timer){
		l->next_id, loop_now_ms() + after_ms, cb, arg };
	return l->next_id++;
}

void
loop_del_timer(struct loop *l, long id)
{
	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].id == id) {
			l->timers[i] = l->timers[--l->ntimers];
			return;
		}
}

void
loop_set_before_sleep(struct loop *l, loop_hook_cb cb, void *arg)
{
	l->before_sleep = cb;
	l->before_sleep_arg = arg;
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

/* Fires every due timer. A callback may add or delete timers, so the scan
 * restarts after each call instead of trusting indices. */
static void
loop_run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	int fired;

	do {
		fired = 0;
		for (size_t i = 0; i < l->ntimers; i++) {
			if (l->timers[i].due_ms > now)
				continue;
			struct loop_timer t = l->timers[i];
			l->timers[i] = l->timers[--l->ntimers];
			t.cb(l, t.arg);
			fired = 1;
			break;
		}
	} while (fired && !l->stop);
}

static int
loop_timeout(struct loop *l)
{
	uint64_t now = loop_now_ms(), min = UINT64_MAX;

	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i].due_ms < min)
			min = l->timers[i].due_ms;
	if (min == UINT64_MAX)
		return 1000;
	if (min <= now)
		return 0;
	return min - now > 1000 ? 1000 : (int)(min - now);
}

int
loop_run(struct loop *l, volatile int *stopflag)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;
	int rc = 0;

	l->stop = 0;
	while (!l->stop && !(stopflag && *stopflag)) {
		if (l->before_sleep)
			l->before_sleep(l, l->before_sleep_arg);
		if (l->stop)
			break;
		if (cap < l->nfds) {
			struct pollfd *n = realloc(pfd, l->nfds * sizeof *n);
			if (!n) {
				rc = -ENOMEM;
				break;
			}
			pfd = n;
			cap = l->nfds;
		}
		size_t n = l->nfds;
		for (size_t i = 0; i < n; i++)
			pfd[i] = (struct pollfd){ l->fds[i].fd, l->fds[i].events, 0 };
		int r = poll(pfd, n, loop_timeout(l));
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		/* Callbacks may remove descriptors: look each one up again. */
		for (size_t i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			for (size_t j = 0; j < l->nfds; j++)
				if (l->fds[j].fd == pfd[i].fd) {
					l->fds[j].cb(l, pfd[i].fd, pfd[i].revents, l->fds[j].arg);
					break;
				}
			if (l->stop)
				break;
		}
		loop_run_timers(l);
	}
	free(pfd);
	return rc;
}
