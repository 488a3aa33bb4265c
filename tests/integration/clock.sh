#!/bin/sh
# The wall clock on a box without RTC: stepped backwards and forwards in the
# middle of scheduled sessions (`notewellctl clock set` on the sim board's
# virtual clock; the monotonic clock does not move), and a box that starts
# with an unsynced clock and syncs later. Sessions must neither end nor
# start again because of a step, recordings must not overlap or repeat,
# scans keep their order and their session, and the host corrects the
# times the box did not know.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
status() { ctl status --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
dur() { opusinfo "$1" | sed -n 's/.*Playback length: \([0-9]*\)m:\([0-9.]*\)s/\1 \2/p' | awk '{printf "%.0f\n", $1*60+$2}'; }
# at TIME: waits until the virtual clock shows TIME (minutes).
at() { wait_for 60 sh -c "\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"time\": \"$1'"; }
run() { ctl clock run-until "$1" >/dev/null && at "${1%:00Z}"; }

sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 2 pinknoise vol 0.3
cat >"$T_TMP/box.conf" <<EOC
room = Room K
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
opus_complexity = 0
opus_bitrate = 16000
sim_clock_start = 2026-03-16T09:59:00Z
preroll_s = 0
postroll_s = 0
silence_s = 3600
heartbeat_s = 3600
sync_retry_max_s = 1
EOC
mkdir -p "$D"
cat >"$D/schedule.json" <<'EOS'
{"room":"Room K","sessions":[
{"uid":"k-a","title":"A","start":"2026-03-16T10:00:00Z","end":"2026-03-16T10:03:00Z"},
{"uid":"k-b","title":"B","start":"2026-03-16T10:03:00Z","end":"2026-03-16T10:05:00Z"},
{"uid":"k-c","title":"C","start":"2026-03-16T10:10:00Z","end":"2026-03-16T10:12:00Z"}]}
EOS
daemon_start "$D" --config "$T_TMP/box.conf"
check_fails "clock set refuses a bad time" ctl clock set yesterday
check_fails "clock set refuses a bad flag" ctl clock set 2026-03-16T10:00:00Z maybe

run 2026-03-16T10:01:00Z
check_eq "session A records" "recording k-a" "$(status 'd["state"] + " " + d["session"]["uid"]')"
ctl scan K-S1 >/dev/null; ctl scan K-S2 >/dev/null

# Backwards by 31 minutes, to before A's start.
check "the wall clock steps back mid-session" ctl clock set 2026-03-16T09:30:00Z
check "the step is in the journal" sh -c "sqlite3 '$D/journal.db' \"SELECT detail FROM events WHERE kind = 'clock-step'\" | grep -q 'by -1860.000 s: 2026-03-16T10:01:00.000Z -> 2026-03-16T09:30:00.000Z'"
check_eq "A is still open and recording" "recording k-a" "$(status 'd["state"] + " " + d["session"]["uid"]')"
ctl scan K-S3 >/dev/null
run 2026-03-16T09:31:00Z
check_eq "A still records a minute later" "recording k-a" "$(status 'd["state"] + " " + d["session"]["uid"]')"
# Forward again (NTP putting it right), still inside A's window.
check "the wall clock steps forward inside A" ctl clock set 2026-03-16T10:01:00Z
check_eq "A is still open" "recording k-a" "$(status 'd["state"] + " " + d["session"]["uid"]')"
run 2026-03-16T10:04:00Z
check_eq "at its end A hands over to B" "recording k-b" "$(status 'd["state"] + " " + d["session"]["uid"]')"
check_eq "A was opened once and stopped once" "1 1" \
	"$(bsql "SELECT (SELECT count(*) FROM events WHERE kind = 'session-start' AND detail LIKE '%uid=k-a %'), (SELECT count(*) FROM events WHERE kind = 'session-stop' AND detail = 'id=' || (SELECT id FROM sessions WHERE uid = 'k-a'))" | tr '|' ' ')"
check_eq "A is one recording" 1 "$(bsql "SELECT count(*) FROM recordings r JOIN sessions s ON s.id = r.session_id WHERE s.uid = 'k-a'")"
# 10:00-10:01, then 09:30-09:31 after the step, then 10:01-10:03.
check_eq "A holds the 240 s the room met, with no gap and nothing twice" 240 "$(dur "$D/recordings/k-a.part1.opus")"

# Forward past B's end: B stops once, and a step back into its slot does
# not open it again.
check "the wall clock jumps past B's end" ctl clock set 2026-03-16T10:20:00Z
check_eq "B is stopped, the room idle" idle "$(status 'd["state"]')"
ctl scan K-S4 >/dev/null
check "the wall clock steps back into B's slot" ctl clock set 2026-03-16T10:04:30Z
run 2026-03-16T10:04:50Z
check_eq "B is not opened again" idle "$(status 'd["state"]')"
ctl scan K-S5 >/dev/null
check_eq "B was stopped once" 1 "$(bsql "SELECT count(*) FROM events WHERE kind = 'session-stop' AND detail = 'id=' || (SELECT id FROM sessions WHERE uid = 'k-b')")"
check_eq "B is one recording of the minute before the jump" "1 60" \
	"$(bsql "SELECT count(*) FROM recordings r JOIN sessions s ON s.id = r.session_id WHERE s.uid = 'k-b'") $(dur "$D/recordings/k-b.part1.opus")"
run 2026-03-16T10:13:00Z
check_eq "C is recorded on time" "finished 120" \
	"$(bsql "SELECT state FROM recordings WHERE path LIKE '%k-c%'") $(dur "$D/recordings/k-c.part1.opus")"
check_eq "three sessions, three recordings, no more" "3 3" \
	"$(bsql "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM recordings)" | tr '|' ' ')"
