#!/usr/bin/env bats
# issue 7: VMs under faults, one tiny guest (TCG) per test. What
# vm_lifecycle.bats already covers is not repeated here: a missing image, a
# virtiofsd or qemu that exits at once, two starts at once, a qemu killed
# while running, a killed daxlab cleaned by the next start.

bats_require_minimum_version 1.5.0
load vm_helpers
load fault_helpers

# busybox has no getconf; the monitor's remote side asks for PAGESIZE
GETCONF='command -v getconf >/dev/null 2>&1 || { printf "#!/bin/sh\necho 4096\n" >/bin/getconf && chmod 755 /bin/getconf; }'

setup_file() {
	build_guest
}

setup() {
	T=$(mktemp -d /tmp/daxlab-fault-vm.XXXXXX)
	make_lab "$T"
	sed -i "/^\[vm 1\]/,\$d" "$T/lab.ini"
	MON=
	rm -f /tmp/pwned
}

teardown() {
	[ -n "$MON" ] && kill -9 "$MON" 2>/dev/null && wait "$MON" 2>/dev/null
	cleanup_lab "$T"
	rm -f /tmp/pwned
}

vm() {
	"$DAXLAB" vm "$1" --config "$T/lab.ini" "${@:2}"
}

# rows_of CSV SOURCE: the ticks (elapsed_ms) that have rows of SOURCE
ticks_of() {
	awk -F, -v s="$2" '$3 == s { print $2 }' "$1" | sort -un
}

@test "virtiofsd killed while running: status tells, stop cleans up" {
	vm start 0 -q
	local pid
	pid=$(pid_of "$T/state/vm-0/virtiofsd-private.pid")
	kill -9 "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	run vm status 0
	echo "$output"
	[[ "$output" == *"vm 0 (vm0): running, but a virtiofsd is not (daxlab vm stop cleans up)"* ]]
	[[ "$output" == *"virtiofsd      not running (share private)"* ]]
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "daxlab SIGKILLed half-way through start: the next stop cleans the remains" {
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >/dev/null 2>&1 &
	local a=$! old
	for _ in $(seq 200); do
		[ -s "$T/state/vm-0/qemu.pid" ] && break
		sleep 0.05
	done
	kill -9 "$a"
	wait "$a" || true
	old=$(pid_of "$T/state/vm-0/qemu.pid")
	kill -0 "$old"
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	gone "$old"
	nothing_left "$T"
}

@test "daxlab SIGKILLed before qemu starts: the next start cleans and boots" {
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >/dev/null 2>&1 &
	local a=$!
	for _ in $(seq 200); do
		[ -s "$T/state/vm-0/virtiofsd-private.pid" ] && break
		sleep 0.02
	done
	kill -9 "$a"
	wait "$a" || true
	run vm start 0
	echo "$output"
	[ "$status" -eq 0 ]
	run vm ssh 0 cat /mnt/private/hello
	[ "$output" = "private 0" ]
	run vm stop 0
	[ "$status" -eq 0 ]
	nothing_left "$T"
}

@test "a share folder that is not a folder: the step is named, nothing is left" {
	rm -rf "$T/private/vm0"
	echo x >"$T/private/vm0"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step '"*"' failed: [share private]: source '$T/private/vm0' is not a folder"* ]]
	nothing_left "$T"
}

@test "a VM cgroup that holds another program's processes: start refuses, naming it; neither start nor stop kills them" {
	local prefix cg d other
	prefix=$(cat "$T/prefix")
	cg=$prefix-vm0
	mkdir /sys/fs/cgroup/cpuset/"$cg" /sys/fs/cgroup/memory/"$cg"
	cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/"$cg"/cpuset.cpus
	cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/"$cg"/cpuset.mems
	sleep 600 &
	MON=$! other=$MON
	for d in cpuset memory; do
		echo "$other" >/sys/fs/cgroup/$d/"$cg"/cgroup.procs
	done
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'create the VM cgroup' failed: /sys/fs/cgroup/memory/$cg is left from before and cannot be removed (a cgroup below it, a process that does not die, or processes that daxlab did not start there)"* ]]
	kill -0 "$other"
	grep -qx "$other" /sys/fs/cgroup/cpuset/"$cg"/cgroup.procs
	run vm status 0
	echo "$output"
	[[ "$output" == *"vm 0 (vm0): stopped; its cgroup holds processes that daxlab did not start there (a start refuses it: stop them, or name another [vm] cgroup)"* ]]
	# a mark of another cgroup (one made again since) is not this one's
	echo 1 >"$T/state/vm-0/cgroup"
	run vm stop 0 --dry-run
	echo "$output"
	[[ "$output" == *"leave cgroup $cg: it holds processes that daxlab did not start there"* ]]
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vm 0: cgroup $cg holds processes that daxlab did not start there (or a cgroup below it): left as it is"* ]]
	kill -0 "$other"
	# once they are gone, the next start makes the cgroup its own
	kill -9 "$other"
	wait "$other" 2>/dev/null || true
	MON=
	for _ in $(seq 50); do
		[ -z "$(cat /sys/fs/cgroup/cpuset/"$cg"/cgroup.procs)" ] && break
		sleep 0.1
	done
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"did not start there"* ]]
	nothing_left "$T"
}

