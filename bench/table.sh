#!/bin/sh
# `make bench`: runs every benchmark, collects their key=value results in
# $O/bench-results/all.kv and rewrites the marked regions of bench/README.md
# (the summary table, and the recording detail tables).
#
#   BENCH_SKIP="boot sync"   leave benches out (rec scan sync publish boot);
#                            their rows say so. boot runs QEMU: skip it
#                            whenever another guest may be running.
#   REPS, ISECS              see bench/run.sh; BENCH_SCANS: scans to time;
#   SYNC_MB, SYNC_RUNS       size and runs of bench/sync_upload.sh.
#   TABLE_ONLY=1             no runs: the table again from the last results.
set -eu
O=${O:-build}
R=$O/bench-results
KV=$R/all.kv
SKIP=" $(echo "${BENCH_SKIP:-}" | tr ',' ' ') "
mkdir -p "$R"
# TABLE_ONLY=1: redraw the table from the last run's results.
if [ -z "${TABLE_ONLY:-}" ]; then
: >"$KV"

skipped() { case $SKIP in *" $1 "*) return 0 ;; esac; return 1; }
note() { echo "bench: $*" >&2; }

# --- recording: CPU, instructions, RSS (bench/run.sh)
if skipped rec; then
	echo "skip_rec=1" >>"$KV"
else
	note "recording (bench/run.sh)"
	O=$O ARM=${ARM:-} bench/run.sh >"$R/rec.log"
	cat "$O/bench-data/rec.kv" >>"$KV"
fi

# --- scan-to-durable latency vs a bare SQLite commit (bench/scan_latency.c)
if skipped scan; then
	echo "skip_scan=1" >>"$KV"
else
	note "scan-to-durable (bench/scan_latency, ${BENCH_SCANS:-10000} scans)"
	rm -rf "$O/bench-scan" && mkdir -p "$O/bench-scan"
	"$O/bench/scan_latency" "$O/bench-scan" "${BENCH_SCANS:-10000}" >"$R/scan.log"
	awk 'NF == 2 { print "scan_" $1 "=" $2 }' "$R/scan.log" >>"$KV"
	rm -rf "$O/bench-scan"
fi

# --- sync upload vs curl (bench/sync_upload.sh, owned by the sync work:
# called as is, its output parsed)
if skipped sync; then
	echo "skip_sync=1" >>"$KV"
else
	note "sync upload (bench/sync_upload.sh)"
	set --
	[ -z "${SYNC_MB:-}${SYNC_RUNS:-}" ] || set -- "${SYNC_MB:-30}" "${SYNC_RUNS:-3}"
	if O=$O sh bench/sync_upload.sh "$@" >"$R/sync.log" 2>&1; then
		sed -n 's/^box sync: *\([0-9.]*\) ms.*/sync_box_ms=\1/p; s/^curl PUT: *\([0-9.]*\) ms.*/sync_curl_ms=\1/p; s/^nwput PUT: *\([0-9.]*\) ms.*/sync_nwput_ms=\1/p; s/^upload of \([0-9]*\) MB.*/sync_mb=\1/p' \
		    "$R/sync.log" >>"$KV"
	else
		echo "sync_failed=1" >>"$KV"
	fi
fi

# --- publish at 1x, 2x, 4x a full meeting (bench/host_publish.sh)
if skipped publish; then
	echo "skip_publish=1" >>"$KV"
else
	note "publish (bench/host_publish.sh)"
	O=$O sh bench/host_publish.sh >"$R/publish.log" 2>&1 || echo "publish_failed=1" >>"$KV"
	sed -n 's/^scale \([0-9]*\)x: .*publish \([0-9.]*\) s, \([0-9]*\) files.*/publish_\1x_s=\2\npublish_\1x_files=\3/p' \
	    "$R/publish.log" >>"$KV"
	sed -n 's/^scale \([0-9]*\)x: .*, cpu \([0-9.]*\) s.*/publish_\1x_cpu=\2/p' "$R/publish.log" >>"$KV"
