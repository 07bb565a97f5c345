#!/bin/bash
# SPDX-License-Identifier: MIT
# Pipelines benchmark (issue 20), in one run:
#   step overhead  what ferry adds around an empty step (`run: "true"`, cache: false): a chain
#                  of CHAIN+1 such steps against a pipeline of one, (T(chain) - T(one)) / CHAIN,
#                  embedded (a SQLite file) and through a `ferry server` on loopback;
#                  target <= 50 ms per step
#   fan-out/in     start -> 500 empty steps -> end (502 steps, cache: false, --parallel 4):
#                  total wall time and per step, embedded and through the server
#   cached rerun   examples/fraud_pipeline run once, then run again unchanged: every step
#                  CACHED; target <= 1 s (the CLI's whole run: plan, project digest, lookups,
#                  output restores and digest checks, the CACHED runs)
#   lineage        the whole graph upstream of the last node of a generated graph of 10,000
#                  and 100,000 nodes (build/bench/lineage_bench, lineage-store's: the store's C
#                  API on a SQLite file; also downstream of a first node), then the same over
#                  REST (GET /api/2.0/ferry/lineage/graph, a `ferry server` on that file, one
#                  keep-alive connection); target <= 50 ms at 10,000
#
#   make && make bench && bench/pipeline_bench.sh [--runs N] [--chain N] [--fan N]
#                                                 [--ferry build/ferry] [--no-lineage]
#                                                 [--lineage-nodes "10000 100000"]
#
# Each figure is the median of RUNS (default 5) runs; the per-run values are printed too.
set -euo pipefail
RUNS=5
CHAIN=20
FAN=500
FERRY=build/ferry
LINEAGE=1
LNODES="10000 100000"
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--chain) CHAIN=$2; shift 2 ;;
	--fan) FAN=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	--no-lineage) LINEAGE=0; shift ;;
	--lineage-nodes) LNODES=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--chain N] [--fan N] [--ferry PATH] [--no-lineage] [--lineage-nodes \"N ...\"]" >&2; exit 2 ;;
	esac
done
[ -x "$FERRY" ] || { echo "no $FERRY: run make first" >&2; exit 2; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LBENCH=$(dirname "$FERRY")/bench/lineage_bench
if [ "$LINEAGE" = 1 ] && [ ! -x "$LBENCH" ]; then
	echo "no $LBENCH: run make bench first (or pass --no-lineage)" >&2
	exit 2
fi
. "$(dirname "$0")/lib.sh"
bench_init pipeline-bench
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
status_le() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo ok; else echo MISSED; fi; }
unset FERRY_ARTIFACTS_DESTINATION MLFLOW_TRACKING_URI FERRY_RUN_ID MLFLOW_RUN_ID
export FERRY_PYTHON=${FERRY_PYTHON:-/usr/bin/python3} PYTHONDONTWRITEBYTECODE=1

# the pipelines: one empty step; a chain of CHAIN+1; start -> FAN -> end
mkdir -p "$TMP/one" "$TMP/chain" "$TMP/fan"
printf 'name: one\nsteps:\n  s0: {run: "true", cache: false}\n' >"$TMP/one/pipeline.yaml"
{
	printf 'name: chain\nsteps:\n  s0: {run: "true", cache: false}\n'
	for i in $(seq "$CHAIN"); do
		printf '  s%d: {run: "true", cache: false, after: [s%d]}\n' "$i" $((i - 1))
	done
} >"$TMP/chain/pipeline.yaml"
{
	printf 'name: fan\nsteps:\n  start: {run: "true", cache: false}\n'
	for i in $(seq "$FAN"); do
		printf '  s%d: {run: "true", cache: false, after: [start]}\n' "$i"
	done
	printf '  end:\n    run: "true"\n    cache: false\n    after: ['
	seq -s, -f 's%g' "$FAN" | tr -d '\n'
	printf ']\n'
} >"$TMP/fan/pipeline.yaml"

SERVER_PID=
# store MODE: a fresh store (a SQLite file, or a server on one); sets URI
store() {
	[ -n "$SERVER_PID" ] && stop "$SERVER_PID" && SERVER_PID=
	rm -rf "$TMP/store"
	mkdir -p "$TMP/store"
	if [ "$1" = server ]; then
		start server "$FERRY" server --host 127.0.0.1 --port 0 --quiet \
			--backend-store-uri "$TMP/store/ferry.db" \
			--artifacts-destination "$TMP/store/mlartifacts"
		SERVER_PID=${PIDS[-1]}
		URI=$URL
	else
		URI="sqlite:///$TMP/store/ferry.db"
	fi
}

# prun DIR ARGS...: seconds `ferry pipelines run DIR ARGS` took; exits on failure
prun() {
	local d=$1 t0 t1
	shift
	t0=$(now)
	(cd "$TMP/store" && "$FERRY" --tracking-uri "$URI" pipelines run "$d" "$@") \
		>"$TMP/run.out" 2>&1 || {
		echo "pipelines run $d $* failed:" >&2
		tail -n 20 "$TMP/run.out" >&2
		exit 1
	}
	t1=$(now)
	elapsed "$t0" "$t1"
}

declare -A F
for mode in embedded server; do
	store "$mode"
	prun "$TMP/one" >/dev/null # warm: the experiment exists, the page cache holds ferry
	ones=() chains=() per=()
	for _ in $(seq "$RUNS"); do
		o=$(prun "$TMP/one")
		c=$(prun "$TMP/chain" --parallel 1)
		ones+=("$o")
		chains+=("$c")
		per+=("$(echo "($c - $o) * 1000 / $CHAIN" | bc -l)")
	done
	F[overhead.$mode]=$(median "${per[@]}")
	F[one.$mode]=$(median "${ones[@]}")
	echo "# $mode: one step ${ones[*]} s | chain of $((CHAIN + 1)) ${chains[*]} s | per step ms $(printf '%.1f ' "${per[@]}")" >&2
	fans=()
	for _ in $(seq "$RUNS"); do
		fans+=("$(prun "$TMP/fan" --parallel 4)")
	done
	F[fan.$mode]=$(median "${fans[@]}")
	echo "# $mode: fan-out/in of $((FAN + 2)) steps ${fans[*]} s" >&2
done
[ -n "$SERVER_PID" ] && stop "$SERVER_PID" && SERVER_PID=

# the example, then its fully cached rerun (embedded: the store a user's ./ferry.db is)
store embedded
F[example.first]=$(prun "$ROOT/examples/fraud_pipeline")
reruns=()
for _ in $(seq "$RUNS"); do
	reruns+=("$(prun "$ROOT/examples/fraud_pipeline")")
	n=$(grep -c 'CACHED' "$TMP/run.out" || true)
	[ "$n" -ge 4 ] || { echo "the rerun was not entirely cached:" >&2; cat "$TMP/run.out" >&2; exit 1; }
done
F[example.cached]=$(median "${reruns[@]}")
echo "# example: first run ${F[example.first]} s, cached reruns ${reruns[*]} s" >&2
store server
prun "$ROOT/examples/fraud_pipeline" >/dev/null
sreruns=()
for _ in $(seq "$RUNS"); do sreruns+=("$(prun "$ROOT/examples/fraud_pipeline")"); done
F[example.cached.server]=$(median "${sreruns[@]}")
echo "# example through the server: cached reruns ${sreruns[*]} s" >&2
[ -n "$SERVER_PID" ] && stop "$SERVER_PID" && SERVER_PID=

# rest_graph URL ROOT MAX REPEAT: the median ms of REPEAT GETs of the whole upstream graph on
# one keep-alive connection (after one warm-up), and the answer's node count
rest_graph() {
	python3 - "$@" <<'PY'
import http.client, json, sys, time, urllib.parse
url, root, mx, rep = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection(urllib.parse.urlparse(url).netloc, timeout=300)
q = "/api/2.0/ferry/lineage/graph?" + urllib.parse.urlencode(
    {"uri": root, "direction": "upstream", "depth": 100, "max_nodes": mx})
ts = []
for i in range(rep + 1):
    t0 = time.perf_counter()
    c.request("GET", q)
    r = c.getresponse()
    body = r.read()
    ms = (time.perf_counter() - t0) * 1000
    assert r.status == 200, (r.status, body[:300])
    if i:
        ts.append(ms)
n = len(json.loads(body)["nodes"])
print("%.1f %d %d" % (sorted(ts)[(len(ts) - 1) // 2], n, len(body)))
PY
}

if [ "$LINEAGE" = 1 ]; then
	for n in $LNODES; do
		mkdir -p "$TMP/lineage-$n"
		"$LBENCH" --nodes "$n" --repeat $((RUNS * 3)) \
			--backend-store-uri "sqlite:///$TMP/lineage-$n/ferry.db" >"$TMP/lineage-$n.json" \
			2>"$TMP/lineage-$n.err" || { cat "$TMP/lineage-$n.err" >&2; exit 1; }
		sed 's/^/# /' "$TMP/lineage-$n.err" >&2
		j() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/lineage-$n.json" "$1"; }
		F[lineage.$n]=$(j upstream_ms)
		F[lineage.$n.nodes]=$(j upstream_nodes)
		F[lineage.$n.cpu]=$(j upstream_cpu_ms)
		F[lineage.$n.down]=$(j downstream_ms)
		F[lineage.$n.downnodes]=$(j downstream_nodes)
		start lineage "$FERRY" server --host 127.0.0.1 --port 0 --quiet \
			--backend-store-uri "$TMP/lineage-$n/ferry.db" \
			--artifacts-destination "$TMP/lineage-$n/mlartifacts"
		read -r ms got bytes <<<"$(rest_graph "$URL" "$(j root)" $((n + 100)) $((RUNS * 3)))"
		stop "${PIDS[-1]}"
		F[lineage.$n.rest]=$ms
		echo "# lineage $n over REST: $ms ms for $got nodes, $bytes bytes" >&2
	done
fi

echo "machine: $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), $RUNS runs"
printf '%-52s %10s %s\n' "figure" "median" "target"
for mode in embedded server; do
	printf '%-52s %8.1f ms %s\n' "step overhead, empty command, $mode" "${F[overhead.$mode]}" \
		"<= 50 ms $(status_le "${F[overhead.$mode]}" 50)"
	printf '%-52s %8.3f s\n' "one-step pipeline, whole CLI run, $mode" "${F[one.$mode]}"
	printf '%-52s %8.3f s  %.1f ms per step\n' "fan-out/in $((FAN + 2)) empty steps, $mode" \
		"${F[fan.$mode]}" "$(echo "${F[fan.$mode]} * 1000 / ($FAN + 2)" | bc -l)"
done
printf '%-52s %8.3f s\n' "example, first run (20,000 rows, sklearn)" "${F[example.first]}"
printf '%-52s %8.3f s  <= 1 s %s\n' "example, fully cached rerun, embedded" "${F[example.cached]}" \
	"$(status_le "${F[example.cached]}" 1)"
printf '%-52s %8.3f s\n' "example, fully cached rerun, server" "${F[example.cached.server]}"
if [ "$LINEAGE" = 1 ]; then
	for n in $LNODES; do
		printf '%-52s %8.1f ms %s\n' "lineage upstream, $n nodes (${F[lineage.$n.nodes]} returned)" \
			"${F[lineage.$n]}" "$([ "$n" = 10000 ] && echo "<= 50 ms $(status_le "${F[lineage.$n]}" 50)")"
		printf '%-52s %8.1f ms\n' "  the same, CPU time of the best walk" "${F[lineage.$n.cpu]}"
		printf '%-52s %8.1f ms\n' "lineage downstream, $n nodes (${F[lineage.$n.downnodes]} returned)" \
			"${F[lineage.$n.down]}"
		printf '%-52s %8.1f ms\n' "lineage upstream over REST, $n nodes" "${F[lineage.$n.rest]}"
	done
fi
