#ifndef NW_VERSION_H
#define NW_VERSION_H
/* The software version boxes report in their heartbeat and the host shows
 * on its status board. Raise it with every release. */
#define NOTEWELL_VERSION "0.9.0"
#endif
