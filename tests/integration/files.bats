#!/usr/bin/env bats
# daxlab files (filectl): creation, manifest, residency against fincore,
# evict and warm, and bad input refused before anything is written.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	# not /tmp, which may be a tmpfs that cannot drop its pages
	T=$(mktemp -d /var/tmp/daxlab-files.XXXXXX)
	W=(--size 32M --file-size 2M --private-ratio 25 --hot-ratio 25
		--vms 2 --shared-dir "$T/shared" --private-dir "$T/vm%i")
	MOUNTS=()
	DAMON_ON=
}

teardown() {
	local m
	[ -z "$DAMON_ON" ] || echo off >"$DAMON_ON/state"
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$T"
}

# sum of fincore's resident bytes over the files given
fincore_sum() {
	fincore --bytes --noheadings "$@" | awk '{ s += $1 } END { print s + 0 }'
}

# read_pages FILE FIRST COUNT: pages read with readahead off, so that no
# readahead still in flight changes the cache after we return
read_pages() {
	python3 - "$@" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
first, count = int(sys.argv[2]), int(sys.argv[3])
for p in range(first, first + count):
    os.pread(fd, 4096, p * 4096)
PY
}

# RESIDENT column of `daxlab files residency --bytes` for SET [VM]
resident_of() {
	"$D" files residency "${W[@]}" --bytes | awk -v set="$1" -v vm="${2:--}" \
		'$1 == set && $2 == vm { print $5 }'
}

@test "files --help prints usage to stdout and exits 0" {
	run --separate-stderr "$D" files --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"daxlab files create"* ]]
	[ -z "$stderr" ]
}

@test "files with an unknown option is a usage error with a hint" {
	run --separate-stderr "$D" files create --frob
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"Try 'daxlab files create --help'"* ]]
}

@test "create makes the shared set once and a private set per VM, named by set and temperature" {
	run "$D" files create -q "${W[@]}"
	[ "$status" -eq 0 ]
	# 16 files per VM: 12 shared (3 hot), 4 private (1 hot)
	[ "$(ls "$T/shared" | grep -c '^shared-hot-.*\.dat$')" -eq 3 ]
	[ "$(ls "$T/shared" | grep -c '^shared-cold-.*\.dat$')" -eq 9 ]
	for v in 0 1; do
		[ "$(ls "$T/vm$v" | grep -c '^private-hot-.*\.dat$')" -eq 1 ]
		[ "$(ls "$T/vm$v" | grep -c '^private-cold-.*\.dat$')" -eq 3 ]
	done
	[ "$(stat -c %s "$T/vm1/private-cold-0002.dat")" -eq $((2 << 20)) ]
	# no temporary files left behind
	! ls "$T"/*/*.tmp 2>/dev/null || false
}

@test "the manifest lists every file with set, temperature, VM and size, marker last" {
	"$D" files create -q "${W[@]}"
	m=$T/shared/.daxlab-manifest
	[ "$(grep -vc '^#' "$m")" -eq 20 ]
	grep -qP "^shared\thot\t-\t2097152\t$T/shared/shared-hot-0000.dat$" "$m"
	grep -qP "^private\tcold\t1\t2097152\t$T/vm1/private-cold-0002.dat$" "$m"
	[ "$(tail -n 1 "$m")" = "# complete files=20" ]
}

@test "create writes incompressible data" {
	"$D" files create -q "${W[@]}"
	f=$T/shared/shared-hot-0000.dat
	size=$(stat -c %s "$f")
	[ "$(gzip -1 -c "$f" | wc -c)" -ge "$size" ]
	# and two files differ
	! cmp -s "$f" "$T/shared/shared-hot-0001.dat" || false
}

@test "after create the files are on disk and out of the page cache" {
	"$D" files create -q "${W[@]}"
	[ "$(fincore_sum "$T"/shared/*.dat "$T"/vm*/*.dat)" -eq 0 ]
}

