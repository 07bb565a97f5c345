#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every libFuzzer target in build-fuzz/ for $1 seconds each or, without
# $1, for an equal share of what is left of FUZZ_TOTAL_SECONDS (default 100),
# so that the whole run, start-ups and replays included, takes about that.
# Each starts from its seed corpus in tests/fuzz/corpus/<target>/ when there
# is one. A target that crashes, leaks or times out fails; its work
# directory (with the input) is kept: fix the bug, then add the input to the
# target's corpus so that every later run replays it.
set -u
cd "$(dirname "$0")/../.."
bins=()
for bin in build-fuzz/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] && bins+=("$bin")
done
if [ ${#bins[@]} -eq 0 ]; then
	echo "FAIL no fuzz targets in build-fuzz/ (run 'make fuzz')"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
budget=${FUZZ_TOTAL_SECONDS:-100}
pass=0
fail=0
for i in "${!bins[@]}"; do
	bin=${bins[$i]}
	name=$(basename "$bin")
	# A run takes a second or two more than it is told (start, leak check).
	secs=${1:-$(((budget - SECONDS) / (${#bins[@]} - i) - 2))}
	[ "$secs" -ge 1 ] || secs=1
	work=$(mktemp -d /tmp/ferry-fuzz-XXXXXX)
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		echo "ok   $name ($(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$work.log" | grep -Eo '[0-9]+' || echo '?') runs in ${secs}s)"
		pass=$((pass + 1))
		rm -rf "$work" "$work.log"
	else
		echo "FAIL $name (input and log kept in $work, $work.log)"
		tail -n 40 "$work.log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
