#!/bin/bash
# SPDX-License-Identifier: MIT
# What authentication costs on the hot path (issue 14): runs/log-metric
# req/s with wrk -t2 -c64 against one `ferry server` without authentication
# and one with --auth, the latter called with HTTP basic auth (as MLflow's
# clients send it, on every request) and with an API token (Bearer); then
# the same for /invocations of `ferry models serve` (a 100-tree XGBoost
# model, one row) without and with --auth. Rounds alternate off, basic,
# token, each round starting with another, so the machine's drift falls on
# all three; medians and the ratios to "off" are printed (target >= 0.95).
#
#   make && make bench && bench/auth_bench.sh [--duration 4] [--rounds 3] [--ferry build/ferry]
set -euo pipefail
DUR=4
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
ROOT=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
TMP=$(mktemp -d /tmp/ferry-auth-bench-XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT

# Servers start in this shell (not in $(...), whose PIDS would be lost to
# the trap); each sets PORT.
wait_port() { # name
	for _ in $(seq 300); do
		grep -q "listening on" "$TMP/$1.out" 2>/dev/null && break
		sleep 0.1
	done
	PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/$1.out")
	[ -n "$PORT" ] || { echo "$1 did not start: $(cat "$TMP/$1.err")" >&2; exit 1; }
}
start() { # name, extra args...
	local name=$1
	shift
	FERRY_ADMIN_PASSWORD=bench-pw "$FERRY" server --host 127.0.0.1 --port 0 --quiet \
		--backend-store-uri "sqlite://$TMP/$name.db" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	PIDS+=($!)
	wait_port "$name"
}
start off
OFF=$PORT
start on --auth
ON=$PORT
ADMIN="Basic $(printf 'admin:bench-pw' | base64)"
# a regular user, as most callers are: its permission is looked up per request
BASIC="Basic $(printf 'bench:bench-user-pw' | base64)"
post() { # port, auth, endpoint, body
	curl -sf -X POST -H 'Content-Type: application/json' ${2:+-H "Authorization: $2"} \
		-d "$4" "http://127.0.0.1:$1/api/2.0/$3"
}
post "$ON" "$ADMIN" mlflow/users/create '{"username":"bench","password":"bench-user-pw"}' >/dev/null
TOKEN=$(post "$ON" "$BASIC" ferry/tokens/create '{"name":"bench"}' |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
run_id() { # in an experiment of the caller's own (MANAGE, as its creator)
	local exp
	exp=$(post "$1" "$2" mlflow/experiments/create '{"name":"bench"}' |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["experiment_id"])')
	post "$1" "$2" mlflow/runs/create "{\"experiment_id\":\"$exp\"}" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["run_id"])'
}
RUN_OFF=$(run_id "$OFF" "")
RUN_ON=$(run_id "$ON" "$BASIC")
measure() { # port, run, auth -> req/s
	RUN_ID=$2 AUTHORIZATION=$3 METRIC_PREFIX="r$RANDOM" wrk -t2 -c64 -d"${DUR}s" \
		-s "$ROOT/bench/wrk/log_metric.lua" "http://127.0.0.1:$1" |
		awk '/Requests\/sec/ {print $2} / errors \(/ && $4 != "0" {print "ERRORS " $0 > "/dev/stderr"}'
}
declare -a off basic token
# each round starts with another of the three, so none always runs last
# (the 'on' database grows through a round)
for r in $(seq "$ROUNDS"); do
	for k in 0 1 2; do
		case $(((r + k) % 3)) in
		0) off+=("$(measure "$OFF" "$RUN_OFF" "")") ;;
		1) basic+=("$(measure "$ON" "$RUN_ON" "$BASIC")") ;;
		2) token+=("$(measure "$ON" "$RUN_ON" "Bearer $TOKEN")") ;;
		esac
	done
	echo "round $r: off ${off[-1]}  basic ${basic[-1]}  token ${token[-1]} req/s" >&2
done
# scoring: the same user, whose credentials `models serve --auth` checks in the server's store
TOOL=$(dirname "$FERRY")/tools/make_xgb_model
declare -a s_off s_basic s_token
if [ -x "$TOOL" ]; then
	"$TOOL" "$TMP/xgb" binary 2000 20 >/dev/null
	/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
e = json.load(open(d + "/xgb/expected.json"))
json.dump({"dataframe_split": {"columns": e["columns"], "data": e["data"][:1]}},
          open(d + "/body1.json", "w"))
PY
	serve() { # name, extra args...
		local name=$1
		shift
		"$FERRY" models serve -m "$TMP/xgb" --port 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
		PIDS+=($!)
		wait_port "$name"
	}
	serve soff --no-auth
	SOFF=$PORT
	serve son --auth --auth-store "sqlite://$TMP/on.db"
	SON=$PORT
	# warm: the first request of a credential pays the password hash once
	for a in "$BASIC" "Bearer $TOKEN"; do
		curl -sf -o /dev/null -H "Authorization: $a" -H 'Content-Type: application/json' \
			--data-binary "@$TMP/body1.json" "http://127.0.0.1:$SON/invocations" || true
	done
	score() { # port, auth -> req/s
		BODY_FILE="$TMP/body1.json" AUTHORIZATION=$2 wrk -t2 -c64 -d"${DUR}s" \
			-s "$ROOT/bench/wrk/invocations.lua" "http://127.0.0.1:$1" |
			awk '/Requests\/sec/ {print $2} /^non200/ && $2 != "0" {print "ERRORS " $0 > "/dev/stderr"}'
	}
	for r in $(seq "$ROUNDS"); do
		for k in 0 1 2; do
			case $(((r + k) % 3)) in
			0) s_off+=("$(score "$SOFF" "")") ;;
			1) s_basic+=("$(score "$SON" "$BASIC")") ;;
			2) s_token+=("$(score "$SON" "Bearer $TOKEN")") ;;
			esac
		done
		echo "scoring round $r: off ${s_off[-1]}  basic ${s_basic[-1]}  token ${s_token[-1]} req/s" >&2
	done
else
	echo "no $TOOL (make bench): scoring skipped" >&2
fi
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
M_OFF=$(median "${off[@]}")
M_BASIC=$(median "${basic[@]}")
M_TOKEN=$(median "${token[@]}")
echo "log-metric, wrk -t2 -c64 -d${DUR}s, $ROUNDS rounds, medians on $(nproc) cores:"
awk -v o="$M_OFF" -v b="$M_BASIC" -v t="$M_TOKEN" 'BEGIN {
	printf "  auth off          %10.0f req/s\n", o
	printf "  basic auth        %10.0f req/s  (%.3f of off)\n", b, b / o
	printf "  bearer token      %10.0f req/s  (%.3f of off)\n", t, t / o
	printf "{\"off\": %.0f, \"basic\": %.0f, \"token\": %.0f, \"basic_ratio\": %.3f, \"token_ratio\": %.3f}\n", o, b, t, b / o, t / o
}'
if [ ${#s_off[@]} -gt 0 ]; then
	echo "/invocations (1 row, XGBoost), wrk -t2 -c64 -d${DUR}s, $ROUNDS rounds, medians:"
	awk -v o="$(median "${s_off[@]}")" -v b="$(median "${s_basic[@]}")" \
		-v t="$(median "${s_token[@]}")" 'BEGIN {
	printf "  auth off          %10.0f req/s\n", o
	printf "  basic auth        %10.0f req/s  (%.3f of off)\n", b, b / o
	printf "  bearer token      %10.0f req/s  (%.3f of off)\n", t, t / o
}'
fi
