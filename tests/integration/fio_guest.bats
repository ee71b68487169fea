#!/usr/bin/env bats
# daxlab files and fio against two tiny guests under TCG (the vm area's
# lab): the shared set on virtio-pmem (DAX), each VM's private set on
# virtiofs, fio driven from the host through ssh forwards of the guests'
# fio servers (state_dir/vm-ID/fio.sock).

bats_require_minimum_version 1.5.0

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
	# two VMs, named from the config by their sockets, four sets each
	[ "$(grep -cE "^0 +$T/state/vm-0/fio\.sock:8765 " <<<"$output")" -eq 4 ]
	[ "$(grep -cE "^1 +$T/state/vm-1/fio\.sock:8765 " <<<"$output")" -eq 4 ]
	# the forwards ended with fio, and took their sockets along
	[ ! -e "$T/state/vm-0/fio.sock" ] && [ ! -e "$T/state/vm-1/fio.sock" ]
	[ -z "$(pgrep -af -- "-L $T/state/vm-" || true)" ]
	python3 - "$T/out.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines(True)
start = next(i for i, l in enumerate(lines) if l.startswith('{'))
doc = json.loads(''.join(lines[start:]))
hosts = {}
for j in doc['client_stats']:
    if j['jobname'] == 'All clients':
        continue
    hosts.setdefault(j['hostname'], []).append(
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

# Puts back what the version tests change in vm 1: its own fio.
restore_fio() {
	"$DAXLAB" vm ssh --config "$T/lab.ini" 1 -- sh -c \
		'rm -f /usr/sbin/fio; [ -e /usr/bin/fio ] || mv /usr/bin/fio.gone /usr/bin/fio'
}

teardown() {
	[ -n "${CHANGED_FIO:-}" ] && restore_fio
	return 0
}

# no fio client of this lab runs on the host
no_fio_client() {
	! pgrep -af -- "--client" | grep -F -- "$T/" || false
}

@test "guests: fio run stops before running when a guest's fio is another version, naming the VM and both versions" {
	host=$(fio --version)
	[ "$(cat "$T/start.rc")" = 0 ]
	"$DAXLAB" fio job --config "$T/lab.ini" --output "$T/fio/jobs/main.fio"
	# vm 1's fio now says fio-3.99 (its fio --server stays the real one)
	CHANGED_FIO=1
	"$DAXLAB" vm ssh --config "$T/lab.ini" 1 -- sh -c \
		'cat >/usr/sbin/fio && chmod 755 /usr/sbin/fio' \
		<"$DAXLAB_TOP/tests/fixtures/guest/fio-3.99"
	[ "$("$DAXLAB" vm ssh --config "$T/lab.ini" 1 -- fio --version)" = fio-3.99 ]
	run --separate-stderr "$DAXLAB" fio run --config "$T/lab.ini" \
		--job "$T/fio/current" --json "$T/mismatch.json"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: vm 1: the guest's fio is fio-3.99, this host's (fio) is $host; fio's client and server must be the same version: rebuild the tiny guest on this host (daxlab guest build), or install $host in the VM's image"* ]]
	# vm 0 is checked too, and is fine
	[[ "$stderr" == *"vm 0 (sock:$T/state/vm-0/fio.sock): $host, as on this host"* ]]
	[[ "$stderr" != *"vm 0: the guest's fio"* ]]
	# asked before fio ran or waited: no JSON, no client left
	[[ "$stderr" != *"running "* ]]
	[ ! -e "$T/mismatch.json" ]
	no_fio_client
	# --fio names the host's binary in the message
	run --separate-stderr "$DAXLAB" fio run --config "$T/lab.ini" \
		--job "$T/fio/current" --json "$T/mismatch.json" --fio /usr/bin/fio
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"this host's (/usr/bin/fio) is $host"* ]]
}

