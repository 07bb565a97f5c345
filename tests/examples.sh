#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The example program and the CLI, end to end, on a fresh SQLite file and
# against a live server on a free loopback port. Usage: tests/examples.sh BUILD
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build-san}
FERRY=$PWD/$BUILD/ferry
TRAIN=$PWD/$BUILD/examples/xgboost_train/train
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
work=$(mktemp -d /tmp/ferry-examples-XXXXXX)
pass=0
fail=0
server_pid=

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# check NAME CMD...: runs CMD, counts it, shows its output on failure.
check() {
	local name=$1
	shift
	if "$@" >"$work/out" 2>&1; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$work/out" | tail -n 20
		fail=$((fail + 1))
	fi
}

# json_check FILE PYTHON: code over `d` (the parsed file) that must set ok true.
json_check() {
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); g={"d": d}; exec(sys.argv[2], g); sys.exit(0 if g.get("ok") else 1)' "$1" "$2"
}

train_and_verify() {
	local uri=$1
	"$TRAIN" --tracking-uri "$uri" --experiment ex --rounds 8 --seed 7 >"$work/train.out" || return 1
	"$FERRY" --tracking-uri "$uri" runs list --experiment-name ex --json >"$work/runs.json" || return 1
	json_check "$work/runs.json" 'ok = len(d["runs"]) == 1' || return 1
	local run
	run=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["info"]["run_id"])' "$work/runs.json")
	json_check "$work/runs.json" '
r = d["runs"][0]
p = {x["key"]: x["value"] for x in r["data"]["params"]}
t = {x["key"]: x["value"] for x in r["data"]["tags"]}
m = {x["key"]: x for x in r["data"]["metrics"]}
ok = (r["info"]["status"] == "FINISHED" and r["info"]["end_time"] >= r["info"]["start_time"]
and p["max_depth"] == "4" and p["rounds"] == "8" and p["eta"] == "0.3" and p["seed"] == "7"
and p["eval_metric"] == "logloss,error" and p["objective"] == "binary:logistic"
and t["framework"] == "xgboost-c-api" and t["mlflow.source.type"] == "LOCAL"
and t["mlflow.source.name"].endswith("/train") and t["mlflow.user"] != ""
and t["xgboost.version"].count(".") == 2
and m["valid-accuracy"]["step"] == 7 and 0.8 < m["valid-accuracy"]["value"] <= 1
and abs(m["valid-accuracy"]["value"] + m["valid-error"]["value"] - 1) < 1e-6
and set(m) == {"train-logloss", "valid-logloss", "train-error", "valid-error",
               "train-accuracy", "valid-accuracy"})' || return 1
	# every metric has one point per iteration, and the losses fall
	local key
	for key in train-logloss valid-logloss train-error valid-error train-accuracy valid-accuracy; do
		"$FERRY" --tracking-uri "$uri" runs history "$run" "$key" --json >"$work/h.json" || return 1
		json_check "$work/h.json" 'ok = [p["step"] for p in d["metrics"]] == list(range(8))' || return 1
	done
	"$FERRY" --tracking-uri "$uri" runs history "$run" train-logloss --json >"$work/h.json" || return 1
	json_check "$work/h.json" '
v = [p["value"] for p in d["metrics"]]
ok = all(a > b for a, b in zip(v, v[1:]))' || return 1
	"$FERRY" --tracking-uri "$uri" runs history "$run" valid-accuracy | grep -q '^STEP' || return 1
}

start_server() {
	"$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "sqlite://$work/server.db" -q \
		>"$work/server.out" 2>"$work/server.err" &
	server_pid=$!
	for _ in $(seq 300); do
		grep -q listening "$work/server.out" 2>/dev/null && break
		sleep 0.1
	done
	url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -n 1)
	[ -n "$url" ]
}

stop_server() {
	kill -TERM "$server_pid" && wait "$server_pid"
	local rc=$?
	server_pid=
	return $rc
}

cli_basics() {
	cd "$work" || return 1
	"$FERRY" --help | grep -q 'experiments' || return 1
	"$FERRY" help | grep -q 'runs' || return 1
	"$FERRY" help runs | grep -q -- '--order-by' || return 1
	"$FERRY" runs --help | grep -q -- '--filter' || return 1
	"$FERRY" experiments --help | grep -q 'rename' || return 1
	"$FERRY" log --help | grep -q 'batch' || return 1
	"$FERRY" server --help | grep -q -- '--backend-store-uri' || return 1
	"$FERRY" version | grep -q '^ferry ' || return 1
	"$FERRY" --version | grep -q '^ferry ' || return 1
	local args
	# each is bad usage: exit 2, a message on stderr, nothing on stdout
	for args in "no-such-command" "--no-such-option" "runs list --no-such-option" \
		"runs list --max-results abc" "runs list --view sideways" "runs frobnicate" \
		"experiments describe" "log param k v" "log param --run-id r k" "runs list --filter" \
		"help no-such-command" ""; do
		# shellcheck disable=SC2086
		FERRY_RUN_ID= MLFLOW_RUN_ID= "$FERRY" $args >"$work/o" 2>"$work/e"
		[ $? -eq 2 ] || { echo "'$args' did not exit 2"; return 1; }
		[ -s "$work/e" ] && [ ! -s "$work/o" ] || { echo "'$args': bad output"; return 1; }
	done
	"$FERRY" runs list --filter 2>&1 | grep -q "option '--filter' needs a value" || return 1
	"$FERRY" runs list --bogus 2>&1 | grep -q "ferry runs: unknown option '--bogus'" || return 1
	[ ! -e "$work/ferry.db" ] || { echo "bad usage created ./ferry.db"; return 1; }
	"$FERRY" --tracking-uri "$work/x.db" runs describe 0123456789abcdef0123456789abcdef 2>"$work/e"
	[ $? -eq 1 ] && grep -q '^ferry: ' "$work/e" || return 1
	cd - >/dev/null || return 1
}

