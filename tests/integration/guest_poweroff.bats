#!/usr/bin/env bats
# The tiny guest powers off on the ACPI power button (QMP system_powerdown),
# so `daxlab vm stop` ends it cleanly without falling back to QMP quit.
# One VM (TCG) with a virtiofs and a virtio-pmem share, started by daxlab
# once for the file (vm 0 of vm_helpers' lab); the tests look at it in
# order, the stop comes last but one. stop_timeout is 60 s: a guest that ignored the button would make the
# stop say "did not power off: QMP quit" (lib/vm.c).

load vm_helpers

setup_file() {
	build_guest
	export T
	T=$(mktemp -d /tmp/daxlab-poweroff-test.XXXXXX)
	make_lab "$T"
	# a guest that ignored the button would make the stop wait all of it
	sed -i 's/^stop_timeout = .*/stop_timeout = 60/' "$T/lab.ini"
	grep -q '^stop_timeout = 60$' "$T/lab.ini"
	local rc=0
	"$DAXLAB" vm start 0 --config "$T/lab.ini" >"$T/start.out" 2>&1 ||
		rc=$?
	echo "$rc" >"$T/start.rc"
}

teardown_file() {
	cleanup_lab "$T"
}

@test "the VM with the tiny guest starts" {
	cat "$T/start.out"
	[ "$(cat "$T/start.rc")" = 0 ]
	grep -q "vm 0 is up" "$T/start.out"
}

@test "acpid runs in the guest and the kernel has an ACPI power button" {
	run "$DAXLAB" vm ssh --config "$T/lab.ini" 0 pidof acpid
	echo "$output"
	[ "$status" = 0 ]
	[ -n "$output" ]
	run "$DAXLAB" vm ssh --config "$T/lab.ini" 0 sh -c \
		'cat /sys/class/input/event*/device/name'
	echo "$output"
	[[ "$output" == *"Power Button"* ]]
}

@test "vm stop powers the guest off by the power button, without QMP quit" {
	# A file the guest wrote on its virtiofs share, still open for
	# writing: the clean shutdown unmounts the share under it.
	"$DAXLAB" vm ssh --config "$T/lab.ini" 0 sh -c \
		'echo written >/mnt/private/late &&
		setsid sleep 1000 >>/mnt/private/late 2>&1 </dev/null &'
	kill -0 "$(pid_of "$T/state/vm-0/qemu.pid")"
	run "$DAXLAB" vm stop 0 --config "$T/lab.ini"
	echo "$output"
	echo "$output" >"$T/stop.out"
	[ "$status" = 0 ]
	[[ "$output" == *"powering vm 0 down"* ]]
	[[ "$output" == *"vm 0 stopped"* ]]
	[[ "$output" != *"did not power off"* ]]
	[[ "$output" != *"SIGTERM"* ]]
}

@test "the guest's console shows its own clean poweroff" {
	cat "$T/state/vm-0/console.log" | tail -n 20
	grep -q "^DAXLAB-POWEROFF" "$T/state/vm-0/console.log"
	# busybox init's shutdown, then the kernel's last word
	grep -q "Requesting system poweroff" "$T/state/vm-0/console.log"
	grep -q "reboot: Power down" "$T/state/vm-0/console.log"
	[ "$(cat "$T/private/vm0/late")" = written ]
}

@test "after the stop nothing of the VM is left" {
	nothing_left "$T"
}
