#!/bin/bash
# One residency sample: `daxlab files residency --output` (one sample of
# every set's hot and cold parts per memory cgroup and NUMA node: mincore,
# pagemap, /proc/kpagecgroup, memory blocks; what `daxlab run` does every
# residency_interval on the host, and daxlab-resident in each guest)
# against `fincore` of the same files (mincore only: resident bytes per
# file), on a file set held whole in the page cache. Peer measured in the
# same run, rounds alternating who goes first; no target in
# docs/architecture.md: the ratio is printed, not judged. Not part of the
# test suite. Run as root (page frames and cgroups need it).
#
#   bench/residency.sh [--quick] [DIR [SIZE_MIB [ROUNDS]]]
#   (default: a temp dir in /var/tmp, 4096, 5; --quick: 1024 MiB, 3 rounds)
#
# Ends with a RESULT line for bench/run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
[ "$(id -u)" -eq 0 ] || { echo "bench/residency.sh: run as root" >&2; exit 1; }
command -v fincore >/dev/null || { echo "bench/residency.sh: no fincore (util-linux)" >&2; exit 1; }
. "$top/bench/lab.bash"
bench_args residency 4096 "$@"
sets=(--size "${mib}M" --file-size "$((mib >= 1024 ? 64 : 4))M" --private-ratio 50 --hot-ratio 50 --vms 1 --shared-dir "$dir/shared" --private-dir "$dir/vm%i")

"$D" files create -q --no-progress "${sets[@]}"
"$D" files warm -q "${sets[@]}"
files=("$dir"/shared/*.dat "$dir"/vm0/*.dat)

run_fincore() {
	local t0 t1
	t0=$(now)
	fincore --bytes --noheadings "${files[@]}" >"$dir/fincore.out"
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }'
}

run_daxlab() {
	local t0 t1
	t0=$(now)
	"$D" files residency -q "${sets[@]}" --output "$dir/residency.csv"
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }'
}

# both see the whole set resident, or the comparison means nothing
run_fincore >/dev/null
run_daxlab >/dev/null
fc=$(awk '{ s += $1 } END { printf "%.0f", s }' "$dir/fincore.out")
dl=$(awk -F, 'NR > 1 { s += $7 } END { printf "%.0f", s }' "$dir/residency.csv")
echo "resident: fincore $fc bytes, daxlab $dl bytes (of $((mib << 20)))"
[ "$fc" -eq "$dl" ] || { echo "bench/residency.sh: fincore and daxlab disagree" >&2; exit 1; }

measure_rounds "$rounds" run_fincore run_daxlab fincore "daxlab files residency --output" s
best_fc=$(best min "${figs_a[@]}")
best_dl=$(best min "${figs_b[@]}")
echo "best: fincore $best_fc s, daxlab $best_dl s"
echo "median per-round ratio daxlab/fincore: $median"
printf 'RESULT\tresidency sample\tone sample of a %s MiB file set held in the page cache, per cgroup and node (best of %s rounds; ratio: median of the per-round ratios)\t%s s\tfincore %s s\t%sx\t-\t-\n' \
	"$mib" "$rounds" "$best_dl" "$best_fc" "$median"
