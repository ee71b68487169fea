#!/usr/bin/env bats
# daxlab fio (fioctl): job files, local runs and client/server runs
# against real fio, the achieved split checked from fio's own JSON.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /var/tmp/daxlab-fio.XXXXXX)
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}

# split_ok JSON: for each host in fio's JSON, the share of I/Os of every
# job against its flow= weight, within 1 percentage point. Prints them.
split_ok() {
	python3 - "$1" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
start = next(i for i, l in enumerate(text.splitlines(True)) if l.startswith('{'))
doc = json.loads(''.join(text.splitlines(True)[start:]))
jobs = doc.get('client_stats') or doc['jobs']
hosts = {}
for j in jobs:
    if j['jobname'] == 'All clients':
        continue
    h = '%s:%s' % (j.get('hostname', 'local'), j.get('port', ''))
    ios = sum(j[d]['total_ios'] for d in ('read', 'write', 'trim'))
    flow = int(j['job options']['flow'])
    assert j['error'] == 0, j['jobname']
    hosts.setdefault(h, []).append((j['jobname'], ios, flow))
worst = 0
for h, js in hosts.items():
    tot = sum(i for _, i, _ in js)
    wsum = sum(f for _, _, f in js)
    for name, ios, flow in js:
        got, asked = 100.0 * ios / tot, 100.0 * flow / wsum
        print('%s %s asked %.2f got %.2f' % (h, name, asked, got))
        worst = max(worst, abs(got - asked))
print('hosts %d worst %.3f' % (len(hosts), worst))
sys.exit(0 if worst <= 1.0 else 1)
EOF
}

# local_split PRIVATE ACCESS HOT HOT_ACCESS [JOB-OPTION...]: files, job,
# local fio run
local_split() {
	local w=(--size 48M --file-size 1M --private-ratio "$1" --access-ratio "$2"
		--hot-ratio "$3" --hot-access-ratio "$4"
		--shared-dir "$T/shared" --private-dir "$T/vm%i")
	shift 4
	"$D" files create -q "${w[@]}"
	"$D" fio job -q "${w[@]}" "$@" --host-side --runtime 2 --output "$T/fio/jobs/t.fio"
	run "$D" fio run --local --job "$T/fio/current" --json "$T/out.json" --max-deviation 1
	echo "$output"
	[ "$status" -eq 0 ]
	split_ok "$T/out.json"
}

@test "fio --help prints usage to stdout and exits 0" {
	run --separate-stderr "$D" fio --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"daxlab fio job"* ]]
	[ -z "$stderr" ]
}

@test "the seed's fioctl line works as written" {
	cd "$T"
	mkdir -p fio/jobs
	run "$DAXLAB_BUILD/fioctl" --private-ratio 25 --access-ratio 75 --output fio/jobs/main.fio
	[ "$status" -eq 0 ]
	[ "$(readlink fio/current)" = jobs/main.fio ]
	cmp fio/jobs/main.fio "$DAXLAB_TOP/tests/golden/fio-job/seed-25-75.fio"
	fio --parse-only fio/current
}

@test "daxlab fio job writes the golden job for host paths, mmap and warm" {
	run "$D" fio job --size 64M --file-size 2M --private-ratio 40 --access-ratio 33 \
		--hot-ratio 25 --hot-access-ratio 90 --rw randrw --bs 8k --runtime 3 \
		--ioengine mmap --warm --shared-path /tmp/lab/shared --private-path /tmp/lab/vm0 \
		--output "$T/j.fio"
	[ "$status" -eq 0 ]
	cmp "$T/j.fio" "$DAXLAB_TOP/tests/golden/fio-job/host-40-33-mmap-warm.fio"
	fio --parse-only "$T/j.fio"
}

@test "the job has one flow per set, time based, no file creation, no repeated offsets" {
	run --separate-stderr "$D" fio job --private-ratio 30 --access-ratio 60
	[ "$status" -eq 0 ]
	[ "$(grep -c '^flow=' <<<"$output")" -eq 4 ]
	[ "$(grep '^flow=' <<<"$output" | awk -F= '{ s += $2 } END { print s }')" -eq 1000 ]
	grep -qx 'flow=480' <<<"$output"   # private-hot: 60% x 80%
	grep -qx 'time_based=1' <<<"$output"
	grep -qx 'flow_sleep=100' <<<"$output"
	grep -qx 'exitall' <<<"$output"
	grep -qx 'randrepeat=0' <<<"$output"
	grep -qx 'allow_file_create=0' <<<"$output"
	grep -qx 'invalidate=1' <<<"$output"
	[ "$(grep -c '^unique_filename=0' <<<"$output")" -eq 4 ]
	[ "$(grep -c '^bs=4096' <<<"$output")" -eq 1 ]
}

@test "fio job refuses a bad ratio, naming it" {
	run "$D" fio job --access-ratio 101
	[ "$status" -eq 1 ]
	[[ "$output" == *"key 'access_ratio': bad value '101': expected a whole number 0..100"* ]]
	run "$D" fio job --ioengine posixaio
	[ "$status" -eq 1 ]
	[[ "$output" == *"key 'ioengine': bad value 'posixaio': expected psync, mmap"* ]]
}

