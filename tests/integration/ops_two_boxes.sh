#!/bin/sh
# Operations end to end over 127.0.0.1: one host (`notewell serve` with an
# alert command) and two sim boxes sending heartbeats every second, one
# hearing speech and one fed silence. `notewell status --json` shows
# recording / silence alarm, then missing when one box stops and recording
# again when it comes back; the alert command runs once on entering and once
# on leaving; preflight names the failing rooms; the /status page answers
# operators only and loads in headless Chromium with no request leaving
# 127.0.0.1, showing every room.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
A=$T_TMP/boxA
B=$T_TMP/boxB
ALOG=$T_TMP/alerts.log
nw() { "$BIN/notewell" --store "$H" "$@"; }
st() { nw status --json | python3 -c "import json,sys; d=json.load(sys.stdin); r={x['room']: x for x in d['rooms']}; print($1)"; }

# Room audio: speech (looped) and silence, at capture rate.
espeak-ng -w "$T_TMP/speech0.wav" "Good morning. Welcome to this session. Please scan your badge at the door." 2>/dev/null
sox "$T_TMP/speech0.wav" -r 48000 -c 1 -b 16 "$T_TMP/speech.wav"
sox -n -r 48000 -c 1 -b 16 "$T_TMP/silence.wav" trim 0 3

PORT=$(free_port)
check "notewell init" host_init "$H" "$PORT"
check "import the sample agenda (Room A, Room B)" nw import agenda "$TOP/board/sim/sample/agenda.ics"
nw operator add ops-desk >"$T_TMP/op.out"
secret=$(sed -n 's/^secret   //p' "$T_TMP/op.out")
check_eq "operator add prints a 32-hex secret" 32 "$(printf %s "$secret" | tr -cd 0-9a-f | wc -c)"
check_eq "only the secret's hash is stored" 0 "$(sqlite3 "$H/host.db" "SELECT count(*) FROM operators WHERE hex(secret_sha256) LIKE '%$secret%' OR secret_sha256 = '$secret'")"

cat >"$T_TMP/alert.sh" <<EOA
#!/bin/sh
json=\$(cat)
printf '%s|%s|%s|%s\n' "\$NOTEWELL_ROOM" "\$NOTEWELL_EVENT" "\$NOTEWELL_ALARM" "\$json" >>"$ALOG"
EOA
# As root serve runs as nobody, and so does the alert command it starts.
: >"$ALOG"
chmod 644 "$T_TMP/alert.sh"
[ "$(id -u)" = 0 ] && chmod 666 "$ALOG"
"$BIN/notewell" --store "$H" -v serve --listen "127.0.0.1:$PORT" --alert-cmd "sh $T_TMP/alert.sh" \
	--alert-interval 600 $(serve_as) >>"$H.serve.log" 2>&1 &
H_PID=$!
T_PIDS="$T_PIDS $H_PID"
check "notewell serve with an alert command" wait_for 10 grep -q "listening on" "$H.serve.log"

# box_conf NAME ROOM WAV: a sim box recording WAV in real time, 1 s heartbeats.
box_conf() {
	mkfifo "$T_TMP/$1.fifo"
	cat >"$T_TMP/$1.conf" <<EOC
room = $2
audio_source = file:$3
audio_pace = realtime
audio_loop = 1
silence_s = 3
clock_synced = 1
heartbeat_s = 1
sync_retry_max_s = 2
scanner_fifo = $T_TMP/$1.fifo
EOC
}
box_conf boxA "Room A" "$T_TMP/speech.wav"
box_conf boxB "Room B" "$T_TMP/silence.wav"
for x in A B; do
	eval d=\$$x
	daemon_start "$d" --config "$T_TMP/box$x.conf"
	eval P$x=\$D_PID
	# A plugged-in scanner: the FIFO held open, one badge typed (the sim
	# scanner appears with its first report), before the box is enrolled
	# so its first heartbeat already has it.
	sleep 3600 >"$T_TMP/box$x.fifo" &
	T_PIDS="$T_PIDS $!"
	"$TOP/tests/hidtype" "A10$x\n" >"$T_TMP/box$x.fifo"
	wait_for 10 sh -c "[ \$(\"$BIN/notewellctl\" --data '$d' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"scanners\"])') = 1 ]"
	code=$(enroll_code "$H" "Room $x")
	"$BIN/notewellctl" --data "$d" scan "$code" >/dev/null
	"$BIN/notewellctl" --data "$d" session start --uid "ops-$x" --title "Ops $x" >/dev/null
	"$TOP/tests/hidtype" "A20$x\n" >"$T_TMP/box$x.fifo"
