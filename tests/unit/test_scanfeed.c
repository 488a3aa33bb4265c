/*
 * The scan pipeline: reports in through the source callbacks, badge / setup /
 * reject events out, with a fake clock (no loop) for timeouts and floods,
 * and once through the real loop and the FIFO source.
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
#include <unistd.h>

#include "scanfeed.h"

static uint64_t fake_now;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

#define MAX_EV 64

struct rec {
	int n;
	struct {
		enum scanfeed_kind kind;
		char id[SCANNER_ID_MAX];
		char code[HID_CODE_MAX + 1];
		enum hid_reason hid;
		enum badge_status badge;
		unsigned dropped;
		char why[128];
	} ev[MAX_EV];
	struct loop *loop;
	int stop_on_detach;
};

static void
record(void *arg, const struct scanfeed_event *e)
{
	struct rec *r = arg;

	assert_true(r->n < MAX_EV);
	r->ev[r->n].kind = e->kind;
	snprintf(r->ev[r->n].id, sizeof r->ev[r->n].id, "%s", e->scanner_id);
	snprintf(r->ev[r->n].code, sizeof r->ev[r->n].code, "%s",
	    e->code ? e->code : "");
	if (e->code)
		assert_int_equal(strlen(e->code), e->len);
	if (e->kind == SCANFEED_REJECT) {
		assert_non_null(e->why);
		assert_null(e->code);
		snprintf(r->ev[r->n].why, sizeof r->ev[r->n].why, "%s", e->why);
	}
	r->ev[r->n].hid = e->hid;
	r->ev[r->n].badge = e->badge;
	r->ev[r->n].dropped = e->dropped;
	r->n++;
	if (e->kind == SCANFEED_DETACH && r->stop_on_detach && r->loop)
		loop_stop(r->loop);
}

struct fx {
	struct scanfeed_config cfg;
	struct scanfeed *sf;
	const struct scanner_cbs *cbs;
	struct rec rec;
};

static struct fx *
fx_new(unsigned flood_max)
{
	struct fx *f = calloc(1, sizeof *f);

	assert_non_null(f);
	fake_now = 1000;
	scanfeed_config_default(&f->cfg);
	f->cfg.now_ms = fake_clock;
	f->cfg.flood_max = flood_max;
	assert_non_null(f->sf = scanfeed_new(NULL, &f->cfg, record, &f->rec));
	f->cbs = scanfeed_cbs(f->sf);
	return f;
}

static void
fx_free(struct fx *f)
{
	scanfeed_free(f->sf);
	free(f);
}

/* US-layout usage for the characters the tests type. */
static void
usage_of(char ch, uint8_t *mod, uint8_t *key)
{
	*mod = 0;
	if (ch >= 'a' && ch <= 'z') {
		*key = (uint8_t)(0x04 + ch - 'a');
	} else if (ch >= 'A' && ch <= 'Z') {
		*mod = 0x02;
		*key = (uint8_t)(0x04 + ch - 'A');
	} else if (ch >= '1' && ch <= '9') {
		*key = (uint8_t)(0x1e + ch - '1');
	} else if (ch == '0') {
		*key = 0x27;
	} else if (ch == '-') {
		*key = 0x2d;
	} else if (ch == ':') {
		*mod = 0x02;
		*key = 0x33;
	} else if (ch == '/') {
		*key = 0x38;
	} else if (ch == '.') {
		*key = 0x37;
	} else if (ch == '\n') {
		*key = 0x28;
	} else {
		fail_msg("no usage for '%c'", ch);
	}
}

static unsigned step_ms = 2;	/* between reports */

static void
type(struct fx *f, void *dev, const char *id, const char *s)
{
	for (; *s; s++) {
		uint8_t down[8] = { 0 }, up[8] = { 0 };
		usage_of(*s, &down[0], &down[2]);
		fake_now += step_ms;
		f->cbs->on_report(f->cbs->arg, dev, id, down, 8);
		fake_now += step_ms;
		f->cbs->on_report(f->cbs->arg, dev, id, up, 8);
	}
}

