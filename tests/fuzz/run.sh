#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target in build-fuzz/ for $1 seconds (default 10), each
# from its seed corpus in tests/fuzz/corpus/<target>/ when there is one. A
# target that crashes, leaks or times out fails.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-10}
pass=0
fail=0
for bin in build-fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$(mktemp -d /tmp/ferry-fuzz-XXXXXX)
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		echo "ok   $name ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$work.log" | grep -Eo '[0-9]+' || echo '?') runs)"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		tail -n 40 "$work.log"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
if [ $((pass + fail)) -eq 0 ]; then
	echo "FAIL no fuzz targets in build-fuzz/ (run 'make fuzz')"
	fail=1
fi
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
