#!/bin/sh
# Abuse of the sync endpoint, each refused and bounded in memory and time:
# - slowloris: clients that trickle a TLS handshake a byte at a time get
#   at most 8 connections per address and lose them after the header
#   deadline (here 1 s), while a box elsewhere syncs all along;
# - a signed request whose body trickles in under 256 B/s is cut off and
#   stores nothing;
# - what is not TLS (plain HTTP, garbage) is dropped at once;
# - names that become file paths (a session uid, a recording name, the box
#   header, the URL) cannot leave the store.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sync_lib.sh"
H=$T_TMP/host
D=$T_TMP/box
ctl() { "$BIN/notewellctl" --data "$D" "$@"; }
hsql() { sqlite3 -cmd ".timeout 5000" "$H/host.db" "$@"; }

PORT=$(free_port)
URL=https://127.0.0.1:$PORT
host_init "$H" "$PORT"
# (Under the sanitizers, a small quarantine so freed memory is reused and
# the RSS check below means something, as in the soak.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4" \
	"$BIN/notewell" --store "$H" -v serve --listen "127.0.0.1:$PORT" --header-timeout 1 \
	$(serve_as) >>"$H.serve.log" 2>&1 &
H_PID=$!
T_PIDS="$T_PIDS $H_PID"
check "serve with a 1 s header deadline" wait_for 10 grep -q "listening on" "$H.serve.log"
printf 'room = Abuse\nheartbeat_s = 3600\nsync_retry_max_s = 1\n' >"$T_TMP/box.conf"
daemon_start "$D" --config "$T_TMP/box.conf"
ctl scan "$(enroll_code "$H" Abuse)" >/dev/null
check "a box enrolls" wait_for 20 sh -c "[ \"\$(sqlite3 '$H/host.db' 'SELECT count(*) FROM devices')\" = 1 ]"
RSS0=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$H_PID/status")

# Slowloris from 127.0.0.2 (all of 127/8 is this host): 20 connections,
# each trickling a TLS record header a byte every 0.25 s for up to 8 s.
python3 - "$PORT" >"$T_TMP/slow.out" <<'PY' &
import socket, sys, time, select
port = int(sys.argv[1])
socks, t0 = [], time.monotonic()
for i in range(20):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
        socks.append([s, time.monotonic(), None])
    except OSError:
        pass
payload = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(64)
k = 0
while time.monotonic() - t0 < 8 and any(x[2] is None for x in socks):
    for x in socks:
        if x[2] is not None:
            continue
        try:
            x[0].send(payload[k % len(payload):k % len(payload) + 1])
            r, _, _ = select.select([x[0]], [], [], 0)
            if r and not x[0].recv(4096):
                x[2] = time.monotonic() - x[1]
        except OSError:
            x[2] = time.monotonic() - x[1]
    k += 1
    time.sleep(0.25)
ends = [x[2] for x in socks]
print("refused", sum(1 for e in ends if e is not None and e < 0.5))
print("held", sum(1 for e in ends if e is None or e >= 0.5))
print("open", sum(1 for e in ends if e is None))
PY
SLOW=$!
sleep 0.5
# Meanwhile the box, from another address, gets its scans through.
ctl session start --uid abuse-1 >/dev/null
ctl scan ABUSE001 >/dev/null
check "the box syncs while the slow clients hold their connections" sync_now "$D" 10
wait "$SLOW"
check_eq "a slow address gets no more than 8 connections" 8 "$(sed -n 's/^held //p' "$T_TMP/slow.out")"
check_eq "the rest are turned away at once" 12 "$(sed -n 's/^refused //p' "$T_TMP/slow.out")"
# They trickled for 8 s, never idle: only the header deadline ends them.
check_eq "and the host closed every one of them while they trickled" 0 "$(sed -n 's/^open //p' "$T_TMP/slow.out")"
check "the host says why" grep -q "closing a connection that sent no request within 1 s" "$H.serve.log"

# Not TLS at all: plain HTTP, and garbage.
python3 - "$PORT" >"$T_TMP/bad.out" <<'PY'
import os, socket, sys
for name, data in (("http", b"GET /v1/schedule HTTP/1.1\r\nHost: x\r\n\r\n"),
                   ("garbage", os.urandom(65536))):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.settimeout(30)
    how = "closed"
    try:
        s.sendall(data)
        while s.recv(4096):
            pass
    except socket.timeout:
        how = "waiting"		# the host kept it open
    except OSError:
        pass
    print(name, how)
