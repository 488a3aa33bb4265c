/*
 * Operations commands: notewell status, preflight and operator.
 */
#include "opscmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "opsboard.h"
#include "opsstore.h"
#include "preflight.h"

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
usage(const char *cmd, const char *args)
{
	fprintf(stderr, "usage: notewell [--store DIR] %s %s\n", cmd, args);
	return 2;
}

static int
show(struct store *st, int json, int tty)
{
	struct opsboard b;
	json_t *j;
	char *text;

	if (opsboard_build(st, now_ns(), &b) < 0) {
		fprintf(stderr, "notewell: status: cannot read the store\n");
		return -EIO;
	}
	if (json) {
		j = opsboard_json(&b);
		text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(j);
	} else {
		if (b.n == 0)
			printf("no rooms: import the agenda or enroll a box\n");
		else
			opsboard_print(&b, stdout, tty);
	}
	opsboard_free(&b);
	fflush(stdout);
	return 0;
}

int
opscmd_status(struct store *st, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char args[] = "[--json] [--watch [--interval S]]";
	int ch, json = 0, watch = 0, interval = 2, tty = isatty(STDOUT_FILENO);
	char *end;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "jwi:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'w': watch = 1; break;
		case 'i':
			interval = (int)strtol(optarg, &end, 10);
			if (*end || interval < 1 || interval > 3600)
				return usage("status", args);
			break;
		case 'h': usage("status", args); return 0;
		default: return usage("status", args);
		}
	}
	if (optind != argc)
		return usage("status", args);
	if (!st)
		return 0;
	for (;;) {
		/* In place on a terminal; one board after another otherwise. */
		if (watch && tty && !json)
			fputs("\033[H\033[2J", stdout);
		if (show(st, json, tty) < 0)
			return 1;
		if (!watch)
			return 0;
		if (!tty || json)
			putchar('\n');
		sleep((unsigned)interval);
	}
}

static void
print_operator(void *arg, const char *name, int64_t created)
{
	char t[40];
	struct tm tm;
	time_t c = (time_t)created;

	gmtime_r(&c, &tm);
	strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%-24s %s\n", name, t);
	(*(int *)arg)++;
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

int
opscmd_operator(struct store *st, int argc, char **argv)
{
	static const char args[] = "add NAME | remove NAME | list";
	char secret[OPSSTORE_SECRET_HEX + 1];
	int n = 0, rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (!st)
			return 0;
		if (opsstore_operators(st, print_operator, &n) < 0)
			return 1;
		if (n == 0)
			printf("no operators; add one with `notewell operator add NAME`\n");
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0))
		return usage("operator", args);
	/* Basic auth splits at the first ':', and names end up in logs. */
	if (!name_ok(argv[2])) {
		fprintf(stderr, "notewell: operator: a name is 1-64 of A-Z a-z 0-9 . _ -\n");
		return 2;
	}
	if (!st)
		return 0;
	if (strcmp(argv[1], "remove") == 0) {
		rc = opsstore_operator_remove(st, argv[2]);
		if (rc == -ENOENT)
			fprintf(stderr, "notewell: operator: no operator %s\n", argv[2]);
		if (rc < 0)
			return 1;
		store_audit(st, "notewell", "operator-removed", argv[2]);
		printf("removed operator %s\n", argv[2]);
		return 0;
	}
	if (opsstore_operator_add(st, argv[2], secret, (int64_t)time(NULL)) < 0)
		return 1;
	store_audit(st, "notewell", "operator-added", argv[2]);
	/* Shown once: only its hash is kept. */
	printf("operator %s\nsecret   %s\n", argv[2], secret);
	printf("(the status page asks for this name and secret; it is not shown again)\n");
	explicit_bzero(secret, sizeof secret);
	return 0;
}

int
opscmd_preflight(struct store *st, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "max-offset-ms", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char args[] = "[--max-offset-ms MS] [--json]";
	struct preflight_opts o;
	struct preflight_result res;
	int ch, json = 0, rc;
	char *end;

	preflight_defaults(&o);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:jh", lo, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.max_offset_ms = strtol(optarg, &end, 10);
			if (*end || o.max_offset_ms < 1 || o.max_offset_ms > 3600000)
				return usage("preflight", args);
			break;
		case 'j': json = 1; break;
		case 'h': usage("preflight", args); return 0;
		default: return usage("preflight", args);
		}
	}
	if (optind != argc)
		return usage("preflight", args);
	if (!st)
		return 0;
	if ((rc = preflight_run(st, now_ns(), &o, &res)) < 0) {
		fprintf(stderr, "notewell: preflight: cannot read the store\n");
		return 1;
	}
	if (json) {
		json_t *j = preflight_json(&res);
		char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(j);
	} else {
		preflight_print(&res, stdout, isatty(STDOUT_FILENO));
	}
	rc = res.failed_rooms > 0 || res.nrooms == 0;
	preflight_free(&res);
	return rc;
}
