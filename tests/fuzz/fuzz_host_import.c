/*
 * libFuzzer target for the host's parsers: the first byte picks the
 * importer (registrations CSV, remote CSV, agenda.ics, agenda.json), the rest
 * is the file.  Importers take paths, so the input goes through a file in a
 * private temp dir; the store lives there too and persists across inputs,
 * which also exercises re-import over earlier state.
 * Build: clang -fsanitize=fuzzer,address with the three notewell libraries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "store.h"

static char fz_dir[64];
static struct store fz_st;
static int fz_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "r.csv", "m.csv", "a.ics", "a.json" };
	char path[128], err[1024];
	FILE *f;
	int which;

	if (!fz_ready) {
		strcpy(fz_dir, "/tmp/nwfuzz.XXXXXX");
		if (!mkdtemp(fz_dir) || store_open(&fz_st, fz_dir) < 0)
			abort();
		fz_ready = 1;
	}
	if (size < 1)
		return 0;
	which = data[0] % 4;
	snprintf(path, sizeof path, "%s/%s", fz_dir, names[which]);
	f = fopen(path, "w");
	if (!f)
		abort();
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	switch (which) {
	case 0: import_registrations(&fz_st, path, err, sizeof err); break;
	case 1: import_remote(&fz_st, path, err, sizeof err); break;
	case 2: import_agenda_ics(&fz_st, path, err, sizeof err); break;
	default: import_agenda_json(&fz_st, path, err, sizeof err); break;
	}
	/* Every import is all or nothing: never leave a transaction open. */
	if (!sqlite3_get_autocommit(fz_st.db))
		abort();
	return 0;
}
