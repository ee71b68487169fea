#!/usr/bin/env bats
# tests/labhost/spinning-vcpus, the parser behind "labhost deadlock", on
# the registers qemu printed while a lab host's kernel was deadlocked
# (tests/fixtures/qemu/README) and on copies edited to one healthy vCPU.

bats_require_minimum_version 1.5.0

setup() {
	SPIN=$DAXLAB_TOP/tests/labhost/spinning-vcpus
	REGS=$DAXLAB_TOP/tests/fixtures/qemu/info-registers-deadlock
	[ -x "$SPIN" ] && [ -f "$REGS" ]
}

# cpu1 SED: the fixture with sed's script applied to CPU#1's RIP line
cpu1() { sed "/^CPU#1/,\$ { /^RIP=/ $1 }" "$REGS"; }

@test "the deadlocked lab host: every vCPU named with its address" {
	run -0 "$SPIN" <"$REGS"
	[ "${lines[0]}" = "CPU#0 RIP=ffffffffabb1e94f" ]
	[ "${lines[1]}" = "CPU#1 RIP=ffffffffabb1e94f" ]
	[ ${#lines[@]} -eq 2 ]
}

@test "one vCPU with interrupts on: nothing" {
	for rfl in 00000202 00000246 00000282 00000a02 00000f02 00000302; do
		run -0 "$SPIN" < <(cpu1 "s/RFL=00000002/RFL=$rfl/")
		[ -z "$output" ] || { echo "RFL=$rfl: $output"; false; }
	done
}

@test "interrupts off in flags without IF: still spinning" {
	for rfl in 00000006 00000046 00000086 00000c02 00000d02 00001002; do
		run -0 "$SPIN" < <(cpu1 "s/RFL=00000002/RFL=$rfl/")
		[ ${#lines[@]} -eq 2 ] || { echo "RFL=$rfl: $output"; false; }
	done
}

@test "one vCPU in user space: nothing" {
	run -0 "$SPIN" < <(cpu1 's/CPL=0/CPL=3/')
	[ -z "$output" ]
}

@test "a lab host with one vCPU, spinning: that one" {
	run -0 "$SPIN" < <(sed '/^CPU#1/,$d' "$REGS")
	[ "$output" = "CPU#0 RIP=ffffffffabb1e94f" ]
}

@test "no registers (a QMP error, an empty answer): nothing" {
	run -0 "$SPIN" </dev/null
	[ -z "$output" ]
	run -0 "$SPIN" < <(grep -v '^RIP=' "$REGS")
	[ -z "$output" ]
}
