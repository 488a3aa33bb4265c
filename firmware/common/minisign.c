/*
 * minisign-compatible keys and signatures on libsodium.  The byte layouts
 * follow minisign's documented formats:
 *   public key:  "Ed" | key id (8) | Ed25519 public key (32)
 *   secret key:  "Ed" | kdf alg (2) | "B2" | salt (32) | opslimit (8) |
 *                memlimit (8) | key id (8) | Ed25519 secret key (64) |
 *                checksum (32)
 *   signature:   "ED" | key id (8) | Ed25519(BLAKE2b-512(file)) (64)
 *   global sig:  Ed25519(signature (64) | trusted comment)
 * all base64 (original alphabet, padded) under an "untrusted comment:" line.
 */
#include "minisign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libgen.h>

#include <sodium.h>

#define PK_BLOB_LEN (2 + MINISIGN_KEYID_LEN + MINISIGN_PK_LEN)
#define SK_BLOB_LEN (2 + 2 + 2 + 32 + 8 + 8 + MINISIGN_KEYID_LEN + MINISIGN_SK_LEN + 32)
#define SIG_BLOB_LEN (2 + MINISIGN_KEYID_LEN + crypto_sign_BYTES)
#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

static int
ms_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int
minisign_keygen(struct minisign_key *key)
{
	if (ms_init() < 0)
		return -EIO;
	memset(key, 0, sizeof *key);
	randombytes_buf(key->id, sizeof key->id);
	crypto_sign_keypair(key->pk, key->sk);
	key->has_secret = 1;
	return 0;
}

void
minisign_keyid_hex(const struct minisign_key *key, char *buf)
{
	int i;

	/* minisign prints the little-endian 64-bit key id, i.e. bytes reversed. */
	for (i = 0; i < MINISIGN_KEYID_LEN; i++)
		sprintf(buf + 2 * i, "%02X", key->id[MINISIGN_KEYID_LEN - 1 - i]);
	buf[2 * MINISIGN_KEYID_LEN] = '\0';
}

int
minisign_read_file(const char *path, uint8_t **bufp, size_t *lenp)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (1 << 30)) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int
minisign_write_file(const char *path, const void *data, size_t len, int mode)
{
	char tmp[PATH_MAX], dirbuf[PATH_MAX];
	const uint8_t *p = data;
	ssize_t n;
	int fd = -1, dfd, rc = 0;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* open() honours the umask; the key files must be exactly mode. */
	if (fchmod(fd, (mode_t)mode) < 0) {
		rc = -errno;
		goto out;
	}
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	/* A failed fsync still leaves the descriptor to close. */
	if (fsync(fd) < 0) {
		rc = -errno;
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto out;
	}
	/* The new name must survive a power cut too: a caller told of a failure
	 * here writes the same bytes again, so failing is safe. */
	snprintf(dirbuf, sizeof dirbuf, "%s", path);
	if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		goto out;
	}
	if (fsync(dfd) < 0)
		rc = -errno;
	close(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
minisign_public_b64(const struct minisign_key *key, char *buf, size_t len)
{
	uint8_t blob[PK_BLOB_LEN];

	if (len < sodium_base64_ENCODED_LEN(PK_BLOB_LEN, B64_VARIANT))
		return -ENOSPC;
	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, key->id, MINISIGN_KEYID_LEN);
	memcpy(blob + 2 + MINISIGN_KEYID_LEN, key->pk, MINISIGN_PK_LEN);
	sodium_bin2base64(buf, len, blob, sizeof blob, B64_VARIANT);
	return 0;
}

/* Decodes one base64 line into exactly want bytes. */
static int
ms_b64_exact(const char *b64, size_t b64len, uint8_t *out, size_t want)
{
	size_t got = 0;

	if (sodium_base642bin(out, want, b64, b64len, NULL, &got, NULL,
	    B64_VARIANT) != 0 || got != want)
		return -EINVAL;
	return 0;
}

int
minisign_parse_public(const char *b64, struct minisign_key *key)
{
	uint8_t blob[PK_BLOB_LEN];
	size_t n = strcspn(b64, "\r\n");

	if (ms_init() < 0)
		return -EIO;
	if (ms_b64_exact(b64, n, blob, sizeof blob) < 0 ||
	    memcmp(blob, "Ed", 2) != 0)
		return -EINVAL;
	memset(key, 0, sizeof *key);
	memcpy(key->id, blob + 2, MINISIGN_KEYID_LEN);
	memcpy(key->pk, blob + 2 + MINISIGN_KEYID_LEN, MINISIGN_PK_LEN);
	return 0;
}

/*
 * Splits a minisign text file into its lines: line[0] must be the untrusted
 * comment.  Returns the number of lines found (at most max).
 */
static int
ms_lines(char *text, char **line, int max)
{
	int n = 0;
	char *p = text, *nl;

	while (n < max && *p) {
		line[n++] = p;
		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		p = nl + 1;
	}
	return n;
}

