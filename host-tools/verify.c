/*
 * notewell verify: re-checks a published tree against its signed manifests.
 * Every problem is reported (not just the first) so an operator sees the
 * whole extent of a change.
 */
#include "progress.h"
#include "publish.h"

#include <errno.h>
#include <dirent.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SHA_HEX 65

struct pub_verify {
	const char *dir;
	const struct minisign_key *pub;
	char **listed;		/* every path the top manifest names */
	int nlisted, cap;
	char **seen;		/* every file in the tree */
	int nseen, capseen;
	int bad;
};

static int
pub_str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
pub_push(char ***arr, int *n, int *cap, const char *s)
{
	char **na;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		na = realloc(*arr, (size_t)*cap * sizeof *na);
		if (!na)
			return -ENOMEM;
		*arr = na;
	}
	if (!((*arr)[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* A manifest path must stay inside the tree. */
static int
pub_path_ok(const char *s)
{
	const char *c;

	if (!*s || *s == '/')
		return 0;
	for (c = s; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
			return 0;
		if (*c == '/' || *c == '\0')
			return 0;
	}
	return 1;
}

/*
 * Checks SUB/manifest.txt (SUB "" for the top) and every hash in it; adds
 * the paths it names (relative to the tree) to v->listed when top is set.
 */
static int
pub_check_manifest(struct pub_verify *v, const char *sub, int top)
{
	char mpath[PATH_MAX], fpath[PATH_MAX], rel[PATH_MAX], sha[SHA_HEX];
	uint8_t *text = NULL;
	char *line, *save = NULL, *name, *tc = NULL;
	size_t len;
	int rc;

	snprintf(mpath, sizeof mpath, "%s/%s%smanifest.txt", v->dir, sub,
	    *sub ? "/" : "");
	rc = minisign_verify_file(v->pub, mpath, &tc);
	if (rc < 0) {
		log_warnx("verify: %s: signature %s", mpath, rc == -EBADMSG ?
		    "does not match" : rc == -ENOKEY ? "is by another key" :
		    strerror(-rc));
		v->bad++;
		return rc;
	}
	free(tc);
	rc = minisign_read_file(mpath, &text, &len);
	if (rc < 0)
		return rc;
	for (line = strtok_r((char *)text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ' ||
		    !pub_path_ok(line + 66)) {
			log_warnx("verify: %s: malformed line", mpath);
			v->bad++;
			continue;
		}
		line[64] = '\0';
		name = line + 66;
		snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", name);
		if (snprintf(fpath, sizeof fpath, "%s/%s", v->dir, rel) >=
		    (int)sizeof fpath)
			rc = -ENAMETOOLONG;
		else
			rc = publish_sha256_file(fpath, sha);
		if (rc < 0) {
			log_warnx("verify: %s: %s", rel, strerror(-rc));
			v->bad++;
		} else if (strcmp(sha, line) != 0) {
			log_warnx("verify: %s: SHA-256 does not match the manifest", rel);
			v->bad++;
		}
		if (top && pub_push(&v->listed, &v->nlisted, &v->cap, rel) < 0) {
			free(text);
			return -ENOMEM;
		}
	}
	free(text);
	return 0;
}

/* Collects every file under dir/rel; anything but files and folders is bad. */
static int
pub_walk(struct pub_verify *v, const char *rel)
{
	char path[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof path, "%s%s%s", v->dir, *rel ? "/" : "", rel);
	if (!(d = opendir(path)))
		return -errno;
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name) >= (int)sizeof sub ||
		    snprintf(path, sizeof path, "%s/%s", v->dir, sub) >=
		    (int)sizeof path) {
			rc = -ENAMETOOLONG;
			break;
		}
		if (lstat(path, &st) < 0) {
			rc = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			rc = pub_walk(v, sub);
		} else if (S_ISREG(st.st_mode)) {
			rc = pub_push(&v->seen, &v->nseen, &v->capseen, sub);
		} else {
			log_warnx("verify: %s: not a regular file", sub);
			v->bad++;
		}
	}
	closedir(d);
	return rc;
}

int
publish_verify(const char *dir, const struct minisign_key *pub)
{
	struct pub_verify v;
	struct progress bar;
	char sub[PATH_MAX];
	int rc, i, j, n;

	memset(&v, 0, sizeof v);
	v.dir = dir;
	v.pub = pub;
	rc = pub_check_manifest(&v, "", 1);
	if (rc < 0 && v.bad == 0)
		goto out;
	/* Every session manifest named in the top one is checked too. */
	progress_start(&bar, stderr, "verify", (uint64_t)v.nlisted);
	for (i = 0; i < v.nlisted; i++) {
		n = (int)strlen(v.listed[i]);
		if (n > 13 && strcmp(v.listed[i] + n - 13, "/manifest.txt") == 0) {
			snprintf(sub, sizeof sub, "%.*s", n - 13, v.listed[i]);
			pub_check_manifest(&v, sub, 0);
		}
		progress_set(&bar, (uint64_t)i + 1);
	}
	progress_end(&bar);
	/* Nothing may be added to the tree either. */
	if ((rc = pub_walk(&v, "")) < 0) {
		log_warnx("verify: %s: %s", dir, strerror(-rc));
		goto out;
	}
	qsort(v.listed, (size_t)v.nlisted, sizeof *v.listed, pub_str_cmp);
	qsort(v.seen, (size_t)v.nseen, sizeof *v.seen, pub_str_cmp);
	for (i = j = 0; i < v.nseen || j < v.nlisted;) {
		int c = i >= v.nseen ? 1 : j >= v.nlisted ? -1 :
		    strcmp(v.seen[i], v.listed[j]);
		if (c == 0) {
			i++, j++;
		} else if (c < 0) {
			if (strcmp(v.seen[i], "manifest.txt") != 0 &&
			    strcmp(v.seen[i], "manifest.txt.minisig") != 0) {
				log_warnx("verify: %s: not in the manifest", v.seen[i]);
				v.bad++;
			}
			i++;
		} else {
			j++;	/* missing: already reported while hashing */
		}
	}
	rc = v.bad ? -EBADMSG : 0;
out:
	for (i = 0; i < v.nlisted; i++)
		free(v.listed[i]);
	for (i = 0; i < v.nseen; i++)
		free(v.seen[i]);
	free(v.listed);
	free(v.seen);
	return rc;
}
