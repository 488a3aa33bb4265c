#ifndef NW_BOARD_H
#define NW_BOARD_H
/*
 * Board support: what differs between the sim board, the QEMU image and a
 * Raspberry Pi. Kept to the few things that really differ (how an attendee
 * is told their scan worked, where the clock comes from); everything else is
 * in config.
 */
struct board {
	const char *name;
	/* Beep/LED feedback for a scan: ok = signed in, else rejected. */
	void (*ack)(struct board *, int ok, const char *msg);
	void *arg;
};

/* Fills b for a board name from config; -EINVAL if unknown. */
int board_init(struct board *b, const char *name);

#endif
