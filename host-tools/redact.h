#ifndef NW_REDACT_H
#define NW_REDACT_H
/*
 * Operator actions on people: removal from publication (correction or
 * removal requests) and the list of scans no registration explains.
 */
#include <stdio.h>

#include "store.h"

/*
 * Marks the person (badge id, e-mail or datatracker user id) as removed
 * from all published material, with an audit record of who, when and why.
 * -ENOENT: nobody matches; -EMLINK: several people match.
 */
int redact_person(struct store *st, const char *person, const char *reason,
    const char *who);
/* Lists scans of unknown badges and unmatched remote-attendance rows to f,
 * for the operator only (never published).  Returns the number of rows. */
int redact_unmatched(struct store *st, FILE *f);
#endif
