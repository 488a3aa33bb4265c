#!/bin/sh
# Crash points: notewelld is killed -9 at every step of a scripted session
# (scans, a recorded session with a pause, the notice switching while it
# records, a second session), while the step is in flight, at a few
# different delays. After each kill: the journal passes integrity_check,
# and once restarted everything that was acknowledged is there, every
# recording the box no longer writes plays, and scans made after the notice
# switch carry the new notice. Then the script goes on from the next step.
#
# Three rounds, each on a fresh box: round r kills at the steps s with
# s % 3 == r, so every step is a crash point once.
. "$(dirname "$0")/../lib.sh"
N=$T_TMP/notices
mkdir -p "$N"
cp "$TOP"/board/notices/*.txt "$N/"
T0=2026-03-16T09:00:00Z
# Version 2 takes over 150 s into the first session's recording.
sed 's/^effective_from:.*/effective_from: 2026-03-16T08:00:00Z/' "$TOP/board/notices/ietf-privacy-1.notice" >"$N/a.notice"
sed 's/^effective_from:.*/effective_from: 2026-03-16T09:02:30Z/' "$TOP/board/notices/ietf-privacy-2.notice" >"$N/b.notice"
V2=ietf-privacy@$(sed -n 's/^version: //p' "$N/b.notice")
espeak-ng -w "$T_TMP/s.wav" "Crash test. The chairs open the session." 2>/dev/null
sox "$T_TMP/s.wav" -r 48000 -c 1 -b 16 "$T_TMP/room.wav"

ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
q() { sqlite3 -cmd '.timeout 5000' "$D/journal.db" "$1"; }
epoch() { date -u -d "$1" +%s; }
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
vtime() { ctl status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])'; }

start_at() { # RFC 3339 time the virtual clock starts from
	cat >"$T_TMP/box.conf" <<EOC
room = Room C
notice_dir = $N
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
sim_clock_start = $1
EOC
	daemon_start "$D" --config "$T_TMP/box.conf"
}

# Delays from the command to the kill, in turn: at once, mid-commit, later.
DELAYS="0 0.003 0.01 0.03 0.08"
delay() { set -- $DELAYS; shift $((KILLS % $#)); echo "$1"; }

# Everything acknowledged so far is in the journal; one TAP line per crash.
check_acked() {
	bad=""
	pauses=0
	while read -r kind a b; do
		case $kind in
		scan) n=$(q "SELECT COUNT(*) FROM scans WHERE badge = '$a'${b:+ AND notice_id = '$b'}") ;;
		start) n=$(q "SELECT COUNT(*) FROM sessions WHERE uid = '$a'") ;;
		stop) n=$(q "SELECT COUNT(*) FROM sessions WHERE uid = '$a' AND end_wall_ns IS NOT NULL") ;;
		pause|resume) n=1; [ "$kind" = pause ] && pauses=$((pauses + 1)) ;;
		esac
		[ "$n" -ge 1 ] || bad="$bad $kind:$a${b:+:$b}"
	done <"$R.acked"
	[ "$(q "SELECT COUNT(*) FROM recording_marks WHERE kind = 'pause'")" -ge "$pauses" ] || bad="$bad pause-marks"
	check_eq "$1: all $(wc -l <"$R.acked") acknowledged steps are in the journal" "" "$bad"
}

# The box no longer writes a recording that is not open: each such file
# plays and has the hash its row says.
check_recordings() {
	bad=""
	open=$(q "SELECT COUNT(*) FROM recordings WHERE state = 'recording'")
	q "SELECT path, sha256 FROM recordings WHERE state IN ('finished', 'recovered')" >"$T_TMP/recs"
	while IFS='|' read -r path sha; do
		opusinfo "$D/$path" >/dev/null 2>&1 || bad="$bad $path:unplayable"
		[ "$(sha256sum <"$D/$path" | cut -c1-64)" = "$sha" ] || bad="$bad $path:hash"
	done <"$T_TMP/recs"
	[ "$open" -le 1 ] || bad="$bad $open-open"
	check_eq "$1: recordings play and match their hashes, at most one open" "" "$bad"
}

