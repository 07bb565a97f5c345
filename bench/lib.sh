# SPDX-License-Identifier: MIT
# Shared by the benchmark scripts that start ferry processes (sourced, not run):
# a temp dir cleaned up on exit with every process started, `start` to run one and
# wait for its "listening on" line, `stop`, and the small figure helpers.
#
#   . "$(dirname "$0")/lib.sh"; bench_init NAME   (sets TMP and PIDS)

# bench_init NAME: a temp dir /tmp/ferry-NAME-XXXXXX in TMP, cleaned up (with every
# process in PIDS) on exit, INT and TERM.
bench_init() {
	TMP=$(mktemp -d "/tmp/ferry-$1-XXXXXX")
	PIDS=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}
bench_cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}

# start NAME CMD...: runs CMD in the background (stdout $TMP/NAME.out, stderr
# $TMP/NAME.err) and waits, at most 30 s, for its "listening on" line; sets URL.
start() {
	local name=$1
	shift
	"$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	PIDS+=($!)
	local pid=$! i
	for i in $(seq 600); do
		grep -q "listening on" "$TMP/$name.out" 2>/dev/null && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$TMP/$name.out" || true)
	[ -n "$URL" ] || { echo "$name did not start: $(tail -5 "$TMP/$name.err")" >&2; exit 1; }
}
stop() { # pid: SIGTERM, then wait for it
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# field KEY: the second word of the line whose first word is KEY (wrk's Lua summaries)
field() { awk -v k="$1" '$1 == k {print $2}'; }
# median VALUES...: the median (the lower middle of an even count)
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
