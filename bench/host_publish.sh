#!/bin/sh
# Benchmark (not a test): publish a synthetic full meeting -- 10 rooms x 40
# sessions, 2,000 registrants, 40,000 scans, one hard-linked recording per
# session -- at 1x, 2x and 4x that size, and print the publish time of each.
# Usage: O=build bench/host_publish.sh [SCALES]   (default "1 2 4")
set -eu
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=$TOP/$O/notewell
W=$(mktemp -d "${TMPDIR:-/tmp}/nwbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
sox -n -r 48000 -c 1 -b 16 "$W/t.wav" synth 1 sine 440 2>/dev/null
opusenc --quiet "$W/t.wav" "$W/t.opus"

for k in ${1:-1 2 4}; do
	S=$W/store$k
	python3 - "$W" "$k" <<'PY'
import sys, random
w, k = sys.argv[1], int(sys.argv[2])
random.seed(k)
rooms, per_room, regs, scans = 10 * k, 40, 2000 * k, 40000 * k
with open(f"{w}/agenda{k}.ics", "w", newline="") as f:
    f.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n")
    uids = []
    for r in range(rooms):
        for s in range(per_room):
            uid = f"ietf-200-{r * 1000 + s}-wg{r}x{s}"
            uids.append(uid)
            day, slot = divmod(s, 8)
            h = 1 + slot
            f.write(f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                    f"SUMMARY:wg{r}x{s} - Working group {r}/{s}\r\nLOCATION:Room {r:03}\r\n"
                    f"DTSTART:202711{10 + day:02}T{h:02}0000Z\r\n"
                    f"DTEND:202711{10 + day:02}T{h:02}5000Z\r\nEND:VEVENT\r\n")
    f.write("END:VCALENDAR\r\n")
with open(f"{w}/reg{k}.csv", "w") as f:
    f.write("badge_id,first_name,last_name,organization,country_code,registration_type,under_13,email,datatracker_user_id\n")
    for i in range(regs):
        f.write(f"B{i:06},First{i},Last{i % 997},Org {i % 50},{'SEDEFRUSJPCN'[2*(i%6):2*(i%6)+2]},"
                f"{'onsite' if i % 4 else 'remote'},no,p{i}@example.com,{i + 1}\n")
with open(f"{w}/scans{k}.txt", "w") as f:
    for i in range(scans):
        uid = uids[i % len(uids)]
        f.write(f"B{random.randrange(regs):06} {uid}\n")
with open(f"{w}/uids{k}.txt", "w") as f:
    f.write("\n".join(uids) + "\n")
PY
	"$N" --store "$S" import agenda "$W/agenda$k.ics"
	"$N" --store "$S" import registrations "$W/reg$k.csv"
	"$N" --store "$S" sim-feed "$W/scans$k.txt"
	: >"$W/empty"
	while read -r uid; do
		"$N" --store "$S" sim-feed --session "$uid" --recording "$W/t.opus" "$W/empty"
	done <"$W/uids$k.txt"
	t0=$(date +%s.%N)
	"$N" --store "$S" publish --out "$W/site$k" >/dev/null
	t1=$(date +%s.%N)
	files=$(find "$W/site$k" -type f | wc -l)
	echo "scale ${k}x: $((400 * k)) sessions, $((2000 * k)) registrants, $((40000 * k)) scans: publish $(echo "$t1 - $t0" | bc) s, $files files"
done
