#!/bin/sh
# What the host and the box must refuse: tampered bundles, replays, a
# request signed by the wrong key, forged or tampered manifests, a
# recording whose bytes do not match its hash, a revoked box, expired and
# reused tokens, a wrong TLS pin (at enrollment and after), malformed setup
# codes, oversized bodies. Each is refused and stores nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
D2=$T_TMP/box2
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
ctl2() { "$BIN/notewellctl" --data "$D2" "$@"; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
counts() { hsql "SELECT (SELECT count(*) FROM scans)||'|'||(SELECT count(*) FROM box_records)||'|'||(SELECT count(*) FROM recordings)||'|'||(SELECT count(*) FROM box_manifests)||'|'||(SELECT count(*) FROM devices)"; }
# enroll_err DIR TEXT: the box's enrollment error mentions TEXT.
enroll_err() { box_json "$1" 's["sync"]["enroll_error"]' | grep -q "$2"; }
sync_state() { [ "$(box_json "$1" 's["sync"]["state"]')" = "$2" ]; }
last_err() { box_json "$1" 's["sync"]["last_error"]' | grep -q "$2"; }

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
host_init "$H" "$PORT"
check "host serve" host_start "$H" "$PORT"
printf 'clock_synced = 1\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Room-A)" >/dev/null
ctl session start --uid s1 >/dev/null
ctl scan E500 >/dev/null
add_recording "$D" s1 r.opus 50000
ctl session stop >/dev/null
check "a real box enrolls and syncs" sync_now "$D" 20
box=$(box_json "$D" 's["device_id"]')

# A second, hand-driven "box" to attack the host with its own valid key.
minisign -G -W -p "$T_TMP/evil.pub" -s "$T_TMP/evil.key" >/dev/null 2>&1
minisign -G -W -p "$T_TMP/other.pub" -s "$T_TMP/other.key" >/dev/null 2>&1
EVIL=e0e0e0e0e0e0e0e0
tok=$(enroll_code "$H" Room-E | sed 's/.*;t=\([0-9a-f]*\);.*/\1/')
printf '{"token":"%s","box":"%s","pubkey":"%s","name":"evil"}' "$tok" "$EVIL" \
	"$($CLIENT --pubkey-line "$T_TMP/evil.key")" >"$T_TMP/enroll.json"
r=$($CLIENT "$URL" "$T_TMP/other.key" $EVIL 1 POST /v1/enroll "$T_TMP/enroll.json")
check_eq "enrollment signed by another key than the one registered is refused" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 1 POST /v1/enroll "$T_TMP/enroll.json")
check_eq "a hand-driven box enrolls with its own key" 200 "$(status_of "$r")"

