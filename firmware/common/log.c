#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *log_prog = "notewell";
static int log_verbose;

void
log_init(const char *progname, int verbose)
{
	log_prog = progname;
	log_verbose = verbose;
}

static void
log_vmsg(const char *level, const char *fmt, va_list ap, int err)
{
	char buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s%s: %s\n", log_prog, level, buf, strerror(err));
	else
		fprintf(stderr, "%s: %s%s\n", log_prog, level, buf);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vmsg("debug: ", fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("", fmt, ap, 0);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("warning: ", fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	log_vmsg("warning: ", fmt, ap, err);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("fatal: ", fmt, ap, 0);
	va_end(ap);
	exit(1);
}
