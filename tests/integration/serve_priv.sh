#!/bin/sh
# `notewell serve` never runs as root: started as root without --user it
# refuses (and so for a user that does not exist or is root); with --user
# it binds its port and reads its TLS key as root, then runs as that user
# with no capabilities and no_new_privs, in every thread, and still serves
# a box. The store is the user's but for the keys only init and publish
# use, which it cannot read.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
if [ "$(id -u)" != 0 ] || ! getent passwd nobody >/dev/null; then
	ok "# SKIP needs root and a nobody user"
	t_done; exit
fi
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
pstatus() { sed -n "s/^$1:[[:space:]]*//p" "$2" | tr -s '\t ' '  '; }
listening() { ss -Htln "sport = :$1" | grep -q .; }
chmod 755 "$T_TMP"
PORT=$(free_port)
host_init "$H" "$PORT"
serve() { "$BIN/notewell" --store "$H" -v serve --listen "127.0.0.1:$PORT" "$@"; }

check_fails "as root without --user: refused" serve
cp "$T_TMP/.out" "$T_TMP/err"
check "with a clear error" grep -q "refusing to run as root; give --user NAME" "$T_TMP/err"
check_fails "and nothing listens" listening "$PORT"
check_fails "a user that does not exist: refused" serve --user nw-no-such-user-4711
cp "$T_TMP/.out" "$T_TMP/err"
check "saying so" grep -q "cannot run as 'nw-no-such-user-4711': no such user" "$T_TMP/err"
check_fails "--user root: refused" serve --user root
cp "$T_TMP/.out" "$T_TMP/err"
check "saying so" grep -q "cannot run as 'root': that is root" "$T_TMP/err"

"$BIN/notewell" --store "$H" -v serve --listen "127.0.0.1:$PORT" --user nobody >"$H.serve.log" 2>&1 &
H_PID=$!
T_PIDS="$T_PIDS $H_PID"
check "with --user nobody it serves" wait_for 10 grep -q "listening on https://127.0.0.1:$PORT" "$H.serve.log"
check_eq "real, effective, saved and fs uid are nobody's" "$NOBODY $NOBODY $NOBODY $NOBODY" "$(pstatus Uid /proc/$H_PID/status)"
check_eq "and the gids" "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" "$(pstatus Gid /proc/$H_PID/status)"
bad=""
for t in /proc/$H_PID/task/*; do
	[ "$(pstatus Uid "$t/status")" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] &&
	[ "$(pstatus CapEff "$t/status") $(pstatus CapPrm "$t/status")" = "0000000000000000 0000000000000000" ] &&
	[ "$(pstatus NoNewPrivs "$t/status")" = 1 ] || bad="$bad ${t##*/}"
done
check_eq "every thread: nobody, no capabilities, no new privileges" "" "$bad"
check "more than one thread (the server's own started after the drop)" test "$(ls /proc/$H_PID/task | wc -l)" -gt 1
check_eq "the database is the user's" nobody "$(stat -c %U "$H/host.db")"
check_eq "the signing key is still root's" "root 600" "$(stat -c '%U %a' "$H/host.key")"
check_eq "the TLS key too" "root 600" "$(stat -c '%U %a' "$H/tls/key.pem")"
as_user() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --init-groups --inh-caps=-all "$@"; }
check_fails "the user cannot read the signing key" as_user cat "$H/host.key"
check_fails "nor write outside the store" as_user touch "$T_TMP/outside"

# A real box enrolls and syncs with the dropped server.
printf 'clock_synced = 1\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Room-P)" >/dev/null
check "the box enrolls" wait_for 15 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"enrolled\"])')\" = True ]"
ctl session start --uid priv-s1 >/dev/null
ctl scan P100 >/dev/null
add_recording "$D" priv-s1 r.opus 20000
ctl session stop >/dev/null
check "and syncs its scan and recording" sync_now "$D" 20
check_eq "the host has the scan" 1 "$(sqlite3 -cmd '.timeout 5000' "$H/host.db" "SELECT count(*) FROM scans WHERE badge_id = 'P100'")"
rel=$(sqlite3 -cmd '.timeout 5000' "$H/host.db" "SELECT path FROM recordings")
check_eq "and the recording, written as the user" nobody "$(stat -c %U "$H/$rel" 2>&1)"
check_eq "the server still runs as nobody" "$NOBODY" "$(pstatus Uid /proc/$H_PID/status | cut -d' ' -f1)"
kill "$H_PID"; wait "$H_PID" 2>/dev/null
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# The user may be kept in the store instead (init --serve-user).
check "init --serve-user keeps the user" "$BIN/notewell" --store "$H" init --serve-user nobody
"$BIN/notewell" --store "$H" serve --listen "127.0.0.1:$PORT" >"$H.serve2.log" 2>&1 &
H_PID=$!
T_PIDS="$T_PIDS $H_PID"
check "serve started as root without --user then serves" wait_for 10 grep -q "listening on" "$H.serve2.log"
check_eq "as nobody" "$NOBODY" "$(pstatus Uid /proc/$H_PID/status | cut -d' ' -f1)"
kill "$H_PID"; wait "$H_PID" 2>/dev/null
check_fails "init refuses a name that is no user name" "$BIN/notewell" --store "$H" init --serve-user 'a:b'
t_done
