#!/bin/sh
# Enrollment and sync end to end over 127.0.0.1: notewell init, enroll, the
# setup code scanned into the box, session + scans + recording, sync; the
# host store matches the box byte for byte; manifests verify with the stock
# minisign; a lost acknowledgement does not duplicate anything; unsynced
# times are corrected on the host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }

PORT=$(free_port)
check "notewell init" host_init "$H" "$PORT"
check "init prints the TLS pin" grep -q '^TLS pin     sha256//' "$H.init.out"
check_eq "TLS key is private" 600 "$(stat -c %a "$H/tls/key.pem")"
pin=$(sed -n 's/^TLS pin     sha256\/\///p' "$H.init.out")
check_eq "the pin is the certificate's SPKI SHA-256" "$pin" "$(openssl x509 -in "$H/tls/cert.pem" \
	-pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
check "notewell serve" host_start "$H" "$PORT"
check_eq "an unsigned request gets 401" 401 "$(curl -sk -o /dev/null -w '%{http_code}' \
	-X POST -d '{"records":[]}' "https://127.0.0.1:$PORT/v1/records")"
check_eq "an unknown path gets 401 too" 401 "$(curl -sk -o /dev/null -w '%{http_code}' \
	"https://127.0.0.1:$PORT/etc/passwd")"

printf 'room = Plenary\nclock_synced = 0\nheartbeat_s = 3600\nsync_retry_max_s = 2\n' >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "device key is mode 0600" 600 "$(stat -c %a "$D/device.key")"
check_eq "not enrolled before the setup code" False "$(box_json "$D" 's["sync"]["enrolled"]')"

code=$(enroll_code "$H" Plenary)
check "enroll prints a setup code with the default prefix" sh -c "echo '$code' | grep -q '^NWSETUP:v1;u=https://127.0.0.1:$PORT;t=[0-9a-f]\{32\};p=$pin\$'"
check "the setup code is printable ASCII a scanner can type" sh -c "printf '%s' '$code' | LC_ALL=C grep -q '^[ -~]*\$'"
check_eq "the PNG holds the same setup code" "QR-Code:$code" "$(zbarimg -q --raw "$T_TMP/enroll.png" 2>/dev/null | sed 's/^/QR-Code:/')"
check "the setup code is scanned like a badge" ctl scan "$code"
check "the box enrolls" wait_for 10 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"enrolled\"])')\" = True ]"
box=$(box_json "$D" 's["device_id"]')
check_eq "host binds the box to its room" "$box|Plenary|" "$(hsql "SELECT id, room, revoked_at FROM devices")"
check "host holds the box's minisign key" sh -c "[ \"\$(sqlite3 '$H/host.db' 'SELECT minisign_pub FROM devices')\" = \"\$(tail -1 '$D/device.pub')\" ]"
check_eq "a setup code is never stored as a scan" 0 "$(bsql 'SELECT count(*) FROM scans')"
tok=$(echo "$code" | sed 's/.*;t=\([0-9a-f]*\);.*/\1/')
check_eq "the token is in no log and no journal" 0 "$({ cat "$D/daemon.log" "$H.serve.log"; bsql 'SELECT detail FROM events'; } | grep -c "$tok")"
check "the used setup code is not kept on the box" test ! -e "$D/sync/setup.pending"
check_eq "the host keeps only the token's hash" 0 "$(hsql 'SELECT count(*) FROM enroll_tokens WHERE token_sha256 = '"'$tok'")"

