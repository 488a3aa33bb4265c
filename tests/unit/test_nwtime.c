#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "nwtime.h"

static void
test_format(void **st)
{
	char buf[40];

	assert_int_equal(nwtime_format(0, buf, sizeof buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(nwtime_format(1742205600123456789LL, buf, sizeof buf), 0);
	assert_string_equal(buf, "2025-03-17T10:00:00.123Z");
	assert_int_equal(nwtime_format(-1000000LL, buf, sizeof buf), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_not_equal(nwtime_format(0, buf, 10), 0);
}

static void
test_parse(void **st)
{
	int64_t t;

	assert_int_equal(nwtime_parse("2025-03-17T10:00:00Z", &t), 0);
	assert_int_equal(t, 1742205600LL * 1000000000);
	assert_int_equal(nwtime_parse("2025-03-17T11:30:00+01:30", &t), 0);
	assert_int_equal(t, 1742205600LL * 1000000000);
	assert_int_equal(nwtime_parse("2025-03-17T05:00:00.5-05:00", &t), 0);
	assert_int_equal(t, 1742205600LL * 1000000000 + 500000000);
	/* round trip */
	char buf[40];
	assert_int_equal(nwtime_format(t, buf, sizeof buf), 0);
	int64_t back;
	assert_int_equal(nwtime_parse(buf, &back), 0);
	assert_int_equal(back, t);
}

static void
test_parse_bad(void **st)
{
	const char *bad[] = { "", "2025-03-17", "2025-03-17T10:00:00", "2025-02-30T10:00:00Z",
		"2025-13-01T00:00:00Z", "2025-03-17T24:00:00Z", "2025-03-17T10:00:00+0100",
		"2025-03-17T10:00:00Zjunk", "2025-03-17T10:00:00.Z", "abcd-ef-ghTij:kl:mnZ",
		/* Out of range: their nanoseconds overflowed an int64 (fuzz_schedule). */
		"4232-07-20T07:50:00.000Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
		"2100-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "1900-01-01T00:30:00+01:00" };
	int64_t t = 42;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (nwtime_parse(bad[i], &t) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(t, 42);
	/* The ends of the range are still times. */
	assert_int_equal(nwtime_parse("1900-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, NWTIME_PARSE_MIN_S * 1000000000);
	assert_int_equal(nwtime_parse("2099-12-31T23:59:59.999999999Z", &t), 0);
	assert_int_equal(t, NWTIME_PARSE_END_S * 1000000000 - 1);
}

static void
test_fake_clock_and_diff(void **st)
{
	struct nw_clock c;
	struct nw_stamp a, b;

	nwclock_fake_init(&c, "boot-a", 1000, 0);
	nwclock_now(&c, &a);
	nwclock_fake_advance(&c, 2500);
	/* The wall clock jumping back (NTP correcting) must not change the
	 * duration measured on the monotonic clock within one boot. */
	nwclock_fake_set_wall(&c, 10, 1);
	nwclock_now(&c, &b);
	assert_int_equal(nwtime_diff_ns(&b, &a), 2500);
	assert_true(b.synced);
	/* Across boots only the wall clock can relate the two. */
	snprintf(b.boot_id, sizeof b.boot_id, "boot-b");
	assert_int_equal(nwtime_diff_ns(&b, &a), 10 - 1000);
}

static void
test_system_clock(void **st)
{
	struct nw_clock c;
	struct nw_stamp a, b;

	assert_int_equal(nwclock_system_init(&c), 0);
	assert_int_equal(strlen(c.boot_id), NW_BOOT_ID_LEN);
	c.force_synced = 1;
	nwclock_now(&c, &a);
	nwclock_now(&c, &b);
	assert_true(b.mono_ns >= a.mono_ns);
	assert_true(a.wall_ns > 1600000000LL * 1000000000);
	assert_int_equal(a.synced, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_fake_clock_and_diff),
		cmocka_unit_test(test_system_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
