#!/bin/sh
# Recording benchmark, called by bench/table.sh (`make bench`); O= selects
# the build dir. Writes $O/bench-data/results.md (the detail tables for
# bench/README.md) and key=value lines to $O/bench-data/rec.kv.
#
# For each setting: CPU time (user+sys, median of $REPS runs) and peak RSS of
#   floor         bare opus_encode + libogg loop (bench/floor.c)
#   nwrec         notewelld's path: WAV source, level meter, recorder
#   nwrec nomemo  the same with the opus_encoder_get_size memo off (before)
#   opusenc       opus-tools with the same settings (its packets decode to
#                 the same samples as nwrec's: checked below)
# on a 10-minute input, and instructions (callgrind) on its first $ISECS s.
set -eu
O=${O:-build}
B=$O/bench
D=$O/bench-data
REPS=${REPS:-3}
SECS=${SECS:-600}
ISECS=${ISECS:-20}
mkdir -p "$D"
[ -f "$D/room$SECS.wav" ] || bench/mkinput.sh "$D/room$SECS.wav" $SECS
[ -f "$D/room$ISECS.wav" ] || sox "$D/room$SECS.wav" "$D/room$ISECS.wav" trim 0 "$ISECS"

# median CPU seconds and max RSS (KB) of REPS runs: "cpu rss"
measure() {
	: >"$D/cpu.list"
	rss=0
	i=0
	while [ $i -lt "$REPS" ]; do
		/usr/bin/time -f "%U %S %M" -o "$D/time.out" "$@" >/dev/null 2>"$D/err.out" ||
			{ cat "$D/err.out" >&2; exit 1; }
		read -r u s m <"$D/time.out"
		echo "$u $s" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$D/cpu.list"
		[ "$m" -gt "$rss" ] && rss=$m
		i=$((i + 1))
	done
	echo "$(sort -n "$D/cpu.list" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') $rss"
}

instr() {
	valgrind --tool=callgrind --callgrind-out-file="$D/cg.out" "$@" \
	    >/dev/null 2>"$D/cg.log" || { cat "$D/cg.log" >&2; exit 1; }
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$D/cg.log"
}

# Command line of PROG for SETTING on INPUT writing OUTPUT.
cmdline() {
	prog=$1 app=$2 comp=$3 in=$4 out=$5
	case $prog in
	floor) echo "$B/floor $in $out 32000 $comp $app" ;;
	nwrec) echo "$B/nwrec $in $out 32000 $comp $app" ;;
	nomemo) echo "$B/nwrec $in $out 32000 $comp $app nomemo" ;;
	opusenc)
		# Where opusenc's defaults differ from libopus's, which the
		# recorder keeps: --cvbr (libopus's constrained VBR; opusenc's
		# --vbr lifts the constraint), 4036=24 (OPUS_SET_LSB_DEPTH;
		# opusenc says 16 for 16-bit input). 4000=2048 is
		# OPUS_SET_APPLICATION(VOIP), which opusenc has no option for.
		a="--set-ctl-int 4036=24"
		[ "$app" = voip ] && a="$a --set-ctl-int 4000=2048"
		echo "opusenc --quiet --bitrate 32 --cvbr --comp $comp --framesize 20 $a $in $out" ;;
	esac
}

res=$D/results.md
kv=$D/rec.kv
: >"$kv"
{
	echo "Run: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs shared),"
	echo "libopus $(pkg-config --modversion opus), libopusenc $(pkg-config --modversion libopusenc). Input: ${SECS} s of espeak-ng speech over pink room noise, 48 kHz mono, 32 kb/s VBR, 20 ms frames."
	echo "CPU = user+sys, median of $REPS; ms of CPU per s of audio in brackets. Instructions from callgrind on the first $ISECS s."
	echo "\`nwrec nomemo\` is the recorder with its \`opus_encoder_get_size\` memo off: the cost before it."
	echo
	echo "| setting | program | CPU s [ms/s] | × floor | × opusenc | instructions ($ISECS s) | × floor | peak RSS | file size |"
	echo "|---|---|---|---|---|---|---|---|---|"
} >"$res"

