/*
 * publish under failing writes: the Nth mkdir/fopen/fwrite/fclose/link/
 * write/fsync/syncfs/rename/renameat2 made by the host modules fails (EIO,
 * then ENOSPC), for N = 1.. until a run sees no fault. Each time the output
 * directory must hold exactly the old tree (publish failed) or exactly the
 * new one (publish succeeded; the tree is reproducible, so "exactly" is
 * byte for byte against a reference run), the signatures must verify, and
 * no temporary tree may be left next to it.
 *
 * The calls are swapped at link time (ld --wrap, see tests/san.mk), the
 * way mosquitto swaps collaborators in its unit tests: publish has no I/O
 * seam of its own and needs none for production. Faults are only injected
 * on streams that are real files, so an in-memory page (open_memstream)
 * never sees a write "fail" that leaves no error flag behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "minisign.h"
#include "publish.h"
#include "recorder.h"
#include "simfeed.h"
#include "store.h"

/* ---- the shim ---------------------------------------------------------- */

struct shim {
	int armed;
	int err;		/* errno to fail with */
	long fail_at, calls, injected;
	const char *hit_fn;	/* the call that was failed */
	FILE *files[64];	/* streams opened on real files, eligible */
};

static struct shim shim;	/* the linker gives the wrappers no context */

static int
shim_hit_fn(const char *fn)
{
	if (!shim.armed)
		return 0;
	if (++shim.calls != shim.fail_at)
		return 0;
	shim.injected++;
	shim.hit_fn = fn;
	errno = shim.err;
	return 1;
}

#define shim_hit() shim_hit_fn(__func__ + sizeof "__wrap_" - 1)

static int
shim_is_file(FILE *f)
{
	for (size_t i = 0; i < sizeof shim.files / sizeof *shim.files; i++)
		if (f != NULL && shim.files[i] == f)
			return 1;
	return 0;
}

static void
shim_track(FILE *f, int add)
{
	for (size_t i = 0; i < sizeof shim.files / sizeof *shim.files; i++) {
		if (add ? shim.files[i] == NULL : shim.files[i] == f) {
			shim.files[i] = add ? f : NULL;
			return;
		}
	}
	assert_false(add);
}

int __real_mkdir(const char *, mode_t);
int __real_link(const char *, const char *);
int __real_rename(const char *, const char *);
int __real_renameat2(int, const char *, int, const char *, unsigned);
int __real_syncfs(int);
int __real_fsync(int);
ssize_t __real_write(int, const void *, size_t);
FILE *__real_fopen(const char *, const char *);
size_t __real_fwrite(const void *, size_t, size_t, FILE *);
int __real_fclose(FILE *);

int __wrap_mkdir(const char *p, mode_t m);
int __wrap_link(const char *a, const char *b);
int __wrap_rename(const char *a, const char *b);
int __wrap_renameat2(int fa, const char *a, int fb, const char *b, unsigned fl);
int __wrap_syncfs(int fd);
int __wrap_fsync(int fd);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
FILE *__wrap_fopen(const char *p, const char *mode);
size_t __wrap_fwrite(const void *buf, size_t sz, size_t n, FILE *f);
int __wrap_fclose(FILE *f);

int
__wrap_mkdir(const char *p, mode_t m)
{
	return shim_hit() ? -1 : __real_mkdir(p, m);
}

int
__wrap_link(const char *a, const char *b)
{
	return shim_hit() ? -1 : __real_link(a, b);
}

int
__wrap_rename(const char *a, const char *b)
{
	return shim_hit() ? -1 : __real_rename(a, b);
}

int
__wrap_renameat2(int fa, const char *a, int fb, const char *b, unsigned fl)
{
	return shim_hit() ? -1 : __real_renameat2(fa, a, fb, b, fl);
}

/*
 * Durability is not what this test is about, and a syncfs per run costs
 * seconds on a disk shared with other work: while armed, a sync that is
 * not failed succeeds without syncing.
 */
int
__wrap_syncfs(int fd)
{
	if (shim.armed)
		return shim_hit() ? -1 : 0;
	return __real_syncfs(fd);
}

int
__wrap_fsync(int fd)
{
	if (shim.armed)
		return shim_hit() ? -1 : 0;
	return __real_fsync(fd);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	return shim_hit() ? -1 : __real_write(fd, buf, n);
}

FILE *
__wrap_fopen(const char *p, const char *mode)
{
	FILE *f;

	if (shim_hit())
		return NULL;
	if ((f = __real_fopen(p, mode)) != NULL && shim.armed)
		shim_track(f, 1);
	return f;
}

