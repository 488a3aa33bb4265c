#!/bin/sh
# What keeps a box's sync cheap, checked by what the box does:
# - TLS trusts the host by its key pin alone: the sync processes never open
#   the system CA store (libcurl-gnutls parses all of it for every new
#   connection unless told not to: 23-25 ms of each handshake on x86).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }

PORT=$(free_port)
host_init "$H" "$PORT"
check "notewell serve" host_start "$H" "$PORT"
printf 'room = Cheap\nheartbeat_s = 3600\nsync_retry_max_s = 2\n' >"$T_TMP/box.conf"
# Traced from the start: the daemon forks the sync supervisor and worker.
# (LeakSanitizer cannot work under ptrace: off for this run in the san stage.)
mkdir -p "$D"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=openat,connect -o "$T_TMP/strace.out" \
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

# The daemon itself, not strace: strace ends with its last tracee.
kill "$(cat "$D/notewelld.lock")"; wait "$D_PID" 2>/dev/null
host_stop
t_done
