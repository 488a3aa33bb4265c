#ifndef NW_LOOP_H
#define NW_LOOP_H
/*
 * A small single-threaded event loop: file descriptors, one-shot timers on a
 * clock the caller supplies, and a before-sleep hook. poll(2) backend: the box
 * watches a handful of descriptors, so epoll buys nothing here.
 */
#include <poll.h>
#include <stdint.h>

struct loop;
typedef void (*loop_fd_cb)(struct loop *, int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(struct loop *, void *arg);
typedef void (*loop_hook_cb)(struct loop *, void *arg);

/* now_ms returns the loop's notion of "now" in ms (monotonic). */
struct loop *loop_new(void);
void loop_free(struct loop *);
int loop_add_fd(struct loop *, int fd, short events, loop_fd_cb, void *arg);
int loop_mod_fd(struct loop *, int fd, short events);
void loop_del_fd(struct loop *, int fd);
/* Returns a timer id (> 0) or -ENOMEM. Fires once, after_ms from now. */
long loop_add_timer(struct loop *, uint64_t after_ms, loop_timer_cb, void *arg);
void loop_del_timer(struct loop *, long id);
void loop_set_before_sleep(struct loop *, loop_hook_cb, void *arg);
/* Runs until loop_stop() or a signal set *stopflag. */
int loop_run(struct loop *, volatile int *stopflag);
void loop_stop(struct loop *);
uint64_t loop_now_ms(void);

#endif
