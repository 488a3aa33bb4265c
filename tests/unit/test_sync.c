/* Sync protocol pieces: setup codes, request signatures, canonical record
 * hashes, the host's request parsers and the box's reply parsers (with the
 * folders of bad inputs), the host's sync store rules, and the box's view
 * of the journal (collect, mark, backlog). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "journal.h"
#include "minisign.h"
#include "recv_parse.h"
#include "store.h"
#include "sync_journal.h"
#include "syncproto.h"
#include "syncstore.h"

#define PIN "IffiIKiyYl61nrn9qivwYR/+7f2iG2s6KCR5KkSyq24="
#define TOKEN "0123456789abcdef0123456789abcdef"
#define STAMP "{\"boot\":\"b\",\"mono_ns\":5,\"wall_ns\":7,\"synced\":false}"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/nwsync.XXXXXX");
	return mkdtemp(tmpdir) && sodium_init() >= 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_setup_code(void **state)
{
	struct syncproto_setup s = { 0 }, p;
	char code[SYNCPROTO_SETUP_MAX + 1];

	(void)state;
	snprintf(s.url, sizeof s.url, "https://host.example:8443");
	snprintf(s.token, sizeof s.token, TOKEN);
	snprintf(s.pin, sizeof s.pin, PIN);
	assert_int_equal(syncproto_setup_format("NWSETUP:", &s, code, sizeof code), 0);
	assert_string_equal(code, "NWSETUP:v1;u=https://host.example:8443;t=" TOKEN ";p=" PIN);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", code, &p), SYNCPROTO_OK);
	assert_string_equal(p.url, s.url);
	assert_string_equal(p.token, s.token);
	assert_string_equal(p.pin, s.pin);
	/* Fields in any order; another prefix. */
	assert_int_equal(syncproto_setup_parse("X:", "X:v1;p=" PIN ";t=" TOKEN ";u=https://h",
	    &p), SYNCPROTO_OK);
	assert_string_equal(p.url, "https://h");
	/* Bad codes, each with its own reason. */
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "A1B2C3", &p), SYNCPROTO_ERR_PREFIX);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v2;u=https://h;t=" TOKEN
	    ";p=" PIN, &p), SYNCPROTO_ERR_VERSION);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=http://h;t=" TOKEN
	    ";p=" PIN, &p), SYNCPROTO_ERR_URL);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;t=0123;p="
	    PIN, &p), SYNCPROTO_ERR_TOKEN);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;t=" TOKEN
	    ";p=short", &p), SYNCPROTO_ERR_PIN);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;t=" TOKEN,
	    &p), SYNCPROTO_ERR_FIELD);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;t=" TOKEN
	    ";p=" PIN ";", &p), SYNCPROTO_ERR_FIELD);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;u=https://i;t="
	    TOKEN ";p=" PIN, &p), SYNCPROTO_ERR_FIELD);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h;x=1;t=" TOKEN
	    ";p=" PIN, &p), SYNCPROTO_ERR_FIELD);
	assert_int_equal(syncproto_setup_parse("NWSETUP:", "NWSETUP:v1;u=https://h é;t=" TOKEN
	    ";p=" PIN, &p), SYNCPROTO_ERR_CHARS);
	/* The format side refuses what the parser would. */
	snprintf(s.url, sizeof s.url, "https://a;b");
	assert_int_equal(syncproto_setup_format("NWSETUP:", &s, code, sizeof code), -EINVAL);
	snprintf(s.url, sizeof s.url, "https://h");
	assert_int_equal(syncproto_setup_format("NWSETUP:", &s, code, 20), -ENOSPC);
}

