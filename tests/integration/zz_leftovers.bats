#!/usr/bin/env bats
# issue 7: runs last (glob order). After the whole suite, faults included,
# nothing the tests started is left: no process (qemu, virtiofsd, ssh, sshd,
# fio, daxlab), no cgroup with a test prefix, no socket, no mount, no
# temporary folder. Every test works under /tmp/daxlab-* or
# /var/tmp/daxlab-* and names its cgroups dxt*, dxr*, dxf* or daxlab-test-*.

TMPS='/tmp/daxlab-|/var/tmp/daxlab-'
# bench/ is not part of the suite and may run beside it on a dev machine
NOT_TESTS='daxlab-bench'

# before_suite: drops the paths that were there before the suite began
# (tests/run lists them in DAXLAB_BEFORE_SUITE): this suite did not start them
before_suite() {
	local p
	while read -r p; do
		[ -n "$p" ] || continue
		case " ${DAXLAB_BEFORE_SUITE:-} " in *" $p "*) continue ;; esac
		echo "$p"
	done
}

@test "no process left that a test started" {
	local left
	left=$(ps -eo pid=,stat=,args= | grep -E "$TMPS" | grep -v -E " grep |zz_leftovers|$NOT_TESTS" |
		grep -v -E '^ *[0-9]+ Z' || true)
	[ -z "$left" ] || { echo "left: $left"; false; }
	left=$(pgrep -a fio | grep -E -- '--server' || true)
	[ -z "$left" ] || { echo "fio servers left: $left"; false; }
	left=$(pgrep -a -f "$DAXLAB_BUILD/daxlab" | grep -v -E "zz_leftovers|$NOT_TESTS" || true)
	[ -z "$left" ] || { echo "daxlab left: $left"; false; }
}

@test "no zombie left behind by a daxlab that still runs" {
	local left
	left=$(ps -eo pid=,ppid=,stat=,comm= | awk '$3 ~ /^Z/ && ($4 ~ /qemu|virtiofsd|ssh|fio|daxlab/)')
	[ -z "$left" ] || { echo "zombies: $left"; false; }
}

@test "no cgroup with a test prefix left" {
	local left
	left=$(ls -d /sys/fs/cgroup/{cpuset,memory,unified}/{dxt,dxr,dxf,daxlab-test-}* \
		/sys/fs/cgroup/{cpuset,memory,unified}/*/{dxt,dxr,dxf,daxlab-test-}* 2>/dev/null |
		before_suite || true)
	[ -z "$left" ] || { echo "cgroups left: $left"; false; }
}

@test "no socket left" {
	local left
	left=$(ss -xa | grep -E "$TMPS" | grep -v -E "$NOT_TESTS" || true)
	[ -z "$left" ] || { echo "sockets left: $left"; false; }
	left=$(find /tmp /var/tmp -maxdepth 4 -type s -path '*daxlab-*' 2>/dev/null |
		grep -v -E "$NOT_TESTS" || true)
	[ -z "$left" ] || { echo "socket files left: $left"; false; }
}

@test "no mount left" {
	local left
	left=$(grep -E " ($TMPS)" /proc/mounts | grep -v -E "$NOT_TESTS" || true)
	[ -z "$left" ] || { echo "mounts left: $left"; false; }
}

@test "no temporary folder left" {
	local left
	left=$(ls -d /tmp/daxlab-* /var/tmp/daxlab-* 2>/dev/null | grep -v -E "$NOT_TESTS" |
		before_suite || true)
	[ -z "$left" ] || { echo "folders left: $left"; false; }
}
