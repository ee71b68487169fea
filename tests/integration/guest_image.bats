#!/usr/bin/env bats
# issue 15: guests from a distribution image. `daxlab guest image` builds a
# Debian qcow2 once (cached under build/test-image), VMs boot qcow2
# overlays of it with a cloud-init seed made at start, and the demo runs
# on them as on the tiny guest. A seed whose mount cannot work, an image
# without fio and one with another fio each stop the start with their own
# error. Boots run under TCG: take the shared VM lock around this file
# (flock /tmp/daxlab-vm.lock tests/run ... guest_image.bats).

bats_require_minimum_version 1.5.0

load run_helpers

IMAGES=$top/build/test-image
BASE=$IMAGES/debian-bookworm.qcow2

# debugfs_image RAW CMDS: debugfs -w on the image's root file system (the
# second partition, after the 1 MiB gap and the 64 MiB boot partition)
debugfs_image() {
	printf '%s\n' "$2" >"$1.cmds"
	debugfs -w -f "$1.cmds" "$1?offset=$((65 * 1048576))" >"$1.debugfs.log" 2>&1
	rm -f "$1.cmds"
}

# The two broken images the tests need, made from the base with debugfs
# (no mount), remade when the base is newer: one without fio (raw, so a
# raw base is tried too), one whose fio says another version (qcow2).
make_variants() {
	local raw=$IMAGES/nofio.raw other=$IMAGES/otherfio.qcow2
	if [ ! -s "$raw" ] || [ "$BASE" -nt "$raw" ]; then
		qemu-img convert -f qcow2 -O raw "$BASE" "$raw.tmp"
		debugfs_image "$raw.tmp" "rm /usr/bin/fio"
		mv "$raw.tmp" "$raw"
	fi
	if [ ! -s "$other" ] || [ "$BASE" -nt "$other" ]; then
		printf '#!/bin/sh\n[ "$1" = --version ] && { echo fio-3.1; exit 0; }\nexec sleep infinity\n' \
			>"$IMAGES/fakefio"
		qemu-img convert -f qcow2 -O raw "$BASE" "$other.raw"
		debugfs_image "$other.raw" "rm /usr/bin/fio
write $IMAGES/fakefio /usr/bin/fio
sif /usr/bin/fio mode 0100755"
		qemu-img convert -f raw -O qcow2 "$other.raw" "$other.tmp"
		rm -f "$other.raw"
		mv "$other.tmp" "$other"
	fi
}

setup_file() {
	local t0=$SECONDS
	mkdir -p "$IMAGES"
	"$DAXLAB_BUILD/daxlab" guest image --quiet --output "$BASE"
	echo "# guest image: $((SECONDS - t0)) s (cached once built)" >&3
	make_variants
}

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-image-test.XXXXXX)
	P=dxti$$r$RANDOM
	RUN=
}

teardown() {
	run_teardown
}

# make_image_lab KEY=VALUE...: examples/demo-image.ini on the test image,
# small, private to the test (as make_demo_lab does for demo.ini).
make_image_lab() {
	local kv k v
	make_lab "$T" "$P" "$BASE" demo-image
	for kv in stop_timeout=30 file_size=4M rw=read bs=64k "$@"; do
		k=${kv%%=*} v=${kv#*=}
		sed -i "s|^$k *=.*|$k = $v|" "$T/lab.ini"
		grep -q "^$k = $v\$" "$T/lab.ini"
	done
}

# Folders for `vm start` without `run` (which makes the file sets).
make_data() {
	mkdir -p "$T/data/shared" "$T/data/private/vm0" "$T/data/private/vm1" \
		"$T/data/private/vm2"
	echo shared >"$T/data/shared/hello"
}

# No disk of the lab's VMs is left in image_dir.
assert_no_overlay() {
	local left
	left=$(find "$T/images" -name 'disk.qcow2' -o -name 'seed.img' 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "guest image: a bootable qcow2 with syslinux, fio of the host's version, reused when up to date" {
	[ "$(qemu-img info --output=json "$BASE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" = qcow2 ]
	grep -q "^key [0-9a-f]\{64\}$" "$BASE.inputs"
	grep -qx "release bookworm" "$BASE.inputs"
	grep -qx "fio $(fio --version)" "$BASE.inputs"
	run "$D" guest image --output "$BASE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$BASE is up to date"* ]]
	# the boot partition: kernel, initramfs, syslinux
	qemu-img convert -f qcow2 -O raw "$BASE" "$T/disk.raw"
	run mdir -a -i "$T/disk.raw@@1M"
	[[ "$output" == *vmlinuz* && "$output" == *initrd* && "$output" == *ldlinux* ]]
	mtype -i "$T/disk.raw@@1M" ::syslinux.cfg | grep -q 'root=LABEL=daxlab-root'
}

@test "guest image refuses an unknown release and needs a Debian mirror" {
	run --separate-stderr "$D" guest image --release sid --output "$T/x.qcow2"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--release 'sid': expected bookworm or trixie"* ]]
	[ ! -e "$T/x.qcow2" ]
}

@test "vm start --dry-run shows the overlay on the image and the seed" {
	make_image_lab
	make_data
	run "$D" vm start 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"qemu-img create -q -f qcow2 -b $BASE -F qcow2 $T/images/vm-0/disk.qcow2"* ]]
	[[ "$output" == *"write the NoCloud seed $T/images/vm-0/seed.img"* ]]
	[[ "$output" == *"file=$T/images/vm-0/disk.qcow2,if=virtio,format=qcow2"* ]]
	[[ "$output" == *"file=$T/images/vm-0/seed.img,if=virtio,format=raw,readonly=on"* ]]
	[ ! -e "$T/images/vm-0/disk.qcow2" ]
}

