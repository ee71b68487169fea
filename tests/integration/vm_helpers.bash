# Helpers for the vm*.bats files: a lab in a temporary folder with its own
# state dir, cgroup names and ports, booting the tiny guest under TCG.

DAXLAB=${DAXLAB_BUILD:-}/daxlab
GUEST_DIR=${DAXLAB_TOP:-}/build/test-guest

# free_port: a port for a listener (tests/helpers/free-port)
free_port() { "$DAXLAB_TOP/tests/helpers/free-port"; }

# make_lab DIR: folders with files and DIR/lab.ini for two VMs. Unique
# cgroup names (prefix in DIR/prefix) so that runs never collide.
make_lab() {
	local t=$1 prefix
	prefix=dxt$$r$RANDOM
	echo "$prefix" >"$t/prefix"
	mkdir -p "$t/shared" "$t/private/vm0" "$t/private/vm1"
	echo "shared file" >"$t/shared/hello"
	echo "private 0" >"$t/private/vm0/hello"
	echo "private 1" >"$t/private/vm1/hello"
	cat >"$t/lab.ini" <<EOF
[lab]
state_dir = $t/state
image_dir = $t/images
accel = auto
guest_dir = $GUEST_DIR
boot_timeout = 150
; the tiny guest powers off on the power button in about 3 s under TCG
stop_timeout = 15

[virtiofsd]
cgroup = $prefix-virtiofsd
node = 0
cache = always

[share shared]
tag = shared
source = $t/shared
mount = /mnt/shared
backend = virtio-pmem

[share private]
tag = private
source = $t/private/vm%i
mount = /mnt/private

[vm 0]
cgroup = $prefix-vm0
node = 0
cpus = 0
vcpus = 1
memory = 512M
ssh_port = $(free_port)

[vm 1]
cgroup = $prefix-vm1
cpus = 1
mems = 0
vcpus = 1
memory = 512M
ssh_port = $(free_port)
EOF
}

build_guest() {
	"$DAXLAB" guest build --quiet --output "$GUEST_DIR"
}

# cleanup_lab DIR: stop everything the lab may have left, whatever state.
cleanup_lab() {
	local t=$1 prefix f pid cg
	[ -d "$t" ] || return 0
	"$DAXLAB" vm stop all --config "$t/lab.ini" -q >/dev/null 2>&1
	for f in "$t"/state/vm-*/*.pid; do
		[ -f "$f" ] || continue
		read -r pid _ <"$f"
		kill -9 "$pid" 2>/dev/null
	done
	prefix=$(cat "$t/prefix" 2>/dev/null)
	if [ -n "$prefix" ]; then
		for cg in /sys/fs/cgroup/{cpuset,memory}/"$prefix"-*; do
			[ -d "$cg" ] || continue
			while read -r pid; do kill -9 "$pid" 2>/dev/null; done \
				<"$cg/cgroup.procs"
			sleep 0.2
			rmdir "$cg" 2>/dev/null
		done
	fi
	# tests that mount a file system below their lab
	findmnt -rn -o TARGET | grep "^$t/" | sort -r |
		while read -r m; do umount "$m"; done
	rm -rf "$t"
}

# pid_of FILE: the pid recorded in a daxlab pid file.
pid_of() {
	local pid _
	read -r pid _ <"$1"
	echo "$pid"
}

# gone PID: the process ended. A zombie has: an orphan's exit (its daxlab
# was killed) waits for PID 1 to reap it, which kill -0 still finds.
gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[[ -z "$st" || "$st" == [ZX]* ]]
}

# nothing_left DIR: no process, socket, pid file or cgroup of the lab.
nothing_left() {
	local t=$1 prefix
	prefix=$(cat "$t/prefix")
	if pgrep -f -- "$t/state" >/dev/null; then
		echo "processes left:"
		pgrep -af -- "$t/state"
		return 1
	fi
	if compgen -G "$t/state/vm-*/*.pid" >/dev/null ||
		compgen -G "$t/state/vm-*/*.sock" >/dev/null; then
		echo "files left:"
		ls -l "$t"/state/vm-*/
		return 1
	fi
	if compgen -G "/sys/fs/cgroup/cpuset/$prefix-*" >/dev/null ||
		compgen -G "/sys/fs/cgroup/memory/$prefix-*" >/dev/null; then
		echo "cgroups left:"
		ls -d /sys/fs/cgroup/{cpuset,memory}/"$prefix"-*
		return 1
	fi
}
