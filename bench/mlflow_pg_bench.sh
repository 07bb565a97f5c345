#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ferry against stock MLflow 2.17.2, both on PostgreSQL, same REST workloads:
#
#   MLFLOW_SRC=... MLFLOW_VENDOR=... bench/mlflow_pg_bench.sh [--no-build] [--keep] [DRIVER ARGS...]
#
# MLFLOW_SRC     the directory holding the mlflow/ package of MLflow 2.17.2
#                ($MLFLOW_HOME/v2.17.2 of /work/shared/mlflow-clients/restore.sh)
# MLFLOW_VENDOR  its extra pure-Python dependencies (opentelemetry 1.27.0;
#                $MLFLOW_HOME/vendor of restore.sh)
# MLFLOW_BENCH_PG_DIR  optional: where the throwaway cluster goes (must not exist;
#                default: inside the run's temporary directory); removed at the end
# MLflow's server also needs Debian's python3-psycopg2 (and restore.sh's packages)
# and runs under /usr/bin/python3.
#
# Starts a throwaway PostgreSQL cluster (tests/pg/cluster: fsync off, the same
# for both servers), stock MLflow (`mlflow server`, its default 4 gunicorn sync
# workers, as users run it) on one database and `build/ferry server` (release
# build, --max-connections-per-ip 0) on another, and drives the same REST
# workloads at both with one driver, bench/mlflow_pg_driver.py (standard library
# only): log-metric over 1, 16 and 64 connections, log-batch x1000 at 1 and 4
# clients, runs/search over up to 5,000 runs it creates over REST first,
# get-history of a metric of up to 100,000 steps logged by log-batch, and
# registered-models/search over up to 1,000 models. MLflow is slow, so the
# loops are sized by time: each throughput figure is "as many requests as fit
# in 10 s" (--seconds), and the data sets are what MLflow writes within a time
# budget (--create-seconds 330, --history-seconds 90, --models-seconds 60), then
# written the same to ferry. About 12 minutes in all (MLflow writes ~17 search
# runs/s on 2 busy cores: 5,000 runs take ~5 minutes of it).
#
# Prints a table: figure, MLflow, ferry, ferry/MLflow (> 1: ferry is better),
# and whether ferry is >= 20x. The driver is Python: its own CPU cost caps the
# throughput it can measure, so its throughput ratios are a floor. The write
# throughputs are then measured again with the C client, build/bench/
# tracking_bench --url (log-metric at 1 and 64 connections, log-batch x1000 at
# 1 and 4 clients, 3 s each), against both servers, in a second table. Logs go
# to a temporary directory, kept with --keep or when something failed.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
KEEP=0
DRIVER_ARGS=()
while [ $# -gt 0 ]; do
	case $1 in
	--no-build) BUILD=0 ;;
	--keep) KEEP=1 ;;
	-h | --help) sed -n '3,37p' "$0" >&2; exit 2 ;;
	*) DRIVER_ARGS+=("$1") ;;
	esac
	shift
done
if [ -z "${MLFLOW_SRC:-}" ] || [ -z "${MLFLOW_VENDOR:-}" ]; then
	echo "mlflow_pg_bench: set MLFLOW_SRC and MLFLOW_VENDOR to a built MLflow 2.17.2" >&2
	echo "  (see /work/shared/mlflow-clients/README.md, restore.sh: MLFLOW_SRC=\$MLFLOW_HOME/v2.17.2" >&2
	echo "   MLFLOW_VENDOR=\$MLFLOW_HOME/vendor)" >&2
	exit 2
fi
[ -d "$MLFLOW_SRC/mlflow" ] || { echo "mlflow_pg_bench: no mlflow/ package in MLFLOW_SRC=$MLFLOW_SRC" >&2; exit 2; }
PY=/usr/bin/python3
MLV=$(cd / && PYTHONPATH="$MLFLOW_SRC:$MLFLOW_VENDOR" "$PY" -c 'import mlflow, psycopg2; print(mlflow.__version__)') || {
	echo "mlflow_pg_bench: cannot import mlflow and psycopg2 (apt-get install python3-psycopg2)" >&2
	exit 2
}
if [ "$BUILD" = 1 ]; then
	# two makes: `make all bench` in one call builds the library twice at once
	make -j2 all >&2
	make -j2 bench >&2
fi
FERRY=$PWD/build/ferry
TB=$PWD/build/bench/tracking_bench
[ -x "$TB" ] || { echo "mlflow_pg_bench: no $TB (make bench)" >&2; exit 2; }

T=$(mktemp -d /tmp/ferry-mlflow-pg-bench-XXXXXX)
chmod 755 "$T" # the cluster inside belongs to the postgres user when we are root
PGD=${MLFLOW_BENCH_PG_DIR:-$T/pg}
[ ! -e "$PGD" ] || { rmdir "$T"; echo "mlflow_pg_bench: $PGD exists" >&2; exit 2; }
PG_STARTED=0
PIDS=()
FAILED=0
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local p
	# each server runs in its own process group (setsid): MLflow's CLI starts gunicorn,
	# which starts the workers; the group takes them all
	for p in "${PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ "$PG_STARTED" = 0 ] || tests/pg/cluster stop "$PGD" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ] || [ "$FAILED" != 0 ]; then
		echo "mlflow_pg_bench: outputs and logs kept in $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_health NAME URL SECONDS
wait_health() {
	local _
	for _ in $(seq 1 $(($3 * 10))); do
		curl -fs "$2/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	FAILED=1
	echo "mlflow_pg_bench: $1 does not answer at $2; see $T/$1.log" >&2
	tail -n 20 "$T/$1.log" >&2 || true
	exit 1
}