@test "a failed start removes the overlay and the seed; keep_disk = yes keeps them" {
	make_image_lab
	make_data
	# the VM's image folder as an older daxlab left it
	mkdir -p "$T/images/vm-0"
	chmod 0755 "$T/images/vm-0"
	# qemu refuses the argument: the start fails after the disk is made
	sed -i '/^\[vm 0\]/a qemu_args = -no-such-option' "$T/lab.ini"
	run "$D" vm start 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"step 'start qemu' failed"* ]]
	[[ "$output" == *"vm 0: overlay $T/images/vm-0/disk.qcow2 on $BASE"* ]]
	assert_no_overlay
	assert_nothing_left
	sed -i '/^\[vm 0\]/a keep_disk = yes' "$T/lab.ini"
	run "$D" vm start 0 --config "$T/lab.ini"
	[ "$status" -eq 1 ]
	[ -s "$T/images/vm-0/disk.qcow2" ]
	[ -s "$T/images/vm-0/seed.img" ]
	# the guest's writes (its ssh host keys): root's only, in a folder
	# no one else can enter while qemu-img and mkfs.vfat make them
	[ "$(stat -c %a "$T/images/vm-0")" = 700 ]
	[ "$(stat -c %a "$T/images/vm-0/disk.qcow2")" = 600 ]
	qemu-img info "$T/images/vm-0/disk.qcow2" | grep -qx "backing file: $BASE"
	mtype -i "$T/images/vm-0/seed.img" ::meta-data | grep -qx 'instance-id: daxlab-vm0'
	# the seed gives the guest the host key ssh checks: root's only too
	mtype -i "$T/images/vm-0/seed.img" ::user-data | grep -q '^  ed25519_private: "-----BEGIN OPENSSH PRIVATE KEY-----'
	mtype -i "$T/images/vm-0/seed.img" ::user-data | grep -q '^  ed25519_public: "ssh-ed25519 '
	[ "$(stat -c %a "$T/images/vm-0/seed.img")" = 600 ]
	[ ! -e "$T/state/vm-0/ssh_host_ed25519_key" ] && [ ! -e "$T/state/vm-0/known_hosts" ]
	assert_nothing_left
	# without keep_disk, stop removes both, named in full, dry or not
	sed -i '/^keep_disk = yes$/d' "$T/lab.ini"
	run "$D" vm stop 0 --dry-run --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rm $T/images/vm-0/disk.qcow2"* ]]
	[[ "$output" == *"rm $T/images/vm-0/seed.img"* ]]
	[ -s "$T/images/vm-0/disk.qcow2" ]
	run "$D" vm stop 0 --config "$T/lab.ini"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$T/images/vm-0/disk.qcow2 (the VM's overlay), $T/images/vm-0/seed.img"* ]]
	assert_no_overlay
}

