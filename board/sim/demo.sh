#!/bin/sh
# make demo: the whole product on this machine. A host (`notewell`) imports
# the meeting, serves HTTPS on 127.0.0.1, enrolls a box; the box
# (`notewelld --board sim`) is enrolled by scanning the setup code on its
# (simulated) badge scanner, receives its room's schedule, records every
# session of the room's first day from a WAV at full speed on a virtual
# clock, takes the badge scans during the first session, and syncs; the host
# publishes the proceedings and verifies them.
#
# Inputs (all optional; the sample meeting in board/sim/sample otherwise):
#   DEMO_AGENDA DEMO_REGISTRATIONS DEMO_REMOTE DEMO_SCANS DEMO_AUDIO DEMO_OUT
set -eu
O=${O:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/$O
SAMPLE=$TOP/board/sim/sample
AGENDA=${DEMO_AGENDA:-$SAMPLE/agenda.ics}
REGS=${DEMO_REGISTRATIONS:-$SAMPLE/registrations.csv}
REMOTE=${DEMO_REMOTE:-$SAMPLE/remote.csv}
SCANS=${DEMO_SCANS:-$SAMPLE/scans.txt}
AUDIO=${DEMO_AUDIO:-}
OUT=${DEMO_OUT:-$TOP/demo-out}
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac

say() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
# waits up to $1 seconds for a command to succeed
wait_for() { _w=$(($1 * 10)); shift; until "$@" >/dev/null 2>&1; do
	_w=$((_w - 1)); [ $_w -gt 0 ] || return 1; sleep 0.1; done; }
for f in "$AGENDA" "$REGS" "$SCANS"; do [ -r "$f" ] || die "cannot read $f"; done

H=$OUT/host
B=$OUT/box
W=$OUT/work
rm -rf "$H" "$B" "$W" "$OUT/site"
mkdir -p "$OUT" "$W"
# As root, notewell serve becomes nobody once it listens (it never serves as
# root), and nobody must be able to reach the store. When $OUT is somewhere
# nobody cannot enter (under /root, a 0700 folder), the store lives in /tmp
# and $OUT/host points at it.
SERVE_AS=
if [ "$(id -u)" = 0 ]; then
	SERVE_AS="--user nobody"
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$OUT" 2>/dev/null; then
		H=$(mktemp -d /tmp/notewell-demo-host.XXXXXX)
		chmod 755 "$H"
		ln -sfn "$H" "$OUT/host"
	fi
fi
N() { "$BIN/notewell" --store "$H" "$@"; }
C() { "$BIN/notewellctl" --data "$B" "$@"; }
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done' EXIT

say "room audio"
if [ -n "$AUDIO" ]; then
	sox "$AUDIO" -r 48000 -c 1 -b 16 "$W/room.wav" || die "cannot convert $AUDIO to 48 kHz mono"
else
	espeak-ng -w "$W/speech.wav" "Good morning. Welcome to this session. Please scan your \
badge at the door so that you appear on the blue sheet. The session is recorded, and \
the recording will be published in the proceedings." 2>/dev/null
	sox "$W/speech.wav" -r 48000 -c 1 -b 16 "$W/room.wav" pad 0 2
fi
echo "$(soxi -D "$W/room.wav") s of audio, played in a loop as the room"

say "host: init, import the meeting"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
N init --url "https://127.0.0.1:$PORT" >"$W/init.txt"
N import agenda "$AGENDA"
N import registrations "$REGS"
[ -r "$REMOTE" ] && N import remote "$REMOTE"
"$BIN/notewell" --store "$H" serve --listen "127.0.0.1:$PORT" $SERVE_AS >"$OUT/host-serve.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 grep -q listening "$OUT/host-serve.log" || die "notewell serve did not start; see $OUT/host-serve.log"

# The first room of the agenda, and that room's first day.
ROOM=$(N schedule "$(sqlite3 "$H/host.db" 'SELECT room FROM sessions ORDER BY start_utc LIMIT 1')" | js 'd["room"]')
N schedule "$ROOM" >"$W/schedule.json"
DAY=$(js 'd["sessions"][0]["start"][:10]' <"$W/schedule.json")
FIRST_START=$(js 'd["sessions"][0]["start"]' <"$W/schedule.json")
DAY_END=$(js "max(s['end'] for s in d['sessions'] if s['start'].startswith('$DAY'))" <"$W/schedule.json")
START=$(python3 -c "import datetime as t; print((t.datetime.fromisoformat('$FIRST_START'.replace('Z','+00:00')) - t.timedelta(minutes=5)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
IN_FIRST=$(python3 -c "import datetime as t; print((t.datetime.fromisoformat('$FIRST_START'.replace('Z','+00:00')) + t.timedelta(minutes=2)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
AFTER=$(python3 -c "import datetime as t; print((t.datetime.fromisoformat('$DAY_END'.replace('Z','+00:00')) + t.timedelta(minutes=5)).strftime('%Y-%m-%dT%H:%M:%SZ'))")
echo "room '$ROOM': its box runs $DAY from $START to $AFTER"

say "box: start notewelld --board sim for '$ROOM'"
mkdir -p "$B"
mkfifo "$W/scanner"
cat >"$W/box.conf" <<EOC
room = $ROOM
audio_source = file:$W/room.wav
audio_pace = fast
audio_loop = 1
sim_clock_start = $START
clock_synced = 1
scanner_fifo = $W/scanner
sync_retry_max_s = 2
EOC
"$BIN/notewelld" --board sim --data "$B" --config "$W/box.conf" >"$OUT/box.log" 2>&1 &
BOXPID=$!
PIDS="$PIDS $BOXPID"
wait_for 10 C status || die "the box did not start; see $OUT/box.log"

say "enroll: the operator scans the host's setup code with the box's scanner"
N enroll --room "$ROOM" --png "$OUT/enroll.png" >"$W/enroll.txt"
CODE=$(sed -n 's/^setup code  //p' "$W/enroll.txt")
"$TOP/tests/hidtype" "$CODE\n" >"$W/scanner"
enrolled() { [ "$(C status --json | js 'd["sync"]["enrolled"]')" = True ]; }
wait_for 20 enrolled || die "the box did not enroll; see $OUT/box.log"
echo "enrolled as box $(C status --json | js 'd["device_id"]'); setup QR in $OUT/enroll.png"
C sync >/dev/null
wait_for 20 test -s "$B/schedule.json" || die "the schedule did not arrive"
echo "schedule received: $(js 'len(d["sessions"])' <"$B/schedule.json") sessions for $ROOM"

say "the first session: badges scanned at the door ($SCANS)"
C clock run-until "$IN_FIRST" >/dev/null
at() { C status --json | js 'd["time"]' | grep -q "^$(echo "$1" | cut -c1-16)"; }
wait_for 300 at "$IN_FIRST" || die "the virtual clock did not reach $IN_FIRST"
C status | sed -n '3,5p'
args=""
n=0
while IFS= read -r badge || [ -n "$badge" ]; do
	case $badge in ''|'#'*) continue ;; esac
	args="$args$badge\\n"
	n=$((n + 1))
done <"$SCANS"
"$TOP/tests/hidtype" "$args" >"$W/scanner"
acks() { grep -c 'ack ok: Signed in\|ack reject' "$OUT/box.log"; }
wait_for 20 sh -c "[ \$(grep -c 'ack ok: Signed in\|ack reject' '$OUT/box.log') -ge $n ]" || true
echo "$n badges scanned: $(grep -c 'ack ok: Signed in' "$OUT/box.log") signed in, $(grep -c 'ack reject' "$OUT/box.log") refused"
C bluesheet | head -1

say "the rest of the day runs (audio as fast as the encoder allows)"
C clock run-until "$AFTER" >/dev/null
wait_for 900 at "$AFTER" || die "the virtual clock did not reach $AFTER"
sqlite3 -cmd '.timeout 5000' "$B/journal.db" "SELECT path, state, printf('%.1f s', duration_ns / 1e9)
	FROM recordings ORDER BY id" | sed 's/|/  /g'

say "sync: everything to the host"
synced() { [ "$(C status --json | js 'd["sync"]["backlog"]["records"] + d["sync"]["backlog"]["bytes"]')" = 0 ]; }
C sync >/dev/null
wait_for 120 synced || die "sync did not finish; see $OUT/box.log"
echo "backlog empty; the host holds $(sqlite3 "$H/host.db" 'SELECT count(*) FROM scans') scans and $(sqlite3 "$H/host.db" 'SELECT count(*) FROM recordings') recordings"
kill "$BOXPID"; wait "$BOXPID" 2>/dev/null || true

say "publish and verify"
N publish --out "$OUT/site"
N verify "$OUT/site"
cp "$B/device.pub" "$OUT/box.pub"
cp "$H"/*.pub "$OUT/" 2>/dev/null || true
N unmatched | head -5 || true

say "done"
cat <<EOT
published site:   $OUT/site/index.html
host store:       $H
box data folder:  $B   (journal.db, recordings/, screen.png)
public keys:      $(cd "$OUT" && ls *.pub | tr '\n' ' ')
logs:             $OUT/box.log $OUT/host-serve.log
EOT
