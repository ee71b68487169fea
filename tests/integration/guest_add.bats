#!/usr/bin/env bats
# `daxlab guest build --add HOST[:GUEST]`: extra host files in the tiny guest.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-guest-add.XXXXXX)
	printf 'hello from the host\n' >"$T/hello"
	chmod 0750 "$T/hello"
}

teardown() {
	mountpoint -q "$T/x/proc" 2>/dev/null && umount "$T/x/proc"
	rm -rf "$T"
}

# unpack: the initramfs of $T/g into $T/x.
unpack() {
	rm -rf "$T/x"
	mkdir "$T/x"
	zcat "$T/g/initrd.img" | (cd "$T/x" && cpio -id --quiet)
}

@test "--help and the man page name --add" {
	run --separate-stderr "$D" guest build --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--add HOST[:GUEST]"* ]]
	grep -qF '.BR \-a ", " \-\-add " " \fIHOST\fR[\fB:\fR\fIGUEST\fR]' \
		"$DAXLAB_TOP/man/daxlab-guest.1"
}

@test "--add HOST:GUEST puts the file at GUEST with its contents and mode" {
	run "$D" guest build --quiet --output "$T/g" --add "$T/hello:/etc/lab/hello"
	[ "$status" -eq 0 ]
	unpack
	cmp "$T/hello" "$T/x/etc/lab/hello"
	[ "$(stat -c %a "$T/x/etc/lab/hello")" = 750 ]
}

@test "--add HOST alone keeps the host's path; a path under bin lands behind the bin link" {
	run "$D" guest build --quiet --output "$T/g" --add "$T/hello" \
		--add "$T/hello:/bin/hello-tool"
	[ "$status" -eq 0 ]
	unpack
	cmp "$T/hello" "$T/x$T/hello"
	# /bin is a link to usr/bin in the guest, as on the host
	[ -L "$T/x/bin" ]
	[ -f "$T/x/usr/bin/hello-tool" ]
}

@test "--add of an ELF program brings the libraries ldd lists, and it runs there" {
	run "$D" guest build --quiet --output "$T/g" \
		--add "$D:/usr/bin/daxlab-copy"
	[ "$status" -eq 0 ]
	unpack
	while read -r lib; do
		[ -e "$T/x$lib" ] || [ -e "$T/x$(realpath "$(dirname "$lib")")/$(basename "$lib")" ]
	done < <(ldd "$D" | awk '/=> \// { print $3 } /^\t\// { print $1 }')
	# as in the guest, /proc is there (the sanitizers need it too)
	mount -t proc proc "$T/x/proc"
	run chroot "$T/x" /usr/bin/daxlab-copy --version
	umount "$T/x/proc"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *daxlab* ]]
}

@test "an added file that changes rebuilds the guest; unchanged, it is up to date" {
	run "$D" guest build --output "$T/g" --add "$T/hello:/etc/hello"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built"* ]]
	run "$D" guest build --output "$T/g" --add "$T/hello:/etc/hello"
	[ "$status" -eq 0 ]
	[[ "$output" == *"up to date"* ]]
	echo "changed" >>"$T/hello"
	run "$D" guest build --output "$T/g" --add "$T/hello:/etc/hello"
	[ "$status" -eq 0 ]
	[[ "$output" == *"built"* ]]
	unpack
	[ "$(tail -1 "$T/x/etc/hello")" = changed ]
	# dropping the file is a change too
	run "$D" guest build --output "$T/g"
	[[ "$output" == *"built"* ]]
	unpack
	[ ! -e "$T/x/etc/hello" ]
}

@test "--add onto a file the builder makes is refused, naming it" {
	run "$D" guest build --quiet --output "$T/g" --add "$T/hello:/init"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/hello"* ]]
	[[ "$output" == *"/init is already in the guest"* ]]
	[ ! -e "$T/g/initrd.img" ]
}

@test "--add of a missing file or a folder names it" {
	run "$D" guest build --quiet --output "$T/g" --add "$T/nothing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nothing: No such file or directory"* ]]
	run "$D" guest build --quiet --output "$T/g" --add "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T: not a regular file"* ]]
}

@test "--add with a relative guest path is a usage error" {
	run --separate-stderr "$D" guest build --output "$T/g" --add "$T/hello:etc/hello"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"'etc/hello' is not absolute"* ]]
	[[ "$stderr" == *"Try 'daxlab guest build --help'"* ]]
}
