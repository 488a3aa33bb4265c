#!/bin/sh
# Soak: a long sim run of notewelld (virtual clock, audio as fast as it
# encodes) with many scheduled sessions, thousands of badges typed through
# the sim scanner FIFO, and the host going away and coming back again and
# again. Best run on the sanitizer build (make soak does: O=build-san).
# Checks: nothing lost (every scan and every recording reached the host),
# all the audio recorded, no sanitizer or leak report from notewelld, its
# sync worker or notewell serve, and notewelld's resident memory flat: the
# largest VmRSS of the last quarter of the samples within a margin of the
# largest of the first quarter (after a warm-up).
#
# Badges are typed at most 8 a second (the scanner flood limit is 10), so
# SOAK_SCANS / 8 seconds of the run are typing.
# Knobs (environment): SOAK_AUDIO_S (seconds of audio; default
# SOAK_HOURS * 3600, SOAK_HOURS default 8), SOAK_SESSIONS (default one per
# half hour of audio, at least 4), SOAK_SCANS (default 3000), SOAK_OUTAGES
# (default 6), SOAK_STEPS (RSS samples; default 32), SOAK_RSS_MARGIN_KB
# (default 10% of the first quarter's max, at least 1024).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
F=$T_TMP/scanner.fifo
REP=$T_TMP/san
mkdir -p "$REP"
AUDIO=${SOAK_AUDIO_S:-$((${SOAK_HOURS:-8} * 3600))}
SESSIONS=${SOAK_SESSIONS:-$((AUDIO / 1800))}
[ "$SESSIONS" -ge 4 ] || SESSIONS=4
SCANS=${SOAK_SCANS:-3000}
OUTAGES=${SOAK_OUTAGES:-6}
STEPS=${SOAK_STEPS:-32}
LEN=$((AUDIO / SESSIONS))		# seconds of audio per session
GAP=600					# between sessions (costs nothing: virtual)
T0=1773651600				# 2026-03-16T09:00:00Z
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
bsql() { sqlite3 -cmd ".timeout 10000" "$D/journal.db" "$@"; }
hsql() { sqlite3 -cmd ".timeout 10000" "$H/host.db" "$@"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
echo "# soak: $AUDIO s of audio in $SESSIONS sessions, $SCANS scans, $OUTAGES host outages, $STEPS steps, build $O"

# Sanitizer reports go to files; an exit status nobody reads cannot hide one.
# A small quarantine so freed memory is reused and RSS means something.
export ASAN_OPTIONS="detect_leaks=1:log_path=$REP/asan:log_exe_name=1:quarantine_size_mb=4"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$REP/ubsan:log_exe_name=1"
if ldd "$BIN/notewelld" | grep -q libasan; then SAN=1; else SAN=0; fi

# host_term: SIGTERM, so serve exits through its own cleanup and LSan looks.
host_term() {
	kill -TERM "$H_PID" 2>/dev/null
	wait "$H_PID" 2>/dev/null
}

PORT=$(free_port)
host_init "$H" "$PORT"
check "notewell serve" host_start "$H" "$PORT"

sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 7 pinknoise vol 0.3
mkfifo "$F"
cat >"$T_TMP/box.conf" <<EOC
room = Soak
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
opus_complexity = 0
opus_bitrate = 16000
sim_clock_start = $(iso $T0)
preroll_s = 0
postroll_s = 0
silence_s = 3600
heartbeat_s = 3600
sync_retry_max_s = 1
retention_free_mb = 0
scanner_fifo = $F
EOC
mkdir -p "$D"
# The agenda is the host's: imported there, pulled by the box over sync.
python3 - "$T_TMP/agenda.json" "$T0" "$SESSIONS" "$LEN" "$GAP" <<'EOP'
import json, sys, datetime
path, t0, n, length, gap = sys.argv[1], *map(int, sys.argv[2:])
iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
s = [{"uid": "ietf-125-%d-soak" % (i + 1), "acronym": "soak", "name": "Soak %d" % i, "room": "Soak",
      "start": iso(t0 + gap + i * (length + gap)), "end": iso(t0 + gap + i * (length + gap) + length)}
     for i in range(n)]
json.dump({"sessions": s}, open(path, "w"))
EOP
check "the host imports the soak agenda" "$BIN/notewell" --store "$H" import agenda "$T_TMP/agenda.json"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Soak)" >/dev/null
check "the box enrolls" wait_for 20 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM devices WHERE room = 'Soak'\")\" = 1 ]"
check "the box pulls the agenda" wait_for 20 sh -c \
	"python3 -c 'import json; exit(len(json.load(open(\"$D/schedule.json\"))[\"sessions\"]) != $SESSIONS)'"

