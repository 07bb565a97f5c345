#!/bin/bash
# SPDX-License-Identifier: MIT
# Dataset versions benchmark (issue 19), in one run: `ferry data add` and `ferry data get` of
#   small  10,000 files of 1-10 KB (random bytes)
#   large  3 files totalling LARGE_MB (default 1024) MB
# embedded (a SQLite file and the data root beside it) and through a `ferry server` on
# loopback, against the floor `cp -r` + `sha256sum` of every file + `sync -f` (one syncfs) of
# the same tree: an add hashes every byte, stores it and makes it durable before it returns;
# a get writes and verifies every byte and syncs. Then a second add of the small tree with 1%
# of its files changed: the bytes it sends against the bytes changed. Every add starts on a
# fresh store (a first add, nothing to deduplicate); page cache warm for every side alike.
#
#   make && bench/data_bench.sh [--runs N] [--large-mb N] [--ferry build/ferry]
#
# Each time is the median of RUNS (default 3). Target: add and get within 2x of the floor.
set -euo pipefail
RUNS=3
LARGE_MB=1024
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--large-mb) LARGE_MB=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--large-mb N] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
[ -x "$FERRY" ] || { echo "no $FERRY: run make first" >&2; exit 2; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
. "$(dirname "$0")/lib.sh"
bench_init data-bench
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
status_le() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo ok; else echo MISSED; fi; }
export FERRY_DATA_CACHE=$TMP/cache
unset FERRY_ARTIFACTS_DESTINATION MLFLOW_TRACKING_URI

echo "# generating the trees in $TMP"
python3 - "$TMP/small" "$TMP/large" "$LARGE_MB" <<'EOF'
import os, random, sys
small, large, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(19)
for i in range(10000):
    d = os.path.join(small, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(rng.randint(1024, 10240)))
os.makedirs(large)
sizes = [mb // 2, mb // 4, mb - mb // 2 - mb // 4]
block = os.urandom(1 << 20)
for k, n in enumerate(sizes):
    with open(os.path.join(large, "part%d.bin" % k), "wb") as f:
        for j in range(n):  # every MiB distinct: no chunk deduplicates
            f.write(j.to_bytes(8, "big") + k.to_bytes(8, "big") + block[16:])
EOF
sync -f "$TMP"
small_bytes=$(du -sb --apparent-size "$TMP/small" | cut -f1)
large_bytes=$(du -sb --apparent-size "$TMP/large" | cut -f1)

floor() { # SRC: cp -r + sha256sum of every file + syncfs, into $TMP/floor
	rm -rf "$TMP/floor"
	local t0 t1
	t0=$(now)
	cp -r "$1" "$TMP/floor"
	find "$TMP/floor" -type f -print0 | xargs -0 sha256sum >/dev/null
	sync -f "$TMP/floor"
	t1=$(now)
	rm -rf "$TMP/floor"
	elapsed "$t0" "$t1"
}

# fresh_store MODE: a new store (and server for "server"); sets URI
SERVER_PID=
fresh_store() {
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

add() { # NAME SRC: seconds; the --json answer in $TMP/add.json
	local t0 t1
	t0=$(now)
	FERRY_TRACKING_URI=$URI "$FERRY" data add "$1" "$2" --json >"$TMP/add.json"
	t1=$(now)
	elapsed "$t0" "$t1"
}

get() { # URI: seconds, into $TMP/out (removed after)
	rm -rf "$TMP/out"
	local t0 t1
	t0=$(now)
	FERRY_TRACKING_URI=$URI "$FERRY" data get "$1" --dst "$TMP/out" >/dev/null
	t1=$(now)
	elapsed "$t0" "$t1"
}

declare -A T
for tree in small large; do
	f=()
	for _ in $(seq "$RUNS"); do f+=("$(floor "$TMP/$tree")"); done
	T[$tree.floor]=$(median "${f[@]}")
	for mode in embedded server; do
		a=() g=()
		for _ in $(seq "$RUNS"); do
			fresh_store "$mode"
			a+=("$(add "$tree" "$TMP/$tree")")
			g+=("$(get "data:/$tree/1")")
			diff -rq "$TMP/$tree" "$TMP/out" >/dev/null || { echo "get differs ($tree, $mode)" >&2; exit 1; }
			rm -rf "$TMP/out"
		done
		T[$tree.$mode.add]=$(median "${a[@]}")
		T[$tree.$mode.get]=$(median "${g[@]}")
		echo "# $tree $mode: floor ${f[*]} | add ${a[*]} | get ${g[*]}"
	done
done

# a second add with 1% of the small files changed (the first 16 bytes of 100 files)
declare -A SENT CHANGED
for mode in embedded server; do
	fresh_store "$mode"
	add small "$TMP/small" >/dev/null
	cp -r "$TMP/small" "$TMP/small2"
	changed=0
	for i in $(seq 0 99); do
		p=$(printf '%s/small2/d%02d/f%05d.bin' "$TMP" $((i * 100 % 100)) $((i * 100)))
		head -c 16 /dev/urandom | dd of="$p" bs=16 count=1 conv=notrunc status=none
		changed=$((changed + $(stat -c %s "$p")))
	done
	T[small.$mode.add2]=$(add small "$TMP/small2")
	SENT[$mode]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes_sent"])' "$TMP/add.json")
	CHANGED[$mode]=$changed
	rm -rf "$TMP/small2"
done
[ -n "$SERVER_PID" ] && stop "$SERVER_PID"

echo "machine: $(nproc) cpus, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), ${RUNS} runs, disk $(df -P "$TMP" | awk 'NR==2 {print $1}')"
echo "small: 10000 files, $small_bytes bytes; large: 3 files, $large_bytes bytes"
printf '%-44s %9s %7s %s\n' "figure" "median s" "x floor" "target <= 2x"
for tree in small large; do
	fl=${T[$tree.floor]}
	printf '%-44s %9.3f\n' "$tree: cp -r + sha256sum + sync -f (floor)" "$fl"
	for mode in embedded server; do
		for op in add get; do
			v=${T[$tree.$mode.$op]}
			r=$(ratio "$v" "$fl")
			printf '%-44s %9.3f %7s %s\n' "$tree: $op, $mode" "$v" "$r" "$(status_le "$r" 2)"
		done
	done
done
for mode in embedded server; do
	printf '%-44s %9.3f   sent %s bytes for %s bytes changed\n' \
		"small, 1 percent changed: add, $mode" "${T[small.$mode.add2]}" "${SENT[$mode]}" "${CHANGED[$mode]}"
done
