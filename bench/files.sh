#!/bin/bash
# File creation speed: `daxlab files create` (incompressible data, 1 MiB
# writes, synced and dropped from the cache) against
# `dd if=/dev/zero bs=1M conv=fsync` of the same bytes into the same file
# system. Target: ratio >= 0.90.
#
#   bench/files.sh [--quick] [DIR [SIZE_MIB [ROUNDS]]]
#   (default: a temp dir in /var/tmp, 2048, 5; --quick: 1024 MiB, 3 rounds)
#
# Ends with a RESULT line for bench/run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
. "$top/bench/lab.bash"
bench_args files 2048 "$@"

run_dd() {
	rm -f "$dir/dd"
	sync
	local t0 t1
	t0=$(now)
	dd if=/dev/zero of="$dir/dd" bs=1M count="$mib" conv=fsync status=none
	t1=$(now)
	rm -f "$dir/dd"
	echo "$mib $t0 $t1" | awk '{ printf "%.1f", $1 * 1.048576 / ($3 - $2) }'
}

run_daxlab() {
	rm -rf "$dir/shared" "$dir/vm0"
	sync
	local t0 t1
	t0=$(now)
	"$D" files create -q --no-progress --size "${mib}M" --file-size 64M \
		--vms 1 --shared-dir "$dir/shared" --private-dir "$dir/vm%i"
	t1=$(now)
	rm -rf "$dir/shared" "$dir/vm0"
	echo "$mib $t0 $t1" | awk '{ printf "%.1f", $1 * 1.048576 / ($3 - $2) }'
}

# The disk's speed drifts: alternate who goes first, and report the
# median of the per-round ratios as well as the ratio of the best rounds.
measure_rounds "$rounds" run_dd run_daxlab dd "daxlab files create" MB/s
best_dd=$(best max "${figs_a[@]}")
best_dl=$(best max "${figs_b[@]}")
echo "best: dd $best_dd MB/s, daxlab $best_dl MB/s"
echo "$best_dl $best_dd" | awk '{ printf "ratio of best rounds daxlab/dd: %.2f\n", $1 / $2 }'
echo "median per-round ratio daxlab/dd: $median (target >= 0.90)"
fs=$(df --output=fstype "$dir" | tail -n1 | tr -d ' ')
mnt=$(df --output=target "$dir" | tail -n1 | tr -d ' ')
printf 'RESULT\tfiles create\t%s MiB into the file system at %s (%s), best of %s rounds; ratio: median of the per-round ratios\t%s MB/s\tdd bs=1M conv=fsync %s MB/s\t%sx\t>= 0.90x\t%s\n' \
	"$mib" "$mnt" "$fs" "$rounds" "$best_dl" "$best_dd" "$median" \
	"$(awk -v r="$median" 'BEGIN { print (r >= 0.9 ? "met" : "missed") }')"
