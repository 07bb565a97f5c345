#!/bin/bash
# SPDX-License-Identifier: MIT
# Prediction log benchmark (issue 17), in one run:
#  1. logging cost at the gateway: one `ferry serve` on one store file serving two
#     deployments of the same registered XGBoost version (100-tree depth-6,
#     20 features, build/tools/make_xgb_model): "off" logs nothing (log:
#     {sample: 0}), "on" logs every request (sample 1). wrk -t2 -c64, 1-row
#     dataframe_split bodies; rounds interleave off and on (off,on then on,off
#     ...) and wait for the log's queue to drain between runs, so each run pays
#     for its own logging only. Medians, and on/off. Target: on >= 85% of off.
#     Also the rows logged and dropped (/metrics) and the bytes per logged row
#     (the log's files over its rows).
#  2. storage, through build/bench/prediction_log_bench on a fresh store: 1,000,000
#     logged rows over one day, labeled; the performance table of the day from the
#     hourly aggregates (target <= 200 ms) and exactly from the raw rows, AUC
#     included (target <= 2 s), over REST; feedback ingest over REST in batches of
#     1,000 (target >= 100,000 labels/s). See that program's header.
#
#   make bench && bench/prediction_log_bench.sh [--duration 5] [--rounds 3] [--rows 1000000]
#                                               [--ferry build/ferry]
#
# Everything binds 127.0.0.1 on ports the servers pick (--port 0); every wait
# is bounded; servers, wrk and the temp dir are cleaned up on exit.
set -euo pipefail
DUR=5
ROUNDS=3
ROWS=1000000
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DUR=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--rows) ROWS=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--rounds N] [--rows N] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "--rounds: 1..20" >&2; exit 2; }
[ "$DUR" -ge 1 ] && [ "$DUR" -le 120 ] || { echo "--duration: 1..120 s" >&2; exit 2; }
[ "$ROWS" -ge 1000 ] && [ "$ROWS" -le 20000000 ] && [ $((ROWS % 1000)) = 0 ] ||
	{ echo "--rows: a multiple of 1000 in 1000..20000000" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL=$(dirname "$FERRY")/tools/make_xgb_model
STORE_BENCH=$(dirname "$FERRY")/bench/prediction_log_bench
LUA=$ROOT/bench/wrk/invocations.lua
[ -x "$FERRY" ] && [ -x "$TOOL" ] && [ -x "$STORE_BENCH" ] || { echo "run make bench first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps)" >&2; exit 2; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
. "$ROOT/bench/lib.sh"
bench_init plog-bench
STORE=sqlite:///$TMP/store.db

metric() { # URL NAME: the sum of a /metrics counter over its labels
	curl -sf "$1/metrics" | awk -v k="$2" '$1 == k || index($1, k "{") == 1 {s += $NF} END {printf "%d", s}'
}

echo "machine: $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

# --- the model, registered through a short-lived server ---
"$TOOL" "$TMP/xgb1" binary 2000 20 >/dev/null
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
e = json.load(open(d + "/xgb1/expected.json"))
json.dump({"dataframe_split": {"columns": e["columns"], "data": e["data"][:1]}},
          open(d + "/body1.json", "w"))
PY
start setup "$FERRY" server --host 127.0.0.1 --port 0 --quiet --backend-store-uri "$STORE" \
	--no-serve-artifacts --default-artifact-root "$TMP/artifacts"
SETUP_PID=${PIDS[-1]}
rid=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"experiment_id":"0"}' \
	"$URL/api/2.0/mlflow/runs/create" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["run_id"])')
"$FERRY" --tracking-uri "$URL" models log "$TMP/xgb1" --run-id "$rid" >/dev/null
for v in 1 2; do # versions 1 and 2 of "plog": the same files
	"$FERRY" --tracking-uri "$URL" models register "runs:/$rid/model" --name plog >/dev/null
done
stop "$SETUP_PID"
for d in off on; do
	[ $d = off ] && s=0 || s=1
	printf 'name: %s\ntargets: [{model: "models:/plog/1", weight: 100}]\nlog: {sample: %s}\n' \
		"$d" "$s" >"$TMP/$d.yaml"
	"$FERRY" --tracking-uri "$STORE" deployments apply -f "$TMP/$d.yaml" --no-check >/dev/null