@test "create keeps files of the right size and rewrites the rest; --force rewrites all" {
	"$D" files create -q "${W[@]}"
	kept=$(stat -c %i "$T/shared/shared-cold-0001.dat")
	# an inode number can be reused once freed: mark the kept file too
	touch -d @1000000000 "$T/shared/shared-cold-0001.dat"
	truncate -s 1M "$T/vm0/private-hot-0000.dat"
	run "$D" files create "${W[@]}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 files written"*"19 kept"* ]]
	[ "$(stat -c %i "$T/shared/shared-cold-0001.dat")" = "$kept" ]
	[ "$(stat -c %Y "$T/shared/shared-cold-0001.dat")" = 1000000000 ]
	[ "$(stat -c %s "$T/vm0/private-hot-0000.dat")" -eq $((2 << 20)) ]
	run "$D" files create --force "${W[@]}"
	[ "$status" -eq 0 ]
	[[ "$output" == *"20 files written"* ]]
	[ "$(stat -c %Y "$T/shared/shared-cold-0001.dat")" != 1000000000 ]
}

@test "create removes the set files of an earlier layout, and nothing else" {
	"$D" files create -q "${W[@]}"
	echo keep >"$T/vm0/notes.txt"
	echo keep >"$T/shared/shared-hot-1.dat"
	echo target >"$T/target"
	ln -s "$T/target" "$T/vm1/private-cold-0009.dat"
	echo half >"$T/shared/shared-cold-0011.dat.tmp"
	# another layout, as a sweep point makes it: 8 shared files, no private
	run "$D" files create --size 32M --file-size 4M --private-ratio 0 --access-ratio 0 \
		--hot-ratio 25 --vms 2 --shared-dir "$T/shared" --private-dir "$T/vm%i"
	echo "$output"
	[ "$status" -eq 0 ]
	# 4 shared and 4 private per VM of the old layout, the link, the .tmp
	[[ "$output" == *"14 files of an earlier layout removed"* ]]
	[ "$(cd "$T/shared" && echo *)" = "shared-cold-0000.dat shared-cold-0001.dat shared-cold-0002.dat shared-cold-0003.dat shared-cold-0004.dat shared-cold-0005.dat shared-hot-0000.dat shared-hot-0001.dat shared-hot-1.dat" ]
	[ "$(cd "$T/vm0" && echo *)" = notes.txt ]
	[ -z "$(ls -A "$T/vm1")" ]
	[ "$(cat "$T/target")" = target ]
}

@test "create keeps its own files when one folder is named two ways (the shared set's and a private one, /d and a link to it)" {
	local n
	mkdir "$T/d"
	ln -s "$T/d" "$T/link"
	run "$D" files create --size 32M --file-size 2M --private-ratio 25 \
		--hot-ratio 25 --vms 1 --shared-dir "$T/d" --private-dir "$T/link/"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"earlier layout"* ]]
	# 12 shared and 4 private files, all there, the manifest complete
	n=$(ls "$T/d" | grep -c '^\(shared\|private\)-\(hot\|cold\)-[0-9]*\.dat$')
	[ "$n" -eq 16 ]
	tail -n1 "$T/d/.daxlab-manifest" | grep -qx '# complete files=16'
}

@test "create writes through no link a guest left in its read-write share" {
	"$D" files create -q "${W[@]}"
	# a guest's root may leave links in the private share it mounts
	# read-write; root on the host must not write through them
	printf 'victim\n' >"$T/victim1"
	printf 'victim\n' >"$T/victim2"
	rm "$T/vm0/private-hot-0000.dat" "$T/vm0/private-cold-0000.dat"
	ln -s "$T/victim1" "$T/vm0/private-hot-0000.dat.tmp"
	ln -s "$T/victim2" "$T/vm0/private-cold-0000.dat"
	# the size a kept file would have: a link to it must not be kept
	truncate -s 2M "$T/victim2"
	printf 'victim\n' | dd of="$T/victim2" conv=notrunc status=none
	run "$D" files create "${W[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2 files written"*"18 kept"* ]]
	[ "$(cat "$T/victim1")" = victim ]
	[ "$(head -c 7 "$T/victim2")" = victim ]
	[ "$(stat -c %s "$T/victim2")" -eq $((2 << 20)) ]
	[ -f "$T/vm0/private-hot-0000.dat" ] && [ ! -L "$T/vm0/private-hot-0000.dat" ]
	[ -f "$T/vm0/private-cold-0000.dat" ] && [ ! -L "$T/vm0/private-cold-0000.dat" ]
	[ ! -e "$T/vm0/private-hot-0000.dat.tmp" ] && [ ! -L "$T/vm0/private-hot-0000.dat.tmp" ]
}

