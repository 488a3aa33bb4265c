/*
 * The enrollment and sync subcommands of notewell: init, enroll, devices,
 * revoke, serve. main.c dispatches here with the store already open.
 */
#include "synccmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "enroll.h"
#include "log.h"
#include "minisign.h"
#include "privdrop.h"
#include "publish.h"
#include "receive.h"
#include "syncstore.h"
#include "tlscert.h"

static int
usage(const char *cmd, const char *args)
{
	fprintf(stderr, "usage: notewell [--store DIR] %s %s\n", cmd, args);
	return 2;
}

int
synccmd_init(struct store *st, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "serve-user", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char args[] = "[--url https://HOST:PORT] [--serve-user NAME]";
	struct minisign_key key;
	char err[512], url[SYNCPROTO_URL_MAX + 1], host[256], pin[SYNCPROTO_PIN_B64 + 1];
	char path[4200], id[17];
	const char *u = NULL, *su = NULL;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "u:s:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': u = optarg; break;
		case 's': su = optarg; break;
		case 'h': usage("init", args); return 0;
		default: return usage("init", args);
		}
	}
	if (optind != argc)
		return usage("init", args);
	if (u && !syncproto_url_ok(u)) {
		fprintf(stderr, "notewell: init: '%s' is not a usable URL "
		    "(https://HOST[:PORT], no ';', no trailing '/')\n", u);
		return 1;
	}
	/* Checked against the accounts when serve starts, which may be on
	 * another machine than the one preparing the store. */
	if (su && (!su[0] || strlen(su) >= 64 || strchr(su, ':') || strchr(su, '/'))) {
		fprintf(stderr, "notewell: init: '%s' is not a user name\n", su);
		return 1;
	}
	/* The signing key for published proceedings: kept if already there. */
	if ((rc = publish_host_key(st, &key)) < 0) {
		fprintf(stderr, "notewell: init: host signing key: %s\n", strerror(-rc));
		return 1;
	}
	minisign_keyid_hex(&key, id);
	sodium_memzero(&key, sizeof key);
	rc = tlscert_create(st->dir, "notewell host", err, sizeof err);
	if (rc < 0 && rc != -EEXIST) {
		fprintf(stderr, "notewell: init: %s\n", err);
		return 1;
	}
	if (u) {
		snprintf(url, sizeof url, "%s", u);
	} else if (syncstore_setting_get(st, "url", url, sizeof url) != 0) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		snprintf(url, sizeof url, "https://%.180s:8443", host);
	}
	if (syncstore_setting_set(st, "url", url) < 0 ||
	    (su && syncstore_setting_set(st, "serve_user", su) < 0))
		return 1;
	snprintf(path, sizeof path, "%s/" TLSCERT_CERT, st->dir);
	if ((rc = tlscert_pin_file(path, pin)) < 0) {
		fprintf(stderr, "notewell: init: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	store_audit(st, "notewell", "init", url);
	printf("store       %s\n", st->dir);
	printf("signing key %s (%s/host.pub)\n", id, st->dir);
	printf("TLS cert    %s/" TLSCERT_CERT "\n", st->dir);
	printf("TLS pin     sha256//%s\n", pin);
	printf("box URL     %s\n", url);
	return 0;
}

int
synccmd_enroll(struct store *st, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "url", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' },
		{ "png", required_argument, NULL, 'p' },
		{ "prefix", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char args[] = "--room NAME [--url URL] [--ttl MINUTES] [--png FILE] "
	    "[--prefix TEXT]";
	struct enroll_opts o;
	char code[SYNCPROTO_SETUP_MAX + 1], png[4200], err[512], when[64];
	char *end;
	long ttl;
	time_t exp;
	int ch;

	memset(&o, 0, sizeof o);
	o.ttl_s = ENROLL_TTL_DEFAULT_S;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:u:t:p:x:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': o.room = optarg; break;
		case 'u': o.url = optarg; break;
		case 'p': o.png = optarg; break;
		case 'x': o.prefix = optarg; break;
		case 't':
			ttl = strtol(optarg, &end, 10);
			if (*end || ttl < 1 || ttl > 7 * 24 * 60)
				return usage("enroll", args);
			o.ttl_s = ttl * 60;
			break;
		case 'h': usage("enroll", args); return 0;
		default: return usage("enroll", args);
		}
	}
	if (!o.room || optind != argc)
		return usage("enroll", args);
	o.now = time(NULL);
	if (enroll_create(st, &o, code, sizeof code, png, sizeof png, err, sizeof err) < 0) {
		fprintf(stderr, "notewell: enroll: %s\n", err);
		return 1;
	}
	exp = (time_t)(o.now + o.ttl_s);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&exp));
	enroll_print_qr(stdout, code);
	printf("\nScan this with the badge scanner of the box for room \"%s\".\n", o.room);
	printf("setup code  %s\n", code);
	printf("PNG         %s\n", png);
	printf("valid until %s, once\n", when);
	return 0;
}

struct devlist {
	int n;
};

static void
fmt_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;

	if (t <= 0)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt));
}

