#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The web UI's browser tests (ui/test/, node's test runner, playwright-core
# driving Debian's Chromium) against the ferry binary in $1's build, ending
# with "ui: N passed, N failed" for tests/run. A failing test leaves a
# screenshot under $FERRY_UI_SHOTS (default /tmp/ferry-ui-shots).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build-san}
out=$(mktemp)
FERRY_BIN="$BUILD/ferry" node --test --test-concurrency=1 ui/test/ 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
pass=$(grep -Eo '^# pass [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
fail=$(grep -Eo '^# fail [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
rm -f "$out"
if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
	echo "ui: no test ran"
	fail=1
fi
echo "ui: $pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
