#!/usr/bin/env bats
# issue 7: daxlab run under faults: a VM that never becomes ready, fio
# failing in one guest. The lab is examples/demo.ini made small and private
# to the test, as in run.bats.

bats_require_minimum_version 1.5.0

load run_helpers

setup_file() {
	"$DAXLAB_BUILD/daxlab" guest build --quiet --output "$GUEST_DIR"
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-fault-run.XXXXXX)
	P=dxr$$f$RANDOM
	RUN=
	make_demo_lab size=32M runtime=${RUNTIME:-20}
}

teardown() {
	run_teardown
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
