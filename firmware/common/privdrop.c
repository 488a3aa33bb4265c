/*
 * Dropping root after the open phase; see privdrop.h.
 */
#include "privdrop.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Deeper than any data folder notewelld makes; a bound against loops. */
#define MAX_DEPTH 32

int
privdrop_plan(const char *user, struct privdrop *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc;

	memset(p, 0, sizeof *p);
	if (geteuid() != 0 || user == NULL || user[0] == '\0')
		return 0;
	rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
	if (rc != 0)
		return -rc;
	if (res == NULL)
		return -ENOENT;
	if (pw.pw_uid == 0)
		return 0;	/* asked to stay root */
	if (strlen(user) >= sizeof p->name)
		return -ENAMETOOLONG;
	p->active = 1;
	p->uid = pw.pw_uid;
	p->gid = pw.pw_gid;
	snprintf(p->name, sizeof p->name, "%s", user);
	return 0;
}

static int chown_dir(const struct privdrop *p, int fd, int depth,
    const char *const *skip);

static int
skipped(const char *name, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (strcmp(name, *skip) == 0)
			return 1;
	return 0;
}

/* One entry of an open directory: recurse into directories, change
 * anything else in place. */
static int
chown_entry(const struct privdrop *p, int dfd, const char *name, int depth)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -errno;	/* gone meanwhile */
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		return chown_dir(p, fd, depth + 1, NULL);
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		log_warnx("%s has %ju links: not handing it to %s", name,
		    (uintmax_t)st.st_nlink, p->name);
		return 0;
	}
	if (st.st_uid == p->uid && st.st_gid == p->gid)
		return 0;
	return fchownat(dfd, name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

/* Takes ownership of fd. Entries of this directory named in skip are
 * left alone. */
static int
chown_dir(const struct privdrop *p, int fd, int depth, const char *const *skip)
{
	struct dirent *e;
	DIR *dh;
	int rc = 0;

	if (depth > MAX_DEPTH) {
		close(fd);
		return -ELOOP;
	}
	if (fchown(fd, p->uid, p->gid) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((dh = fdopendir(fd)) == NULL) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (rc == 0 && (e = readdir(dh)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    skipped(e->d_name, skip))
			continue;
		rc = chown_entry(p, dirfd(dh), e->d_name, depth);
	}
	closedir(dh);
	return rc;
}

int
privdrop_chown_tree(const struct privdrop *p, const char *dir)
{
	return privdrop_chown_tree_skip(p, dir, NULL);
}

int
privdrop_chown_tree_skip(const struct privdrop *p, const char *dir,
    const char *const *skip)
{
	int fd;

	if (!p->active)
		return 0;
	/* The folder itself may be a symlink the operator chose; below it
	 * nothing is followed. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	return chown_dir(p, fd, 0, skip);
}

int
privdrop_apply(const struct privdrop *p)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (!p->active)
		return 0;
	/* Groups first: once the uid is gone, so is the right to set them. */
	if (initgroups(p->name, p->gid) != 0 ||
	    setresgid(p->gid, p->gid, p->gid) != 0 ||
	    setresuid(p->uid, p->uid, p->uid) != 0)
		return -errno;
	/* No exec'd helper may gain what the daemon gave up. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return -errno;
	if (ru != p->uid || eu != p->uid || su != p->uid ||
	    rg != p->gid || eg != p->gid || sg != p->gid)
		return -EPERM;
	/* The proof: root cannot be taken back. */
	if (setuid(0) == 0 || setegid(0) == 0)
		return -EPERM;
	return 0;
}
