#!/usr/bin/env bats
# daxlab vm (issue 4): failures half-way, dry runs, locks and stale state.
# Each test has its own lab (state dir, cgroup names, ports).

load vm_helpers

setup_file() {
	build_guest
}

setup() {
	T=$(mktemp -d /tmp/daxlab-vm-test.XXXXXX)
	make_lab "$T"
}

teardown() {
	cleanup_lab "$T"
}

# set_key SECTION KEY VALUE: adds KEY = VALUE at the top of [SECTION].
set_key() {
	sed -i "s|^\[$1\]\$|[$1]\n$2 = $3|" "$T/lab.ini"
}

@test "a missing image is refused before anything starts, naming the image" {
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	set_key "vm 0" image "$T/nope.img"
	sed -i '/^guest_dir/d' "$T/lab.ini"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'check the configuration' failed: image '$T/nope.img': No such file or directory"* ]]
	nothing_left "$T"
	[ ! -e "$T/state/vm-0" ]
}

@test "a virtiofsd path that does not exist is refused, naming the key" {
	set_key virtiofsd path /nonexistent/virtiofsd
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"virtiofsd '/nonexistent/virtiofsd' (key 'path' in [virtiofsd]): No such file or directory"* ]]
	nothing_left "$T"
}

@test "a virtiofsd that exits at once is rolled back: no process or cgroup left" {
	set_key virtiofsd path /bin/false
	set_key virtiofsd style c
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start virtiofsd' failed: /bin/false (share private) exited before creating $T/state/vm-0/virtiofsd-private.sock"* ]]
	nothing_left "$T"
}

@test "a qemu that exits at once is rolled back: virtiofsd stopped, no cgroup left" {
	set_key lab qemu /bin/false
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start qemu' failed: /bin/false exited at once"* ]]
	[[ "$output" == *"stopping virtiofsd for share private"* ]]
	nothing_left "$T"
}

@test "a qemu that fails shows the last lines of its log" {
	set_key "vm 0" qemu_args "-no-such-option"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start qemu' failed"* ]]
	[[ "$output" == *"last lines of $T/state/vm-0/qemu.log:"* ]]
	[[ "$output" == *"-no-such-option"* ]]
	nothing_left "$T"
}

@test "a NUMA node that does not exist is refused before anything starts" {
	sed -i 's/^node = 0$/node = 7/' "$T/lab.ini"
	run "$DAXLAB" vm start all --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"NUMA node 7 does not exist (this host has node 0)"* ]]
	nothing_left "$T"
	[ ! -e "$T/state/vm-0" ]
}

@test "a CPU that does not exist is refused before anything starts" {
	sed -i 's/^cpus = 1$/cpus = 1,4000/' "$T/lab.ini"
	run "$DAXLAB" vm start 1 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[vm 1]: CPU 4000 does not exist or is offline"* ]]
	nothing_left "$T"
}

@test "a VM cgroup left from before that cannot be removed: the start fails naming it, nothing of it is used" {
	local p
	p=$(cat "$T/prefix")
	# a cgroup below it keeps the VM's from being removed
	mkdir -p "/sys/fs/cgroup/memory/$p-vm0/stuck"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	rmdir "/sys/fs/cgroup/memory/$p-vm0/stuck" "/sys/fs/cgroup/memory/$p-vm0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'create the VM cgroup' failed: /sys/fs/cgroup/memory/$p-vm0 is left from before and cannot be removed (a cgroup below it, a process that does not die, or processes that daxlab did not start there): its counters would be taken for this start's"* ]]
	[[ "$output" != *"did not start there (or a cgroup below it): left as it is"* ]]
	[ ! -e "$T/state/vm-0/qemu.pid" ]
	nothing_left "$T"
}