static void
test_badge_setup_reject(void **state)
{
	struct fx *f = fx_new(0);
	void *dev = f->cbs->on_attach(f->cbs->arg, "usb:test@1-1");

	assert_non_null(dev);
	assert_int_equal(scanfeed_scanners(f->sf), 1);
	type(f, dev, "usb:test@1-1", "IETF-1234\n");
	type(f, dev, "usb:test@1-1", "NWSETUP:https://host.example/e\n");
	type(f, dev, "usb:test@1-1", "ab\n");		/* too short */
	type(f, dev, "usb:test@1-1", "abc:def\n");	/* charset */
	uint8_t junk[3] = { 1, 2, 3 };
	f->cbs->on_report(f->cbs->arg, dev, "usb:test@1-1", junk, 3);
	type(f, dev, "usb:test@1-1", "abcd\n");		/* poisoned by the junk */
	f->cbs->on_detach(f->cbs->arg, dev, "usb:test@1-1");
	assert_int_equal(scanfeed_scanners(f->sf), 0);

	struct rec *r = &f->rec;
	assert_int_equal(r->n, 7);
	assert_int_equal(r->ev[0].kind, SCANFEED_ATTACH);
	assert_string_equal(r->ev[0].id, "usb:test@1-1");
	assert_int_equal(r->ev[1].kind, SCANFEED_BADGE);
	assert_string_equal(r->ev[1].code, "IETF-1234");
	assert_int_equal(r->ev[2].kind, SCANFEED_SETUP);
	assert_string_equal(r->ev[2].code, "https://host.example/e");
	assert_int_equal(r->ev[3].kind, SCANFEED_REJECT);
	assert_int_equal(r->ev[3].badge, BADGE_TOO_SHORT);
	assert_int_equal(r->ev[3].hid, HID_OK);
	assert_string_equal(r->ev[3].why, badge_strerror(BADGE_TOO_SHORT));
	assert_int_equal(r->ev[4].kind, SCANFEED_REJECT);
	assert_int_equal(r->ev[4].badge, BADGE_BAD_CHAR);
	assert_int_equal(r->ev[5].kind, SCANFEED_REJECT);
	assert_int_equal(r->ev[5].hid, HID_ERR_REPORT_LEN);
	assert_int_equal(r->ev[6].kind, SCANFEED_DETACH);
	fx_free(f);
}

static void
test_two_scanners_interleaved(void **state)
{
	struct fx *f = fx_new(0);
	void *a = f->cbs->on_attach(f->cbs->arg, "A");
	void *b = f->cbs->on_attach(f->cbs->arg, "B");

	/* Keystrokes of two scanners interleave; each decoder sees its own. */
	type(f, a, "A", "AAAA");
	type(f, b, "B", "BBBB");
	type(f, a, "A", "1\n");
	f->cbs->on_detach(f->cbs->arg, b, "B");	/* B pulled out mid-code */
	type(f, a, "A", "CCCC\n");

	struct rec *r = &f->rec;
	assert_int_equal(r->n, 6);
	assert_int_equal(r->ev[2].kind, SCANFEED_BADGE);
	assert_string_equal(r->ev[2].id, "A");
	assert_string_equal(r->ev[2].code, "AAAA1");
	assert_int_equal(r->ev[3].kind, SCANFEED_REJECT);
	assert_string_equal(r->ev[3].id, "B");
	assert_int_equal(r->ev[3].hid, HID_ERR_DETACHED);
	assert_int_equal(r->ev[4].kind, SCANFEED_DETACH);
	assert_string_equal(r->ev[4].id, "B");
	assert_int_equal(r->ev[5].kind, SCANFEED_BADGE);
	assert_string_equal(r->ev[5].code, "CCCC");
	fx_free(f);
}

