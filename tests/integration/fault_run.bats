#!/usr/bin/env bats
# issue 7: daxlab run under faults: a VM that never becomes ready, fio
# failing in one guest. The lab is examples/demo.ini made small and private
# to the test, as in run.bats.

bats_require_minimum_version 1.5.0

GUEST_DIR=${DAXLAB_TOP:-}/build/test-guest

setup_file() {
	"$DAXLAB_BUILD/daxlab" guest build --quiet --output "$GUEST_DIR"
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-fault-run.XXXXXX)
	P=dxr$$f$RANDOM
	make_demo_lab
	RUN=
}

teardown() {
	[ -n "$RUN" ] && kill -9 "$RUN" 2>/dev/null && wait "$RUN" 2>/dev/null
	# a killed run's guard tears down after it: let it finish first
	for ((i = 0; i < 300; i++)); do
		pgrep -f "$T/lab.ini" >/dev/null || break
		sleep 0.1
	done
	"$D" vm stop all --config "$T/lab.ini" >/dev/null 2>&1 || true
	for h in memory cpuset; do
		for c in "$P-vm0" "$P-vm1" "$P-virtiofsd"; do
			[ -d "/sys/fs/cgroup/$h/$c" ] && rmdir "/sys/fs/cgroup/$h/$c" 2>/dev/null
		done
	done
	rm -rf "$T"
}

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

make_demo_lab() {
	mkdir -p "$T/data/private"
	sed -e "s|^state_dir *=.*|state_dir = $T/state|" \
		-e "s|^guest_dir *=.*|guest_dir = $GUEST_DIR|" \
		-e "s|^stop_timeout *=.*|stop_timeout = 3|" \
		-e "s|^cgroup *= *virtiofsd|cgroup = $P-virtiofsd|" \
		-e "s|^cgroup *= *virtual-vm\([0-9]\)|cgroup = $P-vm\1|" \
		-e "s|^source *= */srv/daxlab/shared|source = $T/data/shared|" \
		-e "s|^source *= */srv/daxlab/private/vm%i|source = $T/data/private/vm%i|" \
		-e "s|^size *=.*|size = 32M|" \
		-e "s|^file_size *=.*|file_size = 4M|" \
		-e "s|^rw *=.*|rw = read|" \
		-e "s|^bs *=.*|bs = 64k|" \
		-e "s|^runtime *=.*|runtime = ${RUNTIME:-20}|" \
		"$DAXLAB_TOP/examples/demo.ini" |
		awk -v p0="$(free_port)" -v f0="$(free_port)" \
			-v p1="$(free_port)" -v f1="$(free_port)" '
			{ print }
			/^\[vm 0\]/ { print "ssh_port = " p0; print "fio_port = " f0 }
			/^\[vm 1\]/ { print "ssh_port = " p1; print "fio_port = " f1 }
		' >"$T/lab.ini"
	grep -q "^cgroup = $P-vm1" "$T/lab.ini"
}

assert_nothing_left() {
	local left
	left=$(pgrep -af "$T/" | grep -v -e pgrep -e bats || true)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
	for h in memory cpuset; do
		for c in "$P-vm0" "$P-vm1" "$P-virtiofsd"; do
			[ ! -d "/sys/fs/cgroup/$h/$c" ] || { echo "cgroup $h/$c left"; return 1; }
		done
	done
}

wait_for_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		cat "$T"/results/*/run.log 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "no '$1' in $T/results/*/run.log after $2 s"
	return 1
}

@test "a VM that never becomes ready: timeout, teardown, partial results marked incomplete" {
	# the tiny guest needs far more than 1 s under TCG
	sed -i "s|^boot_timeout *=.*|boot_timeout = 1|" "$T/lab.ini"
	grep -q '^boot_timeout = 1$' "$T/lab.ini"
	run "$D" run --config "$T/lab.ini" --results "$T/results" --name demo
	echo "$output"
	[ "$status" -eq 1 ]
	dir=$(echo "$T/results/"*-demo)
	run cat "$dir/status"
	echo "status: $output"
	[[ "$output" == "incomplete: "*"vm "*"did not start: "*" (see "* ]]
	# the cause from the VM's start, not a guess
	[[ "$output" != *"cause unknown"* ]]
	grep -q "^status: incomplete" "$dir/summary.txt"
	[ -s "$dir/config.ini" ]
	grep -q "timed out\|timeout\|did not answer" "$T/results/"*-demo/run.log "$T"/state/vm-*/qemu.log 2>/dev/null ||
		grep -rq "boot_timeout\|timed out" "$dir"
	assert_nothing_left
}

# fault_during_fio COMMAND...: runs the lab, runs COMMAND 2 s into fio,
# checks that the run exits 1, and leaves its status in $output and its
# folder in $dir.
fault_during_fio() {
	"$D" run --config "$T/lab.ini" --results "$T/results" --name demo \
		>"$T/out" 2>&1 &
	RUN=$!
	wait_for_log "  fio --client" 200
	sleep 2
	"$@"
	local rc=0
	wait "$RUN" || rc=$?
	RUN=
	cat "$T/out"
	[ "$rc" -eq 1 ]
	dir=$(echo "$T/results/"*-demo)
	run cat "$dir/status"
	echo "status: $output"
}

# kill_qemu SIGNAL VM: someone's signal to that VM's qemu
kill_qemu() {
	local qpid
	read -r qpid _ <"$T/state/vm-$2/qemu.pid"
	kill "-$1" "$qpid"
}

@test "fio failing in one guest: reported for that host, the run marked failed" {
	# fio's server in vm 1 goes away mid-run
	fault_during_fio ssh -F "$T/state/ssh_config" vm1 killall -9 fio
	[[ "$output" == "failed: "* ]]
	[[ "$output" == *"vm 1"* || "$output" == *"vm1"* ]]
	# the other host's results are kept
	[ "$(wc -l <"$dir/stats.csv")" -gt 10 ]
	assert_nothing_left
}

@test "a VM whose qemu dies mid-run: the run is marked failed, naming the VM and how it ended" {
	# qemu logs who sent it
	fault_during_fio kill_qemu TERM 1
	[[ "$output" == "failed: vm 1 had died: "*SIGTERM* ]]
	grep -q "warning: .*vm 1" "$dir/run.log"
	# what was measured is kept
	[ "$(wc -l <"$dir/stats.csv")" -gt 10 ]
	assert_nothing_left
}
