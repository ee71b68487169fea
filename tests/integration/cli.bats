#!/usr/bin/env bats
# The command-line contract shared by every subcommand (docs/architecture.md).

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
}

@test "--help prints the commands to stdout and exits 0" {
	run --separate-stderr "$D" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: daxlab"* ]]
	[[ "$output" == *"stats"* ]]
	[ -z "$stderr" ]
}

@test "--version prints the version and exits 0" {
	run "$D" --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^daxlab\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "an unknown command is a usage error with a hint, exit 1" {
	run --separate-stderr "$D" frobnicate
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unknown command 'frobnicate'"* ]]
	[[ "$stderr" == *"Try 'daxlab --help'"* ]]
}

@test "no command at all is a usage error" {
	run --separate-stderr "$D"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Try 'daxlab --help'"* ]]
}

@test "every listed command answers --help on stdout with exit 0" {
	cmds=$("$D" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
	[ -n "$cmds" ]
	for c in $cmds; do
		run --separate-stderr "$D" "$c" --help
		echo "$c: $status"
		[ "$status" -eq 0 ]
		[ -n "$output" ]
		[ -z "$stderr" ]
	done
}

@test "every listed command rejects an unknown option with its own hint" {
	cmds=$("$D" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
	for c in $cmds; do
		run --separate-stderr "$D" "$c" --no-such-option
		echo "$c: $status $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"Try 'daxlab $c"*"--help'"* ]]
	done
}

@test "every listed command has a man page that the build installs" {
	dest=$(mktemp -d)
	meson install -C "$DAXLAB_BUILD" --destdir "$dest" >/dev/null
	cmds=$("$D" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
	ls "$dest"/usr/local/share/man/man1/daxlab.1
	for c in $cmds; do
		ls "$dest/usr/local/share/man/man1/daxlab-$c.1"
		man -l "$dest/usr/local/share/man/man1/daxlab-$c.1" >/dev/null
	done
	ls "$dest"/usr/local/share/bash-completion/completions/daxlab
	rm -rf "$dest"
}

@test "every man page renders without a groff warning, 80 and 60 columns wide" {
	local f w out
	for f in "$DAXLAB_TOP"/man/*.[1-8]; do
		for w in 80 60; do
			out=$(MANWIDTH=$w man --warnings -l "$f" 2>&1 >/dev/null)
			[ -z "$out" ] || { echo "$f at $w: $out"; false; }
		done
	done
}

@test "the seed's names are links to daxlab that act as their subcommand" {
	for a in "$DAXLAB_BUILD"/stats "$DAXLAB_BUILD"/cgctl "$DAXLAB_BUILD"/qemuctl \
		"$DAXLAB_BUILD"/filectl "$DAXLAB_BUILD"/fioctl; do
		[ -L "$a" ] || continue
		[ "$(readlink "$a")" = daxlab ]
		run "$a" --help
		[ "$status" -eq 0 ]
	done
	[ -L "$DAXLAB_BUILD"/stats ]
}

@test "bash completion offers the commands and a command's options" {
	run bash -c '
		PATH='"$DAXLAB_BUILD"':$PATH
		source '"$DAXLAB_TOP"'/completion/daxlab
		COMP_WORDS=(daxlab st); COMP_CWORD=1; _daxlab; echo "${COMPREPLY[*]}"
		COMP_WORDS=(daxlab stats monitor --int); COMP_CWORD=3; _daxlab; echo "${COMPREPLY[*]}"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = stats ]
	[[ "${lines[1]}" == *--interval* ]]
}

# Every subcommand that reads a config: exit 1 (never 255 or another code)
# for a missing config, a bad value, a missing file and a usage error.
CONFIG_CMDS=("run" "vm start 0" "vm stop 0" "vm status" "vm cmdline 0"
	"files create" "files residency" "fio job" "guest cloud-init 0")

@test "every subcommand exits 1 for a missing config file" {
	local c
	for c in "${CONFIG_CMDS[@]}"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$D" $c --config /nonexistent/lab.ini
		echo "$c: $status: $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"/nonexistent/lab.ini: No such file or directory" ]]
	done
}

@test "every subcommand exits 1 when \$DAXLAB_CONFIG names a missing file" {
	local c
	cd "$BATS_TEST_TMPDIR"
	for c in "${CONFIG_CMDS[@]}" "fio run"; do
		# shellcheck disable=SC2086
		DAXLAB_CONFIG=/nonexistent/lab.ini run --separate-stderr "$D" $c
		echo "$c: $status: $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"/nonexistent/lab.ini"*"(the path in \$DAXLAB_CONFIG)"* ]]
	done
	# and writes nothing
	DAXLAB_CONFIG=/nonexistent/lab.ini run "$D" fio job -o m.fio
	[ "$status" -eq 1 ]
	[ ! -e m.fio ]
}

@test "every subcommand refuses a ./daxlab.ini another user left, and takes it when named" {
	local c
	cd "$BATS_TEST_TMPDIR"
	sed "s|^state_dir = .*|state_dir = $BATS_TEST_TMPDIR/state|" \
		"$DAXLAB_TOP/examples/demo.ini" >daxlab.ini
	# as one left in /tmp: it would name the qemu that root runs
	chown 65534:65534 daxlab.ini
	for c in "${CONFIG_CMDS[@]}" "fio job -o m.fio" "run"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$D" $c
		echo "$c: $status: $stderr"
		[ "$status" -eq 1 ]
		[ "$stderr" = "daxlab: ./daxlab.ini belongs to user 65534, not to you: not read unless named (--config ./daxlab.ini)" ]
	done
	[ ! -e m.fio ]
	run --separate-stderr "$D" vm status --config ./daxlab.ini
	echo "$stderr"
	[ "$status" -eq 0 ]
	SUDO_UID=65534 run --separate-stderr "$D" vm status
	[ "$status" -eq 0 ]
	chown 0:0 daxlab.ini
	chmod 0666 daxlab.ini
	run --separate-stderr "$D" vm status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"./daxlab.ini can be written by every user (mode 0666)"* ]]
	# root's own, in a folder where anyone may swap another in
	chmod 0644 daxlab.ini
	chmod 0777 .
	run --separate-stderr "$D" vm status
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"./daxlab.ini is in a folder every user can write (mode 0777): not read unless named"* ]]
	# with the sticky bit, as /tmp, only its owner may rename it
	chmod 1777 .
	run --separate-stderr "$D" vm status
	echo "$stderr"
	[ "$status" -eq 0 ]
	chmod 0755 .
}

@test "a message sends no control character to the terminal" {
	# messages quote files, logs and guests: an escape sequence in a
	# value is shown, not obeyed
	printf '[lab]\naccel = \033[31mred\a\n' >"$BATS_TEST_TMPDIR/e.ini"
	run --separate-stderr "$D" vm status --config "$BATS_TEST_TMPDIR/e.ini"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"key 'accel': bad value '?[31mred?'"* ]]
	[[ "$stderr" != *$'\033'* ]]
}

@test "a reader of stdout that is gone ends daxlab by SIGPIPE, without a message" {
	# stdout a pipe whose reading end is already closed: every write
	# fails with EPIPE (SIGPIPE is ignored for the pipes to children)
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr python3 - "$D" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "fio", "job", "--size", "16M", "--file-size", "1M",
                    "--vms", "1", "--shared-dir", "/nonexistent/s",
                    "--private-dir", "/nonexistent/p%i"],
                   stdout=w, stderr=subprocess.PIPE)
print(p.returncode)
sys.stderr.write(p.stderr.decode())
PY
	echo "$output: $stderr"
	[ "$output" = -13 ]
	[ -z "$stderr" ]
}

@test "--help prints the help and exits 0 whatever the config" {
	local c
	cd "$BATS_TEST_TMPDIR"
	echo bogus >daxlab.ini
	for c in "$D files create" "$D files residency" "$D fio job" "$D fio run" \
		"$D fio job -c nosuch.ini" "$DAXLAB_BUILD/filectl create" \
		"$DAXLAB_BUILD/fioctl"; do
		# shellcheck disable=SC2086
		run --separate-stderr $c --help
		echo "$c --help: $status: $stderr"
		[ "$status" -eq 0 ]
		[[ "$output" == "Usage:"*" daxlab "* ]]
		[ -z "$stderr" ]
		# shellcheck disable=SC2086
		DAXLAB_CONFIG=/nonexistent/lab.ini run --separate-stderr $c --help
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
	done
	# a bad option is the usage error, not the config's
	bad_option "files create" "unknown option '-z'" "$D" files create --config=lab.ini -zq
	# and without --help the broken config is still an error
	run --separate-stderr "$D" files create
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab.ini:1: cannot parse this line"* ]]
}

@test "every subcommand exits 1 for a bad value, naming the file and the line" {
	local c t
	t=$(mktemp -d /tmp/daxlab-cli.XXXXXX)
	printf '[lab]\nguest_dir = /g\naccel = warp\n[vm 0]\n' >"$t/lab.ini"
	for c in "${CONFIG_CMDS[@]}"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$D" $c --config "$t/lab.ini"
		echo "$c: $status: $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"$t/lab.ini:3: key 'accel': bad value 'warp'"* ]]
	done
	rm -rf "$t"
}

@test "run --sweep, --repeat or --slurm with a bad config: one error, exit 1, no sweep folder" {
	local t a
	t=$(mktemp -d /tmp/daxlab-cli.XXXXXX)
	printf '[lab]\nguest_dir = /g\naccel = warp\n[vm 0]\n' >"$t/lab.ini"
	for a in "--sweep private_ratio=10,20" "--repeat 2" "--slurm"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$D" run --config "$t/lab.ini" $a --results "$t/r"
		echo "run $a: $status: $stderr"
		[ "$status" -eq 1 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"$t/lab.ini:3: key 'accel': bad value 'warp'"* ]]
		[ ! -e "$t/r" ]
	done
	rm -rf "$t"
}

@test "every subcommand exits 1 for a missing file argument" {
	run --separate-stderr "$D" stats compare --file /nonexistent.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/nonexistent.csv"* ]]
	run --separate-stderr "$D" report /nonexistent-results
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/nonexistent-results"* ]]
	run --separate-stderr "$D" fio run --job /nonexistent.fio --hosts /nonexistent.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/nonexistent"* ]]
	run --separate-stderr "$D" stats monitor --cgroups x=/nonexistent/memory.numa_stat --duration 1 --output /nonexistent-dir/o.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"/nonexistent"* ]]
}

@test "every subcommand exits 1 for a usage error" {
	local c
	for c in "run" "vm start" "vm" "files" "fio" "stats" "stats monitor" \
		"stats compare" "guest" "report"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$D" $c --no-such-option
		echo "$c: $status: $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"Try 'daxlab "* ]]
	done
}

# A bad option: exit 1, nothing on stdout, and on stderr the one message
# line that names it, then the hint of HINT.
bad_option() { # HINT MESSAGE COMMAND...
	local hint=$1 msg=$2
	shift 2
	run --separate-stderr "$@"
	echo "$*: $status: $stderr"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "daxlab: $msg" ]
	[ "${stderr_lines[1]}" = "Try 'daxlab $hint --help' for more information." ]
}

@test "a bad option is one message naming it, then the hint, in every command and alias" {
	cd "$BATS_TEST_TMPDIR"
	bad_option "stats monitor" "option '-i' needs a value" "$D" stats monitor -i
	bad_option "stats monitor" "option '--interval' needs a value" "$D" stats monitor --interval
	bad_option "stats monitor" "unknown option '-z'" "$D" stats monitor -z
	bad_option "stats compare" "unknown option '--frob'" "$D" stats compare --frob
	bad_option "vm start" "unknown option '-z'" "$D" vm start -z
	bad_option "vm ssh" "option '-c' needs a value" "$D" vm ssh -c
	bad_option "vm status" "unknown option '--frob'" "$D" vm status --frob=1
	bad_option "files create" "unknown option '-z'" "$D" files create -z
	bad_option "files create" "option '--config' needs a value" "$D" files create --config
	bad_option "files residency" "option '--force' takes no value" "$D" files residency --force=1
	bad_option "fio job" "option '-o' needs a value" "$D" fio job -o
	bad_option "fio run" "unknown option '--frob'" "$D" fio run --frob
	bad_option "run" "unknown option '-z'" "$D" run -z
	bad_option "run" "option '-c' needs a value" "$D" run -c
	bad_option "report" "unknown option '--frob'" "$D" report --frob
	bad_option "sweep status" "unknown option '-z'" "$D" sweep status -z
	bad_option "stats monitor" "option '-i' needs a value" "$DAXLAB_BUILD"/stats monitor -i
	bad_option "vm start" "unknown option '-z'" "$DAXLAB_BUILD"/cgctl -z
	bad_option "vm cmdline" "unknown option '--frob'" "$DAXLAB_BUILD"/qemuctl --frob
	bad_option "files create" "unknown option '-z'" "$DAXLAB_BUILD"/filectl create -z
	bad_option "fio job" "option '-H' needs a value" "$DAXLAB_BUILD"/fioctl -H
}

@test "a bad option inside a cluster of short flags is the one named" {
	cd "$BATS_TEST_TMPDIR"
	bad_option "guest build" "unknown option '-z'" "$D" guest build -o "$BATS_TEST_TMPDIR/g" -zq
	bad_option "guest build" "unknown option '-z'" "$D" guest build -z
	bad_option "stats compare" "unknown option '-z'" "$D" stats compare -f good.csv -zq
	bad_option "files create" "unknown option '-z'" "$D" files create --force -zq
	bad_option "vm start" "unknown option '-z'" "$D" vm start --foreground -qzn
	bad_option "stats monitor" "option '-i' needs a value" "$D" stats monitor -qi
}

@test "--alpha outside (0, 1) is one usage error for run, report and stats compare" {
	local c a
	for c in "run" "report" "stats compare"; do
		for a in 0 1 1.5 -0.1 x 0.05x; do
			# shellcheck disable=SC2086
			run --separate-stderr "$D" $c --alpha "$a" /nonexistent
			echo "$c --alpha $a: $status: $stderr"
			[ "$status" -eq 1 ]
			[[ "$stderr" == *"--alpha wants a number between 0 and 1, not '$a'"* ]]
			[[ "$stderr" == *"Try 'daxlab $c --help'"* ]]
		done
	done
	# and a level inside is taken (the error is then about the folder)
	run --separate-stderr "$D" report --alpha 0.01 /nonexistent
	[ "$status" -eq 1 ]
	[[ "$stderr" != *"--alpha"* ]]
}

@test "a message is one write: VMs stopped side by side never share a line" {
	local T
	T=$(mktemp -d /tmp/daxlab-cli.XXXXXX)
	sed "s|^state_dir = .*|state_dir = $T/state|" \
		"$DAXLAB_TOP/examples/demo.ini" >"$T/lab.ini"
	# each VM is stopped by a process of its own; all share stderr.
	# LeakSanitizer cannot work under ptrace: none for this one.
	# -ff: one trace file per process, so that strace never splits a
	# write into "<unfinished ...>" and "<... resumed>" halves when two
	# processes are in write(2) at once
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -ff -qq -s 512 -e trace=write -e signal=none -o "$T/trace" \
		"$D" vm stop --config "$T/lab.ini" all 2>/dev/null
	run grep -h 'write(2, ' "$T"/trace.*
	[ "${#lines[@]}" = 2 ]
	rm -rf "$T"
	echo "$output"
	[[ "${lines[0]}" =~ ^write\(2,\ \"daxlab:\ vm\ [01]\ was\ not\ running\\n\",\ 29\)\ =\ 29$ ]]
	[[ "${lines[1]}" =~ ^write\(2,\ \"daxlab:\ vm\ [01]\ was\ not\ running\\n\",\ 29\)\ =\ 29$ ]]
}

@test "the vm ssh examples of the README and the man pages give options before the ID" {
	# vm ssh stops at its ID: what follows is the remote command
	run grep -nE 'vm ssh +[^\\ -][^ ]* +(-[a-zA-Z]|--[a-z]|\\-[a-zA-Z]|\\-\\-[a-z])' \
		"$DAXLAB_TOP"/README.md "$DAXLAB_TOP"/man/*.1
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "daxlab(1) describes every command that --help lists, and names its page" {
	local c
	for c in $("$D" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit } on { print $1 }'); do
		echo "$c"
		grep -q "^\.B $c\b" "$DAXLAB_TOP/man/daxlab.1"
		grep -q "^\.BR daxlab-$c (1)" "$DAXLAB_TOP/man/daxlab.1"
	done
}

@test "sweep status says what is wrong with a manifest.json" {
	local s=$BATS_TEST_TMPDIR/sw
	mkdir -p "$s/manifest.json"
	run --separate-stderr "$D" sweep status "$s"
	[ "$status" -eq 1 ]
	[ "$stderr" = "daxlab: $s/manifest.json: Is a directory" ]
	rmdir "$s/manifest.json"
	echo null >"$s/manifest.json"
	run --separate-stderr "$D" sweep status "$s"
	[ "$status" -eq 1 ]
	[ "$stderr" = "daxlab: $s/manifest.json: not a JSON object" ]
	echo '{"name":' >"$s/manifest.json"
	run --separate-stderr "$D" sweep status "$s"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "daxlab: $s/manifest.json: not valid JSON: "* ]]
}
