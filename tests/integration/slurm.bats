#!/usr/bin/env bats
# daxlab run --slurm (issue 18) against a real Slurm on this host
# (tests/slurm/slurm: munged, slurmctld and slurmd, state in build/slurm):
# a sweep of the tiny demo as a job array, one whole node a run, and a
# gather job; a run cancelled with scancel, resumed; the errors a user
# meets first.

bats_require_minimum_version 1.5.0

load run_helpers

setup_file() {
	"$DAXLAB_BUILD/daxlab" guest build --quiet --output "$GUEST_DIR"
	export SLURM_CONF
	SLURM_CONF=$("$DAXLAB_TOP/tests/slurm/slurm" up "$DAXLAB_TOP/build/slurm")
}

teardown_file() {
	scancel --user=root 2>/dev/null || true
	"$DAXLAB_TOP/tests/slurm/slurm" down "$DAXLAB_TOP/build/slurm"
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /var/tmp/daxlab-slurm-test.XXXXXX)
	P=dxr$$r$RANDOM
	RUN=
	make_demo_lab size=64M private_ratio=50 access_ratio=50 runtime=1
}

teardown() {
	scancel --user=root 2>/dev/null || true
	wait_jobs_gone 600 || true
	run_teardown
}

# wait_jobs_gone TENTHS: until squeue lists no job
wait_jobs_gone() {
	local i
	for ((i = 0; i < $1; i++)); do
		[ -z "$(squeue -h -o %i)" ] && return 0
		sleep 0.1
	done
	squeue
	return 1
}

# submit ARGS...: daxlab run --slurm; sets S (the sweep folder), ARRAY and
# GATHER (the job ids it printed)
submit() {
	run --separate-stderr "$D" run -q --config "$T/lab.ini" --results "$T/results" \
		--name demo --tail 1 --slurm "$@"
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	S=$(echo "$T/results/"*-demo-sweep)
	[ -f "$S/manifest.json" ]
	ARRAY=$(sed -n 's/.* as job array \([0-9]*\), gather job \([0-9]*\)$/\1/p' <<<"$output")
	GATHER=$(sed -n 's/.* as job array \([0-9]*\), gather job \([0-9]*\)$/\2/p' <<<"$output")
	[ -n "$ARRAY" ] && [ -n "$GATHER" ]
}

@test "a 2 x 2 sweep as a job array: every run completes on the node, the gather job writes the summary" {
	submit --sweep private_ratio=25,75 --repeat 2 --seed 7
	wait_jobs_gone 9000
	local i
	# what each run and its job said, for a failure below
	for i in 0 1 2 3; do
		echo "-- point-$i: $(cat "$S/point-$i/status" 2>&1)"
		tail -5 "$S/point-$i/run.log" 2>&1
		tail -5 "$S/slurm-${ARRAY}_$i.out" 2>&1
	done
	for i in 0 1 2 3; do
		[ "$(cat "$S/point-$i/status")" = complete ]
		grep -qx "slurm.array = ${ARRAY}_$i" "$S/point-$i/provenance.txt"
		grep -qx "slurm.node = localhost" "$S/point-$i/provenance.txt"
		grep -q '^slurm.job = [0-9]' "$S/point-$i/provenance.txt"
		# submit's --tail 1, from the manifest, on the node too
		grep -qx "monitor.tail_ms = 1000" "$S/point-$i/provenance.txt"
	done
	# the gather job's daxlab report of the sweep folder
	[ -s "$S/summary.json" ] && [ -s "$S/report.html" ]
	grep -q "4 of 4 runs complete" "$S"/slurm-gather-"$GATHER".out
	run "$D" sweep status "$S"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"4 runs: 4 complete, 0 running, 0 incomplete, 0 failed, 0 not started"* ]]
	[[ "$output" == *"point-3      complete     ${ARRAY}_3 -"* ]]
	assert_nothing_left
}

@test "a run cancelled with scancel is incomplete, leaves nothing running, and --resume --slurm completes it" {
	local i
	submit --repeat 2 --order sequential
	# cancel run 0 once its VMs are up
	for ((i = 0; i < 3000; i++)); do
		grep -q "run fio" "$S/point-0/run.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "run fio" "$S/point-0/run.log"
	scancel "${ARRAY}_0"
	wait_jobs_gone 9000
	[[ "$(cat "$S/point-0/status")" == incomplete* ]]
	[ "$(cat "$S/point-1/status")" = complete ]
	assert_nothing_left
	run "$D" sweep status "$S"
	[[ "$output" == *"2 runs: 1 complete, 0 running, 1 incomplete"* ]]
	run --separate-stderr "$D" run -q --resume "$S" --slurm
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"runs 0 as job array"* ]]
	wait_jobs_gone 9000
	[ "$(cat "$S/point-0/status")" = complete ]
	[[ "$(cat "$S/point-0.attempt-1/status")" == incomplete* ]]
	assert_nothing_left
}

@test "--resume --slurm submits no run that another daxlab is running" {
	submit --repeat 2 --slurm-opt=--hold
	scancel "$ARRAY" "$GATHER"
	wait_jobs_gone 600
	/usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
open(sys.argv[1] + ".held", "w").close()
time.sleep(600)' "$S/.point-0.lock" &
	local holder=$! i
	for ((i = 0; i < 100; i++)); do
		[ -e "$S/.point-0.lock.held" ] && break
		sleep 0.1
	done
	run --separate-stderr "$D" run --resume "$S" --slurm --slurm-opt=--hold
	kill "$holder"
	wait "$holder" || true
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"run 0 of $S is being run now: not submitted again"* ]]
	[[ "$output" == *"runs 1 as job array"* ]]
}

@test "no sbatch, a manifest that does not match its folder, and a sweep folder the node cannot see: each a clear error, exit 1" {
	run --separate-stderr env PATH=/nonexistent "$D" run --config "$T/lab.ini" \
		--results "$T/results" --slurm --repeat 2
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--slurm: no sbatch in PATH (Debian's slurm-client)"* ]]
	[ ! -e "$T/results" ]

	submit --repeat 2 --slurm-opt=--hold --slurm-opt="--output=$T/task-%A_%a.out"
	sed -i 's/"repetition": 1/"repetition": 5/' "$S/manifest.json"
	run --separate-stderr "$D" run --resume "$S" --slurm
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$S/manifest.json: runs["*"] is not the run its keys, repeat and seed give"* ]]

	# the folder is gone when the held task runs: its error says so
	rm -rf "$S"
	scontrol release "$ARRAY,$GATHER"
	wait_jobs_gone 3000
	grep -q "$S/manifest.json: No such file or directory (not a sweep folder)" "$T"/task-"$ARRAY"_0.out
	scontrol show job "${ARRAY}_0" | grep -q "ExitCode=1:0"
}