static void
test_timeout_via_tick(void **state)
{
	struct fx *f = fx_new(0);
	void *dev = f->cbs->on_attach(f->cbs->arg, "A");

	type(f, dev, "A", "ABCD");
	uint64_t press = fake_now - step_ms;	/* of the last key */
	scanfeed_tick(f->sf, press + f->cfg.timeout_ms - 1);
	assert_int_equal(f->rec.n, 1);
	scanfeed_tick(f->sf, press + f->cfg.timeout_ms);
	assert_int_equal(f->rec.n, 2);
	assert_int_equal(f->rec.ev[1].kind, SCANFEED_REJECT);
	assert_int_equal(f->rec.ev[1].hid, HID_ERR_TIMEOUT);
	fx_free(f);
	/* scanfeed_free detached the scanner still attached. */
}

static void
test_flood_limited_and_reported(void **state)
{
	struct fx *f = fx_new(10);
	void *dev = f->cbs->on_attach(f->cbs->arg, "A");
	int badges = 0, floods = 0;
	unsigned dropped = 0;

	/* 1000 codes in 999 ms. */
	step_ms = 0;
	for (int i = 0; i < 1000; i++) {
		char code[16];
		snprintf(code, sizeof code, "B%04d\n", i);
		type(f, dev, "A", code);
		fake_now++;
	}
	step_ms = 2;
	fake_now += 2000;
	scanfeed_tick(f->sf, fake_now);
	for (int i = 0; i < f->rec.n; i++) {
		if (f->rec.ev[i].kind == SCANFEED_BADGE)
			badges++;
		if (f->rec.ev[i].kind == SCANFEED_REJECT) {
			assert_true(f->rec.ev[i].dropped > 0);
			dropped += f->rec.ev[i].dropped;
			floods++;
		}
	}
	assert_int_equal(badges, 10);
	assert_int_equal(floods, 2);	/* one at once, one summary */
	assert_int_equal(dropped, 990);
	assert_string_equal(f->rec.ev[1].code, "B0000");
	assert_string_equal(f->rec.ev[10].code, "B0009");

	/* Next window: scans flow again. */
	type(f, dev, "A", "LATE1\n");
	assert_int_equal(f->rec.ev[f->rec.n - 1].kind, SCANFEED_BADGE);
	assert_string_equal(f->rec.ev[f->rec.n - 1].code, "LATE1");
	fx_free(f);
}

static void
test_configure(void **state)
{
	struct scanfeed_config c, before;
	const char *bad = NULL;

	scanfeed_config_default(&c);
	assert_int_equal(scanfeed_configure(&c, "de", 6, 12, "0-9", "SETUP=",
	    500, &bad), 0);
	assert_int_equal(c.layout, HID_LAYOUT_DE);
	assert_int_equal(c.timeout_ms, 500);
	assert_int_equal(badge_check(&c.badge, "123456", 6, NULL), BADGE_VALID);
	assert_int_equal(badge_check(&c.badge, "12345a", 6, NULL), BADGE_BAD_CHAR);
	assert_int_equal(badge_check(&c.badge, "12345", 5, NULL), BADGE_TOO_SHORT);
	assert_int_equal(badge_check(&c.badge, "SETUP=x", 7, NULL), BADGE_SETUP);

	/* Omitted keys keep their values. */
	assert_int_equal(scanfeed_configure(&c, NULL, 0, 20, NULL, NULL, 0, &bad), 0);
	assert_int_equal(c.badge.min_len, 6);
	assert_int_equal(c.badge.max_len, 20);
	assert_int_equal(badge_check(&c.badge, "12345a", 6, NULL), BADGE_BAD_CHAR);
	assert_int_equal(badge_check(&c.badge, "SETUP=x", 7, NULL), BADGE_SETUP);

	before = c;
	static const struct {
		const char *layout;
		unsigned min, max;
		const char *charset, *prefix;
		unsigned timeout;
		const char *key;
	} bads[] = {
		{ "dvorak", 0, 0, NULL, NULL, 0, "keyboard_layout" },
		{ NULL, 30, 0, NULL, NULL, 0, "badge_min_len" },
		{ NULL, 0, 5, NULL, NULL, 0, "badge_max_len" },
		{ NULL, 0, 100000, NULL, NULL, 0, "badge_max_len" },
		{ NULL, 0, 0, "Z-A", NULL, 0, "badge_charset" },
		{ NULL, 0, 0, NULL, "has space", 0, "setup_prefix" },
		{ NULL, 0, 0, NULL, NULL, 3600000, "scan_timeout_ms" },
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		bad = NULL;
		assert_int_equal(scanfeed_configure(&c, bads[i].layout, bads[i].min,
		    bads[i].max, bads[i].charset, bads[i].prefix, bads[i].timeout,
		    &bad), -EINVAL);
		assert_non_null(bad);
		assert_string_equal(bad, bads[i].key);
		assert_memory_equal(&c, &before, sizeof c);
	}
}