@test "a bad --host is a usage error before anything is written or run" {
	local h sub
	cd "$T"
	for sub in job run; do
		for h in 'h,99999' 'h,0' ',5' 'h,1,2' 'h,'; do
			run --separate-stderr "$D" fio $sub -H "$h"
			echo "$sub $h: $status: $stderr"
			[ "$status" -eq 1 ]
			[[ "$stderr" == *"host '$h'"* ]]
			[[ "$stderr" == *"Try 'daxlab fio $sub --help'"* ]]
		done
	done
	[ -z "$(ls -A "$T")" ]
}

@test "local run: 25/75 split within 1 point" {
	local_split 25 75 20 80
}

@test "local run: 50/10 split within 1 point" {
	local_split 50 10 50 50
}

@test "local run: 80/95 with 10% hot taking 99% split within 1 point" {
	local_split 80 95 10 99
}

@test "local run: mmap engine on a warm cache, 60/40, split within 1 point" {
	local_split 60 40 30 65 --ioengine mmap --warm
	grep -qx 'ioengine=mmap' "$T/fio/jobs/t.fio"
	grep -qx 'invalidate=0' "$T/fio/jobs/t.fio"
}

@test "local run: a job that starts 200 ms late does not skew the split" {
	# as a job does under CPU contention: fio times each job from its own
	# start and takes a finished job out of the flow, so without exitall
	# the late one ran alone at the end, unthrottled on a warm mmap cache
	local w=(--size 48M --file-size 1M --private-ratio 60 --access-ratio 40
		--hot-ratio 30 --hot-access-ratio 65
		--shared-dir "$T/shared" --private-dir "$T/vm%i")
	"$D" files create -q "${w[@]}"
	"$D" fio job -q "${w[@]}" --ioengine mmap --warm --host-side --runtime 2 \
		--output "$T/fio/jobs/t.fio"
	sed -i 's/^\[private-cold\]$/&\nstartdelay=200ms/' "$T/fio/jobs/t.fio"
	grep -qx 'startdelay=200ms' "$T/fio/jobs/t.fio"
	run "$D" fio run --local --job "$T/fio/current" --json "$T/out.json" --max-deviation 1
	echo "$output"
	[ "$status" -eq 0 ]
	split_ok "$T/out.json"
}

@test "local run: shared only (private 0, access 0) runs just the shared jobs" {
	local_split 0 0 25 70
	[ "$(grep -c '^\[' "$T/fio/jobs/t.fio")" -eq 3 ]
}

@test "fio run fails on a missing file even though fio's JSON says error 0" {
	local w=(--size 16M --file-size 1M --shared-dir "$T/shared" --private-dir "$T/vm%i")
	"$D" files create -q "${w[@]}"
	"$D" fio job -q "${w[@]}" --host-side --runtime 1 --output "$T/fio/jobs/t.fio"
	rm "$T/vm0/private-cold-0001.dat"
	run "$D" fio run --local --job "$T/fio/current" --json "$T/out.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fio failed with exit status 1"* ]]
}

@test "fio run fails when fio cannot run at all" {
	"$D" fio job -q --output "$T/fio/jobs/t.fio"
	run "$D" fio run --local --job "$T/fio/current" --fio /nonexistent/fio
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/fio"* ]]
}

# start_server ID PORT: fio --server in its own mount namespace, where the
# VM's private folder is bind-mounted on the common guest path, as each
# guest mounts its own private share at the same mount point.
start_server() {
	unshare -m --propagation private -- sh -c \
		'mount --bind "$1" "$2" && exec fio --server=ip:127.0.0.1,"$3"' \
		_ "$T/vm$1" "$T/guest/private" "$2" >"$T/server$1.log" 2>&1 &
	PIDS+=($!)
}

# free_port: a port for a listener (tests/helpers/free-port)
free_port() { "$DAXLAB_TOP/tests/helpers/free-port"; }

wait_port() {
	local i
	for i in $(seq 50); do
		ss -ltn | grep -q "127.0.0.1:$1 " && return 0
		sleep 0.1
	done
	return 1
}

