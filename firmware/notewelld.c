/*
 * notewelld: the meeting-room box daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: notewelld [-nv] [--board sim|qemu-virt|rpi4] [--data DIR] [--config FILE]\n"
	    "                 [--audio-source alsa:DEVICE|file:PATH.wav] [--audio-pace realtime|fast]\n"
	    "  -n             check the configuration and exit\n"
	    "  -v             verbose log\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "board", required_argument, NULL, 'b' },
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "audio-source", required_argument, NULL, 'a' },
		{ "audio-pace", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Command-line settings win over the config file, so they are applied
	 * after it is read. */
	const char *over[][2] = { { "board", NULL }, { "audio_source", NULL },
	    { "audio_pace", NULL } };
	const char *dir = NULL, *conf = NULL;
	int check = 0, verbose = 0, c, rc;
	struct config cfg;
	struct daemon d;
	char err[512];

	log_init("notewelld", 0);
	while ((c = getopt_long(argc, argv, "nvhb:d:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': check = 1; break;
		case 'v': verbose = 1; break;
		case 'b': over[0][1] = optarg; break;
		case 'd': dir = optarg; break;
		case 'c': conf = optarg; break;
		case 'a': over[1][1] = optarg; break;
		case 'p': over[2][1] = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init("notewelld", verbose);
	config_defaults(&cfg);
	if (conf && config_load(&cfg, conf, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
		if (over[i][1] && config_set(&cfg, over[i][0], over[i][1], err, sizeof err) != 0) {
			fprintf(stderr, "notewelld: %s\n", err);
			return 1;
		}
	}
	if (check) {
		printf("configuration OK\n");
		return 0;
	}
	if (!dir) {
		fprintf(stderr, "notewelld: --data DIR is required\n");
		usage(stderr);
		return 2;
	}
	rc = daemon_init(&d, &cfg, dir, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "notewelld: %s\n", err);
		daemon_free(&d);
		return 1;
	}
	rc = daemon_run(&d);
	daemon_free(&d);
	return rc ? 1 : 0;
}
