#!/bin/sh
# Least privilege: notewelld started as root runs as the configured user
# once its socket and devices are open (here "nobody"), and so do its sync
# processes; it has no capabilities left, so nothing outside its data
# folder is writable to it; its work (scans, a recording) goes on; it stops
# and starts again cleanly on the folder it handed to the user.
# Landlock: after the drop the daemon and its sync processes cannot write
# outside the data folder even where the file modes would let them, and
# even as root (a user that does not exist, or none); scans, recording,
# the screen and sync go on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
if [ "$(id -u)" != 0 ] || ! getent passwd nobody >/dev/null; then
	ok "# SKIP needs root and a nobody user"
	t_done; exit
fi
NOBODY=$(id -u nobody)
NOGROUP=$(id -g nobody)
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
# mktemp made the scratch dir root's 0700; the user must reach its folder
# (and the WAV it reopens when it loops).
chmod 755 "$T_TMP"
sox -n -r 48000 -c 1 -b 16 "$T_TMP/room.wav" synth 3 sine 300 2>/dev/null
chmod 644 "$T_TMP/room.wav"
conf() {
	cat >"$T_TMP/box.conf" <<EOC
room = Room P
user = $1
audio_source = file:$T_TMP/room.wav
audio_pace = fast
audio_loop = 1
sim_clock_start = 2026-03-16T09:00:00Z
EOC
}
# The kernel's Landlock ABI version (0: none).
LL_ABI=$(python3 -c 'import ctypes; l = ctypes.CDLL(None); print(max(0, l.syscall(444, None, 0, 1)))')
# in_proc PID PATH: creat(PATH) run inside process PID, then closed;
# prints the result: a descriptor, or -errno when refused. tests/ptcreat.c
# does it with ptrace alone (gdb's inferior calls kill the process on CPUs
# with AMX, see there).
in_proc() { "$BIN/tests/ptcreat" "$1" "$2"; }
# ll_check WHO PID: PID writes in the data folder, not in PROBE (mode 777,
# so only Landlock can refuse it); one TAP line each, or SKIPs.
# The daemon may also write beneath /tmp, /var/tmp and /dev (SQLite's and
# the sanitizers' scratch files), so the probe folder must be elsewhere:
# the build folder, unless the tree itself is under one of those (a CI
# clone in /tmp), then /run or /var/lib.
for PROBE in "$TOP/$O" /run /var/lib; do
	case $(realpath "$PROBE")/ in /tmp/*|/var/tmp/*|/dev/*) continue ;; esac
	[ -d "$PROBE" ] && [ -w "$PROBE" ] && break
done
PROBE=$PROBE/landlock-probe.$$
mkdir -p "$PROBE"; chmod 777 "$PROBE"
ll_check() {
	if [ "$LL_ABI" = 0 ]; then
		ok "# SKIP landlock ($1): the kernel has no Landlock"
		return
	fi
	rm -f "$PROBE/x" "$D/ll-probe"
	in=$(in_proc "$2" "$D/ll-probe")
	check "$1 can still create a file in the data folder (fd $in)" sh -c "[ '${in:--1}' -ge 0 ] && [ -e '$D/ll-probe' ]"
	out=$(in_proc "$2" "$PROBE/x")
	check "$1 cannot create one outside, in a folder open to all (got $out)" sh -c "[ '$out' = -13 ] && [ ! -e '$PROBE/x' ]"
	rm -f "$D/ll-probe" "$PROBE/x"
}

# status FIELD PID: a line of /proc/PID/status, tabs as spaces.
pstatus() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$2/status" | tr -s '\t ' '  '; }

conf nobody
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "real, effective, saved and fs uid are nobody's" "$NOBODY $NOBODY $NOBODY $NOBODY" "$(pstatus Uid "$D_PID")"
check_eq "and the gids" "$NOGROUP $NOGROUP $NOGROUP $NOGROUP" "$(pstatus Gid "$D_PID")"
check_eq "supplementary groups are the user's" "$(id -G nobody | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"$(pstatus Groups "$D_PID" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//')"
check_eq "no capabilities left" "0000000000000000 0000000000000000" "$(pstatus CapEff "$D_PID") $(pstatus CapPrm "$D_PID")"
check_eq "no new privileges" 1 "$(pstatus NoNewPrivs "$D_PID")"
kids=$(pgrep -P "$D_PID")
check "the sync supervisor is running" test -n "$kids"
bad=""
for k in $kids; do
	[ "$(pstatus Uid "$k")" = "$NOBODY $NOBODY $NOBODY $NOBODY" ] || bad="$bad $k"
done
check_eq "the sync processes are nobody's too" "" "$bad"
check_eq "the data folder and what root made in it are the user's" "" \
	"$(find "$D" ! -user nobody -o ! -group "$NOGROUP" 2>/dev/null | grep -v daemon.log)"

# A process with exactly these ids and groups and no capabilities is the
# daemon as far as file permissions go: it cannot write outside its folder.
as_daemon() { setpriv --reuid="$NOBODY" --regid="$NOGROUP" --init-groups --inh-caps=-all "$@"; }
mkdir "$T_TMP/outside"
check_fails "no new file outside the data folder" as_daemon touch "$T_TMP/outside/x"
check_fails "no write to /etc" as_daemon sh -c 'echo x > /etc/notewell-privdrop-test'
check_fails "no write to the config file" as_daemon sh -c "echo x >> '$T_TMP/box.conf'"
check "but inside the data folder" as_daemon touch "$D/probe"
rm -f "$D/probe"

ll_check "the daemon as nobody" "$D_PID"
ll_check "its sync supervisor" "$(pgrep -P "$D_PID" | head -1)"

# The work goes on as the user.
shot=$(sha256sum "$D/screen.png" | cut -d' ' -f1)
check "a scan is acknowledged" ctl scan PRIV0001
check "the screen is redrawn" wait_for 10 sh -c "[ \"\$(sha256sum '$D/screen.png' | cut -d' ' -f1)\" != '$shot' ]"
check "a recorded session starts" ctl session start --uid priv-session
ctl clock run-until 2026-03-16T09:01:00Z >/dev/null
check "the virtual clock runs (the recording is written)" wait_for 30 sh -c "\"$BIN/notewellctl\" --data \"$D\" status --json | grep -q '\"time\": \"2026-03-16T09:01'"
check "session stop" ctl session stop
check_eq "the recording is the user's" nobody "$(stat -c %U "$D/recordings/priv-session.part1.opus")"
check "and plays" opusinfo "$D/recordings/priv-session.part1.opus"
kill "$D_PID"; wait "$D_PID" 2>/dev/null
check "clean stop: the socket is gone" test ! -e "$D/ctl.sock"
check_eq "journal ok" ok "$(sqlite3 "$D/journal.db" 'PRAGMA integrity_check')"

# Again on the folder it handed over: same user, the scan still there.
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "restarted as nobody" "$NOBODY" "$(pstatus Uid "$D_PID" | cut -d' ' -f2)"
check_eq "the scan survived" 1 "$(sqlite3 "$D/journal.db" "SELECT COUNT(*) FROM scans WHERE badge = 'PRIV0001'")"
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# A user that does not exist: the box still works, as root, and says so.
conf nw-no-such-user-4711
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "without the user it stays root" 0 "$(pstatus Uid "$D_PID" | cut -d' ' -f2)"
check "and says so" grep -q "running as root: user 'nw-no-such-user-4711' does not exist" "$D/daemon.log"
# Landlock holds on its own, for root too.
ll_check "the daemon as root" "$D_PID"
check "a scan is acknowledged as root" ctl scan PRIV0002
kill "$D_PID"; wait "$D_PID" 2>/dev/null

# No user at all: root, confined, and it syncs (enrolls, pushes scans and
# a recording) through its confined sync processes.
conf ""
daemon_start "$D" --config "$T_TMP/box.conf"
check_eq "with no user it is root" 0 "$(pstatus Uid "$D_PID" | cut -d' ' -f2)"
ll_check "the daemon as root, no user" "$D_PID"
kid=$(pgrep -P "$D_PID" | head -1)
ll_check "its sync supervisor as root" "$kid"
H=$T_TMP/host
PORT=$(free_port)
host_init "$H" "$PORT"
check "host serve" host_start "$H" "$PORT"
ctl scan "$(enroll_code "$H" Room-P)" >/dev/null
check "the confined box enrolls" wait_for 15 sh -c "[ \"\$(\"$BIN/notewellctl\" --data '$D' status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"sync\"][\"enrolled\"])')\" = True ]"
ctl session start --uid priv-sync >/dev/null
ctl scan PRIV0003 >/dev/null
ctl clock run-until 2026-03-16T09:03:00Z >/dev/null
ctl session stop >/dev/null
check "and syncs" sync_now "$D" 30
check_eq "the host has its scans" 3 "$(sqlite3 -cmd '.timeout 5000' "$H/host.db" "SELECT count(*) FROM scans WHERE badge_id LIKE 'PRIV000%'")"
check "and its recordings" test "$(sqlite3 -cmd '.timeout 5000' "$H/host.db" "SELECT count(*) FROM recordings")" -ge 2
if [ "$LL_ABI" != 0 ]; then
	check "Landlock is logged" grep -q "landlock (ABI $LL_ABI): writes only beneath" "$D/daemon.log"
fi
kill "$D_PID"; wait "$D_PID" 2>/dev/null
host_stop
rm -rf "$PROBE"
t_done
