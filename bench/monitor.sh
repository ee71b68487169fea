#!/bin/bash
# Benchmarks of `daxlab stats monitor`, ratios measured in one run:
#  1. local: the monitor's CPU per source per tick against a bare C
#     open/read/close of the same file (target <= 1.5x), at 1, 10 and 200
#     sources, on real v1 cgroup files and on regular-file copies; with
#     the cost of the wakeup alone (a loop that only sleeps to each tick)
#     measured in the same run, so the table tells how much of the
#     monitor's CPU per tick is what any periodic sampler pays here;
#  2. remote: a tick's round trip and CPU with 1 and 4 hosts on one
#     persistent ssh connection each, against one `ssh host cat FILE` per
#     sample, through a private sshd on 127.0.0.1;
# (timing at 10 ms with 20 sources: bench/timing.sh). Ends with RESULT
# lines for bench/run.
#
#   bench/monitor.sh [--quick]
# Runs as root (creates cgroups under /sys/fs/cgroup/memory and an sshd).
# Uses $DAXLAB_BUILD/daxlab, else build/daxlab.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
quick=false
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=true ;;
	*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
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

# cpu_of ARGS...: CPU ns of a monitor run (with its ssh children)
cpu_of() {
	"$F" cpu "$D" stats monitor --quiet "$@" --output /dev/null | cut -d' ' -f1
}

