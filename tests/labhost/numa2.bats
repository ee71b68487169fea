#!/usr/bin/env bats
# daxlab run of examples/numa2.ini in the Debian 13 lab host (systemd,
# cgroup v2, two NUMA nodes, nested KVM), once with no cgroup_parent (the
# lab's transient systemd scope) and once inside a delegated scope of
# `systemd-run --scope -p Delegate=yes`. The first run's results folder is
# fetched and measured once; each test asserts one fact of it.

load helpers

setup_file() {
	labhost_setup_file
	local r=$W/numa2 rc=0
	lh rm -rf "$r"
	lh_run numa2 daxlab run -q -c "$NUMA2" -r "$r" >"$BATS_FILE_TMPDIR/run.out" 2>&1 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/run.rc"
	# The shared image, measured both ways at the same moment.
	lh sh -c 'fincore -b -n -o RES "$1"; daxlab files residency -b -q "$1"' \
		sh /var/lib/daxlab/share-shared.img >"$BATS_FILE_TMPDIR/image.res" 2>&1 || true
	# Each set's files and the image in fincore's and in daxlab's view,
	# back to back after the run (the VMs are gone, their pages stay
	# cached), and the sets' sizes
	# for check-demo: sparse files of the same sizes here.
	lh sh -c 'fincore -b -n -o RES,FILE "$1"/shared/*.dat "$1"/private/vm*/*.dat \
		/var/lib/daxlab/share-shared.img' sh /var/lib/daxlab/sets \
		>"$BATS_FILE_TMPDIR/fincore" 2>&1 || true
	lh sh -c 'daxlab files residency -b -q "$1"/shared/*.dat "$1"/private/vm*/*.dat \
		/var/lib/daxlab/share-shared.img' sh /var/lib/daxlab/sets \
		>"$BATS_FILE_TMPDIR/residency" 2>&1 || true
	lh find /var/lib/daxlab/sets -type f -printf '%s %P\n' |
		while read -r size path; do
			mkdir -p "$BATS_FILE_TMPDIR/data/$(dirname "$path")"
			truncate -s "$size" "$BATS_FILE_TMPDIR/data/$path"
		done
	lh sh -c 'cd "$1" && ls -d */' sh "$r" >"$BATS_FILE_TMPDIR/dir" 2>/dev/null || true
	if [ -s "$BATS_FILE_TMPDIR/dir" ]; then
		fetch "$r/$(head -1 "$BATS_FILE_TMPDIR/dir")" "$BATS_FILE_TMPDIR/results"
		python3 "$top/tests/labhost/measure.py" "$BATS_FILE_TMPDIR/results" \
			>"$BATS_FILE_TMPDIR/metrics" 2>&1 || true
	fi
}

teardown_file() {
	labhost_teardown_file
}

setup() {
	R=$BATS_FILE_TMPDIR/results
	M=$BATS_FILE_TMPDIR/metrics
}

@test "daxlab run of numa2.ini completes, with accel=kvm" {
	cat "$BATS_FILE_TMPDIR/run.out"
	echo "exit code $(cat "$BATS_FILE_TMPDIR/run.rc"); the end of its run.log:"
	tail -5 "$R/run.log" || true
	"$LH" stalls || true
	[ "$(cat "$BATS_FILE_TMPDIR/run.rc")" = 0 ]
	[ "$(cat "$R/status")" = complete ]
	grep -x 'accel = kvm' "$R/provenance.txt"
	# what the host's kernel does to page cache on its own, as it is
	grep -x 'mm.reclaim = none' "$R/provenance.txt"
	grep -x "mm.numa_balancing = $(lh cat /proc/sys/kernel/numa_balancing)" "$R/provenance.txt"
	grep -x "mm.zone_reclaim_mode = $(lh cat /proc/sys/vm/zone_reclaim_mode)" "$R/provenance.txt"
	assert_lab_gone
}

@test "with no cgroup_parent, the lab's cgroups are in its transient systemd scope, gone after the run" {
	grep '^cgroup' "$R/provenance.txt"
	[ "$(metric prov.cgroup)" = v2 ]
	[[ $(metric prov.cgroup.parent) == */system.slice/daxlab-*.scope ]]
	[ -z "$(lh find /sys/fs/cgroup/system.slice -maxdepth 1 -name 'daxlab-*.scope')" ]
}

@test "each VM's guest memory (shmem of its cgroup) sits >= 95% on its node" {
	at_least "$(metric vm0-cg.shmem.N0)" "$(metric vm0-cg.shmem.total)" 95 "vm0 shmem on N0"
	at_least "$(metric vm1-cg.shmem.N1)" "$(metric vm1-cg.shmem.total)" 95 "vm1 shmem on N1"
}

