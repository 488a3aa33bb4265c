#ifndef NW_LOG_H
#define NW_LOG_H
/*
 * Logging for the daemon and the tools. Messages go to stderr with a level
 * prefix; the daemon's stderr is its log. Secrets are never passed here.
 */
#include <stdarg.h>

void log_init(const char *progname, int verbose);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
