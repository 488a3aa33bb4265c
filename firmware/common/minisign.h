#ifndef NW_MINISIGN_H
#define NW_MINISIGN_H
/*
 * Ed25519 keys and signatures in minisign's file formats, so anyone can check
 * what a box or the host signed with the stock `minisign -V` tool.
 *
 * Key files: the public key file is minisign's ("untrusted comment: ..." and
 * base64 of "Ed" || key id || public key).  Secret keys are written
 * unencrypted (kdf "\0\0") exactly as `minisign -G -W` writes them, mode 0600;
 * protecting them is the job of the file system (the box has no operator to
 * type a password).  Signatures always use the prehashed "ED" algorithm
 * (Ed25519 over BLAKE2b-512 of the data) plus the global signature over the
 * trusted comment.
 *
 * Functions return 0 or a negative errno: -EINVAL for a malformed key or
 * signature file, -EBADMSG for a signature that does not verify, -ENOKEY for
 * a signature made by another key id.
 */
#include <stddef.h>
#include <stdint.h>

#define MINISIGN_KEYID_LEN 8
#define MINISIGN_PK_LEN 32
#define MINISIGN_SK_LEN 64
#define MINISIGN_TC_MAX 1024	/* minisign's own limit on a trusted comment */

struct minisign_key {
	uint8_t id[MINISIGN_KEYID_LEN];
	uint8_t pk[MINISIGN_PK_LEN];
	uint8_t sk[MINISIGN_SK_LEN];	/* all zero when only the public half is loaded */
	int has_secret;
};

/* Makes a fresh key pair with a random key id. */
int minisign_keygen(struct minisign_key *key);
/* Writes both key files (temp, fsync, rename), mode 0600. */
int minisign_write_keys(const struct minisign_key *key, const char *pub_path,
    const char *sec_path);
int minisign_load_public(const char *path, struct minisign_key *key);
/* Parses the base64 line of a public key (as minisign -P takes). */
int minisign_parse_public(const char *b64, struct minisign_key *key);
/* Loads an unencrypted secret key; encrypted keys give -EOPNOTSUPP. */
int minisign_load_secret(const char *path, struct minisign_key *key);
/* Key id as 16 upper-case hex digits like minisign prints; buf >= 17 bytes. */
void minisign_keyid_hex(const struct minisign_key *key, char *buf);
/* The base64 public key line (no newline); buf >= 57 bytes. */
int minisign_public_b64(const struct minisign_key *key, char *buf, size_t len);

/*
 * Signs data.  trusted_comment must be one line (no CR/LF); the result is the
 * complete .minisig text, malloc'd, NUL-terminated.  Ed25519 is
 * deterministic, so the same key, data and comment give the same bytes.
 */
int minisign_sign(const struct minisign_key *key, const void *data, size_t len,
    const char *trusted_comment, char **sig_text);
/* Signs a file and writes PATH.minisig beside it (temp, fsync, rename). */
int minisign_sign_file(const struct minisign_key *key, const char *path,
    const char *trusted_comment);
/*
 * Verifies sig_text (a .minisig file's contents) over data with the public
 * key; accepts both "ED" and legacy "Ed" signatures.  On success and if
 * tc_out is not NULL, *tc_out gets the trusted comment (malloc'd).
 */
int minisign_verify(const struct minisign_key *pub, const void *data,
    size_t len, const char *sig_text, char **tc_out);
/* Verifies PATH against PATH.minisig. */
int minisign_verify_file(const struct minisign_key *pub, const char *path,
    char **tc_out);

/* Reads a whole file (up to 1 GiB) into a malloc'd, NUL-terminated buffer. */
int minisign_read_file(const char *path, uint8_t **buf, size_t *len);
/* Writes a file atomically: PATH.tmp, fsync, rename, fsync the directory. */
int minisign_write_file(const char *path, const void *buf, size_t len, int mode);

#endif
