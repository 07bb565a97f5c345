#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two builds of ferry A/B on PostgreSQL's tracking writes, rounds alternating:
#
#   bench/pg_ab.sh [--rounds N] [--only PHASES] A_TREE B_TREE
#
# A_TREE and B_TREE are checkouts with a release build (`make all bench`),
# e.g. a `git worktree` of the commit before a change and this one. A
# throwaway cluster (tests/pg/cluster) with fsync on gets one database per
# build (each build creates and migrates its own schema), and
# tracking_bench --only PHASES (default metric,batch) runs A, B, A, B ...
# N rounds (default 4) each. Prints each round's REST figures, then the
# medians and B/A per figure. Alternating rounds on one machine are what
# make the ratio worth reading on a shared, noisy machine.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=4
ONLY=metric,batch
while [ $# -gt 2 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	*) sed -n '3,5p' "$0" >&2; exit 2 ;;
	esac
	shift
done
[ $# -eq 2 ] || { sed -n '3,5p' "$0" >&2; exit 2; }
TREE_A=$(cd "$1" && pwd)
TREE_B=$(cd "$2" && pwd)
for t in "$TREE_A" "$TREE_B"; do
	if [ ! -x "$t/build/ferry" ] || [ ! -x "$t/build/bench/tracking_bench" ]; then
		echo "pg_ab: $t has no release build (make all bench)" >&2
		exit 1
	fi
done

T=$(mktemp -d /tmp/ferry-pg-ab-XXXXXX)
chmod 755 "$T" # the cluster inside belongs to the postgres user when we are root
cleanup() { tests/pg/cluster stop "$T/pg" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
tests/pg/cluster start "$T/pg" >/dev/null
BASE=$(tests/pg/cluster uri "$T/pg")
psql -q "$BASE/postgres" -c "ALTER SYSTEM SET fsync = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
echo "# PostgreSQL fsync: $(psql -Atq "$BASE/postgres" -c 'SHOW fsync'); $(uptime)"
DB_A=$(tests/pg/cluster createdb "$T/pg" ab_a)
DB_B=$(tests/pg/cluster createdb "$T/pg" ab_b)

for round in $(seq 1 "$ROUNDS"); do
	for v in A B; do
		if [ "$v" = A ]; then tree=$TREE_A db=$DB_A; else tree=$TREE_B db=$DB_B; fi
		out="$T/$v.$round"
		"$tree/build/bench/tracking_bench" --ferry "$tree/build/ferry" --backend-store-uri "$db" \
			--only "$ONLY" >"$out.out" 2>"$out.err" ||
			{ echo "pg_ab: $v round $round failed:" >&2; tail -n 5 "$out.err" >&2; exit 1; }
		tail -n 1 "$out.out" >"$out.json"
		echo "# $v round $round done"
	done
done

# Medians per REST figure (the JSON line tracking_bench prints last).
python3 - "$T" "$ROUNDS" <<'PY'
import json, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])
fig = {}
for v in "AB":
    for r in range(1, rounds + 1):
        for f in json.load(open(f"{d}/{v}.{r}.json"))["figures"]:
            if "REST" in f["name"]:
                fig.setdefault(f["name"], {"A": [], "B": [], "unit": f["unit"]})[v].append(f["value"])
print(f"{'figure':44} {'unit':10} {'A median':>10} {'B median':>10} {'B/A':>6}  each run A | B")
for name, x in fig.items():
    a, b = statistics.median(x["A"]), statistics.median(x["B"])
    each = " ".join(f"{v:.0f}" for v in x["A"]) + " | " + " ".join(f"{v:.0f}" for v in x["B"])
    print(f"{name:44} {x['unit']:10} {a:10.0f} {b:10.0f} {b / a if a else 0:6.2f}  {each}")
PY