@test "residency per set agrees with fincore" {
	"$D" files create -q "${W[@]}"
	cat "$T"/shared/shared-hot-*.dat >/dev/null
	read_pages "$T/shared/shared-cold-0004.dat" 33 77
	read_pages "$T/vm1/private-cold-0001.dat" 5 300
	[ "$(resident_of shared-hot)" -eq "$(fincore_sum "$T"/shared/shared-hot-*.dat)" ]
	[ "$(resident_of shared-hot)" -eq $((3 * 2 << 20)) ]
	want=$(fincore_sum "$T"/shared/shared-cold-*.dat)
	[ "$want" -eq $((77 * 4096)) ]
	[ "$(resident_of shared-cold)" -eq "$want" ]
	want=$(fincore_sum "$T"/vm1/private-cold-*.dat)
	[ "$want" -eq $((300 * 4096)) ]
	[ "$(resident_of private-cold 1)" -eq "$want" ]
	[ "$(resident_of private-cold 0)" -eq 0 ]
	# asking did not bring anything in
	[ "$(resident_of shared-cold)" -eq "$(fincore_sum "$T"/shared/shared-cold-*.dat)" ]
}

@test "residency names a host kernel that pages out page cache on its own (DAMON)" {
	local k= c
	# a kdamond that pages out: one tests/run paused, on for this test
	# only, or one that is on (bats run by hand)
	for c in ${DAXLAB_DAMON_PAUSED:-} /sys/kernel/mm/damon/admin/kdamonds/[0-9]*; do
		[ -d "$c" ] && grep -qx pageout "$c"/contexts/*/schemes/*/action 2>/dev/null || continue
		if [[ " ${DAXLAB_DAMON_PAUSED:-} " == *" $c "* ]]; then
			echo on >"$c/state"
			DAMON_ON=$c
		elif [ "$(cat "$c/state")" != on ]; then
			continue
		fi
		k=$c
		break
	done
	[ -n "$k" ] || skip "this host runs no DAMON kdamond that pages out"
	"$D" files create -q "${W[@]}"
	run --separate-stderr "$D" files residency "${W[@]}" --bytes
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: this host's kernel pages out or moves memory on its own (DAMON kdamond ${k##*/}: pageout of memory not accessed for "*" s"* ]]
	[[ $stderr == *"page cache can leave without memory pressure"* ]]
	# the table is whole
	echo "$output" | awk '$1 == "shared-hot"' | grep -q .
	# and with the kdamond off, no warning
	if [ -n "$DAMON_ON" ]; then
		echo off >"$k/state"
		DAMON_ON=
		run --separate-stderr "$D" files residency "${W[@]}" --bytes
		[ "$status" -eq 0 ]
		[[ $stderr != *DAMON* ]]
	fi
}

@test "residency of files that end inside a page: resident whole pages, PCT out of those pages" {
	printf abc >"$T/small"
	head -c $((4096 + 10)) /dev/urandom >"$T/tail"
	cat "$T/small" "$T/tail" >/dev/null
	run --separate-stderr "$D" files residency --bytes "$T/small" "$T/tail"
	[ "$status" -eq 0 ]
	echo "$output"
	# columns: SET VM FILES SIZE RESIDENT PCT N0 ... UNKNOWN
	[ "$(awk -v p="$T/small" '$1 == p { print $4, $5, $6 }' <<<"$output")" = "3 4096 100.0%" ]
	[ "$(awk -v p="$T/tail" '$1 == p { print $4, $5, $6 }' <<<"$output")" = "4106 8192 100.0%" ]
	run --separate-stderr "$D" files residency --by node --bytes "$T/small"
	[ "$status" -eq 0 ]
	echo "$output"
	# columns: SET VM NODE RESIDENT PCT
	[ "$(awk -v p="$T/small" '$1 == p { print $4, $5 }' <<<"$output")" = "4096 100.0%" ]
}

