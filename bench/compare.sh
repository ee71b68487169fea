#!/bin/bash
# Throughput of `daxlab stats compare` against `wc -l` on the same stats
# CSV (page-cached), at 1 GiB and 4 GiB, with the peak RSS of each run.
# Target (docs/architecture.md): at least half the throughput of wc -l, memory flat
# in the file's length.
#
#   bench/compare.sh [--quick] [DIR] [RUNS]   (--quick: 1 GiB only, 3 runs)
#
# Ends with RESULT lines for bench/run.
# DIR holds the generated CSV (default /tmp; needs 4.5 GiB free); the file
# is deleted at the end. Uses $DAXLAB_BUILD/daxlab or build/daxlab.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sizes="1 4" defruns=5
if [ "${1:-}" = --quick ]; then
	sizes=1 defruns=3
	shift
fi
dir=${1:-/tmp}
runs=${2:-$defruns}
daxlab=${DAXLAB_BUILD:-$top/build}/daxlab
[ -x "$daxlab" ] || { echo "no $daxlab: build first" >&2; exit 1; }

work=$(mktemp -d "$dir/daxlab-bench-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/gencsv" "$top/bench/gencsv.c"
cc -O2 -o "$work/meter" "$top/bench/monitor_floor.c"

need=$(((4 << 30) + (512 << 20)))
free=$(($(df --output=avail -B1 "$dir" | tail -1)))
if [ "$free" -lt "$need" ]; then
	echo "not enough space in $dir: $free bytes free, $need needed" >&2
	exit 1
fi

# run1 WALL_VAR CPU_VAR RSS_VAR CMD...: one run; keeps its wall time, CPU
# time (user + system, s) and peak RSS (KiB) when it is the fastest yet
# (start with WALL_VAR=999999).
run1() {
	local -n _t=$1 _c=$2 _m=$3
	shift 3
	local t0=$EPOCHREALTIME
	"$work/meter" rusage "$work/rss" "$@" >/dev/null
	local t1=$EPOCHREALTIME
	local t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
	if awk -v a="$t" -v b="$_t" 'BEGIN { exit !(a < b) }'; then
		_t=$t
		read -r _m u s <"$work/rss"
		_c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
	fi
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%-5s %10s %8s %8s %6s %8s %8s %6s %9s %9s\n' size rows "wc s" "cmp s" ratio \
	"wc cpu" "cmp cpu" ratio "wc RSS" "cmp RSS"
results=() rss=()
for gib in $sizes; do
	csv=$work/stats.csv
	"$work/gencsv" $((gib << 30)) >"$csv"
	sync "$csv"           # no writeback during the runs
	cat "$csv" >/dev/null # warm the page cache
	rows=$(wc -l <"$csv")
	# Alternate the two, so that both see the same moments of a busy
	# machine; the best run of each counts.
	twc=999999 cwc=0 mwc=0 tcmp=999999 ccmp=0 mcmp=0
	for ((i = 0; i < runs; i++)); do
		run1 twc cwc mwc wc -l "$csv"
		run1 tcmp ccmp mcmp "$daxlab" stats compare --file "$csv" \
			--stat file --cgroups host virtiofsd vm0-cg vm1-cg vm0 vm1
	done
	ratio=$(awk -v a="$twc" -v b="$tcmp" 'BEGIN { printf "%.2f", a / b }')
	cratio=$(awk -v a="$cwc" -v b="$ccmp" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
	printf '%-5s %10s %8s %8s %6s %8s %8s %6s %5s KiB %5s KiB\n' "${gib}GiB" \
		"$rows" "$twc" "$tcmp" "$ratio" "$cwc" "$ccmp" "$cratio" "$mwc" "$mcmp"
	rm -f "$csv"
	rss+=("$mcmp")
	if [ "$gib" = 1 ]; then
		results+=("$(printf 'RESULT\tcompare\tthroughput on a 1 GiB stats CSV, cached (wall; CPU ratio %s)\t%s s\twc -l %s s\t%sx\t>= 0.5x\t%s' \
			"$cratio" "$tcmp" "$twc" "$ratio" "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5 ? "met" : "missed") }')")")
	fi
done
if [ "${#rss[@]}" -ge 2 ]; then
	g=$(awk -v a="${rss[0]}" -v b="${rss[1]}" 'BEGIN { printf "%.2f", b / a }')
	results+=("$(printf 'RESULT\tcompare memory\tpeak RSS at 4 GiB against 1 GiB\t%s KiB\t%s KiB at 1 GiB\t%sx\tflat (<= 1.1x)\t%s' \
		"${rss[1]}" "${rss[0]}" "$g" "$(awk -v r="$g" 'BEGIN { print (r <= 1.1 ? "met" : "missed") }')")")
else
	results+=("$(printf 'RESULT\tcompare memory\tpeak RSS at 1 GiB (4 GiB in the full run)\t%s KiB\t-\t-\tflat\t-' "${rss[0]}")")
fi
echo "ratio = wc -l time / compare time, wall then CPU (target: wall >= 0.50);" \
	"best of $runs runs; $(nproc) CPUs; load average $load0 at the start," \
	"$(cut -d' ' -f1-3 /proc/loadavg) at the end"
printf '%s\n' "${results[@]}"