@test "client/server: two fio servers read the same shared files and each hits its split" {
	local w=(--size 32M --file-size 1M --private-ratio 25 --access-ratio 75 --vms 2
		--shared-dir "$T/shared" --private-dir "$T/vm%i")
	p0=$(free_port)
	p1=$(free_port)
	[ "$p0" != "$p1" ]
	"$D" files create -q "${w[@]}"
	mkdir -p "$T/guest/private"
	"$D" fio job -q "${w[@]}" --runtime 2 --shared-path "$T/shared" \
		--private-path "$T/guest/private" -H "127.0.0.1,$p0" -H "127.0.0.1,$p1" \
		--output "$T/fio/jobs/main.fio"
	[ "$(cat "$T/fio/host.list")" = "$(printf '127.0.0.1,%s\n127.0.0.1,%s' $p0 $p1)" ]
	start_server 0 $p0
	start_server 1 $p1
	wait_port $p0
	wait_port $p1
	run "$D" fio run --job "$T/fio/current" --json "$T/out.json" --max-deviation 1
	echo "$output"
	[ "$status" -eq 0 ]
	split_ok "$T/out.json" | tee /dev/stderr | grep -q '^hosts 2 '
	split_ok "$T/out.json"
	# each server read its own private files: both sets are in the page
	# cache, and the common mount point on the host holds nothing
	[ -z "$(ls -A "$T/guest/private")" ]
	for v in 0 1; do
		res=$("$D" files residency "${w[@]}" --bytes --set private-hot --vm $v |
			awk -v v=$v '$1 == "private-hot" && $2 == v { print $5 }')
		[ "$res" -gt 0 ]
	done
	# one copy of the shared set: no per-client files next to it
	[ "$(ls "$T/shared" | grep -vc '^shared-\(hot\|cold\)-[0-9]*\.dat$')" -eq 0 ]
	[ "$("$D" files residency "${w[@]}" --bytes --set shared-hot |
		awk '$1 == "shared-hot" { print $5 }')" -gt 0 ]
}

@test "fio job writes host.list from the config's VMs" {
	cat >"$T/lab.ini" <<EOF
[lab]
guest_dir = $T/guest
state_dir = $T/state

[share shared]
source = $T/shared
mount = /srv/dax/shared

[share private]
source = $T/vm%i
mount = /srv/dax/private

[vm 0]

[vm 1]
# not used, accepted for configs of an older daxlab
fio_port = 18766

[workload]
size = 64M
file_size = 4M
private_ratio = 50
access_ratio = 40
EOF
	run "$D" fio job --config "$T/lab.ini" --hot-ratio 50 --output "$T/fio/jobs/main.fio"
	echo "$output"
	[ "$status" -eq 0 ]
	# ssh forwards to the guests' servers: no port on the host
	[ "$(cat "$T/fio/host.list")" = "$(printf 'sock:%s/state/vm-0/fio.sock\nsock:%s/state/vm-1/fio.sock' "$T" "$T")" ]
	grep -qx 'directory=/srv/dax/private' "$T/fio/jobs/main.fio"
	# 40% private x 80% hot; hot_ratio from the flag: 4 of 8 files
	grep -qx 'flow=320' "$T/fio/jobs/main.fio"
	grep -q '^filename=private-hot-0000.dat:private-hot-0001.dat:private-hot-0002.dat:private-hot-0003.dat$' \
		"$T/fio/jobs/main.fio"
	# files create reads the same config: shared once, a private set per VM
	"$D" files create -q --config "$T/lab.ini" --hot-ratio 50
	[ "$(ls "$T/vm1" | grep -c '^private-hot')" -eq 4 ]
	[ "$(ls "$T/shared" | grep -c '\.dat$')" -eq 8 ]
	# a sock: host is written as it is given
	"$D" fio job -q --config "$T/lab.ini" -H "sock:$T/state/vm-1/fio.sock" \
		-H vmx --output "$T/fio/jobs/main.fio"
	[ "$(cat "$T/fio/host.list")" = "$(printf 'sock:%s/state/vm-1/fio.sock\nvmx,8765' "$T")" ]

	# a VM whose qemu (an older daxlab's) forwards a host port to its fio
	# server: fio run refuses it, before ssh or fio run
	mkdir -p -m 700 "$T/state" "$T/state/vm-0"
	bash -c 'exec -a qemu-system-x86_64 /usr/bin/python3 -c "import time; time.sleep(60)" -netdev user,id=n0,hostfwd=tcp:127.0.0.1:18765-:8765' &
	PIDS+=($!)
	local pid=$! start
	for _ in $(seq 50); do grep -q 8765 /proc/$pid/cmdline 2>/dev/null && break; sleep 0.1; done
	start=$(awk '{ print $22 }' /proc/$pid/stat)
	echo "$pid $start" >"$T/state/vm-0/qemu.pid"
	"$D" fio job -q --config "$T/lab.ini" --output "$T/fio/jobs/main.fio"
	run --separate-stderr "$D" fio run --config "$T/lab.ini" --job "$T/fio/current" --json "$T/old.json"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: vm 0: its qemu, started by an older daxlab, forwards a host port to the guest's fio server, where any local user can run commands as root: restart it (daxlab vm stop 0; daxlab vm start 0)"* ]]
	[ ! -e "$T/old.json" ]
	# a VM folder that others can write: refused too
	kill $pid
	rm "$T/state/vm-0/qemu.pid"
	chmod 777 "$T/state/vm-0"
	run --separate-stderr "$D" fio run --config "$T/lab.ini" --job "$T/fio/current" --json "$T/old.json"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: $T/state/vm-0 is writable by group or others: its fio forward is not made there"* ]]
	# and a VM that is not started is named
	rmdir "$T/state/vm-0"
	run --separate-stderr "$D" fio run --config "$T/lab.ini" --job "$T/fio/current" --json "$T/old.json"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: vm 0: no $T/state/vm-0: is the VM started?"* ]]
}