static void
test_clock_and_seq(void **state)
{
	struct nw_stamp st = { "11111111-2222-3333-4444-555555555555", 42, 1795000000000000000LL, 1 };
	struct nw_stamp back;
	char buf[SYNCPROTO_CLOCK_MAX];
	uint64_t seq;

	(void)state;
	assert_int_equal(syncproto_clock_format(&st, buf, sizeof buf), 0);
	assert_int_equal(syncproto_clock_parse(buf, &back), 0);
	assert_string_equal(back.boot_id, st.boot_id);
	assert_true(back.mono_ns == 42 && back.wall_ns == st.wall_ns && back.synced == 1);
	assert_int_not_equal(syncproto_clock_parse("short 1 2 1", &back), 0);
	assert_int_not_equal(syncproto_clock_parse("11111111-2222-3333-4444-555555555555 -1 2 1",
	    &back), 0);
	assert_int_not_equal(syncproto_clock_parse("11111111-2222-3333-4444-555555555555 1 2 2",
	    &back), 0);
	assert_int_not_equal(syncproto_clock_parse("11111111-2222-3333-4444-555555555555 1 2",
	    &back), 0);
	assert_int_equal(syncproto_seq_parse("18446744073709551615", &seq), 0);
	assert_int_not_equal(syncproto_seq_parse("0", &seq), 0);
	assert_int_not_equal(syncproto_seq_parse("-1", &seq), 0);
	assert_int_not_equal(syncproto_seq_parse("18446744073709551616", &seq), 0);
	assert_int_not_equal(syncproto_seq_parse("1x", &seq), 0);
}

static void
test_request_signature(void **state)
{
	uint8_t pk[32], sk[64], pk2[32], sk2[64], sha[32], sha2[32];
	char msg[1024], msg2[1024], sig[SYNCPROTO_SIG_B64 + 1];

	(void)state;
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	crypto_hash_sha256(sha, (const uint8_t *)"body", 4);
	crypto_hash_sha256(sha2, (const uint8_t *)"bodY", 4);
	assert_int_equal(syncproto_auth_message("POST", "/v1/records", "0011223344556677", 9,
	    "c", sha, msg, sizeof msg), 0);
	syncproto_sign(sk, msg, sig);
	assert_int_equal(syncproto_verify(pk, msg, sig), 0);
	assert_int_equal(syncproto_verify(pk2, msg, sig), -EBADMSG);
	/* Each signed part matters: body, seq, path, method. */
	syncproto_auth_message("POST", "/v1/records", "0011223344556677", 9, "c", sha2, msg2,
	    sizeof msg2);
	assert_int_equal(syncproto_verify(pk, msg2, sig), -EBADMSG);
	syncproto_auth_message("POST", "/v1/records", "0011223344556677", 10, "c", sha, msg2,
	    sizeof msg2);
	assert_int_equal(syncproto_verify(pk, msg2, sig), -EBADMSG);
	syncproto_auth_message("PUT", "/v1/records", "0011223344556677", 9, "c", sha, msg2,
	    sizeof msg2);
	assert_int_equal(syncproto_verify(pk, msg2, sig), -EBADMSG);
	assert_int_equal(syncproto_verify(pk, msg, "short"), -EBADMSG);
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	assert_int_equal(syncproto_verify(pk, msg, sig), -EBADMSG);
}

static void
test_canonical_hash(void **state)
{
	json_t *a = json_loads("{\"b\":1,\"a\":\"x\\u00e9\",\"c\":null}", 0, NULL);
	json_t *b = json_loads("{ \"c\" : null, \"a\" : \"x\u00e9\", \"b\" : 1 }", 0, NULL);
	char ha[65], hb[65], *text;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(syncproto_record_sha256(a, ha), 0);
	assert_int_equal(syncproto_record_sha256(b, hb), 0);
	assert_string_equal(ha, hb);
	text = syncproto_canonical(a);
	/* jansson's form: sorted keys, no spaces, \u escapes in upper case. */
	assert_string_equal(text, "{\"a\":\"x\\u00E9\",\"b\":1,\"c\":null}");
	free(text);
	json_object_set_new(b, "b", json_integer(2));
	syncproto_record_sha256(b, hb);
	assert_string_not_equal(ha, hb);
	json_decref(a);
	json_decref(b);
}

static char *
slurp(const char *path, size_t *len)
{
	uint8_t *buf = NULL;

	if (minisign_read_file(path, &buf, len) < 0)
		return NULL;
	return (char *)buf;
}

/* Every file in a folder of bad inputs must be refused by fn. */
static void
each_bad(const char *dirpath, int (*fn)(const char *, size_t))
{
	DIR *d = opendir(dirpath);
	struct dirent *e;
	char path[512];
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *body;
		size_t len;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
		body = slurp(path, &len);
		assert_non_null(body);
		if (fn(body, len) == 0)
			fail_msg("%s was accepted", path);
		free(body);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
}

