#!/usr/bin/env bats
# daxlab stats monitor on this machine's own cgroups (v1 here).

bats_require_minimum_version 1.5.0
load stats_monitor_helpers

MEMCG=/sys/fs/cgroup/memory

setup() {
	D=$DAXLAB_BUILD/daxlab
	# on disk, not tmpfs: page cache counts as `file` on v1
	WORK=$(mktemp -d /var/tmp/daxlab-monitor.XXXXXX)
	CG=
	MON=
	WRITER=
}

teardown() {
	[ -n "$MON" ] && kill "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null && wait "$WRITER" 2>/dev/null
	mountpoint -q "$WORK/small" 2>/dev/null && umount "$WORK/small"
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		while read -r p; do echo "$p" >"$MEMCG/cgroup.procs"; done <"$CG/cgroup.procs"
		rmdir "$CG"
	fi
	rm -rf "$WORK"
}

@test "monitor --help prints its options to stdout and exits 0" {
	run --separate-stderr "$D" stats monitor --help
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	for o in --cgroups --interval --duration --count --stats --ssh-config \
		--allow-missing --output --quiet --version; do
		[[ "$output" == *"$o"* ]] || { echo "missing $o"; false; }
	done
}

@test "stats --help lists monitor and compare" {
	run --separate-stderr "$D" stats --help
	[ "$status" -eq 0 ]
	[[ "$output" == *monitor* ]]
	[[ "$output" == *compare* ]]
}

@test "monitor --version prints the version" {
	run "$D" stats monitor --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^daxlab\ [0-9.]+$ ]]
}

@test "a bad option is a usage error with a hint, exit 1" {
	run --separate-stderr "$D" stats monitor --interval 0 --cgroups a=/x
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid --interval '0'"* ]]
	[[ "$stderr" == *"Try 'daxlab stats monitor --help'"* ]]
	run --separate-stderr "$D" stats monitor --frob
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Try 'daxlab stats monitor --help'"* ]]
	run --separate-stderr "$D" stats monitor
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no sources"* ]]
	run --separate-stderr "$D" stats monitor --cgroups 'bad name=/x'
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"invalid source name 'bad name'"* ]]
	run --separate-stderr "$D" stats monitor --cgroups a=/x a=/y
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'a' given twice"* ]]
}

@test "a source missing at start is an error that names it" {
	run --separate-stderr "$D" stats monitor --count 1 \
		--cgroups host=$MEMCG gone=$WORK/no-such-cgroup
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"source gone"*"$WORK/no-such-cgroup"*"No such file"* ]]
}

@test "a folder that is not a cgroup is an error naming the file it lacks" {
	mkdir "$WORK/plain"
	run --separate-stderr "$D" stats monitor --count 1 --cgroups plain=$WORK/plain
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source plain: cannot read $WORK/plain/memory.numa_stat: No such file"* ]]
}

@test "an empty read is a tick without rows, counted as such, and warned about when every read was" {
	: >"$WORK/empty"
	run --separate-stderr "$D" stats monitor --count 2 --interval 10 \
		--cgroups e=$WORK/empty host=$MEMCG
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"e: 0 tick(s) with rows, 0 failure(s), 2 empty"* ]]
	[[ "$stderr" == *"host: 2 tick(s) with rows, 0 failure(s), 0 empty"* ]]
	[[ "$stderr" == *"warning: e: every read of $WORK/empty was empty: not a memory.numa_stat?"* ]]
	[[ "$stderr" != *"warning: host:"* ]]
	[ "$(grep -c ',e,' <<<"$output")" -eq 0 ]
}

@test "-o - writes the CSV to standard output, no file named '-'" {
	cd "$WORK"
	run --separate-stderr "$D" stats monitor --count 1 -q --cgroups host=$MEMCG -o -
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ]
	[ ! -e ./- ]
}

@test "--allow-missing starts without it and writes the others' rows" {
	run --separate-stderr "$D" stats monitor --count 2 --interval 20 --allow-missing \
		--cgroups host=$MEMCG gone=$WORK/no-such-cgroup --stats file
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: gone:"* ]]
	[ "$(grep -c ',host,file,' <<<"$output")" -eq 4 ]
	! grep -q ',gone,' <<<"$output" || false
}

