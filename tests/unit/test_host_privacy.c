/* privacy.c and the store API sync uses: who appears on a session's blue
 * sheet, what about them, and aggregate suppression. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "privacy.h"
#include "redact.h"
#include "store.h"

static char tmpdir[64];
static struct store st;

static void
reg(const char *badge, const char *first, const char *last, const char *email,
    int onsite, int64_t dtid)
{
	struct store_registration r = { .badge_id = badge, .first_name = first,
	    .last_name = last, .organization = "Org", .country_code = "SE",
	    .profile_url = "", .onsite = onsite, .email = email,
	    .dt_user_id = dtid };

	assert_int_equal(store_put_registration(&st, &r), 0);
}

static void
scan(const char *nonce, const char *badge, const char *uid, int64_t sec)
{
	struct store_scan s = { .nonce = nonce, .device_id = "box-a",
	    .badge_id = badge, .wall_ns = sec * 1000000000LL, .clock_synced = 1,
	    .session_uid = uid, .notice_id = "n1", .notice_sha256 = "ab" };

	assert_int_equal(store_add_scan(&st, &s), 0);
}

static int
setup(void **state)
{
	struct store_session s = { .uid = "ietf-1-1-tls", .acronym = "tls",
	    .name = "TLS", .room = "A", .start_utc = 1000, .end_utc = 2000,
	    .public_ = 1 };

	(void)state;
	strcpy(tmpdir, "/tmp/nwpriv.XXXXXX");
	if (!mkdtemp(tmpdir) || store_open(&st, tmpdir) < 0)
		return -1;
	store_set_meeting(&st, "1");
	store_put_session(&st, &s);
	reg("B1", "Ann", "Lee", "ann@example.com", 1, 11);
	reg("B2", "Bo", "Ek", "bo@example.com", 1, 0);
	reg("B3", "Cy", "Ode", "cy@example.com", 0, 33);
	reg("B4", "Di", "Ray", "di@example.com", 1, 44);
	scan("s1", "B1", "ietf-1-1-tls", 1100);
	scan("s2", "B1", "ietf-1-1-tls", 1050);	/* twice: one entry, first time */
	scan("s3", "B2", "ietf-1-1-tls", 1200);
	scan("s4", "B4", NULL, 990);		/* between sessions: not counted */
	scan("s5", "UNKNOWN", "ietf-1-1-tls", 1300);
	return store_exec(&st, "INSERT INTO remote_attendance VALUES"
	    " ('ietf-1-1-tls', '', 'CY@example.com', 1010),"
	    " ('ietf-1-1-tls', 'B1', '', 1020)");
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	store_close(&st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_session_attendees(void **state)
{
	struct privacy_list l;

	(void)state;
	assert_int_equal(privacy_session_attendees(&st, "ietf-1-1-tls", &l), 0);
	/* Sorted by last name: Ek, Lee, Ode.  Unknown badge and the
	 * between-sessions scan are not there. */
	assert_int_equal(l.n, 3);
	assert_string_equal(l.a[0].last_name, "Ek");
	assert_int_equal(l.a[0].local, 1);
	assert_int_equal(l.a[0].dt_user_id, 0);
	assert_string_equal(l.a[1].last_name, "Lee");
	assert_int_equal(l.a[1].local, 1);	/* scanned and remote: local */
	assert_int_equal(l.a[1].join_time, 1020);	/* earliest of both */
	assert_int_equal(l.a[1].dt_user_id, 11);
	assert_string_equal(l.a[2].last_name, "Ode");	/* matched by e-mail */
	assert_int_equal(l.a[2].local, 0);
	assert_int_equal(l.a[2].join_time, 1010);
	privacy_list_free(&l);
}

static void
test_redaction(void **state)
{
	struct privacy_list l;
	FILE *f;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(redact_person(&st, "bo@example.com", "asked", "op"), 0);
	assert_int_equal(redact_person(&st, "nobody", "asked", "op"), -ENOENT);
	assert_int_equal(redact_person(&st, "B1", "", "op"), -EINVAL);
	assert_int_equal(privacy_session_attendees(&st, "ietf-1-1-tls", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.a[0].last_name, "Lee");
	privacy_list_free(&l);
	assert_int_equal(privacy_meeting_attendees(&st, &l), 0);
	assert_int_equal(l.n, 3);
	privacy_list_free(&l);
	/* The operator sees the unknown badge; nobody else does. */
	f = open_memstream(&buf, &len);
	assert_int_equal(redact_unmatched(&st, f), 1);
	fclose(f);
	assert_non_null(strstr(buf, "UNKNOWN"));
	free(buf);
	assert_int_equal(store_exec(&st, "DELETE FROM redactions"), 0);
}

static void
test_scan_idempotence(void **state)
{
	struct store_scan s = { .nonce = "s1", .device_id = "box-a",
	    .badge_id = "B1", .wall_ns = 1100 * 1000000000LL,
	    .session_uid = "ietf-1-1-tls" };

	(void)state;
	assert_int_equal(store_add_scan(&st, &s), 0);	/* retry: fine */
	s.badge_id = "B2";
	assert_int_equal(store_add_scan(&st, &s), -EEXIST);	/* reused nonce */
}

static void
test_suppression(void **state)
{
	struct privacy_policy p = { .min_group = 5 };
	char buf[64];

	(void)state;
	assert_int_equal(privacy_count(&p, 0, buf, sizeof buf), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(privacy_count(&p, 4, buf, sizeof buf), 0);
	assert_string_equal(buf, "fewer than 5");
	assert_int_equal(privacy_count(&p, 5, buf, sizeof buf), 1);
	assert_string_equal(buf, "5");
	p.min_group = 10;
	assert_int_equal(privacy_count(&p, 9, buf, sizeof buf), 0);
	assert_string_equal(buf, "fewer than 10");
}

static void
test_devices_and_recordings(void **state)
{
	uint8_t pk[32] = { 1, 2, 3 }, got[32];
	struct store_device d = { .id = "box-a", .pubkey = pk, .room = "A",
	    .enrolled_at = 5 };
	struct store_recording r = { .device_id = "box-a",
	    .session_uid = "ietf-1-1-tls", .sha256 = "00", .bytes = 1,
	    .duration_ms = 2, .path = "recordings/x.opus" };
	struct store_notice n = { .id = "n1", .sha256 = "ab", .url = "u",
	    .first_seen = 50 };

	(void)state;
	assert_int_equal(store_add_device(&st, &d), 0);
	assert_int_equal(store_add_device(&st, &d), -EEXIST);
	assert_int_equal(store_device_key(&st, "box-a", got), 0);
	assert_memory_equal(got, pk, 32);
	assert_int_equal(store_add_recording(&st, &r), 0);
	assert_int_equal(store_add_recording(&st, &r), 0);
	assert_int_equal(store_add_notice(&st, &n), 0);
	n.first_seen = 40;
	assert_int_equal(store_add_notice(&st, &n), 0);
	assert_int_equal(store_revoke_device(&st, "box-a", 9), 0);
	assert_int_equal(store_device_key(&st, "box-a", got), -EKEYREVOKED);
	assert_int_equal(store_device_key(&st, "nope", got), -ENOENT);
}

static int
count_cb(const char *badge, void *arg)
{
	(void)badge;
	(*(int *)arg)++;
	return 0;
}

static int
room_cb(const struct store_session *s, void *arg)
{
	strcat(arg, s->uid);
	strcat(arg, ";");
	return 0;
}

static void
test_sync_helpers(void **state)
{
	struct store_registration kid = { .badge_id = "K1", .first_name = "K",
	    .last_name = "Id", .organization = "", .country_code = "",
	    .profile_url = "", .email = "KID@example.com", .under_13 = 1 };
	struct store_session s2 = { .uid = "ietf-1-0-early", .acronym = "early",
	    .name = "Early", .room = "A", .start_utc = 500, .end_utc = 600,
	    .public_ = 1 };
	char rooms[256] = "";
	int n = 0;

	(void)state;
	assert_int_equal(store_put_registration(&st, &kid), 0);
	assert_int_equal(store_list_purged(&st, count_cb, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_badge_purged(&st, "K1"), 1);
	assert_int_equal(store_badge_purged(&st, "B1"), 0);
	assert_int_equal(store_put_session(&st, &s2), 0);
	assert_int_equal(store_room_sessions(&st, "A", room_cb, rooms), 0);
	assert_string_equal(rooms, "ietf-1-0-early;ietf-1-1-tls;");
}

/* A scan the box made with no session open joins, by its time, the session
 * of that box's room that is about to start or under way. */
static void
test_between_sessions_by_time(void **state)
{
	uint8_t pk[32] = { 9 };
	struct store_device d = { .id = "box-b", .pubkey = pk, .room = "A",
	    .enrolled_at = 5 };
	struct store_session q = { .uid = "ietf-1-2-quic", .acronym = "quic",
	    .name = "QUIC", .room = "A", .start_utc = 5000, .end_utc = 6000,
	    .public_ = 1 };
	struct store_scan a = { .nonce = "b1", .device_id = "box-b", .badge_id = "B3",
	    .wall_ns = 4500 * 1000000000LL, .clock_synced = 1 };
	struct store_scan b = { .nonce = "b2", .device_id = "box-b", .badge_id = "B2",
	    .wall_ns = 9000 * 1000000000LL, .clock_synced = 1 };
	struct privacy_list l;
	int i, cy = 0, bo = 0;

	(void)state;
	assert_int_equal(store_put_session(&st, &q), 0);
	assert_int_equal(store_add_device(&st, &d), 0);
	assert_int_equal(store_add_scan(&st, &a), 0);
	assert_int_equal(store_add_scan(&st, &b), 0);
	assert_int_equal(privacy_session_attendees(&st, "ietf-1-2-quic", &l), 0);
	for (i = 0; i < l.n; i++) {
		cy += strcmp(l.a[i].last_name, "Ode") == 0 && l.a[i].local;
		bo += strcmp(l.a[i].last_name, "Ek") == 0;
	}
	privacy_list_free(&l);
	assert_int_equal(cy, 1);	/* 8 minutes before QUIC: attends it */
	assert_int_equal(bo, 0);	/* long after it ended: nobody's */
	/* ... and the 4500 scan is not also counted for the earlier session. */
	assert_int_equal(privacy_session_attendees(&st, "ietf-1-1-tls", &l), 0);
	for (i = 0; i < l.n; i++)
		assert_false(strcmp(l.a[i].last_name, "Ode") == 0 && l.a[i].local);
	privacy_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_attendees),
		cmocka_unit_test(test_redaction),
		cmocka_unit_test(test_scan_idempotence),
		cmocka_unit_test(test_suppression),
		cmocka_unit_test(test_devices_and_recordings),
		cmocka_unit_test(test_sync_helpers),
		cmocka_unit_test(test_between_sessions_by_time),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
