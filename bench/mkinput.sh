#!/bin/sh
# Makes the benchmark input: 10 minutes of synthetic speech (espeak-ng, two
# voices and speeds) over pink room noise at about -55 dBFS, 48 kHz mono
# 16-bit. Room noise matters: digital silence between words would take
# encoder paths a real room never does.
# Usage: bench/mkinput.sh OUT.wav [SECONDS]
set -eu
out=$1
secs=${2:-600}
tmp=$(mktemp -d "${out%/*}/mkinput.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
T="Good morning everyone, and welcome to this session of the working group. \
The chairs would like to remind you that this meeting is being recorded, and \
that the note well applies. We have three drafts on the agenda today. First, \
the authors will present the changes since the last meeting, then we will \
discuss the open issues on the mailing list. Please state your name at the \
microphone before you speak."
espeak-ng -s 150 -w "$tmp/a.wav" "$T"
espeak-ng -s 175 -v en-us -p 30 -w "$tmp/b.wav" "$T"
sox "$tmp/a.wav" "$tmp/b.wav" -r 48000 -c 1 -b 16 "$tmp/ab.wav"
n=$(python3 -c "import math,sys; print(math.ceil($secs / float(sys.argv[1])) - 1)" "$(soxi -D "$tmp/ab.wav")")
sox "$tmp/ab.wav" "$tmp/sp.wav" repeat "$n" trim 0 "$secs"
sox -n -r 48000 -c 1 -b 16 "$tmp/noise.wav" synth "$secs" pinknoise vol 0.003
sox -m "$tmp/sp.wav" "$tmp/noise.wav" -b 16 "$out"
