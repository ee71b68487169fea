#!/usr/bin/env bats
# `daxlab vm` on cgroup v2 with two NUMA nodes, for real (issue 4): this
# host has one node and cgroup v1, so the test boots a "virtual NUMA host"
# (docs/architecture.md: qemu TCG, two 1 GiB nodes, one CPU each) from a tiny-guest
# variant that carries build/daxlab, tests/helpers/standin-qemu and the
# lab of tests/fixtures/numa/. Inside it, `daxlab vm start 0` runs the
# stand-in as the VM's qemu, in a v2 cgroup bound to one node; the
# stand-in touches 64 MiB of anonymous memory and writes 32 MiB to a file
# on ext4 (page cache). memory.numa_stat of the VM's cgroup must show both
# on the configured node and (nearly) nothing on the other.
#
# One NUMA host is booted for the whole file (setup_file); each test
# starts and stops the VM inside it.

bats_require_minimum_version 1.5.0

MIB=$((1 << 20))

# free_port: a port for a listener (tests/helpers/free-port)
free_port() { "$DAXLAB_TOP/tests/helpers/free-port"; }

# gssh CMD...: a command in the NUMA host, as root, over one shared
# connection.
gssh() {
	ssh -i "$GUEST_DIR/id_ed25519" -p "$SSH_PORT" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=20 \
		-o ControlMaster=auto -o ControlPath="$T/ssh.ctl" \
		-o ControlPersist=120 root@127.0.0.1 "$@"
}

setup_file() {
	export GUEST_DIR=$DAXLAB_TOP/build/test-guest-numa
	export T SSH_PORT
	T=$(mktemp -d /tmp/daxlab-vm-numa.XXXXXX)
	local fx=$DAXLAB_TOP/tests/fixtures/numa
	local standin=$DAXLAB_BUILD/tests/helpers/standin-qemu

	[ -x "$standin" ] || {
		echo "no $standin: build with meson first" >&2
		return 1
	}
	"$DAXLAB_BUILD/daxlab" guest build --quiet --output "$GUEST_DIR" \
		--add "$DAXLAB_BUILD/daxlab:/usr/bin/daxlab" \
		--add "$standin:/usr/bin/standin-qemu" \
		--add "$fx/numa.ini:/etc/daxlab/numa.ini" \
		--add "$fx/numa0.ini:/etc/daxlab/numa0.ini" \
		--add "$fx/numa-split.ini:/etc/daxlab/numa-split.ini" \
		--add "$fx/numa-parent.ini:/etc/daxlab/numa-parent.ini" \
		--add "$fx/numa-two.ini:/etc/daxlab/numa-two.ini" \
		--add "$fx/numa-oom.ini:/etc/daxlab/numa-oom.ini" \
		--add "$fx/standin-vmlinuz:/etc/daxlab/standin-vmlinuz" \
		--add "$fx/standin-initrd.img:/etc/daxlab/standin-initrd.img"

	# Real page cache needs a real file system: ext4 on virtio-blk.
	mkfs.ext4 -q -F "$T/disk.img" 256M

	SSH_PORT=$(free_port)
	local t0 t1
	t0=$(date +%s%N)
	qemu-system-x86_64 -accel tcg -display none -nodefaults -no-reboot \
		-m 2G -smp 2 \
		-object memory-backend-ram,id=m0,size=1G \
		-object memory-backend-ram,id=m1,size=1G \
		-numa node,nodeid=0,cpus=0,memdev=m0 \
		-numa node,nodeid=1,cpus=1,memdev=m1 \
		-kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.img" \
		-append "console=ttyS0 panic=-1 daxlab.name=numahost daxlab.fio=0" \
		-drive file="$T/disk.img",if=virtio,format=raw \
		-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22 \
		-device virtio-net-pci,netdev=n0 \
		-serial file:"$T/console.log" \
		-pidfile "$T/qemu.pid" -daemonize 3>&-

	local i
	for i in $(seq 1200); do
		grep -q DAXLAB-READY "$T/console.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q DAXLAB-READY "$T/console.log" || {
		echo "the NUMA host did not boot; console:" >&2
		tail -20 "$T/console.log" >&2
		return 1
	}
	gssh 'mkdir -p /mnt/disk && mount -t ext4 /dev/vda /mnt/disk' 3>&-
	t1=$(date +%s%N)
	echo "# NUMA host: boot to ssh and /mnt/disk: $(((t1 - t0) / 1000000)) ms" >&3
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	ssh -o ControlPath="$T/ssh.ctl" -O exit x 2>/dev/null
	if [ -f "$T/qemu.pid" ]; then
		local pid
		pid=$(cat "$T/qemu.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -rf "$T"
}