done
check "both boxes enroll" wait_for 20 sh -c "[ \$(sqlite3 '$H/host.db' 'SELECT count(*) FROM devices') = 2 ]"
boxA=$(box_json "$A" 's["device_id"]')

check "Room A: recording, no alarm" wait_for 20 sh -c "[ \"\$($(command -v python3) -c 'import sys' && \"$BIN/notewell\" --store '$H' status --json | python3 -c 'import json,sys; r={x[\"room\"]: x for x in json.load(sys.stdin)[\"rooms\"]}[\"Room A\"]; print(r[\"state\"], r[\"alarms\"])')\" = \"recording []\" ]"
check "Room B: recording with the silence alarm" wait_for 20 sh -c "\"$BIN/notewell\" --store '$H' status --json | python3 -c 'import json,sys; r={x[\"room\"]: x for x in json.load(sys.stdin)[\"rooms\"]}[\"Room B\"]; sys.exit(not (r[\"state\"] == \"recording\" and \"silence\" in r[\"alarms\"]))'"
check "Room A reports its box, session, sound and the badge scanned in it" wait_for 10 sh -c "\"$BIN/notewell\" --store '$H' status --json | python3 -c 'import json,sys; r={x[\"room\"]: x for x in json.load(sys.stdin)[\"rooms\"]}[\"Room A\"]; sys.exit(not (r[\"box\"] == \"$boxA\" and r[\"session\"][\"uid\"] == \"ops-A\" and r[\"level\"][\"rms_dbfs\"] > -50 and r[\"people\"] == 1))'"
check "the silence alarm was alerted" wait_for 10 grep -q '^Room B|enter|silence|' "$ALOG"
check "alert JSON on stdin names the room and alarm" sh -c "grep '^Room B|enter|silence|' '$ALOG' | cut -d'|' -f4- | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(not (j[\"room\"] == \"Room B\" and j[\"alarm\"] == \"silence\" and j[\"event\"] == \"enter\"))'"
check "status (text) lists problems first" sh -c "nw() { \"$BIN/notewell\" --store '$H' \"\$@\"; }; nw status | sed -n 2p | grep -q '^Room B'"
check_fails "status on a pipe has no colour codes" sh -c "\"$BIN/notewell\" --store '$H' status | grep -q \"\$(printf '\\033')\""

# The status page: operators only.
U="https://127.0.0.1:$PORT/status"
check_eq "the page without credentials: 401" 401 "$(curl -sk -o "$T_TMP/p0" -w '%{http_code}' "$U")"
check_fails "... which names no room" grep -q "Room A" "$T_TMP/p0"
check_eq "wrong secret: 401" 401 "$(curl -sk -o /dev/null -w '%{http_code}' -u "ops-desk:00000000000000000000000000000000" "$U")"
check_eq "unknown operator: 401" 401 "$(curl -sk -o /dev/null -w '%{http_code}' -u "nobody:$secret" "$U")"
check_eq "operator: 200" 200 "$(curl -sk -o "$T_TMP/page.html" -w '%{http_code}' -u "ops-desk:$secret" "$U")"
check "the page has a level sparkline (inline SVG) and refreshes" sh -c "grep -q '<polyline' '$T_TMP/page.html' && grep -q 'http-equiv=\"refresh\"' '$T_TMP/page.html'"
check_fails "the page refers to nothing outside (no URL, no src/href)" grep -Eiq 'https?:|//|src=|href=|@import|url\(' "$T_TMP/page.html"

# Headless Chromium: the page as a browser sees it, with its network log.
CHROME=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROME" ]; then
	before=$(grep -c 'request GET /status' "$H.serve.log")
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --disable-default-apps \
		--user-data-dir="$T_TMP/chrome" --ignore-certificate-errors \
		--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
		--log-net-log="$T_TMP/netlog.json" --dump-dom "https://ops-desk:$secret@127.0.0.1:$PORT/status" \
		>"$T_TMP/dom.html" 2>"$T_TMP/chrome.err"
	check "chromium shows every room of the board" python3 -c "
