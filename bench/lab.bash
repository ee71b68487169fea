# Sourced by the benches. For bench/vmstart.sh and bench/demo.sh:
# examples/demo.ini with its own state dir, cgroup names, ports and data
# folders (so a bench run does not collide with a lab in use), sizes and
# workload unchanged.
#   make_lab DIR PREFIX GUEST_DIR [EXAMPLE]  -> DIR/lab.ini
# EXAMPLE: examples/EXAMPLE.ini (default demo); for demo-image, GUEST_DIR
# is the image file, and the lab's ssh key goes into DIR. For
# bench/files.sh and bench/residency.sh: bench_args, measure_rounds, best,
# now.

# bench_args NAME FULL_MIB "$@": [--quick] [DIR [SIZE_MIB [ROUNDS]]] into
# quick, dir (default: a temp dir in /var/tmp, removed at exit), mib
# (FULL_MIB; --quick: 1024) and rounds (5; --quick: 3).
bench_args() {
	local name=$1 full=$2
	shift 2
	quick=false
	if [ "${1:-}" = --quick ]; then
		quick=true
		shift
	fi
	dir=${1:-}
	mib=${2:-$($quick && echo 1024 || echo "$full")}
	rounds=${3:-$($quick && echo 3 || echo 5)}
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "/var/tmp/daxlab-bench-$name.XXXXXX")
		trap 'rm -rf "$dir"' EXIT
	fi
	mkdir -p "$dir"
}

# free_port: a port for a listener (tests/helpers/free-port)
free_port() { "$top/tests/helpers/free-port"; }

make_lab() {
	local T=$1 P=$2 G=$3 X=${4:-demo}
	mkdir -p "$T/data/private"
	sed -e "s|^state_dir *=.*|state_dir = $T/state|" \
		-e "s|^image_dir *=.*||" \
		-e "s|^\(state_dir = .*\)|\1\nimage_dir = $T/images|" \
		-e "s|^guest_dir *=.*|guest_dir = $G|" \
		-e "s|^image *=.*|image = $G|" \
		-e "s|^ssh_key *=.*|ssh_key = $T/key/id_ed25519|" \
		-e "s|^cgroup *= *virtiofsd|cgroup = $P-virtiofsd|" \
		-e "s|^cgroup *= *virtual-vm\([0-9]\)|cgroup = $P-vm\1|" \
		-e "s|^source *= */srv/daxlab/shared|source = $T/data/shared|" \
		-e "s|^source *= */srv/daxlab/private/vm%i|source = $T/data/private/vm%i|" \
		"$top/examples/$X.ini" |
		awk -v p0="$(free_port)" -v p1="$(free_port)" '
			{ print }
			/^\[vm 0\]/ { print "ssh_port = " p0 }
			/^\[vm 1\]/ { print "ssh_port = " p1 }
		' >"$T/lab.ini"
	grep -q "^source = $T/data/shared" "$T/lab.ini"
	grep -q "^cgroup = $P-vm1" "$T/lab.ini"
}

# lab_cleanup DIR PREFIX: stop what the lab left, remove its cgroups
lab_cleanup() {
	local T=$1 P=$2 h c
	[ -f "$T/lab.ini" ] && "$D" vm stop all --config "$T/lab.ini" >/dev/null 2>&1
	for h in memory cpuset; do
		for c in "$P-vm0" "$P-vm1" "$P-virtiofsd"; do
			[ -d "/sys/fs/cgroup/$h/$c" ] && rmdir "/sys/fs/cgroup/$h/$c" 2>/dev/null
		done
	done
	return 0
}

# stamp: copies stdin to stdout, each line prefixed with the seconds since
# $1 (an $EPOCHREALTIME), as it arrives
stamp() {
	local t0=$1 line
	while IFS= read -r line; do
		printf '%s %s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')" "$line"
	done
}

now() { date +%s.%N; }

# measure_rounds N A B LABEL_A LABEL_B UNIT: N rounds of the functions A
# and B (each prints one figure), alternating which goes first (the disk's
# and the cache's speed drift); prints each round, and sets figs_a and
# figs_b (the figures), ratios (B/A per round) and median (of the ratios)
measure_rounds() {
	local n=$1 fa=$2 fb=$3 la=$4 lb=$5 unit=$6 r a b
	figs_a=() figs_b=() ratios=()
	for r in $(seq "$n"); do
		if [ $((r % 2)) -eq 1 ]; then
			a=$("$fa") b=$("$fb")
		else
			b=$("$fb") a=$("$fa")
		fi
		echo "round $r: $la $a $unit, $lb $b $unit"
		figs_a+=("$a") figs_b+=("$b")
		ratios+=("$(echo "$b $a" | awk '{ printf "%.3f", $1 / $2 }')")
	done
	median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}

# best max|min FIGURE...: the highest (of speeds) or the lowest (of times)
best() {
	local how=$1
	shift
	printf '%s\n' "$@" | sort -g | if [ "$how" = max ]; then tail -n 1; else head -n 1; fi
}
