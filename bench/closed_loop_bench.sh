#!/bin/bash
# SPDX-License-Identifier: MIT
# Time from a drift's onset to the new model at 100 % (issue 21), broken down by stage: runs
# examples/closed_loop/run.sh RUNS times (default 3, at most 10), each on a fresh store, and
# prints per stage the seconds from the drift's onset in each run and their median: the decay
# alert opened, the trigger fired, the pipeline started, the gate passed, the version
# registered, each rollout step, promoted (the new champion at 100 %), and round 2's gate
# failure. The example is time-compressed (monitor every 1 s over 4 s windows, labels 2 s late,
# 400 labeled rows collected at 50 requests/s, rollout steps of at least 1 s): the figures are
# that loop's own latencies, not a production schedule's.
#
#   make && bench/closed_loop_bench.sh [--runs N] [--ferry build/ferry]
set -euo pipefail
RUNS=3
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--runs)
		RUNS=$2
		shift 2
		;;
	--ferry)
		FERRY=$2
		shift 2
		;;
	*)
		echo "usage: $0 [--runs N] [--ferry PATH]" >&2
		exit 2
		;;
	esac
done
if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 10 ]; then
	echo "$0: --runs must be 1..10" >&2
	exit 2
fi
cd "$(dirname "$0")/.."
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TMP=$(mktemp -d /tmp/ferry-closed-loop-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

for i in $(seq "$RUNS"); do
	echo "run $i of $RUNS ..." >&2
	t0=$(date +%s)
	if ! FERRY=$FERRY examples/closed_loop/run.sh --summary "$TMP/summary.$i.json" \
		>"$TMP/run.$i.out" 2>&1; then
		echo "run $i failed:" >&2
		tail -n 30 "$TMP/run.$i.out" >&2
		exit 1
	fi
	echo "run $i: $(($(date +%s) - t0)) s" >&2
done

"$PY" - "$TMP" "$RUNS" <<'EOF'
import json, os, statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
sums = [json.load(open(os.path.join(tmp, "summary.%d.json" % (i + 1)))) for i in range(runs)]
stages = []
for s in sums:
    for k in s["seconds_from_onset"]:
        if k not in stages:
            stages.append(k)
stages.sort(key=lambda k: statistics.median(
    s["seconds_from_onset"][k] for s in sums if k in s["seconds_from_onset"]))
print("seconds from the drift's onset (%d runs; median, then each run)" % runs)
def line(name, vals):
    got = [v for v in vals if v is not None]
    med = "%8.2f" % statistics.median(got) if got else "       -"
    print("%-24s %s   %s" % (name, med, "  ".join("%7.2f" % v if v is not None else "      -"
                                                    for v in vals)))
for k in stages:
    line(k, [s["seconds_from_onset"].get(k) for s in sums])
steps = []
for s in sums:
    for k in s.get("round1_steps", {}):
        if k not in steps:
            steps.append(k)
print("round 1's pipeline steps (each step's end; median, then each run)")
for k in steps:
    line("  step " + k, [s.get("round1_steps", {}).get(k, [None, None])[1] for s in sums])
line("round2 gate_failed", [s["round2"].get("gate_failed") for s in sums])
print("%-24s %8.1f   %s" % ("whole example (wall s)", statistics.median(s["wall_seconds"] for s in sums),
                              "  ".join("%7.1f" % s["wall_seconds"] for s in sums)))
print("requests per run: %s; labels: %s; gateway errors: %s" % (
    [s["requests"] for s in sums], [s["labeled"] for s in sums], [s["errors"] for s in sums]))
EOF
