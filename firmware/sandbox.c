/*
 * Landlock through its raw system calls (there is no library in Debian);
 * see sandbox.h.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

/* Newer than the uapi headers Debian 12 ships (ABI 3, Linux 6.2). */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* Everything that changes the file system; reading and executing are left
 * alone on purpose (sandbox.h). */
#define WRITES_V1 (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM)

static int
ll_create(const struct landlock_ruleset_attr *attr, size_t size, uint32_t flags)
{
	return (int)syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

int
sandbox_landlock_abi(void)
{
	int v = ll_create(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : v;
}

/* Allows access beneath path. A folder that does not exist is skipped: a
 * box without /var/tmp loses nothing by it. */
static int
allow(int ruleset, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb;
	int rc = 0;

	memset(&pb, 0, sizeof pb);
	pb.allowed_access = access;
	if ((pb.parent_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (syscall(__NR_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
		rc = -errno;
	close(pb.parent_fd);
	return rc;
}

int
sandbox_confine(const char *datadir)
{
	static const char *const tmp[] = { "/tmp", "/var/tmp", NULL };
	struct landlock_ruleset_attr attr;
	uint64_t writes = WRITES_V1, dev;
	int abi, fd = -1, rc;

	if ((abi = sandbox_landlock_abi()) <= 0)
		return -EOPNOTSUPP;
	/* Rename and link across folders (2), truncate (3): handled from the
	 * version that knows them, or they would stay unrestricted. */
	if (abi >= 2)
		writes |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		writes |= LANDLOCK_ACCESS_FS_TRUNCATE;
	/* Device nodes are opened for writing, never created or removed. */
	dev = writes & (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE);
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = writes;
	if ((fd = ll_create(&attr, sizeof attr, 0)) < 0)
		return -errno;
	if ((rc = allow(fd, datadir, writes)) != 0 || (rc = allow(fd, "/dev", dev)) != 0)
		goto out;
	for (const char *const *t = tmp; *t; t++)
		if ((rc = allow(fd, *t, writes)) != 0)
			goto out;
	/* Without no_new_privs only CAP_SYS_ADMIN may restrict itself; the
	 * daemon wants it anyway, root or not. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(__NR_landlock_restrict_self, fd, 0) != 0) {
		rc = -errno;
		goto out;
	}
	log_info("landlock (ABI %d): writes only beneath %s, /dev, /tmp, /var/tmp",
	    abi, datadir);
	rc = 0;
out:
	close(fd);
	return rc;
}
