#!/usr/bin/env bats
# issue 7: broken and hostile memory.numa_stat and CSV input. Each is
# refused with a message naming the file and line, or read exactly as it
# is; never a crash, a half row or a number that wrapped around.

bats_require_minimum_version 1.5.0
load fault_helpers

FIX=$DAXLAB_TOP/tests/fixtures/hostile
HEADER=epoch_ms,elapsed_ms,source,stat,node,value,unit

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-hostile.XXXXXX)
	WRITER=
	MON=
}

teardown() {
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null && wait "$WRITER" 2>/dev/null
	[ -n "$MON" ] && kill -9 "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	rm -rf "$T"
}

monitor() {
	run --separate-stderr "$D" stats monitor --cgroups "a=$1" --count 2 \
		--interval 10 --output "$T/out.csv"
	echo "$stderr"
}

compare() {
	run --separate-stderr timeout 30 "$D" stats compare --file "$1" --stat file --format csv
	echo "$stderr"
	echo "$output"
}

# --- memory.numa_stat ----------------------------------------------------

@test "numa_stat with CRLF line ends is read as if it had LF" {
	monitor "$FIX/crlf.numa_stat"
	[ "$status" -eq 0 ]
	grep -qx '[0-9]*,0,a,file,N1,16384,bytes' "$T/out.csv"
	grep -qx '[0-9]*,0,a,total,total,409600,bytes' "$T/out.csv"
	csv_check_ticks "$T/out.csv" 9
}

@test "numa_stat with a truncated last line is refused naming file and line" {
	monitor "$FIX/truncated.numa_stat"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source a: $FIX/truncated.numa_stat: line 2: file: bad node"* ]]
}

@test "numa_stat with a value that overflows 64 bits is refused, not wrapped" {
	monitor "$FIX/overflow.numa_stat"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$FIX/overflow.numa_stat: line 2: file: bad "* ]]
}

@test "numa_stat pages that overflow 64 bits as bytes are refused, not wrapped" {
	monitor "$FIX/overflow_bytes.numa_stat"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$FIX/overflow_bytes.numa_stat: line 2: file: bad "* ]]
}

@test "numa_stat with missing fields is refused naming the line" {
	local v
	for v in 'file\n' 'file N0\n' 'file=\n' 'file=1 N0=\n' 'file=1 =5\n' \
		'file=1 Nx=5\n' 'file=1 N0=5x\n' 'file N0=-1\n' '=1 N0=1\n'; do
		printf "total=1 N0=1\n$v" >"$T/ns"
		monitor "$T/ns"
		[ "$status" -eq 1 ] || { echo "accepted: $v"; false; }
		[[ "$stderr" == *"source a: $T/ns: line 2: "* ]]
	done
}

@test "numa_stat that is binary garbage is refused naming the file, no raw bytes echoed" {
	monitor "$FIX/garbage.bin"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source a: $FIX/garbage.bin: line "* ]]
	# the message is printable text
	! LC_ALL=C grep -q '[^[:print:][:space:]]' <<<"$stderr" || false
}

@test "numa_stat that is rewritten while read: every row whole, no failure" {
	printf 'total=1 N0=1\nfile=2 N0=2\n' >"$T/ns"
	(
		while :; do
			printf 'total=1 N0=1\nfile=2 N0=2\nanon=3 N0=3\n' >"$T/ns"
			printf 'total=1 N0=1\nfile=2 N0=2\n' >"$T/ns"
		done
	) &
	WRITER=$!
	run --separate-stderr "$D" stats monitor --cgroups "a=$T/ns" --count 200 \
		--interval 2 --output "$T/out.csv"
	kill "$WRITER"
	wait "$WRITER" 2>/dev/null || true
	WRITER=
	echo "$stderr"
	[ "$status" -eq 0 ]
	# rows are whole, and a tick's rows are one read: 0, 2, 4 or 6
	csv_whole_ticks "$T/out.csv" 0 >/dev/null || true
	awk -F, 'NR > 1 && (NF != 7 || $6 !~ /^[0-9]+$/) { print "bad: " $0; bad = 1 }
		NR > 1 { n[$2]++ } END { for (t in n) if (n[t] % 2) { print "tick " t ": " n[t]; bad = 1 }; exit bad }' \
		"$T/out.csv"
}

