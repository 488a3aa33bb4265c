/*
 * A fake scanner on a named pipe, for the sim board and integration tests.
 * It feeds raw report bytes through the same callbacks, and so the same
 * decoder path, as the libusb source.
 */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hid.h"
#include "log.h"

struct scanner_fifo {
	struct loop *loop;
	struct scanner_cbs cbs;
	char *path;
	int fd;
	int attached;
	void *dev;
	uint8_t buf[HID_REPORT_LEN];
	size_t have;
	char id[SCANNER_ID_MAX];
};

static void fifo_readable(struct loop *, int, short, void *);

/* Opens the read end without blocking for a writer. A fresh open also
 * resets the kernel's "writer went away" state, so poll stays quiet until
 * the next writer arrives instead of reporting POLLHUP forever. */
static int
fifo_arm(struct scanner_fifo *f)
{
	int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	int rc = loop_add_fd(f->loop, fd, POLLIN, fifo_readable, f);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	f->fd = fd;
	return 0;
}

static void
fifo_disarm(struct scanner_fifo *f)
{
	if (f->fd < 0)
		return;
	loop_del_fd(f->loop, f->fd);
	close(f->fd);
	f->fd = -1;
}

static void
fifo_detach(struct scanner_fifo *f)
{
	if (!f->attached)
		return;
	f->attached = 0;
	f->have = 0;
	if (f->cbs.on_detach)
		f->cbs.on_detach(f->cbs.arg, f->dev, f->id);
	f->dev = NULL;
}

static void
fifo_deliver(struct scanner_fifo *f, const uint8_t *r, size_t len)
{
	if (f->dev && f->cbs.on_report)
		f->cbs.on_report(f->cbs.arg, f->dev, f->id, r, len);
}

static void
fifo_bytes(struct scanner_fifo *f, const uint8_t *p, size_t n)
{
	if (!f->attached) {
		f->attached = 1;
		f->have = 0;
		f->dev = f->cbs.on_attach ? f->cbs.on_attach(f->cbs.arg, f->id) : NULL;
	}
	while (n > 0) {
		size_t take = sizeof f->buf - f->have;
		if (take > n)
			take = n;
		memcpy(f->buf + f->have, p, take);
		f->have += take;
		p += take;
		n -= take;
		if (f->have == sizeof f->buf) {
			f->have = 0;
			fifo_deliver(f, f->buf, sizeof f->buf);
		}
	}
}

/* The writer closed: hand over a trailing partial report (as the short
 * report it is), detach, and wait for the next writer. */
static void
fifo_eof(struct scanner_fifo *f)
{
	if (f->attached && f->have > 0)
		fifo_deliver(f, f->buf, f->have);
	fifo_detach(f);
	fifo_disarm(f);
	int rc = fifo_arm(f);
	if (rc < 0)
		log_warnx("scanner fifo %s: reopen: %s; fake scanner stops",
		    f->path, strerror(-rc));
}

static void
fifo_readable(struct loop *l, int fd, short revents, void *arg)
{
	struct scanner_fifo *f = arg;
	uint8_t chunk[4096];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n > 0) {
			fifo_bytes(f, chunk, (size_t)n);
			continue;
		}
		if (n == 0) {
			fifo_eof(f);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			log_warn("scanner fifo %s: read", f->path);
		return;
	}
}

int
scanner_fifo_open(struct scanner_fifo **out, struct loop *loop,
    const char *path, const struct scanner_cbs *cbs)
{
	struct scanner_fifo *f = NULL;
	struct stat st;
	int rc;

	if (mkfifo(path, 0600) < 0 && errno != EEXIST) {
		rc = -errno;
		goto fail;
	}
	if (stat(path, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISFIFO(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	rc = -ENOMEM;
	if (!(f = calloc(1, sizeof *f)) || !(f->path = strdup(path)))
		goto fail;
	f->loop = loop;
	f->cbs = *cbs;
	f->fd = -1;
	snprintf(f->id, sizeof f->id, "fifo:%s", path);
	if ((rc = fifo_arm(f)) < 0)
		goto fail;
	*out = f;
	return 0;
fail:
	if (f)
		free(f->path);
	free(f);
	return rc;
}

void
scanner_fifo_close(struct scanner_fifo *f)
{
	if (!f)
		return;
	fifo_detach(f);
	fifo_disarm(f);
	free(f->path);
	free(f);
}
