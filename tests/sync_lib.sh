# Helpers for the sync integration tests (tests/integration/sync*.sh).
# Source after tests/lib.sh. Everything listens on 127.0.0.1 only.

# free_port: a free high TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# host_init DIR PORT: a host store whose URL boxes use is https://127.0.0.1:PORT.
host_init() {
	"$BIN/notewell" --store "$1" init --url "https://127.0.0.1:$2" >"$1.init.out" 2>&1
}

# serve_as: the --user notewell serve needs when the tests run as root (it
# refuses to serve as root); the store's parent must then be reachable.
serve_as() {
	[ "$(id -u)" = 0 ] || return 0
	chmod 755 "$T_TMP"
	echo "--user nobody"
}

# host_start DIR PORT: runs notewell serve, waits for its "listening" line.
host_start() {
	"$BIN/notewell" --store "$1" -v serve --listen "127.0.0.1:$2" $(serve_as) >>"$1.serve.log" 2>&1 &
	H_PID=$!
	T_PIDS="$T_PIDS $H_PID"
	wait_for 10 grep -q "listening on https://127.0.0.1:$2" "$1.serve.log"
}

host_stop() {
	kill -9 "$H_PID" 2>/dev/null
	wait "$H_PID" 2>/dev/null
}

# enroll_code DIR ROOM [args]: prints a fresh setup code.
enroll_code() {
	h=$1; r=$2; shift 2
	"$BIN/notewell" --store "$h" enroll --room "$r" --png "$T_TMP/enroll.png" "$@" |
		sed -n 's/^setup code  //p'
}

# box_json DIR EXPR: a value from `notewellctl status --json` (python expression on s).
box_json() {
	"$BIN/notewellctl" --data "$1" status --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}

# synced DIR: the box's backlog is empty.
synced() {
	[ "$(box_json "$1" 's["sync"]["backlog"]["records"]')" = 0 ]
}

# sync_now DIR SECONDS: kicks the worker and waits until the backlog is empty.
sync_now() {
	"$BIN/notewellctl" --data "$1" sync >/dev/null
	wait_for "$2" synced "$1"
}

# add_recording BOXDIR SESSION_UID NAME BYTES: a finished recording (any
# bytes will do: sync moves files, it does not decode them) and its row.
add_recording() {
	mkdir -p "$1/recordings"
	head -c "$4" /dev/urandom >"$1/recordings/$3"
	sha=$(sha256sum "$1/recordings/$3" | cut -d' ' -f1)
	sqlite3 -cmd ".timeout 5000" "$1/journal.db" "INSERT INTO recordings(session_id, path, state, sha256, bytes,
		duration_ns, start_boot, start_mono_ns, start_wall_ns, start_synced)
		VALUES ((SELECT id FROM sessions WHERE uid = '$2'), 'recordings/$3', 'finished',
		'$sha', $4, 60000000000, '00000000-0000-0000-0000-000000000000', 1,
		strftime('%s','now') * 1000000000, 0)"
}

# children PID: direct children of PID.
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}

# sync_worker_pid DAEMON_PID: the worker (grandchild of the daemon).
sync_worker_pid() {
	for s in $(children "$1"); do children "$s"; done | head -1
}

# A hand-driven box (tests/sync_client.py): signed requests, or not quite.
CLIENT="python3 $TOP/tests/sync_client.py"
# status_of "STATUS BODY": the status of a sync_client.py answer.
status_of() { echo "$1" | cut -d' ' -f1; }