@test "the seed's command line works through the stats alias" {
	cd "$WORK"
	"$DAXLAB_BUILD"/stats monitor --cgroups host=$MEMCG/memory.numa_stat \
		root=$MEMCG --interval 500 --duration 0 \
		--output numa_stats.csv 2>err &
	MON=$!
	# --duration 0 runs until SIGINT: wait for two ticks, then stop it
	for i in $(seq 1 100); do
		[ "$(awk -F, 'NR > 1 { print $2 }' numa_stats.csv 2>/dev/null | sort -u | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	kill -INT "$MON"
	wait "$MON"
	MON=
	csv_check_ticks numa_stats.csv $((2 * $(numastat_rows $MEMCG/memory.numa_stat)))
	grep -q '^[0-9]*,0,host,file,N0,[0-9]*,bytes$' numa_stats.csv
	grep -q '^[0-9]*,500,root,hierarchical_file,total,[0-9]*,bytes$' numa_stats.csv
	grep -q 'tick(s), [0-9]* missed' err
}

@test "--count, --stats and the CSV layout: v1 pages become bytes" {
	pages=$(awk -F'[= ]' '$1 == "hierarchical_total" { print $2 }' $MEMCG/memory.numa_stat)
	run --separate-stderr "$D" stats monitor --cgroups root=$MEMCG --count 3 \
		--interval 200 --stats hierarchical_total,file
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ]
	[ "${#lines[@]}" -eq $((1 + 3 * 4)) ]
	[ "$(cut -d, -f2 <<<"$output" | sed 1d | sort -un | tr '\n' ' ')" = "0 200 400 " ]
	[ "$(cut -d, -f4 <<<"$output" | sed 1d | sort -u | tr '\n' ' ')" = "file hierarchical_total " ]
	# the root's hierarchical_total is thousands of pages: bytes are 4096x
	v=$(awk -F, '$4 == "hierarchical_total" && $5 == "total" { print $6; exit }' <<<"$output")
	ps=$(getconf PAGESIZE)
	[ $((v % ps)) -eq 0 ]
	[ $((v / ps)) -gt $((pages / 2)) ]
	[ $((v / ps)) -lt $((pages * 2)) ]
}

@test "a real cgroup: a file written inside shows as its file on N0" {
	CG=$MEMCG/daxlab-test-$$
	mkdir "$CG"
	"$D" stats monitor --cgroups cg=$CG --interval 100 --stats file \
		--output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	sleep 0.5
	# a process inside the cgroup brings 32 MiB into the page cache
	sh -c "echo \$\$ >$CG/cgroup.procs; exec dd if=/dev/zero of=$WORK/f bs=1M count=32 2>/dev/null"
	sleep 0.5
	kill -TERM "$MON"
	wait "$MON"
	MON=
	first=$(awk -F, '$3 == "cg" && $5 == "N0" { print $6; exit }' "$WORK/out.csv")
	last=$(awk -F, '$3 == "cg" && $5 == "N0" { v = $6 } END { print v }' "$WORK/out.csv")
	echo "file N0: first $first, last $last"
	[ "$first" -lt $((1 << 20)) ]
	[ "$last" -ge $((30 << 20)) ]
	csv_check_ticks "$WORK/out.csv" 2
}

@test "a cgroup removed mid-run: a warning, no rows while gone, the run goes on" {
	CG=$MEMCG/daxlab-test-$$
	mkdir "$CG"
	"$D" stats monitor --cgroups cg=$CG root=$MEMCG --interval 50 \
		--stats file --output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	sleep 0.5
	rmdir "$CG"
	sleep 0.5
	kill -0 "$MON"
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	grep -q "warning: cg: cannot read $CG: No such file or directory; no rows while it is gone" "$WORK/err"
	# cg's rows stop, root's go on after it
	last_cg=$(awk -F, '$3 == "cg" { t = $2 } END { print t }' "$WORK/out.csv")
	last_root=$(awk -F, '$3 == "root" { t = $2 } END { print t }' "$WORK/out.csv")
	[ "$last_root" -gt "$last_cg" ]
	grep -Eq "cg: [0-9]+ tick\(s\) with rows, [1-9][0-9]* failure" "$WORK/err"
}

@test "a cgroup that comes back gets rows again" {
	CG=$MEMCG/daxlab-test-$$
	"$D" stats monitor --cgroups cg=$CG --allow-missing --interval 50 \
		--stats file --output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	sleep 0.4
	mkdir "$CG"
	sleep 0.4
	kill -INT "$MON"
	wait "$MON"
	MON=
	grep -q "warning: cg: back after [1-9][0-9]* tick(s) without rows" "$WORK/err"
	grep -q ',cg,file,N0,' "$WORK/out.csv"
}

