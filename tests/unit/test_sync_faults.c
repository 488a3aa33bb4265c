/*
 * Sync upload under failing I/O, both ends in one process: the host's real
 * server (receive_run, libmicrohttpd with TLS on 127.0.0.1) in a thread,
 * the box's real sync worker (syncw_round, libcurl) in the main thread,
 * uploading a box's session: its records, a recording streamed in signed
 * segments, finish, the signed manifest.
 *
 * One call fails, the Nth, for N = 1.. until a whole run sees no fault:
 *   - host: the Nth pwrite/write, fsync/fdatasync, ftruncate/truncate or
 *     rename made by the host's code (server thread), or the Nth
 *     xWrite/xSync/xTruncate of the host's store (a wrapping SQLite VFS);
 *   - box: the Nth read/pread of the recording file, or the Nth
 *     xWrite/xSync/xTruncate of the box's journal.
 * The box then does what its worker does: another round, from what the
 * host says it holds, until a round finds nothing left to send. After every
 * round, nothing the box marked synced may be missing at the host (same
 * record hash; a recording stored, whole, with the same SHA-256). After
 * every run: no crash, no leak (san stage) and no descriptor left open;
 * the journal and the host store pass integrity_check; the host holds the
 * recording exactly once, complete, and its file's SHA-256 is the box's;
 * no part file is left in incoming/.
 *
 * The file calls are swapped at link time (ld --wrap, see tests/san.mk), as
 * tests/unit/test_publish_faults.c does; only calls from the host's threads
 * count on the host side and only reads of the recording (by inode) on the
 * box side, so each side fails exactly what it owns. The calls stay counted
 * through the retries, so the fault lands wherever call N falls: in the
 * first round or in a resume.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>
#include <sodium.h>
#include <sqlite3.h>

#include "audio.h"
#include "badge.h"
#include "config.h"
#include "daemon.h"
#include "journal.h"
#include "keys.h"
#include "receive.h"
#include "recorder.h"
#include "recording.h"
#include "store.h"
#include "sync_worker.h"
#include "syncstore.h"
#include "tlscert.h"
#include "fault_vfs.h"

enum side { SIDE_HOST = 1, SIDE_BOX = 2 };

/* ---- the shim (file calls) and the VFS (SQLite) share one counter ---- */

struct shim {
	int side;		/* 0: not armed */
	int full;		/* ENOSPC / SQLITE_FULL on writes, else EIO */
	long fail_at, calls, injected;
	char hit[48];		/* the call that was failed */
	pthread_t box_thread;	/* the main thread: the box */
	dev_t rec_dev;		/* the box's recording */
	ino_t rec_ino;
	char host_dir[512], box_dir[512];
};

static struct shim shim;	/* the linker gives the wrappers no context */
static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

/* 1 when this call is the one to fail (errno set). */
static int
shim_hit(int side, const char *fn, int is_write)
{
	int hit = 0;

	pthread_mutex_lock(&shim_lock);
	if (shim.side == side && (!shim.full || is_write) && ++shim.calls == shim.fail_at) {
		shim.injected++;
		snprintf(shim.hit, sizeof shim.hit, "%s", fn);
		hit = 1;
	}
	pthread_mutex_unlock(&shim_lock);
	if (hit)
		errno = shim.full ? ENOSPC : EIO;
	return hit;
}

/* Host code runs in the server's threads, never in the box's. */
static int
host_call(const char *fn, int is_write)
{
	return !pthread_equal(pthread_self(), shim.box_thread) &&
	    shim_hit(SIDE_HOST, fn, is_write);
}

static int
box_read(int fd, const char *fn)
{
	struct stat sb;

	if (shim.side != SIDE_BOX || fstat(fd, &sb) != 0 ||
	    sb.st_ino != shim.rec_ino || sb.st_dev != shim.rec_dev)
		return 0;
	return shim_hit(SIDE_BOX, fn, 0);
}

