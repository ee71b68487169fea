#!/usr/bin/env bats
# daxlab files residency --by cgroup,node in the Debian 13 lab host
# (issue 16): each resident page's memory cgroup from /proc/kpagecgroup and
# its node from the frame's memory block, on two real NUMA nodes, with the
# cgroups systemd makes: a file read by a service bound to node 0 is that
# service's on N0, one read by a service bound to node 1 is its on N1.

load helpers

setup_file() {
	labhost_setup_file
}

teardown_file() {
	lh systemctl stop daxlab-test-resa.service daxlab-test-resb.service \
		>/dev/null 2>&1 || true
	lh rm -rf "$W/res"
	labhost_teardown_file
}

@test "files residency --by cgroup,node: a file read in service A on node 0 is A's on N0, one read in B on node 1 is B's on N1" {
	# Each file cold, then read whole by a service whose cpuset holds
	# one node; the services stay until measured (a cgroup removed
	# hands its pages to its parent), 16 MiB each.
	run lh sh -c 'set -e
		d=$1
		mkdir -p $d
		for f in fa fb; do
			dd if=/dev/urandom of=$d/$f bs=1M count=16 status=none
		done
		sync
		echo 1 >/proc/sys/vm/drop_caches
		for c in a:0 b:1; do
			systemd-run --quiet --unit=daxlab-test-res${c%:*} \
				-p AllowedCPUs=${c#*:} -p AllowedMemoryNodes=${c#*:} \
				sh -c "cat $d/f${c%:*} >/dev/null && touch $d/done-${c%:*} && exec sleep 600"
		done
		for i in $(seq 300); do
			[ -e $d/done-a ] && [ -e $d/done-b ] && break
			sleep 0.1
		done
		daxlab files residency --by cgroup,node --bytes $d/fa $d/fb
		systemctl stop daxlab-test-resa.service daxlab-test-resb.service' sh "$W/res"
	echo "$output"
	[ "$status" -eq 0 ]
	# columns: SET VM CGROUP NODE RESIDENT PCT
	sum() {
		awk -v p="$W/res/$1" -v c="$2" -v n="$3" \
			'$1 == p && (c == "*" || $3 == c) && (n == "*" || $4 == n) { s += $5 }
			END { print s + 0 }' <<<"$output"
	}
	local want=$((16 << 20)) a=/system.slice/daxlab-test-resa.service
	local b=/system.slice/daxlab-test-resb.service
	echo "fa: A/N0 $(sum fa $a N0) of $(sum fa '*' '*'); fb: B/N1 $(sum fb $b N1) of $(sum fb '*' '*')" >&3
	[ $(($(sum fa $a N0) * 100)) -ge $((want * 98)) ]
	[ $(($(sum fb $b N1) * 100)) -ge $((want * 98)) ]
	# and nothing of either on the other node or in the other cgroup
	[ "$(sum fa '*' N1)" -eq 0 ]
	[ "$(sum fb '*' N0)" -eq 0 ]
	[ "$(sum fa $b '*')" -eq 0 ]
	[ "$(sum fb $a '*')" -eq 0 ]
}