@test "an ssh_port that a connection holds: refused before anything starts, naming it; a port in the ephemeral range is warned of" {
	local port lst lo hi
	lst=$("$DAXLAB_TOP/tests/helpers/free-port")
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	for port in $(seq $((hi - 50)) "$hi"); do
		[ -z "$(ss -Htan "sport = :$port")" ] && break
	done
	sed -i "s/^ssh_port = .*/ssh_port = $port/" "$T/lab.ini"
	# a connection whose local port is the VM's ssh_port, as an outgoing
	# connection of the host can take it: qemu could not bind it
	python3 - "$port" "$lst" "$T/held" <<'PY' &
import socket, sys, time
port, lst, flag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket()
srv.bind(("127.0.0.1", lst))
srv.listen()
c = socket.socket()
c.bind(("127.0.0.1", port))
c.connect(("127.0.0.1", lst))
a, _ = srv.accept()
open(flag, "w").close()
time.sleep(60)
PY
	MON=$!
	for _ in $(seq 100); do [ -e "$T/held" ] && break; sleep 0.1; done
	[ -e "$T/held" ]
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"vm 0: ssh_port $port is in this host's ephemeral port range $lo-$hi (net.ipv4.ip_local_port_range): a connection the host makes can take it before qemu binds it; ports below $lo are safe"* ]]
	[[ "$output" == *"vm 0: ssh_port $port on 127.0.0.1 is taken (by a listener, or as the local port of a connection); set another [vm 0] ssh_port"* ]]
	nothing_left "$T"
}

@test "a virtiofsd that cannot open its folder (gone after the check): rolled back, step named" {
	# a stand-in virtiofsd removes the folder, then runs the real one;
	# asked for its --version or --help (the probes), it only answers
	cat >"$T/vfsd" <<EOF2
#!/bin/sh
case "\$1" in --version | --help | -V) exec /usr/lib/qemu/virtiofsd "\$@" ;; esac
rm -rf "$T/private/vm0"
exec /usr/lib/qemu/virtiofsd "\$@"
EOF2
	chmod 755 "$T/vfsd"
	sed -i "s|^\[virtiofsd\]\$|[virtiofsd]\npath = $T/vfsd\nstyle = c|" "$T/lab.ini"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start virtiofsd' failed"* ]]
	nothing_left "$T"
}

@test "a share folder and ssh words with \$(...), quotes and ';': nothing runs on host or guest" {
	local src="$T/priv \$(touch /tmp/pwned);'x\""
	mkdir -p "$src/vm0"
	echo "hostile 0" >"$src/vm0/hello"
	sed -i "s|^source = $T/private/vm%i\$|source = $src/vm%i|" "$T/lab.ini"
	grep -qF "source = $src/vm%i" "$T/lab.ini"
	vm start 0 -q
	run vm ssh 0 cat /mnt/private/hello
	[ "$output" = "hostile 0" ]
	run vm ssh 0 echo '$(touch /tmp/pwned)' 'a;touch /tmp/pwned' '`touch /tmp/pwned`'
	echo "$output"
	[ "$output" = '$(touch /tmp/pwned) a;touch /tmp/pwned `touch /tmp/pwned`' ]
	# "--" after the id ends daxlab's options; the words after it are CMD
	run vm ssh 0 -- echo '-n' '$(touch /tmp/pwned)'
	echo "$output"
	[ "$output" = '-n $(touch /tmp/pwned)' ] || [ "$output" = '$(touch /tmp/pwned)' ]
	run vm ssh 0 ls /tmp/pwned
	[ "$status" -ne 0 ]
	[ ! -e /tmp/pwned ]
	vm stop 0 -q
	nothing_left "$T"
}

@test "a guest rebooted mid-run: the monitor reopens its connection, gap reported, local rows go on" {
	vm start 0 -q
	vm ssh 0 sh -c "$GETCONF"
	"$DAXLAB" stats monitor --ssh-config "$T/state/ssh_config" --interval 200 \
		--cgroups g=vm0:/sys/fs/cgroup/memory.numa_stat l=/sys/fs/cgroup/memory \
		--stats file --output "$T/out.csv" 2>"$T/err" &
	MON=$!
	for _ in $(seq 100); do
		[ "$(ticks_of "$T/out.csv" g | wc -l)" -ge 3 ] && break
		sleep 0.2
	done
	[ "$(ticks_of "$T/out.csv" g | wc -l)" -ge 3 ]
	# the tiny guest's qemu runs with -no-reboot: a reboot ends it, and
	# daxlab boots the VM again
	vm ssh 0 reboot || true
	for _ in $(seq 100); do
		vm status 0 | grep -q "stopped" && break
		sleep 0.2
	done
	vm stop 0 -q
	local before
	before=$(ticks_of "$T/out.csv" g | wc -l)
	vm start 0 -q
	vm ssh 0 sh -c "$GETCONF"
	# the monitor's back-off is at most 30 s
	for _ in $(seq 300); do
		[ "$(ticks_of "$T/out.csv" g | wc -l)" -ge $((before + 3)) ] && break
		sleep 0.2
	done
	kill -INT "$MON"
	wait "$MON"
	MON=
	cat "$T/err"
	[ "$(ticks_of "$T/out.csv" g | wc -l)" -ge $((before + 3)) ]
	grep -q "warning: vm0: connection lost" "$T/err"
	grep -Eq "warning: vm0: reconnected after [0-9.]+ s; gap of [1-9][0-9]* tick" "$T/err"
	# the local source never missed a tick, the guest's has a gap
	[ "$(ticks_of "$T/out.csv" l | wc -l)" -gt "$(ticks_of "$T/out.csv" g | wc -l)" ]
	[ "$(tail -c1 "$T/out.csv" | od -An -c | tr -d ' ')" = '\n' ]
	vm stop 0 -q
	nothing_left "$T"
}