@test "residency puts every resident byte on a NUMA node" {
	"$D" files create -q "${W[@]}"
	cat "$T"/vm0/*.dat >/dev/null
	run "$D" files residency "${W[@]}" --bytes --set private --vm 0
	[ "$status" -eq 0 ]
	echo "$output"
	# columns: SET VM FILES SIZE RESIDENT PCT N0 ... UNKNOWN
	line=$(echo "$output" | awk '$1 == "private-cold" && $2 == "0"')
	res=$(echo "$line" | awk '{ print $5 }')
	nodes=$(echo "$line" | awk '{ s = 0; for (i = 7; i < NF; i++) s += $i; print s }')
	unknown=$(echo "$line" | awk '{ print $NF }')
	[ "$res" -eq $((3 * 2 << 20)) ]
	[ "$nodes" -eq "$res" ]
	[ "$unknown" -eq 0 ]
}

# in_memcg NAME CMD...: CMD run by a process in memory cgroup NAME (v2, or
# the v1 memory hierarchy), created for the test
in_memcg() {
	local cg=$1
	shift
	mkdir -p "$MEMCG_ROOT/$cg"
	MEMCGS+=("$MEMCG_ROOT/$cg")
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh \
		"$MEMCG_ROOT/$cg" "$@"
}

memcg_setup() {
	MEMCGS=()
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		MEMCG_ROOT=/sys/fs/cgroup
	else
		MEMCG_ROOT=/sys/fs/cgroup/memory
	fi
	P=dxf$$r$RANDOM
}

memcg_teardown() {
	local cg
	for cg in "${MEMCGS[@]}"; do rmdir "$cg" 2>/dev/null || true; done
}

@test "residency --by cgroup,node charges each file to the cgroup of its reader" {
	memcg_setup
	"$D" files create -q "${W[@]}"
	in_memcg "$P-a" sh -c "cat $T/vm0/private-hot-0000.dat >/dev/null"
	in_memcg "$P-b" sh -c "cat $T/vm1/*.dat >/dev/null"
	run --separate-stderr "$D" files residency --by cgroup,node --bytes \
		"$T/vm0/private-hot-0000.dat" "$T/vm1"
	echo "$output"
	memcg_teardown
	[ "$status" -eq 0 ]
	# columns: SET VM CGROUP NODE RESIDENT PCT
	a=$(awk -v p="$T/vm0/private-hot-0000.dat" -v c="/$P-a" \
		'$1 == p && $3 == c && $4 ~ /^N[0-9]+$/ { s += $5 } END { print s + 0 }' <<<"$output")
	b=$(awk -v p="$T/vm1" -v c="/$P-b" \
		'$1 == p && $3 == c && $4 ~ /^N[0-9]+$/ { s += $5 } END { print s + 0 }' <<<"$output")
	want_a=$(fincore_sum "$T/vm0/private-hot-0000.dat")
	want_b=$(fincore_sum "$T"/vm1/*.dat)
	echo "a=$a of $want_a, b=$b of $want_b"
	[ "$want_a" -eq $((2 << 20)) ]
	[ "$want_b" -eq $((4 * 2 << 20)) ]
	# within 2% of what fincore sees, all of it on a node
	[ $((a * 100)) -ge $((want_a * 98)) ] && [ "$a" -le "$want_a" ]
	[ $((b * 100)) -ge $((want_b * 98)) ] && [ "$b" -le "$want_b" ]
	# nothing of vm1 charged to the other reader's cgroup
	! awk -v p="$T/vm1" -v c="/$P-a" '$1 == p && $3 == c' <<<"$output" | grep -q . || false
}

@test "residency --by node of the workload's sets sums to the per-node table" {
	"$D" files create -q "${W[@]}"
	cat "$T"/shared/shared-hot-*.dat >/dev/null
	run --separate-stderr "$D" files residency "${W[@]}" --by node --bytes --set shared-hot
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk '$1 == "shared-hot" { s += $4 } END { print s }' <<<"$output")" -eq $((3 * 2 << 20)) ]
	run "$D" files residency --by colour "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--by: unknown key 'colour' (cgroup, node)"* ]]
}

@test "residency --guests: with --output and a config; a guest that cannot be reached is named and has no rows" {
	run --separate-stderr "$D" files residency "${W[@]}" --guests
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--guests goes with --output"* ]]
	cat >"$T/lab.ini" <<EOF
[lab]
guest_dir = /g
state_dir = $T/state

[share shared]
tag = shared
source = $T/shared
mount = /mnt/shared

[share private]
tag = private
source = $T/vm%i
mount = /mnt/private

[vm 0]

[workload]
size = 32M
file_size = 2M
EOF
	"$D" files create -q --config "$T/lab.ini"
	# no VM runs (no ssh_config in its state_dir): the host is measured
	run --separate-stderr "$D" files residency --config "$T/lab.ini" \
		--output "$T/r.csv" --guests
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"vm0: answered none of the 1 samples: no rows for it: "*"$T/state/ssh_config"* ]]
	[ "$(head -n 1 "$T/r.csv")" = elapsed_ms,where,set,part,node,cgroup,bytes ]
	[ "$(awk -F, 'NR > 1 && $2 == "host"' "$T/r.csv" | wc -l)" -eq 4 ]
	[ "$(awk -F, 'NR > 1 && $2 != "host"' "$T/r.csv" | wc -l)" -eq 0 ]
	# over time: every sample the guest missed is counted, once at the end
	"$D" files residency --config "$T/lab.ini" --output "$T/s.csv" \
		--guests --interval 100ms 2>"$T/s.err" &
	# three samples written, then the signal that ends the series
	for ((i = 0; i < 600; i++)); do
		[ "$(awk -F, 'NR > 1 { print $1 }' "$T/s.csv" 2>/dev/null |
			sort -u | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	kill -INT $!
	wait $!
	cat "$T/s.err"
	n=$(awk -F, 'NR > 1 { print $1 }' "$T/s.csv" | sort -u | wc -l)
	[ "$n" -gt 2 ]
	grep -q "vm0: answered none of the $n samples: no rows for it" "$T/s.err"
	[ "$(grep -c 'vm0: ' "$T/s.err")" -eq 1 ]
	# with cache = auto, opening a file in the guest empties its copy
	printf '[virtiofsd]\ncache = auto\n' >>"$T/lab.ini"
	rm -f "$T/r.csv"
	run --separate-stderr "$D" files residency --config "$T/lab.ini" \
		--output "$T/r.csv" --guests
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--guests: share shared is virtiofs with [virtiofsd] cache = auto, where every open of a file in the guest drops its page cache there"* ]]
	[ ! -e "$T/r.csv" ]
}

@test "evict drops a set from the page cache, and only that set" {
	"$D" files create -q "${W[@]}"
	cat "$T"/shared/*.dat "$T"/vm*/*.dat >/dev/null
	run "$D" files evict "${W[@]}" --set shared
	[ "$status" -eq 0 ]
	[ "$(resident_of shared-hot)" -eq 0 ]
	[ "$(resident_of shared-cold)" -eq 0 ]
	[ "$(fincore_sum "$T"/shared/*.dat)" -eq 0 ]
	[ "$(fincore_sum "$T"/vm0/*.dat)" -eq $((4 * 2 << 20)) ]
	"$D" files evict "${W[@]}"
	[ "$(fincore_sum "$T"/shared/*.dat "$T"/vm*/*.dat)" -eq 0 ]
}

