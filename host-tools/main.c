/*
 * notewell: the host tool.  One binary, one subcommand per task; the store
 * is DIR/host.db (--store DIR, default $NOTEWELL_STORE or ./notewell-store).
 * Exit status: 0 success, 1 failure, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dtpost.h"
#include "import.h"
#include "log.h"
#include "minisign.h"
#include "opscmd.h"
#include "privacy.h"
#include "publish.h"
#include "redact.h"
#include "simfeed.h"
#include "store.h"
#include "schedout.h"
#include "noticepush.h"
#include "synccmd.h"

struct ctx {
	const char *store_dir;
	struct store st;
	int opened;
};

struct cmd {
	const char *name;
	int (*fn)(struct ctx *, int, char **);
	const char *args;
	const char *help;
};

static const struct cmd *main_cmd(const char *name);

static int
cmd_usage(const char *name)
{
	const struct cmd *c = main_cmd(name);

	fprintf(stderr, "usage: notewell [--store DIR] %s %s\n", c->name, c->args);
	return 2;
}

static int
want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static int
open_store(struct ctx *c)
{
	int rc = store_open(&c->st, c->store_dir);

	if (rc < 0) {
		if (rc != -EPROTO && rc != -EIO)
			log_warnx("store %s: %s", c->store_dir, strerror(-rc));
		return rc;
	}
	c->opened = 1;
	return 0;
}

/* The tables below and main's must name the same commands; a name in
 * main's table only is a usage error, not a crash. */
static int
cmd_unknown(const char *name)
{
	fprintf(stderr, "notewell: %s: unknown command\n", name);
	return 2;
}

/* Operations live in opscmd.c; like sync commands they need the store. */
static int
cmd_ops(struct ctx *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct store *, int, char **);
	} t[] = {
		{ "status", opscmd_status }, { "preflight", opscmd_preflight },
		{ "operator", opscmd_operator },
	};
	int rc;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (strcmp(t[i].name, argv[0]) != 0)
			continue;
		/* Arguments are checked before the store is opened (or created). */
		if ((rc = t[i].fn(NULL, argc, argv)) != 0 || want_help(argc, argv))
			return rc;
		if (open_store(c) < 0)
			return 1;
		return t[i].fn(&c->st, argc, argv);
	}
	return cmd_unknown(argv[0]);
}

/* Enrollment and sync live in synccmd.c; they all need the store open. */
static int
cmd_sync(struct ctx *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct store *, int, char **);
	} t[] = {
		{ "init", synccmd_init }, { "enroll", synccmd_enroll },
		{ "devices", synccmd_devices }, { "revoke", synccmd_revoke },
		{ "serve", synccmd_serve },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (strcmp(t[i].name, argv[0]) != 0)
			continue;
		if (want_help(argc, argv))
			return t[i].fn(NULL, argc, argv);
		if (open_store(c) < 0)
			return 1;
		return t[i].fn(&c->st, argc, argv);
	}
	return cmd_unknown(argv[0]);
}

static int
cmd_import(struct ctx *c, int argc, char **argv)
{
	char err[1024] = "";
	int rc;

	if (want_help(argc, argv)) {
		cmd_usage("import");
		fprintf(stderr, "  agenda FILE          agenda.ics or agenda.json\n"
		    "  registrations FILE   registrations CSV (the full list)\n"
		    "  remote FILE          remote attendance CSV (the full list)\n");
		return 0;
	}
	if (argc != 3)
		return cmd_usage("import");
	if (strcmp(argv[1], "agenda") != 0 && strcmp(argv[1], "registrations") != 0 &&
	    strcmp(argv[1], "remote") != 0)
		return cmd_usage("import");
	if (open_store(c) < 0)
		return 1;
	if (strcmp(argv[1], "agenda") == 0)
		rc = import_agenda(&c->st, argv[2], err, sizeof err);
	else if (strcmp(argv[1], "registrations") == 0)
		rc = import_registrations(&c->st, argv[2], err, sizeof err);
	else
		rc = import_remote(&c->st, argv[2], err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "notewell: %s\n", *err ? err : strerror(-rc));
		return 1;
	}
	return 0;
}