@test "the state folder is created 0700, its VM folders too" {
	rm -rf "$T/state"
	vm start 0 -q
	[ "$(stat -c %a "$T/state")" = 700 ]
	[ "$(stat -c %a "$T/state/vm-0")" = 700 ]
	vm stop 0 -q
	nothing_left "$T"
}

@test "a symlink planted where a pid file goes is refused, and not followed" {
	echo victim >"$T/victim"
	mkdir -p -m 700 "$T/state/vm-0"
	chmod 700 "$T/state"
	ln -s "$T/victim" "$T/state/vm-0/qemu.pid"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/state/vm-0/qemu.pid is a symlink: refusing to use it"* ]]
	[ "$(cat "$T/victim")" = victim ]
	[ -L "$T/state/vm-0/qemu.pid" ]
	rm "$T/state/vm-0/qemu.pid"
	ln -s "$T/victim" "$T/state/vm-0/virtiofsd-private.pid"
	run vm start 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/state/vm-0/virtiofsd-private.pid is a symlink: refusing to use it"* ]]
	[ "$(cat "$T/victim")" = victim ]
	# the planted link is left for its owner to see
	[ -L "$T/state/vm-0/virtiofsd-private.pid" ]
	rm "$T/state/vm-0/virtiofsd-private.pid"
	nothing_left "$T"
}

@test "a symlink planted where a socket goes is refused, and nothing is made where it points" {
	mkdir -p "$T/elsewhere"
	mkdir -p -m 700 "$T/state/vm-0"
	chmod 700 "$T/state"
	local s
	for s in qmp.sock console.sock virtiofsd-private.sock; do
		ln -s "$T/elsewhere/x.sock" "$T/state/vm-0/$s"
		run vm start 0
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$T/state/vm-0/$s is a symlink: refusing to use it"* ]]
		[ -z "$(ls -A "$T/elsewhere")" ]
		rm "$T/state/vm-0/$s"
	done
	nothing_left "$T"
}

# gone PID: no such process, or a zombie its parent has yet to reap
gone() {
	[ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) [ZX]' "/proc/$1/stat"
}

@test "qemu ended by someone else's SIGTERM: status names the signal from qemu's log, stop warns and cleans up" {
	vm start 0 -q
	local pid
	pid=$(pid_of "$T/state/vm-0/qemu.pid")
	kill -TERM "$pid"
	for _ in $(seq 100); do gone "$pid" && break; sleep 0.1; done
	gone "$pid"
	run vm status 0
	echo "$output"
	[[ "$output" == *"vm 0 (vm0): stopped, stale state left (daxlab vm stop cleans it)"* ]]
	[[ "$output" == *"qemu ended     pid $pid: ended on signal 15 (SIGTERM): its log says 'terminating on signal 15 from pid "* ]]
	[[ "$output" != *"OOM"* ]]
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: vm 0: qemu (pid $pid) had died: ended on signal 15 (SIGTERM)"* ]]
	[[ "$output" == *"vm 0 had died (qemu pid $pid gone); cleaned its stale state in $T/state/vm-0: removed "*"qemu.pid"* ]]
	nothing_left "$T"
}

@test "a guest that powered itself off: stop says qemu ended with the guest, no warning, and cleans up" {
	vm start 0 -q
	local pid
	pid=$(pid_of "$T/state/vm-0/qemu.pid")
	vm ssh 0 -- sh -c 'sync; poweroff -f' || true
	for _ in $(seq 300); do gone "$pid" && break; sleep 0.1; done
	gone "$pid"
	run vm status 0
	echo "$output"
	[[ "$output" == *"qemu ended     pid $pid: the guest powered off"* ]]
	run vm stop 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"warning: vm 0"* ]]
	[[ "$output" == *"vm 0 was not running: its qemu (pid $pid) had ended, the guest powered off; cleaned its stale state in $T/state/vm-0: removed "*"qemu.pid"* ]]
	nothing_left "$T"
}