# cpu_per_tick N1 N2 ARGS...: CPU ns per tick from two runs of N1 and N2
# ticks, the least of three runs each (the difference drops start-up and
# connection set-up).
cpu_per_tick() {
	local n1=$1 n2=$2 c1 c2
	shift 2
	c1=$(best3 cpu_of --count "$n1" "$@")
	c2=$(best3 cpu_of --count "$n2" "$@")
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
echo "on the same 1 ms absolute deadlines as the monitor (a bare sampler);"
echo "wakeup: a loop that only sleeps to those deadlines (what any periodic"
echo "sampler pays per tick here), per source; own: monitor minus wakeup."
echo "Each the least of 3 interleaved rounds."
printf '%-8s %-7s %11s %10s %7s %14s %7s %9s %8s\n' sources files "monitor ns" "floor ns" ratio \
	"sleeping floor" ratio "wakeup ns" "own ns"
results=()
kinds="cgroup copy"
$quick && kinds=cgroup
# least A B: the smaller number (A may be empty)
least() {
	if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi
}
for kind in $kinds; do
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
		reads=$($quick && echo 2000 || echo 10000)
		k=$((reads / n))
		[ $k -lt 200 ] && k=200
		# interleaved, so that a change in the machine's load falls on
		# every one of them alike
		mon= flo= slp= wak=
		for round in 1 2 3; do
			mon=$(least "$mon" "$(mon_ns "$k" --interval 1 --cgroups "${args[@]}")")
			flo=$(least "$flo" "$("$F" read "$k" "${files[@]}")")
			slp=$(least "$slp" "$("$F" tick "$k" 1 "${files[@]}")")
			wak=$(least "$wak" "$("$F" sleep "$k" 1)")
		done
		mon=$((mon / n))
		wps=$((wak / n))
		own=$((mon - wps))
		printf '%-8s %-7s %11d %10d %7s %14d %7s %9d %8d\n' "$n" "$kind" "$mon" "$flo" \
			"$(awk -v a="$mon" -v b="$flo" 'BEGIN { printf "%.2fx", a / b }')" "$slp" \
			"$(awk -v a="$mon" -v b="$slp" 'BEGIN { printf "%.2fx", a / b }')" "$wps" "$own"
		[ $kind = cgroup ] || continue
		# the wakeup's share, for the measured column
		wakeup=$(awk -v w="$wak" -v p="$wps" -v m="$mon" -v n="$n" -v f="$flo" 'BEGIN {
			printf "; of it the wakeup alone (a loop that only sleeps to each tick, same run) %d ns", p
			if (n > 1) printf " (%d ns per tick / %d)", w, n
			else printf " (by itself %.2fx the bare loop)", p / f
			printf " = %.0f%%, daxlab'"'"'s own work %d ns", 100 * p / m, m - p }')
		r=$(awk -v a="$mon" -v b="$flo" 'BEGIN { printf "%.2f", a / b }')
		results+=("$(printf 'RESULT\tlocal sample, %d source(s)\tCPU per source per tick (ns), v1 cgroup memory.numa_stat, 1 ms ticks%s\t%d ns\tbare open/read/close loop %d ns\t%sx\t<= 1.5x\t%s' \
			"$n" "$wakeup" "$mon" "$flo" "$r" "$(awk -v r="$r" 'BEGIN { print (r <= 1.5 ? "met" : "missed") }')")")
		if [ "$n" = 1 ]; then
			r=$(awk -v a="$mon" -v b="$slp" 'BEGIN { printf "%.2f", a / b }')
			results+=("$(printf 'RESULT\tlocal sample, 1 source, fair floor\tthe same against a bare sampler that also sleeps to each 1 ms tick\t%d ns\tsleeping open/read/close %d ns\t%sx\t<= 1.5x\t%s' \
				"$mon" "$slp" "$r" "$(awk -v r="$r" 'BEGIN { print (r <= 1.5 ? "met" : "missed") }')")")
		fi
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
remote=()
for hosts in 1 4; do
	args=()
	for h in $(seq 1 "$hosts"); do args+=("r$h=root@h$h:$path"); done
	cpu=$(cpu_per_tick 10 $((10 + ticks)) -F "$cfg" --interval 20 --cgroups "${args[@]}")
	"$D" stats monitor -F "$cfg" --interval 20 --count "$ticks" \
		--cgroups "${args[@]}" --output /dev/null 2>"$tmp/sum"
	rtt=$(awk '/round trip mean/ { for (i = 1; i <= NF; i++) { if ($i == "mean") m = m " " $(i + 1); \
		if ($i == "max" && $(i + 1) + 0 > x) x = $(i + 1) + 0 } } END { print m " ms (max " x " ms)" }' "$tmp/sum")
	late=$(grep -o 'r[0-9]*: [0-9]* tick(s) with rows, [0-9]* failure' "$tmp/sum" | awk '{ s += $6 } END { print s + 0 }')
	conns=$(sed -n 's/.*: \([0-9]*\) connection(s).*/\1/p' "$tmp/sum" | awk '{ s += $1 } END { print s + 0 }')
	mean=$(awk '/round trip mean/ { for (i = 1; i <= NF; i++) if ($i == "mean") { s += $(i + 1); n++ } }
		END { printf "%.2f", n ? s / n : 0 }' "$tmp/sum")
	rmax=$(awk '/round trip mean/ { for (i = 1; i <= NF; i++) if ($i == "max" && $(i + 1) + 0 > x) x = $(i + 1) + 0 }
		END { printf "%.2f", x }' "$tmp/sum")
	remote+=("$hosts $ticks $mean $rmax $late $conns $cpu")
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

sshw=$(awk -v w="$cw" -v n="$samples" 'BEGIN { printf "%.1f", w / n / 1e6 }')
for r in "${remote[@]}"; do
	read -r hosts ticks mean rmax late conns cpu <<<"$r"
	met=$(awk -v m="$mean" -v l="$late" -v c="$conns" -v h="$hosts" \
		'BEGIN { print ((m <= 2 && l == 0 && c == h) ? "met" : "missed") }')
	results+=("$(printf 'RESULT\tremote sample, %d host(s)\ttick round trip on loopback sshd, mean (max %s ms, %s late, %s connection(s), CPU %.2f ms/tick)\t%s ms\tssh host cat per sample %s ms\t%s\t<= 2 ms, 1 connection per host\t%s' \
		"$hosts" "$rmax" "$late" "$conns" "$(awk -v c="$cpu" 'BEGIN { print c / 1e6 }')" "$mean" "$sshw" \
		"$(awk -v a="$mean" -v b="$sshw" 'BEGIN { printf "%.4fx", a / b }')" "$met")")
done
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${results[@]}"
