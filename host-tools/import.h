#ifndef NW_IMPORT_H
#define NW_IMPORT_H
/*
 * Imports into the host store.  Each import reads and validates the whole
 * file first and only then changes the store, in one transaction: on any
 * error nothing changes and err holds "FILE:LINE: what" (JSON value errors
 * name the JSON path instead of a line, as jansson keeps no positions for
 * values).  Importing the same file again changes nothing; an updated file
 * updates the store in place.
 */
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* agenda.ics (libical) or agenda.json (jansson), chosen by the file name. */
int import_agenda(struct store *st, const char *path, char *err, size_t errlen);
int import_agenda_ics(struct store *st, const char *path, char *err, size_t errlen);
int import_agenda_json(struct store *st, const char *path, char *err, size_t errlen);
/*
 * Registrations CSV.  The file is the complete registration list: people no
 * longer in it are removed from the store.  Under-13 registrants are purged
 * with their scans and remote attendance.
 */
int import_registrations(struct store *st, const char *path, char *err,
    size_t errlen);
/* Remote attendance CSV: the complete list, replaces the previous one. */
int import_remote(struct store *st, const char *path, char *err, size_t errlen);

/* RFC 3339 date-time with Z or a numeric offset -> UTC seconds. */
int import_parse_rfc3339(const char *s, int64_t *out);
#endif
