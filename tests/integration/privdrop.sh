#!/bin/sh
# Least privilege: notewelld started as root runs as the configured user
# once its socket and devices are open (here "nobody"), and so do its sync
# processes; it has no capabilities left, so nothing outside its data
# folder is writable to it; its work (scans, a recording) goes on; it stops
# and starts again cleanly on the folder it handed to the user.
. "$(dirname "$0")/../lib.sh"
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

# The work goes on as the user.
check "a scan is acknowledged" ctl scan PRIV0001
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
t_done
