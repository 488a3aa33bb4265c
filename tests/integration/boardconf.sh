#!/bin/sh
# The shipped board configurations use only keys and values the daemon
# knows (firmware/config.c config_keys): a box must not fail at boot on its
# own config file. `notewelld -n` parses and checks without starting.
. "$(dirname "$0")/../lib.sh"
for b in qemu-virt rpi4; do
	out=$("$BIN/notewelld" -n --config "$TOP/board/$b/board.conf" 2>&1)
	check_eq "board/$b/board.conf: notewelld -n says configuration OK" "configuration OK" "$out"
done
# The check can fail: an invented key is refused with file and line.
printf 'board = qemu-virt\naudio.device = hw:0\n' >"$T_TMP/bad.conf"
out=$("$BIN/notewelld" -n --config "$T_TMP/bad.conf" 2>&1)
check_eq "an unknown key is refused with file and line" \
	"$T_TMP/bad.conf:2: unknown key 'audio.device'" "$out"
t_done
