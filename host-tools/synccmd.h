#ifndef NW_SYNCCMD_H
#define NW_SYNCCMD_H
/*
 * notewell subcommands for enrollment and sync. Each takes the open store
 * and its own argv (argv[0] is the subcommand name); returns the exit
 * status (0 ok, 1 failed, 2 usage).
 */
#include "store.h"

int synccmd_init(struct store *, int argc, char **argv);
int synccmd_enroll(struct store *, int argc, char **argv);
int synccmd_devices(struct store *, int argc, char **argv);
int synccmd_revoke(struct store *, int argc, char **argv);
int synccmd_serve(struct store *, int argc, char **argv);

#endif
