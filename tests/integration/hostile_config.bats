#!/usr/bin/env bats
# issue 7: hostile configuration files. Every key with an empty, huge,
# negative, non-numeric or out-of-range value, shell metacharacters, lines
# longer than inih's buffer, duplicates, unknown keys. Each is refused with a
# message naming the file, line and key, or taken exactly as written; nothing
# runs through a shell. Configs are generated; `vm cmdline --no-probe` parses
# them and prints the argument lists without starting anything.

bats_require_minimum_version 1.5.0

# keys by section; numeric or enumerated keys must refuse every bad value
LAB_KEYS="state_dir image_dir accel qemu cgroup_parent cgroup_version guest_dir ssh_key boot_timeout stop_timeout"
VIRTIOFSD_KEYS="path style cgroup node cpus mems memory_max cache sandbox thread_pool_size extra_args"
SHARE_KEYS="tag source mount options backend dax_window queue_size image_size"
VM_KEYS="name cgroup node cpus mems memory_max vcpus memory image keep_disk seed kernel initrd append ssh net bridge ssh_port fio_port shares qemu_args"
WORKLOAD_KEYS="size file_size private_ratio access_ratio hot_ratio hot_access_ratio rw bs runtime ioengine residency_interval"
STRICT="accel cgroup_version boot_timeout stop_timeout style node cpus mems memory_max cache sandbox thread_pool_size backend dax_window queue_size image_size vcpus memory keep_disk net ssh_port fio_port size file_size private_ratio access_ratio hot_ratio hot_access_ratio rw bs runtime ioengine residency_interval"

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-hostile.XXXXXX)
	PWNED=/tmp/pwned
	rm -f "$PWNED"
}

teardown() {
	rm -rf "$T"
	rm -f /tmp/pwned
}

# gen SECTION KEY VALUE: writes $T/c.ini with KEY = VALUE on line 4 (line 2
# for [lab]), in a config that is valid without it. Sets $LINE.
gen() {
	local s=$1 k=$2 v=$3
	{
		echo "[lab]"
		if [ "$s" = lab ]; then
			echo "$k = $v"
			[ "$k" = guest_dir ] || echo "guest_dir = /g"
			LINE=2
		else
			echo "guest_dir = /g"
			echo "[$s]"
			echo "$k = $v"
			LINE=4
			if [ "$s" = "share s" ]; then
				[ "$k" = tag ] || echo "tag = t"
				[ "$k" = source ] || echo "source = $T"
				[ "$k" = mount ] || echo "mount = /m"
			fi
		fi
		[ "$s" = "vm 0" ] || echo "[vm 0]"
	} >"$T/c.ini"
}

is_strict() {
	[[ " $STRICT " == *" $1 "* ]]
}

# try SECTION KEY VALUE: refused naming file, line and key (always, for a
# strict key), or accepted; never anything else, never a crash.
try() {
	local s=$1 k=$2 v=$3
	gen "$s" "$k" "$v"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	if [ "$status" -eq 1 ]; then
		# the key's line, or for a check across keys the section's line
		[[ "${lines[0]}" == "daxlab: $T/c.ini:$LINE: key '$k': "* ]] ||
			[[ "${lines[0]}" == "daxlab: $T/c.ini:$((LINE - 1)): [$s]: key '$k': "* ]] || {
			echo "[$s] $k = '$v': refused without file, line and key:"
			echo "$output"
			return 1
		}
	elif [ "$status" -eq 0 ]; then
		! is_strict "$k" || {
			echo "[$s] $k = '$v': accepted"
			return 1
		}
	else
		echo "[$s] $k = '$v': exit $status"
		echo "$output"
		return 1
	fi
}

# every_key VALUE: try VALUE on every key of every section
every_key() {
	local k bad=0
	for k in $LAB_KEYS; do try lab "$k" "$1" || bad=1; done
	for k in $VIRTIOFSD_KEYS; do try virtiofsd "$k" "$1" || bad=1; done
	for k in $SHARE_KEYS; do try "share s" "$k" "$1" || bad=1; done
	for k in $VM_KEYS; do try "vm 0" "$k" "$1" || bad=1; done
	for k in $WORKLOAD_KEYS; do try workload "$k" "$1" || bad=1; done
	return $bad
}

@test "the generated base config is valid" {
	gen "vm 0" vcpus 1
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-smp 1"* ]]
}

