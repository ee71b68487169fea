#!/bin/bash
# Benchmarks of `daxlab stats monitor`, ratios measured in one run:
#  1. local: the monitor's CPU per source per tick against a bare C
#     open/read/close of the same file (target <= 1.5x), at 1, 10 and 200
#     sources, on real v1 cgroup files and on regular-file copies;
#  2. remote: a tick's round trip and CPU with 1 and 4 hosts on one
#     persistent ssh connection each, against one `ssh host cat FILE` per
#     sample, through a private sshd on 127.0.0.1;
#  3. timing: lateness of ticks at a 10 ms interval (p99 and end drift).
#
#   bench/monitor.sh [--quick] [--timing-seconds S]
# Runs as root (creates cgroups under /sys/fs/cgroup/memory and an sshd).
# Uses $DAXLAB_BUILD/daxlab, else build/daxlab.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
quick=false timing_s=10
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=true ;;
	--timing-seconds) timing_s=$2; shift ;;
	*) echo "usage: $0 [--quick] [--timing-seconds S]" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$D" ] || { echo "no $D: build first (meson compile -C build)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/daxlab-bench.XXXXXX)
MEMCG=/sys/fs/cgroup/memory
bcg=$MEMCG/daxlab-bench-$$
. "$top/tests/integration/stats_monitor_helpers.bash"
cleanup() {
	sshd_stop 2>/dev/null || true
	if [ -d "$bcg" ]; then
		for d in "$bcg"/cg*; do [ -d "$d" ] && rmdir "$d"; done
		rmdir "$bcg"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/floor" "$top/bench/monitor_floor.c"
F=$tmp/floor

# best3 CMD...: the smallest of three runs' outputs (this machine is shared)
best3() {
	local a b c
	a=$("$@") b=$("$@") c=$("$@")
	printf '%s\n' "$a" "$b" "$c" | sort -n | head -n1
}

# mon_ns N ARGS...: the monitor's own CPU ns per tick over N ticks (its
# summary measures from the first tick on: no start-up, no probe)
mon_ns() {
	local n=$1
	shift
	"$D" stats monitor --count "$n" "$@" --output /dev/null 2>&1 >/dev/null |
		sed -n 's/.*CPU \([0-9.]*\) us per tick.*/\1/p' | awk '{ printf "%d\n", $1 * 1000 }'
}

# cpu_per_tick N1 N2 ARGS...: CPU ns per tick from two runs of N1 and N2
# ticks (the difference drops start-up and connection set-up).
cpu_per_tick() {
	local n1=$1 n2=$2 c1 c2
	shift 2
	c1=$("$F" cpu "$D" stats monitor --quiet --count "$n1" "$@" --output /dev/null | cut -d' ' -f1)
	c2=$("$F" cpu "$D" stats monitor --quiet --count "$n2" "$@" --output /dev/null | cut -d' ' -f1)
	echo $(((c2 - c1) / (n2 - n1)))
}

echo "daxlab stats monitor benchmarks ($(nproc) cores, $(uname -r))"
echo
echo "== local: CPU per source per tick vs bare open/read/close (target <= 1.5x)"
mkdir "$bcg"
for i in $(seq 1 200); do
	mkdir "$bcg/cg$i"
	cp "$bcg/cg$i/memory.numa_stat" "$tmp/copy$i"
done
echo "floor: open/read/close in a loop; sleeping floor: the same once per tick"
echo "on the same 1 ms absolute deadlines as the monitor (a bare sampler)"
printf '%-8s %-7s %11s %10s %7s %14s %7s\n' sources files "monitor ns" "floor ns" ratio \
	"sleeping floor" ratio
for kind in cgroup copy; do
	for n in 1 10 200; do
		args=() files=()
		for i in $(seq 1 "$n"); do
			if [ $kind = cgroup ]; then
				f=$bcg/cg$i/memory.numa_stat
			else
				f=$tmp/copy$i
			fi
			args+=("s$i=$f")
			files+=("$f")
		done
		reads=$($quick && echo 2000 || echo 20000)
		k=$((reads / n))
		[ $k -lt 200 ] && k=200
		mon=$(best3 mon_ns "$k" --interval 1 --cgroups "${args[@]}")
		mon=$((mon / n))
		flo=$(best3 "$F" read "$k" "${files[@]}")
		slp=$(best3 "$F" tick "$k" 1 "${files[@]}")
		printf '%-8s %-7s %11d %10d %7s %14d %7s\n' "$n" "$kind" "$mon" "$flo" \
			"$(awk -v a="$mon" -v b="$flo" 'BEGIN { printf "%.2fx", a / b }')" "$slp" \
			"$(awk -v a="$mon" -v b="$slp" 'BEGIN { printf "%.2fx", a / b }')"
	done
done

echo
echo "== remote: one persistent ssh connection per host vs one ssh per sample"
sshd_start "$tmp/sshd" >/dev/null
cfg=$tmp/ssh_config4
for h in 1 2 3 4; do
	printf 'Host h%d\n\tHostName 127.0.0.1\n' "$h"
done >"$cfg"
cat "$SSH_CONFIG" >>"$cfg"
path=$MEMCG/memory.numa_stat
ticks=$($quick && echo 100 || echo 500)
for hosts in 1 4; do
	args=()
	for h in $(seq 1 "$hosts"); do args+=("r$h=root@h$h:$path"); done
	cpu=$(cpu_per_tick 10 $((10 + ticks)) -F "$cfg" --interval 20 --cgroups "${args[@]}")
	"$D" stats monitor -F "$cfg" --interval 20 --count "$ticks" \
		--cgroups "${args[@]}" --output /dev/null 2>"$tmp/sum"
	rtt=$(awk '/round trip mean/ { for (i = 1; i <= NF; i++) { if ($i == "mean") m = m " " $(i + 1); \
		if ($i == "max" && $(i + 1) + 0 > x) x = $(i + 1) + 0 } } END { print m " ms (max " x " ms)" }' "$tmp/sum")
	late=$(grep -o 'r[0-9]*: [0-9]* tick(s) with rows, [0-9]* failure' "$tmp/sum" | awk '{ s += $6 } END { print s + 0 }')
	printf '%d host(s), %d ticks at 20 ms: round trip mean per host%s, %d late; CPU per tick %.2f ms (daxlab + ssh client)\n' \
		"$hosts" "$ticks" "$rtt" "$late" "$(awk -v c="$cpu" 'BEGIN { print c / 1e6 }')"
done
samples=$($quick && echo 5 || echo 20)
cw=0 cc=0
for i in $(seq 1 "$samples"); do
	read -r c w < <("$F" cpu ssh -F "$cfg" -o BatchMode=yes h1 cat "$path" 2>/dev/null | tail -n1)
	cw=$((cw + w)) cc=$((cc + c))
done
awk -v w="$cw" -v c="$cc" -v n="$samples" 'BEGIN {
	printf "one `ssh host cat FILE` per sample: %.1f ms wall, %.1f ms CPU (ssh client) per sample\n",
		w / n / 1e6, c / n / 1e6 }'

echo
echo "== timing: ${timing_s} s at a 10 ms interval, one local source (target: p99 <= 1 ms, no drift)"
"$D" stats monitor --interval 10 --duration "$timing_s" --stats total \
	--cgroups root=$MEMCG --output "$tmp/t.csv" 2>"$tmp/sum"
grep -o 'tick start lateness.*' "$tmp/sum" | sed 's/^/monotonic /'
awk -F, 'NR > 1 && $5 == "total" { if (!n++) first = $1; d = $1 - first - $2; el = $2 }
	END { printf "%d ticks over %.1f s; the last one began %d ms after its schedule by the real-time clock (drift)\n", n, el / 1000, d }' "$tmp/t.csv"
