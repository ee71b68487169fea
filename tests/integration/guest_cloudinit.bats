#!/usr/bin/env bats
# `daxlab guest cloud-init ID`: NoCloud seeds for guest images of your own.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-guest-ci.XXXXXX)
	mkdir -p "$T/images"
	ssh-keygen -q -t ed25519 -N '' -C ci-test -f "$T/key"
	cat >"$T/lab.ini" <<EOF
[lab]
ssh_key = key

[share shared]
tag = daxfs-shared
source = $T/shared
mount = /srv/dax/shared
options = dax=always

[vm 0]
image = images/vm0.img
EOF
}

teardown() {
	rm -rf "$T"
}

@test "cloud-init writes a CIDATA vfat seed next to the VM's image" {
	run "$D" guest cloud-init --config "$T/lab.ini" 0
	[ "$status" -eq 0 ]
	[[ "$output" == *"$T/images/seed-0.img"* ]]
	mlabel -s -i "$T/images/seed-0.img" :: | grep -q 'Volume label is CIDATA'
	mtype -i "$T/images/seed-0.img" ::meta-data | grep -qx 'instance-id: daxlab-vm0'
}

@test "the seed's user-data gives root the lab key, mounts the shares with systemd units and runs fio --server" {
	"$D" guest cloud-init --quiet --config "$T/lab.ini" --output "$T/seed.img" 0
	mtype -i "$T/seed.img" ::user-data >"$T/user-data"
	head -1 "$T/user-data" | grep -qx '#cloud-config'
	grep -qF "\"$(cat "$T/key.pub")\"" "$T/user-data"
	grep -q '^disable_root: false$' "$T/user-data"
	grep -qF -- '- path: "/etc/systemd/system/srv-dax-shared.mount"' "$T/user-data"
	grep -qx '      What=daxfs-shared' "$T/user-data"
	grep -qx '      Type=virtiofs' "$T/user-data"
	grep -qx '      Options=dax=always' "$T/user-data"
	grep -q 'ExecStart=fio --server' "$T/user-data"
	# no mounts: (virtiofs tags are dropped) and no packages: (no mirror)
	! grep -q '^mounts:' "$T/user-data" || false
	! grep -q '^packages:' "$T/user-data" || false
	# the network qemu's user net forwards to
	mtype -i "$T/seed.img" ::network-config | grep -qx '    addresses: \[10.0.2.15/24\]'
}

@test "a seed whose name starts with '-' is written as named, not taken for an option" {
	cd "$T"
	"$D" guest cloud-init --quiet --config "$T/lab.ini" --output -n.img 0
	mlabel -s -i ./-n.img :: | grep -q 'Volume label is CIDATA'
	[ ! -e ./-n.img.tmp ]
}

@test "cloud-init for an unknown VM names it" {
	run "$D" guest cloud-init --config "$T/lab.ini" 7
	[ "$status" -eq 1 ]
	[[ "$output" == *"no [vm 7]"* ]]
}

@test "cloud-init without the lab's public key names the file" {
	rm "$T/key.pub"
	run "$D" guest cloud-init --config "$T/lab.ini" 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/key.pub"* ]]
	[ ! -e "$T/images/seed-0.img" ]
}

@test "cloud-init without an ID is a usage error" {
	run --separate-stderr "$D" guest cloud-init --config "$T/lab.ini"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Try 'daxlab guest cloud-init --help'"* ]]
}

@test "cloud-init --output - is a usage error, and writes no file named '-'" {
	cd "$T"
	run --separate-stderr "$D" guest cloud-init --config "$T/lab.ini" --output - 0
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--output wants a file"*"not '-'"* ]]
	[[ "$stderr" == *"Try 'daxlab guest cloud-init --help'"* ]]
	[ -z "$output" ]
	[ ! -e "$T/-" ] && [ ! -e "$T/-.tmp" ]
}
