#ifndef NW_TLSCERT_H
#define NW_TLSCERT_H
/*
 * The host's TLS identity: a self-signed certificate and its private key
 * (gnutls), made once by `notewell init`. Boxes do not check the certificate
 * chain; they pin the SHA-256 of its SubjectPublicKeyInfo, which travels in
 * the setup code (curl's "sha256//BASE64" pin).
 */
#include <stddef.h>

#include "syncproto.h"

#define TLSCERT_CERT "tls/cert.pem"
#define TLSCERT_KEY "tls/key.pem"

/* Writes DIR/tls/cert.pem and DIR/tls/key.pem (0600); -EEXIST when there
 * already is a key (a new key would strand every enrolled box). */
int tlscert_create(const char *dir, const char *common_name, char *err, size_t errlen);
/* The base64 SHA-256 SPKI pin of a PEM certificate. */
int tlscert_pin_pem(const char *pem, size_t len, char pin[SYNCPROTO_PIN_B64 + 1]);
int tlscert_pin_file(const char *cert_path, char pin[SYNCPROTO_PIN_B64 + 1]);

#endif