@test "the demo runs on two image VMs: shared data through DAX, private through virtio-fs, the base unchanged" {
	make_image_lab size=64M private_ratio=50 access_ratio=50 runtime=${RUNTIME:-8}
	sum0=$(sha256sum <"$BASE")
	t0=$(date +%s)
	run --separate-stderr "$D" run --config "$T/lab.ini" --results "$T/results" --name demo
	t1=$(date +%s)
	echo "$stderr" | tail -40
	dir=$(echo "$T/results/"*-demo)
	boot=$(awk '{ t = $0; sub(/^\[ */, "", t); sub(/s\].*/, "", t) }
		/\] start VMs$/ { s = t } /\] check mounts$/ { e = t }
		END { printf "%.1f", e - s }' "$dir/run.log" 2>/dev/null || true)
	echo "# demo on image VMs: $((t1 - t0)) s, of it start VMs (boot to ready, TCG): ${boot:-?} s" >&3
	[ "$status" -eq 0 ]
	[ "$(cat "$dir/status")" = complete ]
	for f in config.ini provenance.txt cmdlines.txt fio.job fio.json stats.csv residency.csv residency-end.csv report.html summary.txt; do
		[ -s "$dir/$f" ]
	done
	grep -q "^vm 0 qemu: .*file=$T/images/vm-0/disk.qcow2,if=virtio,format=qcow2" "$dir/cmdlines.txt"
	grep -q '^vm.0.shared_dax = yes$' "$dir/provenance.txt"
	grep -q '^vm.1.shared_dax = yes$' "$dir/provenance.txt"
	grep -q '^share.private.vm.0.dax = no$' "$dir/provenance.txt"
	grep -q '^share.private.vm.1.mount = ok virtiofs ' "$dir/provenance.txt"
	python3 "$top/tests/helpers/check-demo" "$dir" "$T/data" ||
		{ rm -rf "$IMAGES/failed-demo"; cp -r "$dir" "$IMAGES/failed-demo"; false; }
	# shared: no guest copy, nothing twice; private: cached twice
	run awk '$1 == "shared" && $2 ~ /^[0-9]/ { print $4, $5, $8 }' "$dir/summary.txt"
	[ "$output" = "dax dax 0.0" ]
	# the base was only read, and no overlay is left after the stop
	[ "$(sha256sum <"$BASE")" = "$sum0" ]
	assert_no_overlay
	assert_nothing_left
}

@test "a seed whose mount cannot work, an image without fio and one with another fio: each its own error, exit 1, nothing left" {
	make_image_lab
	make_data
	make_variants
	# vm 0: a seed of its own that mounts a tag the VM does not have
	sed 's|^tag = private$|tag = nosuch|' "$T/lab.ini" >"$T/bad.ini"
	mkdir -p "$T/key"
	ssh-keygen -q -t ed25519 -N '' -C test -f "$T/key/id_ed25519"
	"$D" guest cloud-init --quiet --config "$T/bad.ini" --output "$T/bad-seed.img" 0
	sed -i '/^\[vm 0\]/a seed = '"$T/bad-seed.img" "$T/lab.ini"
	# vm 1: no fio; vm 2: fio that says 3.1
	sed -i "/^\[vm 1\]/,/^\[/ s|^image = .*|image = $IMAGES/nofio.raw|" "$T/lab.ini"
	cat >>"$T/lab.ini" <<EOF

[vm 2]
cgroup = $P-vm2
node = 0
cpus = 0
vcpus = 1
memory = 512M
image = $IMAGES/otherfio.qcow2
ssh_port = $(free_port)
EOF
	for i in 0 1 2; do
		"$D" vm start "$i" --config "$T/lab.ini" >"$T/out$i" 2>&1 &
		pids[i]=$!
	done
	for i in 0 1 2; do
		rc[i]=0
		wait "${pids[i]}" || rc[i]=$?
		echo "--- vm $i: exit ${rc[i]}"
		cat "$T/out$i"
	done
	for i in 0 1 2; do
		[ "${rc[i]}" -eq 1 ]
		grep -q "step 'check the guest' failed: vm $i: " "$T/out$i"
		grep -q "(console log: $T/state/vm-$i/console.log)" "$T/out$i"
		[ -s "$T/state/vm-$i/console.log" ]
	done
	grep -q "share private (virtiofs private) is not mounted on /mnt/private (mnt-private.mount: failed" "$T/out0"
	grep -q "fio is not installed in the guest" "$T/out1"
	grep -q "fio in the guest (/usr/bin/fio) is fio-3.1, the host's is $(fio --version)" "$T/out2"
	! grep -q "fio is not installed" "$T/out0" || false
	! grep -q "not mounted" "$T/out1" "$T/out2" || false
	assert_no_overlay
	for h in memory cpuset; do
		[ ! -d "/sys/fs/cgroup/$h/$P-vm2" ]
	done
	assert_nothing_left
}