@test "every key with an empty value: refused naming file, line and key, or taken" {
	every_key ""
}

@test "every key with a huge number (overflow): refused naming file, line and key, or taken" {
	every_key 99999999999999999999999999999
}

@test "every key with a negative number: refused naming file, line and key, or taken" {
	every_key -1
}

@test "every key with a non-numeric value: refused naming file, line and key, or taken" {
	every_key abc
}

@test "every key with 2^64 + 1 and sizes that overflow 64 bits: refused naming file, line and key, or taken" {
	every_key 18446744073709551617
	every_key 18446744073709551615k
	every_key 17179869184G
}

@test "every key with a 190-byte value: refused naming file, line and key, or taken" {
	every_key "$(head -c 190 /dev/zero | tr '\0' x)"
}

@test "every key with shell metacharacters: refused or taken, nothing ever run" {
	local v
	for v in 'x$(touch /tmp/pwned)' 'a b' "a'b\"c" 'a;touch /tmp/pwned' \
		'`touch /tmp/pwned`' 'a|b' '../..' 'a/b' 'a\\b' '%i%i%n%s'; do
		every_key "$v"
	done
	[ ! -e /tmp/pwned ]
}

@test "out-of-range numbers are refused naming file, line and key" {
	local kv
	for kv in "workload private_ratio 101" "workload access_ratio 101" \
		"workload hot_ratio 101" "workload hot_access_ratio 101" \
		"vm@0 ssh_port 65536" "vm@0 fio_port 65536" "vm@0 ssh_port 0" \
		"vm@0 vcpus 0" "vm@0 vcpus 100000" "vm@0 memory 0" \
		"share@s queue_size 0" "share@s queue_size 3" "share@s queue_size 2048" \
		"virtiofsd node 100000" "vm@0 cpus 0-100000" "vm@0 mems 99999" \
		"lab boot_timeout 0" "workload bs 0" "workload size 0"; do
		set -- $kv
		try "${1/@/ }" "$2" "$3"
		[ "$status" -eq 1 ] || { echo "$kv: accepted"; false; }
	done
}

@test "a line longer than inih's buffer is refused, not split into two keys" {
	# 'vcpus = 2' would become a line of its own after inih's 200 bytes
	gen "vm 0" append "$(head -c 190 /dev/zero | tr '\0' x)vcpus = 2"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:4: key 'append': line longer than "* ]]
	[[ "$output" != *"-smp 2"* ]]
}

@test "a 100 kB line is refused naming file, line and key" {
	gen "vm 0" append "$(head -c 100000 /dev/zero | tr '\0' x)"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:4: key 'append': line longer than "* ]]
}

@test "a section given twice is refused naming file and line" {
	printf '[lab]\nguest_dir = /g\n[vm 0]\nvcpus = 1\n[vm 0]\nvcpus = 2\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: $T/c.ini:5: section [vm 0] appears twice" ]
	printf '[lab]\nguest_dir = /g\n[lab]\n[vm 0]\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: $T/c.ini:3: section [lab] appears twice" ]
}

@test "a key given twice is refused naming file, line and key" {
	printf '[lab]\nguest_dir = /g\n[vm 0]\nvcpus = 1\nvcpus = 2\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:5: key 'vcpus': "*"twice"* ]]
}

@test "an unknown key is refused naming file, line and key" {
	local s
	for s in lab virtiofsd "share s" "vm 0" workload; do
		gen "$s" no_such_key 1
		run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == "daxlab: $T/c.ini:$LINE: "*"'no_such_key'"* ]]
	done
}

@test "an unknown section is refused naming file and line" {
	printf '[lab]\nguest_dir = /g\n[vmm 0]\n[vm 0]\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:3: unknown section [vmm 0]"* ]]
}

@test "a cgroup name with '/', '..' or a newline is refused naming file, line and key" {
	local s v
	for s in virtiofsd "vm 0"; do
		for v in a/b .. ../x a/../../b / .; do
			gen "$s" cgroup "$v"
			run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
			echo "[$s] cgroup = $v: $output"
			[ "$status" -eq 1 ]
			[[ "${lines[0]}" == "daxlab: $T/c.ini:4: key 'cgroup': "* ]]
		done
		# a newline ends the value; what follows is a line of its own
		gen "$s" cgroup "$(printf 'a\nb')"
		run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "${lines[0]}" == "daxlab: $T/c.ini:5: "* ]]
	done
}

