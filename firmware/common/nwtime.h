#ifndef NW_TIME_H
#define NW_TIME_H
/*
 * Timestamps. Pi-class boards have no RTC: the wall clock may be wrong until
 * NTP syncs it, so every record carries the boot id, the monotonic time
 * (which orders events within a boot), the wall time and whether the wall
 * clock was synced. The host uses the pair to correct unsynced times later.
 */
#include <stdint.h>
#include <stddef.h>

#define NW_BOOT_ID_LEN 36

struct nw_stamp {
	char boot_id[NW_BOOT_ID_LEN + 1];
	int64_t mono_ns;
	int64_t wall_ns;
	int synced;
};

/* A clock source; the system one or a fake one in tests and the sim board. */
struct nw_clock {
	void (*now)(struct nw_clock *, struct nw_stamp *);
	void *arg;
	char boot_id[NW_BOOT_ID_LEN + 1];
	/* Fake/virtual clock state (used by nwclock_fake_*). */
	int64_t fake_mono_ns, fake_wall_ns;
	int fake_synced;
	/* For the system clock: -1 asks the kernel (adjtimex), 0/1 overrides. */
	int force_synced;
	/* For the system clock: added to CLOCK_REALTIME (sim board tests that
	 * step the wall clock; 0 otherwise). */
	int64_t wall_offset_ns;
};

/* Reads /proc/sys/kernel/random/boot_id; falls back to a random id. */
int nwclock_system_init(struct nw_clock *);
void nwclock_fake_init(struct nw_clock *, const char *boot_id, int64_t wall_ns, int synced);
void nwclock_fake_advance(struct nw_clock *, int64_t ns);
void nwclock_fake_set_wall(struct nw_clock *, int64_t wall_ns, int synced);
/* System clock: from now on reads wall_ns for the current instant (an offset
 * to CLOCK_REALTIME, the monotonic clock untouched); synced 0/1 overrides
 * the synced flag, -1 keeps it. For the sim board. */
void nwclock_system_step(struct nw_clock *, int64_t wall_ns, int synced);
/* A fresh random boot id: a virtual clock is a monotonic domain of its own. */
void nwclock_random_boot_id(char out[NW_BOOT_ID_LEN + 1]);
static inline void nwclock_now(struct nw_clock *c, struct nw_stamp *s) { c->now(c, s); }

/* RFC 3339 UTC with milliseconds: "2026-11-22T12:00:00.000Z". buf >= 32. */
int nwtime_format(int64_t wall_ns, char *buf, size_t len);
/* Parses RFC 3339 with Z or a numeric offset; fraction optional. 0, -EINVAL,
 * or -ERANGE outside [NWTIME_PARSE_MIN_S, NWTIME_PARSE_END_S) (1900-01-01 to
 * 2100-01-01 UTC). */
#define NWTIME_PARSE_MIN_S (-2208988800LL)
#define NWTIME_PARSE_END_S 4102444800LL
int nwtime_parse(const char *s, int64_t *wall_ns);
/* Difference a-b in ns when both stamps are from the same boot; else uses wall. */
int64_t nwtime_diff_ns(const struct nw_stamp *a, const struct nw_stamp *b);

#endif
