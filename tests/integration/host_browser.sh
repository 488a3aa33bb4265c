#!/bin/sh
# The published site in a real headless browser (Debian's chromium driven by
# playwright-core from npm, installed into tests/browser on first run).
. "$(dirname "$0")/../lib.sh"
N=$BIN/notewell
S=$T_TMP/store
OUT=$T_TMP/site
nw() { "$N" --store "$S" "$@"; }
SAMPLE=$TOP/board/sim/sample

if [ ! -d "$TOP/tests/browser/node_modules/playwright-core" ]; then
	check "npm install playwright-core" npm install --prefix "$TOP/tests/browser" --no-audit --no-fund --silent
fi
check "chromium is installed" test -x "${CHROMIUM:-/usr/bin/chromium}"

sox -n -r 48000 -c 1 -b 16 "$T_TMP/tone.wav" synth 3 sine 440 vol 0.5 2>/dev/null
opusenc --quiet "$T_TMP/tone.wav" "$T_TMP/tone.opus"
check "import sample agenda" nw import agenda "$SAMPLE/agenda.ics"
check "import sample registrations" nw import registrations "$SAMPLE/registrations.csv"
check "feed sample scans with a 3 s recording" nw sim-feed --recording "$T_TMP/tone.opus" "$SAMPLE/scans.txt"
check "publish" nw publish --out "$OUT"

# Serve the folder on 127.0.0.1 under a sub-path, so "leaves the folder"
# is checked against a real origin and path.
mkdir -p "$T_TMP/www"
ln -s "$OUT" "$T_TMP/www/site"
python3 "$TOP/tests/browser/serve.py" "$T_TMP/www" "$T_TMP/port" >"$T_TMP/http.log" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for 10 test -s "$T_TMP/port"
PORT=$(cat "$T_TMP/port")

node "$TOP/tests/browser/site_check.js" "http://127.0.0.1:$PORT/site" ietf-125-30001-tls 3 >"$T_TMP/browser.tap" 2>&1
rc=$?
# Re-number the browser's TAP lines into this suite.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "browser: ${line#* - }" ;;
	"not ok "*) not_ok "browser: ${line#* - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T_TMP/browser.tap"
check_eq "browser run exit status" 0 "$rc"
t_done
