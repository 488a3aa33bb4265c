#!/bin/sh
# Benchmark (not a test): upload of a 2-hour recording (~30 MB) from a box
# to the host over loopback with TLS. The box's whole sync (signed chunk
# requests, per-chunk fdatasync and acknowledgement, finish with a full
# hash check, manifest) against curl sending the same bytes in one HTTPS
# PUT to the same server (`notewell serve --bench-sink`, which writes,
# hashes and fsyncs the body: the same disk work without the protocol).
# Target: box <= 1.25 x curl. Prints the median of RUNS runs.
# Usage: O=build bench/sync_upload.sh [MB] [RUNS] [CHUNK_KB]
set -eu
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$O
MB=${1:-30}
RUNS=${2:-3}
CHUNK=${3:-1024}
W=$(mktemp -d "${TMPDIR:-/tmp}/nwbench.XXXXXX")
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$BIN/notewell" --store "$W/host" init --url "https://127.0.0.1:$PORT" >/dev/null 2>&1
# serve refuses to run as root: as root, it becomes nobody once listening,
# which must reach the store.
SERVE_AS=; if [ "$(id -u)" = 0 ]; then SERVE_AS="--user nobody"; chmod 755 "$W"; fi
"$BIN/notewell" --store "$W/host" serve --listen "127.0.0.1:$PORT" --bench-sink $SERVE_AS >"$W/serve.log" 2>&1 &
PIDS="$PIDS $!"
printf 'heartbeat_s = 3600\nsync_chunk_kb = %s\nretention_free_mb = 0\n' "$CHUNK" >"$W/box.conf"
"$BIN/notewelld" --board sim --data "$W/box" --config "$W/box.conf" >"$W/box.log" 2>&1 &
PIDS="$PIDS $!"
ctl() { "$BIN/notewellctl" --data "$W/box" "$@"; }
until ctl status >/dev/null 2>&1 && grep -q listening "$W/serve.log"; do sleep 0.05; done
code=$("$BIN/notewell" --store "$W/host" enroll --room Bench --png "$W/e.png" | sed -n 's/^setup code  //p')
ctl scan "$code" >/dev/null
until [ "$(sqlite3 "$W/host/host.db" 'SELECT count(*) FROM devices')" = 1 ]; do sleep 0.05; done
ctl sync >/dev/null; sleep 0.5

mkdir -p "$W/box/recordings"
echo "upload of $MB MB over loopback TLS, box chunk $CHUNK KiB, median of $RUNS"
: >"$W/box.t"; : >"$W/curl.t"
for i in $(seq "$RUNS"); do
	f=rec$i.opus
	head -c $((MB * 1000000)) /dev/urandom >"$W/box/recordings/$f"
	sha=$(sha256sum "$W/box/recordings/$f" | cut -d' ' -f1)
	ctl session start --uid "bench-$i" >/dev/null
	sqlite3 "$W/box/journal.db" "INSERT INTO recordings(session_id, path, state, sha256,
		bytes, duration_ns, start_boot, start_mono_ns, start_wall_ns, start_synced)
		VALUES ((SELECT id FROM sessions WHERE uid = 'bench-$i'), 'recordings/$f',
		'finished', '$sha', $((MB * 1000000)), 7200000000000, 'b', 1, 1, 0)"
	ctl session stop >/dev/null
	sync; sleep 0.2
	t0=$(now)
	ctl sync >/dev/null
	until [ "$(sqlite3 "$W/host/host.db" "SELECT count(*) FROM box_manifests WHERE session_uid = 'bench-$i'")" = 1 ]; do sleep 0.02; done
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$W/box.t"
	t0=$(now)
	curl -sk -o /dev/null -H 'Expect:' -T "$W/box/recordings/$f" "https://127.0.0.1:$PORT/bench/sink"
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$W/curl.t"
done
b=$(median <"$W/box.t")
c=$(median <"$W/curl.t")
echo "box sync:  $b ms   (runs: $(tr '\n' ' ' <"$W/box.t"))"
echo "curl PUT:  $c ms   (runs: $(tr '\n' ' ' <"$W/curl.t"))"
awk -v b="$b" -v c="$c" 'BEGIN { r = b / c; printf "ratio:     %.2f x curl (target <= 1.25) %s\n", r, r <= 1.25 ? "OK" : "OVER" }'
