#!/usr/bin/env bats
# `daxlab vm cmdline` over the example configurations, against golden files
# in tests/golden/vm-cmdline/CONFIG-ID. --no-probe keeps them independent of
# this machine (it assumes KVM, the C virtiofsd and a qemu with cache-size,
# and does not measure virtio-pmem images); the checkout's path is written
# @TOP@. To update them after a deliberate change:
#   DAXLAB_UPDATE_GOLDEN=1 tests/run --no-san tests/integration/vm_cmdline.bats

DAXLAB=${DAXLAB_BUILD:-}/daxlab
GOLDEN=${DAXLAB_TOP:-}/tests/golden/vm-cmdline

# golden CONFIG ID: compares (or rewrites) one golden file.
golden() {
	local out
	out=$("$DAXLAB" vm cmdline --no-probe --config \
		"$DAXLAB_TOP/examples/$1.ini" "$2" | sed "s|$DAXLAB_TOP|@TOP@|g")
	if [ -n "${DAXLAB_UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$out" >"$GOLDEN/$1-$2"
	fi
	diff -u "$GOLDEN/$1-$2" <(printf '%s\n' "$out")
}

setup() {
	T=$(mktemp -d /tmp/daxlab-vm-cmdline.XXXXXX)
}

teardown() {
	rm -rf "$T"
}

@test "cmdline of the seed's vm 0 matches its golden file" {
	golden seed 0
}

@test "cmdline of the seed's vm 1 matches its golden file" {
	golden seed 1
}

@test "cmdline of the demo's vm 0 matches its golden file" {
	golden demo 0
}

@test "cmdline of the demo's vm 1 matches its golden file" {
	golden demo 1
}

@test "qemuctl ID is vm cmdline ID" {
	[ -L "$DAXLAB_BUILD/qemuctl" ]
	diff <("$DAXLAB_BUILD/qemuctl" --no-probe --config "$DAXLAB_TOP/examples/seed.ini" 0) \
		<("$DAXLAB" vm cmdline --no-probe --config "$DAXLAB_TOP/examples/seed.ini" 0)
}

@test "cmdline refuses a DAX window when the qemu at hand has no cache-size" {
	mkdir -p "$T/s"
	printf '[lab]\nstate_dir = %s/state\nguest_dir = /x\n[share s]\nsource = %s/s\ndax_window = 1G\n[vm 0]\n' \
		"$T" "$T" >"$T/lab.ini"
	run "$DAXLAB" vm cmdline --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[share s]: dax_window = 1073741824 bytes needs a qemu whose vhost-user-fs-pci has 'cache-size'"*"backend = virtio-pmem"* ]]
}

@test "cmdline on this machine probes TCG and the C virtiofsd" {
	mkdir -p "$T/s" "$T/p0"
	printf '[lab]\nstate_dir = %s/state\nimage_dir = %s/images\nguest_dir = /x\n[share s]\nsource = %s/s\nbackend = virtio-pmem\n[share p]\nsource = %s/p%%i\n[vm 0]\n' \
		"$T" "$T" "$T" "$T" >"$T/lab.ini"
	run "$DAXLAB" vm cmdline --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-2]}" = "/usr/lib/qemu/virtiofsd --socket-path=$T/state/vm-0/virtiofsd-p.sock -o source=$T/p0 -o cache=always" ]
	[[ "${lines[-1]}" == *" -accel tcg -cpu max "* ]]
	[[ "${lines[-1]}" == *" -m 512M,slots=1,maxmem=576M "* ]]
	[[ "${lines[-1]}" == *"mem-path=$T/images/share-s.img,size=64M,share=on,readonly=on -device virtio-pmem-pci,memdev=pm0,id=pmem0 "* ]]
	[[ "${lines[-1]}" == *"-append 'console=ttyS0 panic=-1 daxlab.name=vm0 daxlab.pmem=0:/mnt/s daxlab.virtiofs=p:/mnt/p'"* ]]
	[ ! -e "$T/state" ]
	[ ! -e "$T/images" ]
}

@test "cmdline quotes words with spaces and commas for the shell and for qemu" {
	mkdir -p "$T/a b,c"
	printf '[lab]\nstate_dir = %s/st,ate\nguest_dir = /x\n[virtiofsd]\nstyle = rust\n[share s]\nsource = %s/a b,c\n[vm 0]\nappend = quiet\n' \
		"$T" "$T" >"$T/lab.ini"
	run "$DAXLAB" vm cmdline --no-probe --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/usr/lib/qemu/virtiofsd --socket-path $T/st,ate/vm-0/virtiofsd-s.sock --shared-dir '$T/a b,c' --cache always" ]
	[[ "${lines[1]}" == *"path=$T/st,,ate/vm-0/virtiofsd-s.sock "* ]]
}

@test "cgctl ID is vm start ID" {
	[ -L "$DAXLAB_BUILD/cgctl" ]
	diff <("$DAXLAB_BUILD/cgctl" --dry-run --config "$DAXLAB_TOP/tests/fixtures/config/minimal.ini" 0 2>&1) \
		<("$DAXLAB" vm start --dry-run --config "$DAXLAB_TOP/tests/fixtures/config/minimal.ini" 0 2>&1)
	run "$DAXLAB_BUILD/cgctl" --dry-run --config "$DAXLAB_TOP/tests/fixtures/config/minimal.ini" 0
	[[ "$output" == *"step 'check the configuration' failed: kernel '/g/vmlinuz': No such file or directory"* ]]
}

@test "vm with no command, an unknown command or option is a usage error" {
	run "$DAXLAB" vm
	[ "$status" -eq 1 ]
	[[ "$output" == *"Try 'daxlab vm --help'"* ]]
	run "$DAXLAB" vm reboot 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown command 'reboot'"* ]]
	run "$DAXLAB" vm start --bogus 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"Try 'daxlab vm start --help'"* ]]
	run "$DAXLAB" vm cmdline --timeout 3 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"--timeout is for start"* ]]
}

@test "a bad config is an error naming file, line, key and value" {
	printf '[lab]\nguest_dir = /g\n[vm 0]\nmemory = lots\n' >"$T/bad.ini"
	run "$DAXLAB" vm cmdline --config "$T/bad.ini" 0
	[ "$status" -eq 1 ]
	[ "$output" = "daxlab: $T/bad.ini:4: key 'memory': bad value 'lots': expected a size such as 512M or 4G" ]
}

@test "without --config, \$DAXLAB_CONFIG names the file" {
	printf '[lab]\nguest_dir = /g\n[vm 7]\n' >"$T/env.ini"
	DAXLAB_CONFIG=$T/env.ini run "$DAXLAB" vm cmdline --no-probe 7
	[ "$status" -eq 0 ]
	[[ "$output" == *"-name vm7,debug-threads=on"* ]]
	DAXLAB_CONFIG=$T/nope.ini run "$DAXLAB" vm status
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nope.ini: No such file or directory"* ]]
}