size_t
__wrap_fwrite(const void *buf, size_t sz, size_t n, FILE *f)
{
	if (shim_is_file(f) && shim_hit())
		return 0;
	return __real_fwrite(buf, sz, n, f);
}

/* A failing fclose still closes: the flush failed, the FILE is gone. */
int
__wrap_fclose(FILE *f)
{
	int real = shim_is_file(f), hit = real && shim_hit(), rc;

	if (real)
		shim_track(f, 0);
	rc = __real_fclose(f);
	if (hit) {
		errno = shim.err;
		return EOF;
	}
	return rc;
}

static void
shim_arm(int err, long n)
{
	memset(&shim, 0, sizeof shim);
	shim.err = err;
	shim.fail_at = n;
	shim.armed = 1;
}

/* ---- a meeting in a store ---------------------------------------------- */

static char top[256];

static const char *
tpath(const char *name)
{
	static char buf[4][512];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, 512, "%s/%s", top, name);
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

/* Two seconds of tone through our own recorder, as a box would send. */
static void
make_recording(const char *path)
{
	struct recorder_tags t = { .session_id = "ietf-1-1-tls", .part = 1 };
	struct recorder_result res;
	struct recorder *rec;
	int16_t pcm[960];

	assert_int_equal(recorder_open(path, NULL, &t, &rec), 0);
	for (int k = 0; k < 100; k++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = (int16_t)((k * 960 + i) % 96 * 200 - 9600);
		assert_int_equal(recorder_write(rec, pcm, 960), 0);
	}
	assert_int_equal(recorder_close(rec, &res), 0);
}

static void
feed(struct store *st, const char *scans, const char *recording)
{
	struct simfeed_opts o = { .recording = recording };
	char err[256];

	if (simfeed_run(st, scans, &o, err, sizeof err) != 0)
		fail_msg("simfeed: %s", err);
}

/* ---- trees ------------------------------------------------------------- */

/* Every directory and every file's SHA-256, sorted: two trees compare as
 * strings. "(absent)" when there is nothing at dir. In-process: a few
 * hundred runs cannot afford a shell each. */
struct lines {
	char **v;
	size_t n, cap, root;
};

static struct lines *walk;	/* nftw gives its callback no context */

static int
tree_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	char sha[65] = "", *line;

	if (type == FTW_F && publish_sha256_file(path, sha) != 0)
		return -1;
	if (type != FTW_F && type != FTW_D)
		return -1;
	if (asprintf(&line, "%s %s", path + walk->root, type == FTW_F ? sha : "dir") < 0)
		return -1;
	if (walk->n == walk->cap) {
		walk->cap = walk->cap ? 2 * walk->cap : 64;
		walk->v = realloc(walk->v, walk->cap * sizeof *walk->v);
		assert_non_null(walk->v);
	}
	walk->v[walk->n++] = line;
	return 0;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