done
printf 'name: perf\ntargets: [{model: "models:/plog/1", weight: 90}, {model: "models:/plog/2", weight: 10}]\ntask: classification\npositive_label: 1\n' >"$TMP/perf.yaml"
"$FERRY" --tracking-uri "$STORE" deployments apply -f "$TMP/perf.yaml" --no-check >/dev/null

# --- 1. logging on against off, one gateway ---
start gateway "$FERRY" --tracking-uri "$STORE" serve --host 127.0.0.1 --port 0 --deployments off,on
GW_PID=${PIDS[-1]}
GW=$URL
for i in $(seq 600); do
	curl -sf "$GW/endpoints" | grep -q '"name":"on".*"loaded":true' &&
		curl -sf "$GW/endpoints" | grep -q '"name":"off".*"loaded":true' && break
	sleep 0.05
done
wrk_run() { # NAME SECONDS: wrk -t2 -c64 against the deployment, its output on stdout
	BODY_FILE="$TMP/body1.json" INVOCATIONS_PATH=/endpoints/$1/invocations \
		wrk -t2 -c64 -d"$2s" -s "$LUA" "$GW"
}
drain() { # waits (at most 30 s) until the logged count stops moving
	local a b i
	a=$(metric "$GW" ferry_gateway_predictions_logged_total)
	for i in $(seq 300); do
		sleep 0.1
		b=$(metric "$GW" ferry_gateway_predictions_logged_total)
		[ "$a" = "$b" ] && return 0
		a=$b
	done
}
wrk_run off 1 >/dev/null
wrk_run on 1 >/dev/null
drain
OFF=() ON=() RATIO=()
measure() { # off|on
	local out bad sock
	out=$(wrk_run "$1" "$DUR")
	bad=$(echo "$out" | field non200)
	sock=$(echo "$out" | field sockerr)
	[ "$bad" = 0 ] && [ "$sock" = 0 ] || { echo "$1: $bad non-200 answers, $sock socket errors" >&2; exit 1; }
	local rps
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	[ "$1" = off ] && OFF+=("$rps") || ON+=("$rps")
	drain
}
LOGGED0=$(metric "$GW" ferry_gateway_predictions_logged_total)
DROPPED0=$(metric "$GW" ferry_gateway_predictions_dropped_total)
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then measure off; measure on; else measure on; measure off; fi
	RATIO+=("$(awk -v a="${OFF[-1]}" -v b="${ON[-1]}" 'BEGIN {printf "%.3f", b / a}')")
	printf 'round %d: off %s req/s   on %s req/s   on/off %s\n' "$r" "${OFF[-1]}" "${ON[-1]}" "${RATIO[-1]}"
done
LOGGED=$(($(metric "$GW" ferry_gateway_predictions_logged_total) - LOGGED0))
DROPPED=$(($(metric "$GW" ferry_gateway_predictions_dropped_total) - DROPPED0))
stop "$GW_PID"
LOGDIR="$TMP/store.db-predictions/on"
BYTES=$(du -sb "$LOGDIR" 2>/dev/null | cut -f1 || echo 0)
ALLROWS=$(/usr/bin/python3 -c 'import glob, sqlite3, sys
print(sum(sqlite3.connect(f).execute("SELECT count(*) FROM rows").fetchone()[0]
          for f in glob.glob(sys.argv[1] + "/*.db")))' "$LOGDIR")
echo "logging at the gateway: median off $(median "${OFF[@]}") req/s, on $(median "${ON[@]}") req/s," \
	"on/off median $(median "${RATIO[@]}") (target >= 0.85)"
echo "rows logged during the rounds: $LOGGED, dropped: $DROPPED; the log of 'on': $ALLROWS rows in" \
	"$BYTES bytes = $(awk -v b="$BYTES" -v n="$ALLROWS" 'BEGIN {printf "%.1f", n ? b / n : 0}') bytes/row" \
	"(20 input columns, a prediction and 2 probabilities each)"

# --- 2. storage figures: 1,000,000 rows ---
"$STORE_BENCH" --store "$STORE" --deployment perf --model plog --rows "$ROWS" --ferry "$FERRY"
