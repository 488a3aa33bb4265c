#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *
write_tmp(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/tmp/nwcfg.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_defaults(void **st)
{
	struct config c;

	config_defaults(&c);
	assert_string_equal(c.board, "sim");
	assert_int_equal(c.opus_bitrate, 32000);
	assert_int_equal(c.silence_dbfs, -50);
	assert_string_equal(c.keyboard_layout, "us");
}

static void
test_good_file(void **st)
{
	struct config c;
	char err[256];
	char *p = write_tmp("# a room box\n\nroom = Plenary Hall  # trailing comment\n"
	    "meeting=ietf125\nopus_bitrate = 24000\nboard = qemu-virt\n"
	    "device_name = \"  spaced # name \"\n");

	config_defaults(&c);
	assert_int_equal(config_load(&c, p, err, sizeof err), 0);
	assert_string_equal(c.room, "Plenary Hall");
	assert_string_equal(c.meeting, "ietf125");
	assert_int_equal(c.opus_bitrate, 24000);
	assert_string_equal(c.board, "qemu-virt");
	assert_string_equal(c.device_name, "  spaced # name ");
	unlink(p);
}

/* Each bad file must fail with "FILE:LINE: ..." naming the right line and
 * must leave the configuration exactly as it was. */
static void
expect_bad(const char *text, int line, const char *what)
{
	struct config c, before;
	char err[512], want[128];
	char *p = write_tmp(text);

	config_defaults(&c);
	before = c;
	assert_int_not_equal(config_load(&c, p, err, sizeof err), 0);
	snprintf(want, sizeof want, "%s:%d: ", p, line);
	if (line > 0 && strncmp(err, want, strlen(want)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, want);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
	assert_memory_equal(&c, &before, sizeof c);
	unlink(p);
}

static void
test_bad_files(void **st)
{
	expect_bad("room = a\nbogus_key = 1\n", 2, "unknown key");
	expect_bad("opus_bitrate = 1\n", 1, "out of range");
	expect_bad("opus_bitrate = 12k\n", 1, "whole number");
	expect_bad("\n\nboard = pc\n", 3, "must be one of");
	expect_bad("room\n", 1, "key = value");
	expect_bad("room = \"open\n", 1, "quote");
	expect_bad("badge_min_len = 10\nbadge_max_len = 5\n", 0, "badge_min_len");
}

static void
test_bad_corpus(void **st)
{
	/* Every file in tests/bad/config must be refused. */
	DIR *dir = opendir("tests/bad/config");
	struct dirent *e;
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir))) {
		char path[512], err[512];
		struct config c;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "tests/bad/config/%s", e->d_name);
		config_defaults(&c);
		if (config_load(&c, path, err, sizeof err) == 0)
			fail_msg("%s was accepted", path);
		n++;
	}
	closedir(dir);
	assert_true(n >= 3);
}

static void
test_unreadable(void **st)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	assert_int_not_equal(config_load(&c, "/nonexistent/x.conf", err, sizeof err), 0);
	assert_non_null(strstr(err, "/nonexistent/x.conf"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_bad_corpus),
		cmocka_unit_test(test_unreadable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
