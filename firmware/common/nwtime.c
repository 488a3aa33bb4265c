#include "nwtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static int64_t
ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The kernel clears STA_UNSYNC once NTP (or chrony, systemd-timesyncd) has
 * disciplined the clock; TIME_ERROR means it has not. */
static int
kernel_clock_synced(void)
{
	struct timex tx = { 0 };
	int st = adjtimex(&tx);

	return st != -1 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

static void
system_now(struct nw_clock *c, struct nw_stamp *s)
{
	memcpy(s->boot_id, c->boot_id, sizeof s->boot_id);
	s->mono_ns = ts_ns(CLOCK_BOOTTIME);
	s->wall_ns = ts_ns(CLOCK_REALTIME) + c->wall_offset_ns;
	s->synced = c->force_synced >= 0 ? c->force_synced : kernel_clock_synced();
}

static void
random_uuid(char *out)
{
	unsigned char b[16];

	randombytes_buf(b, sizeof b);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, NW_BOOT_ID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
	    b[11], b[12], b[13], b[14], b[15]);
}

int
nwclock_system_init(struct nw_clock *c)
{
	int fd;
	ssize_t n = -1;

	memset(c, 0, sizeof *c);
	c->now = system_now;
	c->force_synced = -1;
	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, c->boot_id, NW_BOOT_ID_LEN);
		close(fd);
	}
	if (n != NW_BOOT_ID_LEN) {
		if (sodium_init() < 0)
			return -EIO;
		random_uuid(c->boot_id);
	}
	c->boot_id[NW_BOOT_ID_LEN] = '\0';
	return 0;
}

static void
fake_now(struct nw_clock *c, struct nw_stamp *s)
{
	memcpy(s->boot_id, c->boot_id, sizeof s->boot_id);
	s->mono_ns = c->fake_mono_ns;
	s->wall_ns = c->fake_wall_ns;
	s->synced = c->fake_synced;
}

void
nwclock_fake_init(struct nw_clock *c, const char *boot_id, int64_t wall_ns, int synced)
{
	char id[NW_BOOT_ID_LEN + 1];

	/* boot_id may be c->boot_id itself: copy before clearing. */
	snprintf(id, sizeof id, "%s", boot_id);
	memset(c, 0, sizeof *c);
	c->now = fake_now;
	memcpy(c->boot_id, id, sizeof id);
	c->fake_mono_ns = 1000000000;
	c->fake_wall_ns = wall_ns;
	c->fake_synced = synced;
}

void
nwclock_fake_advance(struct nw_clock *c, int64_t ns)
{
	c->fake_mono_ns += ns;
	c->fake_wall_ns += ns;
}

void
nwclock_system_step(struct nw_clock *c, int64_t wall_ns, int synced)
{
	c->wall_offset_ns = wall_ns - ts_ns(CLOCK_REALTIME);
	if (synced >= 0)
		c->force_synced = synced;
}

void
nwclock_random_boot_id(char out[NW_BOOT_ID_LEN + 1])
{
	if (sodium_init() < 0)
		abort();	/* no randomness: nothing else would work either */
	random_uuid(out);
}

void
nwclock_fake_set_wall(struct nw_clock *c, int64_t wall_ns, int synced)
{
	c->fake_wall_ns = wall_ns;
	c->fake_synced = synced;
}

int
nwtime_format(int64_t wall_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(wall_ns / 1000000000);
	int64_t ms = (wall_ns % 1000000000) / 1000000;
	struct tm tm;

	if (wall_ns < 0) {	/* floor division for times before 1970 */
		sec -= 1;
		ms += 1000;
		if (ms == 1000) {
			sec += 1;
			ms = 0;
		}
	}
	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	if (snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)ms) >= (int)len)
		return -ENOSPC;
	return 0;
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -EINVAL;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int
nwtime_parse(const char *s, int64_t *wall_ns)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 100000000;
	const char *p = s;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) ||
	    *p++ != ':' || digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	/* timegm normalises 31 February into March: reject such dates. */
	struct tm back;
	if (!gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return -EINVAL;
	t -= sign * (oh * 3600 + om * 60);
	/* Only 1900..2099: the nanosecond count of any such time, and the
	 * difference of any two of them plus a roll of hours, fits an int64
	 * (year 9999 would not even fit on its own; found by fuzz_schedule). */
	if (t < NWTIME_PARSE_MIN_S || t >= NWTIME_PARSE_END_S)
		return -ERANGE;
	*wall_ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

int64_t
nwtime_diff_ns(const struct nw_stamp *a, const struct nw_stamp *b)
{
	if (strcmp(a->boot_id, b->boot_id) == 0)
		return a->mono_ns - b->mono_ns;
	return a->wall_ns - b->wall_ns;
}