base=$(counts)
now=$(date +%s%N)
cat >"$T_TMP/rec.json" <<EOF
{"records":[{"kind":"scan","key":"f00dfeedf00dfeedf00dfeedf00dfeed","badge":"EVIL1","source":"manual","session":null,"notice_id":null,"notice_sha256":null,"at":{"boot":"00000000-0000-0000-0000-000000001234","mono_ns":5,"wall_ns":$now,"synced":true}}]}
EOF
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 2 POST /v1/records "$T_TMP/rec.json" --tamper)
check_eq "a bundle changed after signing is refused with 401" 401 "$(status_of "$r")"
check_eq "... and the 401 says nothing more" '401 {"error":"unauthorized"}' "$r"
check_eq "... and stores nothing" "$base" "$(counts)"
r=$($CLIENT "$URL" "$T_TMP/other.key" $box 3 POST /v1/records "$T_TMP/rec.json")
check_eq "records signed with the wrong key for a box are refused" 401 "$(status_of "$r")"
check_eq "... and store nothing" "$base" "$(counts)"
r=$($CLIENT "$URL" "$T_TMP/evil.key" 0123456789abcdef 4 POST /v1/records "$T_TMP/rec.json")
check_eq "an unknown box is refused" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 5 POST /v1/records "$T_TMP/rec.json")
check_eq "a correctly signed bundle is accepted" 200 "$(status_of "$r")"
check "... and answered with the stored hash" sh -c "echo '$r' | grep -q '\"sha256\":\"[0-9a-f]\{64\}\",\"status\":\"stored\"'"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 5 POST /v1/records "$T_TMP/rec.json")
check_eq "the same request replayed (same sequence number) is refused" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 4 POST /v1/records "$T_TMP/rec.json")
check_eq "an older sequence number is refused" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 6 POST /v1/records "$T_TMP/rec.json")
check "a record sent twice is answered as a duplicate" sh -c "echo '$r' | grep -q '\"status\":\"duplicate\"'"
check_eq "... and stored once" 1 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'EVIL1'")"
sed 's/EVIL1/EVIL2/' "$T_TMP/rec.json" >"$T_TMP/rec2.json"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 7 POST /v1/records "$T_TMP/rec2.json")
check "a different scan under a used nonce is refused" sh -c "echo '$r' | grep -q '\"status\":\"refused\"'"
check_eq "... and not stored" 0 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'EVIL2'")"
printf '{"records":[{"kind":"nonsense","key":"k"}]}' >"$T_TMP/bad.json"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 8 POST /v1/records "$T_TMP/bad.json")
check_eq "a malformed bundle is refused with a reason" 400 "$(status_of "$r")"
# One invalid record among good ones is refused by name; the others are
# stored, so a box is never stuck resending a batch the host cannot take.
python3 - "$T_TMP/rec.json" "$T_TMP/mixed.json" <<'EOP'
import json, sys
good = json.load(open(sys.argv[1]))["records"][0]
good3 = dict(good, badge="EVIL3", key=good["key"][:-1] + ("0" if good["key"][-1] != "0" else "1"))
bad = {"kind": "scan", "key": "bad-1", "badge": "X", "extra": 1}
json.dump({"records": [bad, good3]}, open(sys.argv[2], "w"))
EOP
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 9 POST /v1/records "$T_TMP/mixed.json")
check_eq "a batch with one invalid record is answered" 200 "$(status_of "$r")"
printf '%s\n' "$r" | cut -d' ' -f2- >"$T_TMP/mixed.out"
check_eq "... the invalid record refused by name, with a reason" "refused stored" "$(python3 -c "
import json, sys; res = json.load(open('$T_TMP/mixed.out'))['results']
print(' '.join(x['status'] for x in res) if res[0]['key'] == 'bad-1' and res[0].get('reason') else 'no reason')")"
check_eq "... the good one stored" 1 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'EVIL3'")"
check_eq "... the bad one not" 0 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'X'")"

# Recordings: bytes that do not hash to the name they were sent under.
head -c 30000 /dev/urandom >"$T_TMP/chunk"
fake=$(printf 'not these bytes' | sha256sum | cut -d' ' -f1)
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 10 PUT "/v1/recordings/$fake/data/0" "$T_TMP/chunk")
check_eq "a chunk is accepted at the confirmed offset" 200 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 11 PUT "/v1/recordings/$fake/data/100" "$T_TMP/chunk")
check "a chunk at the wrong offset is answered with the confirmed one" sh -c "echo '$r' | grep -q '^409 .*\"offset\":30000'"
printf '{"key":"rec-1","session":"s-evil","name":"x.opus","bytes":30000,"duration_ns":1,"notice_id":null,"notice_sha256":null,"start":{"boot":"b","mono_ns":1,"wall_ns":1,"synced":true}}' >"$T_TMP/fin.json"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 12 POST "/v1/recordings/$fake/finish" "$T_TMP/fin.json")
check_eq "a recording whose bytes do not match its hash is refused" 422 "$(status_of "$r")"
check_eq "... nothing stored, part file dropped" "0|" "$(hsql "SELECT count(*) FROM recordings WHERE device_id = '$EVIL'")|$(ls "$H/incoming/$EVIL" 2>/dev/null)"

# Manifests: forged (another key), tampered, or listing what the host lacks.
python3 - "$T_TMP" "$EVIL" <<'EOF'
import json, sys, hashlib
d, box = sys.argv[1], sys.argv[2]
rec = json.load(open(d + "/rec.json"))["records"][0]
canon = json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
m = {"format": "notewell-manifest-1", "box": box, "session": "s-evil", "title": "t",
     "signed": "2026-01-01T00:00:00.000Z",
     "records": [{"kind": "scan", "key": rec["key"], "sha256": hashlib.sha256(canon.encode()).hexdigest()}],
     "files": []}
