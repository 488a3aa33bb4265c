/*
 * privdrop: who the daemon becomes, the data folder handed over without
 * following links out of it, and a dropped process that cannot write
 * outside it or take root back. The parts that need root (a chown, a real
 * drop in a child) skip when the tests do not run as root; the user is
 * "nobody", which every Debian system has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privdrop.h"

static char dir[64];

static int
setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/nwpriv.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct passwd *
nobody(void)
{
	const struct passwd *pw = getpwnam("nobody");

	if (pw == NULL || pw->pw_uid == 0)
		skip();
	return pw;
}

static void
test_plan(void **state)
{
	struct privdrop p;

	assert_int_equal(privdrop_plan("", &p), 0);
	assert_false(p.active);
	if (geteuid() != 0) {
		/* Not root: there is nothing to drop, whatever is asked. */
		assert_int_equal(privdrop_plan("nobody", &p), 0);
		assert_false(p.active);
		return;
	}
	assert_int_equal(privdrop_plan("root", &p), 0);
	assert_false(p.active);
	assert_int_equal(privdrop_plan("nw-no-such-user-4711", &p), -ENOENT);
	assert_false(p.active);
	const struct passwd *pw = nobody();
	assert_int_equal(privdrop_plan("nobody", &p), 0);
	assert_true(p.active);
	assert_int_equal(p.uid, pw->pw_uid);
	assert_int_equal(p.gid, pw->pw_gid);
	assert_string_equal(p.name, "nobody");
}

static void
owner(const char *path, uid_t *uid, gid_t *gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	*uid = st.st_uid;
	*gid = st.st_gid;
}

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int i;
	char *b = buf[i++ % 4];

	snprintf(b, 256, "%s/%s", dir, name);
	return b;
}

static void
test_chown_tree(void **state)
{
	struct privdrop p;
	uid_t u, outside_u;
	gid_t g, outside_g;
	int fd;

	if (geteuid() != 0)
		skip();
	nobody();
	assert_int_equal(privdrop_plan("nobody", &p), 0);
	assert_int_equal(mkdir(at("box"), 0750), 0);
	assert_int_equal(mkdir(at("box/recordings"), 0750), 0);
	assert_true((fd = open(at("box/journal.db"), O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(at("box/recordings/a.opus"), O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	assert_int_equal(mkfifo(at("box/scanner.fifo"), 0600), 0);
	/* Something outside the folder, root's: a symlink and a hard link
	 * to it inside the folder must not hand it over. */
	assert_true((fd = open(at("outside"), O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	assert_int_equal(symlink(at("outside"), at("box/link")), 0);
	assert_int_equal(link(at("outside"), at("box/hardlink")), 0);
	owner(at("outside"), &outside_u, &outside_g);

	assert_int_equal(privdrop_chown_tree(&p, at("box")), 0);
	static const char *mine[] = { "box", "box/recordings", "box/journal.db",
	    "box/recordings/a.opus", "box/scanner.fifo", "box/link" };
	for (size_t i = 0; i < sizeof mine / sizeof *mine; i++) {
		owner(at(mine[i]), &u, &g);
		if (u != p.uid || g != p.gid)
			fail_msg("%s is %d:%d, not the user's", mine[i], (int)u, (int)g);
	}
	owner(at("outside"), &u, &g);
	assert_int_equal(u, outside_u);
	assert_int_equal(g, outside_g);
	/* Inactive (not root or no user): nothing is touched. */
	struct privdrop none = { 0 };
	assert_int_equal(privdrop_chown_tree(&none, "/nonexistent"), 0);
}

/* In a child: drop, then try what the daemon must no longer be able to do.
 * Exit codes say which check failed. */
static int
dropped_child(const struct privdrop *p)
{
	gid_t groups[64];
	int n, fd;

	/* Start from what a root daemon may have: root's group on the list. */
	groups[0] = 0;
	if (setgroups(1, groups) != 0)
		return 9;
	if (privdrop_apply(p) != 0)
		return 10;
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid)
		return 11;
	if ((n = getgroups(64, groups)) < 0)
		return 12;
	for (int i = 0; i < n; i++)
		if (groups[i] == 0)
			return 13;		/* root's group kept */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 14;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 15;
	/* Outside the data folder: neither a new file nor an existing one. */
	if ((fd = open(at("outside-new"), O_CREAT | O_WRONLY, 0644)) >= 0 || errno != EACCES)
		return 16;
	if ((fd = open(at("outside"), O_WRONLY)) >= 0 || errno != EACCES)
		return 17;
	if ((fd = open("/etc/nw-privdrop-test", O_CREAT | O_WRONLY, 0644)) >= 0)
		return 18;
	/* Inside it: the daemon's work goes on. */
	if ((fd = open(at("box/journal.db"), O_WRONLY | O_APPEND)) < 0 ||
	    write(fd, "x", 1) != 1)
		return 19;
	close(fd);
	if ((fd = open(at("box/recordings/b.opus"), O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0)
		return 20;
	close(fd);
	return 0;
}

static void
test_apply(void **state)
{
	struct privdrop p;
	int status, fd;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	nobody();
	assert_int_equal(privdrop_plan("nobody", &p), 0);
	/* The scratch dir is root's 0700: let the user reach the folder. */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(mkdir(at("box"), 0750), 0);
	assert_int_equal(mkdir(at("box/recordings"), 0750), 0);
	assert_true((fd = open(at("box/journal.db"), O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(at("outside"), O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	assert_int_equal(privdrop_chown_tree(&p, at("box")), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(dropped_child(&p));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("dropped child failed check %d", WEXITSTATUS(status));
	assert_int_equal(access("/etc/nw-privdrop-test", F_OK), -1);
	/* And the parent, which did not drop, is still root. */
	assert_int_equal(geteuid(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test_setup_teardown(test_chown_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
