/*
 * Notice files: the shipped notices load and match their statements; every
 * file in tests/bad/notice/ is refused with the error and line its first
 * line announces ("# expect: CODE LINE"); a failed directory load leaves
 * the set already in force untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "notice.h"

#define SHIPPED "board/notices"
#define BAD "tests/bad/notice"

static const struct {
	const char *name;
	enum notice_err code;
} codes[] = {
	{ "IO", NOTICE_ERR_IO }, { "TOO_BIG", NOTICE_ERR_TOO_BIG },
	{ "SYNTAX", NOTICE_ERR_SYNTAX }, { "ENCODING", NOTICE_ERR_ENCODING },
	{ "UNKNOWN_KEY", NOTICE_ERR_UNKNOWN_KEY },
	{ "DUPLICATE_KEY", NOTICE_ERR_DUPLICATE_KEY },
	{ "MISSING_KEY", NOTICE_ERR_MISSING_KEY },
	{ "TOO_LONG", NOTICE_ERR_TOO_LONG }, { "BAD_VALUE", NOTICE_ERR_BAD_VALUE },
	{ "BAD_DATE", NOTICE_ERR_BAD_DATE }, { "BAD_HASH", NOTICE_ERR_BAD_HASH },
	{ "HASH_MISMATCH", NOTICE_ERR_HASH_MISMATCH },
};

static void
shipped_notices_load_and_match_their_statements(void **state)
{
	struct notice n;
	struct notice_error err;
	char hex[65], buf[600];

	assert_int_equal(notice_load(SHIPPED "/ietf-privacy-2.notice", &n, &err), 0);
	assert_string_equal(n.id, "ietf-privacy");
	assert_string_equal(n.version, "2026-01-01");
	assert_string_equal(n.language, "en");
	assert_string_equal(n.statement, "000_36169e302d704185.txt");
	assert_int_equal(notice_sha256_file(SHIPPED "/000_36169e302d704185.txt", hex), 0);
	assert_string_equal(n.sha256, hex);
	/* The published hash of the seed, so a changed byte fails here too. */
	assert_string_equal(hex,
	    "e66c431b5117adb0dc5c4ed90df7fc913a094cf6add6c2139b90b5167e212d10");
	assert_non_null(strstr(n.screen_recording, "recorded"));
	assert_non_null(strstr(n.screen_bluesheet, "name, organization"));
	assert_int_equal(notice_qr_url(&n, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
	    "https://www.ietf.org/privacy-statement/#v=2026-01-01");

	assert_int_equal(notice_load(SHIPPED "/ietf-privacy-1.notice", &n, &err), 0);
	assert_string_equal(n.version, "2020-01-01");
	assert_string_equal(n.sha256,
	    "981760bc047a2248b5bf952e217cf2d891dfa37d0aa6d36efb31358ef788eba8");
}

static void
sha256_of_buffer_matches_known_vector(void **state)
{
	char hex[65];

	notice_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
set_picks_notice_in_force(void **state)
{
	struct notice_set set = { 0 };
	struct notice_error err;
	const struct notice *cur;
	int64_t t;

	assert_int_equal(notice_set_load_dir(SHIPPED, &set, &err), 0);
	assert_int_equal(set.n, 2);
	assert_int_equal(notice_parse_time("2020-01-01T00:00:00Z", &t), 0);
	assert_null(notice_set_current(&set, t - 1));
	/* The earlier statement until the current one takes effect. */
	assert_string_equal(notice_set_current(&set, t)->version, "2020-01-01");
	assert_int_equal(notice_parse_time("2026-01-01T00:00:00Z", &t), 0);
	assert_string_equal(notice_set_current(&set, t - 1)->version, "2020-01-01");
	cur = notice_set_current(&set, t);
	assert_non_null(cur);
	assert_string_equal(cur->version, "2026-01-01");
	notice_set_free(&set);
}

static void
good_test_notice_loads(void **state)
{
	struct notice n;
	struct notice_error err;
	int64_t t;

	assert_int_equal(notice_load(BAD "/good.notice", &n, &err), 0);
	assert_int_equal(notice_parse_time("2026-01-15T08:00:00Z", &t), 0);
	assert_true(n.effective_from == t);
	assert_int_equal(t, 1768464000);
}

static enum notice_err
code_named(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, s) == 0)
			return codes[i].code;
	fail_msg("unknown expected code %s", s);
	return NOTICE_OK;
}