open(d + "/m.json", "w").write(json.dumps(m, indent=2))
m["records"].append({"kind": "scan", "key": "missing", "sha256": "0" * 64})
open(d + "/m-missing.json", "w").write(json.dumps(m, indent=2))
m["records"] = [{"kind": "scan", "key": rec["key"], "sha256": "1" * 64}]
open(d + "/m-wrong.json", "w").write(json.dumps(m, indent=2))
EOF
post_manifest() { # KEY MANIFEST SEQ [tamper]
	minisign -S -W -s "$1" -m "$2" -t "notewell manifest box=$EVIL session=s-evil" -x "$2.sig" >/dev/null 2>&1
	[ -n "${4:-}" ] && python3 -c "
p='$2'; b=bytearray(open(p,'rb').read()); b[10]^=1; open(p,'wb').write(b)"
	python3 -c "
import json; print(json.dumps({'session':'s-evil','manifest':open('$2').read(),'minisig':open('$2.sig').read()}))" >"$T_TMP/mpost.json"
	$CLIENT "$URL" "$T_TMP/evil.key" $EVIL "$3" POST /v1/manifests "$T_TMP/mpost.json"
}
cp "$T_TMP/m.json" "$T_TMP/m-forged.json"
r=$(post_manifest "$T_TMP/other.key" "$T_TMP/m-forged.json" 13)
check "a manifest signed by another key is refused" sh -c "echo '$r' | grep -q '^422 .*signature'"
cp "$T_TMP/m.json" "$T_TMP/m-tampered.json"
r=$(post_manifest "$T_TMP/evil.key" "$T_TMP/m-tampered.json" 14 tamper)
check "a manifest changed after signing is refused" sh -c "echo '$r' | grep -q '^422 .*signature'"
r=$(post_manifest "$T_TMP/evil.key" "$T_TMP/m-missing.json" 15)
check "a manifest listing records the host lacks is refused" sh -c "echo '$r' | grep -q '^409 .*missing'"
r=$(post_manifest "$T_TMP/evil.key" "$T_TMP/m-wrong.json" 16)
check "a manifest with a hash other than the stored one is refused" sh -c "echo '$r' | grep -q '^422 .*differs'"
check_eq "no refused manifest was stored" 0 "$(hsql "SELECT count(*) FROM box_manifests WHERE device_id = '$EVIL'")"
r=$(post_manifest "$T_TMP/evil.key" "$T_TMP/m.json" 17)
check_eq "the genuine manifest is accepted" 200 "$(status_of "$r")"
check "the refusals are in the host log" grep -q "manifest for s-evil refused: bad signature" "$H.serve.log"

# Bounded bodies.
python3 -c "print('{\"records\":[' + ','.join(['\"' + 'x'*1000 + '\"']*1200) + ']}')" >"$T_TMP/huge.json"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 18 POST /v1/records "$T_TMP/huge.json")
check "an oversized body is refused" sh -c "echo '$r' | grep -Eq '^(413|000) '"

# Revocation: the host refuses the box from then on.
check "notewell revoke" "$BIN/notewell" --store "$H" revoke "$box"
base=$(counts)
ctl scan E501 >/dev/null
ctl sync >/dev/null
check "a revoked box is told it is refused" wait_for 10 sync_state "$D" refused
check_eq "... and nothing it sends is stored" "$base" "$(counts)"
check_eq "... its scan stays in its backlog" 0 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'E501'")"
check "devices shows it revoked" sh -c "\"$BIN/notewell\" --store '$H' devices | grep -q '^$box .*revoked'"

