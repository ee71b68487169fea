#!/bin/bash
# VM start: `daxlab vm start 0` on examples/demo.ini (the tiny guest under
# TCG), from the command to the guest answering ssh, split per step by the
# time stamps of its progress lines on stderr:
#   setup     config, KVM probe, until the cgroups line
#   cgroups   cgroups of virtiofsd and the VM
#   pmem      the virtio-pmem image of the shared folder (DAX)
#   virtiofsd start of virtiofsd for the private share
#   qemu      start of qemu, until it runs
#   boot      the guest's boot, until its console says it is up
#   ssh       until ssh answers
# The floor is the guest's own boot (qemu + kernel + init); the ratio is
# total / boot: what daxlab adds around the boot. No target in docs/architecture.md.
#
#   bench/vmstart.sh [--quick]    (runs 3 starts, 1 with --quick; root)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
G=${DAXLAB_GUEST:-$top/build/test-guest}
runs=3
[ "${1:-}" = --quick ] && runs=1
[ -x "$D" ] || { echo "no $D: build first" >&2; exit 1; }
[ -s "$G/vmlinuz" ] || { echo "no guest in $G: daxlab guest build --output $G" >&2; exit 1; }
. "$top/bench/lab.bash"

T=$(mktemp -d /var/tmp/daxlab-bench-vm.XXXXXX)
P=dxbv$$
trap 'lab_cleanup "$T" "$P"; rm -rf "$T"' EXIT
make_lab "$T" "$P" "$G"
"$D" files create -q --no-progress --config "$T/lab.ini"

steps="setup cgroups pmem virtiofsd qemu boot ssh"
printf '%-4s' run
for s in $steps total; do printf ' %9s' "$s"; done
echo
for r in $(seq "$runs"); do
	sync
	t0=$EPOCHREALTIME
	"$D" vm start 0 --config "$T/lab.ini" 2>&1 | stamp "$t0" >"$T/start$r.log"
	"$D" vm stop all --config "$T/lab.ini" >/dev/null 2>&1
	awk -v r="$r" '
		/: vm 0: cgroups /		{ t["cgroups"] = $1 }
		/virtio-pmem image/		{ t["pmem"] = $1 }
		/: vm 0: virtiofsd /		{ if (!("virtiofsd" in t)) t["virtiofsd"] = $1 }
		/: vm 0: qemu /			{ t["qemu"] = $1 }
		/: vm 0: waiting for (the guest|DAXLAB-READY)/ { t["boot"] = $1 }
		/: vm 0: guest is up/		{ t["ssh"] = $1 }
		/: vm 0 is up/			{ t["end"] = $1 }
		END {
			if (!("end" in t)) { print "vm 0 did not come up" > "/dev/stderr"; exit 1 }
			if (!("cgroups" in t) || !("qemu" in t) || !("boot" in t) || !("ssh" in t)) {
				print "vm start: a step message was not found (did the wording change?)" > "/dev/stderr"
				exit 1
			}
			if (!("pmem" in t)) t["pmem"] = t["virtiofsd"]
			n = split("cgroups pmem virtiofsd qemu boot ssh end", k, " ")
			printf "%-4s %9.2f", r, t["cgroups"]
			for (i = 1; i < n; i++)
				printf " %9.2f", t[k[i + 1]] - t[k[i]]
			printf " %9.2f\n", t["end"]
		}' "$T/start$r.log" | tee -a "$T/table" || { cat "$T/start$r.log"; exit 1; }
done
# the run with the shortest total
best=$(sort -k9 -g "$T/table" | head -n1)
read -r _ setup cg pmem vfs qemu boot ssh total <<<"$best"
echo "best run: setup $setup s, cgroups $cg s, pmem image $pmem s, virtiofsd $vfs s," \
	"qemu $qemu s, boot $boot s, ssh $ssh s: $total s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
ratio=$(awk -v a="$total" -v b="$boot" 'BEGIN { printf "%.2fx", a / b }')
printf 'RESULT\tVM start\tconfig to guest ready, vm 0 (TCG; cgroups %s, pmem %s, virtiofsd %s, qemu %s, ssh %s s)\t%s s\tboot %s s\t%s\t-\t-\n' \
	"$cg" "$pmem" "$vfs" "$qemu" "$ssh" "$total" "$boot" "$ratio"