@test "the virtiofsd cgroup a running VM shares is set anew by the next start: cpus and a limit removed from the config are removed" {
	local p cg=/sys/fs/cgroup
	p=$(cat "$T/prefix")
	set_key virtiofsd cpus 1
	set_key virtiofsd memory_max 1G
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/cpuset/$p-virtiofsd/cpuset.cpus")" = 1 ]
	[ "$(cat "$cg/memory/$p-virtiofsd/memory.limit_in_bytes")" = 1073741824 ]
	sed -i '/^\[virtiofsd\]/,/^\[/{/^node = /d;/^cpus = /d;/^memory_max = /d}' "$T/lab.ini"
	run "$DAXLAB" vm start 1 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$cg/cpuset/$p-virtiofsd/cpuset.cpus")" = "$(cat "$cg/cpuset/cpuset.cpus")" ]
	[ "$(cat "$cg/cpuset/$p-virtiofsd/cpuset.mems")" = "$(cat "$cg/cpuset/cpuset.mems")" ]
	[ "$(cat "$cg/memory/$p-virtiofsd/memory.limit_in_bytes")" = "$(cat "$cg/memory/memory.limit_in_bytes")" ]
	run "$DAXLAB" vm stop all --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "start --dry-run prints every cgroup write and command and does nothing" {
	local p
	p=$(cat "$T/prefix")
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "mkdir /sys/fs/cgroup/cpuset/$p-vm0" <<<"$output"
	grep -qx "write /sys/fs/cgroup/cpuset/$p-vm0/cpuset.mems 0" <<<"$output"
	grep -qx "write /sys/fs/cgroup/cpuset/$p-vm0/cpuset.cpus 0" <<<"$output"
	grep -qx "mkdir /sys/fs/cgroup/memory/$p-vm0" <<<"$output"
	grep -q "^run: mkfs.ext4 .* -d $T/shared " <<<"$output"
	grep -q "^run in cgroup $p-virtiofsd: /usr/lib/qemu/virtiofsd --socket-path=$T/state/vm-0/virtiofsd-private.sock" <<<"$output"
	grep -q "^run in cgroup $p-vm0: qemu-system-x86_64 -name vm0" <<<"$output"
	nothing_left "$T"
	[ ! -e "$T/state/vm-0" ]
	[ ! -e "$T/state/share-shared.img" ]
	[ ! -e "$T/images" ]
}

@test "an image_dir on tmpfs is refused, naming the path and the file system" {
	mkdir "$T/mem"
	mount -t tmpfs tmpfs "$T/mem"
	sed -i "s|^image_dir = .*|image_dir = $T/mem/images|" "$T/lab.ini"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[share shared]: [lab] image_dir '$T/mem/images' is on tmpfs: its pages would be shmem"* ]]
	nothing_left "$T"
	[ ! -e "$T/mem/images" ]
	[ ! -e "$T/state/vm-0" ]
}

@test "an image_dir on an overlay whose upper layer is tmpfs is refused" {
	mkdir -p "$T/mem" "$T/lower" "$T/ov"
	mount -t tmpfs tmpfs "$T/mem"
	mkdir "$T/mem/upper" "$T/mem/work"
	mount -t overlay overlay \
		-o "lowerdir=$T/lower,upperdir=$T/mem/upper,workdir=$T/mem/work" "$T/ov"
	sed -i "s|^image_dir = .*|image_dir = $T/ov|" "$T/lab.ini"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[lab] image_dir '$T/ov' is on overlay on tmpfs"* ]]
	nothing_left "$T"
}

@test "a virtiofs source on tmpfs is refused, naming the share and the path" {
	mkdir "$T/mem"
	mount -t tmpfs tmpfs "$T/mem"
	sed -i "s|^source = .*private/vm%i\$|source = $T/mem/vm%i|" "$T/lab.ini"
	mkdir "$T/mem/vm0"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[share private]: source '$T/mem/vm0' is on tmpfs"* ]]
	nothing_left "$T"
}

