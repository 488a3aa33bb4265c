/*
 * Device key: see keys.h.
 */
#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

int
keys_load_or_create(const char *dir, struct minisign_key *key, char *err, size_t errlen)
{
	char sec[4200], pub[4200], id[17];
	struct stat sb;
	int rc;

	snprintf(sec, sizeof sec, "%s/" KEYS_SECRET, dir);
	snprintf(pub, sizeof pub, "%s/" KEYS_PUBLIC, dir);
	if (stat(sec, &sb) == 0) {
		if (sb.st_mode & 077) {
			snprintf(err, errlen, "%s is readable by others (mode %03o); "
			    "refusing to use it", sec, sb.st_mode & 0777);
			return -EPERM;
		}
		if ((rc = minisign_load_secret(sec, key)) < 0) {
			snprintf(err, errlen, "%s: %s", sec, strerror(-rc));
			return rc;
		}
		/* The public file is derived data: rewrite it if it went missing. */
		if (stat(pub, &sb) != 0 && (rc = minisign_write_keys(key, pub, sec)) < 0) {
			snprintf(err, errlen, "%s: %s", pub, strerror(-rc));
			return rc;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", sec, strerror(errno));
		return -errno;
	}
	if ((rc = minisign_keygen(key)) < 0 || (rc = minisign_write_keys(key, pub, sec)) < 0) {
		snprintf(err, errlen, "cannot make the device key in %s: %s", dir, strerror(-rc));
		return rc;
	}
	minisign_keyid_hex(key, id);
	log_info("made device key %s (%s)", id, pub);
	return 0;
}
