#ifndef NW_PUBLISH_INT_H
#define NW_PUBLISH_INT_H
/*
 * Internal to publish: the state of one publish run, shared by publish.c
 * (tree, session files, manifests, atomic swap) and site.c (meeting pages).
 */
#include <stdint.h>
#include <stdio.h>

#include "publish.h"

#define SHA_HEX 65

struct pub_file {
	char *path;		/* relative to the tree root */
	char sha[SHA_HEX];
};

struct pub_session {
	char *uid, *acronym, *name, *room;
	int64_t start, end, dt_id;
	int public_;
	int has_rec;
	char *rec_path, *rec_notice, *rec_notice_sha;
	char rec_sha[SHA_HEX];
	int64_t rec_bytes, rec_ms;
	int nlocal, nremote;
};

struct pub {
	struct store *st;
	const struct minisign_key *key;
	const struct publish_opts *o;
	char *root;			/* temp tree */
	struct pub_file *files;
	int nfiles, capfiles;
	struct pub_session *s;
	int ns;
	char meeting[32];
	int rc;				/* first error, sticky */
};

/* open_memstream wrapper: pages are built in memory, then emitted. */
struct pub_buf {
	FILE *f;
	char *data;
	size_t len;
};

/* publish.c */
void pub_fail(struct pub *p, int rc);		/* first error is sticky */
FILE *pub_open(struct pub_buf *b);
/* Emits the buffer as file rel of the tree (recorded for the manifests). */
void pub_close(struct pub *p, struct pub_buf *b, const char *rel);
void pub_esc(FILE *f, const char *s);		/* HTML/XML text and attributes */
const char *pub_time(int64_t t, const char *fmt, char *buf, size_t len);
const char *pub_duration(int64_t ms, char *buf, size_t len);
void pub_head(struct pub *p, FILE *f, const char *title);
void pub_foot(FILE *f);

/* site.c */
void site_index(struct pub *p);
void site_attendees(struct pub *p);
void site_notices(struct pub *p);
void site_feed(struct pub *p);
#endif
