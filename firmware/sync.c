/*
 * Sync from the daemon's side: the worker process, its status, the setup
 * code path and the ctl command; see sync.h.
 */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "keys.h"
#include "log.h"
#include "privdrop.h"
#include "sandbox.h"
#include "syncproto.h"
#include "sync_journal.h"
#include "sync_worker.h"

#define CHILD_FD 3
#define STOP_WAIT_MS 3000

struct sync {
	pid_t pid;		/* the supervisor */
	int fd;
	struct loop *loop;
	struct config cfg;
	char dir[4096];
	struct minisign_key key;
	char key_id[17];
	char pubkey[64];
	json_t *status;		/* the worker's last report */
	int gone;		/* the supervisor exited */
	unsigned pending;	/* PENDING_*: to send at the next sync_flush */
};

#define PENDING_DATA 1u
#define PENDING_KICK 2u

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Dies with its parent; -1 if the parent is already gone. */
static int
die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		return -1;
	return getppid() == parent ? 0 : -1;
}

/* The supervisor: waits for "go", then keeps one worker running. */
static void __attribute__((noreturn))
supervise(struct sync *s)
{
	pid_t self = getpid(), w;
	char buf[64];
	int status, delay_s = 1;
	ssize_t n;

	/* Only "go" starts the worker: a nudge or kick sent before it (a
	 * journal write while the daemon still runs as root) must not start
	 * it before the data folder is handed to the worker's user. */
	do {
		while ((n = recv(CHILD_FD, buf, sizeof buf, 0)) < 0 && errno == EINTR)
			;
		if (n <= 0)
			_exit(0);
	} while (n != 2 || memcmp(buf, "go", 2) != 0);
	for (;;) {
		time_t started = time(NULL);
		if ((w = fork()) < 0) {
			log_warn("sync: fork");
		} else if (w == 0) {
			if (die_with_parent(self) != 0)
				_exit(0);
			_exit(syncw_main(&s->cfg, s->dir, CHILD_FD, &s->key));
		} else {
			while (waitpid(w, &status, 0) < 0 && errno == EINTR)
				;
			/* Exit 0: the daemon closed the socket, so we are done too. */
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				_exit(0);
			log_warnx("sync worker %s %d; restarting in %d s",
			    WIFSIGNALED(status) ? "killed by signal" : "exited with",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), delay_s);
		}
		if (time(NULL) - started > 60)
			delay_s = 1;
		sleep_ms((int64_t)delay_s * 1000);
		if (delay_s < 60)
			delay_s *= 2;
	}
}

static void
child_setup(int fd)
{
	sigset_t all;

	/* Only the socket stays open: not the daemon's lock, control socket
	 * or signalfd, so nothing of the daemon outlives it through us. */
	if (fd != CHILD_FD) {
		dup2(fd, CHILD_FD);
		close(fd);
	} else {
		fcntl(fd, F_SETFD, 0);
	}
	close_range(CHILD_FD + 1, ~0U, 0);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN);	/* a ^C on the terminal is for the daemon */
	signal(SIGPIPE, SIG_IGN);
	log_init("notewelld-sync", 0);
}

int
sync_start(struct sync **out, const struct config *cfg, const char *dir, char *err,
    size_t errlen)
{
	struct sync *s;
	char path[4200];
	int sv[2], rc;
	pid_t parent = getpid(), pid;

	*out = NULL;
	if (!(s = calloc(1, sizeof *s))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->fd = -1;
	s->cfg = *cfg;
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/sync", dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((rc = keys_load_or_create(dir, &s->key, err, errlen)) < 0)
		goto fail;
	minisign_keyid_hex(&s->key, s->key_id);
	minisign_public_b64(&s->key, s->pubkey, sizeof s->pubkey);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		rc = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		goto fail;
	}
	if ((pid = fork()) < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0) {
		struct privdrop pd;

		/* The network-facing side never runs as root: same user as
		 * the daemon becomes (privdrop.h), from the start. Before
		 * die_with_parent, because changing ids clears the
		 * parent-death signal. */
		if (privdrop_plan(s->cfg.user, &pd) == 0 && privdrop_apply(&pd) != 0)
			_exit(1);
		/* And writes only in the data folder, as the daemon (which
		 * warns when the kernel has no Landlock). */
		if ((rc = sandbox_confine(s->dir)) != 0 && rc != -EOPNOTSUPP)
			_exit(1);
		if (die_with_parent(parent) != 0)
			_exit(0);
		close(sv[0]);
		child_setup(sv[1]);
		supervise(s);
	}
	close(sv[1]);
	s->fd = sv[0];
	s->pid = pid;
	/* The key stays in the worker; the daemon only shows the public half. */
	sodium_memzero(s->key.sk, sizeof s->key.sk);
	*out = s;
	return 0;
fail:
	sodium_memzero(&s->key, sizeof s->key);
	free(s);
	return rc;
}

static void
on_status(struct loop *l, int fd, short revents, void *arg)
{
	struct sync *s = arg;
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	json_t *j;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_warnx("sync supervisor exited; sync is stopped until notewelld restarts");
		loop_del_fd(l, fd);
		s->gone = 1;
		return;
	}
	if ((j = json_loadb(buf, (size_t)n, 0, NULL)) != NULL && json_is_object(j)) {
		json_decref(s->status);
		s->status = j;
	} else {
		json_decref(j);
	}
}

int
sync_attach(struct sync *s, struct loop *l)
{
	int rc;

	if (!s)
		return 0;
	s->loop = l;
	if ((rc = loop_add_fd(l, s->fd, POLLIN, on_status, s)) != 0)
		return rc;
	if (send(s->fd, "go", 2, MSG_DONTWAIT | MSG_NOSIGNAL) != 2)
		return -errno;
	return 0;
}