/* End to end on the real loop: FIFO source -> scanfeed -> events, with the
 * loop timer (not the test) expiring a half-typed code. */
static void
watchdog(struct loop *l, void *arg)
{
	*(int *)arg = 1;
	loop_stop(l);
}

static void
test_fifo_through_loop(void **state)
{
	char dir[] = "/tmp/nwtest-feed.XXXXXX", path[64];
	struct scanfeed_config cfg;
	struct rec rec = { 0 };
	struct scanner_fifo *src = NULL;
	int timed_out = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/scanner", dir);
	assert_non_null(rec.loop = loop_new());
	scanfeed_config_default(&cfg);
	cfg.timeout_ms = 20;
	struct scanfeed *sf = scanfeed_new(rec.loop, &cfg, record, &rec);
	assert_non_null(sf);
	assert_int_equal(scanner_fifo_open(&src, rec.loop, path, scanfeed_cbs(sf)), 0);

	int w = open(path, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	static const uint8_t seq[][8] = {
		{ 2, 0, 0x04 }, { 0 }, { 0, 0, 0x1e }, { 0 }, { 0, 0, 0x1f }, { 0 },
		{ 0, 0, 0x20 }, { 0 }, { 0, 0, 0x28 }, { 0 },	/* "A123" Enter */
		{ 0, 0, 0x05 }, { 0 },				/* "b", no Enter */
	};
	assert_int_equal(write(w, seq, sizeof seq), (ssize_t)sizeof seq);
	long wd = loop_add_timer(rec.loop, 5000, watchdog, &timed_out);
	/* The decoder's timer must fire before the writer goes away: wait for
	 * the timeout event, then close the writer. */
	while (rec.n < 3 && !timed_out) {
		long t = loop_add_timer(rec.loop, 10, watchdog, &(int){ 0 });
		loop_run(rec.loop, NULL);
		loop_del_timer(rec.loop, t);
	}
	close(w);
	rec.stop_on_detach = 1;
	loop_run(rec.loop, NULL);
	loop_del_timer(rec.loop, wd);
	assert_false(timed_out);

	assert_int_equal(rec.n, 4);
	assert_int_equal(rec.ev[0].kind, SCANFEED_ATTACH);
	assert_int_equal(rec.ev[1].kind, SCANFEED_BADGE);
	assert_string_equal(rec.ev[1].code, "A123");
	assert_int_equal(rec.ev[2].kind, SCANFEED_REJECT);
	assert_int_equal(rec.ev[2].hid, HID_ERR_TIMEOUT);
	assert_int_equal(rec.ev[3].kind, SCANFEED_DETACH);

	scanner_fifo_close(src);
	scanfeed_free(sf);
	loop_free(rec.loop);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_badge_setup_reject),
		cmocka_unit_test(test_two_scanners_interleaved),
		cmocka_unit_test(test_timeout_via_tick),
		cmocka_unit_test(test_flood_limited_and_reported),
		cmocka_unit_test(test_configure),
		cmocka_unit_test(test_fifo_through_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
