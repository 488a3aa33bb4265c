#ifndef NW_CSVFILE_H
#define NW_CSVFILE_H
/*
 * Reads a whole CSV file (RFC 4180, through libcsv in strict mode) into
 * memory with the line each record starts on, after checking that the file
 * is valid UTF-8.  The first record is the header; columns are looked up by
 * name (case-insensitive, surrounding blanks ignored), so their order does
 * not matter and unknown columns are simply never read.
 */
#include <stddef.h>

struct csvfile_row {
	int line;		/* 1-based line the record starts on */
	int nfields;
	char **fields;		/* NUL-terminated, UTF-8 */
};

struct csvfile {
	struct csvfile_row *rows;	/* rows[0] is the header */
	int nrows;
	int cap;
};

/*
 * Loads path.  On error returns -EINVAL (or -errno for I/O) and writes
 * "PATH:LINE: what" into err.
 */
int csvfile_load(const char *path, struct csvfile *cf, char *err, size_t errlen);
void csvfile_free(struct csvfile *cf);
/* Index of the header column called name, or -1. */
int csvfile_column(const struct csvfile *cf, const char *name);
/* Field col of row r, "" when the row is short or col < 0. */
const char *csvfile_get(const struct csvfile *cf, int r, int col);
/* First line (1-based) of buf that is not valid UTF-8, or 0 if all is. */
int csvfile_utf8_bad_line(const char *buf, size_t len);
/* 1 if s (len bytes) is valid UTF-8 without NUL bytes. */
int csvfile_utf8_ok(const char *s, size_t len);

#endif
