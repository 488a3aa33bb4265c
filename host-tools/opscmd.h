#ifndef NW_OPSCMD_H
#define NW_OPSCMD_H
/*
 * Operations commands (docs/notewell.1): status, preflight, operator.
 * Called with st NULL they only check their arguments (for -h).
 * Exit status: 0, 1 failure (preflight: a room is not ready), 2 usage.
 */
#include "store.h"

int opscmd_status(struct store *, int argc, char **argv);
int opscmd_preflight(struct store *, int argc, char **argv);
int opscmd_operator(struct store *, int argc, char **argv);

#endif
