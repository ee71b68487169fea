#!/usr/bin/env bats
# daxlab vm under systemd (issue 13), on this machine without one: a fake
# cgroup v2 tree (DAXLAB_CGROUP_ROOT) and a fake sd_booted()
# (DAXLAB_SYSTEMD_DIR). What is delegated, what is refused and what a dry
# run would do are decided from the tree alone; systemd cannot be asked
# here, which is a case of its own. The transient scope itself, over
# D-Bus, is tried in the Debian 13 lab host (tests/labhost).

load vm_helpers

setup_file() {
	build_guest
}

setup() {
	T=$(mktemp -d /tmp/daxlab-vm-sd.XXXXXX)
	make_lab "$T"
	CG=$T/cg
	mkdir -p "$T/run-systemd" "$CG/system.slice/x.scope" \
		"$CG/system.slice/y.scope"
	for d in "$CG" "$CG/system.slice" "$CG/system.slice/x.scope" \
		"$CG/system.slice/y.scope"; do
		echo "cpuset cpu io memory pids" >"$d/cgroup.controllers"
		: >"$d/cgroup.subtree_control"
		: >"$d/cgroup.procs"
		echo "populated 0" >"$d/cgroup.events"
	done
	echo "cpuset cpu memory pids" >"$CG/cgroup.subtree_control"
	echo "cpuset cpu memory pids" >"$CG/system.slice/cgroup.subtree_control"
	echo 1 >"$CG/cgroup.procs"
	# as systemd marks a unit with Delegate=yes
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.delegate", b"1")' \
		"$CG/system.slice/x.scope"
	export DAXLAB_CGROUP_ROOT=$CG DAXLAB_SYSTEMD_DIR=$T/run-systemd
}

teardown() {
	unset DAXLAB_CGROUP_ROOT DAXLAB_SYSTEMD_DIR
	cleanup_lab "$T"
}

# parent VALUE: [lab] cgroup_parent = VALUE.
parent() {
	sed -i "s|^\[lab\]\$|[lab]\ncgroup_parent = $1|" "$T/lab.ini"
}

# tree FILE: every file of the fake tree and the state folder, with its
# contents and the delegation xattrs.
tree() {
	(
		cd "$T" || exit 1
		find cg state -printf '%p %y %m\n' 2>/dev/null | sort
		find cg -type f | sort | while read -r f; do
			printf '%s: %s\n' "$f" "$(cat "$f")"
		done
		python3 -c '
import os, sys
for d, _, _ in sorted(os.walk(sys.argv[1])):
    for a in os.listxattr(d):
        print(d, a, os.getxattr(d, a))' cg
	) >"$1"
}

@test "a delegated cgroup_parent with processes: the dry run says it moves them into the leaf, and makes nothing" {
	local s=$CG/system.slice/x.scope
	parent system.slice/x.scope/lab
	echo $$ >"$s/cgroup.procs"
	tree "$T/before"
	run "$DAXLAB" vm start all --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "mkdir $s/supervisor" <<<"$output"
	grep -qx "write $s/supervisor/cgroup.procs $$" <<<"$output"
	grep -q "^move $$ (bash) from $s into its leaf supervisor" <<<"$output"
	# controllers below the delegated scope only, never in systemd's part
	grep -qx "write $s/cgroup.subtree_control +cpuset +memory" <<<"$output"
	grep -qx "write $s/lab/cgroup.subtree_control +cpuset +memory" <<<"$output"
	grep -qx "mkdir $s/lab/$(cat "$T/prefix")-vm0" <<<"$output"
	! grep -q "write $CG/cgroup.subtree_control\|write $CG/system.slice/cgroup.subtree_control" <<<"$output" || false
	run "$DAXLAB" vm stop all --dry-run --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	tree "$T/after"
	diff "$T/before" "$T/after"
}

@test "a cgroup_parent that systemd did not delegate is refused, naming it and what to do; nothing is made" {
	parent system.slice/y.scope
	tree "$T/before"
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/lab.ini: [lab] cgroup_parent = system.slice/y.scope: $CG/system.slice/y.scope is managed by systemd, which delegated neither it nor a cgroup above it"* ]]
	[[ "$output" == *"Leave cgroup_parent unset, and daxlab asks systemd for a transient scope with Delegate=yes"* ]]
	[[ "$output" == *"systemd-run --scope -p Delegate=yes"* ]]
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"system.slice/y.scope is managed by systemd"* ]]
	tree "$T/after"
	diff "$T/before" "$T/after"
}

@test "systemd's own slice, the root and a scope that is not there are not delegated" {
	local p
	for p in system.slice / system.slice/gone.scope/lab; do
		sed -i '/^cgroup_parent = /d' "$T/lab.ini"
		parent "$p"
		run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
		echo "$p: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"managed by systemd"* ]] ||
			[[ "$output" == *"transient scope"* ]]
	done
	[[ "$output" == *"it does not exist, and $CG/system.slice, the nearest that does, is managed by systemd"* ]]
}

@test "a delegated cgroup without cpuset is refused before anything is made" {
	parent system.slice/x.scope
	echo "memory pids" >"$CG/system.slice/x.scope/cgroup.controllers"
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cpuset is not in $CG/system.slice/x.scope/cgroup.controllers ('memory pids')"* ]]
	[[ "$output" == *"DelegateControllers"* ]]
}

@test "no cgroup_parent under systemd: the transient scope, and a systemd that cannot be asked is named" {
	tree "$T/before"
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cgroups under systemd need a transient scope with Delegate=yes (daxlab asks systemd for daxlab-"*"), but cannot reach systemd: /run/systemd/private"* ]]
	tree "$T/after"
	diff "$T/before" "$T/after"
}

@test "a VM cgroup named like the leaf is refused where there is one" {
	parent system.slice/x.scope
	sed -i "s|^cgroup = $(cat "$T/prefix")-vm0\$|cgroup = supervisor|" "$T/lab.ini"
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[vm 0]: cgroup = supervisor is the name of the leaf"* ]]
}

@test "without systemd, a cgroup_parent is used as before: no delegation asked" {
	unset DAXLAB_SYSTEMD_DIR
	parent system.slice/y.scope
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "write $CG/cgroup.subtree_control +cpuset +memory" <<<"$output"
	grep -qx "mkdir $CG/system.slice/y.scope/$(cat "$T/prefix")-vm0" <<<"$output"
}