teardown() {
	# Whatever a test left running stops with the VM; the NUMA host stays.
	gssh 'for c in numa.ini numa0.ini numa-split.ini numa-parent.ini \
		numa-two.ini numa-oom.ini; do
		daxlab vm stop all --config /etc/daxlab/$c; done;
		rm -f /mnt/disk/vm0.data /mnt/disk/vm1.data /mnt/disk/fa /mnt/disk/fb;
		rmdir /sys/fs/cgroup/lab /sys/fs/cgroup/resa /sys/fs/cgroup/resb' >/dev/null 2>&1 || true
}

# value STAT NODE: bytes of STAT (anon, file, shmem, ...) on node NODE
# in $T/numa_stat (a v2 memory.numa_stat).
value() {
	awk -v k="$1" -v n="N$2=" '$1 == k {
		for (i = 2; i <= NF; i++)
			if (index($i, n) == 1) { print substr($i, length(n) + 1); exit }
	}' "$T/numa_stat"
}

# start CONFIG [CGROUP]: starts vm 0 of /etc/daxlab/CONFIG in the NUMA
# host and copies memory.numa_stat of its cgroup (default numa-vm0) to
# $T/numa_stat.
start() {
	run gssh daxlab vm start 0 --config "/etc/daxlab/$1"
	echo "$output"
	[ "$status" -eq 0 ]
	gssh cat "/sys/fs/cgroup/${2:-numa-vm0}/memory.numa_stat" >"$T/numa_stat"
	grep -E '^(anon|file|shmem) ' "$T/numa_stat"
}

# placed_on NODE OTHER: the stand-in's 64 MiB of anon and 32 MiB of page
# cache are on NODE; OTHER holds less than 4 MiB of either.
placed_on() {
	local here=$1 there=$2
	local anon_here anon_there cache_here cache_there
	anon_here=$(value anon "$here")
	anon_there=$(value anon "$there")
	cache_here=$(($(value file "$here") - $(value shmem "$here")))
	cache_there=$(($(value file "$there") - $(value shmem "$there")))
	local msg="anon N$here=$anon_here N$there=$anon_there; page cache N$here=$cache_here N$there=$cache_there"
	echo "$msg"
	echo "# $BATS_TEST_DESCRIPTION: $msg" >&3
	[ "$anon_here" -ge $((60 * MIB)) ]
	[ "$cache_here" -ge $((30 * MIB)) ]
	[ "$anon_there" -lt $((4 * MIB)) ]
	[ "$cache_there" -lt $((4 * MIB)) ]
}

@test "the virtual NUMA host has two nodes and cgroup v2 with cpuset and memory" {
	run gssh 'ls -d /sys/devices/system/node/node*;
		cat /sys/fs/cgroup/cgroup.subtree_control;
		grep " /sys/fs/cgroup " /proc/mounts'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *node0*node1* ]]
	[[ "$output" == *cpuset*memory* ]]
	[[ "$output" == *cgroup2* ]]
}

@test "node = 1: the stand-in's memory and page cache land on N1, not on N0" {
	start numa.ini
	placed_on 1 0
}

@test "node = 0: the stand-in's memory and page cache land on N0, not on N1" {
	start numa0.ini
	placed_on 0 1
}

@test "cpus = 0, mems = 1: the memory follows mems to N1, not the CPU's node" {
	start numa-split.ini
	run gssh 'cat /sys/fs/cgroup/numa-vm0/cpuset.cpus.effective
		cat /sys/fs/cgroup/numa-vm0/cpuset.mems.effective'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 1 ]
	placed_on 1 0
}

@test "two VMs at once, vm 0 on node 0 and vm 1 on node 1: each one's memory is on its own node" {
	run gssh daxlab vm start all --config /etc/daxlab/numa-two.ini
	echo "$output"
	[ "$status" -eq 0 ]
	gssh cat /sys/fs/cgroup/numa-vm0/memory.numa_stat >"$T/numa_stat"
	placed_on 0 1
	gssh cat /sys/fs/cgroup/numa-vm1/memory.numa_stat >"$T/numa_stat"
	placed_on 1 0
	run gssh daxlab vm stop all --config /etc/daxlab/numa-two.ini
	[ "$status" -eq 0 ]
	run gssh 'ls -d /sys/fs/cgroup/numa-* 2>/dev/null'
	[ -z "$output" ]
}