import json, subprocess, sys
rooms = [r['room'] for r in json.loads(subprocess.check_output(['$BIN/notewell', '--store', '$H', 'status', '--json']))['rooms']]
dom = open('$T_TMP/dom.html').read()
sys.exit(not (rooms and all('>%s<' % r in dom for r in rooms) and '<polyline' in dom))"
	# Chromium itself asks Google for updates and accounts whatever the
	# flags say; --host-resolver-rules above leaves those names unresolved.
	# What must hold: every TCP connection it opened went to 127.0.0.1, and
	# the page made no request but its own. (Its UDP "connect" to a public
	# DNS address only asks the kernel for a route; no packet is sent.)
	check "chromium's network log: every connection went to 127.0.0.1" python3 -c "
import json, sys
text = open('$T_TMP/netlog.json').read()
try:
    log = json.loads(text)
except ValueError:  # cut short: close the events list
    log = json.loads(text.rstrip().rstrip(',') + ']}')
names = {v: k for k, v in log['constants']['logEventTypes'].items()}
addrs = []
for e in log.get('events', []):
    t = names.get(e.get('type'), '')
    p = e.get('params') or {}
    if t.startswith('TCP_CONNECT'):
        for k in ('address', 'remote_address'):
            if k in p: addrs.append(p[k])
        addrs += p.get('address_list', [])
print(sorted(set(addrs)))
sys.exit(not addrs or any(not a.startswith('127.0.0.1:') for a in addrs))"
	check "the server saw only /status (and the icon) from the browser" sh -c "sed -n '/request /s/.*request \([A-Z]*\) \([^ ]*\) from \(.*\)/\1 \2 \3/p' '$H.serve.log' | grep -v '^[A-Z]* /v1/' | grep -Ev '^GET /(status|favicon.ico) 127\.0\.0\.1$' | { ! grep .; }"
	check "chromium did request the page" test "$(grep -c 'request GET /status' "$H.serve.log")" -gt "$before"
else
	not_ok "chromium is not installed (board/deps.sh test)"
fi

# Preflight: Room B is silent; nothing else is wrong with either room
# (clock synced, scanners, schedule pulled).
check_fails "preflight fails while a room is silent" nw preflight
nw preflight >"$T_TMP/pre.out" 2>&1
check "preflight names Room B and the reason" grep -q '^Room B: audio: silent' "$T_TMP/pre.out"
check_fails "preflight has no complaint about Room A" grep -q '^Room A: ' "$T_TMP/pre.out"

# Stop box A: missing after 2 heartbeats, alerted once.
kill "$PA"
check "Room A goes missing" wait_for 15 sh -c "[ \"\$(\"$BIN/notewell\" --store '$H' status --json | python3 -c 'import json,sys; print({x[\"room\"]: x for x in json.load(sys.stdin)[\"rooms\"]}[\"Room A\"][\"state\"])')\" = missing ]"
check "the missing alarm was alerted" wait_for 10 grep -q '^Room A|enter|missing|' "$ALOG"
check "preflight names Room A as missing" sh -c "\"$BIN/notewell\" --store '$H' preflight | grep -q '^Room A: heard: .*missing'"

# Back again: missing is left, alerted once.
daemon_start "$A" --config "$T_TMP/boxA.conf"
"$TOP/tests/hidtype" "A10A\n" >"$T_TMP/boxA.fifo"
check "Room A records again" wait_for 20 sh -c "[ \"\$(\"$BIN/notewell\" --store '$H' status --json | python3 -c 'import json,sys; print({x[\"room\"]: x for x in json.load(sys.stdin)[\"rooms\"]}[\"Room A\"][\"state\"])')\" = recording ]"
check "leaving the missing alarm was alerted" wait_for 10 grep -q '^Room A|leave|missing|' "$ALOG"
# Let a few more heartbeats and alert rounds pass before counting.
n=$(sqlite3 "$H/host.db" "SELECT count(*) FROM box_levels WHERE device_id = '$boxA'")
check "more heartbeats arrive" wait_for 10 sh -c "[ \$(sqlite3 -cmd '.timeout 5000' '$H/host.db' \"SELECT count(*) FROM box_levels WHERE device_id = '$boxA'\") -ge $((n + 3)) ]"
check_eq "alerts: once per change, nothing else" "Room A|enter|missing
Room A|leave|missing
Room B|enter|silence" "$(cut -d'|' -f1-3 "$ALOG" | sort)"
check_eq "heartbeats never made the data sequence refuse anything" 0 "$(grep -c 'replayed request' "$H.serve.log")"
check_eq "host store integrity" ok "$(sqlite3 "$H/host.db" 'PRAGMA integrity_check')"
t_done
