#!/bin/bash
# Timing of `daxlab stats monitor` at a 10 ms interval with 20 local
# sources (memory.numa_stat of 20 v1 memory cgroups) for 60 s: lateness of
# tick starts (p50/p99/max, from the monitor's summary) and the drift at
# the end (the last tick's real-time start against its schedule, plus
# ticks missed); once on the machine as it is and once with the other
# core kept busy by a busy-loop process. Target: p99 <= 1 ms, no drift.
#
#   bench/timing.sh [--quick] [--seconds S]   (default 60 s, 10 s quick; root)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
secs=60
while [ $# -gt 0 ]; do
	case $1 in
	--quick) secs=10 ;;
	--seconds) secs=$2; shift ;;
	*) echo "usage: $0 [--quick] [--seconds S]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$D" ] || { echo "no $D: build first" >&2; exit 1; }

tmp=$(mktemp -d /tmp/daxlab-bench-timing.XXXXXX)
bcg=/sys/fs/cgroup/memory/daxlab-bench-t$$
busy=
cleanup() {
	[ -n "$busy" ] && kill "$busy" 2>/dev/null && wait "$busy" 2>/dev/null
	if [ -d "$bcg" ]; then
		for d in "$bcg"/cg*; do [ -d "$d" ] && rmdir "$d"; done
		rmdir "$bcg"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$bcg"
args=()
for i in $(seq 1 20); do
	mkdir "$bcg/cg$i"
	args+=("s$i=$bcg/cg$i")
done

echo "20 sources at 10 ms for $secs s ($(nproc) cores)"
printf '%-10s %6s %6s %8s %8s %8s %9s %s\n' load ticks missed "p50 ms" "p99 ms" \
	"max ms" "drift ms" "load average"
for mode in idle busy; do
	if [ $mode = busy ]; then
		bash -c 'while :; do :; done' &
		busy=$!
	fi
	"$D" stats monitor --interval 10 --duration "$secs" --cgroups "${args[@]}" \
		--output "$tmp/t.csv" 2>"$tmp/sum"
	la=$(cut -d' ' -f1-3 /proc/loadavg)
	if [ -n "$busy" ]; then
		kill "$busy"
		wait "$busy" 2>/dev/null || true
		busy=
	fi
	read -r p50 p99 max <<<"$(sed -n 's/.*lateness: p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms, max \([0-9.]*\) ms.*/\1 \2 \3/p' "$tmp/sum")"
	read -r ticks missed <<<"$(sed -n 's/.*: \([0-9]*\) tick(s), \([0-9]*\) missed.*/\1 \2/p' "$tmp/sum")"
	# drift: the real time between the first and the last tick's start
	# against the schedule (elapsed_ms); epoch_ms has 1 ms resolution
	drift=$(awk -F, 'NR > 1 { if (!n++) first = $1; last = $1; el = $2 }
		END { print last - first - el }' "$tmp/t.csv")
	label=$([ $mode = busy ] && echo "other core busy" || echo "as is")
	printf '%-10s %6s %6s %8s %8s %8s %9s %s\n' "$mode" "$ticks" "$missed" "$p50" "$p99" "$max" \
		"$drift" "$la"
	# a tick skipped (late by a whole interval) is reported, not drift:
	# the ticks after it stay on the schedule
	met=$(awk -v p="$p99" -v d="$drift" \
		'BEGIN { print ((p <= 1 && d <= 1 && d >= -1) ? "met" : "missed") }')
	printf 'RESULT\ttiming (%s)\t20 sources, 10 ms, %s s: p99 lateness (p50 %s, max %s ms); end drift %s ms, %s tick(s) skipped\t%s ms\t-\t-\tp99 <= 1 ms, drift 0\t%s\n' \
		"$label" "$secs" "$p50" "$max" "$drift" "$missed" "$p99" "$met"
done
