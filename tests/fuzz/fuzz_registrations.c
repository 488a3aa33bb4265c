/*
 * libFuzzer target for the host's CSV imports (host-tools/csvfile.c and
 * import.c): each input is tried as the registrations list and as the
 * remote attendance list, so both readers share one corpus of CSV files.
 * The contract checked is fuzz_import's (fuzz_store.h); the CSV reader on
 * its own must accept exactly the valid UTF-8 files it says it does.
 */
#include <stdint.h>
#include <stdlib.h>

#include "csvfile.h"
#include "fuzz_store.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The remote list names sessions, so the store gets the sample agenda's
 * sessions once; without them every remote row would be refused early. */
static void
agenda_once(void)
{
	static const char agenda[] = "{\"sessions\":["
	    "{\"uid\":\"ietf-125-30001-tls\",\"acronym\":\"tls\",\"name\":\"TLS\","
	    "\"room\":\"Room A\",\"start\":\"2026-07-20T07:30:00Z\","
	    "\"end\":\"2026-07-20T07:50:00Z\"},"
	    "{\"uid\":\"ietf-125-30003-dnsop\",\"acronym\":\"dnsop\",\"name\":\"DNSOP\","
	    "\"room\":\"Room A\",\"start\":\"2026-07-20T08:30:00Z\","
	    "\"end\":\"2026-07-20T09:50:00Z\"}]}";
	static int done;
	char path[128], err[512];

	if (done)
		return;
	fuzz_write("agenda.json", (const uint8_t *)agenda, sizeof agenda - 1, path,
	    sizeof path);
	if (import_agenda_json(fuzz_store(), path, err, sizeof err) != 0)
		abort();
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csvfile cf = { 0 };
	char path[128], err[512];

	agenda_once();
	fuzz_write("plain.csv", data, size, path, sizeof path);
	if (csvfile_load(path, &cf, err, sizeof err) == 0) {
		if (csvfile_utf8_bad_line((const char *)data, size) != 0)
			abort();
		for (int r = 0; r < cf.nrows; r++) {
			if (cf.rows[r].line < 1 || (r && cf.rows[r].line < cf.rows[r - 1].line))
				abort();
			for (int c = 0; c < cf.rows[r].nfields; c++)
				if (!csvfile_utf8_ok(cf.rows[r].fields[c],
				    strlen(cf.rows[r].fields[c])))
					abort();
		}
		csvfile_free(&cf);
	}
	fuzz_import(import_registrations, "registrations.csv", data, size);
	fuzz_import(import_remote, "remote.csv", data, size);
	return 0;
}
