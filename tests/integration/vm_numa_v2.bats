#!/usr/bin/env bats
# daxlab vm on cgroup v2 with two NUMA nodes, for real (issue 4): this
# machine has one node and v1 cgroups, so a "virtual NUMA host" is booted
# (the tiny guest, two nodes of 1 GiB, one CPU each, cgroup2 with cpuset and
# memory). It carries this build's daxlab and its libraries on virtiofs. In
# it, `daxlab vm start` runs a VM whose qemu is a stand-in
# (vm_standin.c) that touches 64 MiB of memory and writes 32 MiB of file
# data; memory.numa_stat of the VM's cgroup must show them on the node the
# configuration names, and not on the other.

load vm_helpers

gssh() {
	ssh -i "$GUEST_DIR/id_ed25519" -p "$SSH_PORT" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=20 \
		root@127.0.0.1 "$@"
}

# gdaxlab ARGS...: this build's daxlab in the guest, with the host's libs.
gdaxlab() {
	gssh /mnt/host/lib/ld-linux-x86-64.so.2 --library-path /mnt/host/lib \
		/mnt/host/daxlab "$@"
}

# numa VALUE-OF STAT NODE: bytes of a stat on a node in the VM's cgroup.
numa() {
	gssh cat /sys/fs/cgroup/lab.slice/daxlab/numa-vm0/memory.numa_stat |
		awk -v k="$1" -v n="N$2=" '$1 == k {
			for (i = 2; i <= NF; i++)
				if (index($i, n) == 1) { sub(n, "", $i); print $i }
		}'
}

setup_file() {
	build_guest
	export T SSH_PORT
	T=$(mktemp -d /tmp/daxlab-vm-numa.XXXXXX)
	mkdir -p "$T/host/lib"
	cc -static -O2 -o "$T/host/standin" \
		"$BATS_TEST_DIRNAME/vm_standin.c"
	cp "$DAXLAB" "$T/host/daxlab"
	ldd "$DAXLAB" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' |
		while read -r l; do cp -L "$l" "$T/host/lib/"; done
	[ -e "$T/host/lib/ld-linux-x86-64.so.2" ]
	: >"$T/host/dummy"
	cat >"$T/host/lab.ini" <<EOF
[lab]
state_dir = /run/daxlab-numa
accel = tcg
qemu = /mnt/host/standin
cgroup_version = v2
; as below a cgroup delegated by systemd
cgroup_parent = lab.slice/daxlab
boot_timeout = 60
stop_timeout = 5

[vm 0]
cgroup = numa-vm0
node = 1
memory = 128M
kernel = /mnt/host/dummy
initrd = /mnt/host/dummy
net = none
EOF
	/usr/lib/qemu/virtiofsd --socket-path="$T/host.sock" \
		-o source="$T/host" -o cache=none >"$T/virtiofsd.log" 2>&1 &
	echo $! >"$T/virtiofsd.pid"
	for _ in $(seq 100); do
		[ -S "$T/host.sock" ] && break
		sleep 0.1
	done
	SSH_PORT=$(free_port)
	qemu-system-x86_64 -accel tcg -nographic -no-reboot -smp 2 -m 2G \
		-object memory-backend-memfd,id=m0,size=1G,share=on \
		-object memory-backend-memfd,id=m1,size=1G,share=on \
		-numa node,nodeid=0,cpus=0,memdev=m0 \
		-numa node,nodeid=1,cpus=1,memdev=m1 \
		-kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.img" \
		-append "console=ttyS0 panic=-1 daxlab.name=numahost daxlab.fio=0 daxlab.virtiofs=host:/mnt/host" \
		-chardev socket,id=c0,path="$T/host.sock" \
		-device vhost-user-fs-pci,chardev=c0,tag=host \
		-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22 \
		-device virtio-net-pci,netdev=n0 \
		</dev/null >"$T/console.log" 2>&1 &
	echo $! >"$T/qemu.pid"
	for _ in $(seq 1200); do
		grep -q '^DAXLAB-READY' "$T/console.log" && break
		kill -0 "$(cat "$T/qemu.pid")" 2>/dev/null || break
		sleep 0.25
	done
}

teardown_file() {
	local f
	for f in qemu virtiofsd; do
		[ -f "$T/$f.pid" ] && kill "$(cat "$T/$f.pid")" 2>/dev/null
	done
	for f in qemu virtiofsd; do
		[ -f "$T/$f.pid" ] || continue
		for _ in $(seq 50); do
			kill -0 "$(cat "$T/$f.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$T/$f.pid")" 2>/dev/null || true
	done
	rm -rf "$T"
}

@test "the virtual NUMA host has two nodes and cgroup2 with cpuset and memory" {
	grep -q '^DAXLAB-READY' "$T/console.log"
	run gssh cat /sys/devices/system/node/online
	[ "$output" = "0-1" ]
	run gssh cat /sys/fs/cgroup/cgroup.subtree_control
	[[ "$output" == *cpuset* && "$output" == *memory* ]]
}

@test "vm start on cgroup v2 binds the VM's cgroup to node 1 and spawns into it" {
	gssh test ! -e /sys/fs/cgroup/lab.slice
	run gdaxlab vm start 0 --config /mnt/host/lab.ini
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0 is up"* ]]
	run gssh cat /sys/fs/cgroup/lab.slice/daxlab/numa-vm0/cpuset.mems.effective \
		/sys/fs/cgroup/lab.slice/daxlab/numa-vm0/cpuset.cpus.effective
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1 ]
	pid=$(gssh cat /run/daxlab-numa/vm-0/qemu.pid | cut -d' ' -f1)
	run gssh cat /sys/fs/cgroup/lab.slice/daxlab/numa-vm0/cgroup.procs
	[ "$output" = "$pid" ]
	run gssh cat /proc/"$pid"/cgroup
	[ "$output" = "0::/lab.slice/daxlab/numa-vm0" ]
	# controllers enabled on the way down from the root
	run gssh cat /sys/fs/cgroup/lab.slice/daxlab/cgroup.subtree_control
	[ "$output" = "cpuset memory" ]
}

@test "the VM's memory and file data landed on node 1, not on node 0" {
	local a1 a0 f1 f0
	a1=$(numa anon 1) a0=$(numa anon 0) f1=$(numa file 1) f0=$(numa file 0)
	echo "anon N0=$a0 N1=$a1, file N0=$f0 N1=$f1"
	[ "$a1" -ge $((60 << 20)) ]
	[ "$a0" -lt $((4 << 20)) ]
	[ "$f1" -ge $((30 << 20)) ]
	[ "$f0" -lt $((4 << 20)) ]
}

@test "vm status in the virtual NUMA host shows the memory on N1" {
	run gdaxlab vm status --config /mnt/host/lab.ini
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0 (vm0): running"* ]]
	grep -qE "effective +cpus 1, mems 1" <<<"$output"
	grep -qE "memory +anon +N0=[0-9.]+ [KMiB]+ N1=6[0-9.]+ MiB" <<<"$output"
}

@test "vm stop powers the stand-in off through QMP and removes the v2 cgroup" {
	run gdaxlab vm stop 0 --config /mnt/host/lab.ini
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"QMP quit"* ]]
	run gssh test -e /sys/fs/cgroup/lab.slice/daxlab/numa-vm0
	[ "$status" -ne 0 ]
	run gssh ls /run/daxlab-numa/vm-0
	[[ "$output" != *.pid* && "$output" != *.sock* ]]
}
