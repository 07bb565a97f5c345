#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SQLite against PostgreSQL, side by side, in one run (release build):
#
#   bench/pg_bench.sh [--no-build] [--large-runs N] [--models N] [--replicas N] [--keep]
#
# The same workloads three times: one `ferry server` on a SQLite file, one on
# a PostgreSQL database (a throwaway cluster, tests/pg/cluster), and N
# replicas (default 3) on that database behind HAProxy (round robin, health
# checks on /health). Workloads: tracking_bench's log-metric at 1 and 64
# connections, log-batch x1000 at 1 and 4 clients, runs/search over 5,000
# and over --large-runs (default 100,000) runs, get-history of a
# 100,000-step metric; registry_bench's searches and alias resolution over
# --models (default 10,000) models x 10 versions.
#
# The data: the benchmarks write the search runs, the history and the
# models into the SQLite store through the embedded store API (as they
# always do), and `ferry db copy` moves that store into the PostgreSQL
# database, ids kept; the PostgreSQL runs find the data there and measure
# the same rows (writing 100,000 runs one transaction each into PostgreSQL
# would take longer than the rest of the run). The REST workloads write
# new runs of their own on each store.
#
# PostgreSQL runs with fsync on (the throwaway cluster turns it off for the
# tests; the benchmark turns it back on): a commit is on disk when
# acknowledged. ferry's SQLite default (synchronous=NORMAL) does not fsync
# at commit, so the write figures are also measured at equal durability
# both ways: SQLite with FERRY_SQLITE_SYNC=FULL, and PostgreSQL with fsync
# off.
#
# Prints a table of the figures with the ratios PostgreSQL / SQLite and
# whether each is within the target (2x: at least half of SQLite's
# throughput, at most twice its latency). About 10-15 minutes on 2 cores.
# Logs and outputs go to a temporary directory, kept with --keep or when
# something failed.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
LARGE=100000
MODELS=10000
REPLICAS=3
KEEP=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) BUILD=0 ;;
	--large-runs) LARGE=$2; shift ;;
	--models) MODELS=$2; shift ;;
	--replicas) REPLICAS=$2; shift ;;
	--keep) KEEP=1 ;;
	*) sed -n '3,5p' "$0" >&2; exit 2 ;;
	esac
	shift
done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || { echo "pg_bench: no haproxy (scripts/install-deps)" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
	# two makes: `make all bench` in one call builds the library twice at once
	make -j2 all >&2
	make -j2 bench >&2
fi
FERRY=$PWD/build/ferry
TB=$PWD/build/bench/tracking_bench
RB=$PWD/build/bench/registry_bench

T=$(mktemp -d /tmp/ferry-pg-bench-XXXXXX)
chmod 755 "$T" # the cluster inside belongs to the postgres user when we are root
PIDS=()
FAILED=0
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	tests/pg/cluster stop "$T/pg" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ]; then
		echo "pg_bench: outputs and logs kept in $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }

# run NAME CMD...: stdout to $T/NAME.out (its last line, the JSON, to
# $T/NAME.json), stderr to $T/NAME.err; a failure is noted, not fatal, so
# that the other figures still come out.
run() {
	local name=$1 t0 rc=0
	shift
	log "$name: $*"
	echo "$*" >"$T/$name.cmd"
	t0=$(date +%s)
	"$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	tail -n 1 "$T/$name.out" >"$T/$name.json"
	if [ "$rc" != 0 ]; then
		FAILED=1
		log "$name: exit status $rc; see $T/$name.out and .err"
		grep -E 'FAILED|registry_bench:|tracking_bench:' "$T/$name.out" "$T/$name.err" | head -n 10 >&2 || true
	fi
	log "$name: $(($(date +%s) - t0)) s"
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME STORE: a `ferry server` on a free port, its URL in $URL.
start_server() {
	local name=$1 store=$2 i
	"$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "$store" --quiet \
		--max-connections-per-ip 0 --artifacts-destination "$T/artifacts" \
		>"$T/$name.stdout" 2>"$T/$name.log" &
	PIDS+=($!)
	for i in $(seq 1 300); do
		URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T/$name.stdout" | head -n 1)
		[ -n "$URL" ] && return 0
		sleep 0.1
	done
	echo "pg_bench: $name did not start; see $T/$name.log" >&2
	FAILED=1
	exit 1
}

# stop_all: SIGTERM to every server, SIGUSR1 to haproxy (its graceful stop;
# SIGTERM kills it); each must exit 0.
stop_all() {
	local p rc
	for p in "${PIDS[@]}"; do
		if [ "$p" = "${HAPROXY_PID:-}" ]; then
			kill -USR1 "$p" 2>/dev/null || true
		else
			kill "$p" 2>/dev/null || true
		fi
	done
	for p in "${PIDS[@]}"; do
		rc=0
		wait "$p" || rc=$?
		if [ "$rc" != 0 ]; then
			log "process $p exited $rc"
			FAILED=1
		fi
	done
	PIDS=()
}

MACHINE="$(nproc) cpus, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "machine: $MACHINE"
log "outputs in $T"

# ---------- SQLite: one server on one file ----------
SQ="sqlite://$T/sqlite.db"
run sq-large "$TB" --backend-store-uri "$SQ" --search-runs "$LARGE" --only search
run sq-track "$TB" --backend-store-uri "$SQ" --only metric,batch,search,history
run sq-reg "$RB" --backend-store-uri "$SQ" --models "$MODELS"
# SQLite commits without fsync (synchronous=NORMAL: durable against a crash of
# the process, not of the machine); PostgreSQL fsyncs its WAL at each commit.
# The writes once more at PostgreSQL's durability, for comparison:
run sqfull-track env FERRY_SQLITE_SYNC=FULL "$TB" --backend-store-uri "$SQ" --only metric,batch

# ---------- the same rows into PostgreSQL ----------
tests/pg/cluster start "$T/pg" >/dev/null
PG=$(tests/pg/cluster createdb "$T/pg" bench)
BASE=$(tests/pg/cluster uri "$T/pg")
# The test cluster runs without fsync (tests/pg/cluster); a PostgreSQL that
# keeps what it acknowledged through a power loss fsyncs its WAL at commit:
# measure that one (fsync can change with a reload).
pg_fsync() {
	psql -q "$BASE/postgres" -c "ALTER SYSTEM SET fsync = $1" -c "SELECT pg_reload_conf()" >/dev/null
	sleep 0.5
	log "PostgreSQL fsync: $(psql -Atq "$BASE/postgres" -c 'SHOW fsync')"
}
pg_fsync on
log "ferry db copy $SQ $PG"
t0=$(date +%s.%N)
"$FERRY" db copy "$SQ" "$PG" >"$T/copy.out" 2>"$T/copy.err" ||
	{ FAILED=1; cat "$T/copy.err" >&2; exit 1; }
COPY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "copied in $COPY_S s"

# ---------- PostgreSQL: one server ----------
run pg-large "$TB" --backend-store-uri "$PG" --search-runs "$LARGE" --only search
run pg-track "$TB" --backend-store-uri "$PG" --only metric,batch,search,history
run pg-reg "$RB" --backend-store-uri "$PG" --models "$MODELS"
# PostgreSQL's writes at SQLite's durability (both keep a commit through a
# crash of the database's process, not of the machine):
pg_fsync off
run pgoff-track "$TB" --backend-store-uri "$PG" --only metric,batch
pg_fsync on

# ---------- PostgreSQL: replicas behind HAProxy ----------
SERVERS=""
for r in $(seq 1 "$REPLICAS"); do
	start_server "replica$r" "$PG"
	SERVERS="$SERVERS    server r$r ${URL#http://} check
"
done
HP=$(free_port)
cat >"$T/haproxy.cfg" <<CFG
global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend replicas
    bind 127.0.0.1:$HP
    default_backend ferry
backend ferry
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1
    default-server inter 1s
$SERVERS
CFG
"$HAPROXY" -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
HAPROXY_PID=$!
PIDS+=($!)
up=0
for i in $(seq 1 100); do
	curl -fs "http://127.0.0.1:$HP/health" >/dev/null && { up=1; break; }
	sleep 0.1
done
[ "$up" = 1 ] || { FAILED=1; echo "pg_bench: haproxy does not answer:" >&2; cat "$T/haproxy.log" >&2; exit 1; }
HURL="http://127.0.0.1:$HP"
run rep-large "$TB" --url "$HURL" --backend-store-uri "$PG" --search-runs "$LARGE" --only search
run rep-track "$TB" --url "$HURL" --backend-store-uri "$PG" --only metric,batch,search,history
run rep-reg "$RB" --url "$HURL" --backend-store-uri "$PG" --models "$MODELS"
stop_all

# ---------- the table ----------
/usr/bin/python3 - "$T" "$MACHINE" "$COPY_S" "$REPLICAS" "$LARGE" "$MODELS" <<'PY'
import json, re, sys
T, machine, copy_s, replicas, large, models = sys.argv[1:7]

def load(name):
    try:
        with open("%s/%s.json" % (T, name)) as f:
            return json.loads(f.read())
    except (OSError, ValueError):
        return {}

def figs(doc):
    return {f["name"]: f for f in doc.get("figures", []) if f.get("value") is not None}

def find(doc, pattern):
    for name, f in figs(doc).items():
        if re.fullmatch(pattern, name):
            return f["value"], f["unit"]
    return None, None

rows = [  # label, bench kind, run, pattern
    ("log-metric, 1 connection", "track", r"log-metric, REST, 1 keep-alive connection"),
    ("log-metric, 64 connections", "track", r"log-metric, REST, 64 keep-alive connections"),
    ("log-batch x1000, 1 client", "track", r"log-batch x1000, REST, 1 client"),
    ("log-batch x1000, 4 clients", "track", r"log-batch x1000, REST, 4 clients"),
    ("runs/search, 5,000 runs, median", "track", r"runs/search over \d+ runs, REST, median"),
    ("runs/search, %s runs, median" % format(int(large), ","), "large",
     r"runs/search over \d+ runs, REST, median"),
    ("get-history 100,000 steps, median", "track", r"get-history \d+ steps, REST, median"),
    ("registered-models/search, first 100", "reg", r"registered-models/search, first 100.*"),
    ("registered-models/search, LIKE + tag", "reg", r"registered-models/search, name LIKE.*"),
    ("model-versions/search, one model", "reg", r"model-versions/search.*"),
    ("registered-models/alias", "reg", r"registered-models/alias.*"),
    ("ferry/models/resolve @champion", "reg", r"ferry/models/resolve.*"),
    # the store alone, without HTTP (embedded: the benchmark's own connection)
    ("embedded: runs/search, 5,000 runs", "track", r"runs/search over \d+ runs, embedded, median"),
    ("embedded: runs/search, %s runs" % format(int(large), ","), "large",
     r"runs/search over \d+ runs, embedded, median"),
    ("embedded: get-history store read", "track", r"get-history \d+ steps, embedded store read.*"),
]
docs = {(b, k): load("%s-%s" % (b, k)) for b in ("sq", "sqfull", "pg", "pgoff", "rep")
        for k in ("track", "large", "reg")}

def fmt(v):
    if v is None:
        return "n/a"
    return "%.0f" % v if abs(v) >= 1000 else "%.1f" % v if abs(v) >= 10 else "%.3f" % v

def ratio(v, base, unit):
    if v is None or not base:
        return "n/a", None
    r = v / base
    ok = r >= 0.5 if unit.endswith("/s") else r <= 2.0
    return "%.2f" % r, ok

print("\nferry: SQLite vs PostgreSQL (release build)")
print("machine: %s" % machine)
print("PostgreSQL data: `ferry db copy` of the SQLite store (%s s); %s replicas behind HAProxy"
      % (copy_s, replicas))
print()
hdr = ("figure", "unit", "SQLite", "PostgreSQL", "PG/SQ", "%sx HAProxy" % replicas,
       "x%s/SQ" % replicas, "within 2x", "SQLite FULL", "PG/FULL", "PG no fsync", "PGoff/SQ")
print("| " + " | ".join(hdr) + " |")
print("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
missed = 0
for label, kind, pat in rows:
    sq, unit = find(docs[("sq", kind)], pat)
    pg, _ = find(docs[("pg", kind)], pat)
    rep, _ = find(docs[("rep", kind)], pat)
    unit = unit or ""
    r1, ok1 = ratio(pg, sq, unit)
    r2, ok2 = ratio(rep, sq, unit)
    embedded = label.startswith("embedded")
    status = "-" if embedded and rep is None else \
        "ok" if ok1 and (ok2 or (embedded and rep is None)) else "MISSED"
    if ok1 is None:
        status = "n/a"
    elif status == "MISSED":
        missed += 1
    full, _ = find(docs[("sqfull", kind)], pat)
    r3, _ = ratio(pg, full, unit)
    off, _ = find(docs[("pgoff", kind)], pat)
    r4, _ = ratio(off, sq, unit)
    print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        label, unit, fmt(sq), fmt(pg), r1, fmt(rep), r2, status,
        fmt(full) if full is not None else "", r3 if full is not None else "",
        fmt(off) if off is not None else "", r4 if off is not None else ""))
print()
bad = []
for (b, k), doc in sorted(docs.items()):
    for c in doc.get("checks", []):
        if not c.get("ok"):
            bad.append("%s-%s: %s (%s)" % (b, k, c["name"], c["detail"]))
    if not doc and (b not in ("sqfull", "pgoff") or k == "track"):
        bad.append("%s-%s: no result (see %s/%s-%s.err)" % (b, k, T, b, k))
print("checks: %s" % ("all ok" if not bad else "FAILED:\n  " + "\n  ".join(bad)))
print("figures beyond 2x of SQLite's: %d" % missed)
print("PostgreSQL: fsync on (its WAL on disk at each commit). SQLite: ferry's default, "
      "synchronous=NORMAL (no fsync at commit).")
print("SQLite FULL: FERRY_SQLITE_SYNC=FULL, an fsync per commit (PostgreSQL's durability); "
      "PG no fsync: fsync = off (SQLite NORMAL's: a commit survives the database process's "
      "crash, not the machine's). Writes only.")
PY
