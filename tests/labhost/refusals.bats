#!/usr/bin/env bats
# In the Debian 13 lab host: a dry run changes nothing, and what a lab host
# makes go wrong (an image_dir on tmpfs, a guest whose fio is another
# version than the host's) is refused with an error that names it.

load helpers

setup_file() {
	labhost_setup_file
}

teardown_file() {
	labhost_teardown_file
}

@test "vm start --dry-run leaves the cgroup tree, /run/daxlab and /var/lib/daxlab unchanged" {
	# One session for both snapshots: each ssh login is a cgroup of its own.
	run lh bash -c '
		snap() {
			find /sys/fs/cgroup -type d | sort
			find /sys/fs/cgroup -name cgroup.subtree_control \
				-exec grep -H . {} + | sort
			find /run/daxlab /var/lib/daxlab \
				-printf "%p %y %s %m %T@\n" 2>/dev/null | sort
		}
		snap >"$2/before"
		daxlab vm start all --dry-run -c "$1"
		echo "dry run: exit $?"
		snap >"$2/after"
		diff "$2/before" "$2/after" && echo unchanged' \
		sh "$NUMA2" "$W"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"dry run: exit 0"* ]]
	[ "${lines[${#lines[@]} - 1]}" = unchanged ]
	# and it said what it would do
	[[ $output == *qemu-system-x86_64* ]]
}

@test "an image_dir on tmpfs is refused with its path and file system, exit 1" {
	[ "$(lh findmnt -n -o FSTYPE --target /tmp)" = tmpfs ]
	lh mkdir -p /tmp/daxlab-test-img
	lab_config "$BATS_TEST_TMPDIR/lab.ini" image_dir=/tmp/daxlab-test-img
	put "$BATS_TEST_TMPDIR/lab.ini" "$W/tmpfs.ini"
	run lh daxlab run -q -c "$W/tmpfs.ini" -r "$W/tmpfs"
	echo "$output"
	lh rm -rf /tmp/daxlab-test-img
	[ "$status" -eq 1 ]
	[[ $output == */tmp/daxlab-test-img* ]]
	[[ $output == *tmpfs* ]]
	assert_lab_gone
}

@test "a guest with another fio version than the host's is refused, naming both, exit 1" {
	local g=$BATS_FILE_TMPDIR/guest-d12 here there
	# This build machine's tiny guest: Debian 12's fio.
	"$top/build/daxlab" guest build --output "$g" >/dev/null
	here=$(fio --version) there=$(lh fio --version)
	echo "build machine: $here, lab host: $there"
	[ "$here" != "$there" ]
	tar -C "$g" -cf - . | lh sh -c 'rm -rf "$1" && mkdir -p "$1" && tar -C "$1" -xf -' \
		sh "$W/guest-d12"
	lab_config "$BATS_TEST_TMPDIR/lab.ini" -"vm 1" +guest_dir="$W/guest-d12"
	put "$BATS_TEST_TMPDIR/lab.ini" "$W/fiover.ini"
	run lh daxlab run -q -c "$W/fiover.ini" -r "$W/fiover"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"${here#fio-}"* ]]
	[[ $output == *"${there#fio-}"* ]]
	assert_lab_gone
}