ssize_t __real_pwrite(int, const void *, size_t, off_t);
ssize_t __real_write(int, const void *, size_t);
int __real_fsync(int);
int __real_fdatasync(int);
int __real_ftruncate(int, off_t);
int __real_truncate(const char *, off_t);
int __real_rename(const char *, const char *);
ssize_t __real_read(int, void *, size_t);
ssize_t __real_pread(int, void *, size_t, off_t);

ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_ftruncate(int fd, off_t len);
int __wrap_truncate(const char *path, off_t len);
int __wrap_rename(const char *a, const char *b);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off);

ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return host_call("pwrite", 1) ? -1 : __real_pwrite(fd, buf, n, off);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	return host_call("write", 1) ? -1 : __real_write(fd, buf, n);
}

int
__wrap_fsync(int fd)
{
	struct stat sb;

	/* Named apart: a folder's fsync fails after a rename, once the
	 * file is in its place (see check_end). */
	return host_call(fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode) ? "fsync(dir)" : "fsync", 0) ?
	    -1 : __real_fsync(fd);
}

int
__wrap_fdatasync(int fd)
{
	return host_call("fdatasync", 0) ? -1 : __real_fdatasync(fd);
}

int
__wrap_ftruncate(int fd, off_t len)
{
	return host_call("ftruncate", 0) ? -1 : __real_ftruncate(fd, len);
}

int
__wrap_truncate(const char *path, off_t len)
{
	return host_call("truncate", 0) ? -1 : __real_truncate(path, len);
}

int
__wrap_rename(const char *a, const char *b)
{
	return host_call("rename", 0) ? -1 : __real_rename(a, b);
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	return box_read(fd, "read") ? -1 : __real_read(fd, buf, n);
}

ssize_t
__wrap_pread(int fd, void *buf, size_t n, off_t off)
{
	return box_read(fd, "pread") ? -1 : __real_pread(fd, buf, n, off);
}

/* The real stderr: the host's log goes to a file (setup), a failure's
 * reason must still be seen. */
static int log_fd = -1;

#define bad(...) do { \
	char bad_msg_[1024]; \
	snprintf(bad_msg_, sizeof bad_msg_, __VA_ARGS__); \
	if (log_fd >= 0) \
		dprintf(log_fd, "# %s\n", bad_msg_); \
	fail_msg("%s", bad_msg_); \
} while (0)

/* ---- the VFS (fault_vfs.h): the store's and the journal's files ---- */

static int
under(const char *name, const char *dir)
{
	size_t n = strlen(dir);

	return name && n && strncmp(name, dir, n) == 0 && name[n] == '/';
}

static int
vfs_side(void *arg, const char *name)
{
	(void)arg;
	return under(name, shim.host_dir) ? SIDE_HOST : under(name, shim.box_dir) ? SIDE_BOX : 0;
}

static int
vfs_fail(void *arg, int side, enum faultvfs_op op)
{
	static const char *const what[] = { "sqlite xWrite", "sqlite xSync", "sqlite xTruncate" };

	(void)arg;
	if (!side || !shim_hit(side, what[op], op == FAULTVFS_WRITE))
		return SQLITE_OK;
	switch (op) {
	case FAULTVFS_WRITE: return shim.full ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	case FAULTVFS_SYNC: return SQLITE_IOERR_FSYNC;
	case FAULTVFS_TRUNCATE: return SQLITE_IOERR_TRUNCATE;
	}
	return SQLITE_IOERR;
}

static void
fault_vfs_install(void)
{
	/* Default VFS: the store and the journal open through it unchanged. */
	assert_int_equal(faultvfs_install(vfs_fail, vfs_side, NULL), 0);
}

/* ---- helpers ----------------------------------------------------------- */

static char top[256];