static void
every_bad_file_is_refused_with_file_and_line(void **state)
{
	DIR *d = opendir(BAD);
	struct dirent *de;
	int nbad = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[512], want[32], msg[600], prefix[600];
		struct notice n;
		struct notice_error err;
		int line;
		FILE *fp;

		if (strncmp(de->d_name, "bad-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BAD, de->d_name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		if (fscanf(fp, "# expect: %31s %d", want, &line) != 2)
			fail_msg("%s: no \"# expect: CODE LINE\" header", path);
		fclose(fp);
		memset(&n, 0x5a, sizeof(n));
		if (notice_load(path, &n, &err) == 0)
			fail_msg("%s was accepted", path);
		notice_error_format(&err, msg, sizeof(msg));
		print_message("# %s\n", msg);
		if (err.code != code_named(want) || err.line != line)
			fail_msg("%s: got %s line %d, want %s line %d (%s)", path,
			    notice_strerror(err.code), err.line, want, line, msg);
		/* The message names the file (and line) so an operator can fix it. */
		if (line)
			snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
		else
			snprintf(prefix, sizeof(prefix), "%s: ", path);
		assert_memory_equal(msg, prefix, strlen(prefix));
		nbad++;
	}
	closedir(d);
	assert_true(nbad >= 20);
}

static void
error_names_missing_key(void **state)
{
	struct notice n;
	struct notice_error err;
	char msg[600];

	assert_int_equal(notice_load(BAD "/bad-missing-url.notice", &n, &err), -1);
	notice_error_format(&err, msg, sizeof(msg));
	assert_string_equal(msg, BAD "/bad-missing-url.notice: missing key: url");
}

/* Makes a temporary notice directory holding the good test notice. */
static void
make_dir(char *tmpl, int copies)
{
	char cmd[1024];

	assert_non_null(mkdtemp(tmpl));
	snprintf(cmd, sizeof(cmd), "cp " BAD "/statement.txt %s/ && "
	    "cp " BAD "/good.notice %s/a.notice", tmpl, tmpl);
	assert_int_equal(system(cmd), 0);
	if (copies > 1) {
		snprintf(cmd, sizeof(cmd), "cp " BAD "/good.notice %s/b.notice", tmpl);
		assert_int_equal(system(cmd), 0);
	}
}

static void
rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
failed_dir_load_keeps_current_set(void **state)
{
	struct notice_set set = { 0 };
	struct notice_error err;
	char dir[] = "/tmp/nwnotice.XXXXXX", cmd[700];

	assert_int_equal(notice_set_load_dir(SHIPPED, &set, &err), 0);
	assert_int_equal(set.n, 2);

	/* Two notices with the same id and version: refused as a whole. */
	make_dir(dir, 2);
	assert_int_equal(notice_set_load_dir(dir, &set, &err), -1);
	assert_int_equal(err.code, NOTICE_ERR_DUPLICATE_NOTICE);
	assert_int_equal(set.n, 2);
	assert_string_equal(set.v[1].version, "2026-01-01");

	/* A statement altered after the fact: refused, set unchanged. */
	snprintf(cmd, sizeof(cmd), "rm %s/b.notice && echo tampered >> %s/statement.txt",
	    dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notice_set_load_dir(dir, &set, &err), -1);
	assert_int_equal(err.code, NOTICE_ERR_HASH_MISMATCH);
	assert_int_equal(set.n, 2);

	/* Repaired: the new set replaces the old one. */
	snprintf(cmd, sizeof(cmd), "cp " BAD "/statement.txt %s/", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notice_set_load_dir(dir, &set, &err), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0].id, "test-notice");
	notice_set_free(&set);
	rm_dir(dir);
}

static void
later_same_day_version_wins_numerically(void **state)
{
	struct notice_set set = { 0 };
	struct notice_error err;
	char dir[] = "/tmp/nwnotice.XXXXXX", cmd[900];

	make_dir(dir, 1);
	snprintf(cmd, sizeof(cmd),
	    "sed 's/^version: .*/version: 2026-01-15.9/' " BAD "/good.notice > %s/a.notice && "
	    "sed 's/^version: .*/version: 2026-01-15.10/' " BAD "/good.notice > %s/b.notice",
	    dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notice_set_load_dir(dir, &set, &err), 0);
	assert_int_equal(set.n, 2);
	assert_string_equal(notice_set_current(&set, INT64_MAX)->version,
	    "2026-01-15.10");
	notice_set_free(&set);
	rm_dir(dir);
}

