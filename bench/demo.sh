#!/bin/bash
# The demo experiment: wall time of `daxlab run` on examples/demo.ini (two
# tiny TCG guests, sizes and workload as in the example; its own state
# dir, cgroups, ports and data folders), from the command to the report,
# split per step by the time stamps of its progress lines on stderr.
# Target (docs/architecture.md): under 3 minutes on this 2-core machine under TCG.
# The data files are created by the run itself (its first step).
#
#   bench/demo.sh          (root; one run, about 2 minutes)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
G=${DAXLAB_GUEST:-$top/build/test-guest}
[ -x "$D" ] || { echo "no $D: build first" >&2; exit 1; }
[ -s "$G/vmlinuz" ] || { echo "no guest in $G: daxlab guest build --output $G" >&2; exit 1; }
. "$top/bench/lab.bash"

T=$(mktemp -d /var/tmp/daxlab-bench-demo.XXXXXX)
P=dxbd$$
trap 'lab_cleanup "$T" "$P"; rm -rf "$T"' EXIT
make_lab "$T" "$P" "$G"

sync
t0=$EPOCHREALTIME
rc=0
"$D" run --config "$T/lab.ini" --results "$T/results" --name demo 2>&1 |
	stamp "$t0" >"$T/run.log" || rc=$?
t1=$EPOCHREALTIME
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
status=$(cat "$T"/results/*-demo/status 2>/dev/null || echo "no status")
if [ "$rc" -ne 0 ] || [ "$status" != complete ]; then
	tail -n 30 "$T/run.log" >&2
	echo "the demo run failed (exit $rc, status: $status)" >&2
	printf 'RESULT\tdemo experiment\tdaxlab run on examples/demo.ini: FAILED (%s)\t%s s\t-\t-\t< 180 s\tmissed\n' \
		"$status" "$total"
	exit 0
fi
steps="create files|start VMs|check fio versions|check mounts|warm the page cache|drop the page cache|write the fio job|start the monitor|run fio|tail|measure residency|stop VMs|report"
# step lines: "T daxlab: STEP" (a line that is exactly a step's name)
split=$(awk -v steps="$steps" -v end="$total" '
	BEGIN { n = split(steps, s, "|"); for (i = 1; i <= n; i++) is[s[i]] = 1 }
	{ t = $1; sub(/^[^ ]* /, ""); sub(/^daxlab: /, ""); sub(/^\[ *[0-9.]+s\] /, "") }
	is[$0] { if (cur != "") d[cur] += t - st; else pre = t; cur = $0; st = t; order[++k] = $0 }
	END {
		if (cur != "") d[cur] += end - st
		out = sprintf("prepare %.1f", pre)
		for (i = 1; i <= k; i++) out = out sprintf(", %s %.1f", order[i], d[order[i]])
		print out
	}' "$T/run.log")
sed 's/^/run: /' "$T/run.log"
awk -F, 'NR > 1 { n[$3]++ } END { for (s in n) printf "stats.csv: %s: %d rows\n", s, n[s] }' \
	"$T"/results/*-demo/stats.csv | sort
echo "demo run: $total s in all; per step (s): $split"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'RESULT\tdemo experiment\tdaxlab run on examples/demo.ini, config to report (s: %s)\t%s s\ttarget 180 s\t%sx\t< 180 s\t%s\n' \
	"$split" "$total" "$(awk -v a="$total" 'BEGIN { printf "%.2f", a / 180 }')" \
	"$(awk -v a="$total" 'BEGIN { print (a < 180 ? "met" : "missed") }')"
