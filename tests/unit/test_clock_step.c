/*
 * The clock seams the clock tests (tests/integration/clock.sh) rely on:
 * stepping the system clock's wall time leaves its monotonic time alone,
 * a virtual clock can be made from the boot id it replaces, and random
 * boot ids are well-formed and differ.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "nwtime.h"

#define NS 1000000000LL

static void
test_system_step(void **state)
{
	struct nw_clock c;
	struct nw_stamp a, b;
	int64_t t2000;

	(void)state;
	assert_int_equal(nwclock_system_init(&c), 0);
	c.force_synced = 1;
	assert_int_equal(nwtime_parse("2000-01-01T00:00:00Z", &t2000), 0);
	nwclock_now(&c, &a);
	nwclock_system_step(&c, t2000, 0);
	nwclock_now(&c, &b);
	/* Wall at 2000 (plus the instants between the two calls), not synced;
	 * monotonic time and boot untouched. */
	assert_true(b.wall_ns >= t2000 && b.wall_ns < t2000 + 5 * NS);
	assert_int_equal(b.synced, 0);
	assert_true(b.mono_ns >= a.mono_ns && b.mono_ns < a.mono_ns + 5 * NS);
	assert_string_equal(a.boot_id, b.boot_id);
	/* -1 keeps the synced flag; stepping forward again. */
	nwclock_system_step(&c, a.wall_ns, -1);
	nwclock_now(&c, &b);
	assert_int_equal(b.synced, 0);
	assert_true(b.wall_ns >= a.wall_ns && b.wall_ns < a.wall_ns + 5 * NS);
	nwclock_system_step(&c, a.wall_ns, 1);
	nwclock_now(&c, &b);
	assert_int_equal(b.synced, 1);
}

static void
test_fake_init_from_own_boot_id(void **state)
{
	struct nw_clock c;
	struct nw_stamp s;
	char id[NW_BOOT_ID_LEN + 1];

	(void)state;
	assert_int_equal(nwclock_system_init(&c), 0);
	memcpy(id, c.boot_id, sizeof id);
	/* The argument is the struct's own field, which init clears. */
	nwclock_fake_init(&c, c.boot_id, 42 * NS, 1);
	nwclock_now(&c, &s);
	assert_string_equal(s.boot_id, id);
	assert_int_equal(strlen(s.boot_id), NW_BOOT_ID_LEN);
	nwclock_fake_set_wall(&c, 7 * NS, 0);
	nwclock_now(&c, &s);
	assert_int_equal(s.wall_ns, 7 * NS);
	assert_int_equal(s.mono_ns, 1 * NS);
	assert_int_equal(s.synced, 0);
}

static void
test_random_boot_id(void **state)
{
	char a[NW_BOOT_ID_LEN + 1], b[NW_BOOT_ID_LEN + 1];

	(void)state;
	nwclock_random_boot_id(a);
	nwclock_random_boot_id(b);
	assert_int_equal(strlen(a), NW_BOOT_ID_LEN);
	assert_true(a[8] == '-' && a[13] == '-' && a[14] == '4' && a[18] == '-' && a[23] == '-');
	assert_string_not_equal(a, b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_step),
		cmocka_unit_test(test_fake_init_from_own_boot_id),
		cmocka_unit_test(test_random_boot_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