@test "guests: fio run with a guest that has no fio: its own error, naming the VM" {
	[ "$(cat "$T/start.rc")" = 0 ]
	"$DAXLAB" fio job --config "$T/lab.ini" --output "$T/fio/jobs/main.fio"
	CHANGED_FIO=1
	"$DAXLAB" vm ssh --config "$T/lab.ini" 1 -- mv /usr/bin/fio /usr/bin/fio.gone
	run --separate-stderr "$DAXLAB" fio run --config "$T/lab.ini" \
		--job "$T/fio/current" --json "$T/missing.json"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: vm 1: no fio in the guest (ssh vm1 fio --version: "*"not found"*"); fio --server must run there: rebuild the tiny guest (daxlab guest build), or install fio in the VM's image"* ]]
	[ ! -e "$T/missing.json" ]
	no_fio_client
	# with its fio back, the run goes ahead
	restore_fio
	CHANGED_FIO=
	run --separate-stderr "$DAXLAB" fio run --config "$T/lab.ini" \
		--job "$T/fio/current" --json "$T/back.json"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"vm 1 (sock:$T/state/vm-1/fio.sock): $(fio --version), as on this host"* ]]
}

@test "guests: no port leads to the fio servers, and only root reaches their forwards" {
	local pid port
	[ "$(cat "$T/start.rc")" = 0 ]
	# qemu listens on the ssh port only
	for v in 0 1; do
		read -r pid _ <"$T/state/vm-$v/qemu.pid"
		port=$(awk -v v="[vm $v]" '$0 == v { s = 1 } s && /^ssh_port = / { print $3; exit }' "$T/lab.ini")
		[ -n "$pid" ] && [ -n "$port" ]
		[ "$(ss -Hltnp | grep -F "pid=$pid," | awk '{ print $4 }')" = "127.0.0.1:$port" ]
	done
	# the guest's server is on its loopback alone
	run "$DAXLAB" vm ssh --config "$T/lab.ini" 0 -- cat /proc/net/tcp /proc/net/tcp6
	[ "$(awk '$2 ~ /:223D$/ && $4 == "0A" { print $2 }' <<<"$output")" = "0100007F:223D" ]
	# while fio runs, its forward is in the VM's 0700 folder: nobody
	# else can connect to it
	"$DAXLAB" fio job --config "$T/lab.ini" --runtime 8 --output "$T/fio/jobs/sec.fio"
	"$DAXLAB" fio run --config "$T/lab.ini" --job "$T/fio/jobs/sec.fio" \
		--json "$T/sec.json" >"$T/sec.out" 2>&1 &
	local bg=$!
	for _ in $(seq 300); do [ -S "$T/state/vm-0/fio.sock" ] && break; sleep 0.1; done
	[ -S "$T/state/vm-0/fio.sock" ]
	[ "$(stat -c %a "$T/state/vm-0")" = 700 ]
	[ "$(stat -c %a "$T/state/vm-0/fio.sock")" = 600 ]
	# a second fio run on these VMs is refused, and leaves the first's be
	run --separate-stderr "$DAXLAB" fio run --config "$T/lab.ini" \
		--job "$T/fio/jobs/sec.fio" --json "$T/sec2.json"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"daxlab: vm 0: another fio run uses its fio server now ($T/state/vm-0/fio.lock is held)"* ]]
	[ -S "$T/state/vm-0/fio.sock" ]
	# (mktemp's folder is 0700 itself: opened for the test)
	chmod 755 "$T"
	run setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(3)
' "$T/state/vm-0/fio.sock"
	chmod 700 "$T"
	echo "$output"
	[ "$status" -eq 3 ]
	wait "$bg"
	cat "$T/sec.out"
	[ ! -e "$T/state/vm-0/fio.sock" ]
	# the first run got both VMs' results
	grep -q '^1 .*/vm-1/fio.sock:8765 ' "$T/sec.out"
	grep -q '^0 .*/vm-0/fio.sock:8765 ' "$T/sec.out"
}
