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
check_fails "no sync alarm while in step with the host" has_alarm

host_stop
check_eq "a scan is taken while the host is down" ok "$(ctl scan A100 --json | python3 -c 'import json,sys; print("ok" if json.load(sys.stdin)["ok"] else "no")')"
ctl clock run-until 2026-07-20T08:05:00Z >/dev/null
sleep 6
check_fails "five minutes behind is not an alarm yet" has_alarm
ctl clock run-until 2026-07-20T08:12:00Z >/dev/null
check "eleven minutes behind, the screen says SYNC BACKLOG" wait_for 15 has_alarm
check "the heartbeat would say so too (backlog age over 600 s)" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"backlog\"][\"oldest_age_s\"] > 600)')\" = True ]"

check "the host comes back" host_start "$H" "$PORT"
check "everything arrives" sync_now "$D" 30
check "the alarm clears" wait_for 15 sh -c '! { "$0" --data "$1" status --json | grep -q "SYNC BACKLOG"; }' "$BIN/notewellctl" "$D"
check_eq "the scan is on the host" A100 "$(sqlite3 "$H/host.db" 'SELECT badge_id FROM scans')"
kill "$D_PID"; wait "$D_PID" 2>/dev/null
t_done
