#!/bin/sh
# The host pushes a new consent notice to an enrolled box: `notewell notice
# add` checks it and refuses bad files without storing anything; the box
# fetches it on its next sync round, checks it, writes it beside its data
# and switches to it when it takes effect; scans before and after carry the
# old and the new version; a restart keeps it; a damaged copy on the box is
# refused at start (the box falls back to what it ships) and healed by the
# next round.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
N=$T_TMP/shipped
P=$T_TMP/push
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
daemon_stop() { kill "$D_PID"; wait "$D_PID" 2>/dev/null; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
notice_version() { ctl notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])'; }

# The box ships the current statement, in force since 2000 (the test must
# not depend on today's date).
mkdir -p "$N" "$P"
cp "$TOP"/board/notices/000_*.txt "$N/"
sed 's/^effective_from:.*/effective_from: 2000-01-01T00:00:00Z/' \
	"$TOP/board/notices/ietf-privacy-2.notice" >"$N/current.notice"

# The operator's new version: a revised statement under its own name.
{ cat "$TOP/board/notices/000_36169e302d704185.txt"; echo "Revised for the test."; } >"$P/rev3.txt"
sha=$(sha256sum "$P/rev3.txt" | cut -d' ' -f1)
sed -e 's/^version:.*/version: 2030-01-01.1/' -e 's/^statement:.*/statement: rev3.txt/' \
	-e "s/^sha256:.*/sha256: $sha/" -e 's/^effective_from:.*/effective_from: 2001-01-01T00:00:00Z/' \
	-e 's/^screen_recording:.*/screen_recording: This session is recorded (revised notice)./' \
	"$TOP/board/notices/ietf-privacy-2.notice" >"$P/rev3.notice"
# And one that takes effect far in the future.
sed -e 's/^version:.*/version: 2030-01-02.1/' -e 's/^effective_from:.*/effective_from: 2100-01-01T00:00:00Z/' \
	"$P/rev3.notice" >"$P/future.notice"

PORT=$(free_port)
check "notewell init" host_init "$H" "$PORT"

# Bad files: refused with the reason, nothing stored.
sed "s/^sha256:.*/sha256: $(printf '%064d' 0)/" "$P/rev3.notice" >"$P/badhash.notice"
grep -v '^url:' "$P/rev3.notice" >"$P/nourl.notice"
check_fails "a notice whose statement does not match its hash is refused" \
	"$BIN/notewell" --store "$H" notice add "$P/badhash.notice"
check "the refusal names the problem" sh -c "'$BIN/notewell' --store '$H' notice add '$P/badhash.notice' 2>&1 | grep -q 'badhash.notice:.*sha256'"
check_fails "a notice without its url is refused" "$BIN/notewell" --store "$H" notice add "$P/nourl.notice"
check "the refusal names the missing field" sh -c "'$BIN/notewell' --store '$H' notice add '$P/nourl.notice' 2>&1 | grep -q 'url'"
check_eq "nothing is stored after refusals" 0 "$(hsql 'SELECT count(*) FROM pushed_notices')"

check_eq "a good notice is added" "$P/rev3.notice: added" "$("$BIN/notewell" --store "$H" notice add "$P/rev3.notice")"
check_eq "adding it again changes nothing" "$P/rev3.notice: already there" "$("$BIN/notewell" --store "$H" notice add "$P/rev3.notice")"
sed 's/(revised notice)/(changed)/' "$P/rev3.notice" >"$P/changed.notice"
check_fails "another text under a stored version is refused" "$BIN/notewell" --store "$H" notice add "$P/changed.notice"
{ echo "another statement"; } >"$P/other.txt"
osha=$(sha256sum "$P/other.txt" | cut -d' ' -f1)
cp "$P/other.txt" "$T_TMP/rev3.txt"
sed -e 's/^version:.*/version: 2030-01-03.1/' -e "s/^sha256:.*/sha256: $osha/" "$P/rev3.notice" >"$T_TMP/clash.notice"
check_fails "a statement name already used for another text is refused" "$BIN/notewell" --store "$H" notice add "$T_TMP/clash.notice"
check "the future notice is added" "$BIN/notewell" --store "$H" notice add "$P/future.notice"
check_eq "notice list shows both versions" "2030-01-01.1 2030-01-02.1" "$("$BIN/notewell" --store "$H" notice list | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//')"
check "notewell serve" host_start "$H" "$PORT"
check_eq "the notice index needs a box's signature" 401 "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/v1/notices")"

printf 'room = Plenary\nclock_synced = 1\nnotice_dir = %s\nsync_retry_max_s = 2\n' "$N" >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "the box starts with its shipped notice" 2026-01-01 "$(notice_version)"
ctl session start --uid s1 --title S1 >/dev/null
ctl scan A100 >/dev/null
code=$(enroll_code "$H" Plenary)
ctl scan "$code" >/dev/null
check "the box enrolls and fetches the new notice" wait_for 20 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])')\" = 2030-01-01.1 ]"
check "the pushed notice is on the box beside its statement" test -f "$D/notices/ietf-privacy@2030-01-01.1.notice"
check_eq "the statement on the box is the operator's, byte for byte" "$sha" "$(sha256sum "$D/notices/rev3.txt" | cut -d' ' -f1)"
check_eq "notewellctl notice shows its hash" "$sha" "$(ctl notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"])')"
check "the future notice is held, not in force" test -f "$D/notices/ietf-privacy@2030-01-02.1.notice"
ctl scan A101 >/dev/null
check_eq "scans before and after the push carry the old and new versions" \
	"A100|ietf-privacy@2026-01-01 A101|ietf-privacy@2030-01-01.1" \
	"$(bsql "SELECT badge || '|' || notice_id FROM scans ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
check_eq "the switch is journalled" 1 "$(bsql "SELECT count(*) FROM notice_switches WHERE notice_id = 'ietf-privacy@2030-01-01.1'")"
check_eq "the journal knows every version" 3 "$(bsql "SELECT count(*) FROM notices")"

# A restart keeps the pushed notice.
ctl session stop >/dev/null
daemon_stop
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "after a restart the pushed notice is still in force" 2030-01-01.1 "$(notice_version)"

# A damaged copy: the box refuses it at start, shows what it ships, and
# the next round fetches it again.
# (The host is away meanwhile, or the box would heal it before we look.)
daemon_stop
host_stop
echo tampered >>"$D/notices/rev3.txt"
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "a damaged pushed statement is not shown" 2026-01-01 "$(notice_version)"
check "the refusal is in the journal" sh -c "[ \"\$(sqlite3 '$D/journal.db' \"SELECT count(*) FROM events WHERE kind = 'notices-refused'\")\" -ge 1 ]"
check "the host is back" host_start "$H" "$PORT"
ctl sync >/dev/null
check "the next round heals it" wait_for 20 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' notice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])')\" = 2030-01-01.1 ]"
check_eq "the healed statement matches" "$sha" "$(sha256sum "$D/notices/rev3.txt" | cut -d' ' -f1)"

# A reload that would break the set is refused and changes nothing.
sed 's/^screen_recording:.*/screen_recording: forged/' "$N/current.notice" >"$D/notices/forged.notice"
check_fails "a pushed file clashing with a shipped version is refused on reload" ctl notice reload
check_eq "the notice in force is unchanged" 2030-01-01.1 "$(notice_version)"
rm -f "$D/notices/forged.notice"
daemon_stop
t_done
