#!/bin/bash
# The summary of a repeated sweep: `daxlab report SWEEPDIR` over 100
# results folders (2 points x 50 repetitions, each a copy of a real run of
# the demo, tests/fixtures/report/real-pr25) writes summary.json, .csv, .md
# and the sweep's report. Target: well under a second. Its floor, in the
# same run: reading every byte of those folders (cat > /dev/null).
#
#   bench/summary.sh [--quick]   (--quick: 3 rounds instead of 7)
#
# Ends with a RESULT line for bench/run.
set -eu
rounds=7
[ "${1:-}" = --quick ] && rounds=3
top=$(cd "$(dirname "$0")/.." && pwd)
D=${DAXLAB_BUILD:-$top/build}/daxlab
S=$(mktemp -d /var/tmp/daxlab-bench-summary.XXXXXX)
trap 'rm -rf "$S"' EXIT

for i in $(seq 0 99); do
	cp -r "$top/tests/fixtures/report/real-pr25" "$S/point-$i"
	echo complete >"$S/point-$i/status"
done
python3 - "$S" "$top/examples/demo.ini" <<'PY'
import json, sys
d, config = sys.argv[1], sys.argv[2]
points, rep = 2, 50
runs = [{"index": i, "point": i % points, "repetition": i // points,
         "folder": "point-%d" % i} for i in range(points * rep)]
json.dump({"name": "bench", "config": config, "seed": "1", "order": "sequential",
           "repeat": rep, "keys": [{"key": "runtime", "values": ["8", "9"]}],
           "points": [{"index": p, "values": {"runtime": str(8 + p)}} for p in range(points)],
           "runs": runs}, open(d + "/manifest.json", "w"))
PY

now() { date +%s.%N; }
best_d=999 best_f=999
for r in $(seq "$rounds"); do
	t0=$(now)
	find "$S" -type f -name '*' ! -name 'summary*' ! -name report.html -exec cat {} + >/dev/null
	t1=$(now)
	"$D" report -q "$S" >/dev/null
	t2=$(now)
	best_f=$(echo "$t0 $t1 $best_f" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
	best_d=$(echo "$t1 $t2 $best_d" | awk '{ d = $2 - $1; print (d < $3 ? d : $3) }')
done
python3 - "$S/summary.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = sum(len(p["runs"]) for p in d["points"])
assert n == 100, n
print("summary of %d runs, %d metrics a point, %d comparisons" % (
    n, len(d["points"][0]["metrics"]), len(d["comparisons"])))
PY
ratio=$(echo "$best_d $best_f" | awk '{ printf "%.1f", $1 / $2 }')
met=$(echo "$best_d" | awk '{ print ($1 < 1.0 ? "met" : "missed") }')
printf 'daxlab report of 100 runs: %.3f s (best of %d); reading their files: %.3f s\n' \
	"$best_d" "$rounds" "$best_f"
printf 'RESULT\tsummary\t100 results folders, summary.json and report\t%.3f s\t%.3f s (cat)\t%s\t< 1 s\t%s\n' \
	"$best_d" "$best_f" "$ratio" "$met"