@test "a VM id or share name with '/', '..' or shell words is refused naming file and line" {
	local v
	for v in a/b .. '$(touch /tmp/pwned)' 'a;b'; do
		printf '[lab]\nguest_dir = /g\n[vm %s]\n' "$v" >"$T/c.ini"
		run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
		[ "$status" -eq 1 ]
		[[ "$output" == "daxlab: $T/c.ini:3: section [vm $v]"* ]]
		printf '[lab]\nguest_dir = /g\n[share %s]\n[vm 0]\n' "$v" >"$T/c.ini"
		run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
		[ "$status" -eq 1 ]
		[[ "$output" == "daxlab: $T/c.ini:3: section [share $v]"* ]]
	done
	[ ! -e /tmp/pwned ]
}

@test "paths with spaces, quotes, \$(...) and ';' reach qemu exactly as written" {
	local v
	for v in 'my dir/k' "it's \"here\"" 'x$(touch /tmp/pwned)' 'a;touch /tmp/pwned'; do
		gen "vm 0" kernel "/tmp/$v"
		run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
		echo "$output"
		[ "$status" -eq 0 ]
		# the printed line is shell-quoted: evaluate it as words, no execution
		local words
		eval "words=(${lines[0]})"
		local i found=
		for i in "${!words[@]}"; do
			[ "${words[$i]}" = -kernel ] && found=${words[$((i + 1))]}
		done
		[ "$found" = "/tmp/$v" ]
	done
	[ ! -e /tmp/pwned ]
}

@test "a share source with shell words reaches virtiofsd exactly as written" {
	gen "share s" source "$T/x\$(touch /tmp/pwned);y"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"source=$T/x\$(touch /tmp/pwned);y"* ]]
	[ ! -e /tmp/pwned ]
}

@test "a config that is binary garbage is refused naming file and line" {
	head -c 4096 /dev/urandom >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:"* ]]
	printf '[lab]\r\nguest_dir = /g\r\n[vm 0]\r\nvcpus = 2\r\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-smp 2 "* ]]
}

@test "file_size larger than size is refused naming the [workload] line and the key" {
	printf '[lab]\nguest_dir = /g\n[vm 0]\n[workload]\nsize = 1M\nfile_size = 2M\n' >"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "daxlab: $T/c.ini:4: [workload]: key 'file_size': "* ]]
}

@test "a directory as the config is refused, not read as an empty config" {
	mkdir "$T/adir"
	local cmd
	for cmd in "fio job" "vm start all --dry-run" "vm status" "vm cmdline --no-probe 0" run; do
		run "$D" $cmd -c "$T/adir"
		echo "$cmd: $output"
		[ "$status" -eq 1 ]
		[ "$output" = "daxlab: $T/adir: Is a directory" ]
	done
	# a pipe is read as a file
	run "$D" vm cmdline --no-probe --config <(printf '[lab]\nguest_dir = /g\n[vm 0]\nvcpus = 2\n') 0
	echo "pipe: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-smp 2 "* ]]
	# a read error is an error, not the end of the file
	run "$D" vm status -c /proc/self/mem
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: /proc/self/mem:1: cannot read this line: Input/output error" ]
}

@test "a line holds 198 bytes; a NUL byte is refused as such, not as a long line" {
	local x
	x=$(head -c 300 /dev/zero | tr '\0' x)
	gen "vm 0" append "${x:0:189}"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 0 ]
	[[ "$output" == *"${x:0:189}"* ]]
	gen "vm 0" append "${x:0:190}"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: $T/c.ini:4: key 'append': line longer than 198 bytes" ]
	gen "vm 0" vcpus 2
	printf 'x\0y = 1\n' >>"$T/c.ini"
	run "$D" vm cmdline --no-probe --config "$T/c.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: $T/c.ini:5: a NUL byte in this line" ]
}

@test "an empty config file name is refused as such" {
	local cmd
	for cmd in "vm status" "vm start all --dry-run" "vm cmdline --no-probe 0" "files create" "fio job"; do
		run "$D" $cmd -c ''
		echo "$cmd: $output"
		[ "$status" -eq 1 ]
		[ "$output" = "daxlab: the configuration file name is empty" ]
	done
}
