#!/bin/sh
# publish --datatracker posts the two API payloads to a fake datatracker on
# 127.0.0.1 that checks their shapes; a wrong API key makes publish fail.
. "$(dirname "$0")/../lib.sh"
N=$BIN/notewell
S=$T_TMP/store
D=$T_TMP/in
mkdir -p "$D"
nw() { "$N" --store "$S" "$@"; }

cat >"$D/agenda.json" <<'J'
{"sessions": [
 {"uid": "ietf-130-1-tls", "acronym": "tls", "name": "TLS", "room": "A",
  "start": "2027-11-08T09:30:00+09:00", "end": "2027-11-08T11:30:00+09:00",
  "session_id": 40001},
 {"uid": "ietf-130-2-quic", "acronym": "quic", "name": "QUIC", "room": "B",
  "start": "2027-11-08T00:30:00Z", "end": "2027-11-08T02:00:00Z"}
]}
J
cat >"$D/reg.csv" <<'C'
badge_id,first_name,last_name,organization,registration_type,under_13,datatracker_user_id,email
B1,Ann,Lee,"Org, Inc.",onsite,no,11,ann@example.com
B2,Бо,Ek,&Co,onsite,no,,bo@example.com
C
printf 'B1\nB2\n' >"$D/scans.txt"
echo "secret-key-123" >"$D/key"
echo "wrong" >"$D/badkey"

check "import agenda.json" nw import agenda "$D/agenda.json"
check "import registrations" nw import registrations "$D/reg.csv"
check "sim-feed" nw sim-feed --session ietf-130-1-tls "$D/scans.txt"

python3 "$TOP/tests/integration/fake_datatracker.py" "$T_TMP/port" "$T_TMP/log" secret-key-123 &
T_PIDS="$T_PIDS $!"
wait_for 10 test -s "$T_TMP/port"
URL=http://127.0.0.1:$(cat "$T_TMP/port")

check "publish and post" nw publish --out "$T_TMP/site" --datatracker "$URL" --apikey-file "$D/key"
check_eq "two calls for the one session with an id" 2 "$(wc -l <"$T_TMP/log")"
check "payloads as published" python3 -c "
import json
calls=[json.loads(l) for l in open('$T_TMP/log')]
a=[c['data'] for c in calls if c['path'].endswith('/attendees')][0]
b=[c['data'] for c in calls if c['path'].endswith('/bluesheet')][0]
assert a=={'session_id':40001,'attendees':[{'user_id':11,'join_time':'2027-11-08T00:31:00Z'}]}, a
assert b=={'session_id':40001,'bluesheet':[{'name':'Бо Ek','affiliation':'&Co'},{'name':'Ann Lee','affiliation':'Org, Inc.'}]}, b
"
check_fails "API key never in the published tree" grep -rq secret-key "$T_TMP/site"
check_fails "wrong API key: publish fails" nw publish --out "$T_TMP/site" --datatracker "$URL" --apikey-file "$D/badkey"
check_fails "--datatracker needs --apikey-file" nw publish --out "$T_TMP/site" --datatracker "$URL"
t_done