crash() { # what
	KILLS=$((KILLS + 1))
	check_eq "$1: integrity_check after kill -9" ok "$(q 'PRAGMA integrity_check')"
	# The clock goes on from after the last thing the box did or was told
	# to run to: a power cut takes time, it does not turn the clock back.
	last=$(q "SELECT MAX(t) / 1000000000 FROM (SELECT MAX(at_wall_ns) AS t FROM events
		UNION ALL SELECT MAX(at_wall_ns) FROM scans)")
	[ "$TARGET" -gt "$last" ] && last=$TARGET
	start_at "$(rfc $((last + 1)))"
	check_acked "$1"
	check_recordings "$1"
}

# step "what" ACK-LINE ctl-args...: one step; on a crash point the daemon is
# killed while the command is in flight. ACK-LINE is recorded when the
# command was acknowledged (exit 0).
step() {
	what=$1 ack=$2; shift 2
	S=$((S + 1))
	if [ $((S % 3)) -eq "$ROUND" ]; then
		ctl "$@" >/dev/null 2>&1 &
		c=$!
		d=$(delay)
		[ "$d" = 0 ] || sleep "$d"
		kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
		wait "$c" && [ -n "$ack" ] && echo "$ack" >>"$R.acked"
		crash "round $ROUND step $S ($what, kill after ${d}s)"
	else
		ctl "$@" >/dev/null 2>&1 && [ -n "$ack" ] && echo "$ack" >>"$R.acked"
	fi
	return 0
}

# run SECS: the virtual clock (and the recording) runs SECS further; a crash
# point kills mid-encoding.
run() {
	now=$(epoch "$(vtime)")
	TARGET=$((now + $1))
	step "run ${1}s of audio" "" clock run-until "$(rfc $TARGET)"
	wait_for 60 sh -c "[ \$(date -u -d \"\$(\"$BIN/notewellctl\" --data \"$D\" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"time\"])')\" +%s) -ge $TARGET ]"
}

for ROUND in 0 1 2; do
	D=$T_TMP/box$ROUND
	R=$T_TMP/round$ROUND
	: >"$R.acked"
	S=0 KILLS=$((ROUND * 2)) TARGET=0
	start_at $T0
	step "scan between sessions" "scan R${ROUND}-LOBBY" scan "R${ROUND}-LOBBY"
	step "session start" "start crash-$ROUND-a" session start --uid "crash-$ROUND-a"
	for i in 1 2 3; do
		step "scan in session" "scan R${ROUND}-A$i" scan "R${ROUND}-A$i"
	done
	run 60
	step "pause" pause pause
	step "scan while paused" "scan R${ROUND}-P1" scan "R${ROUND}-P1"
	step "resume" resume resume
	run 120	# crosses the notice switch at T0 + 150 s
	step "scan after the switch" "scan R${ROUND}-N1 $V2" scan "R${ROUND}-N1"
	step "session stop" "stop crash-$ROUND-a" session stop
	step "session start" "start crash-$ROUND-b" session start --uid "crash-$ROUND-b"
	run 30
	step "scan in session" "scan R${ROUND}-B1 $V2" scan "R${ROUND}-B1"
	step "session stop" "stop crash-$ROUND-b" session stop
	kill "$D_PID"; wait "$D_PID" 2>/dev/null
	check_eq "round $ROUND: clean stop leaves no recording open" 0 "$(q "SELECT COUNT(*) FROM recordings WHERE state = 'recording'")"
	check_eq "round $ROUND: the notice switch is journalled" 1 "$(q "SELECT COUNT(*) > 0 FROM notice_switches WHERE notice_id = '$V2'")"
done
t_done
