# Shell test helpers: TAP output, temp dirs, daemon start/stop.
# Source from tests/integration/*.sh. Every check prints "ok"/"not ok".
set -u
O=${O:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/$O
T_N=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nwtest.XXXXXX")
T_PIDS=""

t_cleanup() {
	for p in $T_PIDS; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$T_FAIL" -eq 0 ]; then rm -rf "$T_TMP"; else echo "# kept $T_TMP"; fi
}
trap t_cleanup EXIT

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
# check "description" command...: passes when the command succeeds.
check() { d=$1; shift; if "$@" >"$T_TMP/.out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$T_TMP/.out" | head -20; fi; }
# check_fails "description" command...: passes when the command fails.
check_fails() { d=$1; shift; if "$@" >"$T_TMP/.out" 2>&1; then not_ok "$d (unexpectedly succeeded)"; sed 's/^/# /' "$T_TMP/.out" | head -20; else ok "$d"; fi; }
# check_eq "description" expected actual
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# expected: $2"; echo "#      got: $3"; fi; }

# wait_for SECONDS command...: polls until the command succeeds.
wait_for() {
	w_end=$(($(date +%s) + $1)); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$w_end" ] && return 1
		sleep 0.05
	done
}

# daemon_start DIR [args...]: starts notewelld on the sim board, waits for its socket.
daemon_start() {
	d_dir=$1; shift
	mkdir -p "$d_dir"
	"$BIN/notewelld" --board sim --data "$d_dir" "$@" >>"$d_dir/daemon.log" 2>&1 &
	D_PID=$!
	T_PIDS="$T_PIDS $D_PID"
	wait_for 10 "$BIN/notewellctl" --data "$d_dir" status
}
t_done() { [ "$T_FAIL" -eq 0 ]; }