check_eq "recordings do not overlap in monotonic time" 0 \
	"$(bsql "SELECT count(*) FROM recordings a JOIN recordings b ON a.id < b.id WHERE b.start_mono_ns < a.end_mono_ns")"
check_eq "scans keep their order (id, monotonic) through the steps" "K-S1 K-S2 K-S3 K-S4 K-S5" \
	"$(bsql "SELECT badge FROM scans ORDER BY at_mono_ns" | tr '\n' ' ' | sed 's/ $//')"
check_eq "... and their ids are in the same order" "K-S1 K-S2 K-S3 K-S4 K-S5" \
	"$(bsql "SELECT badge FROM scans ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check_eq "scans belong to the session open when they were made" "K-S1 k-a|K-S2 k-a|K-S3 k-a|K-S4 -|K-S5 -" \
	"$(bsql "SELECT c.badge || ' ' || COALESCE(s.uid, '-') FROM scans c LEFT JOIN sessions s ON s.id = c.session_id ORDER BY c.id" | tr '\n' '|' | sed 's/|$//')"
check_eq "nonces are unique" 5 "$(bsql "SELECT count(DISTINCT nonce) FROM scans")"
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# A box that boots with no idea of the time (no RTC: 2000-01-01) and gets
# NTP later, on the real clock (the host corrects from the monotonic time
# the box and its sync worker share; a virtual clock has a boot id of its
# own so the host never mixes the two).
check_eq "a virtual clock has a boot id of its own" 1 \
	"$(bsql "SELECT count(DISTINCT at_boot) FROM scans WHERE length(at_boot) = 36 AND at_boot != '$(cat /proc/sys/kernel/random/boot_id)'")"
H=$T_TMP/host
D=$T_TMP/box2
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
PORT=$(free_port)
host_init "$H" "$PORT"
check "notewell serve" host_start "$H" "$PORT"
printf 'room = Room K\nclock_synced = 0\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box2.conf"
daemon_start "$D" --config "$T_TMP/box2.conf"
check "the clock reads 2000-01-01 at boot" ctl clock set 2000-01-01T00:00:00Z
check_eq "the box says its clock is not synced" "False 2000-01-01" "$(status 'd["clock_synced"], d["time"][:10]')"
ctl scan "$(enroll_code "$H" "Room K")" >/dev/null
check "the box enrolls" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM devices WHERE room = 'Room K'\")\" = 1 ]"
box=$(box_json "$D" 's["device_id"]')
ctl session start --uid k-unsynced >/dev/null
ctl scan K-U1 >/dev/null
ctl scan K-U2 >/dev/null
check "NTP sets the clock" ctl clock set "$(date -u +%Y-%m-%dT%H:%M:%SZ)" synced
check "the step is in the journal" sh -c "sqlite3 '$D/journal.db' \"SELECT detail FROM events WHERE kind = 'clock-step'\" | grep -q ' s: 2000-01-01T.* -> 20[2-9].* (synced)'"
ctl scan K-U3 >/dev/null
ctl session stop >/dev/null
ctl scan K-U4 >/dev/null
check_eq "scans are marked synced or not as the clock was" "K-U1 0|K-U2 0|K-U3 1|K-U4 1" \
	"$(bsql "SELECT badge || ' ' || at_synced FROM scans ORDER BY id" | tr '\n' '|' | sed 's/|$//')"
check_eq "scans keep their order through the step" "K-U1 K-U2 K-U3 K-U4" \
	"$(bsql "SELECT badge FROM scans ORDER BY at_mono_ns, id" | tr '\n' ' ' | sed 's/ $//')"
check "everything reaches the host" sync_now "$D" 20
check_eq "the host corrected the unsynced ones only" "K-U1 1|K-U2 1|K-U3 0|K-U4 0" \
	"$(hsql "SELECT badge_id || ' ' || time_corrected FROM scans WHERE device_id = '$box' ORDER BY badge_id" | tr '\n' '|' | sed 's/|$//')"
check_eq "corrected times are the host's (within a minute), not 2000" 0 \
	"$(hsql "SELECT count(*) FROM scans WHERE device_id = '$box' AND abs(wall_ns - strftime('%s','now') * 1000000000) > 60000000000")"
check_eq "the host keeps the box's own times too" 2 \
	"$(hsql "SELECT count(*) FROM scans WHERE device_id = '$box' AND time_corrected = 1 AND box_wall_ns < 1000000000000000000")"
# Across the step wall times (corrected or not) are only as good as the
# host's estimate; the boot's monotonic time is the order.
check_eq "on the host the scans keep their order (same boot, monotonic time)" "K-U1 K-U2 K-U3 K-U4" \
	"$(hsql "SELECT s.badge_id FROM scans s JOIN box_records r ON r.device_id = s.device_id AND r.kind = 'scan' AND r.key = s.nonce WHERE s.device_id = '$box' ORDER BY r.boot_id, r.mono_ns" | tr '\n' ' ' | sed 's/ $//')"
check_eq "... and so do the corrected ones by time" "K-U1 K-U2" \
	"$(hsql "SELECT badge_id FROM scans WHERE device_id = '$box' AND time_corrected = 1 ORDER BY wall_ns" | tr '\n' ' ' | sed 's/ $//')"
check_eq "the host keeps them in the session" "k-unsynced|k-unsynced|k-unsynced||" \
	"$(hsql "SELECT COALESCE(session_uid, '') FROM scans WHERE device_id = '$box' ORDER BY badge_id" | tr '\n' '|')"
kill "$D_PID"; wait "$D_PID" 2>/dev/null
t_done
