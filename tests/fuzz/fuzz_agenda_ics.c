/*
 * libFuzzer target for the host's agenda.ics import
 * (host-tools/import_agenda.c). The input is the file; the contract
 * checked is fuzz_import's (fuzz_store.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_store.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import(import_agenda_ics, "agenda.ics", data, size);
	return 0;
}