# Tokens: reused, expired; wrong pin; malformed codes.
printf 'clock_synced = 1\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box2.conf"
daemon_start "$D2" --config "$T_TMP/box2.conf"
D_PID2=$D_PID
enrolled2() { box_json "$D2" 's["sync"]["enroll_error"]'; }
code=$(enroll_code "$H" Room-B)
used=$(hsql "SELECT count(*) FROM enroll_tokens WHERE used_at IS NOT NULL")
hsql "UPDATE enroll_tokens SET expires_at = 1 WHERE used_at IS NULL"
ctl2 scan "$code" >/dev/null
check "an expired token is refused" wait_for 10 enroll_err "$D2" refused
check_eq "... the box is not enrolled" False "$(box_json "$D2" 's["sync"]["enrolled"]')"
first=$(enroll_code "$H" Room-C)
ctl scan "$first" >/dev/null
check "a revoked box cannot come back with a fresh token" wait_for 10 enroll_err "$D" refused
check_eq "... and the token stays unspent" "" "$(hsql "SELECT used_at FROM enroll_tokens WHERE room = 'Room-C'")"
second=$(enroll_code "$H" Room-D)
ctl2 scan "$second" >/dev/null
check "box 2 enrolls with a fresh token" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM devices WHERE room = 'Room-D'\")\" = 1 ]"
box2=$(box_json "$D2" 's["device_id"]')
check "the token is spent" sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT used_by FROM enroll_tokens WHERE room = 'Room-D'\")\" = '$box2' ]"
# A third box tries the spent token.
D3=$T_TMP/box3
daemon_start "$D3" --config "$T_TMP/box2.conf"
"$BIN/notewellctl" --data "$D3" scan "$second" >/dev/null
check "a reused token is refused" wait_for 10 enroll_err "$D3" "the host refused"
box3=$(box_json "$D3" 's["device_id"]')
check_eq "... the third box is not enrolled" 0 "$(hsql "SELECT count(*) FROM devices WHERE id = '$box3'")"
# A setup code with another host's pin: the box never talks to this host.
wrongpin=$(enroll_code "$H" Room-F | sed 's/;p=.*/;p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=/')
"$BIN/notewellctl" --data "$D3" scan "$wrongpin" >/dev/null
check "a wrong TLS pin is refused by the box" wait_for 10 enroll_err "$D3" "does not match the pin"
check_eq "... and the host never saw the token" "" "$(hsql "SELECT used_at FROM enroll_tokens WHERE room = 'Room-F'")"
check_fails "a malformed setup code is refused at the scanner" "$BIN/notewellctl" --data "$D3" scan 'NWSETUP:v1;u=http://x;t=1;p=2'
check_fails "a setup code from a newer notewell is refused" "$BIN/notewellctl" --data "$D3" scan 'NWSETUP:v9;u=https://x;t=1;p=2'
check_eq "... neither is stored as a scan" 0 "$(sqlite3 "$D3/journal.db" 'SELECT count(*) FROM scans')"
check "... both are in the audit log" sh -c "[ \"\$(sqlite3 '$D3/journal.db' \"SELECT count(*) FROM events WHERE kind = 'setup-rejected'\")\" = 2 ]"

# A recording changed on disk after the recorder sealed it with its hash:
# the host refuses the bytes, the box finds out and stops sending it.
# The file is changed before the session stops: stopping kicks the sync
# worker, which could otherwise send the original first.
ctl2 session start --uid s2 >/dev/null
add_recording "$D2" s2 sealed.opus 40000
head -c 40000 /dev/urandom >"$D2/recordings/sealed.opus"
ctl2 session stop >/dev/null
ctl2 sync >/dev/null
check "a recording that no longer matches its sealed hash is not accepted" wait_for 15 last_err "$D2" "no longer matches"
check_eq "... and the host stored none of it" 0 "$(hsql "SELECT count(*) FROM recordings WHERE device_id = '$box2'")"

# After enrollment, the host's TLS key changes (or an impostor answers):
# box 2 refuses to send anything.
base=$(counts)
host_stop
rm -rf "$H/tls"
"$BIN/notewell" --store "$H" init >/dev/null 2>&1
check "host restarts with a new TLS key" host_start "$H" "$PORT"
ctl2 scan F600 >/dev/null
ctl2 sync >/dev/null
check "the box refuses a host whose key does not match its pin" wait_for 10 last_err "$D2" "does not match the pin"
check_eq "... and sends it nothing" "$base" "$(counts)"

# Rates: an address that keeps failing authentication is turned away at
# accept time for a while (last, as it locks out 127.0.0.1).
args=""; for i in $(seq 120); do args="$args -o /dev/null $URL/v1/records"; done
# shellcheck disable=SC2086
curl -sk -w '%{http_code}\n' $args >"$T_TMP/codes" 2>/dev/null
check "a flood of unauthenticated requests is cut off" grep -q '^000$' "$T_TMP/codes"
check_eq "... after being answered 401 until then" 0 "$(grep -v '^000$' "$T_TMP/codes" | grep -vc '^401$')"
t_done
