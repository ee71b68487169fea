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
	# what the guests said before the timeout is kept
	[ -e "$dir/console-0.log" ] && [ -e "$dir/console-1.log" ]
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

@test "a monitor killed mid-run (the OOM killer): the run is not complete, saying stats.csv is cut short" {
	fault_during_fio pkill -KILL -f -- "stats monitor --cgroups host=.*--output $T/results/"
	[[ "$output" == "incomplete: step 'tail' failed: the monitor exited with 137 before the run ended: stats.csv is cut short (see $dir)" ]]
	# what it sampled is kept
	[ "$(wc -l <"$dir/stats.csv")" -gt 2 ]
	assert_nothing_left
}

@test "a VM already running: the run fails on it and stops only the VMs it started" {
	local q dir
	"$D" files create --quiet --config "$T/lab.ini"
	"$D" vm start 0 --quiet --config "$T/lab.ini"
	read -r q _ <"$T/state/vm-0/qemu.pid"
	run -1 "$D" run --quiet --config "$T/lab.ini" --results "$T/results"
	echo "$output"
	[[ "$output" == *"vm 0 did not start: vm 0 is already running (qemu pid $q)"* ]]
	dir=$(echo "$T"/results/*)
	grep -q '^incomplete: ' "$dir/status"
	# vm 1 came up and was stopped again; vm 0 is not the run's to stop
	grep -q 'stopping vm 1 again' "$dir/run.log"
	run -1 grep -q 'powering vm 0 down' "$dir/run.log"
	# nor is its console
	[ ! -e "$dir/console-0.log" ]
	grep -q '^DAXLAB-READY' "$dir/console-1.log"
	kill -0 "$q"
	[ "$(read -r p _ <"$T/state/vm-0/qemu.pid"; echo "$p")" = "$q" ]
	[ ! -e "$T/state/vm-1/qemu.pid" ]
	"$D" vm stop 0 --quiet --config "$T/lab.ini"
	assert_nothing_left
}

@test "a start that fails before its qemu: the console in the state folder is an earlier one's and is not kept" {
	local dir
	sed -i 's|^cgroup = '"$P"'-virtiofsd$|&\npath = /bin/false\nstyle = c|' "$T/lab.ini"
	grep -q '^path = /bin/false$' "$T/lab.ini"
	# an earlier start's console, newer than the run by its clock
	mkdir -p -m 0700 "$T/state" "$T/state/vm-0"
	echo EARLIER-CONSOLE >"$T/state/vm-0/console.log"
	touch -d '+1 hour' "$T/state/vm-0/console.log"
	"$D" files create --quiet --config "$T/lab.ini"
	run -1 "$D" run --quiet --config "$T/lab.ini" --results "$T/results"
	echo "$output"
	[[ "$output" == *"vm 0 did not start: "*"step 'start virtiofsd' failed"* ]]
	dir=$(echo "$T"/results/*)
	grep -q '^incomplete: ' "$dir/status"
	[ ! -e "$dir/console-0.log" ]
	assert_nothing_left
}

@test "a guest whose fio is another version: the run stops before fio, naming the VM and both versions, and tears down" {
	host=$(fio --version)
	# vm 1 boots a tiny guest whose fio says fio-3.99 (its server is the
	# real fio); it has the test guest's ssh keys, so the lab's key works
	G=$DAXLAB_TOP/build/test-guest-fio399
	mkdir -p "$G"
	cp -p "$GUEST_DIR"/id_ed25519 "$GUEST_DIR"/id_ed25519.pub \
		"$GUEST_DIR"/dropbear_ed25519_host_key "$G"/
	"$D" guest build --quiet --output "$G" \
		--add "$DAXLAB_TOP/tests/fixtures/guest/fio-3.99:/usr/sbin/fio"
	awk -v g="$G" '{ print } /^\[vm 1\]/ { print "kernel = " g "/vmlinuz"; print "initrd = " g "/initrd.img" }' \
		"$T/lab.ini" >"$T/lab.ini.new"
	mv "$T/lab.ini.new" "$T/lab.ini"
	grep -q "^initrd = $G/initrd.img" "$T/lab.ini"
	run --separate-stderr "$D" run --config "$T/lab.ini" --results "$T/results" --name demo
	echo "$stderr"
	[ "$status" -eq 1 ]
	msg="vm 1: the guest's fio is fio-3.99, this host's (fio) is $host; fio's client and server must be the same version: rebuild the tiny guest on this host (daxlab guest build), or install $host in the VM's image"
	[[ "$stderr" == *"daxlab: $msg"* ]]
	[[ "$stderr" == *"vm 0: $host, as on this host"* ]]
	dir=$(echo "$T/results/"*-demo)
	run cat "$dir/status"
	echo "status: $output"
	[[ "$output" == *"step 'check fio versions' failed: $msg" ]]
	# before fio: nothing measured with fio
	! grep -q "run fio" "$dir/run.log" || false
	[ ! -e "$dir/fio.json" ]
	# the provenance has every version
	grep -qx "fio = $host" "$dir/provenance.txt"
	grep -qx "vm.0.fio = $host" "$dir/provenance.txt"
	grep -qx "vm.1.fio = fio-3.99" "$dir/provenance.txt"
	# the VMs were stopped like after any failed step
	grep -q "stop VMs" "$dir/run.log"
	assert_nothing_left
}
