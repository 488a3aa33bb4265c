#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nwtime.h"
#include "schedule.h"

#define S 1000000000LL

static int64_t
t(const char *s)
{
	int64_t v;

	if (nwtime_parse(s, &v) != 0)
		fail_msg("bad time %s", s);
	return v;
}

static const char *two_back_to_back =
    "{\"room\":\"Room A\",\"sessions\":["
    "{\"uid\":\"b\",\"title\":\"B\",\"start\":\"2025-03-17T10:00:00Z\",\"end\":\"2025-03-17T11:00:00Z\"},"
    "{\"uid\":\"a\",\"title\":\"A\",\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\"},"
    "{\"uid\":\"c\",\"start\":\"2025-03-17T13:00:00+01:00\",\"end\":\"2025-03-17T13:30:00Z\",\"record\":false}]}";

static void
test_back_to_back(void **st)
{
	struct schedule *s = calloc(1, sizeof *s);
	char err[256];

	assert_int_equal(schedule_parse(s, two_back_to_back, strlen(two_back_to_back),
	    60 * S, 120 * S, err, sizeof err), 0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->room, "Room A");
	assert_string_equal(s->e[0].uid, "a");		/* sorted by start */
	assert_int_equal(s->e[0].open_ns, t("2025-03-17T08:59:00Z"));
	/* Back to back: both cut at the boundary, no gap and no overlap. */
	assert_int_equal(s->e[0].close_ns, t("2025-03-17T10:00:00Z"));
	assert_int_equal(s->e[1].open_ns, t("2025-03-17T10:00:00Z"));
	assert_int_equal(s->e[1].close_ns, t("2025-03-17T11:02:00Z"));
	assert_string_equal(s->e[2].uid, "c");
	assert_string_equal(s->e[2].title, "c");	/* title defaults to uid */
	assert_int_equal(s->e[2].record, 0);
	assert_int_equal(s->e[2].open_ns, t("2025-03-17T11:59:00Z"));

	assert_null(schedule_at(s, t("2025-03-17T08:58:59Z")));
	assert_string_equal(schedule_at(s, t("2025-03-17T08:59:00Z"))->uid, "a");
	assert_string_equal(schedule_at(s, t("2025-03-17T09:59:59.999Z"))->uid, "a");
	assert_string_equal(schedule_at(s, t("2025-03-17T10:00:00Z"))->uid, "b");
	assert_string_equal(schedule_at(s, t("2025-03-17T11:01:59Z"))->uid, "b");
	assert_null(schedule_at(s, t("2025-03-17T11:02:00Z")));
	assert_int_equal(schedule_next_boundary(s, t("2025-03-17T09:30:00Z")), t("2025-03-17T10:00:00Z"));
	assert_int_equal(schedule_next_boundary(s, t("2025-03-17T11:05:00Z")), t("2025-03-17T11:59:00Z"));
	assert_int_equal(schedule_next_boundary(s, t("2025-03-17T14:00:00Z")), INT64_MAX);
	free(s);
}

static void
test_gap_smaller_than_rolls(void **st)
{
	const char *j = "{\"sessions\":["
	    "{\"uid\":\"a\",\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\"},"
	    "{\"uid\":\"b\",\"start\":\"2025-03-17T10:01:00Z\",\"end\":\"2025-03-17T11:00:00Z\"}]}";
	struct schedule *s = calloc(1, sizeof *s);
	char err[256];

	assert_int_equal(schedule_parse(s, j, strlen(j), 60 * S, 60 * S, err, sizeof err), 0);
	assert_int_equal(s->e[0].close_ns, t("2025-03-17T10:00:30Z"));
	assert_int_equal(s->e[1].open_ns, t("2025-03-17T10:00:30Z"));
	free(s);
}

static void
expect_bad(const char *j, const char *what)
{
	struct schedule *s = calloc(1, sizeof *s);
	char err[256];

	s->n = 77;
	if (schedule_parse(s, j, strlen(j), 0, 0, err, sizeof err) == 0)
		fail_msg("accepted %s", j);
	if (!strstr(err, what))
		fail_msg("error '%s' lacks '%s'", err, what);
	assert_int_equal(s->n, 77);	/* untouched */
	free(s);
}

static void
test_bad(void **st)
{
	expect_bad("{", "line 1");
	expect_bad("[]", "sessions");
	expect_bad("{\"sessions\":[{\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\"}]}", "uid");
	expect_bad("{\"sessions\":[{\"uid\":\"x\",\"start\":\"tomorrow\",\"end\":\"2025-03-17T10:00:00Z\"}]}", "RFC 3339");
	expect_bad("{\"sessions\":[{\"uid\":\"x\",\"start\":\"2025-03-17T10:00:00Z\",\"end\":\"2025-03-17T09:00:00Z\"}]}", "ends before");
	expect_bad("{\"sessions\":[{\"uid\":\"x\",\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\"},"
	    "{\"uid\":\"y\",\"start\":\"2025-03-17T09:30:00Z\",\"end\":\"2025-03-17T10:30:00Z\"}]}", "overlap");
	expect_bad("{\"sessions\":[{\"uid\":\"x\",\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\"},"
	    "{\"uid\":\"x\",\"start\":\"2025-03-17T11:00:00Z\",\"end\":\"2025-03-17T12:00:00Z\"}]}", "twice");
	expect_bad("{\"sessions\":[{\"uid\":\"x\",\"start\":\"2025-03-17T09:00:00Z\",\"end\":\"2025-03-17T10:00:00Z\",\"record\":\"yes\"}]}", "record");
}

static void
test_bad_corpus(void **st)
{
	DIR *d = opendir("tests/bad/schedule");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		struct schedule *s = calloc(1, sizeof *s);
		char path[512], err[256];
		if (e->d_name[0] == '.') {
			free(s);
			continue;
		}
		snprintf(path, sizeof path, "tests/bad/schedule/%s", e->d_name);
		if (schedule_load(s, path, 0, 0, err, sizeof err) == 0)
			fail_msg("%s accepted", path);
		assert_non_null(strstr(err, path));
		free(s);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_back_to_back),
		cmocka_unit_test(test_gap_smaller_than_rolls),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
