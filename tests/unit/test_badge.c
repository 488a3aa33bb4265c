/* Badge code validation and setup-code routing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "badge.h"

static struct badge_config
cfg_default(void)
{
	struct badge_config c;

	assert_int_equal(badge_config_init(&c, BADGE_DEFAULT_MIN_LEN,
	    BADGE_DEFAULT_MAX_LEN, NULL, NULL, 0), BADGE_VALID);
	return c;
}

static enum badge_status
check(const struct badge_config *c, const char *s)
{
	return badge_check(c, s, strlen(s), NULL);
}

static void
test_valid_badges(void **state)
{
	struct badge_config c = cfg_default();

	assert_int_equal(check(&c, "IETF-123456"), BADGE_VALID);
	assert_int_equal(check(&c, "abcd"), BADGE_VALID);
	assert_int_equal(check(&c, "0000"), BADGE_VALID);
	char max[BADGE_DEFAULT_MAX_LEN + 1];
	memset(max, 'A', BADGE_DEFAULT_MAX_LEN);
	max[BADGE_DEFAULT_MAX_LEN] = '\0';
	assert_int_equal(check(&c, max), BADGE_VALID);
}

static void
test_length_bounds(void **state)
{
	struct badge_config c = cfg_default();
	char big[BADGE_DEFAULT_MAX_LEN + 2];

	assert_int_equal(check(&c, ""), BADGE_EMPTY);
	assert_int_equal(badge_check(&c, NULL, 0, NULL), BADGE_EMPTY);
	assert_int_equal(check(&c, "abc"), BADGE_TOO_SHORT);
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(check(&c, big), BADGE_TOO_LONG);
}

static void
test_charset_and_junk(void **state)
{
	struct badge_config c = cfg_default();

	assert_int_equal(check(&c, "abc def"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "abc;drop"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "asdf!@#$"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "abc\tdef"), BADGE_BINARY);
	assert_int_equal(check(&c, "abc\x7f"), BADGE_BINARY);
	assert_int_equal(check(&c, "abc\xc3\xa4xyz"), BADGE_BINARY);
	/* An embedded NUL: the length says more than the string does. */
	assert_int_equal(badge_check(&c, "abcd\0efg", 8, NULL), BADGE_BINARY);
}

static void
test_custom_charset(void **state)
{
	struct badge_config c;

	assert_int_equal(badge_config_init(&c, 6, 6, "0-9", "", 0), BADGE_VALID);
	assert_int_equal(check(&c, "123456"), BADGE_VALID);
	assert_int_equal(check(&c, "12345a"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "12345"), BADGE_TOO_SHORT);
	assert_int_equal(check(&c, "1234567"), BADGE_TOO_LONG);

	assert_int_equal(badge_config_init(&c, 1, 10, "-A-C_\\-x\\\\", "", 0),
	    BADGE_VALID);
	assert_int_equal(check(&c, "-ABC_x\\"), BADGE_VALID);
	assert_int_equal(check(&c, "D"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "a"), BADGE_BAD_CHAR);

	assert_int_equal(badge_config_init(&c, 1, 10, "A-Z0-9-", "", 0),
	    BADGE_VALID);
	assert_int_equal(check(&c, "AB-9"), BADGE_VALID);
	assert_int_equal(check(&c, "ab-9"), BADGE_BAD_CHAR);
}

static void
test_repeat_limit(void **state)
{
	struct badge_config c;

	assert_int_equal(badge_config_init(&c, 4, 64, NULL, NULL, 5), BADGE_VALID);
	assert_int_equal(check(&c, "A00000B"), BADGE_VALID);
	assert_int_equal(check(&c, "A000000B"), BADGE_REPEAT);
	assert_int_equal(check(&c, "jjjjjjjjjjjjjjjjjjjj"), BADGE_REPEAT);
}

static void
test_bad_config_leaves_cfg(void **state)
{
	struct badge_config c = cfg_default(), before = c;
	char longprefix[BADGE_SETUP_PREFIX_MAX + 2];

	memset(longprefix, 'P', sizeof longprefix - 1);
	longprefix[sizeof longprefix - 1] = '\0';
	assert_int_equal(badge_config_init(&c, 0, 10, NULL, NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 11, 10, NULL, NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, BADGE_SETUP_MAX_LEN + 1, NULL,
	    NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "Z-A", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "A-\t", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "\x01", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "abc\\", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, "\xe4", NULL, 0), BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, NULL, longprefix, 0),
	    BADGE_CONFIG);
	assert_int_equal(badge_config_init(&c, 1, 10, NULL, "NW SETUP:", 0),
	    BADGE_CONFIG);
	assert_memory_equal(&c, &before, sizeof c);
}

static void
test_setup_codes(void **state)
{
	struct badge_config c = cfg_default();
	const char *payload = NULL;
	const char *s = "NWSETUP:https://host.example:8443/enroll?t=Ab12&fp=SHA256:xyz";

	assert_int_equal(badge_check(&c, s, strlen(s), &payload), BADGE_SETUP);
	assert_ptr_equal(payload, s + strlen(BADGE_DEFAULT_SETUP_PREFIX));
	/* Setup codes skip the badge charset and length, not the junk checks. */
	assert_int_equal(check(&c, "NWSETUP:"), BADGE_SETUP_BAD);
	assert_int_equal(check(&c, "NWSETUP:a b"), BADGE_SETUP_BAD);
	assert_int_equal(check(&c, "NWSETUP:\x01"), BADGE_BINARY);
	/* The prefix is case-sensitive, and a near miss is an ordinary
	 * (invalid) badge, not a setup code. */
	assert_int_equal(check(&c, "nwsetup:https://x"), BADGE_BAD_CHAR);
	assert_int_equal(check(&c, "NWSETUP"), BADGE_VALID);
	char big[BADGE_SETUP_MAX_LEN + 2];
	memset(big, 'x', sizeof big - 1);
	memcpy(big, "NWSETUP:", 8);
	big[sizeof big - 1] = '\0';
	assert_int_equal(check(&c, big), BADGE_SETUP_BAD);
}

static void
test_setup_prefix_configurable(void **state)
{
	struct badge_config c;

	assert_int_equal(badge_config_init(&c, 4, 64, NULL, "ENROLL=", 0),
	    BADGE_VALID);
	assert_int_equal(check(&c, "ENROLL=abc"), BADGE_SETUP);
	assert_int_equal(check(&c, "NWSETUP:abc"), BADGE_BAD_CHAR);
	/* An empty prefix turns setup codes off. */
	assert_int_equal(badge_config_init(&c, 4, 64, "A-Z:", "", 0), BADGE_VALID);
	assert_int_equal(check(&c, "NWSETUP:ABC"), BADGE_VALID);
}

static void
test_strerror_distinct(void **state)
{
	for (int a = BADGE_VALID; a <= BADGE_CONFIG; a++)
		for (int b = a + 1; b <= BADGE_CONFIG; b++)
			assert_string_not_equal(badge_strerror(a), badge_strerror(b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_badges),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_charset_and_junk),
		cmocka_unit_test(test_custom_charset),
		cmocka_unit_test(test_repeat_limit),
		cmocka_unit_test(test_bad_config_leaves_cfg),
		cmocka_unit_test(test_setup_codes),
		cmocka_unit_test(test_setup_prefix_configurable),
		cmocka_unit_test(test_strerror_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