static int
records_fn(const char *b, size_t n)
{
	struct recv_record *r = NULL;
	json_t *root = NULL;
	char err[256] = "";
	size_t k = 99;
	int rc = recv_parse_records(b, n, &root, &r, &k, err, sizeof err);

	if (rc != 0) {
		assert_null(root);
		assert_null(r);
		assert_int_equal(k, 0);
		assert_true(err[0] != '\0');	/* the box is told why */
	}
	/* A record of a known kind and key with bad fields is refused on its
	 * own, with a reason for the box; that counts as refused here. */
	for (size_t i = 0; rc == 0 && i < k; i++)
		if (r[i].invalid[0])
			rc = -EBADMSG;
	free(r);
	json_decref(root);
	return rc;
}

static int
results_fn(const char *b, size_t n)
{
	struct syncproto_ack *a = NULL;
	size_t k;
	int rc = syncproto_parse_results(b, n, &a, &k);

	free(a);
	return rc;
}

static void
test_records_parser(void **state)
{
	static const char good[] = "{\"records\":["
	    "{\"kind\":\"session\",\"key\":\"s1\",\"uid\":\"s 1\",\"title\":\"T\","
	    "\"origin\":\"manual\",\"start\":" STAMP ",\"end\":null},"
	    "{\"kind\":\"scan\",\"key\":\"n1\",\"badge\":\"B1\",\"source\":\"manual\","
	    "\"session\":\"s 1\",\"notice_id\":null,\"notice_sha256\":null,\"at\":" STAMP "},"
	    "{\"kind\":\"event\",\"key\":\"ev-1\",\"type\":\"start\",\"detail\":\"sim\",\"at\":"
	    STAMP "}]}";
	struct recv_record *r = NULL;
	json_t *root = NULL;
	char err[256], sha[65];
	size_t n;

	(void)state;
	assert_int_equal(recv_parse_records(good, strlen(good), &root, &r, &n, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(r[0].kind, "session");
	assert_string_equal(r[0].session_uid, "s 1");
	assert_string_equal(r[1].session_uid, "s 1");
	assert_true(r[1].has_at && r[1].at.mono_ns == 5 && r[1].at.wall_ns == 7 && !r[1].at.synced);
	assert_null(r[2].session_uid);
	syncproto_record_sha256(r[1].obj, sha);
	assert_string_equal(sha, r[1].sha256);
	free(r);
	json_decref(root);
	each_bad("tests/bad/sync-records", records_fn);
}

static void
test_reply_parsers(void **state)
{
	char body[512], sha[65];
	struct syncproto_ack *a = NULL;
	int64_t off;
	int complete;
	size_t n;

	(void)state;
	memset(sha, 'a', 64);
	sha[64] = '\0';
	snprintf(body, sizeof body, "{\"results\":[{\"kind\":\"scan\",\"key\":\"k\",\"sha256\":"
	    "\"%s\",\"status\":\"duplicate\"},{\"kind\":\"event\",\"key\":\"ev-1\",\"status\":"
	    "\"refused\",\"reason\":\"no\\nway\"}]}", sha);
	assert_int_equal(syncproto_parse_results(body, strlen(body), &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].status, SYNCPROTO_DUPLICATE);
	assert_string_equal(a[0].sha256, sha);
	assert_int_equal(a[1].status, SYNCPROTO_REFUSED);
	assert_string_equal(a[1].reason, "no?way");
	free(a);
	snprintf(body, sizeof body, "{\"offset\":12,\"complete\":false}");
	assert_int_equal(syncproto_parse_offset(body, strlen(body), &off, &complete), 0);
	assert_true(off == 12 && !complete);
	snprintf(body, sizeof body, "{\"offset\":-1,\"complete\":false}");
	assert_int_not_equal(syncproto_parse_offset(body, strlen(body), &off, &complete), 0);
	assert_int_not_equal(syncproto_parse_stored("{\"sha256\":\"ab\"}", 15, sha), 0);
	each_bad("tests/bad/sync-reply", results_fn);
}

static void
test_manifest_parser(void **state)
{
	static const char m[] = "{\"format\":\"notewell-manifest-1\",\"box\":\"b\",\"session\":\"s\","
	    "\"records\":[{\"kind\":\"scan\",\"key\":\"k\",\"sha256\":"
	    "\"0000000000000000000000000000000000000000000000000000000000000000\"}],"
	    "\"files\":[{\"name\":\"a.opus\",\"bytes\":3,\"sha256\":"
	    "\"1111111111111111111111111111111111111111111111111111111111111111\"}]}";
	struct recv_manifest man;
	json_t *root = NULL;
	char err[256];

	(void)state;
	assert_int_equal(recv_parse_manifest(m, strlen(m), &root, &man, err, sizeof err), 0);
	assert_int_equal(man.n, 2);
	assert_string_equal(man.e[1].kind, "file");
	assert_true(man.e[1].bytes == 3);
	free(man.e);
	json_decref(root);
	assert_int_not_equal(recv_parse_manifest("{\"format\":\"other\"}", 18, &root, &man, err,
	    sizeof err), 0);
}

/* ---- host store ---- */

static void
open_store(struct store *st, const char *name)
{
	char dir[128];

	snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
	assert_int_equal(store_open(st, dir), 0);
}

static void
test_tokens(void **state)
{
	struct store st;
	struct minisign_key k, k2;
	char pub[64], pub2[64], room[64];

	(void)state;
	open_store(&st, "tokens");
	minisign_keygen(&k);
	minisign_keygen(&k2);
	minisign_public_b64(&k, pub, sizeof pub);
	minisign_public_b64(&k2, pub2, sizeof pub2);
	assert_int_equal(syncstore_token_add(&st, "t1", "Room 1", "https://h", 100, 200), 0);
	assert_int_equal(syncstore_token_add(&st, "t2", "Room 2", "https://h", 100, 150), 0);
	assert_int_equal(syncstore_token_redeem(&st, "nope", "aaaaaaaaaaaaaaaa", pub, "", 120,
	    room, sizeof room), -ENOENT);
	assert_int_equal(syncstore_token_redeem(&st, "t2", "aaaaaaaaaaaaaaaa", pub, "", 150,
	    room, sizeof room), -ETIME);
	assert_int_equal(syncstore_token_redeem(&st, "t1", "aaaaaaaaaaaaaaaa", pub, "", 120,
	    room, sizeof room), 0);
	assert_string_equal(room, "Room 1");
	/* The same box retrying after a lost answer hears yes again. */
	assert_int_equal(syncstore_token_redeem(&st, "t1", "aaaaaaaaaaaaaaaa", pub, "", 130,
	    room, sizeof room), 0);
	/* Anyone else: no. */
	assert_int_equal(syncstore_token_redeem(&st, "t1", "bbbbbbbbbbbbbbbb", pub2, "", 130,
	    room, sizeof room), -EALREADY);
	assert_int_equal(syncstore_token_redeem(&st, "t1", "aaaaaaaaaaaaaaaa", pub2, "", 130,
	    room, sizeof room), -EALREADY);
	/* Replay protection: only rising sequence numbers. */
	assert_int_equal(syncstore_check_seq(&st, "aaaaaaaaaaaaaaaa", 5, 1, "x"), 0);
	assert_int_equal(syncstore_check_seq(&st, "aaaaaaaaaaaaaaaa", 5, 1, "x"), -EACCES);
	assert_int_equal(syncstore_check_seq(&st, "aaaaaaaaaaaaaaaa", 4, 1, "x"), -EACCES);
	assert_int_equal(syncstore_check_seq(&st, "aaaaaaaaaaaaaaaa", 6, 1, "x"), 0);
	/* A revoked box cannot come back with a fresh token. */
	assert_int_equal(store_revoke_device(&st, "aaaaaaaaaaaaaaaa", 140), 0);
	assert_int_equal(syncstore_token_add(&st, "t3", "Room 3", "https://h", 100, 900), 0);
	assert_int_equal(syncstore_token_redeem(&st, "t3", "aaaaaaaaaaaaaaaa", pub, "", 150,
	    room, sizeof room), -EKEYREVOKED);
	store_close(&st);
}

static int
put(struct store *st, const char *box, const char *text, enum syncproto_status *status)
{
	struct recv_record *r = NULL;
	json_t *root = NULL;
	char err[256], reason[160];
	size_t n;
	int rc = recv_parse_records(text, strlen(text), &root, &r, &n, err, sizeof err);

	if (rc != 0)
		fail_msg("test record refused: %s", err);
	rc = syncstore_put_record(st, box, &r[0], 1, status, reason, sizeof reason);
	free(r);
	json_decref(root);
	return rc;
}

#define SCAN(key, badge, boot, mono, wall, synced) "{\"records\":[{\"kind\":\"scan\",\"key\":\"" \
	key "\",\"badge\":\"" badge "\",\"source\":\"manual\",\"session\":\"s1\",\"notice_id\":null," \
	"\"notice_sha256\":null,\"at\":{\"boot\":\"" boot "\",\"mono_ns\":" mono ",\"wall_ns\":" \
	wall ",\"synced\":" synced "}}]}"
#define SESSION(end) "{\"records\":[{\"kind\":\"session\",\"key\":\"s1\",\"uid\":\"s1\"," \
	"\"title\":\"T\",\"origin\":\"manual\",\"start\":" STAMP ",\"end\":" end "}]}"

static void
test_records_store(void **state)
{
	struct store st;
	enum syncproto_status s;
	struct nw_stamp now = { "boot-a", 2000, 999, 0 };
	int64_t wall;
	sqlite3_stmt *q;

	(void)state;
	open_store(&st, "records");
	assert_int_equal(put(&st, "box1", SCAN("n1", "B1", "boot-a", "1000", "50", "false"), &s), 0);
	assert_int_equal(s, SYNCPROTO_STORED);
	assert_int_equal(put(&st, "box1", SCAN("n1", "B1", "boot-a", "1000", "50", "false"), &s), 0);
	assert_int_equal(s, SYNCPROTO_DUPLICATE);
	assert_int_equal(put(&st, "box1", SCAN("n1", "B2", "boot-a", "1000", "50", "false"), &s), 0);
	assert_int_equal(s, SYNCPROTO_REFUSED);
	/* A session may gain its end once; nothing else may change. */
	assert_int_equal(put(&st, "box1", SESSION("null"), &s), 0);
	assert_int_equal(s, SYNCPROTO_STORED);
	assert_int_equal(put(&st, "box1", SESSION(STAMP), &s), 0);
	assert_int_equal(s, SYNCPROTO_STORED);
	assert_int_equal(put(&st, "box1", SESSION("null"), &s), 0);
	assert_int_equal(s, SYNCPROTO_REFUSED);
	/* A purged under-13 registrant's scan is refused and the box told so. */
	assert_int_equal(store_exec(&st, "INSERT INTO purged_badges VALUES ('KID1')"), 0);
	assert_int_equal(put(&st, "box1", SCAN("n2", "KID1", "boot-a", "1", "1", "true"), &s), 0);
	assert_int_equal(s, SYNCPROTO_PURGED);
	/* Clock: one sample puts boot-a's monotonic zero at host time 1,000,000;
	 * the unsynced scan (mono 1000) becomes 1,001,000 and is marked. */
	assert_int_equal(syncstore_note_clock(&st, "box1", &now, 1002000), 0);
	assert_int_equal(store_prepare(&st, "SELECT wall_ns, box_wall_ns, time_corrected FROM"
	    " scans WHERE nonce = 'n1'", &q), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	wall = sqlite3_column_int64(q, 0);
	assert_true(wall == 1001000);
	assert_true(sqlite3_column_int64(q, 1) == 50);
	assert_int_equal(sqlite3_column_int(q, 2), 1);
	sqlite3_finalize(q);
	/* A later, slower sample does not move it; a synced scan is left alone
	 * and a new unsynced one is corrected on arrival. */
	now.mono_ns = 3000;
	assert_int_equal(syncstore_note_clock(&st, "box1", &now, 1009000), 0);
	assert_int_equal(put(&st, "box1", SCAN("n3", "B3", "boot-a", "1500", "60", "false"), &s), 0);
	assert_int_equal(put(&st, "box1", SCAN("n4", "B4", "boot-a", "1500", "70", "true"), &s), 0);
	assert_int_equal(store_prepare(&st, "SELECT group_concat(nonce || ':' || wall_ns || ':' ||"
	    " time_corrected, ' ') FROM (SELECT * FROM scans ORDER BY nonce)", &q), 0);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0),
	    "n1:1001000:1 n3:1001500:1 n4:70:0");
	sqlite3_finalize(q);
	assert_int_equal(syncstore_record_has(&st, "box1", "scan", "n1", "0"), -EBADMSG);
	assert_int_equal(syncstore_record_has(&st, "box1", "scan", "zz", "0"), -ENOENT);
	store_close(&st);
}

/* ---- box journal ---- */

static void
test_journal_sync(void **state)
{
	struct journal *j;
	struct nw_clock clk;
	struct nw_stamp at;
	struct syncj_item items[16];
	struct syncj_backlog b;
	const char *acks[16];
	char err[256], dir[128];
	struct journal_scan sc = { 0 };
	int64_t sid;
	size_t n;

	(void)state;
	snprintf(dir, sizeof dir, "%s/box", tmpdir);
	mkdir(dir, 0700);
	assert_int_equal(journal_open(dir, &j, err, sizeof err), 0);
	nwclock_fake_init(&clk, "11111111-2222-3333-4444-555555555555", 1795000000LL * 1000000000, 0);
	nwclock_now(&clk, &at);
	assert_int_equal(journal_session_start(j, "s 1", "T", "manual", &at, &sid), 0);
	journal_nonce(sc.nonce);
	sc.badge = "B1";
	sc.source = "manual";
	sc.session_id = sid;
	sc.at = at;
	assert_int_equal(journal_add_scan(j, &sc, NULL), 0);
	assert_int_equal(syncj_backlog(j, dir, &b), 0);
	assert_true(b.records == 2 && b.bytes == 0 && b.oldest_wall_ns == at.wall_ns);
	assert_int_equal(syncj_collect(j, "box", items, 16, 1 << 20, NULL, NULL, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].kind, "session");
	assert_true(items[0].key[0] == 'h' && items[0].key[1] == '-');	/* "s 1" is no key */
	assert_int_equal(items[0].session_closed, 0);
	assert_string_equal(items[1].key, sc.nonce);
	/* Only what the host acknowledged is marked. */
	acks[0] = NULL;
	acks[1] = items[1].sha256;
	assert_int_equal(syncj_mark(j, items, acks, n, 1), 0);
	syncj_items_free(items, n);
	assert_int_equal(syncj_backlog(j, dir, &b), 0);
	assert_true(b.records == 1);
	/* The open session, once acknowledged, is backlog again when it ends. */
	assert_int_equal(syncj_collect(j, "box", items, 16, 1 << 20, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	acks[0] = items[0].sha256;
	assert_int_equal(syncj_mark(j, items, acks, n, 1), 0);
	syncj_items_free(items, n);
	assert_int_equal(syncj_backlog(j, dir, &b), 0);
	assert_true(b.records == 0);
	assert_int_equal(journal_session_stop(j, sid, &at), 0);
	assert_int_equal(syncj_backlog(j, dir, &b), 0);
	assert_true(b.records == 2);	/* the closed session, and its manifest to come */
	assert_int_equal(syncj_collect(j, "box", items, 16, 1 << 20, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].session_closed, 1);
	acks[0] = items[0].sha256;
	assert_int_equal(syncj_mark(j, items, acks, n, 1), 0);
	syncj_items_free(items, n);
	assert_int_equal(syncj_backlog(j, dir, &b), 0);
	assert_true(b.records == 1);	/* now its manifest */
	journal_close(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_code),
		cmocka_unit_test(test_clock_and_seq),
		cmocka_unit_test(test_request_signature),
		cmocka_unit_test(test_canonical_hash),
		cmocka_unit_test(test_records_parser),
		cmocka_unit_test(test_reply_parsers),
		cmocka_unit_test(test_manifest_parser),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_records_store),
		cmocka_unit_test(test_journal_sync),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
