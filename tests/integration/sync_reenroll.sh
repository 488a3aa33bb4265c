#!/bin/sh
# Moving a box to another host: enrolled with host A, it syncs; a setup
# code from host B (another port, another TLS key) moves it, and
# everything it holds arrives at B too (scans by nonce, the recording by
# hash, records, a manifest B verifies). A's confirmations stop counting:
# retention frees nothing until B has confirmed it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
A=$T_TMP/hostA
B=$T_TMP/hostB
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
asql() { sqlite3 -cmd ".timeout 5000" "$A/host.db" "$@"; }
bhsql() { sqlite3 -cmd ".timeout 5000" "$B/host.db" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }

AP=$(free_port)
BP=$(free_port)
check "host A init" host_init "$A" "$AP"
check "host B init" host_init "$B" "$BP"
check "host A serve" host_start "$A" "$AP"
A_PID=$H_PID
printf 'heartbeat_s = 3600\nsync_retry_max_s = 1\nsync_rate_kbps = 2000\n' >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$A" Room-A)" >/dev/null
check "the box enrolls with A" wait_for 10 sh -c "[ \"\$(sqlite3 '$A/host.db' 'SELECT count(*) FROM devices')\" = 1 ]"
ctl session start --uid s1 >/dev/null
for b in E100 E101 E102; do ctl scan "$b" >/dev/null; done
add_recording "$D" s1 r1.opus 500000
ctl session stop >/dev/null
check "everything reaches A" wait_for 20 sh -c "[ \"\$(sqlite3 '$A/host.db' \"SELECT count(*) FROM box_manifests WHERE session_uid = 's1'\")\" = 1 ]"
check_eq "the box's backlog is empty" 0 "$(box_json "$D" 's["sync"]["backlog"]["records"]')"

# Move to B. B goes down right after the enrollment, before the recording
# (rate-capped to 250 kB/s) can have arrived.
check "host B serve" host_start "$B" "$BP"
B_PID=$H_PID
ctl scan "$(enroll_code "$B" Room-B)" >/dev/null
check "the box enrolls with B" wait_for 10 sh -c "[ \"\$(sqlite3 '$B/host.db' 'SELECT count(*) FROM devices')\" = 1 ]"
kill -9 "$B_PID"; wait "$B_PID" 2>/dev/null
check "the box now names B" sh -c "grep -q '127.0.0.1:$BP' '$D/sync/host.json'"
check "the move is in the audit log" sh -c "[ \"\$(sqlite3 '$D/journal.db' \"SELECT count(*) FROM events WHERE kind = 'sync-host-changed'\")\" = 1 ]"
check "A's confirmations no longer count: the recording is backlog again" \
	sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"backlog\"][\"bytes\"])')\" = 500000 ]"
# Space is short now: retention may free only what the current host holds.
kill -TERM "$D_PID"; wait "$D_PID" 2>/dev/null
printf 'retention_free_mb = 16000000\n' >>"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl sync >/dev/null
sleep 1
check "retention keeps a recording only the old host confirmed" test -e "$D/recordings/r1.opus"

H_PID=$B_PID
check "host B back" host_start "$B" "$BP"
check "everything reaches B" wait_for 30 sh -c "[ \"\$(sqlite3 '$B/host.db' \"SELECT count(*) FROM box_manifests WHERE session_uid = 's1'\")\" = 1 ]"
box=$(box_json "$D" 's["device_id"]')
bsql "SELECT nonce, badge FROM scans ORDER BY nonce" >"$T_TMP/box.scans"
bhsql "SELECT nonce, badge_id FROM scans WHERE device_id = '$box' ORDER BY nonce" >"$T_TMP/b.scans"
check "B has every scan (nonce and badge)" cmp -s "$T_TMP/box.scans" "$T_TMP/b.scans"
check_eq "B has the session" 1 "$(bhsql "SELECT count(*) FROM box_records WHERE kind = 'session' AND key = 's1'")"
check "B has every event A had before the move" test "$(bhsql "SELECT count(*) FROM box_records WHERE kind = 'event'")" -ge "$(asql "SELECT count(*) FROM box_records WHERE kind = 'event'")"
rel=$(bhsql "SELECT path FROM recordings WHERE device_id = '$box'")
check_eq "B's recording has A's hash" "$(asql "SELECT sha256 FROM recordings")" "$(sha256sum "$B/$rel" | cut -d' ' -f1)"
check "minisign -V verifies B's manifest" minisign -V -p "$D/device.pub" -m "$B/$(bhsql "SELECT path FROM box_manifests")"
check "once B confirmed it, retention frees the recording" wait_for 10 test ! -e "$D/recordings/r1.opus"
check_eq "A got nothing after the move" 0 "$(asql "SELECT count(*) FROM box_records WHERE kind = 'event' AND body LIKE '%sync-host-changed%'")"
check_eq "journal integrity" ok "$(bsql 'PRAGMA integrity_check')"
t_done
