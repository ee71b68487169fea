#!/usr/bin/env bats
# issue 7: the monitor under signals at random moments. A remote connection
# killed mid-run, a cgroup removed mid-run and a full file system are in
# stats_monitor*.bats; a guest rebooted mid-run is in fault_vm.bats.

bats_require_minimum_version 1.5.0
load fault_helpers

MEMCG=/sys/fs/cgroup/memory

setup() {
	D=$DAXLAB_BUILD/daxlab
	WORK=$(mktemp -d /var/tmp/daxlab-fault.XXXXXX)
	MON=
	ROWS=$((3 * $(numastat_rows $MEMCG/memory.numa_stat)))
}

teardown() {
	[ -n "$MON" ] && kill -9 "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	rm -rf "$WORK"
}

# monitor_start: three local sources, 10 ms ticks, into $WORK/out.csv
monitor_start() {
	"$D" stats monitor --interval 10 --cgroups a=$MEMCG \
		b=$MEMCG/memory.numa_stat c=/sys/fs/cgroup/memory \
		--output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
}

# signal_round SIG: run, wait a random 0.01..0.99 s, send SIG, and check
# that the monitor exited by itself and left a complete CSV.
signal_round() {
	monitor_start
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -"$1" "$MON"
	local rc=0
	wait "$MON" || rc=$?
	MON=
	cat "$WORK/err"
	[ "$rc" -eq 0 ] || { echo "exit $rc after SIG$1"; return 1; }
	csv_check_ticks "$WORK/out.csv" "$ROWS"
	[ "$(sed 1d "$WORK/out.csv" | wc -l)" -gt 0 ]
}

@test "SIGTERM at a random moment of a 10 ms run: exit 0, every tick complete" {
	for round in 1 2 3; do
		signal_round TERM
	done
}

@test "SIGHUP at a random moment of a 10 ms run: exit 0, every tick complete" {
	for round in 1 2 3; do
		signal_round HUP
	done
}

@test "SIGINT right after start, before the first tick is written: a CSV with its header" {
	monitor_start
	# as soon as daxlab catches SIGINT (SigCgt bit 1); before that, no
	# program can do anything about it
	for _ in $(seq 500); do
		cgt=$(awk '/^SigCgt:/ { print $2 }' /proc/"$MON"/status 2>/dev/null)
		[ -n "$cgt" ] && (( 0x$cgt & 2 )) && break
		sleep 0.002
	done
	kill -INT "$MON"
	local rc=0
	wait "$MON" || rc=$?
	MON=
	[ "$rc" -eq 0 ]
	[ "$(head -n1 "$WORK/out.csv")" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ]
	csv_check_ticks "$WORK/out.csv" "$ROWS"
}

@test "SIGKILL at a random moment: the CSV ends with whole rows, at most the tick in flight short" {
	for round in 1 2 3 4 5; do
		monitor_start
		wait_rows "$WORK/out.csv" 2
		sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
		kill -KILL "$MON"
		wait "$MON" || true
		MON=
		# no half line: the file ends with a newline
		[ "$(tail -c1 "$WORK/out.csv" | od -An -c | tr -d ' ')" = '\n' ]
		csv_whole_ticks "$WORK/out.csv" "$ROWS"
	done
}

@test "SIGINT twice in a row: the second does not cut the last tick" {
	monitor_start
	wait_rows "$WORK/out.csv" $((ROWS * 3))
	kill -INT "$MON"
	kill -INT "$MON" 2>/dev/null || true
	local rc=0
	wait "$MON" || rc=$?
	MON=
	[ "$rc" -eq 0 ]
	csv_check_ticks "$WORK/out.csv" "$ROWS"
}

@test "a reader that goes away (SIGPIPE on stdout) ends the run with an error, no crash" {
	run --separate-stderr bash -c "'$D' stats monitor --interval 10 --cgroups a=$MEMCG | head -n 3"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	# the monitor itself: exit 1 and a message, not killed by SIGPIPE
	run --separate-stderr bash -c "'$D' stats monitor --interval 10 --cgroups a=$MEMCG | head -n 3 >/dev/null; echo \${PIPESTATUS[0]}"
	echo "$stderr"
	[ "$output" = 1 ]
	[[ "$stderr" == *"cannot write"* ]]
}
