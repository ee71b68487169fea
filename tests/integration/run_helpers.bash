# Helpers for run.bats and fault_run.bats: examples/demo.ini made small and
# private to the test (its own state dir, cgroup names, ports and folders),
# on top of bench/lab.bash, which makes the same lab for the benchmarks.
# The tests set D (daxlab), T (their folder), P (their cgroup prefix) and
# RUN (a daxlab run in the background, if any).

top=${DAXLAB_TOP:-}
. "$top/bench/lab.bash"
GUEST_DIR=$top/build/test-guest

# make_demo_lab KEY=VALUE...: $T/lab.ini, with small files, 64k reads,
# stop_timeout 3, and each KEY of the file set to VALUE.
make_demo_lab() {
	local kv k v
	make_lab "$T" "$P" "$GUEST_DIR"
	for kv in stop_timeout=3 file_size=4M rw=read bs=64k "$@"; do
		k=${kv%%=*} v=${kv#*=}
		sed -i "s|^$k *=.*|$k = $v|" "$T/lab.ini"
		grep -q "^$k = $v\$" "$T/lab.ini"
	done
}

# Stops whatever a test left (a killed run's guard first finishes its own
# teardown), removes the lab's cgroups and folder.
run_teardown() {
	local i
	[ -n "${RUN:-}" ] && kill -9 "$RUN" 2>/dev/null && wait "$RUN" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		pgrep -f "$T/lab.ini" >/dev/null || break
		sleep 0.1
	done
	lab_cleanup "$T" "$P"
	rm -rf "$T"
}

# Nothing of this lab runs any more and its cgroups are gone.
assert_nothing_left() {
	local left h c
	left=$(pgrep -af "$T/" | grep -v -e pgrep -e bats || true)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
	for h in memory cpuset; do
		for c in "$P-vm0" "$P-vm1" "$P-virtiofsd"; do
			[ ! -d "/sys/fs/cgroup/$h/$c" ] || { echo "cgroup $h/$c left"; return 1; }
		done
	done
}

# wait_for_log PATTERN SECONDS: until the run's run.log has PATTERN.
wait_for_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		cat "$T"/results/*/run.log 2>/dev/null | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "no '$1' in $T/results/*/run.log after $2 s"
	return 1
}
