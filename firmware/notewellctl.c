/*
 * notewellctl: talk to a running notewelld over its control socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: notewellctl [--data DIR] [--json] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status                        state, session, scans, notice, clock\n"
	    "  session start [--uid UID] [--title TITLE]\n"
	    "  session stop\n"
	    "  scan BADGE                    sign in a badge by hand\n"
	    "  pause | resume                privacy pause of the recording\n"
	    "  notice                        the consent notice in force: id, version, URL, SHA-256\n"
	    "  notice reload                 reread shipped and host-pushed notices (all or nothing)\n"
	    "  schedule reload               load DIR/schedule.json again\n"
	    "  clock run-until TIME          sim board: run the virtual clock to TIME\n"
	    "  clock set TIME [synced|unsynced]  sim board: step the virtual wall clock\n"
	    "                                (monotonic time does not move), as NTP or\n"
	    "                                an operator setting the clock would\n"
	    "  bluesheet [--session ID]      badge ids and scan counts of a session\n"
	    "  events [--limit N]            the audit log, oldest first\n"
	    "  sync                          push to the host now; show sync state and backlog\n"
	    "DIR defaults to $NOTEWELL_DATA, then /var/lib/notewell.\n");
}

static void
print_sync(json_t *y)
{
	json_t *b = json_object_get(y, "backlog");
	const char *e;

	printf("sync     %s%s%s%s\n", json_string_value(json_object_get(y, "state")),
	    json_is_true(json_object_get(y, "enrolled")) ? " with " : " (not enrolled)",
	    json_is_true(json_object_get(y, "enrolled")) ?
	    json_string_value(json_object_get(y, "host")) : "",
	    json_string_value(json_object_get(y, "last_ok")) ? "" : ", never synced");
	if (json_string_value(json_object_get(y, "last_ok")))
		printf("synced   last at %s\n", json_string_value(json_object_get(y, "last_ok")));
	if (json_is_object(b))
		printf("backlog  %lld records, %lld bytes, oldest %lld s\n",
		    (long long)json_integer_value(json_object_get(b, "records")),
		    (long long)json_integer_value(json_object_get(b, "bytes")),
		    (long long)json_integer_value(json_object_get(b, "oldest_age_s")));
	if ((e = json_string_value(json_object_get(y, "enroll_error"))) && *e)
		printf("enroll   %s\n", e);
	if ((e = json_string_value(json_object_get(y, "last_error"))) && *e)
		printf("error    %s\n", e);
	if ((e = json_string_value(json_object_get(y, "key_id"))))
		printf("key      %s\n", e);
}

static void
print_human(const char *cmd, json_t *r)
{
	if (strcmp(cmd, "status") == 0) {
		json_t *s = json_object_get(r, "session");
		json_t *n = json_object_get(r, "notice");
		printf("device   %s (board %s)\n", json_string_value(json_object_get(r, "device_id")),
		    json_string_value(json_object_get(r, "board")));
		printf("room     %s\n", json_string_value(json_object_get(r, "room")));
		printf("state    %s\n", json_string_value(json_object_get(r, "state")));
		json_t *lv = json_object_get(r, "level");
		if (json_is_object(lv))
			printf("level    %.1f dBFS rms, %.1f dBFS peak\n",
			    json_real_value(json_object_get(lv, "rms_dbfs")),
			    json_real_value(json_object_get(lv, "peak_dbfs")));
		json_t *al = json_object_get(r, "alarms");
		if (json_array_size(al)) {
			size_t i;
			json_t *a;
			printf("ALARMS  ");
			json_array_foreach(al, i, a)
				printf(" %s", json_string_value(a));
			printf("\n");
		}
		if (json_is_object(s))
			printf("session  %lld %s (%s)\n", (long long)json_integer_value(json_object_get(s, "id")),
			    json_string_value(json_object_get(s, "uid")),
			    json_string_value(json_object_get(s, "title")));
		else
			printf("session  none\n");
		printf("signed   %lld badges this session\n",
		    (long long)json_integer_value(json_object_get(r, "badges_session")));
		printf("scans    %lld ok, %lld rejected since start\n",
		    (long long)json_integer_value(json_object_get(r, "scans_ok")),
		    (long long)json_integer_value(json_object_get(r, "scans_rejected")));
		printf("notice   %s\n", json_is_object(n) ?
		    json_string_value(json_object_get(n, "id")) : "none loaded");
		printf("clock    %s (%s)\n", json_string_value(json_object_get(r, "time")),
		    json_is_true(json_object_get(r, "clock_synced")) ? "synced" : "NOT synced");
		if (json_is_object(json_object_get(r, "sync")))
			print_sync(json_object_get(r, "sync"));
	} else if (strcmp(cmd, "sync") == 0) {
		print_sync(json_object_get(r, "sync"));
	} else if (strcmp(cmd, "bluesheet") == 0) {
		size_t i;
		json_t *e;
		printf("session %lld: %lld badges\n",
		    (long long)json_integer_value(json_object_get(r, "session_id")),
		    (long long)json_integer_value(json_object_get(r, "badges")));
		json_array_foreach(json_object_get(r, "list"), i, e)
			printf("%s\t%lld\n", json_string_value(json_object_get(e, "badge")),
			    (long long)json_integer_value(json_object_get(e, "scans")));
	} else if (strcmp(cmd, "events") == 0) {
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(r, "events"), i, e)
			printf("%s %-16s %s\n", json_string_value(json_object_get(e, "time")),
			    json_string_value(json_object_get(e, "kind")),
			    json_string_value(json_object_get(e, "detail")));
	} else if (strcmp(cmd, "notice") == 0) {
		printf("id       %s\nversion  %s\nurl      %s\nsha256   %s\n",
		    json_string_value(json_object_get(r, "id")),
		    json_string_value(json_object_get(r, "version")),
		    json_string_value(json_object_get(r, "url")),
		    json_string_value(json_object_get(r, "sha256")));
	} else if (strcmp(cmd, "scan") == 0) {
		printf("%s\n", json_string_value(json_object_get(r, "message")));
	} else if (strcmp(cmd, "session") == 0) {
		json_t *s = json_object_get(r, "session");
		printf("session %lld %s\n", (long long)json_integer_value(json_object_get(s, "id")),
		    json_string_value(json_object_get(s, "uid")));
	} else {
		char *out = json_dumps(r, JSON_INDENT(2));
		printf("%s\n", out);
		free(out);
	}
}

/* Builds the request from argv; returns NULL after printing usage. */
static json_t *
build_request(int argc, char **argv)
{
	const char *cmd = argv[0];
	json_t *req = json_pack("{s:s}", "cmd", cmd);

	if ((strcmp(cmd, "status") == 0 || strcmp(cmd, "pause") == 0 || strcmp(cmd, "notice") == 0 ||
	    strcmp(cmd, "resume") == 0 || strcmp(cmd, "sync") == 0) && argc == 1)
		return req;
	if (strcmp(cmd, "schedule") == 0 && argc == 2 && strcmp(argv[1], "reload") == 0)
		return req;
	if (strcmp(cmd, "notice") == 0 && argc == 2 && strcmp(argv[1], "reload") == 0) {
		json_object_set_new(req, "cmd", json_string("notices"));
		return req;
	}
	if (strcmp(cmd, "clock") == 0 && argc == 3 && strcmp(argv[1], "run-until") == 0) {
		json_object_set_new(req, "until", json_string(argv[2]));
		return req;
	}
	if (strcmp(cmd, "clock") == 0 && (argc == 3 || argc == 4) && strcmp(argv[1], "set") == 0) {
		json_object_set_new(req, "action", json_string("set"));
		json_object_set_new(req, "time", json_string(argv[2]));
		if (argc == 4 && strcmp(argv[3], "synced") != 0 && strcmp(argv[3], "unsynced") != 0)
			goto bad;
		if (argc == 4)
			json_object_set_new(req, "synced", json_boolean(argv[3][0] == 's'));
		return req;
	}
	if (strcmp(cmd, "scan") == 0 && argc == 2) {
		json_object_set_new(req, "badge", json_string(argv[1]));
		return req;
	}
	if (strcmp(cmd, "session") == 0 && argc >= 2 &&
	    (strcmp(argv[1], "start") == 0 || strcmp(argv[1], "stop") == 0)) {
		json_object_set_new(req, "action", json_string(argv[1]));
		for (int i = 2; i + 1 < argc + 1; i += 2) {
			if (i + 1 >= argc || strcmp(argv[1], "start") != 0)
				goto bad;
			if (strcmp(argv[i], "--uid") == 0)
				json_object_set_new(req, "uid", json_string(argv[i + 1]));
			else if (strcmp(argv[i], "--title") == 0)
				json_object_set_new(req, "title", json_string(argv[i + 1]));
			else
				goto bad;
		}
		return req;
	}
	if (strcmp(cmd, "bluesheet") == 0 && (argc == 1 || (argc == 3 &&
	    strcmp(argv[1], "--session") == 0))) {
		if (argc == 3)
			json_object_set_new(req, "session_id", json_integer(atoll(argv[2])));
		return req;
	}
	if (strcmp(cmd, "events") == 0 && (argc == 1 || (argc == 3 &&
	    strcmp(argv[1], "--limit") == 0))) {
		if (argc == 3)
			json_object_set_new(req, "limit", json_integer(atoll(argv[2])));
		return req;
	}
bad:
	json_decref(req);
	usage(stderr);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = getenv("NOTEWELL_DATA");
	int as_json = 0, c, rc = 0;
	json_t *req, *reply;
	char err[512];

	if (!dir)
		dir = "/var/lib/notewell";
	/* "+" stops at the first command word so its own options pass through. */
	while ((c = getopt_long(argc, argv, "+d:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': as_json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	/* Let --json also follow the command ("status --json"). */
	if (argc > 1 && strcmp(argv[argc - 1], "--json") == 0) {
		as_json = 1;
		argc--;
	}
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (!(req = build_request(argc, argv)))
		return 2;
	reply = ctl_call(dir, req, err, sizeof err);
	json_decref(req);
	if (!reply) {
		fprintf(stderr, "notewellctl: %s\n", err);
		return 1;
	}
	if (as_json) {
		char *out = json_dumps(reply, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", out);
		free(out);
	} else if (json_is_true(json_object_get(reply, "ok"))) {
		print_human(argv[0], reply);
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		fprintf(stderr, "notewellctl: %s\n", json_string_value(json_object_get(reply, "error")));
		rc = 1;
	}
	json_decref(reply);
	return rc;
}
