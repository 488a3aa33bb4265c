#!/bin/sh
# make demo, end to end, checked: the published site holds what the
# privacy statement allows and nothing else, and verifies.
. "$(dirname "$0")/../lib.sh"
OUT=$T_TMP/demo
# As root the demo's notewell serve becomes nobody, who must reach the store.
chmod 755 "$T_TMP"
DEMO_OUT=$OUT O=$O sh "$TOP/board/sim/demo.sh" >"$T_TMP/demo.log" 2>&1; rc=$?
check_eq "make demo runs to the end" 0 "$rc"
[ "$rc" -eq 0 ] || tail -30 "$T_TMP/demo.log" | sed 's/^/# /'
check "the published site verifies" "$BIN/notewell" --store "$OUT/host" verify "$OUT/site"
check "minisign -V verifies a session manifest with the host key" sh -c \
	"cd '$OUT/site' && m=\$(ls */manifest.txt | head -1) && minisign -V -p '$OUT/host.pub' -m \"\$m\""
check "both sessions' recordings are published" sh -c \
	"opusinfo '$OUT/site/ietf-125-30001-tls/recording.opus' && opusinfo '$OUT/site/ietf-125-30002-quic/recording.opus'"
check "a scanned attendee is on the blue sheet" grep -q 'Anderson' "$OUT/site/ietf-125-30001-tls/bluesheet.html"
check_fails "no e-mail address anywhere on the site" grep -rqiE '[a-z0-9._-]+@[a-z0-9-]+\.[a-z]' "$OUT/site" --include='*.html' --include='*.csv' --include='*.json' --include='*.txt' --include='*.atom'
check_fails "no badge id anywhere on the site" grep -rqE 'B1[0-9]{3}|B9999' "$OUT/site"
check "the box's and host's public keys are in the output" test -s "$OUT/box.pub" -a -s "$OUT/host.pub"
check_eq "host scans match the box's, nonce for nonce" \
	"$(sqlite3 -cmd '.timeout 5000' "$OUT/box/journal.db" 'SELECT nonce FROM scans ORDER BY nonce' | md5sum)" \
	"$(sqlite3 "$OUT/host/host.db" 'SELECT nonce FROM scans ORDER BY nonce' | md5sum)"
check "the room screen was drawn" test -s "$OUT/box/screen.png"
cur=$(sed -n 's/^version: //p' "$TOP/board/notices/ietf-privacy-2.notice")
check_eq "every scan and recording names the notice in force at the meeting" \
	"ietf-privacy@$cur" \
	"$(sqlite3 "$OUT/box/journal.db" "SELECT DISTINCT coalesce(notice_id, 'none') FROM scans UNION SELECT DISTINCT coalesce(notice_id, 'none') FROM recordings")"
check_eq "and so do the host's scans" "ietf-privacy@$cur" \
	"$(sqlite3 "$OUT/host/host.db" "SELECT DISTINCT coalesce(notice_id, 'none') FROM scans")"
t_done