int
minisign_load_public(const char *path, struct minisign_key *key)
{
	uint8_t *text = NULL;
	char *line[2];
	size_t len;
	int rc;

	rc = minisign_read_file(path, &text, &len);
	if (rc < 0)
		return rc;
	if (ms_lines((char *)text, line, 2) != 2 ||
	    strncmp(line[0], "untrusted comment:", 18) != 0)
		rc = -EINVAL;
	else
		rc = minisign_parse_public(line[1], key);
	free(text);
	return rc;
}

static void
ms_sk_checksum(const uint8_t *id, const uint8_t *sk, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&st, id, MINISIGN_KEYID_LEN);
	crypto_generichash_update(&st, sk, MINISIGN_SK_LEN);
	crypto_generichash_final(&st, out, 32);
}

int
minisign_load_secret(const char *path, struct minisign_key *key)
{
	static const uint8_t zero[32];
	uint8_t *text = NULL, blob[SK_BLOB_LEN], chk[32];
	const uint8_t *id, *sk, *fchk;
	char *line[2];
	size_t len;
	int rc;

	if (ms_init() < 0)
		return -EIO;
	rc = minisign_read_file(path, &text, &len);
	if (rc < 0)
		return rc;
	if (ms_lines((char *)text, line, 2) != 2 ||
	    strncmp(line[0], "untrusted comment:", 18) != 0 ||
	    ms_b64_exact(line[1], strlen(line[1]), blob, sizeof blob) < 0 ||
	    memcmp(blob, "Ed", 2) != 0 || memcmp(blob + 4, "B2", 2) != 0) {
		rc = -EINVAL;
		goto out;
	}
	if (blob[2] != 0 || blob[3] != 0) {
		rc = -EOPNOTSUPP;	/* scrypt-encrypted: needs a password */
		goto out;
	}
	id = blob + 6 + 32 + 16;
	sk = id + MINISIGN_KEYID_LEN;
	fchk = sk + MINISIGN_SK_LEN;
	/*
	 * minisign -W leaves the checksum zero; anything else must match, so a
	 * damaged key is refused instead of producing bad signatures.
	 */
	ms_sk_checksum(id, sk, chk);
	if (memcmp(fchk, zero, 32) != 0 && sodium_memcmp(fchk, chk, 32) != 0) {
		rc = -EINVAL;
		goto out;
	}
	memset(key, 0, sizeof *key);
	memcpy(key->id, id, MINISIGN_KEYID_LEN);
	memcpy(key->sk, sk, MINISIGN_SK_LEN);
	crypto_sign_ed25519_sk_to_pk(key->pk, key->sk);
	key->has_secret = 1;
out:
	sodium_memzero(blob, sizeof blob);
	if (text)
		sodium_memzero(text, len);
	free(text);
	return rc;
}

int
minisign_write_keys(const struct minisign_key *key, const char *pub_path,
    const char *sec_path)
{
	uint8_t blob[SK_BLOB_LEN];
	char b64[sodium_base64_ENCODED_LEN(SK_BLOB_LEN, B64_VARIANT)];
	char pk64[sodium_base64_ENCODED_LEN(PK_BLOB_LEN, B64_VARIANT)];
	char text[512], idhex[17];
	int n, rc;

	if (!key->has_secret)
		return -EINVAL;
	memset(blob, 0, sizeof blob);
	memcpy(blob, "Ed", 2);
	memcpy(blob + 4, "B2", 2);
	memcpy(blob + 6 + 32 + 16, key->id, MINISIGN_KEYID_LEN);
	memcpy(blob + 6 + 32 + 16 + MINISIGN_KEYID_LEN, key->sk, MINISIGN_SK_LEN);
	/* Checksum left zero, as minisign -W writes it. */
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, B64_VARIANT);
	n = snprintf(text, sizeof text,
	    "untrusted comment: minisign encrypted secret key\n%s\n", b64);
	rc = minisign_write_file(sec_path, text, (size_t)n, 0600);
	sodium_memzero(blob, sizeof blob);
	sodium_memzero(b64, sizeof b64);
	sodium_memzero(text, sizeof text);
	if (rc < 0)
		return rc;
	minisign_keyid_hex(key, idhex);
	minisign_public_b64(key, pk64, sizeof pk64);
	n = snprintf(text, sizeof text,
	    "untrusted comment: minisign public key %s\n%s\n", idhex, pk64);
	return minisign_write_file(pub_path, text, (size_t)n, 0600);
}

static int
ms_tc_ok(const char *tc)
{
	return strlen(tc) < MINISIGN_TC_MAX && !strpbrk(tc, "\r\n");
}

