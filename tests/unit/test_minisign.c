/* minisign.c: round trips, tampering, key files, and interoperability with
 * the real minisign binary in both directions. */
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

#include "minisign.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/nwms.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
tpath(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_roundtrip_and_tamper(void **state)
{
	struct minisign_key k, other;
	const char msg[] = "manifest contents\n";
	char *sig = NULL, *sig2 = NULL, *sig3 = NULL, *tc = NULL, *p;

	(void)state;
	assert_int_equal(minisign_keygen(&k), 0);
	assert_int_equal(minisign_keygen(&other), 0);
	assert_int_equal(minisign_sign(&k, msg, strlen(msg), "tc: x", &sig), 0);
	assert_int_equal(minisign_verify(&k, msg, strlen(msg), sig, &tc), 0);
	assert_string_equal(tc, "tc: x");
	free(tc);
	/* Deterministic: reproducible publishing depends on it. */
	assert_int_equal(minisign_sign(&k, msg, strlen(msg), "tc: x", &sig2), 0);
	assert_string_equal(sig, sig2);
	/* A changed byte of data. */
	assert_int_equal(minisign_verify(&k, "manifest contentz\n", strlen(msg),
	    sig, NULL), -EBADMSG);
	/* Another key (other key id). */
	assert_int_equal(minisign_verify(&other, msg, strlen(msg), sig, NULL),
	    -ENOKEY);
	/* Same key id, other key material. */
	memcpy(other.id, k.id, sizeof k.id);
	assert_int_equal(minisign_verify(&other, msg, strlen(msg), sig, NULL),
	    -EBADMSG);
	/* A changed trusted comment breaks the global signature. */
	p = strstr(sig2, "tc: x");
	assert_non_null(p);
	p[4] = 'y';
	assert_int_equal(minisign_verify(&k, msg, strlen(msg), sig2, NULL),
	    -EBADMSG);
	/* Garbage. */
	assert_int_equal(minisign_verify(&k, msg, strlen(msg), "nonsense", NULL),
	    -EINVAL);
	assert_int_equal(minisign_sign(&k, msg, strlen(msg), "two\nlines", &sig3),
	    -EINVAL);
	free(sig);
	free(sig2);
}

static void
test_key_files(void **state)
{
	struct minisign_key k, sk, pk;
	struct stat st;
	char *s1 = NULL, *s2 = NULL;

	(void)state;
	assert_int_equal(minisign_keygen(&k), 0);
	assert_int_equal(minisign_write_keys(&k, tpath("a.pub"), tpath("a.key")), 0);
	assert_int_equal(stat(tpath("a.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(tpath("a.pub"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(minisign_load_secret(tpath("a.key"), &sk), 0);
	assert_int_equal(minisign_load_public(tpath("a.pub"), &pk), 0);
	assert_memory_equal(sk.pk, k.pk, 32);
	assert_memory_equal(pk.pk, k.pk, 32);
	assert_memory_equal(pk.id, k.id, 8);
	assert_int_equal(pk.has_secret, 0);
	assert_int_equal(minisign_sign(&k, "x", 1, "c", &s1), 0);
	assert_int_equal(minisign_sign(&sk, "x", 1, "c", &s2), 0);
	assert_string_equal(s1, s2);
	free(s1);
	free(s2);
	write_text(tpath("bad.key"), "untrusted comment: x\nAAAA\n");
	assert_int_equal(minisign_load_secret(tpath("bad.key"), &sk), -EINVAL);
	assert_int_equal(minisign_load_public(tpath("missing.pub"), &pk), -ENOENT);
}

/* Our signatures must pass `minisign -V`. */
static void
test_minisign_accepts_ours(void **state)
{
	struct minisign_key k;
	char cmd[1024];

	(void)state;
	assert_int_equal(minisign_keygen(&k), 0);
	assert_int_equal(minisign_write_keys(&k, tpath("o.pub"), tpath("o.key")), 0);
	write_text(tpath("file.txt"), "hello, minisign\n");
	assert_int_equal(minisign_sign_file(&k, tpath("file.txt"),
	    "notewell test comment"), 0);
	snprintf(cmd, sizeof cmd, "minisign -V -q -p %s -m %s", tpath("o.pub"),
	    tpath("file.txt"));
	assert_int_equal(system(cmd), 0);
	/* And it rejects a changed file: the check is real. */
	write_text(tpath("file.txt"), "hello, minisigN\n");
	assert_int_not_equal(system(cmd), 0);
	/* minisign can sign with our secret key file too. */
	write_text(tpath("f2.txt"), "second\n");
	snprintf(cmd, sizeof cmd, "minisign -S -s %s -m %s -t ok </dev/null "
	    ">/dev/null 2>&1 && minisign -V -q -p %s -m %s", tpath("o.key"),
	    tpath("f2.txt"), tpath("o.pub"), tpath("f2.txt"));
	assert_int_equal(system(cmd), 0);
}

/* We must verify what `minisign -S` made and load its -W keys. */
static void
test_we_accept_minisign(void **state)
{
	struct minisign_key pk, sk;
	char cmd[1024], *tc = NULL, *sig = NULL;

	(void)state;
	snprintf(cmd, sizeof cmd, "minisign -G -W -p %s -s %s >/dev/null 2>&1 && "
	    "echo data >%s && minisign -S -s %s -m %s -t 'their comment' "
	    ">/dev/null 2>&1", tpath("m.pub"), tpath("m.key"), tpath("d.txt"),
	    tpath("m.key"), tpath("d.txt"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(minisign_load_public(tpath("m.pub"), &pk), 0);
	assert_int_equal(minisign_verify_file(&pk, tpath("d.txt"), &tc), 0);
	assert_string_equal(tc, "their comment");
	free(tc);
	/* Their secret key works with our signer, and they agree. */
	assert_int_equal(minisign_load_secret(tpath("m.key"), &sk), 0);
	assert_memory_equal(sk.pk, pk.pk, 32);
	assert_memory_equal(sk.id, pk.id, 8);
	assert_int_equal(minisign_sign(&sk, "data\n", 5, "mine", &sig), 0);
	assert_int_equal(minisign_verify(&pk, "data\n", 5, sig, NULL), 0);
	free(sig);
	write_text(tpath("d.txt"), "datA\n");
	assert_int_equal(minisign_verify_file(&pk, tpath("d.txt"), NULL), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_and_tamper),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_minisign_accepts_ours),
		cmocka_unit_test(test_we_accept_minisign),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
