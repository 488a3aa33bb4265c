#!/bin/sh
# Sync under failure: a large recording upload interrupted by killing the
# connection (a TCP proxy), the host, the sync worker and the daemon, each
# mid-upload; it resumes from the last byte the host confirmed and the
# final hash matches. Then the host is down for a whole session and
# everything arrives when it is back. Then retention: confirmed recordings
# are freed when space is short, unconfirmed ones never.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }

HP=$(free_port)
PP=$(free_port)
proxy_start() {
	socat TCP-LISTEN:"$PP",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$HP" 2>/dev/null &
	P_PID=$!
	T_PIDS="$T_PIDS $P_PID"
	wait_for 5 sh -c "echo | socat - TCP:127.0.0.1:$PP"
}
confirmed() { hsql "SELECT coalesce(max(confirmed), 0) FROM box_uploads" 2>/dev/null || echo 0; }
# progress_past N: the host has confirmed more than N bytes.
progress_past() { wait_for 30 sh -c "[ \"\$(sqlite3 '$H/host.db' 'SELECT coalesce(max(confirmed),0) FROM box_uploads' 2>/dev/null || echo 0)\" -gt $1 ]"; }

# The box reaches the host through the proxy, so the proxy is what the
# setup code names.
check "host init" host_init "$H" "$PP"
check "host serve" host_start "$H" "$HP"
check "proxy" proxy_start
CHUNK_KB=256
cat >"$T_TMP/box.conf" <<EOF
clock_synced = 0
heartbeat_s = 3600
sync_retry_max_s = 1
sync_chunk_kb = $CHUNK_KB
sync_rate_kbps = 2500
EOF
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Room-2)" >/dev/null
check "box enrolls through the proxy" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' 'SELECT count(*) FROM devices')\" = 1 ]"

SIZE=8000000
ctl session start --uid big-session >/dev/null
ctl scan C300 >/dev/null
add_recording "$D" big-session big.opus $SIZE
ctl session stop >/dev/null
ctl sync >/dev/null

# 1: the connection dies (proxy killed), then comes back.
check "upload under way" progress_past 500000
kill -9 "$P_PID"; wait "$P_PID" 2>/dev/null
at=$(confirmed)
check "proxy back" proxy_start
# 2: the host is killed mid-upload and restarted.
check "upload resumes after the connection dropped" progress_past "$at"
at=$(confirmed)
host_stop
check "host restarts" host_start "$H" "$HP"
ctl sync >/dev/null
# 3: the sync worker is killed; the supervisor starts another.
check "upload resumes after the host restarted" progress_past "$at"
at=$(confirmed)
W=$(sync_worker_pid "$D_PID")
check "found the sync worker" test -n "$W"
kill -9 "$W"
# 4: the whole daemon is killed (power cut) and started again.
check "upload resumes after the worker was killed" progress_past "$at"
at=$(confirmed)
kill -9 "$D_PID"; wait "$D_PID" 2>/dev/null
daemon_start "$D" --config "$T_TMP/box.conf"
ctl sync >/dev/null
check "upload resumes after the daemon was killed, and completes" wait_for 60 synced "$D"

box=$(box_json "$D" 's["device_id"]')
rel=$(hsql "SELECT path FROM recordings WHERE device_id = '$box'")
check_eq "final hash matches the box's file" "$(sha256sum <"$D/recordings/big.opus")" "$(sha256sum <"$H/$rel")"
got=$(hsql "SELECT received_bytes FROM box_uploads")
extra=$((got - SIZE))
check "no byte sent twice beyond one unconfirmed chunk per interruption (extra $extra)" \
	test "$extra" -ge 0 -a "$extra" -le $((4 * CHUNK_KB * 1024))
check_eq "no part file left behind" "" "$(ls "$H/incoming/$box" 2>/dev/null)"
check "the manifest covers the recording" sh -c "grep -q \"\$(sha256sum '$D/recordings/big.opus' | cut -d' ' -f1)\" '$H'/boxes/*/big-session/manifest.json"

# The host is down for a whole session: everything waits, then arrives.
host_stop
ctl session start --uid offline-session >/dev/null
for b in D400 D401 D402; do ctl scan "$b" >/dev/null; done
add_recording "$D" offline-session off.opus 600000
ctl session stop >/dev/null
ctl sync >/dev/null
check "with the host down the worker retries" wait_for 10 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; y=json.load(sys.stdin)[\"sync\"]; print(y[\"state\"] == \"retrying\" and y[\"last_error\"] != \"\")')\" = True ]"
check "the backlog shows records, bytes and age" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; b=json.load(sys.stdin)[\"sync\"][\"backlog\"]; print(b[\"records\"] >= 5 and b[\"bytes\"] == 600000 and b[\"oldest_age_s\"] >= 0)')\" = True ]"
check "scans are still taken while the host is down" ctl scan D403
check "host back" host_start "$H" "$HP"
check "everything arrives once the host is back" sync_now "$D" 30
check_eq "all offline scans arrived" 4 "$(hsql "SELECT count(*) FROM scans WHERE badge_id LIKE 'D40%'")"
rel=$(hsql "SELECT path FROM recordings WHERE session_uid = 'offline-session'")
check_eq "offline recording arrived intact" "$(sha256sum <"$D/recordings/off.opus")" "$(sha256sum <"$H/$rel")"

# Retention: space is "short" (the threshold is above any disk's free
# space). With the host down, a new recording must stay; the confirmed
# ones go.
host_stop
ctl session start --uid late-session >/dev/null
add_recording "$D" late-session late.opus 100000
late_sha=$(sha256sum <"$D/recordings/late.opus")
ctl session stop >/dev/null
kill -TERM "$D_PID"; wait "$D_PID" 2>/dev/null
printf 'retention_free_mb = 16000000\n' >>"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl sync >/dev/null
check "confirmed recordings are freed when space is short" wait_for 10 sh -c "[ ! -e '$D/recordings/big.opus' ] && [ ! -e '$D/recordings/off.opus' ]"
check "freeing is in the audit log" sh -c "sqlite3 '$D/journal.db' \"SELECT count(*) FROM events WHERE kind = 'recording-freed'\" | grep -qx 2"
check "an unconfirmed recording is never freed" test -e "$D/recordings/late.opus"
check "host back again" host_start "$H" "$HP"
check "the late recording syncs" sync_now "$D" 30
check_eq "and arrives intact" "$late_sha" "$(sha256sum <"$H/$(hsql "SELECT path FROM recordings WHERE session_uid = 'late-session'")")"
check "then it may be freed too" wait_for 10 test ! -e "$D/recordings/late.opus"
check_eq "journal integrity" ok "$(bsql 'PRAGMA integrity_check')"
t_done
