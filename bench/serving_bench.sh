#!/bin/bash
# SPDX-License-Identifier: MIT
# Serving benchmark (issue 5). Three models behind `ferry models serve`:
#   xgboost  a 100-tree, depth-6, 20-feature XGBoost classifier (trained here
#            by tests/tools/make_xgb_model), served natively
#   sk-rf    an sklearn RandomForestClassifier of the same size (100 trees,
#            depth 6, 20 features), through the Python worker pool
#   sk-lr    an sklearn LogisticRegression on the same 20 features: the
#            worker path's own overhead, the model costing next to nothing
# For each: model load, start-to-ready (median of 5), and wrk -t2 -c64
# against /invocations with 1-row and 100-row dataframe_split bodies. MLflow's
# own scoring server is measured the same way when `mlflow` is importable
# by /usr/bin/python3 (it is not on Debian; the line says so).
#
#   make bench && bench/serving_bench.sh [--duration 5] [--ferry build/ferry]
#
# Targets on this 2-core machine (native flavors): >= 15,000 req/s with
# 1 row, p99 <= 5 ms; model load <= 50 ms; serve start to ready <= 100 ms.
set -euo pipefail
DUR=5
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DUR=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL=$(dirname "$FERRY")/tools/make_xgb_model
[ -x "$FERRY" ] && [ -x "$TOOL" ] || { echo "run make bench first" >&2; exit 2; }
TMP=$(mktemp -d /tmp/ferry-serving-bench-XXXXXX)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
"$TOOL" "$TMP/xgboost" binary 2000 20 >/dev/null
/usr/bin/python3 - "$TMP" <<'PY'
import json, os, pickle, sys
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
d = sys.argv[1]
e = json.load(open(d + "/xgboost/expected.json"))
for n in (1, 100):
    rows = [e["data"][i % len(e["data"])] for i in range(n)]
    json.dump({"dataframe_split": {"columns": e["columns"], "data": rows}},
              open("%s/body%d.json" % (d, n), "w"))
rng = np.random.default_rng(0)
x = rng.random((2000, 20))
y = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0.2).astype(int)
inputs = ", ".join('{"type": "double", "name": "%s", "required": true}' % c for c in e["columns"])
for name, model in (("sk-rf", RandomForestClassifier(n_estimators=100, max_depth=6, random_state=0)),
                    ("sk-lr", LogisticRegression(max_iter=500))):
    os.makedirs("%s/%s" % (d, name))
    pickle.dump(model.fit(x, y), open("%s/%s/model.pkl" % (d, name), "wb"))
    open("%s/%s/MLmodel" % (d, name), "w").write(
        "flavors:\n  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n"
        "  sklearn: {pickled_model: model.pkl, serialization_format: pickle}\n"
        "signature:\n  inputs: '[%s]'\n" % inputs)
PY

echo "machine: $(nproc) cpus, $(uname -r), $(date -u +%FT%TZ)"
printf '%-56s %16s %s\n' "figure" "value" "target"

# bench NAME: start-to-ready (median of 5), load time, then wrk with 1 and
# 100 rows. Native targets are printed on the xgboost lines only.
bench() {
	local name=$1 starts=() i t0 t1 URL
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$FERRY" models serve -m "$TMP/$name" --port 0 >"$TMP/out" 2>"$TMP/err" &
		PID=$!
		until grep -q listening "$TMP/out" 2>/dev/null; do
			kill -0 $PID 2>/dev/null || { cat "$TMP/err" >&2; exit 1; }
			sleep 0.002
		done
		URL=$(grep -o 'http://[0-9.:]*' "$TMP/out")
		until curl -sf "$URL/ping" >/dev/null; do sleep 0.002; done
		t1=$(date +%s%N)
		starts+=($(((t1 - t0) / 1000)))
		[ $i -lt 5 ] && { kill $PID; wait $PID || true; }
	done
	local load_ms start_us native=
	[ "$name" = xgboost ] && native=1
	load_ms=$(grep -o 'loaded in [0-9]* ms' "$TMP/err" | grep -o '[0-9]*')
	start_us=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 3p)
	printf '%-56s %13s ms %s\n' "$name: model load (as the server logs it)" "$load_ms" "${native:+<= 50}"
	printf '%-56s %13.1f ms %s\n' "$name: serve start to first /ping 200, median of 5" \
		"$(echo "$start_us / 1000" | bc -l)" "${native:+<= 100}"
	for n in 1 100; do
		out=$(BODY_FILE="$TMP/body$n.json" wrk -t2 -c64 -d"${DUR}s" -s "$ROOT/bench/wrk/invocations.lua" "$URL")
		rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
		p50=$(echo "$out" | awk '/^p50_ms/ {print $2}')
		p99=$(echo "$out" | awk '/^p99_ms/ {print $2}')
		bad=$(echo "$out" | awk '/^non200/ {print $2}')
		[ "$bad" = 0 ] || { echo "$name: non-200 answers: $bad" >&2; exit 1; }
		printf '%-56s %16s %s\n' "$name: wrk -c64, $n-row body: requests/s" "$rps" \
			"$([ -n "$native" ] && [ $n = 1 ] && echo '>= 15000')"
		printf '%-56s %13s ms %s\n' "$name: wrk -c64, $n-row body: p50 / p99" "$p50 / $p99" \
			"$([ -n "$native" ] && [ $n = 1 ] && echo 'p99 <= 5')"
	done
	kill $PID
	wait $PID || true
	PID=
}

bench xgboost
bench sk-rf
bench sk-lr
if /usr/bin/python3 -c 'import mlflow' 2>/dev/null; then
	echo "mlflow is importable: compare with 'mlflow models serve -m $TMP/sk-rf --env-manager local'"
else
	echo "MLflow's scoring server: not installed here (not in Debian's registry); no comparison"
fi