fi

# --- emulated boot-to-ready (bench/boot.sh: QEMU, one guest at a time)
if skipped boot; then
	echo "skip_boot=1" >>"$KV"
else
	note "boot (make image; bench/boot.sh)"
	if ${MAKE:-make} --no-print-directory O="$O" image >"$R/image.log" 2>&1; then
		O=$O IMG=${IMG:-build-image} sh bench/boot.sh >>"$KV"
	else
		echo "boot_failed=1" >>"$KV"
	fi
fi
fi

# --- the table
{
	echo "Run: $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ($(nproc) CPUs, shared)${BENCH_SKIP:+; BENCH_SKIP=$BENCH_SKIP}."
	echo
	echo "| figure | ours | baseline (same run) | ratio | target | result |"
	echo "|---|---|---|---|---|---|"
	awk -F= '{ v[$1] = $2 } END {
		skip = "not run (BENCH_SKIP)"
		# row(figure, ours, baseline, ratio, target, pass)
		#  pass: 1 pass, 0 fail, -1 no verdict
		#
		# Recording, at the default setting (VOIP, complexity 5).
		if (v["skip_rec"]) {
			row("encoding CPU per audio second vs floor", skip, "", "", "≤ 1.10×", -1)
			row("encoding CPU per audio second vs opusenc", skip, "", "", "≤ 1.0×", -1)
			row("peak RSS while recording", skip, "", "", "< 16 MB", -1)
		} else {
			n = v["rec_voip_c5_nwrec_ms_per_s"]; f = v["rec_voip_c5_floor_ms_per_s"]
			o = v["rec_voip_c5_opusenc_ms_per_s"]
			row("encoding CPU per audio second vs floor (VOIP c5, x86)", n " ms/s", "floor " f " ms/s",
			    x(n / f), "≤ 1.10×", n / f <= 1.10)
			row("encoding CPU per audio second vs opusenc (VOIP c5, x86)", n " ms/s", "opusenc " o " ms/s",
			    x(n / o), "≤ 1.0×", n / o <= 1.0)
			if ("rec_arm64_voip_c5_ratio" in v)
				row("encoding CPU vs floor, arm64 build under qemu-user (VOIP c5)",
				    v["rec_arm64_voip_c5_nwrec_cpu_s"] " s", "floor " v["rec_arm64_voip_c5_floor_cpu_s"] " s",
				    x(v["rec_arm64_voip_c5_ratio"]), "≤ 1.10×", v["rec_arm64_voip_c5_ratio"] <= 1.10)
			r = v["rec_voip_c5_nwrec_rss_kb"] / 1024; rf = v["rec_voip_c5_floor_rss_kb"] / 1024
			row("peak RSS while recording", sprintf("%.1f MB", r), sprintf("floor %.1f MB", rf),
			    x(r / rf), "< 16 MB", r < 16)
		}
		# Scans.
		if (v["skip_scan"]) {
			row("scan-to-durable p50", skip, "", "", "≤ 1.2×", -1)
			row("scan-to-durable p99", skip, "", "", "≤ 1.2×", -1)
		} else {
			for (i = 0; i < 2; i++) {
				p = i ? "p99" : "p50"
				a = v["scan_ours_" p "_us"]; b = v["scan_bare_" p "_us"]
				row("scan-to-durable " p " (" v["scan_scans"] " scans)", us(a), "bare SQLite commit " us(b),
				    x(a / b), "≤ 1.2×", a / b <= 1.2)
			}
		}
		# Sync.
		if (v["skip_sync"])
			row("sync upload", skip, "", "", "≤ 1.25×", -1)
		else if (v["sync_failed"] || v["sync_box_ms"] == "" || v["sync_curl_ms"] == "")
			row("sync upload", "bench/sync_upload.sh failed or changed its output: see bench-results/sync.log", "", "", "≤ 1.25×", 0)
		else
		{
			row("sync upload of " v["sync_mb"] " MB over loopback TLS (median)", v["sync_box_ms"] " ms",
			    "curl PUT (OpenSSL) " v["sync_curl_ms"] " ms", x(v["sync_box_ms"] / v["sync_curl_ms"]), "≤ 1.25×",
			    v["sync_box_ms"] / v["sync_curl_ms"] <= 1.25)
			# The same PUT through the box libcurl + GnuTLS: what
			# the protocol costs, without the difference between TLS libraries.
			if (v["sync_nwput_ms"] != "")
				row("sync upload vs one PUT through the box libcurl/GnuTLS", v["sync_box_ms"] " ms",
				    "nwput PUT " v["sync_nwput_ms"] " ms", x(v["sync_box_ms"] / v["sync_nwput_ms"]), "≤ 1.25×",
				    v["sync_box_ms"] / v["sync_nwput_ms"] <= 1.25)
		}
		# Publish: baseline for k× is k times the 1× time.
		if (v["skip_publish"])
			row("publish 1×/2×/4× meeting", skip, "", "", "linear", -1)
		else if (v["publish_failed"] || v["publish_1x_s"] == "")
			row("publish", "bench/host_publish.sh failed: see bench-results/publish.log", "", "", "linear", 0)
		else {
			t1 = v["publish_1x_s"]
			row("publish 1× meeting (400 sessions, 40,000 scans; median of 3, CPU " v["publish_1x_cpu"] " s)",
			    sprintf("%.2f s", t1), "–", "–", "linear", -1)
			for (k = 2; k <= 4; k *= 2)
				if (("publish_" k "x_s") in v) {
					t = v["publish_" k "x_s"]
					row("publish " k "× meeting (CPU " v["publish_" k "x_cpu"] " s)", sprintf("%.2f s", t),
					    k "× the 1× time: " sprintf("%.2f s", k * t1),
					    x(t / (k * t1)), "linear: ≤ 1.2× of " k "× the 1× time", t / (k * t1) <= 1.2)
				}
		}
		# Boot.
		if (v["skip_boot"])
			row("emulated boot-to-ready (QEMU aarch64, TCG)", skip, "", "", "< 30 s", -1)
		else if (v["boot_failed"] || v["boot_screenqr_ready_s"] == "")
			row("emulated boot-to-ready (QEMU aarch64, TCG)", "image or harness failed: see bench-results/image.log, bench-boot.log", "", "", "< 30 s", 0)
		else
			row("emulated boot-to-ready, notewelld answering (QEMU aarch64, TCG; guest uptime)",
			    v["boot_screenqr_ready_s"] " s", "kernel to init " v["boot_screenqr_init_s"] " s",
			    x(v["boot_screenqr_ready_s"] / v["boot_screenqr_init_s"]), "< 30 s",
			    v["boot_screenqr_ready_s"] < 30)
	}
	function x(r) { return sprintf("%.2f×", r) }
	function us(t) { return t >= 1000 ? sprintf("%.2f ms", t / 1000) : sprintf("%.0f µs", t) }
	function row(fig, ours, base, ratio, target, pass) {
		printf "| %s | %s | %s | %s | %s | %s |\n", fig, ours, base, ratio, target,
		    pass < 0 ? "–" : pass ? "pass" : "**FAIL**"
	}' "$KV"
} >"$R/table.md"

# Splices FILE between <!-- NAME --> and <!-- /NAME --> in bench/README.md.
splice() {
	awk -v f="$2" -v m="$1" '
		$0 == "<!-- " m " -->" { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == "<!-- /" m " -->" { skip = 0 }
		!skip' bench/README.md >"$R/README.new"
	mv "$R/README.new" bench/README.md
}
splice table "$R/table.md"
skipped rec || splice results "$O/bench-data/results.md"
cat "$R/table.md"