static const char *
tpath(const char *fmt, ...)
{
	static char buf[8][700];
	static int i;
	char *p = buf[i++ % 8], rel[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	snprintf(p, 700, "%s/%s", top, rel);
	return p;
}

static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* The run's folders, afresh from the template: in-process, as a shell per
 * run costs more than the run under the sanitizers. */
static const char *copy_src, *copy_dst;	/* nftw gives its callback no context */

static int
copy_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	char dst[1400], buf[65536];
	ssize_t n;
	int in, out, rc = 0;

	snprintf(dst, sizeof dst, "%s%s", copy_dst, path + strlen(copy_src));
	if (type == FTW_D)
		return mkdir(dst, sb->st_mode & 07777) == 0 ? 0 : -1;
	if (type != FTW_F)
		return -1;
	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, sb->st_mode & 07777)) < 0) {
		close(in);
		return -1;
	}
	while ((n = __real_read(in, buf, sizeof buf)) > 0)
		if (__real_write(out, buf, (size_t)n) != n)
			rc = -1;
	close(in);
	close(out);
	return n < 0 ? -1 : rc;
}

static void
tree_copy(const char *src, const char *dst)
{
	copy_src = src;
	copy_dst = dst;
	assert_int_equal(nftw(src, copy_cb, 16, FTW_PHYS), 0);
}

static int
remove_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
tree_remove(const char *dir)
{
	if (access(dir, F_OK) == 0)
		assert_int_equal(nftw(dir, remove_cb, 16, FTW_PHYS | FTW_DEPTH), 0);
}

