/*
 * Scanner sources without hardware: the VID:PID list, and the FIFO fake
 * scanner driven by the real event loop, its reports fed through the real
 * decoder the way the daemon will.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hid.h"
#include "loop.h"
#include "scanner.h"

static void
test_ids_parse(void **state)
{
	struct scanner_ids ids;

	assert_int_equal(scanner_ids_parse(&ids, scanner_ids_default), 0);
	assert_int_equal(ids.n, 4);
	assert_true(scanner_ids_match(&ids, 0x0627, 0x0001));
	assert_true(scanner_ids_match(&ids, 0x05e0, 0x1200));
	assert_false(scanner_ids_match(&ids, 0x05e0, 0x1300));
	assert_true(scanner_ids_match(&ids, 0x0c2e, 0x0b61));	/* vendor-wide */
	assert_true(scanner_ids_match(&ids, 0x05f9, 0x2206));
	assert_false(scanner_ids_match(&ids, 0x046d, 0xc31c));

	assert_int_equal(scanner_ids_parse(&ids, " 046D:C31C,\t1234:abcd ,"), 0);
	assert_int_equal(ids.n, 2);
	assert_true(scanner_ids_match(&ids, 0x046d, 0xc31c));
	assert_true(scanner_ids_match(&ids, 0x1234, 0xabcd));
	assert_false(scanner_ids_match(&ids, 0x0627, 0x0001));
}