int
minisign_sign(const struct minisign_key *key, const void *data, size_t len,
    const char *tc, char **sig_text)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], blob[SIG_BLOB_LEN];
	uint8_t *gmsg = NULL, gsig[crypto_sign_BYTES];
	char b64[sodium_base64_ENCODED_LEN(SIG_BLOB_LEN, B64_VARIANT)];
	char g64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, B64_VARIANT)];
	size_t tclen, outlen;
	char *out = NULL;
	int rc = 0;

	if (ms_init() < 0)
		return -EIO;
	if (!key->has_secret || !ms_tc_ok(tc))
		return -EINVAL;
	tclen = strlen(tc);
	crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, key->id, MINISIGN_KEYID_LEN);
	crypto_sign_detached(blob + 2 + MINISIGN_KEYID_LEN, NULL, hash,
	    sizeof hash, key->sk);
	gmsg = malloc(crypto_sign_BYTES + tclen);
	if (!gmsg) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(gmsg, blob + 2 + MINISIGN_KEYID_LEN, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, tc, tclen);
	crypto_sign_detached(gsig, NULL, gmsg, crypto_sign_BYTES + tclen, key->sk);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, B64_VARIANT);
	sodium_bin2base64(g64, sizeof g64, gsig, sizeof gsig, B64_VARIANT);
	outlen = 100 + strlen(b64) + tclen + strlen(g64);
	out = malloc(outlen);
	if (!out) {
		rc = -ENOMEM;
		goto out;
	}
	snprintf(out, outlen, "untrusted comment: signature from minisign secret key\n"
	    "%s\ntrusted comment: %s\n%s\n", b64, tc, g64);
	*sig_text = out;
	out = NULL;
out:
	free(gmsg);
	free(out);
	return rc;
}

int
minisign_verify(const struct minisign_key *pub, const void *data, size_t len,
    const char *sig_text, char **tc_out)
{
	uint8_t blob[SIG_BLOB_LEN], gsig[crypto_sign_BYTES];
	uint8_t hash[crypto_generichash_BYTES_MAX], *gmsg = NULL;
	const uint8_t *sig;
	char *copy = NULL, *line[4], *tc;
	size_t tclen;
	int rc = 0;

	if (ms_init() < 0)
		return -EIO;
	copy = strdup(sig_text);
	if (!copy)
		return -ENOMEM;
	if (ms_lines(copy, line, 4) != 4 ||
	    strncmp(line[0], "untrusted comment:", 18) != 0 ||
	    strncmp(line[2], "trusted comment: ", 17) != 0 ||
	    ms_b64_exact(line[1], strlen(line[1]), blob, sizeof blob) < 0 ||
	    ms_b64_exact(line[3], strlen(line[3]), gsig, sizeof gsig) < 0) {
		rc = -EINVAL;
		goto out;
	}
	if (memcmp(blob + 2, pub->id, MINISIGN_KEYID_LEN) != 0) {
		rc = -ENOKEY;
		goto out;
	}
	sig = blob + 2 + MINISIGN_KEYID_LEN;
	if (memcmp(blob, "ED", 2) == 0) {
		crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
		if (crypto_sign_verify_detached(sig, hash, sizeof hash, pub->pk) != 0)
			rc = -EBADMSG;
	} else if (memcmp(blob, "Ed", 2) == 0) {
		if (crypto_sign_verify_detached(sig, data, len, pub->pk) != 0)
			rc = -EBADMSG;
	} else {
		rc = -EINVAL;
	}
	if (rc < 0)
		goto out;
	tc = line[2] + 17;
	tclen = strlen(tc);
	gmsg = malloc(crypto_sign_BYTES + tclen);
	if (!gmsg) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(gmsg, sig, crypto_sign_BYTES);
	memcpy(gmsg + crypto_sign_BYTES, tc, tclen);
	if (crypto_sign_verify_detached(gsig, gmsg, crypto_sign_BYTES + tclen,
	    pub->pk) != 0) {
		rc = -EBADMSG;
		goto out;
	}
	if (tc_out) {
		*tc_out = strdup(tc);
		if (!*tc_out)
			rc = -ENOMEM;
	}
out:
	free(gmsg);
	free(copy);
	return rc;
}

int
minisign_sign_file(const struct minisign_key *key, const char *path,
    const char *tc)
{
	char sigpath[PATH_MAX], *sig = NULL;
	uint8_t *data = NULL;
	size_t len;
	int rc;

	if (snprintf(sigpath, sizeof sigpath, "%s.minisig", path) >=
	    (int)sizeof sigpath)
		return -ENAMETOOLONG;
	rc = minisign_read_file(path, &data, &len);
	if (rc < 0)
		goto out;
	rc = minisign_sign(key, data, len, tc, &sig);
	if (rc < 0)
		goto out;
	rc = minisign_write_file(sigpath, sig, strlen(sig), 0644);
out:
	free(data);
	free(sig);
	return rc;
}

int
minisign_verify_file(const struct minisign_key *pub, const char *path,
    char **tc_out)
{
	char sigpath[PATH_MAX];
	uint8_t *data = NULL, *sig = NULL;
	size_t len, slen;
	int rc;

	if (snprintf(sigpath, sizeof sigpath, "%s.minisig", path) >=
	    (int)sizeof sigpath)
		return -ENAMETOOLONG;
	rc = minisign_read_file(path, &data, &len);
	if (rc < 0)
		goto out;
	rc = minisign_read_file(sigpath, &sig, &slen);
	if (rc < 0)
		goto out;
	rc = minisign_verify(pub, data, len, (const char *)sig, tc_out);
out:
	free(data);
	free(sig);
	return rc;
}
