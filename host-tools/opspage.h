#ifndef NW_OPSPAGE_H
#define NW_OPSPAGE_H
/*
 * The status board as an HTML page for operators (`notewell serve`,
 * GET /status): self-contained, no third-party resources.
 */
#include "opsboard.h"

/* malloc'd NUL-terminated page, or NULL when out of memory. */
char *opspage_html(const struct opsboard *, int refresh_s);

#endif
