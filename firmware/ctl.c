#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CTL_MAX_CLIENTS 16
#define CTL_CLIENT_TIMEOUT_MS 2000

struct ctl_client {
	int fd;
	size_t len;
	long timer;
	char buf[CTL_MAX_REQUEST];
};

struct ctl {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler handler;
	void *arg;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

json_t *
ctl_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static void
client_drop(struct ctl *c, int slot)
{
	struct ctl_client *cl = c->clients[slot];

	loop_del_fd(c->loop, cl->fd);
	if (cl->timer > 0)
		loop_del_timer(c->loop, cl->timer);
	close(cl->fd);
	free(cl);
	c->clients[slot] = NULL;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { fd, POLLOUT, 0 };
				if (poll(&pfd, 1, CTL_CLIENT_TIMEOUT_MS) <= 0)
					return -ETIMEDOUT;
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
client_answer(struct ctl *c, int slot)
{
	struct ctl_client *cl = c->clients[slot];
	json_error_t jerr;
	json_t *req, *reply;
	const char *cmd;
	char *out;

	req = json_loadb(cl->buf, cl->len, 0, &jerr);
	if (!req || !json_is_object(req))
		reply = ctl_error("request is not a JSON object: %s", req ? "wrong type" : jerr.text);
	else if (!(cmd = json_string_value(json_object_get(req, "cmd"))))
		reply = ctl_error("request has no \"cmd\"");
	else
		reply = c->handler(c->arg, cmd, req);
	if (!reply)
		reply = ctl_error("internal error");
	out = json_dumps(reply, JSON_COMPACT);
	if (out) {
		write_all(cl->fd, out, strlen(out));
		write_all(cl->fd, "\n", 1);
	}
	free(out);
	json_decref(reply);
	json_decref(req);
	client_drop(c, slot);
}

static void
client_read(struct loop *l, int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	int slot;

	for (slot = 0; slot < CTL_MAX_CLIENTS; slot++)
		if (c->clients[slot] && c->clients[slot]->fd == fd)
			break;
	if (slot == CTL_MAX_CLIENTS)
		return;
	struct ctl_client *cl = c->clients[slot];
	ssize_t n = read(fd, cl->buf + cl->len, sizeof cl->buf - cl->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(c, slot);
		return;
	}
	cl->len += (size_t)n;
	char *nl = memchr(cl->buf, '\n', cl->len);
	if (nl) {
		cl->len = (size_t)(nl - cl->buf);
		client_answer(c, slot);
	} else if (cl->len == sizeof cl->buf) {
		log_warnx("control request over %d bytes dropped", CTL_MAX_REQUEST);
		client_drop(c, slot);
	}
}

static void
client_timeout(struct loop *l, void *arg)
{
	struct ctl_client *cl = arg;

	/* The timer fired, so it is gone; the drop below must not delete it. */
	cl->timer = 0;
	shutdown(cl->fd, SHUT_RDWR);
}

static void
ctl_accept(struct loop *l, int fd, short revents, void *arg)
{
	struct ctl *c = arg;
	int cfd, slot;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	for (slot = 0; slot < CTL_MAX_CLIENTS && c->clients[slot]; slot++)
		;
	struct ctl_client *cl = slot < CTL_MAX_CLIENTS ? calloc(1, sizeof *cl) : NULL;
	if (!cl) {
		close(cfd);
		return;
	}
	cl->fd = cfd;
	if (loop_add_fd(l, cfd, POLLIN, client_read, c) != 0) {
		close(cfd);
		free(cl);
		return;
	}
	c->clients[slot] = cl;
	/* A client that never finishes its line is hung up on; its read then
	 * sees EOF and the slot is freed. */
	cl->timer = loop_add_timer(l, CTL_CLIENT_TIMEOUT_MS, client_timeout, cl);
}

static int
socket_path(const char *dir, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, CTL_SOCKET) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int
ctl_open(struct loop *l, const char *dir, ctl_handler h, void *arg, struct ctl **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl *c;
	int rc;

	if (!(c = calloc(1, sizeof *c)))
		return -ENOMEM;
	c->loop = l;
	c->handler = h;
	c->arg = arg;
	c->fd = -1;
	if ((rc = socket_path(dir, c->path, sizeof c->path)) != 0)
		goto fail;
	memcpy(sa.sun_path, c->path, sizeof c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* We hold the data folder's lock, so a socket file left here is stale. */
	unlink(c->path);
	mode_t old = umask(0117);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(c->path, 0660) != 0 || listen(c->fd, 8) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = loop_add_fd(l, c->fd, POLLIN, ctl_accept, c)) != 0)
		goto fail;
	*out = c;
	return 0;
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}

void
ctl_close(struct ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (c->clients[i])
			client_drop(c, i);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c);
}

json_t *
ctl_call(const char *dir, json_t *req, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *out = NULL, buf[65536];
	size_t len = 0;
	json_error_t jerr;
	json_t *reply = NULL;
	int fd = -1;

	if (socket_path(dir, sa.sun_path, sizeof sa.sun_path) != 0) {
		snprintf(err, errlen, "%s: path too long for a socket", dir);
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		snprintf(err, errlen, "cannot reach notewelld at %s: %s (is it running with --data %s?)",
		    sa.sun_path, strerror(errno), dir);
		goto out;
	}
	out = json_dumps(req, JSON_COMPACT);
	if (!out || write_all(fd, out, strlen(out)) != 0 || write_all(fd, "\n", 1) != 0) {
		snprintf(err, errlen, "cannot send request: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf)
			break;
	}
	reply = json_loadb(buf, len, 0, &jerr);
	if (!reply)
		snprintf(err, errlen, "bad reply from notewelld: %s", jerr.text);
out:
	free(out);
	if (fd >= 0)
		close(fd);
	return reply;
}