@test "numa_stat that grows while read (appended): every row whole" {
	printf 'total=1 N0=1\n' >"$T/ns"
	(
		i=0
		while :; do
			i=$((i + 1))
			printf 'k%d=%d N0=%d\n' "$i" "$i" "$i" >>"$T/ns"
		done
	) &
	WRITER=$!
	run --separate-stderr "$D" stats monitor --cgroups "a=$T/ns" --count 50 \
		--interval 5 --allow-missing --output "$T/out.csv"
	kill "$WRITER"
	wait "$WRITER" 2>/dev/null || true
	WRITER=
	echo "$stderr" | tail -3
	[ "$status" -eq 0 ] || [ "$status" -eq 1 ]
	[ "$(head -n1 "$T/out.csv")" = "$HEADER" ]
	awk -F, 'NR > 1 && (NF != 7 || $6 !~ /^[0-9]+$/) { print "bad: " $0; bad = 1 } END { exit bad }' \
		"$T/out.csv"
}

# --- the stats CSV -------------------------------------------------------

@test "a CSV with CRLF line ends is read as if it had LF" {
	compare "$FIX/crlf.csv"
	[ "$status" -eq 0 ]
	[[ "$output" == *",a,file,N0,bytes,2,4096,8192,4096,4096,8192,6144.00"* ]]
}

@test "a CSV whose last line is cut is read up to it, with a note" {
	compare "$FIX/truncated.csv"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"$FIX/truncated.csv:3: incomplete last line ignored"* ]]
	[[ "$output" == *",a,file,N0,bytes,1,4096,4096,0,4096,4096,4096.00"* ]]
}

@test "a CSV value that overflows 64 bits is refused naming file and line" {
	compare "$FIX/overflow.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$FIX/overflow.csv:2: value '18446744073709551616' is out of range"* ]]
}

@test "a CSV with values at the int64 limits: no wrap in delta, min, max or mean" {
	compare "$FIX/extremes.csv"
	[ "$status" -eq 0 ]
	# first, last, delta (held at the int64 limit, not wrapped to 2), min,
	# max and the mean of the three (3074457345618258602.33, as a double)
	[[ "$output" == *",a,file,N0,bytes,3,9223372036854775807,-9223372036854775807,-9223372036854775808,-9223372036854775807,9223372036854775807,30744573456182584"* ]]
}

@test "a CSV line with missing fields is refused naming file and line" {
	compare "$FIX/missing.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$FIX/missing.csv:2: 4 fields, expected 7"* ]]
}

@test "a CSV that is binary garbage is refused naming file and line, no raw bytes echoed" {
	compare "$FIX/garbage.bin"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$FIX/garbage.bin:1: "* ]]
	! LC_ALL=C grep -q '[^[:print:][:space:]]' <<<"$stderr" || false
	{ echo "$HEADER"; cat "$FIX/garbage.bin"; } >"$T/g.csv"
	compare "$T/g.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/g.csv:2: "* ]]
	! LC_ALL=C grep -q '[^[:print:][:space:]]' <<<"$stderr" || false
}

@test "an empty CSV and a CSV with only its header: clear messages" {
	: >"$T/e.csv"
	compare "$T/e.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/e.csv: empty file"* ]]
	echo "$HEADER" >"$T/h.csv"
	compare "$T/h.csv"
	[[ "$status" -eq 0 || "$status" -eq 1 ]]
	[[ "$stderr$output" == *"$T/h.csv"* ]]
}

@test "a CSV with a NUL byte or an extra field is refused naming file and line" {
	printf '%s\n1000,0,a,fi\0le,N0,1,bytes\n' "$HEADER" >"$T/n.csv"
	compare "$T/n.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/n.csv:2: "* ]]
	printf '%s\n1000,0,a,file,N0,1,bytes,x\n' "$HEADER" >"$T/x.csv"
	compare "$T/x.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/x.csv:2: more than 7 fields"* ]]
}

@test "a CSV read while the monitor writes it: each compare reads whole ticks" {
	"$D" stats monitor --interval 1 --cgroups a=/sys/fs/cgroup/memory \
		--output "$T/live.csv" 2>/dev/null &
	MON=$!
	wait_rows "$T/live.csv" 100
	for i in 1 2 3 4 5 6 7 8 9 10; do
		compare "$T/live.csv" >/dev/null
		[ "$status" -eq 0 ]
	done
	kill -INT "$MON"
	wait "$MON"
	MON=
}

# --- fio job files -------------------------------------------------------

@test "fio job refuses paths and hosts that would add lines or options to the job file" {
	local v
	for v in "$(printf '/x\nexec_prerun=touch /tmp/pwned')" '/a b;$(touch /tmp/pwned)' \
		'/x:y' 'relative'; do
		run "$D" fio job --size 640M --file-size 16M --shared-path "$v" \
			--output "$T/j.fio"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"shared path '$v'"* ]]
		[ ! -e "$T/j.fio" ]
	done
	run "$D" fio job --size 640M --file-size 16M -H "$(printf 'h\nexec_prerun=x')" \
		--output "$T/j.fio"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad host"* ]]
	[ ! -e "$T/j.fio" ]
	[ ! -e /tmp/pwned ]
}
