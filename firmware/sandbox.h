#ifndef NW_SANDBOX_H
#define NW_SANDBOX_H
/*
 * Landlock for notewelld, once the open phase is over (after privdrop).
 * Whoever the daemon runs as (the configured user, or root when that user
 * does not exist), the kernel then refuses it any write to the file system
 * outside a few folders: its data folder, /dev (framebuffer, ALSA and USB
 * nodes it may reopen on hotplug) and the temporary folders SQLite spills
 * to. Reading stays open: fonts, notices, the WAV source, CA certificates
 * live in many places and are not secret on the box. The restriction is
 * inherited by every process forked after it and can never be lifted.
 */

/* The kernel's Landlock ABI version, 0 when it has none (before 5.13, or
 * built without it, or disabled at boot). */
int sandbox_landlock_abi(void);

/*
 * Confines writes of this process (and its future children) to beneath
 * datadir, /dev, /tmp and /var/tmp (those that exist). Sets no_new_privs,
 * which Landlock requires. Returns 0, -EOPNOTSUPP when the kernel has no
 * Landlock (the caller warns and goes on), or -errno.
 */
int sandbox_confine(const char *datadir);

#endif
