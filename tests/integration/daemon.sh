#!/bin/sh
# notewelld on the sim board: control socket, scans, kill -9 durability,
# config checking, refusing a second daemon or a damaged journal.
. "$(dirname "$0")/../lib.sh"
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }

# -n checks a config without starting anything.
printf 'room = Plenary\nopus_bitrate = 24000\n' >"$T_TMP/good.conf"
check_eq "-n accepts a good config" "configuration OK" "$("$BIN/notewelld" -n --config "$T_TMP/good.conf" 2>&1)"
printf 'room = Plenary\nopus_bitrate = lots\n' >"$T_TMP/bad.conf"
out=$("$BIN/notewelld" -n --config "$T_TMP/bad.conf" 2>&1); rc=$?
check_eq "-n names file and line of a bad value" "$T_TMP/bad.conf:2: opus_bitrate must be a whole number, not 'lots'" "$out"
check_eq "-n exits non-zero on a bad config" 1 "$rc"
out=$("$BIN/notewelld" --board sim --data "$T_TMP/never" --config "$T_TMP/bad.conf" 2>&1)
check "a bad config starts nothing and writes nothing" test ! -e "$T_TMP/never"

daemon_start "$D" --config "$T_TMP/good.conf"
check "daemon answers status" ctl status
check_eq "socket is mode 0660" 660 "$(stat -c %a "$D/ctl.sock")"
check_eq "status --json is JSON with the room" Plenary "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["room"])')"
check_fails "a second daemon on the same folder is refused" "$BIN/notewelld" --board sim --data "$D"
check "session start" ctl session start --uid test-session-1 --title "Test session"
check_fails "a second session start is refused while one is open" ctl session start

i=0
: >"$T_TMP/acked"
while [ $i -lt 25 ]; do
	b=$(printf 'BADGE%04d' $i)
	ctl scan "$b" >/dev/null 2>&1 && echo "$b" >>"$T_TMP/acked"
	i=$((i + 1))
done
ctl scan BADGE0003 >/dev/null   # a second scan of one badge
check_eq "every scan was acknowledged" 25 "$(wc -l <"$T_TMP/acked")"
check_fails "junk is refused" ctl scan 'x<>;'
check "junk is in the audit log" sh -c "\"$BIN/notewellctl\" --data \"$D\" events | grep -q scan-rejected"
check_eq "blue sheet counts a badge once" 25 "$(ctl bluesheet --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["badges"])')"

# Power cut: kill -9 right after the last acknowledgement.
kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
check_eq "journal integrity_check after kill -9" ok "$(sqlite3 -cmd '.timeout 10000' "$D/journal.db" 'PRAGMA integrity_check')"
daemon_start "$D" --config "$T_TMP/good.conf"
check "daemon restarts on the same folder" ctl status
ctl bluesheet | tail -n +2 | cut -f1 | sort >"$T_TMP/after"
check "every acknowledged scan survived kill -9" cmp -s "$T_TMP/acked" "$T_TMP/after"
check_eq "the open session continues after restart" test-session-1 "$(ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["uid"])')"
check "session stop" ctl session stop
check_eq "raw scans all kept with their own nonces" "26|26" "$(sqlite3 "$D/journal.db" 'SELECT COUNT(*), COUNT(DISTINCT nonce) FROM scans')"
check_eq "every scan carries a full timestamp" 0 "$(sqlite3 "$D/journal.db" "SELECT COUNT(*) FROM scans WHERE length(at_boot) != 36 OR at_mono_ns <= 0 OR at_wall_ns <= 0")"

# SIGTERM stops cleanly and removes the socket.
kill -TERM "$D_PID"
check "SIGTERM stops the daemon" wait_for 5 sh -c "! kill -0 $D_PID 2>/dev/null"
check "socket removed on clean stop" test ! -e "$D/ctl.sock"
check "clean stop logged" sh -c "sqlite3 '$D/journal.db' \"SELECT detail FROM events WHERE kind='stop'\" | grep -q clean"

# A damaged journal: refuse to start and leave the file alone.
cp "$D/journal.db" "$T_TMP/orig.db"
dd if=/dev/urandom of="$D/journal.db" bs=4096 seek=1 count=3 conv=notrunc 2>/dev/null
sum_before=$(md5sum <"$D/journal.db")
out=$("$BIN/notewelld" --board sim --data "$D" 2>&1); rc=$?
check_eq "damaged journal: refuses to start" 1 "$rc"
check "damaged journal: says why" sh -c "echo \"$out\" | grep -qi 'journal'"
check_eq "damaged journal: file untouched" "$sum_before" "$(md5sum <"$D/journal.db")"
t_done