PY
check "plain HTTP on the TLS port is dropped by the host" grep -q '^http closed$' "$T_TMP/bad.out"
check "so is garbage" grep -q '^garbage closed$' "$T_TMP/bad.out"

# A hand-driven box with a key of its own, to send signed requests.
minisign -G -W -p "$T_TMP/evil.pub" -s "$T_TMP/evil.key" >/dev/null 2>&1
EVIL=e1e1e1e1e1e1e1e1
tok=$(enroll_code "$H" Room-E | sed 's/.*;t=\([0-9a-f]*\);.*/\1/')
printf '{"token":"%s","box":"%s","pubkey":"%s","name":"evil"}' "$tok" "$EVIL" \
	"$($CLIENT --pubkey-line "$T_TMP/evil.key")" >"$T_TMP/enroll.json"
check_eq "the hand-driven box enrolls" 200 "$(status_of "$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 1 POST /v1/enroll "$T_TMP/enroll.json")")"

# Its records body trickles in at 2 bytes a second: cut off, nothing stored.
now=$(date +%s%N)
printf '{"records":[{"kind":"scan","key":"5105105105105105105105105105105a","badge":"SLOW1","source":"manual","session":null,"notice_id":null,"notice_sha256":null,"at":{"boot":"00000000-0000-0000-0000-000000001234","mono_ns":5,"wall_ns":%s,"synced":true}}]}' \
	"$now" >"$T_TMP/rec.json"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 2 POST /v1/records "$T_TMP/rec.json" --trickle)
# (It would take 150 s to send; only the host can end it this early.)
check_eq "a body under 256 B/s is cut off by the host" 000 "$(status_of "$r")"
check "the host says why" grep -q "closing a connection whose request moved under 256 B/s for 3 s" "$H.serve.log"
check_eq "and stored nothing" 0 "$(hsql "SELECT count(*) FROM scans WHERE badge_id = 'SLOW1'")"

# Names that become paths. A recording (a real one: its bytes match its
# name) finished under a session uid that climbs out of the store.
head -c 20000 /dev/urandom >"$T_TMP/chunk"
sha=$(sha256sum "$T_TMP/chunk" | cut -d' ' -f1)
check_eq "its bytes are taken" 200 "$(status_of "$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 3 PUT "/v1/recordings/$sha/data/0" "$T_TMP/chunk")")"
printf '{"key":"rec-1","session":"../../../../../tmp/nw-escape-%s","name":"x.opus","bytes":20000,"duration_ns":1,"notice_id":null,"notice_sha256":null,"start":{"boot":"b","mono_ns":1,"wall_ns":1,"synced":true}}' \
	"$$" >"$T_TMP/fin.json"
check_eq "a finish under a session uid with ../ is stored" 200 "$(status_of "$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 4 POST "/v1/recordings/$sha/finish" "$T_TMP/fin.json")")"
rel=$(hsql "SELECT path FROM recordings WHERE device_id = '$EVIL'")
check "under a safe name inside the store" sh -c "echo '$rel' | grep -Eq '^boxes/$EVIL/s-[0-9a-f]{32}/$sha\.opus\$' && test -f '$H/$rel'"
check_eq "and nothing outside it" "" "$(ls -d /tmp/nw-escape-$$* 2>/dev/null)"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 5 GET "/v1/recordings/../../../../etc/passwd")
check_eq "a URL that climbs is refused" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" "../$EVIL" 6 GET /v1/schedule)
check_eq "so is a box header that is not a box id" 401 "$(status_of "$r")"
r=$($CLIENT "$URL" "$T_TMP/evil.key" $EVIL 7 PUT "/v1/recordings/..%2f..%2fx/data/0" "$T_TMP/chunk")
check_eq "and a recording name that is not a SHA-256" 401 "$(status_of "$r")"

# All of that cost the host little memory and it still serves.
RSS1=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$H_PID/status")
# (64 connections of at most 128 KiB each, and TLS state: well under 64 MB.)
check "the host grew under 64 MB through all of it ($RSS0 -> $RSS1 kB)" test $((RSS1 - RSS0)) -lt 65536
ctl scan ABUSE002 >/dev/null
check "and the box still syncs" sync_now "$D" 10
kill "$D_PID"; wait "$D_PID" 2>/dev/null
host_stop
t_done
