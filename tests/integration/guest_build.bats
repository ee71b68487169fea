#!/usr/bin/env bats
# `daxlab guest build`: the command line, incremental builds, kept keys.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-guest-build.XXXXXX)
}

teardown() {
	rm -rf "$T"
}

@test "guest build --help prints usage on stdout, exit 0" {
	run --separate-stderr "$D" guest build --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"daxlab guest build"* ]]
	[[ "$output" == *"--install-deps"* ]]
	[ -z "$stderr" ]
}

@test "an unknown option is a usage error naming it" {
	run --separate-stderr "$D" guest build --bogus
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'--bogus'"* ]]
	[[ "$stderr" == *"Try 'daxlab guest build --help'"* ]]
}

@test "a missing kernel is named" {
	run "$D" guest build --quiet --output "$T/g" --kernel "$T/no-vmlinuz"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/no-vmlinuz"* ]]
}

@test "a rebuild with unchanged inputs is up to date; a changed init rebuilds; keys are kept" {
	cp "$DAXLAB_TOP/guest/init" "$T/init"
	run "$D" guest build --output "$T/g" --init "$T/init"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built $T/g/initrd.img"* ]]
	key=$(cat "$T/g/id_ed25519.pub")
	hk=$(cat "$T/g/known_hosts")
	sum=$(sha256sum <"$T/g/initrd.img")

	run "$D" guest build --output "$T/g" --init "$T/init"
	[ "$status" -eq 0 ]
	[[ "$output" == *"up to date"* ]]
	[ "$(sha256sum <"$T/g/initrd.img")" = "$sum" ]

	echo "# changed" >>"$T/init"
	run "$D" guest build --output "$T/g" --init "$T/init"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built"* ]]
	[ "$(sha256sum <"$T/g/initrd.img")" != "$sum" ]
	[ "$(cat "$T/g/id_ed25519.pub")" = "$key" ]
	[ "$(cat "$T/g/known_hosts")" = "$hk" ]
}

@test "the initramfs holds init, busybox, fio with its loader, dropbear and the modules in load order" {
	run "$D" guest build --quiet --output "$T/g"
	[ "$status" -eq 0 ]
	zcat "$T/g/initrd.img" | (cd "$T" && mkdir x && cd x && cpio -id --quiet)
	[ -x "$T/x/init" ]
	[ -x "$T/x/usr/bin/busybox" ]
	[ -x "$T/x/usr/bin/fio" ]
	[ -x "$T/x/usr/sbin/dropbear" ]
	[ -e "$T/x/usr/lib64/ld-linux-x86-64.so.2" ]
	[ -L "$T/x/lib" ]
	list=$T/x/usr/lib/modules/load.list
	n() { grep -n "/$1.ko\$" "$list" | cut -d: -f1; }
	[ -n "$(n virtio_pci)" ] && [ -n "$(n ext4)" ] && [ -n "$(n nd_pmem)" ]
	[ "$(n virtio)" -lt "$(n virtio_pci)" ]
	[ "$(n fuse)" -lt "$(n virtiofs)" ]
	[ "$(n libnvdimm)" -lt "$(n virtio_pmem)" ]
	[ "$(n jbd2)" -lt "$(n ext4)" ]
	while read -r m; do [ -f "$T/x$m" ]; done <"$list"
	grep -qf "$T/g/id_ed25519.pub" "$T/x/root/.ssh/authorized_keys"
}
