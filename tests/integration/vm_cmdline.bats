#!/usr/bin/env bats
# `daxlab vm cmdline` over the example configurations, against golden files
# in tests/golden/vm-cmdline/CONFIG-ID. --no-probe keeps them independent of
# this machine (it assumes KVM, the C virtiofsd and a qemu with cache-size,
# and does not measure virtio-pmem images); the checkout's path is written
# @TOP@. To update them after a deliberate change:
#   DAXLAB_UPDATE_GOLDEN=1 tests/run --no-san tests/integration/vm_cmdline.bats

DAXLAB=${DAXLAB_BUILD:-}/daxlab
GOLDEN=${DAXLAB_TOP:-}/tests/golden/vm-cmdline

# golden CONFIG ID [FILE]: compares (or rewrites) one golden file; the
# configuration is examples/CONFIG.ini, or FILE.
golden() {
	local out
	out=$("$DAXLAB" vm cmdline --no-probe --config \
		"${3:-$DAXLAB_TOP/examples/$1.ini}" "$2" | sed "s|$DAXLAB_TOP|@TOP@|g")
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

@test "cmdline of a Debian 13 lab host's vm 0 (KVM, the Rust virtiofsd) matches its golden file" {
	golden trixie 0 "$DAXLAB_TOP/tests/fixtures/config/trixie.ini"
}

@test "cmdline of a Debian 13 lab host's vm 1 matches its golden file" {
	golden trixie 1 "$DAXLAB_TOP/tests/fixtures/config/trixie.ini"
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
	[ "${lines[0]}" = "/usr/libexec/virtiofsd --socket-path $T/st,ate/vm-0/virtiofsd-s.sock --shared-dir '$T/a b,c' --cache always" ]
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

# fake_virtiofsd PATH KIND: a virtiofsd at PATH that answers --help and
# --version as the captured one of KIND (rust-1.13.2 or c-7.2) does.
fake_virtiofsd() {
	mkdir -p "${1%/*}"
	printf '#!/bin/sh\ncase "$1" in\n--help) cat %s/virtiofsd-%s.help ;;\n--version) cat %s/virtiofsd-%s.version ;;\nesac\n' \
		"$DAXLAB_TOP/tests/fixtures/qemu" "$2" "$DAXLAB_TOP/tests/fixtures/qemu" "$2" >"$1"
	chmod 755 "$1"
}

@test "cmdline takes the virtiofsd style from its --help and --version, not from its path" {
	mkdir -p "$T/p0"
	# a Rust virtiofsd where Debian 12 keeps the C one, and the other way round
	fake_virtiofsd "$T/usr/lib/qemu/virtiofsd" rust-1.13.2
	fake_virtiofsd "$T/usr/libexec/virtiofsd" c-7.2
	for f in "$T/usr/lib/qemu/virtiofsd" "$T/usr/libexec/virtiofsd"; do
		printf '[lab]\nstate_dir = %s/state\nguest_dir = /x\naccel = tcg\n[virtiofsd]\npath = %s\nsandbox = chroot\n[share p]\nsource = %s/p%%i\n[vm 0]\n' \
			"$T" "$f" "$T" >"$T/lab.ini"
		run "$DAXLAB" vm cmdline --config "$T/lab.ini" 0
		echo "$output"
		[ "$status" -eq 0 ]
		case $f in
		*/qemu/*) [ "${lines[0]}" = "$f --socket-path $T/state/vm-0/virtiofsd-p.sock --shared-dir $T/p0 --cache always --sandbox chroot" ] ;;
		*) [ "${lines[0]}" = "$f --socket-path=$T/state/vm-0/virtiofsd-p.sock -o source=$T/p0 -o cache=always -o sandbox=chroot" ] ;;
		esac
	done
	# a virtiofsd that says neither: an error naming it and the way out
	printf '#!/bin/sh\necho hello\n' >"$T/usr/libexec/virtiofsd"
	run "$DAXLAB" vm cmdline --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot tell the option style of virtiofsd '$T/usr/libexec/virtiofsd' from its --help and --version (set [virtiofsd] style = c or rust)"* ]]
	# a configured style that the probe contradicts: a warning
	fake_virtiofsd "$T/usr/libexec/virtiofsd" c-7.2
	sed -i 's/^sandbox = chroot$/style = rust/' "$T/lab.ini"
	grep -qx 'style = rust' "$T/lab.ini"
	run "$DAXLAB" vm cmdline --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: [virtiofsd] style = rust, but the --help of $T/usr/libexec/virtiofsd is that of the c virtiofsd"* ]]
	[[ "$output" == *"$T/usr/libexec/virtiofsd --socket-path $T/state/vm-0/virtiofsd-p.sock --shared-dir $T/p0 --cache always"* ]]
}

@test "cmdline with sandbox = none and the C virtiofsd is an error" {
	mkdir -p "$T/p0"
	printf '[lab]\nstate_dir = %s/state\nguest_dir = /x\n[virtiofsd]\nstyle = c\nsandbox = none\n[share p]\nsource = %s/p%%i\n[vm 0]\n' \
		"$T" "$T" >"$T/lab.ini"
	run "$DAXLAB" vm cmdline --no-probe --config "$T/lab.ini" 0
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"[virtiofsd] sandbox = none: the C virtiofsd (/usr/lib/qemu/virtiofsd) has only namespace and chroot"* ]]
}
