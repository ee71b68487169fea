#!/usr/bin/env bats
# issue 7: nothing is ever run through a shell. A remote monitor source whose
# path holds $(...), backquotes, ';', quotes, spaces and a newline is read
# through a real sshd on 127.0.0.1 as the file it names; hosts that would be
# ssh options or shell words are refused before ssh starts.

bats_require_minimum_version 1.5.0
load fault_helpers

setup_file() {
	sshd_setup_file
}

teardown_file() {
	sshd_teardown_file
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	WORK=$(mktemp -d /tmp/daxlab-hostile.XXXXXX)
	rm -f /tmp/pwned
}

teardown() {
	rm -rf "$WORK"
	rm -f /tmp/pwned
}

@test "a remote path with \$(...), backquotes, ';', quotes and a newline is read as written" {
	local n dir
	for n in 'x$(touch /tmp/pwned)' 'x`touch /tmp/pwned`' 'a;touch /tmp/pwned' \
		"it's \"q\"" 'sp ace' "$(printf 'new\nline')" '-rf' '$HOME' '*'; do
		dir="$WORK/$n"
		mkdir -p -- "$dir"
		printf 'total=3 N0=3\nfile=2 N0=2\n' >"$dir/memory.numa_stat"
		run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" \
			--cgroups "r=root@127.0.0.1:$dir" --count 2 --interval 100 \
			--output "$WORK/out.csv"
		echo "[$n] $stderr"
		[ "$status" -eq 0 ]
		csv_check_ticks "$WORK/out.csv" 4
		grep -q ',r,file,N0,8192,bytes$' "$WORK/out.csv"
		[ ! -e /tmp/pwned ]
	done
}

@test "a remote path that does not exist, named with shell words: an error naming it, nothing run" {
	run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" \
		--cgroups 'r=root@127.0.0.1:/nope/$(touch /tmp/pwned)' --count 1
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *'/nope/$(touch /tmp/pwned)'* ]]
	[ ! -e /tmp/pwned ]
}

@test "a host that would be an ssh option or shell words is refused before ssh starts" {
	local h
	cd "$WORK"
	for h in '-oProxyCommand=touch pwned' '-F.' 'a;touch pwned' 'a$(touch pwned)' \
		'`touch pwned`' 'a b' 'root@-oProxyCommand=touch pwned' 'a|b'; do
		run --separate-stderr "$D" stats monitor --ssh-config "$SSH_CONFIG" \
			--cgroups "r=$h:/x" --count 1
		echo "[$h] $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"invalid host"* ]]
	done
	[ ! -e "$WORK/pwned" ]
	[ ! -e /tmp/pwned ]
}