exp_id() {
	"$FERRY" experiments describe --name "$1" --json |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["experiment"]["experiment_id"])'
}

cli_logging() {
	local uri=$1 run
	# local -x: exported to the commands below, gone when this returns early
	local -x FERRY_TRACKING_URI=$uri
	"$FERRY" experiments create shell-exp --tag owner=ci >/dev/null || return 1
	"$FERRY" experiments create shell-exp 2>"$work/dup.err"
	[ $? -eq 1 ] && grep -q 'already exists' "$work/dup.err" || return 1
	"$FERRY" experiments list --json >"$work/e.json" || return 1
	json_check "$work/e.json" 'ok = any(e["name"] == "shell-exp" for e in d["experiments"])' || return 1
	run=$("$TRAIN" --experiment shell-exp --rounds 2 | sed -n 's/^run \([0-9a-f]*\) .*/\1/p')
	[ -n "$run" ] || return 1
	"$FERRY" log param --run-id "$run" note hello || return 1
	"$FERRY" log param --run-id "$run" note changed 2>/dev/null && return 1
	FERRY_RUN_ID=$run "$FERRY" log metric extra 1.5 --step 3 || return 1
	"$FERRY" log metric --run-id "$run" delta -0.25 --step -2 || return 1
	"$FERRY" log tag --run-id "$run" stage qa || return 1
	echo '{"metrics": [{"key": "batched", "value": "NaN"}], "params": [{"key": "b", "value": "1"}]}' |
		"$FERRY" log batch --run-id "$run" || return 1
	"$FERRY" runs describe "$run" --json >"$work/r.json" || return 1
	json_check "$work/r.json" '
m = {x["key"]: x for x in d["run"]["data"]["metrics"]}
p = {x["key"]: x["value"] for x in d["run"]["data"]["params"]}
ok = (m["extra"]["step"] == 3 and m["batched"]["value"] == "NaN" and p["note"] == "hello"
    and m["delta"]["value"] == -0.25 and m["delta"]["step"] == -2
    and p["b"] == "1")' || return 1
	"$FERRY" runs list --experiment-name shell-exp --filter "params.note = 'hello' OR metrics.extra > 9" \
		--order-by "metrics.extra DESC" | grep -q "$run" || return 1
	"$FERRY" runs list --experiment-name shell-exp --filter "metrics.extra >>> 1" 2>"$work/f.err"
	[ $? -eq 1 ] && grep -q 'position' "$work/f.err" || return 1
	"$FERRY" experiments set-tag "$(exp_id shell-exp)" stage prod || return 1
	"$FERRY" experiments describe --name shell-exp --json >"$work/ed.json" || return 1
	json_check "$work/ed.json" '
t = {x["key"]: x["value"] for x in d["experiment"]["tags"]}
ok = t == {"owner": "ci", "stage": "prod"}' || return 1
	"$FERRY" experiments delete-tag "$(exp_id shell-exp)" stage || return 1
	"$FERRY" experiments describe --name shell-exp | grep -q '^  stage = ' && return 1
	"$FERRY" runs delete "$run" || return 1
	"$FERRY" runs list --experiment-name shell-exp --view deleted | grep -q "$run" || return 1
	"$FERRY" runs restore "$run" || return 1
}

# examples/fraud_pipeline in one command (run.sh), small: every step runs, then a rerun is cached
fraud_pipeline() ( # a subshell: its cd and exports end with it
	export FERRY FERRY_TRACKING_URI="sqlite://$work/pipeline.db"
	ex=$PWD/examples/fraud_pipeline
	cd "$work" || exit 1
	"$ex/run.sh" -P rows=2000 >"$work/p1.out" 2>&1 || { cat "$work/p1.out"; exit 1; }
	grep -q '^register  *COMPLETE' "$work/p1.out" || { cat "$work/p1.out"; exit 1; }
	grep -q 'models:/fraud/1' "$work/p1.out" || { cat "$work/p1.out"; exit 1; }
	"$ex/run.sh" -P rows=2000 >"$work/p2.out" 2>&1 || { cat "$work/p2.out"; exit 1; }
	[ "$(grep -c '^[a-z]*  *CACHED' "$work/p2.out")" -eq 4 ] || { cat "$work/p2.out"; exit 1; }
)

check "cli help and usage errors" cli_basics
check "example trains and logs (embedded)" train_and_verify "sqlite://$work/embedded.db"
check "cli logging (embedded)" cli_logging "sqlite://$work/cli.db"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null &&
	check "fraud pipeline example (embedded)" fraud_pipeline
url=
check "server starts on a free port" start_server
if [ -n "$url" ]; then # else an empty URI would fall back to ./ferry.db
	check "example trains and logs (REST)" train_and_verify "$url"
	check "cli logging (REST)" cli_logging "$url"
	check "server stops cleanly on SIGTERM" stop_server
fi

echo "examples: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
