#ifndef NW_IMPORT_INT_H
#define NW_IMPORT_INT_H
/* Shared by the importers (import.c, import_agenda.c). */
#include <stddef.h>

/* Formats err and returns -EINVAL. */
int import_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A single line of printable UTF-8 text, 1..max bytes. */
int import_text_ok(const char *s, size_t max);
#endif