@test "a virtio-pmem image is built in image_dir and dropped from the page cache" {
	local img=$T/images/share-shared.img
	# the build only: a qemu that fails at once ends the start after it
	set_key lab qemu /bin/false
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"building the virtio-pmem image of share shared ($img)"* ]]
	[ -s "$img" ]
	[ ! -e "$T/state/share-shared.img" ]
	# fincore: RES (bytes) of the image is 0
	run fincore -n -b -o RES "$img"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" -eq 0 ]
	# where the files' data sit: their 4 KiB blocks, no more
	head -c 300000 /dev/urandom >"$T/shared/a.dat"
	head -c 5000 /dev/urandom >"$T/shared/b.dat"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	[ "$status" -eq 1 ]
	cat "$img.extents"
	run awk '!/^#/ { s += $2 } END { print s }' "$img.extents"
	[ "$output" -eq "$(find "$T/shared" -type f -printf '%s\n' |
		awk '{ s += int(($1 + 4095) / 4096) * 4096 } END { print s }')" ]
	[ "$(sed -n 2p "$img.extents")" = "# image dev=$(stat -c %d "$img") ino=$(stat -c %i "$img") size=$(stat -c %s "$img")" ]
	# nor does the folder mkfs read stay in it: no VM's copy of anything
	run fincore -n -b -o RES "$T/shared/a.dat" "$T/shared/b.dat"
	echo "$output"
	[ "$(tr -d ' ' <<<"$output")" = $'0\n0' ]
	nothing_left "$T"
}

# snapshot FILE: this lab's cgroups in every hierarchy, and every file of
# the lab's folder (state folder, images, sources) with its size and mode.
# Other labs (of other tests on the machine) may come and go meanwhile:
# only what names this lab's prefix, or what daxlab itself would name
# (the leaf "supervisor", a scope "daxlab-..."), is compared.
snapshot() {
	local p
	p=$(cat "$T/prefix")
	{
		find /sys/fs/cgroup/cpuset /sys/fs/cgroup/memory \
			/sys/fs/cgroup/unified -type d 2>/dev/null |
			grep -E -- "$p|/supervisor(/|\$)|/daxlab-" | sort
		find "$T" -path "$T/snap-*" -prune -o \
			-printf '%p %y %s %m\n' | sort
	} >"$1"
}

@test "start and stop --dry-run make nothing: the cgroup trees, the state and image folders are as they were" {
	snapshot "$T/snap-before"
	[ -s "$T/snap-before" ]
	run "$DAXLAB" vm start all --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	# it did say it would make them
	grep -q "^mkdir /sys/fs/cgroup/cpuset/$(cat "$T/prefix")-vm1\$" <<<"$output"
	grep -q "^run: mkfs.ext4 " <<<"$output"
	run "$DAXLAB" vm stop all --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	snapshot "$T/snap-after"
	diff "$T/snap-before" "$T/snap-after"
	[ ! -e "$T/state" ]
}

@test "stop --dry-run of a VM not running says only what a real stop would do" {
	local p cg=/sys/fs/cgroup c sleeper
	p=$(cat "$T/prefix")
	# nothing was started here: a stop does nothing, and its dry run says so
	run "$DAXLAB" vm stop 1 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "daxlab: vm 1 is not running: a stop would do nothing" ]
	# virtiofsd's cgroup holds another VM's virtiofsd: a stop leaves it
	mkdir -m 700 "$T/state"
	for c in cpuset memory; do mkdir "$cg/$c/$p-virtiofsd"; done
	cat "$cg/cpuset/cpuset.cpus" >"$cg/cpuset/$p-virtiofsd/cpuset.cpus"
	cat "$cg/cpuset/cpuset.mems" >"$cg/cpuset/$p-virtiofsd/cpuset.mems"
	sleep 600 &
	sleeper=$!
	echo "$sleeper" >"$cg/cpuset/$p-virtiofsd/cgroup.procs"
	run "$DAXLAB" vm stop 1 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"qmp"* ]]
	[[ "$output" != *"rmdir"* ]]
	# once nothing else runs in it, a stop removes it: so says the dry run
	kill "$sleeper"
	wait "$sleeper" || true
	run "$DAXLAB" vm stop 1 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "rmdir $cg/cpuset/$p-virtiofsd" <<<"$output"
	grep -qx "rmdir $cg/memory/$p-virtiofsd" <<<"$output"
	[[ "$output" != *"qmp"* ]]
	[[ "$output" != *"$p-vm1"* ]]
	[ -d "$cg/cpuset/$p-virtiofsd" ] && [ -d "$cg/memory/$p-virtiofsd" ]
	for c in cpuset memory; do rmdir "$cg/$c/$p-virtiofsd"; done
	nothing_left "$T"
}

