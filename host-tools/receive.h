#ifndef NW_RECEIVE_H
#define NW_RECEIVE_H
/*
 * `notewell serve`: the HTTPS endpoint boxes push to (libmicrohttpd with
 * gnutls). Every request is signed by an enrolled box's Ed25519 key and
 * carries a strictly increasing sequence number; anything else gets 401 and
 * nothing more. Bodies, connections and time per connection are bounded.
 * The protocol is in docs/sync.md.
 */
#include <signal.h>

#include "store.h"

struct privdrop;

struct receive_opts {
	const char *addr;	/* IPv4 address to listen on */
	int port;
	int max_conns;		/* all clients */
	int per_ip;		/* one address */
	int timeout_s;		/* idle connection */
	/* Slow clients (slowloris): a connection gets this long to send a
	 * request's headers (from connecting, or from its last request's end),
	 * and a body must keep moving at RECEIVE_MIN_BPS or more over every
	 * 3 x this many seconds; slower ones are closed. */
	int header_timeout_s;
	/* Benchmark only (bench/sync_upload.sh): an unauthenticated
	 * PUT /bench/sink that writes the body to DIR/incoming/bench.sink and
	 * fsyncs it, the baseline curl is timed against. Off unless asked. */
	int bench_sink;
	/* Alerts (opsalert.h): the command, NULL for none, and the shortest
	 * time between two alerts of one kind for one room and alarm. */
	const char *alert_cmd;
	int alert_interval_s;
	/* Become this user once the port is bound and the TLS key read
	 * (privdrop.h); NULL or inactive: stay who we are. */
	const struct privdrop *drop;
};

#define RECEIVE_MIN_BPS 256	/* the box's own give-up rate (sync_http.c) */

/* Fills the defaults. */
void receive_defaults(struct receive_opts *);
/* Serves until SIGINT or SIGTERM. 0 on a clean stop. */
int receive_run(struct store *, const struct receive_opts *);

#endif
