#include "board.h"

#include <errno.h>
#include <string.h>

#include "log.h"

/* The sim board has no buzzer or LED: the acknowledgement goes to the log,
 * where the tests and the demo read it. */
static void
sim_ack(struct board *b, int ok, const char *msg)
{
	log_info("ack %s: %s", ok ? "ok" : "reject", msg);
}

/* On the QEMU image the console is the only output a person (or the
 * harness) sees. The rpi4 board's GPIO LED and buzzer are not driven yet:
 * there the screen and this log line are the feedback. */
int
board_init(struct board *b, const char *name)
{
	memset(b, 0, sizeof *b);
	if (strcmp(name, "sim") != 0 && strcmp(name, "qemu-virt") != 0 &&
	    strcmp(name, "rpi4") != 0)
		return -EINVAL;
	b->name = name;
	b->ack = sim_ack;
	return 0;
}
