#!/bin/sh
# Recording on the sim board with a virtual clock: the schedule opens and
# closes sessions, a WAV played as fast as possible is the room, and the
# journal and the files must agree.
. "$(dirname "$0")/../lib.sh"
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
status() { ctl status --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
dur() { opusinfo "$1" | sed -n 's/.*Playback length: \([0-9]*\)m:\([0-9.]*\)s/\1 \2/p' | awk '{printf "%.3f\n", $1*60+$2}'; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

# A room: speech from espeak-ng, 48 kHz mono.
espeak-ng -w "$T_TMP/s.wav" "Welcome to the session. The chairs will now go through the agenda." 2>/dev/null
sox "$T_TMP/s.wav" -r 48000 -c 1 -b 16 "$T_TMP/room.wav"
mkdir -p "$D"
cat >"$T_TMP/box.conf" <<EOC
room = Room A
meeting = ietf125
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
sim_clock_start = 2026-03-16T08:55:00Z
preroll_s = 30
postroll_s = 30
silence_s = 20
EOC
cat >"$D/schedule.json" <<'EOS'
{"room":"Room A","sessions":[
{"uid":"ietf-125-1-abc","title":"ABC","start":"2026-03-16T09:00:00Z","end":"2026-03-16T09:02:00Z"},
{"uid":"ietf-125-2-def","title":"DEF","start":"2026-03-16T09:02:00Z","end":"2026-03-16T09:03:00Z"},
{"uid":"ietf-125-3-xyz","title":"Closed","start":"2026-03-16T09:10:00Z","end":"2026-03-16T09:12:00Z","record":false}]}
EOS
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "idle before the pre-roll" idle "$(status 'd["state"]')"
ctl clock run-until 2026-03-16T09:20:00Z >/dev/null
check "virtual clock runs through the day" wait_for 60 sh -c "\"$BIN/notewellctl\" --data \"$D\" status --json | grep -q '\"time\": \"2026-03-16T09:20'"
f1=$D/recordings/ietf-125-1-abc.part1.opus
f2=$D/recordings/ietf-125-2-def.part1.opus
check "first session recorded" opusinfo "$f1"
check "second session recorded" opusinfo "$f2"
# Back to back: the first runs from 08:59:30 to the boundary 09:02:00
# (150 s), the second from 09:02:00 to 09:03:30 (90 s).
check "first file is 150 s (+-20 ms)" near "$(dur "$f1")" 150 0.02
check "second file is 90 s (+-20 ms)" near "$(dur "$f2")" 90 0.02
check "opusdec decodes to the same length" sh -c "opusdec --quiet '$f2' '$T_TMP/d.wav' && awk -v a=\$(soxi -D '$T_TMP/d.wav') 'BEGIN{exit !(a>89.98 && a<90.02)}'"
check_fails "a non-public session is not recorded" ls "$D"/recordings/ietf-125-3-xyz*
check "journal says why it was not recorded" sh -c "\"$BIN/notewellctl\" --data \"$D\" events --limit 100 | grep -q 'recording-skipped.*ietf-125-3-xyz'"
tags=$(opusinfo "$f1")
for t in SESSION_ID=ietf-125-1-abc 'ROOM=Room A' MEETING=ietf125 START_TIME=2026-03-16T08:59:30.000Z CLOCK_SYNCED=yes PART=1; do
	check "tag $t" sh -c "echo \"\$1\" | grep -q \"\$2\"" _ "$tags" "$t"
done
check_eq "journal has hash and duration of each file" \
	"$(sha256sum "$f1" | cut -c1-64) 150" \
	"$(sqlite3 "$D/journal.db" "SELECT sha256, CAST(round(duration_ns/1e9) AS INT) FROM recordings WHERE path LIKE '%abc%'" | tr '|' ' ')"
check_eq "no silence alarm on speech" 0 "$(sqlite3 "$D/journal.db" "SELECT COUNT(*) FROM events WHERE kind='alarm-on'")"

# Pause: a manual session, paused for a while, resumed.
ctl session start --uid manual-pause >/dev/null
ctl clock run-until 2026-03-16T09:21:00Z >/dev/null
wait_for 30 sh -c "\"$BIN/notewellctl\" --data \"$D\" status --json | grep -q '\"time\": \"2026-03-16T09:21'"
check "pause" ctl pause
check_eq "state paused" paused "$(status 'd["state"]')"
check_fails "pausing twice is refused" ctl pause
check "resume" ctl resume
# Positions are in samples; the clock was held at 60 s (2,880,000) give or
# take one 20 ms chunk, and nothing was recorded between pause and resume.
check_eq "pause and resume marks with positions" "pause 60 resume 60" \
	"$(sqlite3 "$D/journal.db" "SELECT kind, position_samples / 48000 FROM recording_marks WHERE kind IN ('pause','resume') ORDER BY id" | tr '|\n' '  ' | sed 's/ $//')"

# Power cut mid-recording: what was recorded is kept, and the open session
# goes on in a new part.
ctl clock run-until 2026-03-16T09:22:00Z >/dev/null
wait_for 30 sh -c "\"$BIN/notewellctl\" --data \"$D\" status --json | grep -q '\"time\": \"2026-03-16T09:22'"
kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
check_eq "journal ok after kill -9 mid-recording" ok "$(sqlite3 -cmd '.timeout 10000' "$D/journal.db" 'PRAGMA integrity_check')"
sed -i 's/^sim_clock_start.*/sim_clock_start = 2026-03-16T09:22:00Z/' "$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
fp=$D/recordings/manual-pause.part1.opus
check "recovered file passes opusinfo" opusinfo "$fp"
check "recovered file holds the 120 s recorded, less at most 1.5 s" sh -c "awk -v a=$(dur "$fp") 'BEGIN{exit !(a >= 118.5 && a <= 120.1)}'"
check_eq "journal marks it recovered with its hash" "recovered $(sha256sum "$fp" | cut -c1-64)" \
	"$(sqlite3 "$D/journal.db" "SELECT state, sha256 FROM recordings WHERE path LIKE '%manual-pause.part1%'" | tr '|' ' ')"
check_eq "the session goes on in part 2" recording "$(status 'd["state"]')"
check "part 2 exists" test -f "$D/recordings/manual-pause.part2.opus"
ctl session stop >/dev/null
check "part 2 is finished on stop" opusinfo "$D/recordings/manual-pause.part2.opus"
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# Disk below the reserve: no recording, an alarm, the journal says so, and
# scans keep working.
D=$T_TMP/box2
sed 's/^silence_s.*/disk_reserve_mb = 1048576/' "$T_TMP/box.conf" >"$T_TMP/full.conf"
daemon_start "$D" --config "$T_TMP/full.conf"
ctl session start --uid full-disk >/dev/null
check "the journal says the session's recording could not be made" sh -c "sqlite3 '$D/journal.db' \"SELECT detail FROM events WHERE kind = 'recording-failed'\" | grep -q 'full-disk.*reserve'"
check_eq "status shows the disk and not-recording alarms" "disk not-recording" "$(status '" ".join(d["alarms"])')"
check "scans still work with the disk at its reserve" ctl scan DISKFULL1
check_fails "no recording file was started" ls "$D"/recordings/full-disk*
t_done
