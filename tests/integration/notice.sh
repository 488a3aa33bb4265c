#!/bin/sh
# Consent notices in the daemon: the notice in force stamps every scan and
# recording, a switch mid-session is atomic and journalled, the room screen
# shows it and its QR decodes, and a bad notice folder stops the box.
. "$(dirname "$0")/../lib.sh"
D=$T_TMP/box
N=$T_TMP/notices
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
mkdir -p "$N" "$D"
cp "$TOP"/board/notices/*.txt "$N/"
# The two shipped versions, made to take effect an hour apart.
sed 's/^effective_from:.*/effective_from: 2026-03-16T08:00:00Z/' "$TOP/board/notices/ietf-privacy-1.notice" >"$N/a.notice"
sed 's/^effective_from:.*/effective_from: 2026-03-16T09:30:00Z/' "$TOP/board/notices/ietf-privacy-2.notice" >"$N/b.notice"
v1=$(sed -n 's/^version: //p' "$N/a.notice"); h1=$(sed -n 's/^sha256: //p' "$N/a.notice")
v2=$(sed -n 's/^version: //p' "$N/b.notice"); h2=$(sed -n 's/^sha256: //p' "$N/b.notice")
espeak-ng -w "$T_TMP/s.wav" "Testing one two three." 2>/dev/null
sox "$T_TMP/s.wav" -r 48000 -c 1 -b 16 "$T_TMP/room.wav"
cat >"$T_TMP/box.conf" <<EOC
room = Room B
notice_dir = $N
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
sim_clock_start = 2026-03-16T09:29:00Z
display_size = 480x320
EOC
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "notewellctl notice shows the version in force" "$v1" "$(ctl notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
check_eq "and its SHA-256" "$h1" "$(ctl notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"])')"
check "the statement's hash can be recomputed from the repo" sh -c "sha256sum '$N/'\$(sed -n 's/^statement: //p' '$N/a.notice') | grep -q $h1"
ctl session start --uid notice-session >/dev/null
ctl scan BEFORE01 >/dev/null
check_eq "screen QR decodes to the notice URL with its version (480x320)" "https://www.ietf.org/privacy-statement/#v=$v1" "$(zbarimg --raw -q "$D/screen.png" | head -1)"
ctl clock run-until 2026-03-16T09:31:00Z >/dev/null
wait_for 60 sh -c "\"$BIN/notewellctl\" --data \"$D\" status --json | grep -q '\"time\": \"2026-03-16T09:31'"
ctl scan AFTER001 >/dev/null
check_eq "scans before and after the switch carry their versions" \
	"BEFORE01 ietf-privacy@$v1 $h1,AFTER001 ietf-privacy@$v2 $h2" \
	"$(sqlite3 "$D/journal.db" "SELECT badge, notice_id, notice_sha256 FROM scans ORDER BY id" | tr '|\n' ' ,' | sed 's/,$//')"
check_eq "the switch is journalled at its time" "ietf-privacy@$v2 1773653400" \
	"$(sqlite3 "$D/journal.db" "SELECT notice_id, at_wall_ns / 1000000000 / 10 * 10 FROM notice_switches ORDER BY id DESC LIMIT 1" | tr '|' ' ')"
check_eq "the recording has a notice mark at the audio position of the switch" "notice 60" \
	"$(sqlite3 "$D/journal.db" "SELECT kind, position_samples / 48000 FROM recording_marks WHERE kind = 'notice'" | tr '|' ' ')"
check_eq "the recording itself is stamped with the version in force at its start" "ietf-privacy@$v1" \
	"$(sqlite3 "$D/journal.db" "SELECT notice_id FROM recordings")"
check "tags in the file name the notice" sh -c "opusinfo '$D'/recordings/notice-session.part1.opus | grep -q 'NOTICE_SHA256=$h1'"
wait_for 5 sh -c "zbarimg --raw -q '$D/screen.png' | grep -q '#v=$v2'"
check_eq "the screen shows the new version's QR" "https://www.ietf.org/privacy-statement/#v=$v2" "$(zbarimg --raw -q "$D/screen.png" | head -1)"
ctl session stop >/dev/null
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# A clock before every notice (a board without a real-time clock boots in
# 1970): the box still shows a notice and stamps scans with it.
notice_of() { "$BIN/notewellctl" --data "$1" notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }
sed 's/^sim_clock_start.*/sim_clock_start = 2026-03-16T07:00:00Z/' "$T_TMP/box.conf" >"$T_TMP/early.conf"
daemon_start "$T_TMP/fresh" --config "$T_TMP/early.conf"
check_eq "a fresh box whose clock is before every notice shows the earliest" "$v1" "$(notice_of "$T_TMP/fresh")"
"$BIN/notewellctl" --data "$T_TMP/fresh" scan EARLY001 >/dev/null
check_eq "and stamps scans with it" "ietf-privacy@$v1" "$(sqlite3 "$T_TMP/fresh/journal.db" "SELECT notice_id FROM scans")"
kill "$D_PID"; wait "$D_PID" 2>/dev/null
daemon_start "$D" --config "$T_TMP/early.conf"
check_eq "a box that last showed the newer notice keeps it when its clock goes back" "$v2" "$(notice_of "$D")"
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# A notice whose statement does not match its hash stops the box at start.
sed -i 's/^sha256: ./sha256: 0/' "$N/b.notice"
out=$("$BIN/notewelld" --board sim --data "$D" --config "$T_TMP/box.conf" 2>&1); rc=$?
check_eq "a tampered notice refuses to start" 1 "$rc"
check "and names the file" sh -c "echo \"\$1\" | grep -q 'b.notice'" _ "$out"
t_done
