#!/bin/sh
# Benchmark (not a test): publish a synthetic full meeting -- 10 rooms x 40
# sessions, 2,000 registrants, 40,000 scans, one hard-linked recording per
# session -- at 1x, 2x and 4x that size, and print the publish time of each
# (median of REPS runs, default 3, each into a new tree) and its CPU time.
#
# Each scale gets a new ext4 filesystem of its own (a loop-mounted image,
# when run as root): on a disk that has created and deleted many files,
# ext4's inode allocator searches past recently deleted inodes
# (recently_deleted(), find_inode_bit(): half of a 4x publish's samples on
# this test VM's churned disk), a cost of the disk's history that grows
# with the number of files and had made 4x look 1.3x slower than linear.
# Memory is touched and freed before each run, as in sync_upload.sh.
# Usage: O=build bench/host_publish.sh [SCALES]   (default "1 2 4")
set -eu
O=${O:-build}
REPS=${REPS:-3}
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=$TOP/$O/notewell
W=$(mktemp -d "${TMPDIR:-/tmp}/nwbench.XXXXXX")
MOUNTS=""
cleanup() { for m in $MOUNTS; do umount "$m" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
warm() { dd if=/dev/zero of=/dev/shm/nwbench-warm.$$ bs=1M count=512 2>/dev/null; rm -f /dev/shm/nwbench-warm.$$; }
# fresh_fs DIR: a new ext4 at DIR if we may mount one, else a plain folder.
fresh_fs() {
	mkdir -p "$1"
	if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null &&
	    truncate -s 8G "$1.img" && mkfs.ext4 -q -F "$1.img" 2>/dev/null &&
	    mount -o loop "$1.img" "$1" 2>/dev/null; then
		MOUNTS="$MOUNTS $1"
	else
		echo "bench: no fresh filesystem for $1 (not root, or no loop device): timing on $(df --output=target "$1" | tail -1)" >&2
	fi
}
sox -n -r 48000 -c 1 -b 16 "$W/t.wav" synth 1 sine 440 2>/dev/null
opusenc --quiet "$W/t.wav" "$W/t.opus"

for k in ${1:-1 2 4}; do
	F=$W/fs$k
	fresh_fs "$F"
	S=$F/store
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
	: >"$W/wall$k"; : >"$W/cpu$k"
	for rep in $(seq "$REPS"); do
		sync; warm
		/usr/bin/time -f "%e %U %S" -o "$W/time" \
			"$N" --store "$S" publish --out "$F/site$rep" >/dev/null 2>&1
		read -r e u sy <"$W/time"
		echo "$e" >>"$W/wall$k"
		echo "$u $sy" | awk '{ print $1 + $2 }' >>"$W/cpu$k"
	done
	files=$(find "$F/site1" -type f | wc -l)
	echo "scale ${k}x: $((400 * k)) sessions, $((2000 * k)) registrants, $((40000 * k)) scans: publish $(median <"$W/wall$k") s, $files files, cpu $(median <"$W/cpu$k") s (runs: $(tr '\n' ' ' <"$W/wall$k"))"
done