@test "the VM's v2 cgroup has node 1's cpus and mems and its memory_max, and holds the stand-in" {
	start numa.ini
	run gssh 'cd /sys/fs/cgroup/numa-vm0 &&
		echo cpus $(cat cpuset.cpus.effective) mems $(cat cpuset.mems.effective) &&
		echo max $(cat memory.max) &&
		echo procs $(cat cgroup.procs) &&
		echo pid $(cut -d" " -f1 /run/daxlab/vm-0/qemu.pid) &&
		echo comm $(cat /proc/$(cut -d" " -f1 /run/daxlab/vm-0/qemu.pid)/comm)'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cpus 1 mems 1"* ]]
	[[ "$output" == *"max $((256 * MIB))"* ]]
	pid=$(awk '$1 == "pid" { print $2 }' <<<"$output")
	[ -n "$pid" ]
	[[ "$output" == *"procs $pid"$'\n'* ]]
	[[ "$output" == *"comm standin-qemu"* ]]
}

@test "qemu's guest RAM is bound to node 1 on its command line (host-nodes)" {
	start numa.ini
	run gssh cat /run/daxlab/vm-0/qemu.log
	echo "$output"
	[[ "$output" == *"standin-qemu: argv: /usr/bin/standin-qemu "* ]]
	[[ "$output" == *"memory-backend-memfd,id=mem0,size=64M,share=on,host-nodes=1,policy=bind "* ]]
}

@test "below a delegated cgroup (cgroup_parent = lab) the VM's cgroup is lab/numa-vm0, bound to node 1" {
	# the delegated cgroup exists, as systemd's Delegate=yes would make it
	gssh mkdir -p /sys/fs/cgroup/lab
	start numa-parent.ini lab/numa-vm0
	placed_on 1 0
	run gssh 'cat /sys/fs/cgroup/lab/numa-vm0/cpuset.mems.effective;
		cat /sys/fs/cgroup/lab/cgroup.subtree_control;
		ls -d /sys/fs/cgroup/numa-vm0 2>&1'
	echo "$output"
	[ "${lines[0]}" = 1 ]
	[[ "${lines[1]}" == *cpuset*memory* ]]
	[[ "${lines[2]}" == *"No such file"* ]]
	run gssh daxlab vm stop 0 --config /etc/daxlab/numa-parent.ini
	[ "$status" -eq 0 ]
	# daxlab's cgroups go, the delegated one stays
	run gssh 'ls /sys/fs/cgroup/lab'
	echo "$output"
	[[ "$output" != *numa-vm0* ]]
	[[ "$output" != *numa-virtiofsd* ]]
	gssh test -d /sys/fs/cgroup/lab
}

@test "a memory_max below what qemu touches: the kernel kills it, the start fails and leaves nothing" {
	run gssh daxlab vm start 0 --config /etc/daxlab/numa-oom.ini
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'wait for the guest' failed: qemu exited"* ]]
	# named as what it was, with the v2 counter as the evidence
	[[ "$output" == *"killed by the OOM killer (signal 9, SIGKILL; oom_kill 1 in /sys/fs/cgroup/numa-vm0/memory.events"* ]]
	run gssh 'ls -d /sys/fs/cgroup/numa-* 2>/dev/null; ls /run/daxlab/vm-0'
	echo "$output"
	[[ "$output" != *numa-* ]]
	[[ "$output" != *qemu.pid* ]]
	[[ "$output" != *qmp.sock* ]]
	# killed; it may take a moment to finish exiting (v2 lets the cgroup
	# go while a killed task still frees its memory)
	run gssh 'for i in $(seq 50); do
		pidof standin-qemu >/dev/null || exit 0; usleep 100000; done;
		pidof standin-qemu; exit 1'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "vm status shows the stand-in running with node 1's cpus and mems and its memory on N1" {
	start numa.ini
	pid=$(gssh 'cut -d" " -f1 /run/daxlab/vm-0/qemu.pid')
	run gssh daxlab vm status 0 --config /etc/daxlab/numa.ini
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"running"* ]]
	[[ "$output" == *"qemu pid"*"$pid"* ]]
	[[ "$output" == *"/sys/fs/cgroup/numa-vm0"* ]]
	[[ "$output" == *"cpus 1, mems 1"* ]]
	# anon in MiB on N1, as status prints it: the 64 MiB touched
	anon=$(sed -n 's/.*memory *anon .*N1=\([0-9.]*\) MiB.*/\1/p' <<<"$output" | head -1)
	echo "status: anon N1=$anon MiB"
	[ -n "$anon" ]
	[ "${anon%.*}" -ge 60 ]
}