static void
print_device(void *arg, const char *id, const char *room, int64_t enrolled,
    int64_t revoked, int64_t seen, int64_t records, int64_t recordings)
{
	struct devlist *l = arg;
	char e[32], s[32];

	fmt_time(enrolled, e, sizeof e);
	fmt_time(seen, s, sizeof s);
	if (l->n++ == 0)
		printf("%-18s %-16s %-8s %-20s %-20s %8s %5s\n", "BOX", "ROOM", "STATE",
		    "ENROLLED", "LAST SEEN", "RECORDS", "AUDIO");
	printf("%-18s %-16s %-8s %-20s %-20s %8lld %5lld\n", id, room ? room : "-",
	    revoked ? "revoked" : "active", e, s, (long long)records, (long long)recordings);
}

int
synccmd_devices(struct store *st, int argc, char **argv)
{
	struct devlist l = { 0 };

	if (argc != 1)
		return usage("devices", "");
	if (syncstore_devices(st, print_device, &l) < 0)
		return 1;
	if (l.n == 0)
		printf("no boxes enrolled\n");
	return 0;
}

int
synccmd_revoke(struct store *st, int argc, char **argv)
{
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return usage("revoke", "BOX");
	rc = store_revoke_device(st, argv[1], (int64_t)time(NULL));
	if (rc == -ENOENT) {
		fprintf(stderr, "notewell: revoke: no active box %s\n", argv[1]);
		return 1;
	}
	if (rc < 0)
		return 1;
	store_audit(st, "notewell", "revoke", argv[1]);
	printf("revoked %s: the host refuses it from now on\n", argv[1]);
	return 0;
}

static int
parse_listen(const char *s, char *addr, size_t len, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (!colon || (size_t)(colon - s) >= len || colon == s)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535)
		return -1;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	*port = (int)p;
	return 0;
}

/* The port of the URL boxes use, so `serve` alone listens where they go. */
static int
url_port(const char *url)
{
	const char *host = strstr(url, "://"), *colon;

	host = host ? host + 3 : url;
	colon = strchr(host, ':');
	return colon ? atoi(colon + 1) : 443;
}

/*
 * Who serve runs as. Root never serves: it must name an unprivileged user
 * to become (--user, or the serve_user setting `init --serve-user` keeps
 * in the store), which privdrop
 * checks exists and is not root. Anyone else serves as themselves.
 * 0 (p filled, inactive when not root) or -1 after saying why.
 */
static int
serve_user(struct store *st, const char *user, struct privdrop *p)
{
	char set[64];
	int rc;

	memset(p, 0, sizeof *p);
	if (!user && syncstore_setting_get(st, "serve_user", set, sizeof set) == 0 && set[0])
		user = set;
	if (geteuid() != 0) {
		if (user)
			log_info("serve: not root, so --user %s changes nothing", user);
		return 0;
	}
	if (!user) {
		fprintf(stderr, "notewell: serve: refusing to run as root; give --user NAME "
		    "(an unprivileged account to run as once the port is bound and the "
		    "TLS key read)\n");
		return -1;
	}
	if ((rc = privdrop_plan(user, p)) != 0 || !p->active) {
		fprintf(stderr, "notewell: serve: cannot run as '%s': %s\n", user,
		    rc == -ENOENT ? "no such user" : rc ? strerror(-rc) :
		    "that is root; name an unprivileged user");
		return -1;
	}
	return 0;
}

int
synccmd_serve(struct store *st, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "user", required_argument, NULL, 'u' },
		{ "bench-sink", no_argument, NULL, 'B' },
		{ "alert-cmd", required_argument, NULL, 'a' },
		{ "alert-interval", required_argument, NULL, 'I' },
		{ "header-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char args[] = "[--listen ADDR:PORT] [--user NAME] [--alert-cmd CMD] "
	    "[--alert-interval S] [--header-timeout S] [--bench-sink]";
	struct receive_opts o;
	struct privdrop pd;
	const char *user = NULL;
	char addr[64] = "0.0.0.0", url[SYNCPROTO_URL_MAX + 1];
	int ch, port = 0;
	char *end;

	receive_defaults(&o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "l:u:Ba:I:T:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': o.alert_cmd = *optarg ? optarg : NULL; break;
		case 'I':
			o.alert_interval_s = (int)strtol(optarg, &end, 10);
			if (*end || o.alert_interval_s < 1 || o.alert_interval_s > 86400)
				return usage("serve", args);
			break;
		case 'T':
			o.header_timeout_s = (int)strtol(optarg, &end, 10);
			if (*end || o.header_timeout_s < 1 || o.header_timeout_s > 3600)
				return usage("serve", args);
			break;
		case 'B': o.bench_sink = 1; break;
		case 'u': user = optarg; break;
		case 'l':
			if (parse_listen(optarg, addr, sizeof addr, &port) != 0)
				return usage("serve", args);
			break;
		case 'h': usage("serve", args); return 0;
		default: return usage("serve", args);
		}
	}
	if (optind != argc)
		return usage("serve", args);
	if (!port)
		port = syncstore_setting_get(st, "url", url, sizeof url) == 0 ? url_port(url) : 8443;
	if (serve_user(st, user, &pd) != 0)
		return 1;
	o.addr = addr;
	o.port = port;
	o.drop = &pd;
	return receive_run(st, &o) < 0 ? 1 : 0;
}
