#!/bin/sh
# Emulated boot-to-ready of the QEMU image (board/qemu-virt), for
# bench/table.sh. Boots it through the harness's own scenarios (only one
# QEMU guest may run on a machine at a time: do not run this beside
# `make test`) and reads the guest's uptime markers from the serial logs:
#   NOTEWELL-BOOT  uptime when init starts (the kernel's share)
#   NOTEWELL-READY uptime when the data disk is mounted and, with the
#                  daemon, notewelld answers on its control socket
# `screenqr` boots with notewelld, `boot` without it.
# Prints key=value lines.
# Usage: O=build IMG=build-image bench/boot.sh
#        bench/boot.sh --parse DIR   (read a kept harness work dir)
set -eu

parse() {
	d=$1
	for s in boot screenqr; do
		f=$d/$s.serial.log
		[ -f "$f" ] || continue
		awk -v s="$s" '
			/^NOTEWELL-BOOT / { b = $2 }
			/^NOTEWELL-READY / && r == "" { r = $NF; k = $2 }
			END { if (b != "" && r != "")
				printf "boot_%s_init_s=%s\nboot_%s_ready_s=%s\nboot_%s_kind=%s\n", s, b, s, r, s, k }' \
		    "$f" | tr -d '\r'
	done
}

if [ "${1:-}" = --parse ]; then
	parse "$2"
	exit 0
fi
O=${O:-build}
IMG=${IMG:-build-image}
log=$O/bench-boot.log
python3 tests/qemu/harness.py test --img "$IMG" --host-bin "$O" \
    --only boot,screenqr --keep >"$log" 2>&1 || true
# The harness's own measurement: host wall clock from QEMU start to READY.
sed -n 's/^# boot to NOTEWELL-READY: \([0-9.]*\) s.*/boot_wall_s=\1/p' "$log"
grep -q '^not ok' "$log" && echo "boot_failed=yes"
work=$(sed -n 's/^# kept \(.*\)/\1/p' "$log" | tail -1)
if [ -n "$work" ] && [ -d "$work" ]; then
	parse "$work"
	rm -rf "$work"
fi