@test "SIGINT at a random moment of a 10 ms run leaves every tick complete" {
	for round in 1 2 3; do
		"$D" stats monitor --interval 10 --cgroups a=$MEMCG \
			b=$MEMCG/memory.numa_stat c=/sys/fs/cgroup/memory \
			--output "$WORK/out.csv" 2>"$WORK/err" &
		MON=$!
		sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
		kill -INT "$MON"
		wait "$MON"
		MON=
		csv_check_ticks "$WORK/out.csv" $((3 * $(numastat_rows $MEMCG/memory.numa_stat)))
		[ "$(sed 1d "$WORK/out.csv" | wc -l)" -gt 0 ]
	done
}

@test "CSV to stdout when no --output, summary on stderr" {
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG --count 2 --interval 10
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ]
	[[ "$stderr" == *"2 tick(s), "*" missed"* ]]
	[[ "$stderr" == *"a: 2 tick(s) with rows, 0 failure(s), 0 empty"* ]]
	run --separate-stderr "$D" stats monitor --quiet --cgroups a=$MEMCG --count 2 --interval 10
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "--duration stops the run by itself" {
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG --duration 750ms \
		--interval 250 --stats file
	[ "$status" -eq 0 ]
	[ "$(cut -d, -f2 <<<"$output" | sed 1d | sort -un | tr '\n' ' ')" = "0 250 500 750 " ]
}

@test "an output that cannot be written is an error naming it" {
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG --count 1 \
		--output "$WORK/no/such/dir/out.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot open $WORK/no/such/dir/out.csv"* ]]
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG --count 5 \
		--interval 10 --output /dev/full
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/dev/full"*"No space left on device"* ]]
}

@test "on a terminal, one live status line with each source's file total" {
	script -qc "$D stats monitor --cgroups host=$MEMCG x=$MEMCG/memory.numa_stat \
		--interval 100 --count 4 --output $WORK/out.csv" /dev/null >"$WORK/tty"
	# redrawn in place with \r, cleared before the summary
	grep -aq $'\r''0.0 s  1 ticks  host file [0-9.]* [KMG]*i*B  x file' "$WORK/tty"
	grep -aq $'\r\033\[Kdaxlab: 4 tick(s)' "$WORK/tty"
	# not when stderr is no terminal
	"$D" stats monitor --cgroups host=$MEMCG --count 2 --interval 10 \
		--output "$WORK/out.csv" 2>"$WORK/err"
	! grep -q ' ticks  host' "$WORK/err" || false
}

@test "a --stats name no source has is warned about with what they have" {
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG --count 1 \
		--stats fle,file --quiet
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: no source has stat 'fle' now (a has: total,file,anon,"* ]]
	[ "$(sed 1d <<<"$output" | cut -d, -f4 | sort -u)" = file ]
}

@test "ticks missed while stopped are counted and skipped, not fired in a burst" {
	"$D" stats monitor --cgroups a=$MEMCG --interval 50 --duration 2 \
		--stats file --output "$WORK/out.csv" 2>"$WORK/err" &
	MON=$!
	sleep 0.5
	kill -STOP "$MON"
	sleep 0.6
	kill -CONT "$MON"
	wait "$MON"
	MON=
	cat "$WORK/err"
	missed=$(sed -n 's/.* tick(s), \([0-9]*\) missed.*/\1/p' "$WORK/err")
	[ "$missed" -ge 5 ]
	# scheduled offsets only, each once, with a hole where it was stopped
	awk -F, 'NR > 1 && $5 == "total" { if ($2 % 50) exit 1; if (seen[$2]++) exit 1
		if (NR > 2 && $2 - prev >= 300) hole = 1; prev = $2 } END { exit !hole }' "$WORK/out.csv"
	# taken + missed covers the run: 0..2000 ms, 41 ticks
	taken=$(awk -F, 'NR > 1 && $5 == "total"' "$WORK/out.csv" | wc -l)
	[ $((taken + missed)) -eq 41 ]
}

@test "a full file system: the error names the file, the CSV ends on a whole tick" {
	mkdir "$WORK/small"
	mount -t tmpfs -o size=64k daxlab-test "$WORK/small"
	run --separate-stderr "$D" stats monitor --cgroups a=$MEMCG b=$MEMCG \
		--interval 1 --count 100000 --output "$WORK/small/out.csv"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot write $WORK/small/out.csv at tick "*"No space left on device"* ]]
	# a few ticks fitted; all of them whole
	[ "$(wc -l <"$WORK/small/out.csv")" -gt 32 ]
	csv_check_ticks "$WORK/small/out.csv" $((2 * $(numastat_rows $MEMCG/memory.numa_stat)))
}
