#!/bin/sh
# Disk full on a real size-limited filesystem: the box's data folder is a
# small tmpfs. Recording stops cleanly at the reserve (alarm, journal says
# why), scans go on and are durable; with the disk filled to the last byte a
# scan fails with a clear error and nothing acknowledged is lost; the
# journal stays sound; once space is freed scans work again and the session
# still open records a new part. Then the host side: the host store on a
# small tmpfs refuses uploads with a clear error, the box keeps retrying and
# everything arrives once space is freed.
# Needs mount(2) (root, or a user namespace that allows tmpfs); without it
# every check is reported as SKIP with the reason (the injected ENOSPC path
# is covered by tests/unit/test_faults.c).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
D=$T_TMP/box
MNTS=""
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
status() { ctl status --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The data folders are mount points inside $T_TMP: stop what uses them and
# unmount before lib.sh removes the tree (a failed run keeps a copy).
df_cleanup() {
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	for m in $MNTS; do
		[ "$T_FAIL" -eq 0 ] || cp -a "$m" "$m.saved" 2>/dev/null
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	t_cleanup
}
trap df_cleanup EXIT

# small_fs DIR KB: a tmpfs of KB KiB on DIR.
small_fs() {
	mkdir -p "$1"
	mount -t tmpfs -o "size=$2k,mode=0750" nwdiskfull "$1" 2>"$T_TMP/mount.err" || return 1
	MNTS="$MNTS $1"
}
# fill DIR FILE: writes FILE until the filesystem has no byte left.
fill() {
	dd if=/dev/zero of="$1/$2" bs=4096 2>/dev/null
	dd if=/dev/zero of="$1/$2" bs=1 oflag=append conv=notrunc 2>/dev/null
	[ "$(stat -f -c %a "$1")" = 0 ]
}
# The daemon's log is kept off the small disk so it can still be read.
box_start() {
	"$BIN/notewelld" --board sim --data "$D" --config "$T_TMP/box.conf" >>"$T_TMP/daemon.log" 2>&1 &
	D_PID=$!
	T_PIDS="$T_PIDS $D_PID"
	wait_for 10 "$BIN/notewellctl" --data "$D" status
}

if ! small_fs "$D" 4096; then
	why=$(head -1 "$T_TMP/mount.err")
	ok "disk full on a size-limited filesystem # SKIP cannot mount a tmpfs: ${why:-mount failed}"
	exit 0
fi

sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 3 pinknoise vol 0.3
# 256 kb/s fills the 4 MiB disk in about two minutes of audio; a 1 MiB
# reserve. The ballast is what an operator can delete later.
cat >"$T_TMP/box.conf" <<EOC
room = Room D
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
opus_bitrate = 256000
sim_clock_start = 2026-03-16T09:00:00Z
clock_synced = 1
disk_reserve_mb = 1
silence_s = 3600
EOC
head -c 1500000 /dev/zero >"$D/ballast"
box_start
check "session starts with the disk above its reserve" ctl session start --uid full-1
check_eq "recording" recording "$(status 'd["state"]')"
ctl clock run-until 2026-03-16T09:10:00Z >/dev/null
check "recording stops at the reserve before the virtual 10 minutes" wait_for 60 sh -c \
	"sqlite3 -cmd '.timeout 5000' '$D/journal.db' \"SELECT 1 FROM events WHERE kind = 'recording-stopped'\" | grep -q 1"
check "the journal says the recording stopped for disk" sh -c \
	"sqlite3 '$D/journal.db' \"SELECT detail FROM events WHERE kind = 'recording-stopped'\" | grep -q 'disk below reserve'"
check_eq "status shows the disk and not-recording alarms, session still on" "in-session disk not-recording" \
	"$(status 'd["state"] + " " + " ".join(d["alarms"])')"
f1=$D/recordings/full-1.part1.opus
check "the stopped part plays" opusinfo "$f1"
check_eq "the part is finished with its hash" "finished|disk below reserve|$(sha256sum "$f1" | cut -c1-64)" \
	"$(bsql "SELECT state, detail, sha256 FROM recordings WHERE path LIKE '%full-1.part1%'")"
free_kb=$(($(stat -f -c '%a*%S/1024' "$D")))
check "stopped with about the reserve free (${free_kb} KiB)" test "$free_kb" -ge 700 -a "$free_kb" -le 1100

# Scans at the reserve are accepted and durable.
n_ok=0
for i in $(seq 1 20); do ctl scan "RES$i" >/dev/null && n_ok=$((n_ok + 1)); done
check_eq "scans at the reserve are accepted" 20 "$n_ok"
check_eq "... and in the journal" 20 "$(bsql "SELECT count(*) FROM scans WHERE badge LIKE 'RES%'")"

# The disk filled to the last byte: scans eventually cannot be stored.
check "the disk is filled to the last byte" fill "$D" filler
acked=0; refused=""
for i in $(seq 1 3000); do
	if ctl scan "FULL$i" >"$T_TMP/scan.out" 2>&1; then
		acked=$((acked + 1)); echo "FULL$i" >>"$T_TMP/acked"
	else
		refused=FULL$i; break
	fi
	# Fill again what SQLite gave back (a checkpoint may shrink nothing,
	# but the WAL may have been reset).
	[ $((i % 50)) -eq 0 ] && fill "$D" filler
done
check "a scan on the full disk is refused" test -n "$refused"
check "the refusal says storage is full" grep -q 'Could not record your scan (storage full)' "$T_TMP/scan.out"
echo "# $acked scans acknowledged on the full disk before the refusal"
check_eq "the refused scan is not in the journal" 0 "$(bsql "SELECT count(*) FROM scans WHERE badge = '$refused'")"
check "the screen tells the attendee" sh -c "\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"last_scan\": \"Scan not recorded - see staff\"'"
check "the daemon is still running" kill -0 "$D_PID"
check_eq "journal integrity_check on the full disk" ok "$(bsql 'PRAGMA integrity_check')"
bsql "SELECT badge FROM scans WHERE badge LIKE 'FULL%' ORDER BY id" >"$T_TMP/have"
touch "$T_TMP/acked"
check "every scan acknowledged on the full disk is in the journal" cmp "$T_TMP/acked" "$T_TMP/have"

# Space comes back: scans work, the session still on records a new part.
rm -f "$D/filler" "$D/ballast"
check "a scan works once space is freed" ctl scan AFTER1
check_eq "... and is durable" 1 "$(bsql "SELECT count(*) FROM scans WHERE badge = 'AFTER1'")"
ctl clock run-until 2026-03-16T09:11:00Z >/dev/null
check "recording resumes in a new part" wait_for 60 sh -c \
	"sqlite3 -cmd '.timeout 5000' '$D/journal.db' \"SELECT detail FROM events WHERE kind = 'recording-start'\" | grep -q 'session=full-1 part=2'"
check "the disk alarm clears" wait_for 10 sh -c \
	"\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; a=json.load(sys.stdin)[\"alarms\"]; exit(\"disk\" in a or \"not-recording\" in a)'"
ctl clock run-until 2026-03-16T09:11:30Z >/dev/null
wait_for 30 sh -c "\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"time\": \"2026-03-16T09:11:30'"
check "session stops" ctl session stop
f2=$D/recordings/full-1.part2.opus
check_eq "part 2 is finished with its hash" "finished|$(sha256sum "$f2" | cut -c1-64)" \
	"$(bsql "SELECT state, sha256 FROM recordings WHERE path LIKE '%full-1.part2%'")"
check "part 2 plays" opusinfo "$f2"
check "part 2 holds the 30 s from the restart at 09:11 to the stop" sh -c \
	"opusinfo '$f2' | sed -n 's/.*Playback length: 0m:\([0-9.]*\)s/\1/p' | awk '{exit !(\$1 > 29.9 && \$1 < 30.1)}'"
check_eq "journal integrity_check after recovery" ok "$(bsql 'PRAGMA integrity_check')"
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# The host side: its store on a small tmpfs, filled to the last byte while
# a box has scans and a recording to send.
H=$T_TMP/host
D=$T_TMP/box2
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
small_fs "$H" 2048
PORT=$(free_port)
host_init "$H" "$PORT"
check "notewell serve on a 2 MiB store" host_start "$H" "$PORT"
printf 'room = Room H\nclock_synced = 1\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box.conf"
box_start
ctl scan "$(enroll_code "$H" "Room H")" >/dev/null
check "the box enrolls" wait_for 10 sh -c "[ \"\$(sqlite3 '$H/host.db' \"SELECT count(*) FROM devices WHERE room = 'Room H'\")\" = 1 ]"
check "the host store is filled to the last byte" fill "$H" filler
ctl session start --uid host-full >/dev/null
for i in $(seq 1 30); do ctl scan "HOSTFULL$i" >/dev/null; done
add_recording "$D" host-full rec.opus 300000
ctl session stop >/dev/null
ctl sync >/dev/null
check "the box reports the host's refusal" wait_for 20 sh -c \
	"\"$BIN/notewellctl\" --data '$D' status --json | grep -q '\"last_error\": \"[^\"]*host storage full'"
check "the host logs it" grep -q 'database or disk is full\|No space left' "$H.serve.log"
check "the box still has a backlog" sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"backlog\"][\"records\"] > 30)')\" = True ]"
check_eq "nothing of the box's is marked synced while the host refuses" 0 \
	"$(bsql "SELECT count(*) FROM sync_state s JOIN scans c ON s.kind = 'scan' AND s.ref_id = c.id")"
check_eq "the host store is sound on the full disk" ok "$(hsql 'PRAGMA integrity_check')"
check "serve is still running" kill -0 "$H_PID"
rm -f "$H/filler"
check "everything arrives once the host has space (box retries on its own)" wait_for 30 synced "$D"
bsql "SELECT nonce, badge FROM scans ORDER BY nonce" >"$T_TMP/box.scans"
hsql "SELECT nonce, badge_id FROM scans ORDER BY nonce" >"$T_TMP/host.scans"
check "host has every scan of the box" cmp "$T_TMP/box.scans" "$T_TMP/host.scans"
check_eq "host recording is the box's" "$(sha256sum <"$D/recordings/rec.opus")" \
	"$(sha256sum <"$H/$(hsql "SELECT path FROM recordings")")"
check_eq "host store integrity after recovery" ok "$(hsql 'PRAGMA integrity_check')"
t_done
