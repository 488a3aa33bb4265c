#!/bin/sh
# make demo: the main job end to end on this machine with the sim board.
# Inputs (all optional): DEMO_AGENDA DEMO_REGISTRATIONS DEMO_REMOTE
# DEMO_SCANS DEMO_AUDIO DEMO_OUT. Parts that are not built yet are named.
set -eu
O=${O:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/$O
SAMPLE=$TOP/board/sim/sample
OUT=${DEMO_OUT:-$TOP/demo-out}
SCANS=${DEMO_SCANS:-$SAMPLE/scans.txt}

say() { printf '\n== %s\n' "$*"; }
rm -rf "$OUT/box"
mkdir -p "$OUT"
BOX=$OUT/box

say "starting a box (notewelld --board sim) with data in $BOX"
"$BIN/notewelld" --board sim --data "$BOX" >"$OUT/box.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
i=0
until "$BIN/notewellctl" --data "$BOX" status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "box did not start; see $OUT/box.log"; exit 1; }
	sleep 0.1
done

say "opening a session and scanning badges from $SCANS"
"$BIN/notewellctl" --data "$BOX" session start --title "Demo session"
n=0
while IFS= read -r badge || [ -n "$badge" ]; do
	[ -n "$badge" ] || continue
	"$BIN/notewellctl" --data "$BOX" scan "$badge" >/dev/null && n=$((n + 1))
done <"$SCANS"
echo "$n scans acknowledged (each committed to the journal first)"
"$BIN/notewellctl" --data "$BOX" bluesheet
"$BIN/notewellctl" --data "$BOX" session stop
"$BIN/notewellctl" --data "$BOX" status
kill $PID; wait $PID 2>/dev/null || true
trap - EXIT

say "not there yet: audio recording, notices/screen, enrollment and sync,"
echo "host import and publishing (see the open issues)"
say "done. box journal: $BOX/journal.db   box log: $OUT/box.log"
