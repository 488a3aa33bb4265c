#!/bin/sh
# Benchmark (not a test): upload of a 2-hour recording (~30 MB) from a box
# to the host over loopback with TLS. The box's whole sync (the session's
# records, the recording streamed as signed segments, finish, the signed
# manifest), timed from `notewellctl session stop` to the host holding the
# verified manifest, against one HTTPS PUT of the same bytes to the same
# server (`notewell serve --bench-sink`, which writes, hashes and fsyncs the
# body: the same disk work without the protocol), made by
#   curl   the curl program (Debian's is built on OpenSSL): the baseline of
#          the issue's target, box <= 1.25 x curl;
#   nwput  bench/nwput.c: libcurl with the box's TLS library (GnuTLS) and
#          settings, reported beside it (like for like).
# Runs alternate box, nwput, curl, so load on the machine hits all three.
# Prints the medians of RUNS runs.
# Usage: O=build bench/sync_upload.sh [MB] [RUNS] [SEGMENT_KB]
set -eu
O=${O:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$TOP/$O
MB=${1:-30}
RUNS=${2:-5}
CHUNK=${3:-1024}
W=$(mktemp -d "${TMPDIR:-/tmp}/nwbench.XXXXXX")
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
now() { date +%s%N; }
# This VM's guest memory is backed by its host lazily (and given back when
# freed): the first write to a page never used costs a fault in the
# hypervisor, 30 MB of new page cache 60-90 ms instead of 12. Whichever run
# happens to get such pages would pay for it (the sink rewrites one file,
# so it reuses its own pages; an upload makes a new one). Before each timed
# run, 128 MB are written to tmpfs and freed, so what the run allocates
# next is memory the hypervisor already backs, alike for all three.
warm() { dd if=/dev/zero of=/dev/shm/nwbench-warm.$$ bs=1M count=128 2>/dev/null; rm -f /dev/shm/nwbench-warm.$$; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$BIN/notewell" --store "$W/host" init --url "https://127.0.0.1:$PORT" >/dev/null 2>&1
# serve refuses to run as root: as root, it becomes nobody once listening,
# which must reach the store.
SERVE_AS=; if [ "$(id -u)" = 0 ]; then SERVE_AS="--user nobody"; chmod 755 "$W"; fi
"$BIN/notewell" --store "$W/host" serve --listen "127.0.0.1:$PORT" --bench-sink $SERVE_AS >"$W/serve.log" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"
printf 'heartbeat_s = 3600\nsync_chunk_kb = %s\nretention_free_mb = 0\n' "$CHUNK" >"$W/box.conf"
"$BIN/notewelld" --board sim --data "$W/box" --config "$W/box.conf" >"$W/box.log" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
ctl() { "$BIN/notewellctl" --data "$W/box" "$@"; }
cc -O2 -o "$W/nwput" "$TOP/bench/nwput.c" $(pkg-config --cflags --libs libcurl)
until ctl status >/dev/null 2>&1 && grep -q listening "$W/serve.log"; do sleep 0.05; done
PIN=$(sed -n 's|.*pin sha256//\([^)]*\)).*|\1|p' "$W/serve.log")
code=$("$BIN/notewell" --store "$W/host" enroll --room Bench --png "$W/e.png" | sed -n 's/^setup code  //p')
ctl scan "$code" >/dev/null
until [ "$(sqlite3 "$W/host/host.db" 'SELECT count(*) FROM devices')" = 1 ]; do sleep 0.05; done
ctl sync >/dev/null; sleep 0.5

mkdir -p "$W/box/recordings"
# The end of a box sync is the host's log line for the manifest, read as it
# is written (a poller would take CPU from the processes being timed).
mkfifo "$W/log.fifo"
exec 3<>"$W/log.fifo"
tail -n 0 -f "$W/serve.log" >&3 &
PIDS="$PIDS $!"
echo "upload of $MB MB over loopback TLS, box segments of $CHUNK KiB, median of $RUNS"
: >"$W/box.t"; : >"$W/nwput.t"; : >"$W/curl.t"
hsql() { sqlite3 -cmd ".timeout 5000" "$W/host/host.db" "$@"; }
for i in $(seq "$RUNS"); do
	f=rec$i.opus
	head -c $((MB * 1000000)) /dev/urandom >"$W/box/recordings/$f"
	sha=$(sha256sum "$W/box/recordings/$f" | cut -d' ' -f1)
	# The recorder's prefix digests (recorder.h), as notewelld stores them.
	prefixes=$(python3 -c "
import hashlib, sys
h = hashlib.sha256(); out = []
with open(sys.argv[1], 'rb') as f:
    while True:
        b = f.read(65536)
        if len(b) < 65536: break
        h.update(b); out.append(h.copy().hexdigest())
print(''.join(out))" "$W/box/recordings/$f")
	ctl session start --uid "bench-$i" >/dev/null
	# The recording is still being made while the session runs: a finished
	# one would go with the round the session start nudged (GATHER_MS
	# later), before the clock starts. It finishes as the session stops.
	sqlite3 -cmd ".timeout 5000" "$W/box/journal.db" "INSERT INTO recordings(session_id, path,
		state, sha256, bytes, duration_ns, start_boot, start_mono_ns, start_wall_ns,
		start_synced, prefix_every, prefix_sha256) VALUES ((SELECT id FROM sessions WHERE
		uid = 'bench-$i'), 'recordings/$f', 'recording', '$sha', $((MB * 1000000)),
		7200000000000, 'b', 1, 1, 0, 65536, X'$prefixes')"
	# Whatever the session start sent is done; the file is on disk. The
	# recording is marked finished from outside the daemon, which nudges
	# no one: it goes with the round the session's end starts.
	sync; sleep 0.5
	sqlite3 -cmd ".timeout 5000" "$W/box/journal.db" \
		"UPDATE recordings SET state = 'finished' WHERE path = 'recordings/$f'"
	sleep 0.2
	warm
	# Timed from the session's end (ctl session stop: the daemon closes the
	# session and kicks the worker) to the host holding its verified
	# manifest: records, the recording, finish, the manifest.
	t0=$(now)
	ctl session stop >/dev/null
	while read -r line <&3; do
		case $line in *"manifest for session bench-$i verified"*) break ;; esac
	done
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$W/box.t"
	[ "$(hsql "SELECT sha256 FROM recordings WHERE session_uid = 'bench-$i'")" = "$sha" ] ||
		{ echo "bench: the host holds another hash for run $i" >&2; exit 1; }
	sync; sleep 0.2
	warm
	# The same bytes, same server, one PUT to the sink.
	t0=$(now)
	"$W/nwput" "https://127.0.0.1:$PORT/bench/sink" "$W/box/recordings/$f" "$PIN"
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$W/nwput.t"
	sync; sleep 0.2
	warm
	t0=$(now)
	curl -sk -o /dev/null -H 'Expect:' -T "$W/box/recordings/$f" "https://127.0.0.1:$PORT/bench/sink"
	t1=$(now)
	echo $(((t1 - t0) / 1000000)) >>"$W/curl.t"
done
b=$(median <"$W/box.t")
n=$(median <"$W/nwput.t")
c=$(median <"$W/curl.t")
echo "box sync:  $b ms   (runs: $(tr '\n' ' ' <"$W/box.t"))"
echo "nwput PUT: $n ms   (runs: $(tr '\n' ' ' <"$W/nwput.t")) libcurl+GnuTLS, as the box"
echo "curl PUT:  $c ms   (runs: $(tr '\n' ' ' <"$W/curl.t")) curl program, OpenSSL"
awk -v b="$b" -v n="$n" -v c="$c" 'BEGIN { r = b / n;
	printf "ratio:     %.2f x curl (target <= 1.25) %s;  %.2f x nwput\n", b / c,
	    b / c <= 1.25 ? "OK" : "OVER", r }'
