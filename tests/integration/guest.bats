#!/usr/bin/env bats
# The tiny guest (issue 3), against real qemu (TCG), Debian's virtiofsd and
# fio. One guest is booted for the whole file (setup_file), with:
#   - a virtiofs share (tag "share" on /mnt/share),
#   - a second virtiofs device without a DAX window, asked for dax=always
#     (tag "daxtag" on /mnt/dax): must be reported as failed,
#   - a virtio-pmem ext4 image mounted with DAX on /mnt/pmem.
# The guest is built into $DAXLAB_TOP/build/test-guest (incremental, shared
# with other test files; see guest/PROTOCOL.md).

# free_port: a port for a listener (tests/helpers/free-port)
free_port() { "$DAXLAB_TOP/tests/helpers/free-port"; }

gssh() {
	ssh -i "$GUEST_DIR/id_ed25519" -p "$SSH_PORT" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=20 \
		root@127.0.0.1 "$@"
}

# file_bytes: the guest's `file` on node 0 from the seed's path.
file_bytes() {
	gssh cat /sys/fs/cgroup/memory.numa_stat |
		awk '$1 == "file" { sub("N0=", "", $2); print $2 }'
}

start_virtiofsd() { # SOCKET DIR PIDFILE
	/usr/lib/qemu/virtiofsd --socket-path="$1" -o source="$2" \
		-o cache=always >"$1.log" 2>&1 &
	echo $! >"$3"
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	echo "virtiofsd did not create $1" >&2
	return 1
}

setup_file() {
	export GUEST_DIR=$DAXLAB_TOP/build/test-guest
	export T
	T=$(mktemp -d /tmp/daxlab-guest-test.XXXXXX)
	local t0 t1
	t0=$(date +%s%N)
	"$DAXLAB_BUILD/daxlab" guest build --quiet --output "$GUEST_DIR"
	t1=$(date +%s%N)
	echo "# guest build: $(((t1 - t0) / 1000000)) ms" >&3

	mkdir -p "$T/share" "$T/dax" "$T/pmem"
	head -c 32M /dev/urandom >"$T/pmem/big"
	head -c 32M /dev/urandom >"$T/share/big"
	echo "from the image" >"$T/pmem/hello"
	# DAX needs the block size to be the page size.
	mkfs.ext4 -q -F -b 4096 -d "$T/pmem" "$T/pmem.img" 256M

	start_virtiofsd "$T/share.sock" "$T/share" "$T/virtiofsd1.pid"
	start_virtiofsd "$T/dax.sock" "$T/dax" "$T/virtiofsd2.pid"

	export SSH_PORT FIO_PORT
	SSH_PORT=$(free_port)
	FIO_PORT=$(free_port)
	echo "$SSH_PORT $FIO_PORT" >"$T/ports"
	t0=$(date +%s%N)
	qemu-system-x86_64 -accel tcg -nographic -no-reboot -smp 2 \
		-m 1G,slots=2,maxmem=4G \
		-object memory-backend-memfd,id=mem,size=1G,share=on \
		-numa node,memdev=mem \
		-kernel "$GUEST_DIR/vmlinuz" -initrd "$GUEST_DIR/initrd.img" \
		-append "console=ttyS0 panic=-1 daxlab.name=vm0 daxlab.virtiofs=share:/mnt/share daxlab.virtiofs=daxtag:/mnt/dax:dax=always daxlab.pmem=0:/mnt/pmem" \
		-chardev socket,id=c0,path="$T/share.sock" \
		-device vhost-user-fs-pci,chardev=c0,tag=share \
		-chardev socket,id=c1,path="$T/dax.sock" \
		-device vhost-user-fs-pci,chardev=c1,tag=daxtag \
		-object memory-backend-file,id=pm0,mem-path="$T/pmem.img",size=256M,share=on,readonly=on \
		-device virtio-pmem-pci,memdev=pm0 \
		-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$FIO_PORT-:8765 \
		-device virtio-net-pci,netdev=n0 \
		-qmp unix:"$T/qmp.sock",server=on,wait=off \
		</dev/null >"$T/console.log" 2>&1 &
	echo $! >"$T/qemu.pid"
	# No timing assertion: a generous limit so a broken guest cannot hang us.
	for _ in $(seq 1200); do
		grep -q '^DAXLAB-READY' "$T/console.log" && break
		kill -0 "$(cat "$T/qemu.pid")" 2>/dev/null || break
		sleep 0.25
	done
	t1=$(date +%s%N)
	echo "# boot to DAXLAB-READY: $(((t1 - t0) / 1000000)) ms" >&3
}

teardown_file() {
	local f
	for f in qemu virtiofsd1 virtiofsd2; do
		[ -f "$T/$f.pid" ] || continue
		kill "$(cat "$T/$f.pid")" 2>/dev/null || true
	done
	for f in qemu virtiofsd1 virtiofsd2; do
		[ -f "$T/$f.pid" ] || continue
		for _ in $(seq 50); do
			kill -0 "$(cat "$T/$f.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$T/$f.pid")" 2>/dev/null || true
	done
	rm -rf "$T"
}

# qmp COMMAND: one QMP command to this file's qemu; prints the answer.
qmp() {
	python3 - "$T/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()  # the greeting
for cmd in ("qmp_capabilities", sys.argv[2]):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
print(json.dumps(r))
EOF
}

@test "the guest prints DAXLAB-READY on its console" {
	grep -q '^DAXLAB-READY' "$T/console.log"
}