static int
parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
cmd_publish(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "min-group", required_argument, NULL, 'm' },
		{ "base-url", required_argument, NULL, 'b' },
		{ "datatracker", required_argument, NULL, 'd' },
		{ "apikey-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct publish_opts o;
	struct minisign_key key;
	const char *dt = NULL, *apikey = NULL;
	int ch, rc;

	memset(&o, 0, sizeof o);
	o.policy.min_group = PRIVACY_MIN_GROUP_DEFAULT;
	optind = 0;	/* 0: full re-init of GNU getopt (main used "+") */
	while ((ch = getopt_long(argc, argv, "o:m:b:d:k:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': o.out = optarg; break;
		case 'd': dt = optarg; break;
		case 'k': apikey = optarg; break;
		case 'b': o.base_url = optarg; break;
		case 'm':
			if (parse_int(optarg, 1, 1000, &o.policy.min_group) < 0)
				return cmd_usage("publish");
			break;
		case 'h':
			cmd_usage("publish");
			return 0;
		default:
			return cmd_usage("publish");
		}
	}
	if (!o.out || optind != argc || !dt != !apikey)
		return cmd_usage("publish");
	if (open_store(c) < 0)
		return 1;
	if ((rc = publish_host_key(&c->st, &key)) < 0) {
		log_warnx("host key in %s: %s", c->store_dir, strerror(-rc));
		return 1;
	}
	rc = publish_run(&c->st, &key, &o);
	memset(&key, 0, sizeof key);
	if (rc < 0) {
		log_warnx("publish %s failed: %s (previous tree left as it was)",
		    o.out, strerror(-rc));
		return 1;
	}
	printf("published %s\n", o.out);
	/* Posted from the tree just written and signed, never from the store. */
	if (dt && dtpost_run(o.out, dt, apikey) < 0) {
		log_warnx("datatracker: some payloads were not accepted; run "
		    "publish again to retry");
		return 1;
	}
	return 0;
}

static int
cmd_verify(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pubkey", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct minisign_key pub;
	char path[PATH_MAX];
	const char *pk = NULL;
	int ch, rc;

	optind = 0;	/* 0: full re-init of GNU getopt (main used "+") */
	while ((ch = getopt_long(argc, argv, "p:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': pk = optarg; break;
		case 'h':
			cmd_usage("verify");
			return 0;
		default:
			return cmd_usage("verify");
		}
	}
	if (optind != argc - 1)
		return cmd_usage("verify");
	/* Trust the key in the store, never the one inside the tree. */
	if (!pk) {
		snprintf(path, sizeof path, "%s/host.pub", c->store_dir);
		pk = path;
	}
	if ((rc = minisign_load_public(pk, &pub)) < 0) {
		log_warnx("public key %s: %s", pk, strerror(-rc));
		return 1;
	}
	rc = publish_verify(argv[optind], &pub);
	if (rc < 0) {
		log_warnx("verify %s: FAILED", argv[optind]);
		return 1;
	}
	printf("%s: OK\n", argv[optind]);
	return 0;
}

static const char *
operator_name(void)
{
	const char *u = getenv("SUDO_USER");
	struct passwd *pw;

	if (u && *u)
		return u;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

static int
cmd_redact(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *reason = NULL;
	int ch, rc;

	optind = 0;	/* 0: full re-init of GNU getopt (main used "+") */
	while ((ch = getopt_long(argc, argv, "r:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': reason = optarg; break;
		case 'h':
			cmd_usage("redact");
			return 0;
		default:
			return cmd_usage("redact");
		}
	}
	if (optind != argc - 1 || !reason || !*reason)
		return cmd_usage("redact");
	if (open_store(c) < 0)
		return 1;
	rc = redact_person(&c->st, argv[optind], reason, operator_name());
	if (rc == -ENOENT || rc == -EMLINK) {
		log_warnx("redact: %s %s", argv[optind], rc == -ENOENT ?
		    "matches no registration" : "matches several people; use the badge id");
		return 1;
	}
	if (rc < 0)
		return 1;
	printf("redacted; run `notewell publish` to update the published tree\n");
	return 0;
}

static int
cmd_unmatched(struct ctx *c, int argc, char **argv)
{
	if (want_help(argc, argv)) {
		cmd_usage("unmatched");
		return 0;
	}
	if (argc != 1)
		return cmd_usage("unmatched");
	if (open_store(c) < 0)
		return 1;
	return redact_unmatched(&c->st, stdout) < 0;
}

static int
cmd_schedule(struct ctx *c, int argc, char **argv)
{
	json_t *j;
	char *out;

	if (want_help(argc, argv)) {
		cmd_usage("schedule");
		return 0;
	}
	if (argc != 2)
		return cmd_usage("schedule");
	if (open_store(c) < 0)
		return 1;
	if (!(j = schedout_room(&c->st, argv[1]))) {
		fprintf(stderr, "notewell: schedule: cannot read the agenda\n");
		return 1;
	}
	out = json_dumps(j, JSON_INDENT(2));
	printf("%s\n", out);
	free(out);
	json_decref(j);
	return 0;
}

/* notice add FILE...: every file is checked and added in turn; the first
 * bad one stops the command (those before it stay added, each whole). */
static int
cmd_notice(struct ctx *c, int argc, char **argv)
{
	char err[1024];
	int i, rc;

	if (want_help(argc, argv)) {
		cmd_usage("notice");
		fprintf(stderr, "  add FILE.notice...   push these versions to every box (the\n"
		    "                       statement must be beside each file)\n"
		    "  list                 the versions the host pushes\n");
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "add") == 0 && argc < 3) ||
	    (strcmp(argv[1], "list") == 0 && argc != 2) ||
	    (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "list") != 0))
		return cmd_usage("notice");
	if (open_store(c) < 0)
		return 1;
	if (strcmp(argv[1], "list") == 0)
		return noticepush_list(&c->st, stdout) == 0 ? 0 : 1;
	for (i = 2; i < argc; i++) {
		rc = noticepush_add(&c->st, argv[i], (int64_t)time(NULL), err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "notewell: notice: %s\n", err);
			return 1;
		}
		printf("%s: %s\n", argv[i], rc == 1 ? "already there" : "added");
	}
	return 0;
}

