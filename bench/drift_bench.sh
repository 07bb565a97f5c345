#!/bin/bash
# SPDX-License-Identifier: MIT
# Drift benchmark (issue 18), in one run: the same default data drift report
# (Evidently 0.6's kinds and tests per column, dataset verdict) by
#   - ferry:  `ferry drift REFERENCE.csv CURRENT.csv --json --timings`
#   - scipy:  bench/drift_scipy.py (pandas.read_csv, then Evidently's default
#             logic over scipy, the re-implementation the e2e tests hold equal
#             to ferry's)
# on bench/drift_gen.py's data: a reference of 100,000 rows and a current of
# 1,000,000, 40 numerical and 10 categorical columns, some shifted. Rounds
# alternate the two; medians of the end-to-end wall times (CSV parsing
# included) and of each side's tests-only time; the ratio scipy / ferry
# (target >= 10x), the median of each round's ratio (a round's two runs see
# about the same load on a shared machine) and the ratio of the medians;
# ferry's peak RSS (/usr/bin/time) against 1.5x the numeric
# data held as doubles (rows x 40 x 8 bytes). Both reports must agree on the
# verdict and the number of drifted columns.
#
#   make all && bench/drift_bench.sh [--rounds 3] [--ref-rows 100000] [--cur-rows 1000000]
#                                    [--ferry build/ferry]
#
# The data goes to a temp dir (about 440 MB at the default sizes), removed on exit.
set -euo pipefail
ROUNDS=3
REF_ROWS=100000
CUR_ROWS=1000000
FERRY=build/ferry
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=$2; shift 2 ;;
	--ref-rows) REF_ROWS=$2; shift 2 ;;
	--cur-rows) CUR_ROWS=$2; shift 2 ;;
	--ferry) FERRY=$2; shift 2 ;;
	*) echo "usage: $0 [--rounds N] [--ref-rows N] [--cur-rows N] [--ferry PATH]" >&2; exit 2 ;;
	esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 10 ] || { echo "--rounds: 1..10" >&2; exit 2; }
[ "$REF_ROWS" -ge 1000 ] && [ "$REF_ROWS" -le 10000000 ] || { echo "--ref-rows: 1000..10000000" >&2; exit 2; }
[ "$CUR_ROWS" -ge 1000 ] && [ "$CUR_ROWS" -le 10000000 ] || { echo "--cur-rows: 1000..10000000" >&2; exit 2; }
[ -x "$FERRY" ] || { echo "$FERRY: not built (make all)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
bench_init drift
PY=/usr/bin/python3

echo "generating $REF_ROWS + $CUR_ROWS rows into $TMP ..."
timeout 900 "$PY" "$HERE/drift_gen.py" "$TMP" --ref-rows "$REF_ROWS" --cur-rows "$CUR_ROWS"
sync # the files written back before any timing: neither side pays for it
REF=$TMP/reference.csv
CUR=$TMP/current.csv
echo "files: $(du -m "$REF" | cut -f1) MB + $(du -m "$CUR" | cut -f1) MB"

F_TOTAL=() F_TESTS=() F_PARSE=() F_RSS=() S_TOTAL=() S_TESTS=() S_PARSE=() S_RSS=() RATIO=()
for r in $(seq "$ROUNDS"); do
	timeout 600 /usr/bin/time -f "%e %M" -o "$TMP/f.time" \
		"$FERRY" drift "$REF" "$CUR" --json --timings >"$TMP/f.json" 2>"$TMP/f.err" ||
		{ echo "ferry drift failed: $(tail -3 "$TMP/f.err")" >&2; exit 1; }
	read -r wall rss <"$TMP/f.time"
	F_TOTAL+=("$wall") F_RSS+=("$rss")
	F_PARSE+=("$(sed -n 's/.*parse \([0-9.]*\) s.*/\1/p' "$TMP/f.err")")
	F_TESTS+=("$(sed -n 's/.*tests \([0-9.]*\) s.*/\1/p' "$TMP/f.err")")
	timeout 1800 /usr/bin/time -f "%e %M" -o "$TMP/s.time" \
		"$PY" "$HERE/drift_scipy.py" "$REF" "$CUR" >"$TMP/s.out" 2>"$TMP/s.err" ||
		{ echo "drift_scipy.py failed: $(tail -3 "$TMP/s.err")" >&2; exit 1; }
	read -r wall rss <"$TMP/s.time"
	S_TOTAL+=("$wall") S_RSS+=("$rss")
	S_PARSE+=("$(field parse <"$TMP/s.out")")
	S_TESTS+=("$(field tests <"$TMP/s.out")")
	RATIO+=("$(awk -v s="${S_TOTAL[-1]}" -v f="${F_TOTAL[-1]}" 'BEGIN {printf "%.1f", s / f}')")
	echo "round $r: ferry ${F_TOTAL[-1]} s (parse ${F_PARSE[-1]}, tests ${F_TESTS[-1]}), scipy ${S_TOTAL[-1]} s (parse ${S_PARSE[-1]}, tests ${S_TESTS[-1]}), ratio ${RATIO[-1]}x"
done

# Both sides must reach the same verdict.
f_verdict=$("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["dataset_drift"], j["number_of_drifted_columns"], j["number_of_columns"])' "$TMP/f.json")
s_verdict=$(awk '$1 == "dataset_drift" {print $2, $4, $6}' "$TMP/s.out")
[ "$f_verdict" = "$s_verdict" ] || { echo "verdicts differ: ferry '$f_verdict', scipy '$s_verdict'" >&2; exit 1; }

ft=$(median "${F_TOTAL[@]}") fp=$(median "${F_PARSE[@]}") fs=$(median "${F_TESTS[@]}")
st=$(median "${S_TOTAL[@]}") sp=$(median "${S_PARSE[@]}") ss=$(median "${S_TESTS[@]}")
frss=$(median "${F_RSS[@]}") srss=$(median "${S_RSS[@]}")
num_mb=$(awk -v r="$REF_ROWS" -v c="$CUR_ROWS" 'BEGIN {printf "%.1f", (r + c) * 40 * 8 / 1048576}')
echo
echo "verdict (both): dataset_drift drifted/columns = $f_verdict"
echo "ferry end to end: $ft s (parse $fp s, tests $fs s)   median of $ROUNDS"
echo "scipy end to end: $st s (parse $sp s, tests $ss s)   median of $ROUNDS (process: +python start)"
awk -v s="$st" -v f="$ft" -v ss="$ss" -v fs="$fs" -v r="$(median "${RATIO[@]}")" 'BEGIN {
	printf "ratio end to end: %.1fx median of the rounds\x27 ratios, %.1fx of the medians (target >= 10x)\n", r, s / f
	printf "ratio tests only: %.1fx\n", ss / (fs > 0 ? fs : 0.001) }'
awk -v r="$frss" -v n="$num_mb" -v p="$srss" 'BEGIN {
	printf "ferry peak RSS: %.1f MB = %.2fx the numeric data as doubles (%.1f MB; target <= 1.5x)\n", r / 1024, r / 1024 / n, n
	printf "scipy peak RSS: %.1f MB\n", p / 1024 }'
