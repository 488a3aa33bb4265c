#!/bin/sh
# A box that cannot reach its host keeps working and says so on its own
# screen: scans are taken while the host is down; once unsynced data is
# older than 10 minutes the screen shows SYNC BACKLOG (the heartbeat's
# sync_backlog alarm), and it clears when the host is back and has it all.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
alarms() { box_json "$D" '" ".join(s["screen_alarms"])'; }
has_alarm() { alarms | grep -q "SYNC BACKLOG"; }

PORT=$(free_port)
check "notewell init" host_init "$H" "$PORT"
check "notewell serve" host_start "$H" "$PORT"
cat >"$T_TMP/box.conf" <<EOC
room = Plenary
sim_clock_start = 2026-07-20T08:00:00Z
clock_synced = 1
sync_retry_max_s = 1
display_size = 480x320
EOC
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Plenary)" >/dev/null
check "the box enrolls" wait_for 20 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"enrolled\"])')\" = True ]"
check "and syncs" sync_now "$D" 20
box_id=$(box_json "$D" 's["device_id"]')
check_fails "no sync alarm while in step with the host" has_alarm

host_stop
check_eq "a scan is taken while the host is down" ok "$(ctl scan A100 --json | python3 -c 'import json,sys; print("ok" if json.load(sys.stdin)["ok"] else "no")')"
ctl clock run-until 2026-07-20T08:05:00Z >/dev/null
sleep 6
check_fails "five minutes behind is not an alarm yet" has_alarm
ctl clock run-until 2026-07-20T08:12:00Z >/dev/null
check "eleven minutes behind, the screen says SYNC BACKLOG" wait_for 15 has_alarm
check "the heartbeat would say so too (backlog age over 600 s)" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"backlog\"][\"oldest_age_s\"] > 600)')\" = True ]"

# A recording made while the host was away; the host comes back on a
# terminal (script(1) gives serve a pty), where it draws the upload's progress.
ctl session start --uid offline-1 --title Offline >/dev/null
add_recording "$D" offline-1 big.opus 6000000
ctl session stop >/dev/null
script -qfec "'$BIN/notewell' --store '$H' serve --listen 127.0.0.1:$PORT $(serve_as)" /dev/null \
	>"$T_TMP/serve.tty" 2>&1 &
T_PIDS="$T_PIDS $!"
check "the host comes back (on a terminal)" wait_for 10 grep -q "listening on" "$T_TMP/serve.tty"
check "everything arrives" sync_now "$D" 30
check "serve's terminal showed the upload's progress bar" grep -q "box ${box_id%????????}.*\[#*\.*\]" "$T_TMP/serve.tty"
check_eq "the recording is on the host, whole" "$(sha256sum <"$D/recordings/big.opus")" \
	"$(sha256sum <"$H/$(sqlite3 "$H/host.db" "SELECT path FROM recordings WHERE session_uid = 'offline-1'")")"
check "the alarm clears" wait_for 15 sh -c '! { "$0" --data "$1" status --json | grep -q "SYNC BACKLOG"; }' "$BIN/notewellctl" "$D"
check_eq "the scan is on the host" A100 "$(sqlite3 "$H/host.db" 'SELECT badge_id FROM scans')"
kill "$D_PID"; wait "$D_PID" 2>/dev/null
t_done