@test "stop --dry-run of a running VM says each step of its stop, and it keeps running" {
	local p qemu fsd
	p=$(cat "$T/prefix")
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	set_key "vm 0" net none
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	qemu=$(pid_of "$T/state/vm-0/qemu.pid")
	fsd=$(pid_of "$T/state/vm-0/virtiofsd-private.pid")
	run "$DAXLAB" vm stop 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "qmp $T/state/vm-0/qmp.sock system_powerdown" <<<"$output"
	grep -q "to qemu (pid $qemu)\$" <<<"$output"
	grep -q "to virtiofsd of share private (pid $fsd)" <<<"$output"
	grep -qx "rmdir /sys/fs/cgroup/cpuset/$p-vm0" <<<"$output"
	# its virtiofsd is the only one: the last out removes the cgroup
	grep -qx "rmdir /sys/fs/cgroup/cpuset/$p-virtiofsd" <<<"$output"
	grep -qx "rm $T/state/vm-0/qemu.pid" <<<"$output"
	kill -0 "$qemu" && kill -0 "$fsd"
	[ -d "/sys/fs/cgroup/cpuset/$p-vm0" ] && [ -e "$T/state/vm-0/qemu.pid" ]
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "a symlink planted as the VM's state folder is refused" {
	mkdir -p "$T/state" "$T/elsewhere"
	chmod 700 "$T/state"
	ln -s "$T/elsewhere" "$T/state/vm-0"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/state/vm-0 is not a directory (a symlink?): refusing to use it"* ]]
	[ -z "$(ls "$T/elsewhere")" ]
	nothing_left "$T"
}

@test "two starts of the same VM at once: one wins, the other is refused" {
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >"$T/a.out" 2>&1 &
	local a=$!
	# the first holds the lock from its first step to the guest's ssh
	for _ in $(seq 100); do
		[ -e "$T/state/vm-0/starting" ] && break
		sleep 0.05
	done
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"vm 0 is being started or stopped by another daxlab"* ]]
	wait "$a"
	cat "$T/a.out"
	grep -q "vm 0 is up" "$T/a.out"
}

@test "a VM whose qemu died is reported stale, and stop says it had died and what it removed" {
	local pid p
	p=$(cat "$T/prefix")
	"$DAXLAB" vm start 0 --config "$T/lab.ini" -q
	pid=$(pid_of "$T/state/vm-0/qemu.pid")
	kill -9 "$pid"
	for _ in $(seq 50); do
		[ ! -e "/proc/$pid" ] ||
			grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$pid/stat" && break
		sleep 0.1
	done
	run "$DAXLAB" vm status 0 --config "$T/lab.ini"
	echo "$output"
	[[ "$output" == *"vm 0 (vm0): stopped, stale state left"* ]]
	# not our child, no OOM kill counted: daxlab says it cannot tell
	[[ "$output" == *"qemu ended     pid $pid: cause unknown: no OOM kill counted"* ]]
	[ -e "$T/state/vm-0/qemu.pid" ]
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"was not running"* ]]
	[[ "$output" == *"warning: vm 0: qemu (pid $pid) had died: cause unknown"* ]]
	[[ "$output" == *"vm 0 had died (qemu pid $pid gone); cleaned its stale state in $T/state/vm-0: removed "* ]]
	local removed=${output##*removed }
	[[ "$removed" == *"qemu.pid"* ]]
	[[ "$removed" == *"qmp.sock"* ]]
	[[ "$removed" == *"console.sock"* ]]
	[[ "$removed" == *"virtiofsd-private.pid"* ]]
	[[ "$removed" == *"cgroup $p-vm0 (cpuset, memory)"* ]]
	nothing_left "$T"
	# once clean, there is nothing to say
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	echo "$output"
	[[ "$output" == *"vm 0 was not running"* ]]
	[[ "$output" != *"removed"* ]]
	# without a state folder there is nothing to stop, and none is made
	rm -rf "$T/state"
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0 was not running"* ]]
	[ ! -e "$T/state" ]
}

