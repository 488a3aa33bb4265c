#!/bin/sh
# Host pipeline: import a synthetic meeting, feed scans and a recording the
# way sync would, publish, and check every privacy rule on the output, plus
# reproducibility, signatures and tamper detection.
. "$(dirname "$0")/../lib.sh"
N=$BIN/notewell
S=$T_TMP/store
D=$T_TMP/in
OUT=$T_TMP/site
mkdir -p "$D"
nw() { "$N" --store "$S" "$@"; }

# --- a synthetic meeting: 3 rooms, 2 days, a closed session -------------
{
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n'
ev() { # uid summary room start end [extra]
	printf 'BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:%s\r\nLOCATION:%s\r\n%s\r\n%s\r\n' "$1" "$2" "$3" "$4" "$5"
	[ -n "${6:-}" ] && printf '%s\r\n' "$6"
	printf 'END:VEVENT\r\n'
}
ev ietf-130-1-tls 'tls - Transport <Layer> Security' 'Room "A"' 'DTSTART;TZID=Asia/Tokyo:20271108T093000' 'DTEND;TZID=Asia/Tokyo:20271108T113000'
ev ietf-130-2-quic 'quic - QUIC & friends' 'Room "A"' 'DTSTART:20271108T040000Z' 'DTEND:20271108T053000Z'
ev ietf-130-3-dnsop 'dnsop - DNS Operations' 'Room B' 'DTSTART:20271108T003000Z' 'DTEND:20271108T023000Z'
ev ietf-130-4-iesg 'iesg - IESG lunch' 'Room C' 'DTSTART:20271109T030000Z' 'DTEND:20271109T040000Z' 'CLASS:CONFIDENTIAL'
ev ietf-130-5-httpbis 'httpbis - HTTP' 'Room C' 'DTSTART:20271109T003000Z' 'DTEND:20271109T023000Z'
printf 'END:VCALENDAR\r\n'
} >"$D/agenda.ics"

cat >"$D/reg.csv" <<'CSV'
gender,badge_id,last_name,first_name,email,organization,country_code,registration_type,under_13,datatracker_user_id,profile_url,age_range,ethnicity
Xgenderval,BADGE-0001,<script>alert(1)</script>,Mallory,mallory@evil.example,"Evil ""Quotes"" Corp",US,onsite,no,501,https://example.org/p/mallory,Xage18to24,Xethnicval
Xgenderval,BADGE-0002,=cmd()|calc,"+Plus",plus@example.com,@SUM(A1),DE,onsite,false,502,,Xage25to34,Xethnicval
Xgenderval,BADGE-0003,Ελληνικά,Νίκος,nikos@example.gr,"Multi
Line Org",GR,remote,0,503,,Xage35to44,Xethnicval
Xgenderval,BADGE-0004,Иванова,Мария,maria@example.ru,,ru,onsite,No,,,Xage45to54,Xethnicval
Xgenderval,BADGE-0005,محمد,علي,ali@example.eg,شركة,EG,onsite,NO,505,,Xage55to64,Xethnicval
Xgenderval,BADGE-KID13,Kidname,Tiny,kidparent@example.net,School,FR,onsite,yes,,,Xunder13,Xethnicval
Xgenderval,BADGE-0007,O'Brien,Seán,sean@example.ie,-Minus Ltd,IE,onsite,0,507,,Xage25to34,Xethnicval
CSV

cat >"$D/remote.csv" <<'CSV'
join_time,email,session_uid,badge_id
2027-11-08T09:35:00+09:00,nikos@example.gr,ietf-130-1-tls,
2027-11-08T00:40:00Z,,ietf-130-3-dnsop,BADGE-0003
2027-11-08T00:41:00Z,kidparent@example.net,ietf-130-3-dnsop,
2027-11-08T00:42:00Z,stranger@example.com,ietf-130-3-dnsop,
CSV

cat >"$D/scans.txt" <<'TXT'
BADGE-0001
BADGE-0002
BADGE-0001
BADGE-0004
BADGE-0005
BADGE-KID13
BADGE-0007
BADGE-UNKNOWN
TXT
printf 'BADGE-0002 ietf-130-5-httpbis 2027-11-09T00:45:00Z\nBADGE-KID13 ietf-130-5-httpbis 2027-11-09T00:46:00Z\n' >"$D/scans2.txt"

sox -n -r 48000 -c 1 -b 16 "$D/tone.wav" synth 2 sine 440 2>/dev/null
opusenc --quiet "$D/tone.wav" "$D/tone.opus"

