/*
 * Self-signed TLS certificate for notewell serve; see tlscert.h.
 */
#include "tlscert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "minisign.h"

#define CERT_YEARS 20

int
tlscert_pin_pem(const char *pem, size_t len, char pin[SYNCPROTO_PIN_B64 + 1])
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t in = { (unsigned char *)pem, (unsigned int)len }, der = { NULL, 0 };
	uint8_t h[crypto_hash_sha256_BYTES];
	int rc = -EINVAL;

	if (sodium_init() < 0)
		return -EIO;
	if (gnutls_x509_crt_init(&crt) < 0 || gnutls_pubkey_init(&pub) < 0)
		goto out;
	if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der) < 0)
		goto out;
	crypto_hash_sha256(h, der.data, der.size);
	sodium_bin2base64(pin, SYNCPROTO_PIN_B64 + 1, h, sizeof h,
	    sodium_base64_VARIANT_ORIGINAL);
	rc = 0;
out:
	gnutls_free(der.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return rc;
}

int
tlscert_pin_file(const char *path, char pin[SYNCPROTO_PIN_B64 + 1])
{
	uint8_t *pem = NULL;
	size_t len;
	int rc = minisign_read_file(path, &pem, &len);

	if (rc < 0)
		return rc;
	rc = tlscert_pin_pem((const char *)pem, len, pin);
	free(pem);
	return rc;
}

int
tlscert_create(const char *dir, const char *cn, char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kpem = { NULL, 0 }, cpem = { NULL, 0 };
	char certp[4200], keyp[4200], tlsdir[4200];
	unsigned char serial[16];
	struct stat sb;
	time_t now = time(NULL);
	int g, rc = -EIO;

	snprintf(tlsdir, sizeof tlsdir, "%s/tls", dir);
	snprintf(certp, sizeof certp, "%s/" TLSCERT_CERT, dir);
	snprintf(keyp, sizeof keyp, "%s/" TLSCERT_KEY, dir);
	if (stat(keyp, &sb) == 0) {
		snprintf(err, errlen, "%s exists; keeping it (enrolled boxes pin it)", keyp);
		return -EEXIST;
	}
	if (mkdir(tlsdir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", tlsdir, strerror(errno));
		return -errno;
	}
	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(serial, sizeof serial);
	serial[0] &= 0x7f;	/* a positive serial number */
	/* ECDSA P-256: small, fast, and every TLS stack speaks it. */
	if ((g = gnutls_x509_privkey_init(&key)) < 0 ||
	    (g = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (g = gnutls_x509_crt_init(&crt)) < 0 ||
	    (g = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (g = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
	    (g = gnutls_x509_crt_set_activation_time(crt, now - 86400)) < 0 ||
	    (g = gnutls_x509_crt_set_expiration_time(crt, now + CERT_YEARS * 365L * 86400)) < 0 ||
	    (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	    (unsigned)strlen(cn))) < 0 ||
	    (g = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (g = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (g = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem)) < 0 ||
	    (g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem)) < 0) {
		snprintf(err, errlen, "cannot make the TLS certificate: %s", gnutls_strerror(g));
		goto out;
	}
	if ((rc = minisign_write_file(keyp, kpem.data, kpem.size, 0600)) < 0 ||
	    (rc = minisign_write_file(certp, cpem.data, cpem.size, 0644)) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tlsdir, strerror(-rc));
		goto out;
	}
	rc = 0;
out:
	if (kpem.data) {
		sodium_memzero(kpem.data, kpem.size);
		gnutls_free(kpem.data);
	}
	gnutls_free(cpem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}