# The host is away while the session runs, so the backlog can be seen
# before a nudged round sends it.
host_stop
ctl session start --uid ietf-125-plenary --title Plenary >/dev/null
for b in A100 A101 A102 A103; do ctl scan "$b" >/dev/null; done
ctl scan 'not a badge' >/dev/null 2>&1	# an event in the session
add_recording "$D" ietf-125-plenary rec1.opus 3000000
check "box reports a backlog before sync" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; b=json.load(sys.stdin)[\"sync\"][\"backlog\"]; print(b[\"records\"] > 0 and b[\"bytes\"] == 3000000)')\" = True ]"
check "the host is back" host_start "$H" "$PORT"
ctl session stop >/dev/null  # (also wakes sync)
ctl scan B200 >/dev/null    # between sessions
check "sync empties the backlog" sync_now "$D" 20

bsql "SELECT nonce, badge FROM scans ORDER BY nonce" >"$T_TMP/box.scans"
hsql "SELECT nonce, badge_id FROM scans WHERE device_id = '$box' ORDER BY nonce" >"$T_TMP/host.scans"
check "host has every scan of the box (nonce and badge)" cmp -s "$T_TMP/box.scans" "$T_TMP/host.scans"
check_eq "host scans keep their session" "4|1" "$(hsql "SELECT count(*), count(DISTINCT session_uid) FROM scans WHERE session_uid = 'ietf-125-plenary'")"
rel=$(hsql "SELECT path FROM recordings WHERE device_id = '$box'")
check_eq "host recording is byte for byte the box's" "$(sha256sum <"$D/recordings/rec1.opus")" "$(sha256sum <"$H/$rel")"
check_eq "host recorded the hash it verified" "$(sha256sum "$D/recordings/rec1.opus" | cut -d' ' -f1)" "$(hsql 'SELECT sha256 FROM recordings')"
check_eq "every record the box marked synced carries the host's hash" 0 "$(bsql "SELECT count(*) FROM sync_state WHERE acked_sha256 IS NULL OR length(acked_sha256) != 64")"
check_eq "event records arrived" "$(bsql 'SELECT count(*) FROM events WHERE id <= (SELECT max(ref_id) FROM sync_state WHERE kind = '"'event'"')')" "$(hsql "SELECT count(*) FROM box_records WHERE kind = 'event'")"

# Manifests: the host keeps the box's signed manifest next to the recording.
M=$H/$(hsql "SELECT path FROM box_manifests WHERE session_uid = 'ietf-125-plenary'")
check "manifest is next to the recording" test -f "$(dirname "$H/$rel")/manifest.json"
check "minisign -V verifies the box's manifest on the host" minisign -V -p "$D/device.pub" -m "$M"
check "minisign -V verifies it with the key line (-P)" minisign -V -P "$(tail -1 "$D/device.pub")" -m "$D/manifests/ietf-125-plenary.json"
check "the trusted comment names box, session and time" sh -c "minisign -V -p '$D/device.pub' -m '$M' | grep -q 'Trusted comment: notewell manifest box=$box session=ietf-125-plenary signed=20'"
check_eq "manifest lists session, scans and recording" "1|4|1" "$(python3 -c "
import json; m=json.load(open('$M')); r=m['records']
print('%d|%d|%d' % (sum(x['kind']=='session' for x in r), sum(x['kind']=='scan' for x in r), len(m['files'])))")"
bsql "SELECT 'ev-' || e.id FROM events e, sessions s WHERE s.uid = 'ietf-125-plenary' AND
	e.at_boot = s.start_boot AND e.at_mono_ns BETWEEN s.start_mono_ns AND s.end_mono_ns
	ORDER BY e.id" >"$T_TMP/box.events"
python3 -c "
import json; m=json.load(open('$M'))
print('\n'.join(x['key'] for x in m['records'] if x['kind'] == 'event'))" >"$T_TMP/manifest.events"
check "the session has events (its start, a rejected scan)" test "$(wc -l <"$T_TMP/box.events")" -ge 2
check "manifest lists exactly the session's events" cmp -s "$T_TMP/box.events" "$T_TMP/manifest.events"
check "the manifest lists the notice the scans were stamped with" python3 -c "
import json,sys; m=json.load(open('$M')); sys.exit(not any(x['kind'] == 'notice' for x in m['records']))"
check_eq "every manifest record hash is the host's stored one" "" "$(python3 -c "
import json; m=json.load(open('$M'))
for x in m['records']: print(\"SELECT '%s %s' WHERE NOT EXISTS (SELECT 1 FROM box_records WHERE device_id = '$box' AND kind = '%s' AND key = '%s' AND sha256 = '%s');\" % (x['kind'], x['key'], x['kind'], x['key'], x['sha256']))" | sqlite3 "$H/host.db")"
cp "$M" "$T_TMP/flipped.json"; cp "$M.minisig" "$T_TMP/flipped.json.minisig"
python3 -c "
p='$T_TMP/flipped.json'; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=1; open(p,'wb').write(b)"
check_fails "minisign -V fails after one byte flips" minisign -V -p "$D/device.pub" -m "$T_TMP/flipped.json"

# Clocks: the box said its clock was not synced; the host corrected times.
check_eq "unsynced scan times are marked corrected" "5|5" "$(hsql "SELECT count(*), sum(time_corrected) FROM scans WHERE device_id = '$box'")"
check_eq "corrected times are close to the host's clock" 0 "$(hsql "SELECT count(*) FROM scans WHERE abs(wall_ns - box_wall_ns) > 60000000000")"
check "host kept a clock sample for the box's boot" sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT samples > 0 FROM box_clock WHERE device_id = '$box'\")\" = 1 ]"

# Rows written after a round reach the host without a kick or waiting for
# the next heartbeat (an hour here): the daemon nudges the worker.
check "sync is idle" wait_for 10 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"state\"])')\" = idle ]"
ctl scan 'not a badge!' >/dev/null 2>&1
ctl scan C900 >/dev/null
check "an event written after a round reaches the host unprompted" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM box_records WHERE kind = 'event' AND body LIKE '%scan-rejected%'\")\" -ge 1 ]"
check "so does a scan" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM scans WHERE badge_id = 'C900'\")\" = 1 ]"

# A lost acknowledgement: the box forgets what it was told and sends all
# again. The host stores nothing twice.
before=$(hsql "SELECT (SELECT count(*) FROM scans)||'|'||(SELECT count(*) FROM box_records)||'|'||(SELECT count(*) FROM recordings)||'|'||(SELECT count(*) FROM box_manifests)")
bsql "DELETE FROM sync_state"
check "everything is backlog again" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"backlog\"][\"records\"] > 5)')\" = True ]"
check "resent data is acknowledged" sync_now "$D" 20
after=$(hsql "SELECT (SELECT count(*) FROM scans)||'|'||(SELECT count(*) FROM box_records)||'|'||(SELECT count(*) FROM recordings)||'|'||(SELECT count(*) FROM box_manifests)")
# Only the box's own new events (its restart of sync) may add records.
check_eq "duplicates are stored once (scans, recordings, manifests)" "$(echo "$before" | cut -d'|' -f1,3,4)" "$(echo "$after" | cut -d'|' -f1,3,4)"
check_eq "no recording byte was uploaded twice" 3000000 "$(hsql 'SELECT received_bytes FROM box_uploads')"

# The same with a keyboard-wedge scanner: the setup code typed as HID
# reports (US layout) through the sim board's scanner FIFO.
D2=$T_TMP/box2
F=$T_TMP/scanner.fifo
mkfifo "$F"
printf 'scanner_fifo = %s\nclock_synced = 1\nheartbeat_s = 3600\n' "$F" >"$T_TMP/box2.conf"
daemon_start "$D2" --config "$T_TMP/box2.conf"
code2=$(enroll_code "$H" Room-2)
"$TOP/tests/hidtype" "$code2\n" >"$F"
check "a box enrolls from a code typed by the scanner" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM devices WHERE room = 'Room-2'\")\" = 1 ]"
check_eq "... and stores no scan for it" 0 "$(sqlite3 "$D2/journal.db" 'SELECT count(*) FROM scans')"

check "notewell devices lists the box" sh -c "\"$BIN/notewell\" --store '$H' devices | grep -q '^$box *Plenary *active'"
check "notewellctl status shows the backlog line" sh -c "\"$BIN/notewellctl\" --data '$D' status | grep -q '^backlog  0 records, 0 bytes'"
check_eq "journal integrity after sync" ok "$(bsql 'PRAGMA integrity_check')"
check_eq "host store integrity after sync" ok "$(hsql 'PRAGMA integrity_check')"
t_done