@test "each private set's host page cache sits on the virtiofsd's node" {
	at_least "$(metric res.private.0.files.N0)" "$(metric res.private.0.files.total)" 95 \
		"private set of vm 0 cached on N0"
	at_least "$(metric res.private.1.files.N0)" "$(metric res.private.1.files.total)" 95 \
		"private set of vm 1 cached on N0"
	# and it is charged to the virtiofsd, which read it
	at_least "$(metric virtiofsd.growth.N0)" \
		$(($(metric res.private.0.files.total) + $(metric res.private.1.files.total))) 90 \
		"virtiofsd's page cache growth against the private sets' residency"
}

@test "the shared image's host page cache is page cache, not shmem, charged to the VM cgroups on their nodes" {
	local fs img vm0 vm1
	fs=$(metric prov.share.shared.image_fs)
	echo "image on $fs"
	[ "$fs" != tmpfs ] && [ "$fs" != ramfs ]
	img=$(metric res.shared..image.total)
	vm0=$(metric vm0-cg.growth.total)
	vm1=$(metric vm1-cg.growth.total)
	# each VM's page cache growth (file - shmem) is on its node...
	at_least "$(metric vm0-cg.growth.N0)" "$vm0" 95 "vm0's cgroup page cache growth on N0"
	at_least "$(metric vm1-cg.growth.N1)" "$vm1" 95 "vm1's cgroup page cache growth on N1"
	# ...and together they hold the image's resident pages
	at_least $((vm0 + vm1)) "$img" 90 "VM cgroups' page cache growth against the image's residency"
	at_least "$img" $((vm0 + vm1)) 90 "the image's residency against the VM cgroups' growth"
}

@test "fincore and daxlab files residency agree within 5% on the shared image" {
	local f d
	cat "$BATS_FILE_TMPDIR/image.res"
	f=$(awk 'NR == 1 && /^[0-9]+$/' "$BATS_FILE_TMPDIR/image.res")
	# SET VM FILES SIZE RESIDENT ...: the path in the SET column
	d=$(awk '$1 == "/var/lib/daxlab/share-shared.img" && $5 ~ /^[0-9]+$/ { print $5 }' \
		"$BATS_FILE_TMPDIR/image.res" | head -1)
	[ -n "$f" ] && [ -n "$d" ]
	at_least "$f" "$d" 95 "fincore against files residency"
	at_least "$d" "$f" 95 "files residency against fincore"
}

@test "each guest's page cache grows by less than 1% of the shared data it read" {
	local vm g p s
	for vm in vm0 vm1; do
		g=$(metric $vm.growth.total)
		p=$(metric $vm.fio.private)
		s=$(metric $vm.fio.shared)
		# the private reads (virtio-fs, no DAX) are cached in the guest
		echo "$vm: guest page cache +$g bytes, read $p private, $s shared"
		[ "$s" -gt 0 ]
		[ $(((g - p) * 100)) -lt "$s" ]
	done
}

@test "the demo's figures (check-demo): guests cache their private sets, not the DAX set; closure >= 90%; fincore within 2%" {
	# issue 16 in the lab host: daxlab's per-set host residency against
	# fincore's, the guests' own page cache per set (daxlab-resident
	# over ssh), the share of each VM cgroup's page cache the sets explain
	python3 "$top/tests/helpers/check-fincore" "$BATS_FILE_TMPDIR/fincore" \
		"$BATS_FILE_TMPDIR/residency"
	python3 "$top/tests/helpers/check-demo" --closure 90 "$R" "$BATS_FILE_TMPDIR/data"
}

@test "a run inside systemd-run --scope -p Delegate=yes, with cgroup_parent naming that scope" {
	local r=$W/delegated
	lab_config "$BATS_TEST_TMPDIR/lab.ini" -"vm 0" \
		+cgroup_parent=system.slice/daxlab-test.scope
	put "$BATS_TEST_TMPDIR/lab.ini" "$W/delegated.ini"
	lh rm -rf "$r"
	run lh_run delegated systemd-run --quiet --scope -p Delegate=yes --unit daxlab-test \
		daxlab run -q -c "$W/delegated.ini" -r "$r"
	echo "$output"
	[ "$status" -eq 0 ]
	fetch "$r" "$BATS_TEST_TMPDIR/r"
	R=$(echo "$BATS_TEST_TMPDIR"/r/*/)
	[ "$(cat "$R/status")" = complete ]
	M=$BATS_TEST_TMPDIR/metrics
	python3 "$top/tests/labhost/measure.py" "$R" >"$M"
	[ "$(metric prov.cgroup.parent)" = /sys/fs/cgroup/system.slice/daxlab-test.scope ]
	at_least "$(metric vm1-cg.shmem.N1)" "$(metric vm1-cg.shmem.total)" 95 "vm1 shmem on N1"
	assert_lab_gone
}
