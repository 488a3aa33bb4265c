#ifndef NW_PRIVDROP_H
#define NW_PRIVDROP_H
/*
 * Least privilege, for the box and the host. notewelld started as root (the qemu image's init, a
 * hand-started sim box) opens what may need root first: its data folder,
 * control socket, scanner, ALSA device and framebuffer. Then it becomes the
 * configured user (config key `user`, "notewell" by default) for everything
 * else: badge parsing, sync, the journal. The user's own groups (audio,
 * plugdev, video) keep device hotplug and reopening working afterwards.
 * Started as any other user (the rpi4 systemd unit has User=notewell),
 * nothing changes. The host's `notewell serve` does the same after binding
 * its port and reading its TLS key (host-tools/synccmd.c).
 */
#include <sys/types.h>

struct privdrop {
	int active;		/* root now; become uid/gid at privdrop_apply */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/*
 * Plans the drop: active only when the effective uid is 0 and user names
 * an existing account other than root (naming root keeps root). Returns 0 (p filled, maybe
 * inactive), -ENOENT if running as root and the user does not exist (p
 * inactive: the caller says so), or another -errno from the lookup.
 */
int privdrop_plan(const char *user, struct privdrop *p);

/*
 * Hands dir and everything under it to the user, so what the open phase
 * created as root stays writable. Symlinks are changed themselves, never
 * followed; a regular file with more than one link is left alone (a hard
 * link planted in the folder must not hand over a file from elsewhere).
 * No-op when inactive. Returns 0 or the first -errno.
 */
int privdrop_chown_tree(const struct privdrop *p, const char *dir);
/*
 * The same, except that the entries of dir itself named in skip (a NULL
 * terminated list) are left to their owner, with whatever is below them:
 * the host keeps its signing and TLS keys out of the served user's reach.
 */
int privdrop_chown_tree_skip(const struct privdrop *p, const char *dir,
    const char *const *skip);

/*
 * Becomes the user for good: the user's supplementary groups, then the
 * group, then the user (real, effective and saved ids), no new privileges,
 * and a check that root cannot be taken back. No-op when inactive.
 * Returns 0 or -errno (-EPERM if root could be regained).
 */
int privdrop_apply(const struct privdrop *p);

#endif
