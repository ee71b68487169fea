#!/usr/bin/env bats
# issue 7: a qemu killed by the OOM killer of its VM's memory cgroup, for
# real: cgroup v1 on this host (memory.oom_control's oom_kill counter). On
# v2 (memory.events) the same start runs in the virtual NUMA host of
# vm_numa.bats (numa-oom.ini); lib/cgroup.c's parsing of both files is in
# tests/unit/test_cgroup.c.

bats_require_minimum_version 1.5.0
load vm_helpers

MIB=$((1 << 20))

setup_file() {
	build_guest
}

setup() {
	T=$(mktemp -d /tmp/daxlab-fault-oom.XXXXXX)
	make_lab "$T"
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	CG=/sys/fs/cgroup/memory/$(cat "$T/prefix")-vm0
}

teardown() {
	cleanup_lab "$T"
}

vm() {
	"$DAXLAB" vm "$1" --config "$T/lab.ini" "${@:2}"
}

# gone PID: no such process, or a zombie (its parent has yet to reap it)
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$1/stat"
}

@test "qemu killed by the OOM killer while running: vm status names the OOM kill, vm stop cleans up" {
	vm start 0 -q
	local pid
	pid=$(pid_of "$T/state/vm-0/qemu.pid")
	grep -qx "oom_kill 0" "$CG/memory.oom_control"
	# the VM's memory cgroup gets a limit just above what qemu has now,
	# then qemu itself allocates 256 MiB for a new RAM backend, every page
	# touched (QMP object-add, prealloc): its anonymous memory grows past
	# the limit and the kernel kills it. (Filling the guest's RAM from
	# inside was not certain to: the guest reuses pages it touched while
	# booting, and a CI run once saw no kill.)
	local limit
	for _ in 1 2 3 4 5; do
		limit=$(($(cat "$CG/memory.usage_in_bytes") + 16 * MIB))
		echo "$limit" >"$CG/memory.limit_in_bytes" && break
	done
	[ "$(cat "$CG/memory.limit_in_bytes")" -le $((limit + 4096)) ]
	run timeout 120 python3 - "$T/state/vm-0/qmp.sock" <<-'EOF'
		import json, socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.connect(sys.argv[1])
		f = s.makefile("rw")
		f.readline()
		for c in ({"execute": "qmp_capabilities"},
		          {"execute": "object-add", "arguments": {
		              "qom-type": "memory-backend-ram", "id": "hog",
		              "size": 256 << 20, "prealloc": True}}):
		    f.write(json.dumps(c) + "\n")
		    f.flush()
		    print(f.readline(), end="")
	EOF
	echo "$output"
	for _ in $(seq 100); do gone "$pid" && break; sleep 0.1; done
	gone "$pid"
	# the kernel's own count: this was an OOM kill
	grep -qx "oom_kill 1" "$CG/memory.oom_control"
	run vm status 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0 (vm0): stopped, qemu was killed by the OOM killer; stale state left (daxlab vm stop cleans it)"* ]]
	[[ "$output" == *"qemu ended     pid $pid: killed by the OOM killer (oom_kill 1 in $CG/memory.oom_control; memory limit "*" MiB)"* ]]
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: vm 0: qemu (pid $pid) had died: killed by the OOM killer (oom_kill 1 in $CG/memory.oom_control"* ]]
	[[ "$output" == *"vm 0 had died (qemu pid $pid gone); cleaned its stale state in $T/state/vm-0: removed "* ]]
	[[ "$output" == *"cgroup $(cat "$T/prefix")-vm0 (cpuset, memory)"* ]]
	[[ "$output" == *"qemu.pid"* ]]
	nothing_left "$T"
	run vm status 0
	[[ "$output" == *"vm 0 (vm0): stopped"* ]]
	[[ "$output" != *"OOM"* ]]
}

@test "a memory_max below what qemu needs: vm start fails naming the OOM kill and SIGKILL, nothing left" {
	# Well below: qemu alone holds the 39 MB initrd twice (its copy for
	# reset and the guest's RAM, neither reclaimable) before the guest
	# runs, so the kill comes while it loads. A limit near the guest's
	# working set (160M) leaves the kill to the end of the boot, and
	# reclaim of qemu's own text on the way can stretch that past the
	# boot timeout on a loaded machine (a CI run once saw no kill).
	sed -i "s|^\[vm 0\]\$|[vm 0]\nmemory_max = 64M|" "$T/lab.ini"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	# before or after qemu opened its QMP socket: either step names it
	[[ "$output" == *"vm 0: step '"*"' failed: "*"exited"*": killed by the OOM killer (signal 9, SIGKILL; oom_kill 1 in $CG/memory.oom_control; memory limit 64.00 MiB, [vm] memory_max)"* ]]
	nothing_left "$T"
}

@test "a qemu that exits by itself at once is not called an OOM kill: its exit status is named" {
	# a stand-in qemu that says why it fails and exits 3
	printf '#!/bin/sh\necho "stand-in: no" >&2\nexit 3\n' >"$T/qemu"
	chmod 755 "$T/qemu"
	sed -i "s|^\[lab\]\$|[lab]\nqemu = $T/qemu|" "$T/lab.ini"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start qemu' failed: $T/qemu exited at once: exit status 3"* ]]
	[[ "$output" == *"stand-in: no"* ]]
	[[ "$output" != *"OOM"* ]]
	nothing_left "$T"
}
