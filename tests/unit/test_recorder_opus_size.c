/*
 * recorder's opus_encoder_get_size() memo (see recorder.c): it answers what
 * libopus answers, it is the definition libopus's own calls resolve to, and
 * recordings are bit-identical with it on and off, mono and stereo.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <ogg/ogg.h>
#include <opus/opus.h>

#include "recorder.h"
#include "audio_fixtures.h"

typedef int (*size_fn)(int);

static size_fn
libopus_size(void)
{
	/* From the executable, RTLD_NEXT skips our definition: libopus's. */
	size_fn real = (size_fn)dlsym(RTLD_NEXT, "opus_encoder_get_size");

	assert_non_null(real);
	return real;
}

static void
test_same_sizes_as_libopus(void **state)
{
	size_fn real = libopus_size();

	for (int pass = 0; pass < 2; pass++) {
		recorder_opus_size_memo(pass == 1);
		/* Twice each: the first fills the memo, the second reads it. */
		for (int rep = 0; rep < 2; rep++)
			for (int ch = -1; ch <= 3; ch++)
				assert_int_equal(opus_encoder_get_size(ch), real(ch));
	}
	assert_true(real(1) > 0);
	assert_true(real(2) > real(1));
	assert_int_equal(opus_encoder_get_size(0), 0);
	assert_int_equal(opus_encoder_get_size(3), 0);
}

/*
 * libopus calls opus_encoder_get_size through its PLT, which binds to the
 * first definition in the global scope. If the executable stopped exporting
 * ours (a linker flag, a static libopus), the memo would silently do nothing.
 */
static void
test_libopus_binds_to_memo(void **state)
{
	size_fn real = libopus_size();
	void *global = dlsym(RTLD_DEFAULT, "opus_encoder_get_size");
	Dl_info mine, theirs;

	assert_ptr_equal(global, (void *)opus_encoder_get_size);
	assert_ptr_not_equal(global, (void *)real);
	assert_true(dladdr(global, &mine) != 0);
	assert_true(dladdr((void *)real, &theirs) != 0);
	assert_non_null(strstr(theirs.dli_fname, "libopus"));
	assert_null(strstr(mine.dli_fname, "libopus"));
}

/* Speech-like test signal: a warbling tone in noise, with pauses. */
static void
make_signal(int16_t *pcm, size_t frames, int ch)
{
	uint32_t seed = 12345;

	for (size_t i = 0; i < frames; i++) {
		double t = (double)i / 48000.0;
		double env = fmod(t, 0.7) < 0.5 ? 0.3 : 0.0;
		double hz = 180.0 + 60.0 * sin(2 * M_PI * 3.0 * t);

		for (int c = 0; c < ch; c++) {
			seed = seed * 1664525u + 1013904223u;
			double noise = ((double)(seed >> 16) / 65536.0 - 0.5) * 0.01;
			double s = env * sin(2 * M_PI * hz * (c + 1) * t) + noise;
			pcm[i * (size_t)ch + (size_t)c] = (int16_t)lrint(s * 32767.0);
		}
	}
}

/* Records 3 s and returns the file's bytes (malloc'd) and length. */
static unsigned char *
record(const char *name, int ch, int app, int complexity, bool memo, size_t *len)
{
	struct recorder_tags t = { .session_id = "memo", .part = 1 };
	struct recorder_params p;
	struct recorder_result res;
	struct recorder *rec;
	const size_t frames = 3 * 48000;
	int16_t *pcm = calloc(frames * (size_t)ch, sizeof *pcm);
	const char *path = fx_path(name);
	unsigned char *buf;
	struct stat st;
	int fd;

	assert_non_null(pcm);
	make_signal(pcm, frames, ch);
	recorder_params_default(&p);
	p.channels = ch;
	p.application = app;
	p.complexity = complexity;
	recorder_opus_size_memo(memo);
	unlink(path);
	assert_int_equal(recorder_open(path, &p, &t, &rec), 0);
	for (size_t off = 0; off < frames; off += 960)
		assert_int_equal(recorder_write(rec, pcm + off * (size_t)ch, 960), 0);
	assert_int_equal(recorder_close(rec, &res), 0);
	recorder_opus_size_memo(true);
	free(pcm);

	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size > 1000);
	assert_int_equal((uint64_t)st.st_size, res.bytes);
	buf = malloc((size_t)st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/*
 * The pages of a file with the two fields that differ between any two
 * recordings zeroed: the stream serial number (libopusenc draws it from
 * rand()) and so the page CRC. Everything else, headers and audio, must
 * match byte for byte. libogg finds the pages.
 */
static unsigned char *
pages_sans_serial(const unsigned char *file, size_t len, size_t *outlen,
    int *npages)
{
	ogg_sync_state oy;
	ogg_page og;
	unsigned char *out = malloc(len), *p = out;

	assert_non_null(out);
	ogg_sync_init(&oy);
	memcpy(ogg_sync_buffer(&oy, (long)len), file, len);
	ogg_sync_wrote(&oy, (long)len);
	*npages = 0;
	while (ogg_sync_pageout(&oy, &og) == 1) {
		assert_true(og.header_len >= 27);
		memcpy(p, og.header, (size_t)og.header_len);
		memset(p + 14, 0, 4);
		memset(p + 22, 0, 4);
		p += og.header_len;
		memcpy(p, og.body, (size_t)og.body_len);
		p += og.body_len;
		(*npages)++;
	}
	ogg_sync_clear(&oy);
	*outlen = (size_t)(p - out);
	assert_int_equal(*outlen, len);	/* no stray bytes between pages */
	return out;
}

static void
check_identical(int ch, int app, int complexity)
{
	size_t la, lb, ma, mb;
	int pa, pb;
	unsigned char *a = record("memo-on.opus", ch, app, complexity, true, &la);
	unsigned char *b = record("memo-off.opus", ch, app, complexity, false, &lb);
	unsigned char *xa = pages_sans_serial(a, la, &ma, &pa);
	unsigned char *xb = pages_sans_serial(b, lb, &mb, &pb);

	assert_int_equal(pa, pb);
	assert_true(pa >= 10);	/* 3 s in 200 ms pages, plus two header pages */
	assert_int_equal(ma, mb);
	assert_memory_equal(xa, xb, ma);
	free(xa);
	free(xb);
	free(a);
	free(b);
}

static void
test_bit_identical_stereo_audio(void **state)
{
	/* Stereo first, so the mono case below starts with a stereo memo. */
	check_identical(2, OPUS_APPLICATION_AUDIO, 10);
}

static void
test_bit_identical_mono_voip(void **state)
{
	check_identical(1, OPUS_APPLICATION_VOIP, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_sizes_as_libopus),
		cmocka_unit_test(test_libopus_binds_to_memo),
		cmocka_unit_test(test_bit_identical_stereo_audio),
		cmocka_unit_test(test_bit_identical_mono_voip),
	};

	atexit(fx_cleanup);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