static void
parse_time_is_strict(void **state)
{
	int64_t t;

	assert_int_equal(notice_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(notice_parse_time("2024-02-29T23:59:59Z", &t), 0);
	assert_int_equal(notice_parse_time("2023-02-29T00:00:00Z", &t), -1);
	assert_int_equal(notice_parse_time("2026-01-15T24:00:00Z", &t), -1);
	assert_int_equal(notice_parse_time("2026-01-15T08:00:00+01:00", &t), -1);
	assert_int_equal(notice_parse_time("2026-01-15T08:00:00Zjunk", &t), -1);
	assert_int_equal(notice_parse_time("", &t), -1);
}

static void
parse_from_memory_accepts_missing_final_newline(void **state)
{
	static const char text[] =
	    "id: x\nversion: 2026-01-01\nlanguage: pt-BR\n"
	    "url: http://example.org/p\nstatement: s.txt\n"
	    "sha256: 6B60CC7860E8CE90B23E75C1191E85B53483402F2A68D937DBFBEB46D1ACD411\n"
	    "effective_from: 2026-01-01T00:00:00Z\n"
	    "screen_recording: Gravação — esta sessão é gravada.\n"
	    "screen_bluesheet: b";
	struct notice n;
	struct notice_error err;

	assert_int_equal(notice_parse(text, sizeof(text) - 1, "mem", &n, &err), 0);
	assert_string_equal(n.screen_bluesheet, "b");
	assert_string_equal(n.language, "pt-BR");
	/* Hashes are kept in one spelling so stamps compare as strings. */
	assert_string_equal(n.sha256,
	    "6b60cc7860e8ce90b23e75c1191e85b53483402f2a68d937dbfbeb46d1acd411");
	/* A NUL inside is not text. */
	assert_int_equal(notice_parse("id: a\0b\n", 8, "mem", &n, &err), -1);
	assert_int_equal(err.code, NOTICE_ERR_ENCODING);
}

/* The host's pushed notices join the shipped ones: an identical version is
 * one notice, a different text under a shipped version is refused and the
 * set stays as it was. */
static void
merge_adds_new_versions_and_refuses_conflicts(void **state)
{
	struct notice_set shipped = { 0 }, pushed = { 0 };
	struct notice_error err;
	char dir[] = "/tmp/nwnotice.XXXXXX", cmd[900];
	size_t before;

	(void)state;
	assert_int_equal(notice_set_load_dir(SHIPPED, &shipped, &err), 0);
	before = shipped.n;
	/* The same shipped files again: nothing new, no error. */
	assert_int_equal(notice_set_merge(&shipped, &shipped, "self", &err), 0);
	assert_int_equal(shipped.n, before);

	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	    "sed 's/^version: .*/version: 2027-01-01.1/; s/^effective_from: .*/effective_from: 2027-01-01T00:00:00Z/' "
	    SHIPPED "/ietf-privacy-2.notice > %s/new.notice && cp " SHIPPED "/000_*.txt %s/", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notice_set_load_dir(dir, &pushed, &err), 0);
	assert_int_equal(notice_set_merge(&shipped, &pushed, dir, &err), 0);
	assert_int_equal(shipped.n, before + 1);
	assert_string_equal(notice_set_current(&shipped, INT64_MAX)->version, "2027-01-01.1");
	/* Sorted by effective time: the shipped version is still in force
	 * before the pushed one takes effect. */
	assert_string_equal(notice_set_current(&shipped, 1798761599)->version, "2026-01-01");
	notice_set_free(&pushed);

	/* A pushed file reusing a shipped version with another screen text. */
	snprintf(cmd, sizeof(cmd), "rm %s/new.notice && "
	    "sed 's/^screen_recording: .*/screen_recording: something else/' "
	    SHIPPED "/ietf-privacy-2.notice > %s/clash.notice", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notice_set_load_dir(dir, &pushed, &err), 0);
	before = shipped.n;
	assert_int_equal(notice_set_merge(&shipped, &pushed, dir, &err), -1);
	assert_int_equal(err.code, NOTICE_ERR_DUPLICATE_NOTICE);
	assert_non_null(strstr(err.detail, "2026-01-01"));
	assert_int_equal(shipped.n, before);
	assert_string_equal(notice_set_current(&shipped, INT64_MAX)->version, "2027-01-01.1");
	notice_set_free(&pushed);
	notice_set_free(&shipped);
	rm_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_notices_load_and_match_their_statements),
		cmocka_unit_test(sha256_of_buffer_matches_known_vector),
		cmocka_unit_test(set_picks_notice_in_force),
		cmocka_unit_test(good_test_notice_loads),
		cmocka_unit_test(every_bad_file_is_refused_with_file_and_line),
		cmocka_unit_test(error_names_missing_key),
		cmocka_unit_test(failed_dir_load_keeps_current_set),
		cmocka_unit_test(later_same_day_version_wins_numerically),
		cmocka_unit_test(parse_time_is_strict),
		cmocka_unit_test(parse_from_memory_accepts_missing_final_newline),
		cmocka_unit_test(merge_adds_new_versions_and_refuses_conflicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