@test "warm loads one VM's set into the page cache" {
	"$D" files create -q "${W[@]}"
	run "$D" files warm "${W[@]}" --set private-cold --vm 1
	[ "$status" -eq 0 ]
	[ "$(fincore_sum "$T"/vm1/private-cold-*.dat)" -eq $((3 * 2 << 20)) ]
	[ "$(fincore_sum "$T"/vm0/*.dat "$T"/vm1/private-hot-*.dat)" -eq 0 ]
	[ "$(resident_of private-cold 1)" -eq $((3 * 2 << 20)) ]
}

@test "warm, evict and residency refuse what a guest left in a set's place: a link to /dev/zero, a FIFO" {
	"$D" files create -q "${W[@]}"
	rm "$T/vm1/private-cold-0000.dat" "$T/vm1/private-cold-0001.dat"
	ln -s /dev/zero "$T/vm1/private-cold-0000.dat"
	mkfifo "$T/vm1/private-cold-0001.dat"
	local c
	for c in warm evict; do
		# (the old code read /dev/zero, or waited for a writer, forever)
		run timeout 60 "$D" files $c "${W[@]}" --set private-cold --vm 1
		echo "$c: $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$T/vm1/private-cold-0000.dat"*"symbolic links"* ]]
	done
	rm "$T/vm1/private-cold-0000.dat"
	cp "$T/vm1/private-cold-0002.dat" "$T/vm1/private-cold-0000.dat"
	run timeout 60 "$D" files warm "${W[@]}" --set private-cold --vm 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/vm1/private-cold-0001.dat: Invalid argument"* ]]
	run timeout 60 "$D" files residency "${W[@]}" --set private-cold --vm 1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/vm1/private-cold-0001.dat"* ]]
}