MACHINE="$(nproc) cpus, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), Linux $(uname -r)"
log "machine: $MACHINE, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "outputs in $T"

PG_STARTED=1 # from here on, the directory is ours to remove
tests/pg/cluster start "$PGD" >/dev/null
MLDB=$(tests/pg/cluster createdb "$PGD" mlflowdb)
FDB=$(tests/pg/cluster createdb "$PGD" ferrydb)
BASE=$(tests/pg/cluster uri "$PGD")
PGFSYNC=$(psql -Atq "$BASE/postgres" -c 'SHOW fsync')
PGVER=$(psql -Atq "$BASE/postgres" -c 'SHOW server_version')
log "PostgreSQL $PGVER, fsync $PGFSYNC, synchronous_commit $(psql -Atq "$BASE/postgres" -c 'SHOW synchronous_commit')"

# ---------- stock MLflow (its CLI runs gunicorn -w 4 mlflow.server:app) ----------
MPORT=$(free_port)
mkdir -p "$T/mlflow-artifacts"
(cd "$T" && PYTHONPATH="$MLFLOW_SRC:$MLFLOW_VENDOR" exec setsid "$PY" -m mlflow server \
	--backend-store-uri "$MLDB" \
	--serve-artifacts --artifacts-destination "$T/mlflow-artifacts" \
	--host 127.0.0.1 --port "$MPORT" --workers 4) >"$T/mlflow.log" 2>&1 &
PIDS+=($!)
MURL=http://127.0.0.1:$MPORT
log "MLflow $MLV: $MURL on $MLDB (creates its schema first)"
wait_health mlflow "$MURL" 180

# ---------- ferry ----------
setsid "$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "$FDB" --quiet \
	--max-connections-per-ip 0 --artifacts-destination "$T/ferry-artifacts" \
	>"$T/ferry.stdout" 2>"$T/ferry.log" &
PIDS+=($!)
FURL=""
for _ in $(seq 1 300); do
	FURL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$T/ferry.stdout" | head -n 1)
	[ -n "$FURL" ] && break
	sleep 0.1
done
[ -n "$FURL" ] || { FAILED=1; echo "mlflow_pg_bench: ferry did not start; see $T/ferry.log" >&2; exit 1; }
wait_health ferry "$FURL" 30
log "ferry $("$FERRY" --version 2>/dev/null | head -n 1): $FURL on $FDB"

# ---------- the workloads ----------
rc=0
"$PY" bench/mlflow_pg_driver.py --mlflow "$MURL" --ferry "$FURL" "${DRIVER_ARGS[@]+"${DRIVER_ARGS[@]}"}" \
	>"$T/driver.out" 2>"$T/driver.err" || rc=$?
[ "$rc" = 0 ] || FAILED=1
cat "$T/driver.err" >&2

# The write throughputs again with the C client (tracking_bench --url: libcurl,
# one keep-alive handle per thread, each phase bounded by count and by 3 s), whose
# own cost does not cap ferry's figures the way the Python driver's does. MLflow
# first, then ferry, each on a run of its own; each checks every acknowledged
# point is stored (metrics/get-history on the server measured).
for who in mlflow ferry; do
	url=$MURL
	[ "$who" = ferry ] && url=$FURL
	log "tracking_bench --url $url --only metric,batch ($who)"
	"$TB" --url "$url" --only metric,batch >"$T/tb-$who.out" 2>"$T/tb-$who.err" || {
		rc=1
		FAILED=1
		echo "mlflow_pg_bench: tracking_bench against $who failed; see $T/tb-$who.err" >&2
	}
done

echo
echo "ferry vs stock MLflow $MLV, both on PostgreSQL $PGVER (fsync $PGFSYNC for both), same REST driver"
echo "machine: $MACHINE, load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "MLflow: mlflow server, 4 gunicorn sync workers; ferry: build/ferry server (release), --max-connections-per-ip 0"
cat "$T/driver.out"
echo
echo "the write throughputs with the C client (build/bench/tracking_bench --url URL --only metric,batch)"
"$PY" - "$T/tb-mlflow.out" "$T/tb-ferry.out" <<'PYEOF' || rc=1
import json, sys

def figures(path):
    """The figures and checks of tracking_bench's last line (its JSON)."""
    try:
        last = [l for l in open(path) if l.startswith("{")][-1]
    except (OSError, IndexError):
        return {}, [("tracking_bench printed no figures (%s)" % path, False)]
    j = json.loads(last)
    return ({f["name"]: f for f in j["figures"]},
            [(c["name"], c["ok"]) for c in j["checks"]])

(mf, mc), (ff, fc) = figures(sys.argv[1]), figures(sys.argv[2])
print("| figure | unit | MLflow | ferry | ferry/MLflow | >= 20x |")
print("|---|---|---:|---:|---:|---|")
for name, f in ff.items():
    if "REST" not in name or name not in mf:
        continue
    m, v = mf[name]["value"], f["value"]
    ratio = v / m if m else float("inf")
    print("| %s | %s | %.4g | %.4g | %.1fx | %s |" % (name, f["unit"], m, v, ratio,
                                                       "yes" if ratio >= 20 else "no"))
bad = ["%s: %s" % (who, n) for who, cs in (("MLflow", mc), ("ferry", fc)) for n, ok in cs if not ok]
print("checks: " + ("every check ok on both" if not bad else "FAILED " + "; ".join(bad)))
sys.exit(1 if bad else 0)
PYEOF
exit "$rc"
