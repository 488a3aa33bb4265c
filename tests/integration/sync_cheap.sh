#!/bin/sh
# What keeps a box's sync cheap, checked by what the box does:
# - TLS trusts the host by its key pin alone: the sync processes never open
#   the system CA store (libcurl-gnutls parses all of it for every new
#   connection unless told not to: 23-25 ms of each handshake on x86);
# - all one event writes (a session's end: the recording's stop, the
#   session's, their audit events) reaches the worker as one message, after
#   the last commit, so one round and one records request carry it all;
# - a recording the daemon made is signed for upload with the digests its
#   recorder kept while writing it, so the box does not hash it again
#   (30 MB is 20 ms of CPU here, seconds on a Pi without SHA instructions);
#   one that no longer matches them is hashed, found changed and not sent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }

PORT=$(free_port)
host_init "$H" "$PORT"
check "notewell serve" host_start "$H" "$PORT"
# Pink noise: the encoder spends its whole bitrate, so a few minutes of
# audio are some hundred kB, several 64 KiB digests.
chmod 755 "$T_TMP"
sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 5 pinknoise 2>/dev/null
chmod 644 "$T_TMP/room.wav"
printf 'room = Cheap\nheartbeat_s = 3600\nsync_retry_max_s = 2\naudio_source = file:%s\naudio_pace = fast\naudio_loop = 1\nsim_clock_start = 2026-03-16T09:00:00Z\n' \
	"$T_TMP/room.wav" >"$T_TMP/box.conf"
# Traced from the start: the daemon forks the sync supervisor and worker.
# (LeakSanitizer cannot work under ptrace: off for this run in the san stage.)
mkdir -p "$D"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=openat,connect,sendto -o "$T_TMP/strace.out" \
	"$BIN/notewelld" --board sim --data "$D" --config "$T_TMP/box.conf" >>"$D/daemon.log" 2>&1 &
D_PID=$!
T_PIDS="$T_PIDS $D_PID"
check "the box starts under strace" wait_for 20 ctl status
ctl scan "$(enroll_code "$H" Cheap)" >/dev/null
check "it enrolls over TLS" wait_for 20 sh -c "[ \"\$(sqlite3 '$H/host.db' 'SELECT count(*) FROM devices')\" = 1 ]"
check "and syncs" sync_now "$D" 20
check "the trace saw the worker connect to the host" grep -q "connect(.*sin_port=htons($PORT)" "$T_TMP/strace.out"
check "the trace saw the worker open the journal" grep -q 'openat(.*journal.db"' "$T_TMP/strace.out"
check_eq "no CA certificate was opened" "" \
	"$(grep -E 'openat\([^)]*"(/etc/ssl|/usr/share/ca-certificates|/usr/lib/ssl|/etc/pki)' "$T_TMP/strace.out" | head -3)"

# One event, one message to the worker: the daemon's sends on the socket
# to its sync supervisor, counted around one `session stop`.
dpid=$(cat "$D/notewelld.lock")
wakes() { grep -cE "^$dpid +sendto\([0-9]+, \"(data|kick)\", 4" "$T_TMP/strace.out"; }
check "sync is idle" wait_for 10 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"state\"])')\" = idle ]"
ctl session start --uid cheap-1 >/dev/null
ctl scan CHEAP001 >/dev/null
ctl scan CHEAP002 >/dev/null
check "the session's start and scans arrive" wait_for 10 sh -c "[ \"\$(sqlite3 -cmd '.timeout 5000' '$H/host.db' \"SELECT count(*) FROM scans WHERE badge_id LIKE 'CHEAP%'\")\" = 2 ]"
before=$(wakes)
check "the trace sees the daemon's nudges" test "$before" -ge 3
ctl session stop >/dev/null
check "the session's end arrives" wait_for 10 synced "$D"
check_eq "a session's end wakes the worker once" $((before + 1)) "$(wakes)"
check_eq "and that was a kick" 1 "$(grep -E "^$dpid +sendto\([0-9]+, \"(data|kick)\", 4" "$T_TMP/strace.out" | tail -1 | grep -c kick)"

# A recording the daemon made: signed with the recorder's digests.
bsql() { sqlite3 -cmd ".timeout 5000" "$D/journal.db" "$@"; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }
clock_at() { "$BIN/notewellctl" --data "$D" status --json | grep -q "\"time\": \"$1"; }
ctl session start --uid cheap-rec >/dev/null
ctl clock run-until 2026-03-16T09:04:00Z >/dev/null
check "four minutes are recorded" wait_for 60 clock_at 2026-03-16T09:04
ctl session stop >/dev/null
check "the recording is sent" wait_for 20 synced "$D"
rec=$D/recordings/cheap-rec.part1.opus
bytes=$(stat -c %s "$rec")
check "it is several digests long" test "$bytes" -gt $((4 * 65536))
check_eq "the journal holds one digest per 64 KiB" "65536|$((bytes / 65536 * 32))" \
	"$(bsql "SELECT prefix_every, length(prefix_sha256) FROM recordings WHERE path LIKE '%cheap-rec.part1.opus'")"
check_eq "each is the SHA-256 of the file up to there" ok "$(bsql "SELECT hex(prefix_sha256) FROM recordings WHERE path LIKE '%cheap-rec.part1.opus'" | python3 -c "
import hashlib, sys
d = bytes.fromhex(sys.stdin.read().strip()); f = open('$rec', 'rb').read()
print('ok' if all(d[32*k:32*k+32] == hashlib.sha256(f[:65536*(k+1)]).digest() for k in range(len(d)//32)) else 'bad')")"
check "the box signed the upload with them" grep -q "recording cheap-rec.part1.opus ($bytes bytes) confirmed by the host (signed with the recorder's digests)" "$D/daemon.log"
check_eq "the host holds the file's hash" "$(sha256sum "$rec" | cut -d' ' -f1)" \
	"$(hsql "SELECT sha256 FROM recordings WHERE session_uid = 'cheap-rec'")"

# One changed on disk after it was recorded: the host refuses the first
# segment that disagrees, the box hashes the file, finds it changed and
# does not send it.
host_stop
ctl session start --uid cheap-bad >/dev/null
ctl clock run-until 2026-03-16T09:07:00Z >/dev/null
check "three more minutes are recorded" wait_for 60 clock_at 2026-03-16T09:07
ctl session stop >/dev/null
bad=$D/recordings/cheap-bad.part1.opus
printf 'X' | dd of="$bad" bs=1 seek=$(($(stat -c %s "$bad") / 2)) conv=notrunc 2>/dev/null
check "the host is back" host_start "$H" "$PORT"
ctl sync >/dev/null
check "the box finds the digests do not match and hashes the file" wait_for 20 \
	grep -q "recording cheap-bad.part1.opus does not match the recorder's digests; hashing it" "$D/daemon.log"
check "then finds it changed" wait_for 20 grep -q "recording cheap-bad.part1.opus no longer matches its SHA-256; not sending it" "$D/daemon.log"
check_eq "and the host stored no such recording" 0 "$(hsql "SELECT count(*) FROM recordings WHERE session_uid = 'cheap-bad'")"

# The daemon itself, not strace: strace ends with its last tracee.
kill "$(cat "$D/notewelld.lock")"; wait "$D_PID" 2>/dev/null
host_stop
t_done