END=$((T0 + GAP + SESSIONS * (LEN + GAP)))
per=$((SCANS / STEPS))
typed=0; down=0; outages=0; step_fail=0
: >"$T_TMP/rss"
i=1
while [ "$i" -le "$STEPS" ]; do
	t=$((T0 + (END - T0) * i / STEPS))
	ctl clock run-until "$(iso "$t")" >/dev/null
	# Badges typed while the audio runs; the last step takes the rest.
	n=$per; [ "$i" -eq "$STEPS" ] && n=$((SCANS - typed))
	# The scanner path drops more than 10 scans a second from one scanner
	# (scanfeed's flood limit): type in bursts of 8, a second apart.
	j=0
	while [ "$j" -lt "$n" ]; do
		b=$((n - j)); [ "$b" -gt 8 ] && b=8
		"$TOP/tests/hidtype" "$(seq $((typed + j + 1)) $((typed + j + b)) | awk '{printf "SOAK-%05d\n", $1}')\n" >"$F"
		j=$((j + b))
		[ "$j" -lt "$n" ] && sleep 1.05
	done
	typed=$((typed + n))
	# Outages: the host goes away for a step, OUTAGES times, spread out.
	if [ "$down" = 1 ]; then
		host_start "$H" "$PORT" || step_fail=1
		down=0
	elif [ "$outages" -lt "$OUTAGES" ] && [ $((i * OUTAGES / STEPS)) -gt "$outages" ]; then
		host_term; down=1; outages=$((outages + 1))
	fi
	wait_for 600 sh -c "\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"time\": \"$(iso "$t" | sed 's/Z$//')'" || step_fail=1
	wait_for 120 sh -c "[ \"\$(sqlite3 -cmd '.timeout 10000' '$D/journal.db' \"SELECT count(*) FROM scans WHERE badge LIKE 'SOAK-%'\")\" = $typed ]" || step_fail=1
	echo "$(sed -n 's/^VmRSS:[ \t]*\([0-9]*\) kB/\1/p' /proc/"$D_PID"/status)" >>"$T_TMP/rss"
	i=$((i + 1))
done
[ "$down" = 1 ] && host_start "$H" "$PORT"
check_eq "every step reached its virtual time with its scans stored" 0 "$step_fail"
check_eq "the host went away $OUTAGES times" "$OUTAGES" "$outages"
check_eq "the box took every typed badge" "$SCANS" "$(bsql "SELECT count(*) FROM scans WHERE badge LIKE 'SOAK-%'")"
check_eq "every session was recorded, each in one part" "$SESSIONS $SESSIONS 0" \
	"$(bsql "SELECT count(*), count(DISTINCT session_id), sum(state != 'finished') FROM recordings" | tr '|' ' ')"
check_eq "all the audio was recorded ($AUDIO s)" "$((LEN * SESSIONS))" \
	"$(bsql "SELECT CAST(round(sum(duration_ns) / 1e9) AS INT) FROM recordings")"

check "everything reaches the host after the last outage" sync_now "$D" $((120 + AUDIO / 200))
box=$(box_json "$D" 's["device_id"]')
bsql "SELECT nonce FROM scans ORDER BY nonce" >"$T_TMP/box.scans"
hsql "SELECT nonce FROM scans WHERE device_id = '$box' ORDER BY nonce" >"$T_TMP/host.scans"
check "the host has every scan (by nonce)" cmp "$T_TMP/box.scans" "$T_TMP/host.scans"
bsql "SELECT sha256 FROM recordings ORDER BY sha256" >"$T_TMP/box.recs"
hsql "SELECT sha256 FROM recordings WHERE device_id = '$box' ORDER BY sha256" >"$T_TMP/host.recs"
check "the host has every recording (by SHA-256)" cmp "$T_TMP/box.recs" "$T_TMP/host.recs"
check_eq "no scan stored twice on the host" "$(wc -l <"$T_TMP/box.scans")" "$(hsql "SELECT count(*) FROM scans WHERE device_id = '$box'")"

# Memory: after a warm-up of a quarter of the steps, the rest split in quarters.
echo "# VmRSS kB per step: $(tr '\n' ' ' <"$T_TMP/rss")"
rss=$(python3 - "$T_TMP/rss" "${SOAK_RSS_MARGIN_KB:-}" <<'EOP'
import sys
s = [int(x) for x in open(sys.argv[1]).read().split()]
s = s[len(s) // 4:]
q = max(1, len(s) // 4)
first, last = max(s[:q]), max(s[-q:])
margin = int(sys.argv[2]) if sys.argv[2] else max(1024, first // 10)
print("%s first-quarter max %d kB, last-quarter max %d kB, margin %d kB" %
      ("flat" if last <= first + margin else "GROWS", first, last, margin))
EOP
)
check "notewelld's RSS is flat: $rss" sh -c "echo '$rss' | grep -q '^flat'"

ctl status >/dev/null
kill -TERM "$D_PID"; wait "$D_PID" 2>/dev/null
host_term
check_eq "journal integrity" ok "$(bsql 'PRAGMA integrity_check')"
if [ "$SAN" = 1 ]; then
	check_eq "no sanitizer or leak report (notewelld, its sync worker, notewell serve)" "" \
		"$(ls "$REP")"
	for r in "$REP"/*; do [ -f "$r" ] && head -30 "$r" | sed 's/^/# /'; done
else
	ok "no sanitizer or leak report # SKIP $O is not a sanitizer build (make soak uses build-san)"
fi
t_done
