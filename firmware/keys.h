#ifndef NW_KEYS_H
#define NW_KEYS_H
/*
 * The box's Ed25519 device key, made on first start with libsodium and kept
 * in minisign's file formats: DIR/device.key (secret, mode 0600, never
 * leaves the box) and DIR/device.pub (what the host learns at enrollment and
 * what anyone passes to `minisign -V -p` to check a manifest).
 */
#include <stddef.h>

#include "minisign.h"

#define KEYS_SECRET "device.key"
#define KEYS_PUBLIC "device.pub"

/* Loads the key pair from dir, making it first when there is none. A
 * secret key file readable by others is refused (-EPERM): it may have been
 * copied, so the box must not trust it. err says what went wrong. */
int keys_load_or_create(const char *dir, struct minisign_key *key,
    char *err, size_t errlen);

#endif
