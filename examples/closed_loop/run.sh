#!/bin/sh
# SPDX-License-Identifier: MIT
# The closed loop from drift to a safe rollout, in one command, after the README's setup
# (`./scripts/install-deps && make`):
#   examples/closed_loop/run.sh [--json] [--keep DIR] [--summary FILE]
# starts a `ferry server` on a fresh SQLite store and a gateway (`ferry serve`) on it, trains
# and deploys a champion, sends traffic and late labels, lets a concept drift happen at a known
# time, and waits (bounded) for the monitor's decay alert to retrain, gate, register and roll
# out a new champion through a canary; then a deliberately worse model (labels shuffled) that
# the gate stops. Prints the loop's timeline (`ferry deployments loop fraud`; --json: JSON
# lines) and the time from the drift's onset to each stage (the summary, closed_loop.summary.json
# in the work directory, or FILE). --keep DIR keeps the work directory (the store ferry.db, the
# logs) at DIR, with nothing left running. Uses build/ferry (or $FERRY) and $FERRY_PYTHON
# (default /usr/bin/python3, with scikit-learn). Exit 0 only when every transition happened.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FERRY=${FERRY:-$root/build/ferry}
export FERRY_PYTHON="${FERRY_PYTHON:-/usr/bin/python3}"
json=
keep=
summary=
while [ $# -gt 0 ]; do
	case $1 in
	--json) json=--json ;;
	--keep)
		[ $# -ge 2 ] || { echo "run.sh: --keep needs a directory" >&2; exit 2; }
		keep=$2
		shift
		;;
	--summary)
		[ $# -ge 2 ] || { echo "run.sh: --summary needs a file" >&2; exit 2; }
		summary=$2
		shift
		;;
	-h | --help)
		sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run.sh: unknown argument '$1' (usage: run.sh [--json] [--keep DIR] [--summary FILE])" >&2
		exit 2
		;;
	esac
	shift
done
[ -x "$FERRY" ] || { echo "run.sh: no $FERRY: run make in $root first (or set FERRY)" >&2; exit 2; }
"$FERRY_PYTHON" -c 'import sklearn' 2>/dev/null || {
	echo "run.sh: $FERRY_PYTHON has no scikit-learn: apt-get install python3-sklearn," \
		"or set FERRY_PYTHON to a python that has it" >&2
	exit 2
}
if [ -n "$keep" ]; then
	if [ -e "$keep" ] && [ -n "$(ls -A "$keep" 2>/dev/null)" ]; then
		echo "run.sh: --keep $keep exists and is not empty" >&2
		exit 2
	fi
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-closed-loop-XXXXXX")
fi
# world-readable: when run as root, the server runs the trigger's pipeline as nobody, which must
# reach the ferry binary, the project and python scripts
chmod 0755 "$work"
if [ "$(id -u)" = 0 ]; then
	d=$work
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		case $(stat -c %A "$d") in
		*x | *t) ;;
		*)
			echo "run.sh: $d is not searchable by others: the server's runs (as nobody) could" \
				"not reach $work; pick a directory under one they can (e.g. /tmp)" >&2
			rmdir "$work" 2>/dev/null || true
			exit 2
			;;
		esac
	done
fi
server_pid=
gateway_pid=
cleanup() {
	rc=$?
	[ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	if [ -z "$keep" ]; then
		rm -rf "$work"
	else
		echo "run.sh: kept $work (store: sqlite://$work/ferry.db; summary:" \
			"${summary:-$work/closed_loop.summary.json})" >&2
	fi
	[ -z "$summary" ] || [ ! -f "$summary" ] || echo "run.sh: summary in $summary" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cp "$FERRY" "$work/ferry"
mkdir "$work/project"
cp "$here"/MLproject "$here"/*.yaml "$here"/*.py "$work/project/"
chmod -R a+rX "$work/ferry" "$work/project"
mkdir "$work/tmp"
chmod 1777 "$work/tmp"

# the server: a fresh SQLite store, datasets under the work dir, trigger ticks of 200 ms
FERRY_TRIGGER_TICK_MS=200 TMPDIR="$work/tmp" "$work/ferry" server --host 127.0.0.1 --port 0 \
	--backend-store-uri "sqlite://$work/ferry.db" --artifacts-destination "$work/mlartifacts" -q \
	>"$work/server.out" 2>"$work/server.err" &
server_pid=$!
url=
for _ in $(seq 300); do
	url=$(grep -o 'http://[0-9.:]*' "$work/server.out" 2>/dev/null | head -n 1) || true
	[ -n "$url" ] && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$url" ] || { echo "run.sh: the server did not start:" >&2; cat "$work/server.err" >&2; exit 1; }
echo "run.sh: ferry server at $url (store sqlite://$work/ferry.db)" >&2

# the gateway on the server: it serves the deployment, logs the predictions and steps rollouts
"$work/ferry" --tracking-uri "$url" serve --host 127.0.0.1 --port 0 -w 1 \
	>"$work/gateway.out" 2>"$work/gateway.err" &
gateway_pid=$!
gw=
for _ in $(seq 300); do
	gw=$(grep -o 'http://[0-9.:]*' "$work/gateway.out" 2>/dev/null | head -n 1) || true
	[ -n "$gw" ] && break
	kill -0 "$gateway_pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$gw" ] || { echo "run.sh: the gateway did not start:" >&2; cat "$work/gateway.err" >&2; exit 1; }
echo "run.sh: gateway at $gw" >&2

TMPDIR="$work/tmp" "$FERRY_PYTHON" "$work/project/closed_loop.py" --ferry "$work/ferry" \
	--server "$url" --gateway "$gw" --work "$work" --project "$work/project" ${json:+"$json"} \
	--summary "${summary:-$work/closed_loop.summary.json}"