for cfg in "voip 5" "audio 5" "audio 10"; do
	app=${cfg% *}
	comp=${cfg#* }
	tag=${app}_c$comp
	# opusenc first among the encoders so every row has its ratio to it.
	cpu_opusenc=""
	for prog in floor opusenc nwrec nomemo; do
		out=$D/$prog.opus
		rm -f "$out" "$D/i.opus"
		# shellcheck disable=SC2046
		set -- $(measure $(cmdline $prog "$app" "$comp" "$D/room$SECS.wav" "$out"))
		cpu=$1 rss=$2
		ins=""
		if [ "$prog" != nomemo ]; then
			# shellcheck disable=SC2046
			ins=$(instr $(cmdline $prog "$app" "$comp" "$D/room$ISECS.wav" "$D/i.opus"))
		fi
		size=$(stat -c %s "$out")
		eval "cpu_$prog=$cpu ins_$prog=$ins"
		ms=$(awk -v c="$cpu" -v s=$SECS 'BEGIN { printf "%.2f", c * 1000 / s }')
		{
			echo "rec_${tag}_${prog}_cpu_s=$cpu"
			echo "rec_${tag}_${prog}_ms_per_s=$ms"
			echo "rec_${tag}_${prog}_rss_kb=$rss"
			echo "rec_${tag}_${prog}_bytes=$size"
			[ -z "$ins" ] || echo "rec_${tag}_${prog}_instr=$ins"
		} >>"$kv"
		echo "$app c$comp $prog cpu $cpu s, instr ${ins:--}, rss $rss KB, $size bytes" >&2
		# shellcheck disable=SC2154
		awk -v s="$app c$comp" -v p="$prog" -v c="$cpu" -v fc="$cpu_floor" \
		    -v oc="${cpu_opusenc:-}" -v i="$ins" -v fi="$ins_floor" -v r="$rss" \
		    -v z="$size" -v secs=$SECS 'BEGIN {
			name = p == "nomemo" ? "nwrec nomemo" : p
			ic = i == "" ? "–" : sprintf("%.0fM", i / 1e6)
			ir = i == "" ? "–" : sprintf("%.3f", i / fi)
			or = p == "floor" ? "–" : sprintf("%.2f", c / oc)
			printf "| %s | %s | %.2f [%.2f] | %.2f | %s | %s | %s | %.1f MB | %.2f MB |\n",
			    s, name, c, c * 1000 / secs, c / fc, or, ic, ir, r / 1024, z / 1e6 }' >>"$res"
	done
	# The memo must not change a bit; opusenc must really be at our settings.
	same_memo=no
	cmp -s "$D/nwrec.opus" "$D/nomemo.opus" && same_memo=yes
	opusdec --quiet "$D/nwrec.opus" "$D/nwrec.dec.wav"
	opusdec --quiet "$D/opusenc.opus" "$D/opusenc.dec.wav"
	same_dec=no
	cmp -s "$D/nwrec.dec.wav" "$D/opusenc.dec.wav" && same_dec=yes
	rm -f "$D/nwrec.dec.wav" "$D/opusenc.dec.wav"
	echo "rec_${tag}_memo_identical=$same_memo" >>"$kv"
	echo "rec_${tag}_opusenc_same_audio=$same_dec" >>"$kv"
done
{
	echo
	echo "Checks in this run: nwrec's file is byte-identical with and without the memo:"
	echo "$(sed -n 's/^rec_\(.*\)_memo_identical=\(.*\)/\1 \2/p' "$kv" | tr '\n' ';' | sed 's/;$//; s/;/, /g');"
	echo "opusenc's file decodes (opusdec) to the same samples as nwrec's:"
	echo "$(sed -n 's/^rec_\(.*\)_opusenc_same_audio=\(.*\)/\1 \2/p' "$kv" | tr '\n' ';' | sed 's/;$//; s/;/, /g')."
} >>"$res"

# arm64 build under qemu-user: no CPUID there (see README).
ARM=${ARM:-}
if [ -n "$ARM" ] && [ -x "$ARM/bench/nwrec" ] && command -v qemu-aarch64-static >/dev/null; then
	Q="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
	{
		echo
		echo "arm64 build of the same programs under qemu-aarch64 (TCG; absolute times mean nothing, ratios do), first $ISECS s, median of $REPS:"
		echo
		echo "| setting | floor CPU s | nwrec CPU s | × floor |"
		echo "|---|---|---|---|"
	} >>"$res"
	for cfg in "voip 5" "audio 5"; do
		app=${cfg% *}
		comp=${cfg#* }
		# shellcheck disable=SC2086
		set -- $(measure $Q "$ARM/bench/floor" "$D/room$ISECS.wav" "$D/a.opus" 32000 "$comp" "$app")
		f=$1
		# shellcheck disable=SC2086
		set -- $(measure $Q "$ARM/bench/nwrec" "$D/room$ISECS.wav" "$D/a.opus" 32000 "$comp" "$app")
		n=$1
		echo "arm64 $app c$comp floor $f nwrec $n" >&2
		{
			echo "rec_arm64_${app}_c${comp}_floor_cpu_s=$f"
			echo "rec_arm64_${app}_c${comp}_nwrec_cpu_s=$n"
			echo "rec_arm64_${app}_c${comp}_ratio=$(awk -v f="$f" -v n="$n" 'BEGIN { printf "%.2f", n / f }')"
		} >>"$kv"
		awk -v s="$app c$comp" -v f="$f" -v n="$n" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", s, f, n, n / f }' >>"$res"
	done
fi

{
	echo
	echo "Probe (bench/probe.c), cost of the call libopus's multistream layer makes per stream on every encode and ctl (libopus's own, not the memo):"
	echo
	echo '```'
	"$B/probe"
	echo '```'
} >>"$res"
cat "$res"
