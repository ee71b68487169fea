#!/usr/bin/env bats
# `daxlab guest build`: the command line, incremental builds, kept keys.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-guest-build.XXXXXX)
}

teardown() {
	rm -rf "$T"
	# The mount point that in_default_dir made, if there was none.
	if [ -e "$T.made-var-lib-daxlab" ]; then
		rmdir /var/lib/daxlab
		rm -f "$T.made-var-lib-daxlab"
	fi
}

# in_default_dir -- CMD...: runs CMD in a mount namespace of its own in
# which /var/lib/daxlab is an empty tmpfs (mode 0755, owned by root), so
# that the default guest folder is written without touching the host's.
# An empty /var/lib/daxlab is made for a mount point (and removed in
# teardown) when the host has none.
in_default_dir() {
	shift
	if [ ! -d /var/lib/daxlab ]; then
		mkdir /var/lib/daxlab
		: >"$T.made-var-lib-daxlab"
	fi
	unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 daxlab-test /var/lib/daxlab && exec "$@"' \
		sh "$@"
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

@test "an output folder that others can write is refused, and nothing is written through a link there" {
	mkdir -m 0777 "$T/g"
	: >"$T/victim"
	ln -s "$T/victim" "$T/g/.initrd.img.tmp"
	ln -s "$T/victim" "$T/g/known_hosts"
	run "$D" guest build --quiet --output "$T/g"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/g is writable by group or others: a build there could be made to write through links that others put in it"* ]]
	[ ! -s "$T/victim" ]
	# the same for guest image's folder
	run "$D" guest image --quiet --output "$T/g/x.qcow2" --mirror http://127.0.0.1:9/debian
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/g is writable by group or others"* ]]
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
	rel=$(cd "$T/x/usr/lib/modules" && ls -d */ | tr -d /)
	n() { grep -n "/$1.ko\$" "$list" | cut -d: -f1; }
	builtin() { grep -q "/$1.ko\$" "/lib/modules/$rel/modules.builtin"; }
	# before A B: A loads before B; one built into the kernel is not loaded
	# (Debian 13 builds virtio_pci, fuse and virtiofs in).
	before() {
		if [ -z "$(n "$2")" ]; then builtin "$2"; return; fi
		if [ -z "$(n "$1")" ]; then builtin "$1"; return; fi
		[ "$(n "$1")" -lt "$(n "$2")" ]
	}
	[ -n "$(n ext4)" ] && [ -n "$(n nd_pmem)" ]
	before virtio virtio_pci
	before fuse virtiofs
	before libnvdimm virtio_pmem
	before jbd2 ext4
	# Every module is there, decompressed (.ko.xz on Debian 13): ELF.
	while read -r m; do
		[ -f "$T/x$m" ]
		[ "$(head -c 4 "$T/x$m" | od -An -c | tr -d ' ')" = '177ELF' ]
	done <"$list"
	grep -qf "$T/g/id_ed25519.pub" "$T/x/root/.ssh/authorized_keys"
	# the helper that measures the guest's page cache, the build's own
	cmp "$T/x/usr/libexec/daxlab/daxlab-resident" "$DAXLAB_BUILD/daxlab-resident"
	[ -x "$T/x/usr/libexec/daxlab/daxlab-resident" ]
}

@test "daxlab-resident next to daxlab goes into the guest: a changed one rebuilds it, a missing one is an error" {
	mkdir "$T/bin"
	cp "$D" "$DAXLAB_BUILD/daxlab-resident" "$T/bin/"
	run "$T/bin/daxlab" guest build --output "$T/g"
	[ "$status" -eq 0 ]
	sum=$(sha256sum <"$T/g/initrd.img")
	run "$T/bin/daxlab" guest build --output "$T/g"
	[[ "$output" == *"up to date"* ]]
	# a static program with a byte more still runs: another helper
	printf '\0' >>"$T/bin/daxlab-resident"
	run "$T/bin/daxlab" guest build --output "$T/g"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built $T/g/initrd.img"* ]]
	[ "$(sha256sum <"$T/g/initrd.img")" != "$sum" ]
	zcat "$T/g/initrd.img" | (cd "$T" && mkdir x && cd x && cpio -id --quiet usr/libexec/daxlab/daxlab-resident)
	cmp "$T/x/usr/libexec/daxlab/daxlab-resident" "$T/bin/daxlab-resident"
	# none next to it, and none installed: said, nothing built
	rm "$T/bin/daxlab-resident"
	if [ ! -e /usr/local/libexec/daxlab/daxlab-resident ]; then
		run --separate-stderr "$T/bin/daxlab" guest build --output "$T/g" --force
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"guest build: no daxlab-resident next to daxlab or in /usr/local/libexec/daxlab"* ]]
	fi
}

@test "--help names the default folder, /var/lib/daxlab/guest" {
	run --separate-stderr "$D" guest build --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"-o, --output DIR     where to write it (default: /var/lib/daxlab/guest)"* ]]
	[[ "$output" == *"without [lab] guest_dir boots the guest from /var/lib/daxlab/guest"* ]]
}

@test "without --output the guest goes to /var/lib/daxlab/guest; a config without guest_dir uses it and its key" {
	printf '[lab]\nstate_dir = %s/state\n[vm 0]\nimage = %s/vm0.img\n[vm 1]\n' \
		"$T" "$T" >"$T/lab.ini"
	# In the namespace: build, list the folder, write a cloud-init seed
	# (it reads the lab's public key through the config's ssh key).
	cat >"$T/inside.sh" <<'INSIDE'
set -e
"$1" guest build
ls /var/lib/daxlab/guest >"$2/listing"
cp /var/lib/daxlab/guest/id_ed25519.pub "$2/key.pub"
"$1" guest cloud-init --quiet --config "$2/lab.ini" --output "$2/seed.img" 0
INSIDE
	run in_default_dir -- sh "$T/inside.sh" "$D" "$T"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built /var/lib/daxlab/guest/initrd.img"* ]]
	for f in vmlinuz initrd.img id_ed25519 id_ed25519.pub known_hosts; do
		grep -qx "$f" "$T/listing"
	done
	mtype -i "$T/seed.img" ::user-data | grep -qF "\"$(cat "$T/key.pub")\""
	# The namespace's tmpfs did not leak into the host.
	! grep -q ' /var/lib/daxlab ' /proc/mounts || false

	run "$D" vm cmdline --no-probe --config "$T/lab.ini" 1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" -kernel /var/lib/daxlab/guest/vmlinuz -initrd /var/lib/daxlab/guest/initrd.img "* ]]
}

@test "a user who cannot write the default folder is told to give --output" {
	# A copy that the user nobody can run, wherever the checkout is (with
	# the helper the guest carries, which a build has next to daxlab).
	chmod 755 "$T"
	cp "$D" "$DAXLAB_BUILD/daxlab-resident" "$T/"
	run in_default_dir -- setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$T/daxlab" guest build --quiet
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/var/lib/daxlab/guest: Permission denied (the default folder: run as root, or give --output DIR and set [lab] guest_dir to it)"* ]]
}