@test "the build leaves kernel, initramfs, lab key and the guest's host key" {
	[ -s "$GUEST_DIR/vmlinuz" ]
	[ -s "$GUEST_DIR/initrd.img" ]
	[ -s "$GUEST_DIR/id_ed25519" ]
	grep -q '^ssh-ed25519 ' "$GUEST_DIR/id_ed25519.pub"
	grep -qE '^ssh-ed25519 [A-Za-z0-9+/=]+$' "$GUEST_DIR/known_hosts"
	[ "$(wc -l <"$GUEST_DIR/known_hosts")" -eq 1 ]
}

@test "ssh with the lab key reaches root on the guest, host key as in known_hosts" {
	run gssh id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	run ssh-keyscan -p "$SSH_PORT" -t ed25519 127.0.0.1
	[[ "$output" == *"$(cut -d' ' -f2 "$GUEST_DIR/known_hosts")"* ]]
}

@test "the virtiofs share is mounted and a file written on the host reads back" {
	grep -q '^DAXLAB-MOUNT-OK /mnt/share virtiofs ' "$T/console.log"
	echo "written at $$ on the host" >"$T/share/note"
	run gssh cat /mnt/share/note
	[ "$status" -eq 0 ]
	[ "$output" = "written at $$ on the host" ]
}

@test "the virtio-pmem mount is DAX in /proc/mounts" {
	grep -q '^DAXLAB-MOUNT-OK /mnt/pmem ext4 .*dax' "$T/console.log"
	run gssh cat /proc/mounts
	echo "$output" | grep -E '^/dev/pmem0 /mnt/pmem ext4 [^ ]*dax'
	run gssh cat /mnt/pmem/hello
	[ "$output" = "from the image" ]
}

@test "reading 32 MiB from pmem leaves the guest's file cache flat, from virtiofs fills it" {
	a=$(file_bytes)
	gssh cat /mnt/pmem/big '>/dev/null'
	b=$(file_bytes)
	gssh cat /mnt/share/big '>/dev/null'
	c=$(file_bytes)
	echo "pmem: $((b - a)) bytes, virtiofs: $((c - b)) bytes"
	[ $((b - a)) -lt $((1 << 20)) ]
	[ $((c - b)) -ge $((24 << 20)) ]
}

@test "getconf PAGESIZE answers in the guest, as the monitor's ssh channel asks" {
	run gssh getconf PAGESIZE
	[ "$status" -eq 0 ]
	[ "$output" = "$(getconf PAGESIZE)" ]
}

@test "cgroup2 in the guest has cpuset and memory for children" {
	run gssh cat /sys/fs/cgroup/cgroup.subtree_control
	[[ "$output" == *cpuset* ]]
	[[ "$output" == *memory* ]]
	run gssh "grep -c '^file ' /sys/fs/cgroup/memory.numa_stat"
	[ "$output" = 1 ]
}

@test "the host's fio --client runs a job on the guest's fio server and gets JSON" {
	cat >"$T/job.fio" <<JOB
[readback]
directory=/mnt/share
filename=fio-data
size=4m
bs=64k
rw=read
JOB
	# the server listens on the guest's loopback only: a port forwarded
	# to the guest's 8765 reaches nothing: no results (fio's exit status
	# says little, a client that loses a server may exit 0)
	run timeout 60 fio --client=127.0.0.1,"$FIO_PORT" --output-format=json "$T/job.fio"
	[[ "$output" != *'"readback"'* ]]
	# through ssh it answers
	gssh -N -f -o ExitOnForwardFailure=yes -L "$T/fio.sock:127.0.0.1:8765"
	for _ in $(seq 100); do [ -S "$T/fio.sock" ] && break; sleep 0.1; done
	run timeout 120 fio --client=sock:"$T/fio.sock" --output-format=json "$T/job.fio"
	pkill -f -- "-L $T/fio.sock:127.0.0.1:8765" || true
	[ "$status" -eq 0 ]
	echo "$output" | sed -n '/^{/,$p' >"$T/fio.json"
	python3 - "$T/fio.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
jobs = [j for j in d["client_stats"] if j["jobname"] == "readback"]
assert len(jobs) == 1, jobs
assert jobs[0]["read"]["io_bytes"] == 4 << 20, jobs[0]["read"]
PY
	# fio names the file after the server's address in client mode
	ls "$T/share" | grep -q 'fio-data$'
	# on the guest, nothing but loopback listens on 8765
	run gssh cat /proc/net/tcp /proc/net/tcp6
	[ "$(echo "$output" | awk '$2 ~ /:223D$/ && $4 == "0A" { print $2 }')" = "0100007F:223D" ]
}

@test "dax=always on virtiofs without a DAX window is reported as failed with the kernel's reason" {
	run grep '^DAXLAB-MOUNT-FAILED /mnt/dax: ' "$T/console.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"dax"* ]]
	run gssh grep -c ' /mnt/dax ' /proc/mounts
	[ "$output" = 0 ]
}

# Last: it powers the guest off.
@test "the ACPI power button (QMP system_powerdown) powers the guest off and qemu exits by itself" {
	local pid
	pid=$(cat "$T/qemu.pid")
	kill -0 "$pid"
	run qmp system_powerdown
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"return"'* ]]
	# Nothing else stops qemu: it exits only if the guest powers off.
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 12 "$T/console.log"
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	rm -f "$T/qemu.pid"
	grep -q '^DAXLAB-POWEROFF' "$T/console.log"
	grep -q 'reboot: Power down' "$T/console.log"
}