/* Descriptors open in this process: a file left open on an error path is
 * a leak LeakSanitizer does not see. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
file_sha256(const char *path, char hex[65])
{
	crypto_hash_sha256_state h;
	uint8_t buf[65536], out[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	hex[0] = '\0';
	if (fd < 0)
		return;
	crypto_hash_sha256_init(&h);
	while ((n = __real_read(fd, buf, sizeof buf)) > 0)
		crypto_hash_sha256_update(&h, buf, (size_t)n);
	close(fd);
	crypto_hash_sha256_final(&h, out);
	sodium_bin2hex(hex, 65, out, sizeof out);
}

static int
sf_write_wav(const char *path, const int16_t *pcm, size_t frames)
{
	SF_INFO info = { .samplerate = 48000, .channels = 1,
	    .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16 };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
	sf_count_t n;

	if (sf == NULL)
		return -1;
	n = sf_writef_short(sf, pcm, (sf_count_t)frames);
	sf_close(sf);
	return n == (sf_count_t)frames ? 0 : -1;
}

/* A connection for checking, through the real VFS: never faulted. */
static sqlite3 *
db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, "unix") != SQLITE_OK)
		bad("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static char *
db_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		bad("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out ? out : strdup("");
}

static long long
db_int(sqlite3 *db, const char *sql)
{
	char *t = db_text(db, sql);
	long long v = strtoll(t, NULL, 10);

	free(t);
	return v;
}

/* ---- the box and the host, made once ------------------------------------ */

struct fx {
	struct config cfg;
	char box_id[64];
	char rec_rel[256];	/* the recording, relative to the box folder */
	char rec_sha[65];
	long long rec_bytes;
	int port;
	int fds;		/* descriptors open between runs */
};

static struct fx fx;

static int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
board_ack(struct board *b, int ok, const char *msg)
{
}

/*
 * Twelve seconds of noise through our own recorder: an Opus file of a few
 * segments of 16 KiB (the daemon's recording of the session, which this
 * test cannot pump audio into without its loop, is replaced by it).
 */
static void
make_recording(const char *path, struct recorder_result *res)
{
	struct recorder_tags t = { .session_id = "s-sync-fault", .part = 1 };
	struct recorder *rec;
	int16_t pcm[960];
	uint32_t x = 12345;

	assert_int_equal(recorder_open(path, NULL, &t, &rec), 0);
	for (int k = 0; k < 600; k++) {
		for (int i = 0; i < 960; i++) {
			x = x * 1103515245 + 12345;
			pcm[i] = (int16_t)(((int)(x >> 16) & 0x3fff) - 0x2000);
		}
		assert_int_equal(recorder_write(rec, pcm, 960), 0);
	}
	assert_int_equal(recorder_close(rec, res), 0);
}

/* What notewelld does for scans and a recorded session, minus its loop:
 * two scans, a session with a recording and a scan in it. */
static void
make_box(const char *dir)
{
	struct daemon d;
	struct minisign_key key;
	struct recorder_result res;
	char err[256], msg[256], sql[512];
	sqlite3 *db;
	char *t;

	memset(&d, 0, sizeof d);
	config_defaults(&d.cfg);
	d.cfg.disk_reserve_mb = 0;
	snprintf(d.dir, sizeof d.dir, "%s", dir);
	assert_int_equal(sh("mkdir -p '%s'", dir), 0);
	d.board.ack = board_ack;
	assert_int_equal(badge_config_init(&d.badge, (size_t)d.cfg.badge_min_len,
	    (size_t)d.cfg.badge_max_len, d.cfg.badge_charset, d.cfg.setup_prefix,
	    (size_t)d.cfg.badge_max_run), BADGE_VALID);
	nwclock_fake_init(&d.clock, "11111111-2222-3333-4444-555555555555",
	    1795420800LL * 1000000000, 1);
	if (journal_open(dir, &d.journal, err, sizeof err) != 0)
		bad("journal_open: %s", err);
	if (keys_load_or_create(dir, &key, err, sizeof err) != 0)
		bad("keys: %s", err);
	snprintf(d.notice_id, sizeof d.notice_id, "privacy@3");
	memset(d.notice_sha256, 'a', 64);
	/* A file source with nothing read from it: session_open records. */
	{
		struct audio_format fmt = { 48000, 1 };
		int16_t pcm[960] = { 0 };
		char spec[600];

		assert_int_equal(sf_write_wav(tpath("silence.wav"), pcm, 960), 0);
		snprintf(spec, sizeof spec, "file:%s", tpath("silence.wav"));
		assert_int_equal(audio_open(spec, AUDIO_PACE_FAST, &fmt, &d.audio), 0);
	}
	assert_int_equal(bluesheet_scan(&d, "SYN-0001", "test", msg, sizeof msg), 0);
	nwclock_fake_advance(&d.clock, 1000000000);
	if (session_open(&d, "s-sync-fault", "Sync under faults", "manual", 1, err,
	    sizeof err) != 0)
		bad("session_open: %s", err);
	assert_int_equal(bluesheet_scan(&d, "SYN-0002", "test", msg, sizeof msg), 0);
	nwclock_fake_advance(&d.clock, 12000000000LL);
	if (session_close(&d, err, sizeof err) != 0)
		bad("session_close: %s", err);
	assert_int_equal(bluesheet_scan(&d, "SYN-0003", "test", msg, sizeof msg), 0);
	snprintf(fx.box_id, sizeof fx.box_id, "%s", journal_device_id(d.journal));
	audio_close(d.audio);
	journal_close(d.journal);
	sodium_memzero(&key, sizeof key);

	db = db_open(tpath("tpl/box/journal.db"));
	t = db_text(db, "SELECT path FROM recordings WHERE state = 'finished'");
	snprintf(fx.rec_rel, sizeof fx.rec_rel, "%s", t);
	free(t);
	sqlite3_close(db);
	assert_true(fx.rec_rel[0] != '\0');
	/* The real thing's size, sealed in the journal as the recorder would. */
	assert_int_equal(sh("rm -f '%s/%s'", dir, fx.rec_rel), 0);
	make_recording(tpath("tpl/box/%s", fx.rec_rel), &res);
	snprintf(fx.rec_sha, sizeof fx.rec_sha, "%s", res.sha256_hex);
	snprintf(sql, sizeof sql, "UPDATE recordings SET sha256 = '%s', bytes = %llu,"
	    " duration_ns = %llu WHERE state = 'finished'", res.sha256_hex,
	    (unsigned long long)res.bytes, (unsigned long long)(res.seconds * 1e9));
	if (sqlite3_open_v2(tpath("tpl/box/journal.db"), &db, SQLITE_OPEN_READWRITE, "unix") !=
	    SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		bad("cannot seal the recording: %s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* A host that enrolled the box (the token spent as POST /v1/enroll would),
 * and the box's note of it. */
static void
make_host(const char *dir, const char *boxdir)
{
	struct store st;
	struct minisign_key key;
	char err[256], pub[128], pin[SYNCPROTO_PIN_B64 + 1], room[64];
	FILE *f;

	assert_int_equal(sh("mkdir -p '%s'", dir), 0);
	assert_int_equal(store_open(&st, dir), 0);
	if (tlscert_create(dir, "127.0.0.1", err, sizeof err) != 0)
		bad("tlscert: %s", err);
	if (keys_load_or_create(boxdir, &key, err, sizeof err) != 0)
		bad("keys: %s", err);
	minisign_public_b64(&key, pub, sizeof pub);
	sodium_memzero(&key, sizeof key);
	assert_int_equal(syncstore_token_add(&st, "tok", "Room F", "https://127.0.0.1", 1,
	    1LL << 40), 0);
	assert_int_equal(syncstore_token_redeem(&st, "tok", fx.box_id, pub, "box", 2, room,
	    sizeof room), 0);
	store_close(&st);
	assert_int_equal(tlscert_pin_file(tpath("tpl/host/" TLSCERT_CERT), pin), 0);
	assert_int_equal(sh("mkdir -p -m 700 '%s'", tpath("tpl/box/sync")), 0);
	assert_non_null(f = fopen(tpath("tpl/box/sync/host.json"), "w"));
	fprintf(f, "{\"url\":\"https://127.0.0.1:%d\",\"pin\":\"%s\",\"room\":\"Room F\"}\n",
	    fx.port, pin);
	fclose(f);
}

/* ---- one run ------------------------------------------------------------ */

struct server {
	pthread_t th;
	struct store st;
	int rc;
};

static void *
server_main(void *arg)
{
	struct server *s = arg;
	struct receive_opts o;

	receive_defaults(&o);
	o.addr = "127.0.0.1";
	o.port = fx.port;
	s->rc = receive_run(&s->st, &o);
	/* Never listened: end the line server_start waits for. */
	if (s->rc != 0)
		__real_write(1, "\n", 1);
	return NULL;
}

/*
 * The server says "listening on ..." on stdout once it serves: that line
 * is the signal to go on (read from a pipe, no polling), and it must not
 * land in the TAP output.
 */
static void
server_start(struct server *s, const char *dir)
{
	int p[2], out = dup(1);
	char c = 0;

	assert_int_equal(store_open(&s->st, dir), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(stdout);
	dup2(p[1], 1);
	close(p[1]);
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
	while (__real_read(p[0], &c, 1) == 1 && c != '\n')
		;
	fflush(stdout);
	dup2(out, 1);
	close(out);
	close(p[0]);
	assert_int_equal(c, '\n');
}

static void
server_stop(struct server *s)
{
	pthread_kill(s->th, SIGTERM);
	pthread_join(s->th, NULL);
	store_close(&s->st);
	assert_int_equal(s->rc, 0);
}

/* What a failed run left running (cmocka jumps out of it), stopped before
 * the next one so one failure does not fail every test after it. */
static struct server *live_srv;
static struct syncw *live_w;

static void
leftovers_stop(void)
{
	pthread_mutex_lock(&shim_lock);
	shim.side = 0;
	pthread_mutex_unlock(&shim_lock);
	syncw_close(live_w);
	live_w = NULL;
	if (live_srv) {
		pthread_kill(live_srv->th, SIGTERM);
		pthread_join(live_srv->th, NULL);
		store_close(&live_srv->st);
		live_srv = NULL;
	}
}

/* Nothing the box calls synced is missing at the host: every record with
 * the hash the box holds, every recording stored whole with its hash. */
static void
check_marks(const char *what, int round)
{
	sqlite3 *db = db_open(tpath("run/box/journal.db"));
	sqlite3_stmt *st = NULL;
	char sql[1024];

	snprintf(sql, sizeof sql, "ATTACH '%s' AS h", tpath("run/host/host.db"));
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		bad("%s: %s", what, sqlite3_errmsg(db));
	snprintf(sql, sizeof sql,
	    "SELECT y.kind, y.ref_id FROM sync_state y WHERE y.kind NOT IN ('recording', 'manifest')"
	    " AND NOT EXISTS (SELECT 1 FROM h.box_records b WHERE b.device_id = '%s'"
	    "  AND b.kind = y.kind AND b.sha256 = y.acked_sha256)"
	    " UNION ALL SELECT 'recording', y.ref_id FROM sync_state y WHERE y.kind = 'recording'"
	    " AND y.acked_sha256 IS NOT NULL"
	    " AND NOT EXISTS (SELECT 1 FROM h.recordings r WHERE r.device_id = '%s'"
	    "  AND r.sha256 = y.acked_sha256 AND r.bytes = y.acked_bytes)"
	    " UNION ALL SELECT 'manifest', y.ref_id FROM sync_state y WHERE y.kind = 'manifest'"
	    " AND NOT EXISTS (SELECT 1 FROM h.box_manifests m WHERE m.device_id = '%s'"
	    "  AND m.sha256 = y.acked_sha256)", fx.box_id, fx.box_id, fx.box_id);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		bad("%s: %s", what, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		bad("%s, after round %d: the box marked %s %lld synced; the host does not "
		    "hold it with that hash", what, round, sqlite3_column_text(st, 0),
		    (long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
check_integrity(const char *path, const char *what)
{
	sqlite3 *db = db_open(path);
	char *t = db_text(db, "PRAGMA integrity_check");

	if (strcmp(t, "ok") != 0)
		bad("%s: %s: integrity_check says %s", what, path, t);
	free(t);
	sqlite3_close(db);
}

/* Once the run is over: everything arrived once, intact. */
static void
check_end(const char *what)
{
	sqlite3 *db = db_open(tpath("run/host/host.db"));
	char sql[512], *rel, sha[65];
	glob_t g;

	check_integrity(tpath("run/box/journal.db"), what);
	check_integrity(tpath("run/host/host.db"), what);
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM recordings WHERE device_id = '%s'"
	    " AND sha256 = '%s'", fx.box_id, fx.rec_sha);
	if (db_int(db, sql) != 1)
		bad("%s: the host holds the recording %lld times", what, db_int(db, sql));
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM box_uploads WHERE device_id = '%s'"
	    " AND sha256 = '%s' AND completed_at IS NOT NULL", fx.box_id, fx.rec_sha);
	if (db_int(db, sql) != 1)
		bad("%s: the upload is not complete exactly once", what);
	snprintf(sql, sizeof sql, "SELECT path FROM recordings WHERE sha256 = '%s'", fx.rec_sha);
	rel = db_text(db, sql);
	file_sha256(tpath("run/host/%s", rel), sha);
	if (strcmp(sha, fx.rec_sha) != 0)
		bad("%s: the host's copy %s hashes to '%s', not %s", what, rel, sha,
		    fx.rec_sha);
	free(rel);
	sqlite3_close(db);
	/* The box calls it all synced, and the marks hold (checked per round). */
	db = db_open(tpath("run/box/journal.db"));
	if (db_int(db, "SELECT COUNT(*) FROM sync_state WHERE kind = 'recording'"
	    " AND acked_sha256 IS NOT NULL") != 1)
		bad("%s: the box does not have the recording marked synced", what);
	if (db_int(db, "SELECT COUNT(*) FROM sync_state WHERE kind = 'manifest'") != 1)
		bad("%s: the box does not have the manifest marked sent", what);
	if (db_int(db, "SELECT COUNT(*) FROM scans s WHERE NOT EXISTS (SELECT 1 FROM"
	    " sync_state y WHERE y.kind = 'scan' AND y.ref_id = s.id)") != 0)
		bad("%s: the box does not have every scan marked synced", what);
	sqlite3_close(db);
	/* A folder's fsync that fails after the recording was moved into place
	 * costs a finish again, never the recording sent again. */
	if (strcmp(shim.hit, "fsync(dir)") == 0) {
		db = db_open(tpath("run/host/host.db"));
		snprintf(sql, sizeof sql, "SELECT received_bytes FROM box_uploads WHERE"
		    " device_id = '%s' AND sha256 = '%s'", fx.box_id, fx.rec_sha);
		if (db_int(db, sql) != fx.rec_bytes)
			bad("%s: the host received %lld bytes of a %lld-byte recording", what,
			    db_int(db, sql), fx.rec_bytes);
		sqlite3_close(db);
	}
	if (glob(tpath("run/host/incoming/*/*.part"), 0, NULL, &g) == 0) {
		globfree(&g);
		bad("%s: a part file was left in incoming/", what);
	}
	globfree(&g);
}

#define MAX_ROUNDS 8

/* Uploads from the box's state to the host's with call n of side failing;
 * 1 when a fault was injected. */
static int
run(enum side side, int full, long n, long *rounds_out)
{
	static struct server srv;
	struct minisign_key key;
	struct syncw *w = NULL;
	struct stat sb;
	char what[128], err[256];
	int rc = -1, round, fds;

	leftovers_stop();
	memset(&srv, 0, sizeof srv);
	tree_remove(tpath("run"));
	tree_copy(tpath("tpl"), tpath("run"));
	fds = open_fds();
	snprintf(what, sizeof what, "%s %s fault at call %ld", side == SIDE_HOST ? "host" : "box",
	    full ? "disk-full" : "I/O", n);
	assert_int_equal(stat(tpath("run/box/%s", fx.rec_rel), &sb), 0);
	server_start(&srv, tpath("run/host"));
	live_srv = &srv;
	if (keys_load_or_create(tpath("run/box"), &key, err, sizeof err) != 0)
		bad("keys: %s", err);
	assert_int_equal(syncw_open(&fx.cfg, tpath("run/box"), -1, &key, &w), 0);
	live_w = w;

	pthread_mutex_lock(&shim_lock);
	shim.rec_dev = sb.st_dev;
	shim.rec_ino = sb.st_ino;
	shim.full = full;
	shim.fail_at = n;
	shim.calls = shim.injected = 0;
	shim.hit[0] = '\0';
	shim.side = side;
	pthread_mutex_unlock(&shim_lock);

	for (round = 1; round <= MAX_ROUNDS; round++) {
		rc = syncw_round(w);
		check_marks(what, round);
		/* A disk error is not a refusal: the box must never be told it
		 * was revoked (it would ask for a new setup code). */
		if (strcmp(syncw_state(w), "refused") == 0)
			bad("%s, round %d: the box was told it is refused", what, round);
		if (rc == 0)
			break;
	}
	syncw_close(w);
	live_w = NULL;
	sodium_memzero(&key, sizeof key);
	live_srv = NULL;
	server_stop(&srv);
	pthread_mutex_lock(&shim_lock);
	shim.side = 0;
	pthread_mutex_unlock(&shim_lock);

	if (shim.injected)
		snprintf(what + strlen(what), sizeof what - strlen(what), " (%s)", shim.hit);
	if (rc != 0)
		bad("%s: still not synced after %d rounds", what, MAX_ROUNDS);
	if (open_fds() != fds)
		bad("%s: %d descriptors open before, %d after", what, fds, open_fds());
	check_end(what);
	if (rounds_out)
		*rounds_out = round;
	return shim.injected > 0;
}

static void
sweep(enum side side, int full)
{
	long n, faulted = 0, rounds, retried = 0;

	for (n = 1; n < 5000; n++) {
		if (!run(side, full, n, &rounds)) {
			/* Past the last call: one clean round did it all. */
			assert_int_equal(rounds, 1);
			break;
		}
		faulted++;
		retried += rounds > 1;
	}
	print_message("# %s, %s: %ld faulted runs (%ld needed another round), clean at "
	    "call %ld\n", side == SIDE_HOST ? "host" : "box", full ? "disk full" : "I/O error",
	    faulted, retried, n);
	assert_true(faulted > 5);
	assert_true(retried > 0);
}

static void
test_host_eio(void **state)
{
	sweep(SIDE_HOST, 0);
}

/*
 * Under AddressSanitizer (the san stage) a sweep costs ten times as much,
 * mostly in its allocator behind TLS and libcurl; the disk-full sweeps take
 * the same error paths as the I/O ones with another code, so there only
 * the I/O sweeps run (main leaves the others out: a skipped test reads as
 * a failure in the san stage's TAP). The normal build runs all four.
 */
static void __attribute__((unused))
test_host_enospc(void **state)
{
	sweep(SIDE_HOST, 1);
}

static void
test_box_eio(void **state)
{
	sweep(SIDE_BOX, 0);
}

static void __attribute__((unused))
test_box_enospc(void **state)
{
	sweep(SIDE_BOX, 1);
}

/* ---- setup -------------------------------------------------------------- */

static int
setup(void **state)
{
	const char *base = getenv("TMPDIR");
	sigset_t set;
	long rounds;

	if (sodium_init() < 0)
		return -1;
	/* Hundreds of runs copy and hash a store and a journal: on tmpfs. */
	if (base == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(top, sizeof top, "%s/nwsyncfault.XXXXXX", base);
	if (!mkdtemp(top))
		return -1;
	/* The host's log is hundreds of lines a sweep: to a file, kept with
	 * NW_KEEP_TMP. */
	if (getenv("NW_SYNC_FAULTS_VERBOSE") == NULL) {
		fflush(stderr);
		log_fd = dup(2);
		int fd = open(tpath("log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		dup2(fd, 2);
		close(fd);
	}
	/* receive_run takes SIGTERM with sigwait; no other thread may get it. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	shim.box_thread = pthread_self();
	snprintf(shim.host_dir, sizeof shim.host_dir, "%s", tpath("run/host"));
	snprintf(shim.box_dir, sizeof shim.box_dir, "%s", tpath("run/box"));
	fault_vfs_install();

	config_defaults(&fx.cfg);
	fx.cfg.sync_chunk_kb = 16;	/* the smallest: a few segments */
	fx.cfg.retention_free_mb = 0;
	fx.cfg.clock_synced = 1;
	fx.port = free_port();
	make_box(tpath("tpl/box"));
	make_host(tpath("tpl/host"), tpath("tpl/box"));
	{
		struct stat sb;
		assert_int_equal(stat(tpath("tpl/box/%s", fx.rec_rel), &sb), 0);
		fx.rec_bytes = sb.st_size;
	}
	/* A clean run first: the setup works, and libraries that open files
	 * once (TLS, curl) have done so before descriptors are counted. */
	run(0, 0, 0, &rounds);
	print_message("# recording of %lld bytes (%lld segments of 16 KiB)\n", fx.rec_bytes,
	    (fx.rec_bytes + 16383) / 16384);
	return 0;
}

static int
teardown(void **state)
{
	leftovers_stop();
	if (log_fd >= 0) {
		fflush(stderr);
		dup2(log_fd, 2);
		close(log_fd);
	}
	if (getenv("NW_KEEP_TMP") == NULL)
		sh("rm -rf '%s'", top);
	else
		fprintf(stderr, "# kept %s\n", top);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_eio),
		cmocka_unit_test(test_box_eio),
#ifndef __SANITIZE_ADDRESS__
		cmocka_unit_test(test_host_enospc),
		cmocka_unit_test(test_box_enospc),
#endif
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
