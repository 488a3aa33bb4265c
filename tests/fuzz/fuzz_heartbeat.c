/*
 * libFuzzer target for the host's heartbeat parser (opsstore.c): whatever
 * an enrolled box sends to POST /v1/heartbeat. An accepted body must have
 * the fields the status board reads, of their types.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "opsstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *hb = NULL;
	char err[256];

	if (opsstore_heartbeat_parse((const char *)data, size, "b", &hb, err, sizeof err) == 0) {
		if (!json_is_number(json_object_get(json_object_get(hb, "level"), "rms_dbfs")) ||
		    !json_is_integer(json_object_get(hb, "heartbeat_s")) ||
		    !json_is_string(json_object_get(hb, "state")))
			abort();
		json_decref(hb);
	}
	return 0;
}
