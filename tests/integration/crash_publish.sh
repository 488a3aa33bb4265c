#!/bin/sh
# kill -9 of `notewell publish` at many points while it replaces a published
# tree: the output is always exactly the old tree or exactly the new one
# (publish is reproducible, so "exactly" is byte for byte against a
# reference run), it verifies, and the next publish clears what the killed
# run left beside it.
. "$(dirname "$0")/../lib.sh"
N=$BIN/notewell
S=$T_TMP/store
OUT=$T_TMP/site
SAMPLE=$TOP/board/sim/sample
nw() { "$N" --store "$S" "$@"; }
# (backgrounded runs call "$N" directly, so $! is notewell itself)
# Every directory and every file's hash, sorted: a tree as one string.
tree() { [ -e "$1" ] || { echo absent; return; }
	(cd "$1" && { find . -type d | sort; find . ! -type d -exec sha256sum {} + | sort -k2; }) | sha256sum | cut -c1-16; }

sox -n -r 48000 -c 1 -b 16 "$T_TMP/tone.wav" synth 2 sine 440 2>/dev/null
opusenc --quiet "$T_TMP/tone.wav" "$T_TMP/tone.opus"
nw import agenda "$SAMPLE/agenda.ics" >/dev/null 2>&1
nw import registrations "$SAMPLE/registrations.csv" >/dev/null 2>&1
nw sim-feed --recording "$T_TMP/tone.opus" "$SAMPLE/scans.txt" >/dev/null 2>&1
check "publish the old tree" nw publish --out "$T_TMP/old"
OLD=$(tree "$T_TMP/old")
echo B1004 >"$T_TMP/more.txt"
check "new data: one more attendee" nw sim-feed "$T_TMP/more.txt"
check "publish the new tree (reference)" nw publish --out "$T_TMP/new"
NEW=$(tree "$T_TMP/new")
check "the two trees differ" test "$OLD" != "$NEW"
start=$(date +%s%N)
nw publish --out "$T_TMP/new2" >/dev/null 2>&1
took=$((($(date +%s%N) - start) / 1000000))
check_eq "publish is reproducible" "$NEW" "$(tree "$T_TMP/new2")"
echo "# one publish takes $took ms"

# Kill delays spread over one publish, from before it opens the store to
# after the swap.
n_old=0 n_new=0 bad=""
for pct in 0 2 5 10 15 20 30 40 50 60 70 80 85 90 95 100 110 130; do
	rm -rf "$OUT"
	cp -a "$T_TMP/old" "$OUT"
	"$N" --store "$S" publish --out "$OUT" >/dev/null 2>&1 &
	p=$!
	sleep "$(awk -v t="$took" -v p="$pct" 'BEGIN { printf "%.4f", t * p / 100000 }')"
	kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
	now=$(tree "$OUT")
	case $now in
	"$OLD") n_old=$((n_old + 1)) ;;
	"$NEW") n_new=$((n_new + 1)) ;;
	*) bad="$bad $pct%" ;;
	esac
	nw verify "$OUT" >/dev/null 2>&1 || bad="$bad $pct%:verify"
done
check_eq "after every kill the output is the old or the new tree and verifies" "" "$bad"
echo "# $n_old kills left the old tree, $n_new the new one"
check "some kills landed before the swap" test "$n_old" -gt 0

# What a killed run leaves beside the output goes with the next publish.
rm -rf "$OUT"; cp -a "$T_TMP/old" "$OUT"
mkdir -p "$OUT.tmp.999999999/x"	# no such pid: a run that died
"$N" --store "$S" publish --out "$OUT" >/dev/null 2>&1 &
p=$!; sleep "$(awk -v t="$took" 'BEGIN { printf "%.4f", t * 0.4 / 1000 }')"
kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null
check "publish after a killed run" nw publish --out "$OUT"
check_eq "the output is the new tree" "$NEW" "$(tree "$OUT")"
check_eq "no temporary tree is left beside it" "" "$(ls -d "$OUT".tmp.* 2>/dev/null)"
mkdir -p "$OUT.tmp.$$"	# our shell is alive: its tree is not touched
check "publish leaves the tree of a live pid alone" sh -c "'$N' --store '$S' publish --out '$OUT' && test -d '$OUT.tmp.$$'"
t_done
