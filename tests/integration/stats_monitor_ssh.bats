#!/usr/bin/env bats
# daxlab stats monitor with remote sources: a real sshd on 127.0.0.1 with its
# own keys, port and config (see stats_monitor_helpers.bash).

bats_require_minimum_version 1.5.0
load stats_monitor_helpers

MEMCG=/sys/fs/cgroup/memory
REMOTE=root@127.0.0.1:$MEMCG/memory.numa_stat

setup_file() {
	sshd_setup_file
}

teardown_file() {
	sshd_teardown_file
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	WORK=$(mktemp -d /tmp/daxlab-monitor.XXXXXX)
	MON=
	before=$(sshd_accepted)
}

teardown() {
	[ -n "$MON" ] && kill "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	# a remote cat still waiting on a FIFO: give it a writer so it ends
	[ -p "$WORK/held" ] && timeout 5 sh -c ": >'$WORK/held'"
	rm -rf "$WORK"
}

# wait_ticks CSV N: until the CSV holds N ticks of source S (default r)
wait_ticks() {
	local i
	for i in $(seq 1 200); do
		[ "$(awk -F, -v s="${3:-r}" '$3 == s { print $2 }' "$1" 2>/dev/null | sort -u | wc -l)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "a remote source is read over ssh, every tick complete" {
	run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" \
		--cgroups r=$REMOTE l=$MEMCG --count 5 --interval 200 --output "$WORK/out.csv"
	echo "$stderr"
	[ "$status" -eq 0 ]
	csv_check_ticks "$WORK/out.csv" $((2 * $(numastat_rows $MEMCG/memory.numa_stat)))
	[ "$(awk -F, '$3 == "r" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)" -eq 5 ]
	# the remote page size converts v1 pages: values are whole pages
	awk -F, -v ps="$(getconf PAGESIZE)" '$3 == "r" && $6 % ps { exit 1 }' "$WORK/out.csv"
}

@test "one ssh connection serves the whole run, for all paths of a host" {
	# 150 ms for each answer: a loaded machine still makes it in time
	"$D" stats monitor --ssh-config "$SSH_CONFIG" --interval 200 \
		--cgroups r=$REMOTE r2=root@127.0.0.1:$MEMCG \
		--output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	wait_ticks "$WORK/out.csv" 10
	# exactly one ssh child all along
	[ "$(pgrep -c -P "$MON" -x ssh)" -eq 1 ]
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	[ $(($(sshd_accepted) - before)) -eq 1 ]
	grep -q "root@127.0.0.1: 1 connection(s)" "$WORK/err"
	csv_check_ticks "$WORK/out.csv" $((2 * $(numastat_rows $MEMCG/memory.numa_stat)))
}

@test "a killed connection is re-opened, the gap reported, rows resume" {
	"$D" stats monitor --ssh-config "$SSH_CONFIG" --interval 50 \
		--cgroups r=$REMOTE l=$MEMCG --stats file \
		--output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	wait_ticks "$WORK/out.csv" 5
	ssh_pid=$(pgrep -P "$MON" -x ssh)
	[ -n "$ssh_pid" ]
	kill -KILL "$ssh_pid"
	# a new ssh child, and remote rows after it
	for i in $(seq 1 100); do
		new=$(pgrep -P "$MON" -x ssh || true)
		[ -n "$new" ] && [ "$new" != "$ssh_pid" ] && break
		sleep 0.05
	done
	[ -n "$new" ] && [ "$new" != "$ssh_pid" ]
	n=$(awk -F, '$3 == "r" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	wait_ticks "$WORK/out.csv" $((n + 5))
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	grep -q "warning: root@127.0.0.1: connection lost" "$WORK/err"
	grep -Eq "warning: root@127.0.0.1: reconnected after [0-9.]+ s; gap of [1-9][0-9]* tick" "$WORK/err"
	grep -q "root@127.0.0.1: 2 connection(s)" "$WORK/err"
	[ $(($(sshd_accepted) - before)) -eq 2 ]
	# the local source never missed a tick; the remote one has a gap
	lt=$(awk -F, '$3 == "l" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	rt=$(awk -F, '$3 == "r" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	[ "$rt" -lt "$lt" ]
	[ "$(tail -c1 "$WORK/out.csv" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "a killed sshd session is re-opened too" {
	"$D" stats monitor --ssh-config "$SSH_CONFIG" --interval 50 \
		--cgroups r=$REMOTE --stats file --output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	wait_ticks "$WORK/out.csv" 5
	# the session's sshd processes: children of our listener
	sess=$(pgrep -P "$SSHD_PID")
	[ -n "$sess" ]
	kill -KILL $sess
	n=$(awk -F, '$3 == "r" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	wait_ticks "$WORK/out.csv" $((n + 5))
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	grep -q "reconnected after" "$WORK/err"
}

@test "a remote path that does not exist is an error that names the source" {
	run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" --count 1 \
		--cgroups ok=$REMOTE bad=root@127.0.0.1:/no/such/file
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source bad: cannot read root@127.0.0.1:/no/such/file"* ]]
	[[ "$stderr" != *"source ok"* ]]
}

@test "a remote cgroup directory means its memory.numa_stat, quoting kept" {
	mkdir -p "$WORK/it's a dir"
	cp $MEMCG/memory.numa_stat "$WORK/it's a dir/"
	run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" --count 1 \
		--cgroups "q=root@127.0.0.1:$WORK/it's a dir" --stats file
	echo "$stderr"
	[ "$status" -eq 0 ]
	grep -q '^[0-9]*,0,q,file,N0,' <<<"$output"
}

@test "an unreachable host is an error naming the source and ssh's reason" {
	sed "s/Port $SSHD_PORT/Port 1/" "$SSH_CONFIG" >"$WORK/cfg"
	run --separate-stderr "$D" stats monitor --ssh-config "$WORK/cfg" --count 1 \
		--cgroups far=$REMOTE
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source far: not connected to root@127.0.0.1"*"Connection refused"* ]]
}

@test "a host that is down does not hold up local sources" {
	sed "s/Port $SSHD_PORT/Port 1/" "$SSH_CONFIG" >"$WORK/cfg"
	run --separate-stderr "$D" stats monitor --ssh-config "$WORK/cfg" --count 10 \
		--interval 20 --allow-missing --cgroups far=$REMOTE l=$MEMCG --stats file
	[ "$status" -eq 0 ]
	[ "$(grep -c ',l,file,total,' <<<"$output")" -eq 10 ]
	! grep -q ',far,' <<<"$output" || false
	[[ "$stderr" == *"10 tick(s), "*" missed"* ]]
}

@test "a host that does not answer in time holds up nothing, and rows resume" {
	cp $MEMCG/memory.numa_stat "$WORK/ns"
	"$D" stats monitor --ssh-config "$SSH_CONFIG" --interval 50 \
		--cgroups r=root@127.0.0.1:$WORK/ns l=$MEMCG --stats file \
		--output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	wait_ticks "$WORK/out.csv" 5
	# the remote cat now blocks: a FIFO without a writer
	mkfifo "$WORK/held"
	ln -f "$WORK/held" "$WORK/fifo"
	mv "$WORK/fifo" "$WORK/ns"
	n=$(awk -F, '$3 == "l" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	wait_ticks "$WORK/out.csv" $((n + 15)) l
	rt=$(awk -F, '$3 == "r" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	# back to a file, and the blocked read gets its writer
	cp $MEMCG/memory.numa_stat "$WORK/ns.new"
	mv "$WORK/ns.new" "$WORK/ns"
	timeout 5 sh -c ": >'$WORK/held'"
	wait_ticks "$WORK/out.csv" $((rt + 5))
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	grep -q "warning: root@127.0.0.1: no answer within 37 ms" "$WORK/err"
	# the local source went on every tick; the same connection served all
	lt=$(awk -F, '$3 == "l" { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	all=$(awk -F, 'NR > 1 { print $2 }' "$WORK/out.csv" | sort -u | wc -l)
	[ "$lt" -eq "$all" ]
	[ "$rt" -lt "$lt" ]
	grep -q "root@127.0.0.1: 1 connection(s)" "$WORK/err"
	grep -Eq "root@127.0.0.1: 1 connection.*, [1-9][0-9]* late" "$WORK/err"
}
