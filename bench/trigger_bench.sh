#!/bin/bash
# SPDX-License-Identifier: MIT
# Trigger scheduler's cost while idle (issue 21): two `ferry server`s on their own SQLite files,
# side by side for the same WINDOW seconds, one with no trigger and one with TRIGGERS triggers
# defined (half schedules that do not come due - "0 3 1 1 *" - half dataset triggers on a
# dataset that gets no version), nothing firing. The figure is each server's CPU time
# (user + system, /proc/PID/stat) over the window, as seconds per hour, and the difference: what
# the triggers cost. Target: a small fraction of a core (the issue: "CPU per hour with 1,000
# triggers defined").
#
#   make && bench/trigger_bench.sh [--triggers N] [--window S] [--ferry build/ferry]
#
# The scheduler ticks every second (FERRY_TRIGGER_TICK_MS), as a default server does.
set -euo pipefail
N=1000
WINDOW=60
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--triggers) N=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--triggers N] [--window S] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init trigger-bench
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

mkdir -p "$TMP/pipe"
printf 'name: idle\nsteps:\n  s:\n    run: "true"\n' >"$TMP/pipe/pipeline.yaml"

start empty "$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "sqlite:///$TMP/empty.db"
PID_EMPTY=${PIDS[-1]}
URL_EMPTY=$URL
start full "$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "sqlite:///$TMP/full.db"
PID_FULL=${PIDS[-1]}
URL_FULL=$URL

t0=$(date +%s.%N)
"$PY" - "$URL_FULL" "$N" "$TMP/pipe" <<'EOF'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2]); pipe = sys.argv[3]
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
for i in range(n):
    on = {"schedule": "0 3 1 1 *"} if i % 2 == 0 else {"dataset": {"name": "never-%d" % i}}
    spec = {"name": "t%05d" % i, "on": on, "pipeline": {"uri": pipe}}
    c.request("POST", "/api/2.0/ferry/triggers/apply", json.dumps({"spec": spec}),
              {"Content-Type": "application/json"})
    r = c.getresponse(); body = r.read()
    if r.status != 200:
        sys.exit("apply %d: %d %s" % (i, r.status, body[:200]))
EOF
t1=$(date +%s.%N)
echo "applied $N triggers in $(echo "$t1 - $t0" | bc) s"

cpu() { # utime + stime of a pid, in clock ticks
	awk '{print $14 + $15}' "/proc/$1/stat"
}
sleep 5 # past the first ticks after the applies
e0=$(cpu "$PID_EMPTY")
f0=$(cpu "$PID_FULL")
sleep "$WINDOW"
e1=$(cpu "$PID_EMPTY")
f1=$(cpu "$PID_FULL")
HZ=$(getconf CLK_TCK)
per_hour() { echo "scale=2; ($2 - $1) / $HZ * 3600 / $WINDOW" | bc; }
E=$(per_hour "$e0" "$e1")
F=$(per_hour "$f0" "$f1")
echo "window ${WINDOW} s, tick 1 s"
echo "server, no trigger:        $E CPU s per hour"
echo "server, $N triggers:     $F CPU s per hour"
echo "the triggers' cost:        $(echo "scale=2; $F - $E" | bc) CPU s per hour ($(echo "scale=3; ($F - $E) / 36" | bc) % of a core)"