check "import agenda.ics" nw import agenda "$D/agenda.ics"
check "import registrations" nw import registrations "$D/reg.csv"
check "import remote" nw import remote "$D/remote.csv"
printf 'Recording & <notice> v7\n' >"$D/notice-v7.txt"
check "feed scans and recording (sim-feed)" nw sim-feed --session ietf-130-1-tls --recording "$D/tone.opus" --notice "$D/notice-v7.txt" --notice-url https://example.org/privacy "$D/scans.txt"
check "feed scans in another room" nw sim-feed "$D/scans2.txt"
check "re-import registrations (idempotent)" nw import registrations "$D/reg.csv"
check_eq "no demographic column in the store" "" \
	"$(sqlite3 "$S/host.db" "SELECT name FROM pragma_table_info('registrations') WHERE name IN ('gender','age_range','ethnicity')")"
check_eq "under-13 registrant and scans purged from the store" "0|0" \
	"$(sqlite3 "$S/host.db" "SELECT (SELECT count(*) FROM registrations WHERE badge_id='BADGE-KID13'), (SELECT count(*) FROM scans WHERE badge_id='BADGE-KID13')")"
check "store integrity" test "$(sqlite3 "$S/host.db" 'PRAGMA integrity_check')" = ok

# Bad input changes nothing.
before=$(sqlite3 "$S/host.db" 'SELECT count(*), group_concat(badge_id) FROM registrations')
printf 'badge_id,first_name,last_name,registration_type,under_13\nB1,A,B,onsite,no\nB2,C,D,onsite,maybe\n' >"$D/bad.csv"
nw import registrations "$D/bad.csv" 2>"$T_TMP/err"
check "bad registrations rejected with FILE:LINE" grep -q "bad.csv:3: under_13" "$T_TMP/err"
check_eq "bad import changed nothing" "$before" \
	"$(sqlite3 "$S/host.db" 'SELECT count(*), group_concat(badge_id) FROM registrations')"

check "unmatched lists the unknown badge" sh -c "'$N' --store '$S' unmatched | grep -q BADGE-UNKNOWN"
check "unmatched lists the unknown remote e-mail" sh -c "'$N' --store '$S' unmatched | grep -q stranger@example.com"
check_fails "the under-13 person is not even in unmatched" sh -c "'$N' --store '$S' unmatched | grep -q kidparent"
check_eq "store keeps no trace of the under-13 e-mail" 0 \
	"$(sqlite3 "$S/host.db" .dump | grep -c kidparent)"
check "publish" nw publish --out "$OUT"
check "verify passes" nw verify "$OUT"
check "minisign -V accepts the top manifest" minisign -V -q -p "$S/host.pub" -m "$OUT/manifest.txt"
check "minisign -V accepts a session manifest" minisign -V -q -p "$S/host.pub" -m "$OUT/ietf-130-1-tls/manifest.txt"
check "session manifest matches sha256sum" sh -c "cd '$OUT/ietf-130-1-tls' && sha256sum -c --quiet manifest.txt"
check "recording published" cmp "$D/tone.opus" "$OUT/ietf-130-1-tls/recording.opus"
check "closed session not published" test ! -e "$OUT/ietf-130-4-iesg"

# --- privacy: nothing private anywhere in the output ----------------------
for pat in '@example' '@evil' 'BADGE-' 'Kidname' 'Tiny' 'kidparent' 'Xgenderval' 'Xage' 'Xunder13' 'Xethnicval'; do
	if grep -rqF -- "$pat" "$OUT"; then not_ok "output free of '$pat'"; grep -rlF -- "$pat" "$OUT" | sed 's/^/# /'; else ok "output free of '$pat'"; fi