tree(const char *dir)
{
	struct lines l = { .root = strlen(dir) };
	char *out = NULL;
	size_t len = 0;
	FILE *m;

	if (access(dir, F_OK) != 0)
		return strdup("(absent)");
	walk = &l;
	assert_int_equal(nftw(dir, tree_cb, 16, FTW_PHYS), 0);
	qsort(l.v, l.n, sizeof *l.v, line_cmp);
	assert_non_null(m = open_memstream(&out, &len));
	for (size_t i = 0; i < l.n; i++) {
		fprintf(m, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	fclose(m);
	free(l.v);
	return out;
}

/* Nothing but the output itself next to it: no OUT.tmp.PID left over. */
/* Open descriptors: a FILE left open on an error path is invisible to
 * LeakSanitizer (glibc keeps every FILE on a list), its descriptor is not. */
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

static int
leftovers(const char *out)
{
	char pat[600];
	glob_t g;
	int found;

	snprintf(pat, sizeof pat, "%s.tmp.*", out);
	found = glob(pat, 0, NULL, &g) == 0;
	globfree(&g);
	return found;
}

struct fx {
	struct store st;
	struct minisign_key key;
	char *old_tree, *new_tree;
};

static struct fx fx;

static int
setup(void **state)
{
	char err[256];
	struct publish_opts o = { .policy.min_group = PRIVACY_MIN_GROUP_DEFAULT };
	FILE *f;

	/* Hundreds of trees are written and hashed: on tmpfs that takes a
	 * second, on a shared disk several. */
	const char *base = getenv("TMPDIR");

	if (base == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(top, sizeof top, "%s/nwpubfault.XXXXXX", base);
	if (!mkdtemp(top) || sh("mkdir -p '%s/store'", top) != 0)
		return -1;
	if (store_open(&fx.st, tpath("store")) < 0 ||
	    import_agenda(&fx.st, "board/sim/sample/agenda.ics", err, sizeof err) < 0 ||
	    import_registrations(&fx.st, "board/sim/sample/registrations.csv", err, sizeof err) < 0)
		return -1;
	make_recording(tpath("tone.opus"));
	feed(&fx.st, "board/sim/sample/scans.txt", tpath("tone.opus"));
	if (publish_host_key(&fx.st, &fx.key) < 0)
		return -1;
	/* The old tree, kept aside as the reference for "publish failed". */
	o.out = tpath("old");
	if (publish_run(&fx.st, &fx.key, &o) < 0)
		return -1;
	fx.old_tree = tree(tpath("old"));
	/* New data arrives: one more attendee in the first session. */
	if (!(f = fopen(tpath("more.txt"), "w")))
		return -1;
	fputs("B1004\n", f);
	fclose(f);
	feed(&fx.st, tpath("more.txt"), NULL);
	o.out = tpath("new");
	if (publish_run(&fx.st, &fx.key, &o) < 0)
		return -1;
	fx.new_tree = tree(tpath("new"));
	return strcmp(fx.old_tree, fx.new_tree) != 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	free(fx.old_tree);
	free(fx.new_tree);
	store_close(&fx.st);
	if (getenv("NW_KEEP_TMP") == NULL)
		sh("rm -rf '%s'", top);
	return 0;
}

/*
 * Publishes over out (holding the old tree when replace) with the Nth call
 * failing, for N = 1.. until a run sees no fault.
 */
static void
sweep(int err, int replace)
{
	struct publish_opts o = { .policy.min_group = PRIVACY_MIN_GROUP_DEFAULT };
	char out[512], old[512];
	long n, faulted = 0;

	snprintf(out, sizeof out, "%s", tpath("out"));
	snprintf(old, sizeof old, "%s", tpath("old"));
	o.out = out;
	int holds_old = 0;

	assert_int_equal(sh("rm -rf '%s'", out), 0);
	for (n = 1; n < 100000; n++) {
		char *now;
		int rc, fds;

		/* A failed run left the old tree (checked below): reuse it. */
		if (replace && !holds_old)
			assert_int_equal(sh("rm -rf '%s' && cp -a '%s' '%s'", out, old, out), 0);
		if (!replace && access(out, F_OK) == 0)
			assert_int_equal(sh("rm -rf '%s'", out), 0);
		fds = open_fds();
		shim_arm(err, n);
		rc = publish_run(&fx.st, &fx.key, &o);
		shim.armed = 0;
		if (open_fds() != fds)
			fail_msg("fault at call %ld: %d descriptors open before, %d after",
			    n, fds, open_fds());
		now = tree(out);
		/* Not on disk, not published: a failed sync keeps the old tree. */
		if (rc == 0 && shim.hit_fn && strcmp(shim.hit_fn, "syncfs") == 0)
			fail_msg("fault at call %ld: syncfs failed and publish went on", n);
		if (rc == 0) {
			if (strcmp(now, fx.new_tree) != 0)
				fail_msg("fault at call %ld: publish succeeded but the tree "
				    "is not the new one:\n%s", n, now);
		} else {
			if (strcmp(now, replace ? fx.old_tree : "(absent)") != 0)
				fail_msg("fault at call %ld: publish failed (%s) and the "
				    "old tree was changed:\n%s", n, strerror(-rc), now);
		}
		free(now);
		holds_old = rc != 0;
		if (leftovers(out))
			fail_msg("fault at call %ld: a temporary tree was left beside %s", n, out);
		if (access(out, F_OK) == 0 && publish_verify(out, &fx.key) != 0)
			fail_msg("fault at call %ld: the tree does not verify", n);
		if (shim.injected == 0) {
			assert_int_equal(rc, 0);
			break;
		}
		faulted++;
	}
	print_message("# %s, %s: %ld faulted runs\n", strerror(err),
	    replace ? "replacing a tree" : "new output", faulted);
	assert_true(faulted > 10);
}

static void
test_eio_replace(void **state)
{
	sweep(EIO, 1);
}

static void
test_enospc_replace(void **state)
{
	sweep(ENOSPC, 1);
}

static void
test_eio_new(void **state)
{
	sweep(EIO, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eio_replace),
		cmocka_unit_test(test_enospc_replace),
		cmocka_unit_test(test_eio_new),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
