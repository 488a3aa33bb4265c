#ifndef NW_CTL_H
#define NW_CTL_H
/*
 * The control socket: DIR/ctl.sock, mode 0660. One request per connection:
 * the client sends a JSON object on one line ({"cmd":"status",...}), the
 * daemon answers with one JSON object ({"ok":true,...} or
 * {"ok":false,"error":"..."}) and closes. Requests are bounded in size and
 * a slow client is dropped, so a stuck notewellctl cannot stall the box.
 */
#include <jansson.h>

#include "loop.h"

#define CTL_MAX_REQUEST 8192
#define CTL_SOCKET "ctl.sock"

struct ctl;
/* Returns a new reference to the reply object. */
typedef json_t *(*ctl_handler)(void *arg, const char *cmd, json_t *req);

int ctl_open(struct loop *, const char *dir, ctl_handler, void *arg, struct ctl **);
void ctl_close(struct ctl *);

/* Client side: sends req, returns the reply (new reference) or NULL with err. */
json_t *ctl_call(const char *dir, json_t *req, char *err, size_t errlen);
json_t *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