done
# Scan times and datatracker ids only inside the datatracker payloads.
if grep -rqE '"user_id"|join_time|00:4[0-9]:00Z' --exclude-dir=datatracker "$OUT"; then not_ok "public site has no scan times or datatracker ids"; else ok "public site has no scan times or datatracker ids"; fi
check "escaped <script> name on the blue sheet" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$OUT/ietf-130-1-tls/bluesheet.html"
check "quotes escaped" grep -qF 'Evil &quot;Quotes&quot; Corp' "$OUT/attendees.html"
check "non-Latin names as UTF-8" grep -qF 'Иванова' "$OUT/ietf-130-1-tls/bluesheet.html"
check "CSV formula cell neutralised" grep -qF "\"'=cmd()|calc\"" "$OUT/ietf-130-1-tls/bluesheet.csv"
check "CSV @ cell neutralised" grep -qF "\"'@SUM(A1)\"" "$OUT/ietf-130-1-tls/bluesheet.csv"
check_fails "no CSV cell starts with = + - @" grep -qE '(^|,)"[=+@-]' "$OUT/ietf-130-1-tls/bluesheet.csv"
check "remote attendee (by e-mail) on the blue sheet" grep -q 'Ελληνικά.*remote' "$OUT/ietf-130-1-tls/bluesheet.html"
check_fails "no raw <script> in HTML or Atom" grep -rqiF --include='*.html' --include='*.atom' '<script' "$OUT"
check_fails "no script, cookie or storage in the site" grep -rqiE --include='*.html' 'document\.cookie|localStorage|sessionStorage|set-cookie|onload=|javascript:' "$OUT"
check_fails "nothing loaded from another origin" grep -rqiE --include='*.html' '(src=|<link[^>]*href=)"(https?:)?//' "$OUT"
check "datatracker attendees payload" python3 -c "
import json,sys
d=json.load(open('$OUT/datatracker/ietf-130-1-tls/attendees-api.json'))
assert d['session_id'] is None
ids=sorted(a['user_id'] for a in d['attendees'])
assert ids==[501,502,503,505,507], ids
assert all(a['join_time'].endswith('Z') for a in d['attendees'])
b=json.load(open('$OUT/datatracker/ietf-130-1-tls/bluesheet-api.json'))
assert all(set(x)=={'name','affiliation'} for x in b) and len(b)==6, b
"
check "blue sheet text form" grep -qP '^Mallory <script>alert\(1\)</script>\tEvil "Quotes" Corp$' "$OUT/ietf-130-1-tls/bluesheet.txt"
check "notices page lists the notice with its hash" grep -q "$(sha256sum "$D/notice-v7.txt" | cut -c1-64)" "$OUT/notices.html"
check "notice text escaped" grep -qF 'Recording &amp; &lt;notice&gt; v7' "$OUT/notices.html"
check "session page names the notice of its recording" grep -q 'notice-v7' "$OUT/ietf-130-1-tls/bluesheet.html"
check "feed has one entry per recording" test "$(grep -c '<entry>' "$OUT/feed.atom")" -eq 1
check "small groups suppressed" grep -q 'fewer than 5' "$OUT/index.html"

# --- reproducible and atomic -------------------------------------------
cp -a "$OUT" "$T_TMP/site1"
check "publish again" nw publish --out "$OUT"
check "byte-identical trees" diff -r "$T_TMP/site1" "$OUT"
check_fails "refuses to replace a foreign directory" nw publish --out "$D"
check "foreign directory untouched" test -f "$D/reg.csv"

# --- redact ----------------------------------------------------------------
check "redact by e-mail" nw redact maria@example.ru --reason "removal request"
check "audit record" test "$(sqlite3 "$S/host.db" "SELECT count(*) FROM audit WHERE action='redact' AND detail LIKE '%removal request%'")" -eq 1
check "republish" nw publish --out "$OUT"
check_fails "redacted person gone everywhere" grep -rqF 'Иванова' "$OUT"
check "verify after republish" nw verify "$OUT"
check_fails "redact of unknown person fails" nw redact nobody@example.com --reason x

# --- tamper detection ----------------------------------------------------
minisign -G -W -p "$T_TMP/other.pub" -s "$T_TMP/other.key" >/dev/null 2>&1
check_fails "verify fails with another key" nw verify --pubkey "$T_TMP/other.pub" "$OUT"
check "verify with the key given explicitly" nw verify --pubkey "$S/host.pub" "$OUT"
cp -a "$OUT" "$T_TMP/t1"
printf 'X' | dd of="$T_TMP/t1/ietf-130-1-tls/bluesheet.csv" bs=1 seek=5 conv=notrunc 2>/dev/null
check_fails "verify fails after one byte changed" nw verify "$T_TMP/t1"
cp -a "$OUT" "$T_TMP/t2"
echo extra >"$T_TMP/t2/extra.html"
check_fails "verify fails on an added file" nw verify "$T_TMP/t2"
cp -a "$OUT" "$T_TMP/t3"
sed -i 's/proceedings/proceedingz/' "$T_TMP/t3/manifest.txt.minisig"
check_fails "verify fails on a changed trusted comment" nw verify "$T_TMP/t3"
cp -a "$OUT" "$T_TMP/t4"
rm "$T_TMP/t4/ietf-130-1-tls/recording.opus"
check_fails "verify fails on a missing file" nw verify "$T_TMP/t4"

# --- schema guard -------------------------------------------------------
cp -a "$S" "$T_TMP/newer"
sqlite3 "$T_TMP/newer/host.db" 'PRAGMA user_version = 99'
"$N" --store "$T_TMP/newer" unmatched 2>"$T_TMP/err"
check "newer schema refused clearly" grep -q 'schema version 99' "$T_TMP/err"
check_eq "not-yet commands exit 2" 2 "$("$N" enroll >/dev/null 2>&1; echo $?)"
t_done
