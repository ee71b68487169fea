#!/usr/bin/env bats
# daxlab files and fio against two tiny guests under TCG (the vm area's
# lab): the shared set on virtio-pmem (DAX), each VM's private set on
# virtiofs, fio driven from the host through the forwarded fio ports.

load vm_helpers

setup_file() {
	build_guest
	export T
	T=$(mktemp -d /tmp/daxlab-fio-guest.XXXXXX)
	make_lab "$T"
	rm -f "$T/shared/hello" "$T"/private/vm*/hello
	cat >>"$T/lab.ini" <<EOF

[workload]
size = 16M
file_size = 1M
private_ratio = 25
access_ratio = 60
hot_ratio = 25
hot_access_ratio = 80
runtime = 3
EOF
	# the files first: the pmem image is made from the shared folder
	local rc=0
	"$DAXLAB" files create -q --config "$T/lab.ini" >"$T/create.out" 2>&1 ||
		rc=$?
	echo "$rc" >"$T/create.rc"
	rc=0
	"$DAXLAB" vm start all --config "$T/lab.ini" >"$T/start.out" 2>&1 ||
		rc=$?
	echo "$rc" >"$T/start.rc"
}

teardown_file() {
	cleanup_lab "$T"
}

@test "guests: the job from the config runs on both guests, each within 1 point of its split" {
	cat "$T/create.out" "$T/start.out"
	[ "$(cat "$T/create.rc")" = 0 ]
	[ "$(cat "$T/start.rc")" = 0 ]
	"$DAXLAB" fio job --config "$T/lab.ini" --output "$T/fio/jobs/main.fio"
	grep -qx 'directory=/mnt/private' "$T/fio/jobs/main.fio"
	grep -qx 'directory=/mnt/shared' "$T/fio/jobs/main.fio"
	[ "$(wc -l <"$T/fio/host.list")" -eq 2 ]
	run "$DAXLAB" fio run --config "$T/lab.ini" --job "$T/fio/current" \
		--json "$T/out.json" --max-deviation 1
	echo "$output"
	[ "$status" -eq 0 ]
	# two VMs, named from the config by their fio ports, four sets each
	[ "$(grep -cE '^0 +127\.0\.0\.1:[0-9]+ ' <<<"$output")" -eq 4 ]
	[ "$(grep -cE '^1 +127\.0\.0\.1:[0-9]+ ' <<<"$output")" -eq 4 ]
	python3 - "$T/out.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
start = next(i for i, l in enumerate(lines) if l.startswith('{'))
doc = json.loads(''.join(lines[start:]))
hosts = {}
for j in doc['client_stats']:
    if j['jobname'] == 'All clients':
        continue
    hosts.setdefault(j['port'], []).append(
        (j['read']['total_ios'], int(j['job options']['flow'])))
assert len(hosts) == 2, hosts
for port, js in hosts.items():
    tot = sum(i for i, _ in js)
    for ios, flow in js:
        print(port, ios, tot, flow)
        assert abs(100.0 * ios / tot - flow / 10.0) <= 1.0
PY
}

@test "guests: reading the private sets through virtiofs fills the host page cache of each VM's files" {
	for v in 0 1; do
		res=$("$DAXLAB" files residency --config "$T/lab.ini" --bytes --set private-hot --vm $v |
			awk -v v=$v '$1 == "private-hot" && $2 == v { print $5 }')
		echo "vm$v private-hot resident: $res"
		[ "$res" -gt 0 ]
	done
}
