#!/bin/sh
# Scans through the sim board's scanner FIFO: raw HID boot-keyboard reports
# take the same decoder and blue-sheet path as a USB scanner.
. "$(dirname "$0")/../lib.sh"
D=$T_TMP/box
F=$T_TMP/scanner.fifo
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
# One feed is one writer session on the pipe: one scanner "plug-in".
feed() { args=""; for c in "$@"; do args="$args$c\\n"; done; "$TOP/tests/hidtype" "$args" >"$F"; }
mkfifo "$F"
printf 'scanner_fifo = %s\n' "$F" >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl session start --uid fifo-session >/dev/null

feed Badge-0042 AB12CD AB12CD
check "typed codes arrive on the blue sheet" wait_for 5 sh -c "\"$BIN/notewellctl\" --data \"$D\" bluesheet | grep -q '^AB12CD	2'"
check "shifted letters decode" sh -c "\"$BIN/notewellctl\" --data \"$D\" bluesheet | grep -q '^Badge-0042	1'"
check "fifo scanner attach is in the audit log" sh -c "\"$BIN/notewellctl\" --data \"$D\" events | grep -q scanner-attached"

# Ctrl held while typing is not a scanner: refused, nothing stored.
printf '\001\000\004\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\050\000\000\000\000\000' >"$F"
check "a Ctrl chord is refused with an audit event" wait_for 5 sh -c "\"$BIN/notewellctl\" --data \"$D\" events | grep -q 'scan-rejected.*source=fifo'"
# A setup code is never stored as a badge.
feed 'NWSETUP:1:https://127.0.0.1:1/x'
check "a setup code is routed away from the blue sheet" wait_for 5 sh -c "\"$BIN/notewellctl\" --data \"$D\" events | grep -q 'setup-\(scanned\|rejected\)'"
check_eq "only real badges on the blue sheet" 2 "$(ctl bluesheet --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["badges"])')"
# A half-typed code followed by nothing is discarded by the timeout.
"$TOP/tests/hidtype" HALF >"$F"
sleep 1
feed ZZ99
check "after a half-typed code, the next code is read cleanly" wait_for 5 sh -c "\"$BIN/notewellctl\" --data \"$D\" bluesheet | grep -q '^ZZ99	1'"
check "the half-typed code was not stored" sh -c "! sqlite3 '$D/journal.db' 'SELECT badge FROM scans' | grep -q HA"

# kill -9 right after the acknowledgement: the scan is there after restart.
feed LAST-0001
wait_for 5 grep -q "ack ok" "$D/daemon.log"
wait_for 5 sh -c "grep -c 'ack ok' '$D/daemon.log' | grep -qx 5"
kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
daemon_start "$D" --config "$T_TMP/box.conf"
check "scan acknowledged just before kill -9 survives" sh -c "\"$BIN/notewellctl\" --data \"$D\" bluesheet | grep -q '^LAST-0001	1'"
t_done
