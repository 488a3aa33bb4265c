/*
 * Shared by the fuzz targets whose parser takes a path (config, importers):
 * the input is written to a file in a private temp dir made on first use.
 * A header of static functions, not a module, so every target stays one
 * .c file as fuzz.mk expects.
 */
#ifndef NW_FUZZ_FILE_H
#define NW_FUZZ_FILE_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The private dir, created once; abort() when that fails, as no input
 * could be tried. */
static const char *
fuzz_dir(void)
{
	static char dir[64];

	if (!dir[0]) {
		strcpy(dir, "/tmp/nwfuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

/* Writes data to fuzz_dir()/name and leaves the path in path. */
static void
fuzz_write(const char *name, const uint8_t *data, size_t size, char *path,
    size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", fuzz_dir(), name);
	if (!(f = fopen(path, "w")))
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	if (fclose(f) != 0)
		abort();
}
#endif
