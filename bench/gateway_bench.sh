#!/bin/bash
# SPDX-License-Identifier: MIT
# Deployments gateway benchmark (issue 16), in one run on one store file:
#  1. throughput: wrk -t2 -c64, 1-row dataframe_split bodies, 100-tree depth-6
#     20-feature XGBoost (build/tools/make_xgb_model), against (A) `ferry models
#     serve` with one model and (B) `ferry serve` with one deployment of two
#     registered XGBoost versions at 90/10. Rounds interleave A and B (A,B then
#     B,A, ...) so the shared machine's drift falls on both; medians, and B/A.
#     Target: the gateway keeps >= 90% of the req/s.
#  2. applies under load: wrk -t2 -c64 against the gateway while 10 changed
#     weight splits are applied one after another (`ferry deployments apply`),
#     each waited for on GET /endpoints. Failed requests (non-200 answers and
#     socket errors, as wrk's Lua counts them) must be 0.
#  3. rollback: two gateways (--id gw-a, gw-b) on the store, a deployment whose
#     rollout candidate (a registered sklearn-shaped model whose predict raises
#     for every row, through the worker pool) gets 10%, guards {window 5s,
#     max_error_rate 0.05, min_samples 20}; wrk drives both gateways. Times from
#     the start of load, from the moment the breach is in the traffic, and from
#     the rollback's store write to effective weight 0 on each gateway (targets
#     <= 1 s on the deciding gateway, <= 2 s on every gateway). What each figure
#     measures is printed with it.
#
#   make bench && bench/gateway_bench.sh [--duration 5] [--rounds 3] [--ferry build/ferry]
#
# Everything binds 127.0.0.1 on ports the servers pick (--port 0); every wait
# is bounded; servers, wrk and the temp dir are cleaned up on exit.
set -euo pipefail
DUR=5
ROUNDS=3
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DUR=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--rounds N] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "--rounds: 1..20" >&2; exit 2; }
[ "$DUR" -ge 1 ] && [ "$DUR" -le 120 ] || { echo "--duration: 1..120 s" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOL=$(dirname "$FERRY")/tools/make_xgb_model
LUA=$ROOT/bench/wrk/invocations.lua
[ -x "$FERRY" ] && [ -x "$TOOL" ] || { echo "run make bench first" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (scripts/install-deps)" >&2; exit 2; }
/usr/bin/python3 -c 'import cloudpickle' 2>/dev/null ||
	{ echo "python3-cloudpickle is not installed (scripts/install-deps)" >&2; exit 2; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
. "$ROOT/bench/lib.sh"
bench_init gateway-bench
STORE=sqlite:///$TMP/store.db

# until_served URL PATTERN: waits, at most 30 s, for GET URL/endpoints (compact
# JSON; these gateways serve one deployment) to match the grep -E PATTERN; sets
# POLLS to the number of GETs it took.
until_served() {
	for POLLS in $(seq 1500); do
		curl -sf "$1/endpoints" 2>/dev/null | grep -Eq "$2" && return 0
		sleep 0.01
	done
	echo "$1 never served /$2/: $(curl -s "$1/endpoints")" >&2
	exit 1
}

# --- the models: two XGBoost versions, and a candidate that always fails ---
"$TOOL" "$TMP/xgb1" binary 2000 20 >/dev/null
"$TOOL" "$TMP/xgb2" binary 1500 20 >/dev/null
/usr/bin/python3 - "$TMP" <<'PY'
import json, os, sys
import cloudpickle
d = sys.argv[1]
e = json.load(open(d + "/xgb1/expected.json"))
json.dump({"dataframe_split": {"columns": e["columns"], "data": e["data"][:1]}},
          open(d + "/body1.json", "w"))


class AlwaysFails:
    """A candidate whose predict raises for every row (pickled by value: defined in __main__)."""

    def predict(self, x):
        raise ValueError("this candidate cannot score")


os.makedirs(d + "/bad")
cloudpickle.dump(AlwaysFails(), open(d + "/bad/model.pkl", "wb"))
# the same signature as the XGBoost versions: a target with another one is refused
sig = open(d + "/xgb1/MLmodel").read().split("signature:\n", 1)[1].split("utc_time_created")[0]
open(d + "/bad/MLmodel", "w").write(
    "artifact_path: model\nflavors:\n"
    "  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl, predict_fn: predict}\n"
    "  sklearn: {pickled_model: model.pkl, serialization_format: cloudpickle}\n"
    "signature:\n" + sig)
PY
# Registered through a short-lived `ferry server` on the store (runs come from
# its REST API), with artifacts as plain local paths the gateways read.
start setup "$FERRY" server --host 127.0.0.1 --port 0 --quiet --backend-store-uri "$STORE" \
	--no-serve-artifacts --default-artifact-root "$TMP/artifacts"
SETUP_PID=${PIDS[-1]}
for m in xgb1 xgb2 bad; do # versions 1, 2, 3 of "gw"
	rid=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"experiment_id":"0"}' \
		"$URL/api/2.0/mlflow/runs/create" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["run_id"])')
	"$FERRY" --tracking-uri "$URL" models log "$TMP/$m" --run-id "$rid" >/dev/null
	"$FERRY" --tracking-uri "$URL" models register "runs:/$rid/model" --name gw >/dev/null
done
stop "$SETUP_PID"
# split W: deployment "gw", versions 1 and 2 at 100-W / W
split() {
	printf 'name: gw\ntargets:\n  - {model: "models:/gw/1", weight: %d}\n  - {model: "models:/gw/2", weight: %d}\n' \
		$((100 - $1)) "$1" >"$TMP/split.yaml"
	"$FERRY" --tracking-uri "$STORE" deployments apply -f "$TMP/split.yaml" >/dev/null
}
split 10

echo "machine: $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

# --- 1. throughput: A (models serve) against B (gateway, 90/10), interleaved ---
start serve "$FERRY" models serve -m "$TMP/xgb1" --host 127.0.0.1 --port 0
SERVE_PID=${PIDS[-1]}
A_URL=$URL
start gateway "$FERRY" --tracking-uri "$STORE" serve --host 127.0.0.1 --port 0 --deployments gw
GW_PID=${PIDS[-1]}
B_URL=$URL
until_served "$B_URL" '"name":"gw",.*"loaded":true.*"loaded":true'
# wrk_run URL PATH SECONDS ARGS...: one wrk -s invocations.lua, its output on stdout
wrk_run() {
	local url=$1 path=$2 secs=$3
	shift 3
	BODY_FILE="$TMP/body1.json" INVOCATIONS_PATH=$path \
		wrk "$@" -d"${secs}s" -s "$LUA" "$url"
}
wrk_run "$A_URL" /invocations 1 -t2 -c64 >/dev/null # warm both
wrk_run "$B_URL" /endpoints/gw/invocations 1 -t2 -c64 >/dev/null
A_RPS=() A_P99=() A_CPU=() B_RPS=() B_P99=() B_CPU=() RATIO=()
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in clock ticks
HZ=$(getconf CLK_TCK)
measure() { # A|B: one wrk -t2 -c64 -d$DUR, appended to the arrays
	local out c0 c1 pid
	[ "$1" = A ] && pid=$SERVE_PID || pid=$GW_PID
	c0=$(cpu_ticks "$pid")
	if [ "$1" = A ]; then
		out=$(wrk_run "$A_URL" /invocations "$DUR" -t2 -c64)
	else
		out=$(wrk_run "$B_URL" /endpoints/gw/invocations "$DUR" -t2 -c64)
	fi
	c1=$(cpu_ticks "$pid")
	# server CPU per answered request, in us: steadier than req/s on a shared machine
	local cpu
	cpu=$(echo "$out" | awk -v d=$((c1 - c0)) -v hz="$HZ" '/requests in/ {printf "%.1f", d * 1e6 / hz / $1}')
	local bad sock
	bad=$(echo "$out" | field non200)
	sock=$(echo "$out" | field sockerr)
	[ "$bad" = 0 ] && [ "$sock" = 0 ] || { echo "$1: $bad non-200 answers, $sock socket errors" >&2; exit 1; }
	if [ "$1" = A ]; then
		A_RPS+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
		A_P99+=("$(echo "$out" | field p99_ms)")
		A_CPU+=("$cpu")
	else
		B_RPS+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
		B_P99+=("$(echo "$out" | field p99_ms)")
		B_CPU+=("$cpu")
	fi
}
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then measure A; measure B; else measure B; measure A; fi
	RATIO+=("$(awk -v a="${A_RPS[-1]}" -v b="${B_RPS[-1]}" 'BEGIN {printf "%.3f", b / a}')")
	printf 'round %d: A %s req/s p99 %s ms %s us cpu/req   B %s req/s p99 %s ms %s us cpu/req   B/A %s\n' \
		"$r" "${A_RPS[-1]}" "${A_P99[-1]}" "${A_CPU[-1]}" "${B_RPS[-1]}" "${B_P99[-1]}" \
		"${B_CPU[-1]}" "${RATIO[-1]}"
done
MA=$(median "${A_RPS[@]}")
MB=$(median "${B_RPS[@]}")
stop "$SERVE_PID"

# --- 2. 10 applies under load ---
# wrk itself in the background (exec: $! is wrk, which stops and reports on SIGINT)
(BODY_FILE="$TMP/body1.json" INVOCATIONS_PATH=/endpoints/gw/invocations \
	exec wrk -t2 -c64 -d120s -s "$LUA" "$B_URL" >"$TMP/apply-wrk.out") &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep 1
PICKUP=()
APPLY_CLI=()
NPOLL=0
TPOLL=0
rev=1
for i in $(seq 10); do
	w=$((10 + 8 * i)) # 18, 26, ... 90: each apply changes the split
	t0=$(date +%s%N)
	split $w
	t1=$(date +%s%N)
	rev=$((rev + 1))
	until_served "$B_URL" "\"revision\":$rev,.*\"weight\":$((100 - w)),.*\"weight\":$w,"
	t2=$(date +%s%N)
	NPOLL=$((NPOLL + POLLS))
	TPOLL=$((TPOLL + (t2 - t1) / 1000000))
	APPLY_CLI+=($(((t1 - t0) / 1000000)))
	PICKUP+=($(((t2 - t1) / 1000000)))
done
kill -0 $WRK_PID 2>/dev/null || { echo "wrk ended before the 10 applies did" >&2; exit 1; }
sleep 0.5
kill -INT $WRK_PID
wait $WRK_PID || true
APPLY_REQ=$(awk '/requests in/ {print $1}' "$TMP/apply-wrk.out")
APPLY_BAD=$(field non200 <"$TMP/apply-wrk.out")
APPLY_SOCK=$(field sockerr <"$TMP/apply-wrk.out")
APPLY_NON2XX=$(awk '/Non-2xx or 3xx/ {print $NF}' "$TMP/apply-wrk.out")
[ -n "$APPLY_BAD" ] || { echo "wrk printed no counts: $(cat "$TMP/apply-wrk.out")" >&2; exit 1; }
stop "$GW_PID"

# --- 3. a failing candidate rolled back, two gateways on the store ---
cat >"$TMP/canary.yaml" <<'EOF'
name: canary
targets:
  - {model: "models:/gw/1", weight: 90}
  - {model: "models:/gw/3"}
rollout:
  steps: [10, 100]
  interval: 60s
  min_requests: 20
  guards: {window: 5s, max_error_rate: 0.05, min_samples: 20}
EOF
"$FERRY" --tracking-uri "$STORE" deployments apply -f "$TMP/canary.yaml" >/dev/null
/usr/bin/python3 - "$FERRY" "$STORE" "$TMP" "$LUA" >"$TMP/rollback.out" <<'PY' &
"""Starts gateways gw-a and gw-b on the store (stderr lines stamped on arrival), waits
until both serve the canary with every target loaded, starts one wrk -t1 -c32 per
gateway, then polls every 10 ms: each gateway's GET /endpoints until the candidate's
effective_weight is 0, and /metrics until the candidate's target errors reach
min_samples. Prints key value lines (times in ms since the epoch)."""
import http.client, json, os, signal, subprocess, sys, threading, time
ferry, store, tmp, lua = sys.argv[1:5]
procs = []
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def now():
    return int(time.time() * 1000)


conns = {}


def get(url):
    """GET on one keep-alive connection per gateway (a poll costs one request, no connect)."""
    base, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    for attempt in (0, 1):
        cn = conns.get(base)
        if cn is None:
            host, port = base.rsplit(":", 1)
            cn = conns[base] = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            cn.request("GET", path)
            r = cn.getresponse()
            return r.read().decode()
        except (http.client.HTTPException, OSError):
            cn.close()
            del conns[base]
            if attempt:
                raise


def stamp(p, path):
    with open(path, "w") as f:
        for line in p.stderr:
            f.write("%d %s" % (now(), line.decode(errors="replace")))
            f.flush()


try:
    gws = {}
    for gid in ("gw-a", "gw-b"):
        p = subprocess.Popen([ferry, "--tracking-uri", store, "serve", "--host", "127.0.0.1",
                              "--port", "0", "--deployments", "canary", "--id", gid],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        procs.append(p)
        line = p.stdout.readline().decode()
        if "listening on" not in line:
            sys.exit("%s did not start" % gid)
        threading.Thread(target=stamp, args=(p, "%s/%s.log" % (tmp, gid)), daemon=True).start()
        gws[gid] = (p, line.strip().rsplit(" ", 1)[1])

    def served(url):
        for e in json.loads(get(url + "/endpoints"))["endpoints"]:
            if e["name"] == "canary":
                return e
        return None

    deadline = time.time() + 60
    for gid, (p, url) in gws.items():
        while True:
            e = served(url)
            if e and all(t["loaded"] for t in e["targets"]):
                break
            if time.time() > deadline:
                sys.exit("%s never loaded the canary: %r" % (gid, e))
            time.sleep(0.05)
    env = dict(os.environ, BODY_FILE=tmp + "/body1.json",
               INVOCATIONS_PATH="/endpoints/canary/invocations")
    wrks = []
    t_load = now()
    for gid, (p, url) in gws.items():
        w = subprocess.Popen(["wrk", "-t1", "-c32", "-d60s", "-s", lua, url], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append(w)
        wrks.append(w)
    zero = {}
    t_err = None
    polls = 0
    deadline = time.time() + 45
    while len(zero) < len(gws) and time.time() < deadline:
        polls += 1
        for gid, (p, url) in gws.items():
            if gid not in zero:
                e = served(url)
                if e and e["targets"][1]["effective_weight"] == 0:
                    zero[gid] = now()
        if t_err is None:
            n = 0.0
            for gid, (p, url) in gws.items():
                for line in get(url + "/metrics").splitlines():
                    if line.startswith("ferry_gateway_target_errors_total{") and \
                            'target="gw/3"' in line:
                        n += float(line.rsplit(" ", 1)[1])
            if n >= 20:
                t_err = now()
        time.sleep(0.01)
    for w in wrks:
        w.send_signal(signal.SIGINT)
    reqs = 0
    for w in wrks:
        out = w.communicate(timeout=30)[0].decode()
        reqs += sum(int(l.split()[0]) for l in out.splitlines() if "requests in" in l)
    d = json.loads(subprocess.run([ferry, "--tracking-uri", store, "deployments", "get",
                                   "canary", "--json"], capture_output=True, timeout=30,
                                  check=True).stdout)["deployment"]
    h = json.loads(subprocess.run([ferry, "--tracking-uri", store, "deployments", "history",
                                   "canary", "--json"], capture_output=True, timeout=30,
                                  check=True).stdout)["changes"]
    for p, url in gws.values():
        p.send_signal(signal.SIGTERM)
    for p, url in gws.values():
        p.wait(30)
    time.sleep(0.2)  # the stamping threads' last lines
    rb = [c for c in h if c["action"] == "rollback"]
    print("load_start %d" % t_load)
    print("errors20 %d" % (t_err or -1))
    print("phase %s" % d["status"]["phase"])
    print("weights %s" % ",".join(str(w) for w in d["status"]["weights"]))
    print("updated_ms %d" % d["updated_ms"])
    print("rollbacks %d" % len(rb))
    print("reason %s" % (rb[0]["reason"] if rb else "-"))
    print("requests %d" % reqs)
    print("poll_ms %.1f" % ((max(zero.values(), default=now()) - t_load) / max(polls, 1)))
    for gid in gws:
        print("zero_%s %d" % (gid, zero.get(gid, -1)))
        logged = -1
        for line in open("%s/%s.log" % (tmp, gid)):
            if "rolled back" in line:
                logged = int(line.split()[0])
        print("logged_%s %d" % (gid, logged))
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
PY
PY_PID=$!
PIDS+=("$PY_PID")
wait $PY_PID || { echo "the rollback phase failed: $(cat "$TMP/rollback.out")" >&2; exit 1; }
rb() { field "$1" <"$TMP/rollback.out"; }
LOAD=$(rb load_start)
ERR20=$(rb errors20)
UPD=$(rb updated_ms)
[ "$(rb phase)" = ROLLED_BACK ] && [ "$(rb rollbacks)" = 1 ] ||
	{ echo "no single rollback: $(cat "$TMP/rollback.out")" >&2; exit 1; }
DECIDER=
for g in gw-a gw-b; do
	[ "$(rb "logged_$g")" != -1 ] && DECIDER=$g
	[ "$(rb "zero_$g")" != -1 ] || { echo "$g never showed weight 0" >&2; exit 1; }
done
[ -n "$DECIDER" ] || { echo "no gateway logged the rollback" >&2; exit 1; }
OTHER=gw-a
[ $DECIDER = gw-a ] && OTHER=gw-b

echo
echo "1. throughput: wrk -t2 -c64 -d${DUR}s, 1-row body, 100-tree XGBoost; $ROUNDS rounds A,B / B,A, medians"
awk -v a="$MA" -v b="$MB" -v pa="$(median "${A_P99[@]}")" -v pb="$(median "${B_P99[@]}")" \
	-v ca="$(median "${A_CPU[@]}")" -v cb="$(median "${B_CPU[@]}")" -v mr="$(median "${RATIO[@]}")" 'BEGIN {
	printf "  A ferry models serve, one model        %9.0f req/s  p99 %6.2f ms  server CPU %5.1f us/req\n", a, pa, ca
	printf "  B ferry serve, 2 targets at 90/10      %9.0f req/s  p99 %6.2f ms  server CPU %5.1f us/req\n", b, pb, cb
	printf "  B/A req/s, of the medians              %9.3f        target >= 0.90: %s\n", b / a, (b / a >= 0.9) ? "met" : "MISSED"
	printf "  B/A req/s, median of the rounds        %9.3f        target >= 0.90: %s\n", mr, (mr >= 0.9) ? "met" : "MISSED"
	printf "  A/B server CPU per request             %9.3f        (the steadier figure on a shared machine)\n", ca / cb
}'
echo "2. 10 applies under load (wrk -t2 -c64 on the gateway; each apply waited for on GET /endpoints)"
echo "  requests $APPLY_REQ, non-200 $APPLY_BAD (wrk's Non-2xx or 3xx: ${APPLY_NON2XX:-0}), socket errors $APPLY_SOCK;" \
	"target 0: $([ "$APPLY_BAD" = 0 ] && [ "$APPLY_SOCK" = 0 ] && echo met || echo MISSED)"
echo "  \`ferry deployments apply\` (a process, under load), ms: median $(median "${APPLY_CLI[@]}"), all: ${APPLY_CLI[*]}"
echo "  apply returned -> new split on GET /endpoints (one curl poll every $((TPOLL / NPOLL)) ms on average), ms:"
echo "    median $(median "${PICKUP[@]}"), max $(printf '%s\n' "${PICKUP[@]}" | sort -n | tail -1), all: ${PICKUP[*]}"
echo "3. rollback of a candidate failing every request (10%), two gateways, wrk -t1 -c32 on each"
echo "  deciding gateway: $DECIDER (logged 'rolled back'); reason: $(sed -n 's/^reason //p' "$TMP/rollback.out")"
awk -v load="$LOAD" -v e20="$ERR20" -v upd="$UPD" -v zd="$(rb "zero_$DECIDER")" \
	-v zo="$(rb "zero_$OTHER")" -v lg="$(rb "logged_$DECIDER")" 'BEGIN {
	printf "  load start -> 20 candidate errors answered (sum of both /metrics)  %6d ms\n", e20 - load
	printf "  load start -> rollback written to the store (updated_ms)           %6d ms\n", upd - load
	printf "  20 errors answered -> rollback written (reporting + decision)      %6d ms\n", upd - e20
	printf "  rollback written -> deciding gateway logs it                       %6d ms\n", lg - upd
	printf "  rollback written -> effective weight 0, deciding gateway           %6d ms\n", zd - upd
	printf "  rollback written -> effective weight 0, other gateway              %6d ms\n", zo - upd
	printf "  20 errors answered -> weight 0, deciding gateway                   %6d ms  target <= 1000: %s\n", zd - e20, (zd - e20 <= 1000) ? "met" : "MISSED"
	printf "  20 errors answered -> weight 0, every gateway                      %6d ms  target <= 2000: %s\n", (zo > zd ? zo : zd) - e20, ((zo > zd ? zo : zd) - e20 <= 2000) ? "met" : "MISSED"
	printf "  load start -> weight 0, deciding / other gateway                   %6d / %d ms\n", zd - load, zo - load
}'
echo "  (the poller's clock; one poll (GET /endpoints of both, /metrics until 20 errors, 10 ms nap)"
echo "  took $(rb poll_ms) ms on average under this load: the resolution of the poller's times;"
echo "  updated_ms is the deciding gateway's clock, on the same machine)"