@test "a ratio outside 0..100 is refused, naming it, before anything is written" {
	run "$D" files create "${W[@]}" --hot-access-ratio 140
	[ "$status" -eq 1 ]
	[[ "$output" == *"key 'hot_access_ratio': bad value '140': expected a whole number 0..100"* ]]
	[ ! -e "$T/shared" ]
	run "$D" files create "${W[@]}" --private-ratio -5
	[ "$status" -eq 1 ]
	[[ "$output" == *"-5"* ]]
}

@test "a size that does not divide into files is refused, naming it" {
	run "$D" files create "${W[@]}" --size 33M
	[ "$status" -eq 1 ]
	[[ "$output" == *"size 33.00 MiB does not divide into files of 2.00 MiB"* ]]
	[ ! -e "$T/shared" ]
}

@test "a folder that is not writable is refused, naming it, with no manifest" {
	mkdir -p "$T/ro"
	mount -t tmpfs -o ro,size=1M daxlab-test "$T/ro"
	MOUNTS+=("$T/ro")
	run "$D" files create "${W[@]}" --shared-dir "$T/ro"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/ro"*"not writable"* ]]
	[ ! -e "$T/vm0/private-hot-0000.dat" ]
}

@test "a disk too small for the plan is refused before writing, naming the need" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=8M daxlab-test "$T/small"
	MOUNTS+=("$T/small")
	run "$D" files create "${W[@]}" --shared-dir "$T/small/shared"
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs 24.00 MiB"*"$T/small/shared"* ]]
	[ -z "$(ls -A "$T/small/shared")" ]
	[ ! -e "$T/vm0/private-hot-0000.dat" ]
}

@test "--force rewrites a set that fills most of its disk (old files make room)" {
	mkdir -p "$T/fs"
	mount -t tmpfs -o size=40M daxlab-test "$T/fs"
	MOUNTS+=("$T/fs")
	w=(--size 32M --file-size 2M --vms 1 --shared-dir "$T/fs/shared"
		--private-dir "$T/fs/vm%i")
	"$D" files create -q "${w[@]}"
	run "$D" files create --force "${w[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"16 files written"* ]]
	[ "$(tail -n 1 "$T/fs/shared/.daxlab-manifest")" = "# complete files=16" ]
}

@test "a create that fails halfway leaves no manifest and no temporary files" {
	"$D" files create -q "${W[@]}"
	[ -e "$T/shared/.daxlab-manifest" ]
	# the 6th shared file cannot be written
	mkdir "$T/shared/shared-cold-0002.dat.tmp"
	run "$D" files create --force "${W[@]}"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/shared/shared-cold-0002.dat.tmp"* ]]
	[ ! -e "$T/shared/.daxlab-manifest" ]
	[ -z "$(find "$T" -name '*.tmp' -type f)" ]
}

@test "SIGINT while writing stops at once, removes what was written and leaves no manifest" {
	"$D" files create --size 4G --file-size 512M --private-ratio 25 --vms 1 \
		--shared-dir "$T/shared" --private-dir "$T/vm%i" 2>"$T/err" &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		[ -n "$(find "$T" -name '*.tmp' -size +1M 2>/dev/null)" ] && break
		sleep 0.05
	done
	kill -INT $pid
	rc=0
	wait $pid || rc=$?
	cat "$T/err"
	[ "$rc" -eq 130 ]
	grep -q "interrupted by SIGINT: .*$T/shared/.daxlab-manifest was not written" "$T/err"
	[ ! -e "$T/shared/.daxlab-manifest" ]
	[ -z "$(find "$T" -name '*.tmp' -o -name '*.dat')" ]
}

@test "filectl is daxlab files" {
	run "$DAXLAB_BUILD/filectl" create -q "${W[@]}"
	[ "$status" -eq 0 ]
	[ -e "$T/shared/.daxlab-manifest" ]
}
