#!/bin/sh
# Runs tests/run-all over the sanitizer build ($SAN_O, made by san-build) and
# prints one TAP stream: every test of every suite under "san <suite>:", then
# one line per sanitizer report file. Called by `make san-tap`.
set -u
SAN_O=${SAN_O:-build-san}
LOGS=$SAN_O/test-logs
REPORTS=$SAN_O/san-reports
rm -rf "$LOGS" "$REPORTS"
mkdir -p "$REPORTS"
REPORTS=$(cd "$REPORTS" && pwd)

# Reports go to files as well as failing the process: a daemon that leaks
# on SIGTERM exits 23 where no test looks at its exit status.
# detect_leaks is the default on x86_64 Linux; said here so it stays on.
export ASAN_OPTIONS="detect_leaks=1:log_path=$REPORTS/asan:log_exe_name=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$REPORTS/ubsan:log_exe_name=1"

start=$(date +%s)
O=$SAN_O tests/run-all >"$SAN_O/run-all.out" 2>&1
sed 's/^/# /' "$SAN_O/run-all.out"

n=0
fail=0
for log in "$LOGS"/*.log; do
	[ -f "$log" ] || continue
	suite=$(basename "$log" .log | sed 's/_/\//')
	# Renumber: one plan-free stream; the suite name keeps lines apart.
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			n=$((n + 1))
			res=${line%%ok *}ok
			rest=${line#"$res"}
			rest=$(printf '%s' "$rest" | sed 's/^ *[0-9]* *-\{0,1\} *//')
			[ "$res" = "not ok" ] && fail=1
			echo "$res $n - san $suite: $rest" ;;
		esac
	done <"$log"
done
for r in "$REPORTS"/*; do
	[ -f "$r" ] || continue
	n=$((n + 1)); fail=1
	what=$(grep -m1 -E 'ERROR: |runtime error|SUMMARY' "$r" | sed 's/^==[0-9]*==//')
	echo "not ok $n - san report ${r##*/}: $what"
	head -40 "$r" | sed 's/^/# /'
done
echo "# san stage: $(($(date +%s) - start)) s for the runs"
[ "$n" -gt 0 ] || { echo "not ok 1 - san: no test ran"; exit 1; }
exit $fail
