/*
 * The VID:PID list of devices the scanner source may claim.
 */
#include "scanner.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Defaults, each from a public source:
 *   0627:0001  QEMU usb-kbd (the emulated board's stand-in scanner)
 *   05e0:1200  Symbol/Zebra scanners in HID keyboard emulation (Symbol
 *              MiniScan MS4404/MS4407 Integration Guide, USB interface)
 *   0c2e:*     Metrologic/Honeywell (USB vendor id 0x0c2e)
 *   05f9:*     PSC/Datalogic (USB vendor id 0x05f9)
 * Vendor-wide entries are safe because only keyboard-protocol HID
 * interfaces are ever claimed.
 */
const char scanner_ids_default[] = "0627:0001 05e0:1200 0c2e:* 05f9:*";

/* Parses exactly four hex digits at *s. Returns 0 or -1. */
static int
hex16(const char **s, uint16_t *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)(*s)[i];
		if (!isxdigit(c))
			return -1;
		v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*s += 4;
	*out = (uint16_t)v;
	return 0;
}

int
scanner_ids_parse(struct scanner_ids *ids, const char *spec)
{
	struct scanner_ids t = { 0 };
	const char *s = spec;

	if (!s)
		return -EINVAL;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		if (t.n == SCANNER_MATCH_MAX)
			return -EINVAL;
		struct scanner_match *m = &t.m[t.n];
		if (hex16(&s, &m->vid) < 0 || *s++ != ':')
			return -EINVAL;
		if (*s == '*') {
			m->pid_any = 1;
			s++;
		} else if (hex16(&s, &m->pid) < 0) {
			return -EINVAL;
		}
		if (*s && *s != ' ' && *s != '\t' && *s != ',')
			return -EINVAL;
		t.n++;
	}
	if (t.n == 0)
		return -EINVAL;
	*ids = t;
	return 0;
}

int
scanner_ids_match(const struct scanner_ids *ids, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < ids->n; i++)
		if (ids->m[i].vid == vid && (ids->m[i].pid_any || ids->m[i].pid == pid))
			return 1;
	return 0;
}
