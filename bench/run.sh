#!/bin/sh
# Runs the recording benchmark and rewrites the results section of
# bench/README.md. Called by `make bench` (O= selects the build dir).
#
# For each setting: CPU time (user+sys, best of $REPS runs) and peak RSS of
#   floor   bare opus_encode + libogg loop (bench/floor.c)
#   nwrec   notewelld's path: WAV source, level meter, recorder (bench/nwrec.c)
#   opusenc opus-tools at the same bitrate/complexity (always AUDIO mode)
# on a 10-minute input, and instructions (callgrind) on its first minute.
set -eu
O=${O:-build}
B=$O/bench
D=$O/bench-data
REPS=${REPS:-2}
SECS=600
mkdir -p "$D"
[ -f "$D/room$SECS.wav" ] || bench/mkinput.sh "$D/room$SECS.wav" $SECS
[ -f "$D/room60.wav" ] || sox "$D/room$SECS.wav" "$D/room60.wav" trim 0 60

# best CPU seconds and max RSS (KB) of REPS runs: "cpu rss"
measure() {
	best=""
	rss=0
	i=0
	while [ $i -lt "$REPS" ]; do
		/usr/bin/time -f "%U %S %M" -o "$D/time.out" "$@" >/dev/null 2>"$D/err.out" ||
			{ cat "$D/err.out" >&2; exit 1; }
		read -r u s m <"$D/time.out"
		c=$(echo "$u $s" | awk '{ printf "%.2f", $1 + $2 }')
		best=$(echo "$best $c" | awk '{ print (NF == 1 || $2 < $1) ? $NF : $1 }')
		[ "$m" -gt "$rss" ] && rss=$m
		i=$((i + 1))
	done
	echo "$best $rss"
}

instr() {
	valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" "$@" \
	    >/dev/null 2>"$D/cg.log" || { cat "$D/cg.log" >&2; exit 1; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$D/cg.log"
}

res=$D/results.md
{
	echo "Run: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs shared),"
	echo "libopus $(pkg-config --modversion opus), libopusenc $(pkg-config --modversion libopusenc). Input: ${SECS} s of espeak-ng speech over pink room noise, 48 kHz mono."
	echo "CPU = user+sys, best of $REPS; ms CPU per s of audio in brackets. Instructions from callgrind on the first 60 s."
	echo
	echo "| setting | program | CPU s [ms/s] | × floor | instructions (60 s) | × floor | peak RSS | file size |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$res"

for cfg in "voip 5" "audio 5" "audio 10"; do
	app=${cfg% *}
	comp=${cfg#* }
	fcpu=""
	fins=""
	for prog in floor nwrec opusenc; do
		out=$D/$prog.opus
		case $prog in
		floor) cmd="$B/floor $D/room$SECS.wav $out 32000 $comp $app"
		       icmd="$B/floor $D/room60.wav $D/i.opus 32000 $comp $app" ;;
		nwrec) cmd="$B/nwrec $D/room$SECS.wav $out 32000 $comp $app"
		       icmd="$B/nwrec $D/room60.wav $D/i.opus 32000 $comp $app" ;;
		opusenc)
		       [ "$app" = audio ] || continue
		       cmd="opusenc --quiet --bitrate 32 --vbr --comp $comp --framesize 20 $D/room$SECS.wav $out"
		       icmd="opusenc --quiet --bitrate 32 --vbr --comp $comp --framesize 20 $D/room60.wav $D/i.opus" ;;
		esac
		rm -f "$out" "$D/i.opus"
		# shellcheck disable=SC2086
		set -- $(measure $cmd)
		cpu=$1
		rss=$2
		rm -f "$D/i.opus"
		# shellcheck disable=SC2086
		ins=$(instr $icmd)
		size=$(stat -c %s "$out")
		[ -n "$fcpu" ] || { fcpu=$cpu; fins=$ins; }
		echo "$app c$comp $prog $cpu $ins $rss $size" >&2
		awk -v s="$app c$comp" -v p="$prog" -v c="$cpu" -v fc="$fcpu" -v i="$ins" \
		    -v fi="$fins" -v r="$rss" -v z="$size" -v secs=$SECS 'BEGIN {
			printf "| %s | %s | %.2f [%.1f] | %.2f | %.0fM | %.3f | %.1f MB | %.2f MB |\n",
			    s, p, c, c * 1000 / secs, c / fc, i / 1e6, i / fi, r / 1024, z / 1e6 }' >>"$res"
	done
done
# arm64 build under qemu-user: no CPUID there (see README).
ARM=${ARM:-}
if [ -n "$ARM" ] && [ -x "$ARM/bench/nwrec" ] && command -v qemu-aarch64-static >/dev/null; then
	Q="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
	{
		echo
		echo "arm64 build of the same programs under qemu-aarch64 (TCG; absolute times mean nothing, ratios do), first 60 s:"
		echo
		echo "| setting | floor CPU s | nwrec CPU s | × floor |"
		echo "|---|---|---|---|"
	} >>"$res"
	for cfg in "voip 5" "audio 5"; do
		app=${cfg% *}
		comp=${cfg#* }
		# shellcheck disable=SC2086
		set -- $(measure $Q "$ARM/bench/floor" "$D/room60.wav" "$D/a.opus" 32000 "$comp" "$app")
		f=$1
		# shellcheck disable=SC2086
		set -- $(measure $Q "$ARM/bench/nwrec" "$D/room60.wav" "$D/a.opus" 32000 "$comp" "$app")
		n=$1
		echo "arm64 $app c$comp floor $f nwrec $n" >&2
		awk -v s="$app c$comp" -v f="$f" -v n="$n" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", s, f, n, n / f }' >>"$res"
	done
	{
		echo
		echo "Probe built for arm64 (under qemu-user):"
		echo
		echo '```'
		$Q "$ARM/bench/probe"
		echo '```'
	} >>"$res"
fi

{
	echo
	echo "Probe (bench/probe.c), cost of the call libopus's multistream layer makes per stream on every encode and ctl:"
	echo
	echo '```'
	"$B/probe"
	echo '```'
} >>"$res"

# Splice into README.md between the markers.
awk -v f="$res" '
	/<!-- results -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
	/<!-- \/results -->/ { skip = 0 }
	!skip' bench/README.md >"$D/README.new"
mv "$D/README.new" bench/README.md
cat "$res"