@test "vm stop ends the stand-in and leaves no cgroup, pid file or socket" {
	start numa.ini
	pid=$(gssh 'cut -d" " -f1 /run/daxlab/vm-0/qemu.pid')
	run gssh daxlab vm stop 0 --config /etc/daxlab/numa.ini
	echo "$output"
	[ "$status" -eq 0 ]
	# gone, or a zombie that init has yet to reap
	run gssh "for i in \$(seq 50); do
			grep -q '^[0-9]* ([^)]*) [ZX]' /proc/$pid/stat 2>/dev/null ||
				[ ! -e /proc/$pid ] && break; usleep 100000; done
		[ -e /proc/$pid ] && ! grep -q '^[0-9]* ([^)]*) [ZX]' /proc/$pid/stat && echo alive;
		ls -d /sys/fs/cgroup/numa-vm0 /sys/fs/cgroup/numa-virtiofsd 2>/dev/null;
		ls /run/daxlab/vm-0"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *alive* ]]
	[[ "$output" != *numa-vm0* ]]
	[[ "$output" != *numa-virtiofsd* ]]
	[[ "$output" != *qemu.pid* ]]
	[[ "$output" != *qmp.sock* ]]
	# the stand-in said why it went: QMP system_powerdown, not a signal
	run gssh cat /run/daxlab/vm-0/qemu.log
	[[ "$output" == *"standin-qemu: exiting (QMP system_powerdown)"* ]]
	run gssh daxlab vm status 0 --config /etc/daxlab/numa.ini
	echo "$output"
	[[ "$output" == *"vm 0 (vm0): stopped"* ]]
	[[ "$output" != *stale* ]]
}

@test "files residency --by cgroup,node: a file read in cgroup A on node 0 is A's on N0, one read in B on node 1 is B's on N1" {
	# issue 16: each resident page's owner from /proc/kpagecgroup and its
	# node from the frame's memory block, on two real nodes; each file
	# cold, then read whole by a process of its cgroup (cpuset.mems
	# bound), 16 MiB each
	run gssh 'set -e
		cd /mnt/disk
		for f in fa fb; do dd if=/dev/urandom of=$f bs=1M count=16 2>/dev/null; done
		sync
		echo 1 >/proc/sys/vm/drop_caches
		for c in resa:0 resb:1; do
			mkdir /sys/fs/cgroup/${c%:*}
			echo ${c#*:} >/sys/fs/cgroup/${c%:*}/cpuset.mems
		done
		sh -c "echo \$\$ >/sys/fs/cgroup/resa/cgroup.procs && exec cat /mnt/disk/fa" >/dev/null
		sh -c "echo \$\$ >/sys/fs/cgroup/resb/cgroup.procs && exec cat /mnt/disk/fb" >/dev/null
		daxlab files residency --by cgroup,node --bytes /mnt/disk/fa /mnt/disk/fb'
	echo "$output"
	[ "$status" -eq 0 ]
	# columns: SET VM CGROUP NODE RESIDENT PCT
	sum() {
		awk -v p="$1" -v c="$2" -v n="$3" \
			'$1 == p && (c == "*" || $3 == c) && (n == "*" || $4 == n) { s += $5 }
			END { print s + 0 }' <<<"$output"
	}
	local want=$((16 * MIB))
	echo "fa: resa/N0 $(sum /mnt/disk/fa /resa N0) of $(sum /mnt/disk/fa '*' '*'); fb: resb/N1 $(sum /mnt/disk/fb /resb N1) of $(sum /mnt/disk/fb '*' '*')" >&3
	[ $(($(sum /mnt/disk/fa /resa N0) * 100)) -ge $((want * 98)) ]
	[ $(($(sum /mnt/disk/fb /resb N1) * 100)) -ge $((want * 98)) ]
	# and nothing of either on the other node or in the other cgroup
	[ "$(sum /mnt/disk/fa '*' N1)" -eq 0 ]
	[ "$(sum /mnt/disk/fb '*' N0)" -eq 0 ]
	[ "$(sum /mnt/disk/fa /resb '*')" -eq 0 ]
	[ "$(sum /mnt/disk/fb /resa '*')" -eq 0 ]
}