/* New data in the journal: the worker sends it soon, gathering what comes
 * close together into one round (see sync_worker.c). */
void
sync_nudge(void *arg)
{
	struct sync *s = arg;

	/* Before sync_attach the worker is not running: nothing to nudge. */
	if (s && !s->gone && s->loop)
		s->pending |= PENDING_DATA;
}

void
sync_kick(struct sync *s)
{
	if (s && !s->gone)
		s->pending |= PENDING_KICK;
}

void
sync_flush(struct sync *s)
{
	if (!s || !s->pending)
		return;
	/* A full socket means a message is already waiting: nothing lost. */
	if (!s->gone)
		send(s->fd, s->pending & PENDING_KICK ? "kick" : "data", 4,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	s->pending = 0;
}

void
sync_stop(struct sync *s)
{
	int status;

	if (!s)
		return;
	if (s->loop && !s->gone)
		loop_del_fd(s->loop, s->fd);
	if (s->fd >= 0)
		close(s->fd);
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (int i = 0; i < STOP_WAIT_MS / 10; i++) {
			if (waitpid(s->pid, &status, WNOHANG) != 0)
				goto done;
			sleep_ms(10);
		}
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
	}
done:
	json_decref(s->status);
	free(s);
}

static json_t *
field(struct sync *s, const char *name)
{
	json_t *v = s && s->status ? json_object_get(s->status, name) : NULL;

	return v ? json_incref(v) : json_null();
}

int
sync_backlog_alarm(struct sync *s, struct journal *j, const char *dir,
    const struct nw_stamp *now)
{
	struct syncj_backlog b;

	if (!s || !s->status || !json_is_true(json_object_get(s->status, "enrolled")))
		return 0;
	if (syncj_backlog(j, dir, &b) != 0 || !b.oldest_wall_ns)
		return 0;
	return now->wall_ns - b.oldest_wall_ns > (int64_t)SYNC_BACKLOG_ALARM_S * 1000000000;
}

json_t *
sync_status_json(struct sync *s, struct journal *j, const char *dir,
    const struct nw_stamp *now)
{
	struct syncj_backlog b;
	json_t *r, *backlog;
	char when[40];
	int64_t ok_ns;

	if (syncj_backlog(j, dir, &b) == 0)
		backlog = json_pack("{s:I, s:I, s:I}", "records", (json_int_t)b.records,
		    "bytes", (json_int_t)b.bytes, "oldest_age_s",
		    (json_int_t)(b.oldest_wall_ns && now->wall_ns > b.oldest_wall_ns ?
		    (now->wall_ns - b.oldest_wall_ns) / 1000000000 : 0));
	else
		backlog = json_null();
	if (!s)
		return json_pack("{s:s, s:o}", "state", "unavailable", "backlog", backlog);
	r = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o}",
	    "state", s->gone ? "stopped" : s->status ?
	    json_string_value(json_object_get(s->status, "state")) : "starting",
	    "enrolled", field(s, "enrolled"), "host", field(s, "host"), "room", field(s, "room"),
	    "last_error", field(s, "last_error"), "enroll_error", field(s, "enroll_error"),
	    "failures", field(s, "failures"), "next_try_ms", field(s, "next_try_ms"),
	    "key_id", s->key_id, "public_key", s->pubkey, "backlog", backlog);
	ok_ns = json_integer_value(json_object_get(s->status, "last_ok_wall_ns"));
	if (r && ok_ns > 0 && nwtime_format(ok_ns, when, sizeof when) == 0)
		json_object_set_new(r, "last_ok", json_string(when));
	return r;
}

json_t *
sync_ctl(struct daemon *d, json_t *req)
{
	struct nw_stamp now;

	if (!d->sync)
		return ctl_error("sync is not running (see the daemon log)");
	sync_kick(d->sync);
	nwclock_now(&d->clock, &now);
	return json_pack("{s:b, s:o}", "ok", 1, "sync",
	    sync_status_json(d->sync, d->journal, d->dir, &now));
}

int
sync_setup_scan(struct daemon *d, const char *code, const char *source, char *msg,
    size_t msglen)
{
	struct syncproto_setup su;
	enum syncproto_err e;
	struct nw_stamp now;
	char path[4200], detail[512];
	int rc;

	nwclock_now(&d->clock, &now);
	e = syncproto_setup_parse(d->cfg.setup_prefix, code, &su);
	if (e != SYNCPROTO_OK) {
		/* Logged without the code: it may hold a live token. */
		snprintf(detail, sizeof detail, "source=%s reason=%s", source, syncproto_strerror(e));
		journal_event(d->journal, "setup-rejected", detail, &now);
		snprintf(msg, msglen, "Setup code not accepted: %s.", syncproto_strerror(e));
		snprintf(d->last_scan, sizeof d->last_scan, "Setup code not accepted");
		d->board.ack(&d->board, 0, msg);
		return -EINVAL;
	}
	snprintf(path, sizeof path, "%s/sync/%s", d->dir, SYNC_SETUP_FILE);
	if ((rc = minisign_write_file(path, code, strlen(code), 0600)) < 0) {
		snprintf(msg, msglen, "Could not keep the setup code (%s).", strerror(-rc));
		d->board.ack(&d->board, 0, msg);
		return rc;
	}
	snprintf(detail, sizeof detail, "source=%s url=%s", source, su.url);
	journal_event(d->journal, "setup-scanned", detail, &now);
	log_info("setup code scanned: enrolling with %s", su.url);
	sync_kick(d->sync);
	snprintf(msg, msglen, "Setup code read: enrolling with %s.", su.url);
	snprintf(d->last_scan, sizeof d->last_scan, "Setup code read");
	d->board.ack(&d->board, 1, msg);
	memset(&su, 0, sizeof su);
	return 0;
}