static int
cmd_simfeed(struct ctx *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "session", required_argument, NULL, 's' },
		{ "recording", required_argument, NULL, 'r' },
		{ "notice", required_argument, NULL, 'n' },
		{ "notice-url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct simfeed_opts o;
	char err[1024] = "";
	int ch, rc;

	memset(&o, 0, sizeof o);
	optind = 0;	/* 0: full re-init of GNU getopt (main used "+") */
	while ((ch = getopt_long(argc, argv, "s:r:n:u:h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': o.session = optarg; break;
		case 'r': o.recording = optarg; break;
		case 'n': o.notice = optarg; break;
		case 'u': o.notice_url = optarg; break;
		case 'h':
			cmd_usage("sim-feed");
			return 0;
		default:
			return cmd_usage("sim-feed");
		}
	}
	if (optind != argc - 1)
		return cmd_usage("sim-feed");
	if (open_store(c) < 0)
		return 1;
	rc = simfeed_run(&c->st, argv[optind], &o, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "notewell: sim-feed: %s\n", *err ? err : strerror(-rc));
		return 1;
	}
	return 0;
}

static const struct cmd main_cmds[] = {
	{ "init", cmd_sync, "[--url https://HOST:PORT]",
	    "set up the store, the signing key and the TLS key; print the pin" },
	{ "enroll", cmd_sync, "--room NAME [--url URL] [--ttl MIN] [--png FILE]",
	    "print a one-time setup QR code for a room's box" },
	{ "devices", cmd_sync, "", "list enrolled boxes" },
	{ "revoke", cmd_sync, "BOX", "make the host refuse a box from now on" },
	{ "serve", cmd_sync, "[--listen ADDR:PORT] [--alert-cmd CMD] [--alert-interval S] [--header-timeout S]",
	    "receive what the boxes push (HTTPS); the /status page; alerts" },
	{ "status", cmd_ops, "[--json] [--watch [--interval S]]",
	    "one line per room: box, state, session, level, people, backlog, alarms" },
	{ "preflight", cmd_ops, "[--max-offset-ms MS] [--json]",
	    "check every room's box before the meeting; fails naming each problem" },
	{ "operator", cmd_ops, "add NAME | remove NAME | list",
	    "who may read the status page (add prints a secret once)" },
	{ "import", cmd_import, "agenda|registrations|remote FILE",
	    "import the agenda, registrations or remote attendance" },
	{ "publish", cmd_publish, "--out DIR [--min-group N] [--base-url URL]\n"
	    "             [--datatracker URL --apikey-file FILE]",
	    "write the proceedings site (atomically, reproducibly, signed)" },
	{ "verify", cmd_verify, "[--pubkey FILE] DIR",
	    "check every hash and signature of a published tree" },
	{ "redact", cmd_redact, "PERSON --reason TEXT",
	    "remove a person (badge id, e-mail or datatracker id) from publication" },
	{ "unmatched", cmd_unmatched, "", "list scans of unknown badges (never published)" },
	{ "schedule", cmd_schedule, "ROOM", "the room's schedule as its box receives it (JSON)" },
	{ "notice", cmd_notice, "add FILE.notice... | list",
	    "consent notice versions pushed to every box" },
	{ "sim-feed", cmd_simfeed, "[--session UID] [--recording FILE.opus]\n"
	    "             [--notice FILE [--notice-url URL]] SCANS",
	    "testing/simulation only: add scans as if a box had synced them" },
};
#define NCMDS (sizeof main_cmds / sizeof main_cmds[0])

static const struct cmd *
main_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(main_cmds[i].name, name) == 0)
			return &main_cmds[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: notewell [--store DIR] [-v] COMMAND [ARGS]\n"
	    "       notewell COMMAND -h\n\n"
	    "The store is DIR/host.db (default: $NOTEWELL_STORE or ./notewell-store).\n\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n             %s\n", main_cmds[i].name,
		    main_cmds[i].args, main_cmds[i].help);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "store", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *cmd;
	struct ctx c;
	int ch, verbose = 0, rc;

	memset(&c, 0, sizeof c);
	c.store_dir = getenv("NOTEWELL_STORE");
	if (!c.store_dir || !*c.store_dir)
		c.store_dir = "./notewell-store";
	/* '+': stop at the subcommand, its options are its own. */
	while ((ch = getopt_long(argc, argv, "+s:vh", lo, NULL)) != -1) {
		switch (ch) {
		case 's': c.store_dir = optarg; break;
		case 'v': verbose = 1; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	log_init("notewell", verbose);
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = main_cmd(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "notewell: unknown command %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	rc = cmd->fn(&c, argc - optind, argv + optind);
	if (c.opened)
		store_close(&c.st);
	return rc;
}