@test "net = none: start waits for DAXLAB-READY only, and says so" {
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	set_key "vm 0" net none
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0: waiting for DAXLAB-READY on the console ($T/state/vm-0/console.log); net = none: no ssh to wait for"* ]]
	[[ "$output" == *"vm 0: guest is up (DAXLAB-READY; net = none: no ssh to wait for)"* ]]
	[[ "$output" == *"vm 0 is up (net = none: no ssh): daxlab vm console 0"* ]]
	[[ "$output" != *"then for ssh"* ]]
	[[ "$output" != *"waiting for ssh"* ]]
	[[ "$output" != *"daxlab vm ssh"* ]]
	grep -q DAXLAB-READY "$T/state/vm-0/console.log"
	# no network device: qemu has no -netdev
	local cmd
	cmd=$(tr '\0' ' ' <"/proc/$(pid_of "$T/state/vm-0/qemu.pid")/cmdline")
	[[ "$cmd" == *" -kernel "* ]]
	[[ "$cmd" != *"-netdev"* ]]
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "start --dry-run says what it would wait for, with and without a network" {
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	grep -qx "wait for DAXLAB-READY on $T/state/vm-0/console.log, then ssh vm0" <<<"$output"
	set_key "vm 0" net none
	run "$DAXLAB" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "wait for DAXLAB-READY on $T/state/vm-0/console.log (net = none: no ssh)" <<<"$output"
	[[ "$output" != *"then ssh"* ]]
	nothing_left "$T"
}

@test "the state a killed daxlab left half-way is cleaned by the next start" {
	local old
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >/dev/null 2>&1 &
	local a=$!
	for _ in $(seq 200); do
		[ -s "$T/state/vm-0/qemu.pid" ] && break
		sleep 0.05
	done
	kill -9 "$a"
	wait "$a" || true
	old=$(pid_of "$T/state/vm-0/qemu.pid")
	kill -0 "$old"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"stopped what an interrupted start left running"* ]]
	gone "$old"
	[ "$(pid_of "$T/state/vm-0/qemu.pid")" != "$old" ]
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "start --foreground stays on the console and cleans up when the guest powers off" {
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	run bash -c "printf '\npoweroff\n' |
		timeout 150 '$DAXLAB' vm start --foreground --config '$T/lab.ini' 0"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0 is up"* ]]
	[[ "$output" == *"Power down"* ]]
	[[ "$output" == *"stopping vm 0"* ]]
	nothing_left "$T"
}

@test "--foreground takes one VM id" {
	run "$DAXLAB" vm start --foreground --config "$T/lab.ini" all
	[ "$status" -eq 1 ]
	[[ "$output" == *"--foreground takes one VM id"* ]]
	[[ "$output" == *"Try 'daxlab vm start --help'"* ]]
}

@test "a state_dir writable by others is refused, and left as it was" {
	mkdir -p "$T/state"
	chmod 1777 "$T/state"
	run "$DAXLAB" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/state is writable by group or others: use a private state_dir"* ]]
	[ "$(stat -c %a "$T/state")" = 1777 ]
	nothing_left "$T"
}

@test "start all checks every VM before it starts any" {
	sed -i 's/^cpus = 1$/cpus = 9/' "$T/lab.ini"
	run "$DAXLAB" vm start all --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"vm 1: step 'check the configuration' failed: [vm 1]: CPU 9 does not exist"* ]]
	[[ "$output" != *"starting vm 0"* ]]
	[ ! -e "$T/state/vm-0" ]
	nothing_left "$T"
}

@test "start all is all or nothing: when one VM fails, the others are stopped again" {
	set_key "vm 1" qemu_args "-no-such-option"
	run "$DAXLAB" vm start all --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"vm 1: step 'start qemu' failed"* ]]
	[[ "$output" == *"vm 0 is up"* ]]
	[[ "$output" == *"stopping vm 0 again"* ]]
	nothing_left "$T"
	# the shared virtio-pmem image was built once, by one of the two
	[ "$(grep -c "building the virtio-pmem image of share shared" <<<"$output")" -eq 1 ]
}

@test "SIGTERM during a start undoes it and says so" {
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >"$T/a.out" 2>&1 &
	local a=$! rc=0
	for _ in $(seq 200); do
		[ -s "$T/state/vm-0/qemu.pid" ] && break
		sleep 0.05
	done
	kill -TERM "$a"
	wait "$a" || rc=$?
	cat "$T/a.out"
	[ "$rc" -eq 1 ]
	grep -q "interrupted" "$T/a.out"
	nothing_left "$T"
	[ ! -e "$T/state/vm-0/starting" ]
}
