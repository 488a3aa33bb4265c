#!/bin/sh
# Agenda time zones end to end: an agenda written in local time (agenda.ics
# with TZID=Europe/Madrid, agenda.json with numeric offsets), including the
# night Europe moves to summer time (2026-03-29, 02:00 CET -> 03:00 CEST),
# imported on the host, pulled by the box over sync, and recorded at the
# right UTC instants for the right length.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
dur() { opusinfo "$1" | sed -n 's/.*Playback length: \([0-9]*\)m:\([0-9.]*\)s/\1 \2/p' | awk '{printf "%.0f\n", $1*60+$2}'; }
utc() { date -u -d "@$(($1 / 1000000000))" +%Y-%m-%dT%H:%M:%SZ; }

{
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n'
ev() { # uid summary start end
	printf 'BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:%s\r\nLOCATION:Room Z\r\n%s\r\n%s\r\nEND:VEVENT\r\n' "$@"
}
# Winter time (+01:00): 09:00Z.
ev ietf-125-1-wint 'wint - Winter' 'DTSTART;TZID=Europe/Madrid:20260328T100000' 'DTEND;TZID=Europe/Madrid:20260328T100200'
# Across the change: 01:59 CET to 03:01 CEST is two minutes, not 62.
ev ietf-125-2-dst 'dst - Across the change' 'DTSTART;TZID=Europe/Madrid:20260329T015900' 'DTEND;TZID=Europe/Madrid:20260329T030100'
# Summer time (+02:00): 08:00Z.
ev ietf-125-3-summ 'summ - Summer' 'DTSTART;TZID=Europe/Madrid:20260329T100000' 'DTEND;TZID=Europe/Madrid:20260329T100200'
printf 'END:VCALENDAR\r\n'
} >"$T_TMP/agenda.ics"
cat >"$T_TMP/agenda.json" <<'EOJ'
{"sessions":[
{"uid":"ietf-125-4-jwin","acronym":"jwin","name":"JSON winter","room":"Room Z",
 "start":"2026-03-28T12:00:00+01:00","end":"2026-03-28T12:02:00+01:00"},
{"uid":"ietf-125-5-jsum","acronym":"jsum","name":"JSON summer","room":"Room Z",
 "start":"2026-03-29T12:00:00+02:00","end":"2026-03-29T12:02:00+02:00"},
{"uid":"ietf-125-6-jwest","acronym":"jwest","name":"JSON west","room":"Room Z",
 "start":"2026-03-29T07:30:00-05:00","end":"2026-03-29T07:32:00-05:00"}]}
EOJ
PORT=$(free_port)
host_init "$H" "$PORT"
# The host's and the box's own time zones must not matter.
check "import agenda.ics (TZID)" env TZ=Pacific/Auckland "$BIN/notewell" --store "$H" import agenda "$T_TMP/agenda.ics"
check "import agenda.json (offsets)" env TZ=Pacific/Auckland "$BIN/notewell" --store "$H" import agenda "$T_TMP/agenda.json"
check "notewell serve" host_start "$H" "$PORT"

sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 2 pinknoise vol 0.3
cat >"$T_TMP/box.conf" <<EOC
room = Room Z
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
opus_complexity = 0
opus_bitrate = 16000
sim_clock_start = 2026-03-28T08:50:00Z
preroll_s = 0
postroll_s = 0
silence_s = 3600
heartbeat_s = 3600
sync_retry_max_s = 1
EOC
TZ=America/Sao_Paulo daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" "Room Z")" >/dev/null
check "the box pulls the room's schedule from the host" wait_for 20 sh -c \
	"python3 -c 'import json; exit(len(json.load(open(\"$D/schedule.json\"))[\"sessions\"]) != 6)'"
want="ietf-125-1-wint 2026-03-28T09:00:00Z 2026-03-28T09:02:00Z
ietf-125-4-jwin 2026-03-28T11:00:00Z 2026-03-28T11:02:00Z
ietf-125-2-dst 2026-03-29T00:59:00Z 2026-03-29T01:01:00Z
ietf-125-3-summ 2026-03-29T08:00:00Z 2026-03-29T08:02:00Z
ietf-125-5-jsum 2026-03-29T10:00:00Z 2026-03-29T10:02:00Z
ietf-125-6-jwest 2026-03-29T12:30:00Z 2026-03-29T12:32:00Z"
check_eq "the box's schedule has the UTC instants" "$want" "$(python3 -c "
import json, datetime
for s in sorted(json.load(open('$D/schedule.json'))['sessions'], key=lambda s: s['start']):
    f = lambda t: datetime.datetime.fromisoformat(t.replace('Z', '+00:00')).astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    print(s['uid'], f(s['start']), f(s['end']))")"

ctl clock run-until 2026-03-29T13:00:00Z >/dev/null
check "the virtual day runs through" wait_for 60 sh -c "\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"time\": \"2026-03-29T13:00'"
got=$(bsql "SELECT s.uid, r.start_wall_ns, r.end_wall_ns FROM recordings r JOIN sessions s ON s.id = r.session_id ORDER BY r.id" |
	while IFS='|' read -r uid a b; do echo "$uid $(utc "$a") $(utc "$b")"; done)
check_eq "each session is recorded from its UTC start to its UTC end" "$want" "$got"
for u in 1-wint 2-dst 3-summ 4-jwin 5-jsum 6-jwest; do
	check_eq "ietf-125-$u: 120 s of audio" 120 "$(dur "$D/recordings/ietf-125-$u.part1.opus")"
done
check "the file's START_TIME tag is UTC" sh -c "opusinfo '$D/recordings/ietf-125-2-dst.part1.opus' | grep -q 'START_TIME=2026-03-29T00:59:00.000Z'"
t_done
