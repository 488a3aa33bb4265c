/* Backend-independent display calls; see display.h. */
#include <errno.h>
#include <stddef.h>

#include "display.h"

int
display_present(struct display *d, const struct canvas *c)
{
	if (d->ops == NULL)
		return -EBADF;
	return d->ops->present(d->ctx, c);
}

void
display_close(struct display *d)
{
	if (d->ops && d->ops->close)
		d->ops->close(d->ctx);
	d->ops = NULL;
	d->ctx = NULL;
}