static void
test_ids_parse_rejects(void **state)
{
	static const char *bad[] = {
		"", " , ", "0627", "0627:", "0627:01", "0627-0001", "627:0001",
		"0627:00012", "0627:0001x", "zzzz:0001", "0627:*1", "*:0001",
		"0627:0001;05e0:1200",
	};
	struct scanner_ids ids, before;
	char many[32 * 11 + 16] = "";

	assert_int_equal(scanner_ids_parse(&ids, "1111:2222"), 0);
	before = ids;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (scanner_ids_parse(&ids, bad[i]) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(scanner_ids_parse(&ids, NULL), -EINVAL);
	for (int i = 0; i <= SCANNER_MATCH_MAX; i++)
		strcat(many, "0627:0001 ");
	assert_int_equal(scanner_ids_parse(&ids, many), -EINVAL);
	assert_memory_equal(&ids, &before, sizeof ids);
}

/* A daemon stand-in: one decoder per attached scanner. */
struct scan_dev {
	struct hid_decoder dec;
	struct daemon *dm;
};

struct daemon {
	struct loop *loop;
	int attaches, detaches, reports, short_reports;
	char last_id[SCANNER_ID_MAX];
	int ncodes, nrejects;
	char codes[8][HID_CODE_MAX + 1];
	enum hid_reason rejects[8];
	int stop_after_detaches;
};

static void
on_event(void *arg, const struct hid_result *r)
{
	struct daemon *dm = arg;

	if (r->event == HID_CODE && dm->ncodes < 8)
		strcpy(dm->codes[dm->ncodes++], r->code);
	if (r->event == HID_REJECT && dm->nrejects < 8)
		dm->rejects[dm->nrejects++] = r->reason;
}

static void *
on_attach(void *arg, const char *id)
{
	struct daemon *dm = arg;
	struct scan_dev *d = calloc(1, sizeof *d);

	assert_non_null(d);
	dm->attaches++;
	snprintf(dm->last_id, sizeof dm->last_id, "%s", id);
	hid_decoder_init(&d->dec, HID_LAYOUT_US, 1000, 64, on_event, dm);
	d->dm = dm;
	return d;
}

static void
on_report(void *arg, void *dev, const char *id, const uint8_t *r, size_t len)
{
	struct daemon *dm = arg;
	struct scan_dev *d = dev;

	dm->reports++;
	if (len != HID_REPORT_LEN)
		dm->short_reports++;
	hid_feed(&d->dec, r, len, loop_now_ms());
}

static void
on_detach(void *arg, void *dev, const char *id)
{
	struct daemon *dm = arg;
	struct scan_dev *d = dev;

	hid_abort(&d->dec, HID_ERR_DETACHED);
	free(d);
	dm->detaches++;
	if (dm->detaches >= dm->stop_after_detaches)
		loop_stop(dm->loop);
}

/* Only guards against a hang; the assertions are on what was received. */
static void
watchdog(struct loop *l, void *arg)
{
	*(int *)arg = 1;
	loop_stop(l);
}

static char fifo_dir[64];
static char fifo_path[128];

static int
setup_fifo(void **state)
{
	strcpy(fifo_dir, "/tmp/nwtest-fifo.XXXXXX");
	if (!mkdtemp(fifo_dir))
		return -1;
	snprintf(fifo_path, sizeof fifo_path, "%s/scanner", fifo_dir);
	return 0;
}

static int
teardown_fifo(void **state)
{
	unlink(fifo_path);
	rmdir(fifo_dir);
	return 0;
}

static void
write_all(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void
put_key(int fd, uint8_t mod, uint8_t key)
{
	uint8_t down[8] = { mod, 0, key }, up[8] = { 0 };

	write_all(fd, down, 8);
	write_all(fd, up, 8);
}

static void
run_loop(struct daemon *dm)
{
	int timed_out = 0;
	long t = loop_add_timer(dm->loop, 5000, watchdog, &timed_out);

	assert_true(t > 0);
	loop_run(dm->loop, NULL);
	loop_del_timer(dm->loop, t);
	assert_false(timed_out);
}

static void
test_fifo_sessions(void **state)
{
	struct daemon dm = { 0 };
	struct scanner_cbs cbs = { on_attach, on_report, on_detach, &dm };
	struct scanner_fifo *sf = NULL;
	char want_id[200];

	assert_non_null(dm.loop = loop_new());
	assert_int_equal(scanner_fifo_open(&sf, dm.loop, fifo_path, &cbs), 0);
	assert_int_equal(dm.attaches, 0);

	/* First writer session: two codes, written in odd-sized chunks so
	 * reports straddle writes. */
	int w = open(fifo_path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	put_key(w, 0x02, 0x04);	/* A */
	put_key(w, 0, 0x1e);	/* 1 */
	put_key(w, 0, 0x28);	/* Enter */
	uint8_t part[16] = { 0, 0, 0x05 }, rest[8] = { 0 };
	write_all(w, part, 5);
	write_all(w, part + 5, 3);	/* completes the b press */
	write_all(w, rest, 8);
	put_key(w, 0, 0x2b);	/* Tab */
	close(w);
	dm.stop_after_detaches = 1;
	run_loop(&dm);
	assert_int_equal(dm.attaches, 1);
	assert_int_equal(dm.detaches, 1);
	assert_int_equal(dm.reports, 10);
	assert_int_equal(dm.short_reports, 0);
	assert_int_equal(dm.ncodes, 2);
	assert_string_equal(dm.codes[0], "A1");
	assert_string_equal(dm.codes[1], "b");
	assert_int_equal(dm.nrejects, 0);
	snprintf(want_id, sizeof want_id, "fifo:%s", fifo_path);
	assert_memory_equal(dm.last_id, want_id, strlen(dm.last_id));

	/* Second session: the writer goes away mid-code with half a report
	 * in the pipe. The half report reaches the decoder as a short one,
	 * the detach ends the attempt, and no partial code comes out. */
	w = open(fifo_path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	put_key(w, 0, 0x06);	/* c */
	write_all(w, part, 3);
	close(w);
	dm.stop_after_detaches = 2;
	run_loop(&dm);
	assert_int_equal(dm.attaches, 2);
	assert_int_equal(dm.detaches, 2);
	assert_int_equal(dm.reports, 13);
	assert_int_equal(dm.short_reports, 1);
	assert_int_equal(dm.ncodes, 2);
	assert_int_equal(dm.nrejects, 1);
	assert_int_equal(dm.rejects[0], HID_ERR_REPORT_LEN);

	/* A writer that opens and closes without writing is no scanner. */
	w = open(fifo_path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	close(w);
	w = open(fifo_path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	put_key(w, 0, 0x07);	/* d */
	put_key(w, 0, 0x28);
	close(w);
	dm.stop_after_detaches = 3;
	run_loop(&dm);
	assert_int_equal(dm.attaches, 3);
	assert_int_equal(dm.ncodes, 3);
	assert_string_equal(dm.codes[2], "d");

	scanner_fifo_close(sf);
	loop_free(dm.loop);
}

static void
test_fifo_close_detaches(void **state)
{
	struct daemon dm = { 0 };
	struct scanner_cbs cbs = { on_attach, on_report, on_detach, &dm };
	struct scanner_fifo *sf = NULL;

	assert_non_null(dm.loop = loop_new());
	assert_int_equal(scanner_fifo_open(&sf, dm.loop, fifo_path, &cbs), 0);
	/* Keep the writer open: the source stays attached until closed. */
	int w = open(fifo_path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	put_key(w, 0, 0x04);
	/* Stop once the two reports are in; a timer is the simplest hook. */
	for (int i = 0; dm.reports < 2 && i < 250; i++) {
		int timed_out = 0;
		long t = loop_add_timer(dm.loop, 20, watchdog, &timed_out);
		loop_run(dm.loop, NULL);
		loop_del_timer(dm.loop, t);
	}
	assert_int_equal(dm.attaches, 1);
	assert_int_equal(dm.detaches, 0);
	dm.stop_after_detaches = 99;
	scanner_fifo_close(sf);
	assert_int_equal(dm.detaches, 1);
	assert_int_equal(dm.nrejects, 1);	/* the half-typed "a" */
	assert_int_equal(dm.rejects[0], HID_ERR_DETACHED);
	close(w);
	loop_free(dm.loop);
}

static void
test_fifo_open_errors(void **state)
{
	struct daemon dm = { 0 };
	struct scanner_cbs cbs = { on_attach, on_report, on_detach, &dm };
	struct scanner_fifo *sf = NULL;
	char path[200];

	assert_non_null(dm.loop = loop_new());
	snprintf(path, sizeof path, "%s/regular", fifo_dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(scanner_fifo_open(&sf, dm.loop, path, &cbs), -EINVAL);
	unlink(path);
	snprintf(path, sizeof path, "%s/missing/dir/fifo", fifo_dir);
	assert_int_equal(scanner_fifo_open(&sf, dm.loop, path, &cbs), -ENOENT);
	assert_null(sf);
	loop_free(dm.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_parse),
		cmocka_unit_test(test_ids_parse_rejects),
		cmocka_unit_test_setup_teardown(test_fifo_sessions, setup_fifo,
		    teardown_fifo),
		cmocka_unit_test_setup_teardown(test_fifo_close_detaches,
		    setup_fifo, teardown_fifo),
		cmocka_unit_test_setup_teardown(test_fifo_open_errors,
		    setup_fifo, teardown_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
