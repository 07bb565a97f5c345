#!/bin/bash
# SPDX-License-Identifier: MIT
# Artifact transfer benchmark (issue 3): a file of SIZE_MB (default 1024) up
# through `ferry server`'s artifact proxy and back down, against cp of the
# same file on the same disk, in the same run; and the server's peak RSS.
#
#   make && bench/artifacts_bench.sh [--size-mb N] [--runs N] [--ferry build/ferry]
#
# Each figure is the median of RUNS (default 3) timings. Uploads are
# durable when acknowledged (ferry fsyncs before renaming into place), so cp
# is timed both alone and followed by `sync FILE`. Targets: upload and
# download >= 0.5x cp; peak server RSS <= 32 MB.
set -euo pipefail
SIZE_MB=1024
RUNS=3
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--size-mb) SIZE_MB=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--size-mb N] [--runs N] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
[ -x "$FERRY" ] || { echo "no $FERRY: run make first" >&2; exit 2; }
FERRY=$(cd "$(dirname "$FERRY")" && pwd)/$(basename "$FERRY")
TMP=$(mktemp -d /var/tmp/ferry-art-bench-XXXXXX)
SERVER_PID=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# generating ${SIZE_MB} MB of random data in $TMP"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$TMP/big.bin"
sync "$TMP/big.bin"

cd "$TMP"
"$FERRY" server --host 127.0.0.1 --port 0 --backend-store-uri "$TMP/bench.db" \
	--artifacts-destination "$TMP/dest" --quiet >server.out 2>server.err &
SERVER_PID=$!
for _ in $(seq 200); do grep -q listening server.out 2>/dev/null && break; sleep 0.05; done
URL=$(grep -o 'http://[0-9.:]*' server.out)
[ -n "$URL" ] || { echo "server did not start" >&2; cat server.err >&2; exit 1; }
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)

cp_t=() cps_t=() up_t=() down_t=() null_t=()
for i in $(seq "$RUNS"); do
	t0=$(now); cp big.bin copy.bin; t1=$(now)
	cp_t+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f copy.bin
	t0=$(now); cp big.bin copy.bin; sync copy.bin; t1=$(now)
	cps_t+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f copy.bin
	t0=$(now)
	curl -sf -T big.bin "$URL/api/2.0/mlflow-artifacts/artifacts/bench/$i/big.bin" >/dev/null
	t1=$(now)
	up_t+=("$(echo "$t1 - $t0" | bc -l)")
	t0=$(now)
	curl -sf -o down.bin "$URL/api/2.0/mlflow-artifacts/artifacts/bench/$i/big.bin"
	t1=$(now)
	down_t+=("$(echo "$t1 - $t0" | bc -l)")
	cmp -s big.bin down.bin || { echo "download differs from upload" >&2; exit 1; }
	t0=$(now)
	curl -sf -o /dev/null "$URL/api/2.0/mlflow-artifacts/artifacts/bench/$i/big.bin"
	t1=$(now)
	null_t+=("$(echo "$t1 - $t0" | bc -l)")
	rm -f down.bin "dest/bench/$i/big.bin"
done
# the same through ferry's own client (libferry over REST, 1 MiB buffers)
RID=$(curl -sf -X POST "$URL/api/2.0/mlflow/runs/create" -H 'Content-Type: application/json' \
	-d '{"experiment_id": "0"}' | sed -E 's/.*"run_id":"([0-9a-f]+)".*/\1/')
fup_t=() fdown_t=()
for i in $(seq "$RUNS"); do
	t0=$(now)
	FERRY_TRACKING_URI=$URL "$FERRY" artifacts log "$RID" big.bin --artifact-path "r$i" -q
	t1=$(now)
	fup_t+=("$(echo "$t1 - $t0" | bc -l)")
	t0=$(now)
	FERRY_TRACKING_URI=$URL "$FERRY" artifacts download "$RID" "r$i/big.bin" --dst "dl$i" -q
	t1=$(now)
	fdown_t+=("$(echo "$t1 - $t0" | bc -l)")
	cmp -s big.bin "dl$i/big.bin" || { echo "ferry download differs" >&2; exit 1; }
	rm -rf "dl$i"
done
rss_peak=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)

cp_m=$(printf '%s\n' "${cp_t[@]}" | median)
cps_m=$(printf '%s\n' "${cps_t[@]}" | median)
up_m=$(printf '%s\n' "${up_t[@]}" | median)
down_m=$(printf '%s\n' "${down_t[@]}" | median)
null_m=$(printf '%s\n' "${null_t[@]}" | median)
fup_m=$(printf '%s\n' "${fup_t[@]}" | median)
fdown_m=$(printf '%s\n' "${fdown_t[@]}" | median)
mbps() { echo "scale=1; $SIZE_MB / $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
status() { if [ "$(echo "$1 >= $2" | bc -l)" = 1 ]; then echo ok; else echo MISSED; fi; }
status_le() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo ok; else echo MISSED; fi; }

echo "machine: $(nproc) cpus, $(uname -r), $(date -u +%FT%TZ), file ${SIZE_MB} MB on $(df -P "$TMP" | awk 'NR==2 {print $1}'), ${RUNS} runs"
printf '%-52s %10s %s\n' "figure" "median" "target/status"
printf '%-52s %10s\n' "cp, MB/s" "$(mbps "$cp_m")"
printf '%-52s %10s\n' "cp + sync FILE, MB/s" "$(mbps "$cps_m")"
printf '%-52s %10s\n' "upload (curl -T through the proxy), MB/s" "$(mbps "$up_m")"
printf '%-52s %10s\n' "download (curl through the proxy), MB/s" "$(mbps "$down_m")"
printf '%-52s %10s\n' "download to /dev/null (the server's side alone), MB/s" "$(mbps "$null_m")"
printf '%-52s %10s\n' "upload (ferry artifacts log), MB/s" "$(mbps "$fup_m")"
printf '%-52s %10s\n' "download (ferry artifacts download), MB/s" "$(mbps "$fdown_m")"
r=$(ratio "$cp_m" "$fup_m"); printf '%-52s %10s\n' "ferry upload / cp" "$r"
r=$(ratio "$cp_m" "$fdown_m"); printf '%-52s %10s\n' "ferry download / cp" "$r"
r=$(ratio "$cp_m" "$up_m"); printf '%-52s %10s >= 0.5 %s\n' "upload / cp" "$r" "$(status "$r" 0.5)"
r=$(ratio "$cps_m" "$up_m"); printf '%-52s %10s\n' "upload / (cp + sync)" "$r"
r=$(ratio "$cp_m" "$down_m"); printf '%-52s %10s >= 0.5 %s\n' "download / cp" "$r" "$(status "$r" 0.5)"
printf '%-52s %10s\n' "server VmRSS idle, MB" "$(echo "scale=1; $rss_idle / 1024" | bc -l)"
p=$(echo "scale=1; $rss_peak / 1024" | bc -l)
printf '%-52s %10s <= 32 %s\n' "server VmHWM (peak RSS) over all transfers, MB" "$p" "$(status_le "$p" 32)"
echo "runs (s): cp ${cp_t[*]} | cp+sync ${cps_t[*]} | up ${up_t[*]} | down ${down_t[*]} | down>null ${null_t[*]} | ferry up ${fup_t[*]} | ferry down ${fdown_t[*]}"
