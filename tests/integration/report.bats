#!/usr/bin/env bats
# daxlab report: the report of results folders, checked as text and in a
# real browser (headless Chromium). Fixtures: tests/fixtures/report/
# synthetic (exact numbers, real fio JSON) and real-pr25, real-pr75 (two
# points of a real `daxlab run --sweep private_ratio=25,75` with two TCG
# guests).

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	FX=$DAXLAB_TOP/tests/fixtures/report
	T=$(mktemp -d)
	cp -r "$FX/synthetic" "$FX/real-pr25" "$FX/real-pr75" "$T/"
}

teardown() {
	rm -rf "$T"
}

# chromium FILE [ARGS...]: headless, no network, its own profile in $T.
chromium_headless() {
	local url=$1
	shift
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$T/profile" "$@" "file://$url" 2>/dev/null
}

@test "report writes report.html and summary.txt into the results folder" {
	run --separate-stderr "$D" report "$T/synthetic"
	[ "$status" -eq 0 ]
	[ -s "$T/synthetic/report.html" ]
	[ -s "$T/synthetic/summary.txt" ]
	[[ "$output" == *"report: $T/synthetic/report.html"* ]]
	[[ "$output" == *"status: complete"* ]]
}

@test "the shared DAX set counts once and the private sets twice" {
	"$D" report -q "$T/synthetic"
	# set, size, host, vm0, vm1, cached, once, twice, extra (MiB)
	run awk '$1 == "shared" && $2 ~ /^[0-9]/' "$T/synthetic/summary.txt"
	echo "$output"
	[ "$output" = "$(printf '%-18s %10s %10s %10s %10s %10s %10s %10s %10s' \
		shared 64.0 64.0 dax dax 64.0 64.0 0.0 0.0)" ]
	run awk '$1 == "private" && $3 == "0"' "$T/synthetic/summary.txt"
	echo "$output"
	[ "$output" = "$(printf '%-18s %10s %10s %10s %10s %10s %10s %10s %10s' \
		'private vm 0' 48.0 48.0 48.0 - 48.0 0.0 48.0 48.0)" ]
}

@test "a guest without a page-cache series in stats.csv keeps the copies it measured inside" {
	cp -r "$FX/tidy" "$T/nostats"
	head -n 1 "$FX/tidy/stats.csv" >"$T/nostats/stats.csv"
	"$D" report -q "$T/nostats"
	# set, size, host, vm0, vm1, cached, once, twice, extra (MiB): as
	# measured in residency.csv, not 0 for want of a growth
	run awk '$1 == "private" && $3 == "0"' "$T/nostats/summary.txt"
	echo "$output"
	[ "$output" = "$(printf '%-18s %10s %10s %10s %10s %10s %10s %10s %10s' \
		'private vm 0' 48.0 48.0 46.0 - 48.0 2.0 46.0 46.0)" ]
	grep -q 'Private sets: 96.0 MiB of the data cached, 4.0 MiB cached once, 92.0 MiB cached twice or more' \
		"$T/nostats/summary.txt"
	# the DAX guests still say so
	run awk '$1 == "shared" && $2 ~ /^[0-9]/ { print $4, $5 }' "$T/nostats/summary.txt"
	[ "$output" = "dax dax" ]
}

@test "a DAX guest that cached some of the shared set all the same shows how much" {
	cp -r "$FX/tidy" "$T/daxcopy"
	echo "20000,vm0,shared,hot,N0,/,20971520" >>"$T/daxcopy/residency.csv"
	"$D" report -q "$T/daxcopy"
	run awk '$1 == "shared" && $2 ~ /^[0-9]/ { print $4, $5, $6 }' "$T/daxcopy/summary.txt"
	echo "$output"
	[ "$output" = "dax 20.0 dax" ]
}

@test "page cache is file - shmem, and hierarchical_file for the v1 host root" {
	"$D" report -q "$T/synthetic"
	# guests: file grew 48 MiB + 4 KiB, shmem constant 30 MiB
	run awk '$1 == "vm0" && $2 == "guest" { print $4, $5 }' "$T/synthetic/summary.txt"
	[ "$output" = "89.0 48.0" ]
	# the real v1 host root: hierarchical_file, not the root's own file
	"$D" report -q "$T/real-pr75"
	last=$(grep ',host,hierarchical_file,total,' "$T/real-pr75/stats.csv" | tail -1 | cut -d, -f6)
	want=$(awk -v b="$last" 'BEGIN { printf "%.1f", b / 1048576 }')
	run awk '$1 == "host" && $2 == "host" { print $4 }' "$T/real-pr75/summary.txt"
	[ "$output" = "$want" ]
}

@test "fio results name the VM and give the asked and achieved split" {
	"$D" report -q "$T/real-pr25"
	# access_ratio 50, hot_access_ratio 80: 40/10/40/10
	run awk '$1 == "vm0" && $2 == "private-hot" { print $3 }' "$T/real-pr25/summary.txt"
	[ "$output" = "40.0" ]
	run awk '$1 == "vm1" && $2 == "shared-cold" { print $3 }' "$T/real-pr25/summary.txt"
	[ "$output" = "10.0" ]
	# rows grouped by VM, in the run's order
	run awk '$1 ~ /^vm[01]$/ && $2 ~ /-(hot|cold)$/ { printf "%s", substr($1, 3) }' "$T/real-pr25/summary.txt"
	[ "$output" = "00001111" ]
	run awk '$1 ~ /^vm[01]$/ && $2 ~ /-(hot|cold)$/ { n++ } END { print n }' "$T/real-pr25/summary.txt"
	[ "$output" = "8" ]
}

@test "several folders are compared side by side in compare.html" {
	cd "$T"
	run --separate-stderr "$D" report real-pr25 real-pr75
	[ "$status" -eq 0 ]
	[ -s compare.html ]
	[ -s compare.txt ]
	grep -q '^side by side' compare.txt
	run awk '$1 == "workload.private_ratio" { print $2, $3 }' compare.txt
	[ "$output" = "25 75" ]
	grep -q 'private sets: twice' compare.txt
	[ "$(grep -c '<section class="run"' compare.html)" -eq 2 ]
}

@test "sources with long names that start alike each get their own row in the comparison" {
	local l
	l=$(printf 'x%.0s' {1..100})
	sed -i "s/,vm0-cg,/,${l}0,/; s/,vm1-cg,/,${l}1,/" "$T/synthetic/stats.csv"
	cp -r "$T/synthetic" "$T/other"
	cd "$T"
	"$D" report -q synthetic other
	# text names each in full too: the rows in order, with their figures
	run awk '$4 ~ /^xxx/ { print $4, $5, $(NF - 1), $NF }' compare.txt
	echo "$output"
	[ "$output" = "$(printf '%s (MiB) 40.0 40.0\n%s (MiB) 24.0 24.0' "${l}0" "${l}1")" ]
	# HTML names each in full
	grep -qF "<td class=\"l\">page cache growth ${l}0 (MiB)</td>" compare.html
	grep -qF "<td class=\"l\">page cache growth ${l}1 (MiB)</td>" compare.html
}

@test "--output - is refused: there are two files to write" {
	cd "$T"
	run --separate-stderr "$D" report -o - "$T/synthetic"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not '-'"* ]]
	[ ! -e ./- ] && [ ! -e ./-.txt ]
}

@test "--output puts the HTML and the summary where asked" {
	run "$D" report -q --output "$T/out/x.html" "$T/synthetic"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/out/x.html"* ]]
	mkdir "$T/out"
	"$D" report -q --output "$T/out/x.html" "$T/synthetic"
	[ -s "$T/out/x.html" ]
	[ -s "$T/out/x.txt" ]
	[ ! -e "$T/synthetic/report.html" ]
}

@test "report.html is self-contained: no scripts, no external resources" {
	"$D" report -q "$T/real-pr25"
	! grep -Eiq '<script|<link|src=|@import|url\(' "$T/real-pr25/report.html" || false
	! grep -Eo 'https?://[^"]*' "$T/real-pr25/report.html" | grep -v '^http://www.w3.org/2000/svg$' || false
}

@test "report.html escapes what a run's provenance says, down to daxlab's version in its footer" {
	grep -q '^daxlab = ' "$T/real-pr25/provenance.txt"
	sed -i 's|^daxlab = .*|daxlab = 0.1.0<script>alert(1)</script>|' "$T/real-pr25/provenance.txt"
	"$D" report -q "$T/real-pr25"
	grep -qF 'daxlab 0.1.0&lt;script&gt;alert(1)&lt;/script&gt;</small>' "$T/real-pr25/report.html"
	run grep -ci '<script' "$T/real-pr25/report.html"
	[ "$output" = 0 ]
}

@test "headless Chromium renders the charts and tables of a report" {
	"$D" report -q "$T/real-pr25"
	chromium_headless "$T/real-pr25/report.html" --dump-dom >"$T/dom.html"
	# the rendered DOM, not the file: charts with data paths
	[ "$(grep -o '<svg class="chart"' "$T/dom.html" | wc -l)" -ge 3 ]
	grep -Eq '<path class="series" data-source="vm0" data-node="total" stroke="[^"]*" d="M[0-9.]+ [0-9.]+ L' "$T/dom.html"
	grep -Eq '<path class="series" data-source="virtiofsd"' "$T/dom.html"
	grep -Eq '<rect class="bar once" data-set="shared"' "$T/dom.html"
	for t in sets endstate residency fio; do
		grep -q "<table class=\"$t\">" "$T/dom.html"
	done
	grep -q '<td class="l">vm1-cg</td>' "$T/dom.html"
}

@test "headless Chromium renders a side-by-side comparison" {
	"$D" report -q -o "$T/cmp.html" "$T/real-pr25" "$T/real-pr75"
	chromium_headless "$T/cmp.html" --dump-dom >"$T/dom.html"
	grep -q '<table class="compare">' "$T/dom.html"
	[ "$(grep -o '<section class="run"' "$T/dom.html" | wc -l)" -eq 2 ]
	chromium_headless "$T/cmp.html" --screenshot="$T/shot.png" --window-size=1200,1600
	[ -s "$T/shot.png" ]
	[ "$(head -c 4 "$T/shot.png" | od -An -c | tr -d ' ')" = '211PNG' ]
}

@test "an incomplete run gets a report that says why and what is missing" {
	echo "incomplete: interrupted by SIGINT during step 'run fio'" >"$T/synthetic/status"
	rm "$T/synthetic/fio.json"
	run --separate-stderr "$D" report "$T/synthetic"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status: incomplete: interrupted by SIGINT during step 'run fio'"* ]]
	[[ "$output" == *"warning: no fio results (fio.json: No such file or directory)"* ]]
	grep -q 'class="status incomplete"' "$T/synthetic/report.html"
}

@test "a folder that is not a results folder is an error naming it" {
	mkdir "$T/empty"
	run --separate-stderr "$D" report "$T/empty"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/empty: not a results folder"* ]]
	# a file, and a path that is not there: said as such, nothing written
	touch "$T/file"
	run --separate-stderr "$D" report "$T/file"
	[ "$status" -eq 1 ]
	[ "$stderr" = "daxlab: $T/file: not a results folder" ]
	run --separate-stderr "$D" report "$T/missing"
	[ "$status" -eq 1 ]
	[ "$stderr" = "daxlab: $T/missing: No such file or directory" ]
}

@test "a malformed stats.csv is an error naming the file and line" {
	sed -i '5s/.*/1,2,3/' "$T/synthetic/stats.csv"
	run --separate-stderr "$D" report "$T/synthetic"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/synthetic/stats.csv:5: 3 fields, expected 7"* ]]
}

@test "a malformed residency.csv is an error naming the file and line" {
	echo "shared,,files,total,notanumber," >>"$T/synthetic/residency.csv"
	run --separate-stderr "$D" report "$T/synthetic"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$T/synthetic/residency.csv:9: malformed row"* ]]
}

@test "report without a folder is a usage error" {
	run --separate-stderr "$D" report
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no results folder given"* ]]
	[[ "$stderr" == *"Try 'daxlab report --help'"* ]]
}

@test "report --help agrees with the man page on the options" {
	run "$D" report --help
	[ "$status" -eq 0 ]
	for o in --output --quiet --help --version; do
		[[ "$output" == *"$o"* ]]
		grep -q -- "${o//-/\\\\-}" "$DAXLAB_TOP/man/daxlab-report.1"
	done
}

# --- daxlab report A B (issue 17): repetitions compared, tested ---

# gen_repeats DIR ARGS...: repeated runs of the synthetic fixture.
gen_repeats() {
	/usr/bin/python3 "$DAXLAB_TOP/tests/fixtures/repeats/generate.py" "$@"
}

# scipy_ref FIGURE-JOB DIR...: Welch's p of vm0's JOB IOPS (fio port 18765)
# of each DIR against the first, read from the fio.json files themselves.
scipy_ref() {
	/usr/bin/python3 - "$@" <<'PY'
import glob, json, sys
from scipy import stats
job, dirs = sys.argv[1], sys.argv[2:]
def iops(d):
    out = []
    for f in sorted(glob.glob(d + '/point-*/fio.json')) or [d + '/fio.json']:
        for c in json.load(open(f))['client_stats']:
            if c['jobname'] == job and c.get('port') == 18765:
                out.append(c['read']['iops'])
    return out
a = iops(dirs[0])
for d in dirs[1:]:
    b = iops(d)
    mb, ma = sum(b) / len(b), sum(a) / len(a)
    p = stats.ttest_ind(a, b, equal_var=False).pvalue if min(len(a), len(b)) > 1 else float('nan')
    print(repr(mb - ma), repr(mb / ma), repr(p))
PY
}

# jq-like: FIELD of the comparison of METRIC with b = B in FILE.json.
cmp_field() {
	/usr/bin/python3 -c '
import json, sys
f, metric, b, field = sys.argv[1:5]
for c in json.load(open(f))["comparisons"]:
    if c["metric"] == metric and c["b"] == b:
        v = c[field]
        print("null" if v is None else repr(v) if isinstance(v, float) else str(v).lower())
' "$@"
}

# t_interval DIR: "MEAN HALF-WIDTH LOW HIGH" of vm0's shared-hot IOPS over
# DIR's runs, as scipy's t.interval has them
t_interval() {
	/usr/bin/python3 - "$1" <<'PY'
import glob, json, sys
import numpy as np
from scipy import stats
v = []
for f in sorted(glob.glob(sys.argv[1] + '/point-*/fio.json')):
    for c in json.load(open(f))['client_stats']:
        if c['jobname'] == 'shared-hot' and c.get('port') == 18765:
            v.append(c['read']['iops'])
lo, hi = stats.t.interval(0.95, len(v) - 1, loc=np.mean(v), scale=stats.sem(v))
print(*(repr(float(x)) for x in (np.mean(v), (hi - lo) / 2, lo, hi)))
PY
}

close9() {
	/usr/bin/python3 -c 'import sys; a, b = map(float, sys.argv[1:3]); sys.exit(0 if abs(a - b) <= 1e-9 * max(abs(a), abs(b)) else 1)' "$1" "$2"
}

@test "report A B of repeated runs: difference, ratio and Welch's p as scipy has them, * where significant" {
	cd "$T"
	gen_repeats A --repeat 3 --scale 1,1.02,0.98
	gen_repeats B --repeat 3 --scale 1.1,1.12,1.09
	run --separate-stderr "$D" report -o cmp.html A B
	[ "$status" -eq 0 ]
	[ -s cmp.html ] && [ -s cmp.txt ] && [ -s cmp.json ]
	read -r diff ratio p < <(scipy_ref shared-hot A B)
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops B diff)" "$diff"
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops B ratio)" "$ratio"
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops B p)" "$p"
	[ "$(cmp_field cmp.json vm0.shared-hot.iops B significant)" = true ]
	# one pair: no Holm, and the text says so
	[ "$(cmp_field cmp.json vm0.shared-hot.iops B p_holm)" = null ]
	grep -q 'one pair; .*not adjusted across figures' cmp.txt
	# the same page cache in every run: no difference, not significant
	[ "$(cmp_field cmp.json host.total.pagecache_final B p)" = 1.0 ]
	[ "$(cmp_field cmp.json host.total.pagecache_final B significant)" = false ]
	# the marker in the summary and the page, with mean ± CI (n)
	grep -E '^vm0\.shared-hot\.iops .*\(3\) .*\(3\) .* \*$' cmp.txt
	grep -E '^host\.total\.pagecache_final .* 1 *$' cmp.txt
	grep -q '<h2>Comparison</h2>' cmp.html
	grep -q 'vm0.shared-hot.mean_latency' cmp.html
	[[ "$output" == *"comparison: cmp.json"* ]]
}

@test "report A B --alpha: a stricter level drops the marker that 0.05 gives" {
	cd "$T"
	gen_repeats A --repeat 3 --scale 1,1.02,0.98
	gen_repeats B --repeat 3 --scale 1.06,1.08,1.04
	read -r _ _ p < <(scipy_ref shared-hot A B)
	# the scales are chosen so that 0.001 < p < 0.05
	/usr/bin/python3 -c "import sys; sys.exit(0 if 0.001 < $p < 0.05 else 1)"
	"$D" report -q -o c5.html A B
	"$D" report -q --alpha 0.001 -o c1.html A B
	[ "$(cmp_field c5.json vm0.shared-hot.iops B significant)" = true ]
	[ "$(cmp_field c1.json vm0.shared-hot.iops B significant)" = false ]
	run "$D" report --alpha 2 A B
	[ "$status" -eq 1 ]
}

@test "report A B C: each against the first, Holm over all comparisons, said to be many" {
	cd "$T"
	gen_repeats A --repeat 3 --scale 1,1.02,0.98
	gen_repeats B --repeat 3 --scale 1.1,1.12,1.09
	gen_repeats C --repeat 3 --scale 1.01,0.99,1.0
	run --separate-stderr "$D" report -q -o cmp.html A B C
	[ "$status" -eq 0 ]
	grep -q 'the comparisons are many' cmp.txt
	grep -q '^a: A$' cmp.txt
	[ "$(grep -c '^a: A$' cmp.txt)" -eq 2 ]
	# p agrees with scipy, p_holm is Holm's step-down over every tested p
	mapfile -t ref < <(scipy_ref shared-hot A B C)
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops B p)" "$(echo "${ref[0]}" | cut -d' ' -f3)"
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops C p)" "$(echo "${ref[1]}" | cut -d' ' -f3)"
	/usr/bin/python3 - <<'PY'
import json
c = json.load(open('cmp.json'))
assert c['holm'] is True
# tested: those with p and df (two groups without noise have no df)
rows = [r for r in c['comparisons'] if r['p'] is not None and r['df'] is not None]
exact = [r for r in c['comparisons'] if r['p'] is not None and r['df'] is None]
assert c['tested'] == len(rows) > 40
assert exact and all(r['p_holm'] == r['p'] in (0, 1) for r in exact), exact
order = sorted(range(len(rows)), key=lambda i: rows[i]['p'])
run, n = 0.0, len(rows)
for k, i in enumerate(order):
    run = max(run, (n - k) * rows[i]['p'])
    want = min(run, 1.0)
    got = rows[i]['p_holm']
    assert abs(got - want) <= 1e-12 * max(1, want), (rows[i], want)
    assert rows[i]['significant'] == (want < 0.05)
PY
	[ "$(cmp_field cmp.json vm0.shared-hot.iops C significant)" = false ]
}

@test "report of single runs: difference and ratio, no p-value, and why" {
	cd "$T"
	gen_repeats S1 --single --scale 1
	gen_repeats S2 --single --scale 1.2
	run --separate-stderr "$D" report -o cmp.html S1 S2
	[ "$status" -eq 0 ]
	read -r diff ratio _ < <(scipy_ref shared-hot S1 S2)
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops S2 diff)" "$diff"
	close9 "$(cmp_field cmp.json vm0.shared-hot.iops S2 ratio)" "$ratio"
	[ "$(cmp_field cmp.json vm0.shared-hot.iops S2 p)" = null ]
	[ "$(cmp_field cmp.json vm0.shared-hot.iops S2 significant)" = false ]
	grep -E '^vm0\.shared-hot\.iops .* n<2 *$' cmp.txt
	grep -q 'no p-value (n<2): a side has a single run' cmp.txt
	# the runs themselves are still side by side
	grep -q '^side by side' cmp.txt
}

@test "a figure one run of a sweep lacks: summary.json names the run of each value" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.02,0.98
	# point-0 has no fio figures of vm1 (fio port 18766)
	/usr/bin/python3 - <<'PY'
import json
f = "R/point-0/fio.json"
d = json.load(open(f))
d["client_stats"] = [c for c in d["client_stats"] if c.get("port") != 18766]
json.dump(d, open(f, "w"))
PY
	run --separate-stderr "$D" report -q R
	[ "$status" -eq 0 ]
	/usr/bin/python3 - <<'PY'
import json
d = json.load(open("R/summary.json"))
p = d["points"][0]
assert p["runs"] == ["point-0", "point-1", "point-2"], p["runs"]
m = {x["name"]: x for x in p["metrics"]}
for name, port, runs in (("vm1.shared-hot.iops", 18766, ["point-1", "point-2"]),
                         ("vm0.shared-hot.iops", 18765, ["point-0", "point-1", "point-2"])):
    x = m[name]
    assert x["runs"] == runs and x["n"] == len(runs) == len(x["values"]), x
    # each value is its own run's (the runs' IOPS differ)
    for run, v in zip(x["runs"], x["values"]):
        own = [c["read"]["iops"] for c in json.load(open("R/%s/fio.json" % run))["client_stats"]
               if c.get("port") == port and c["jobname"] == "shared-hot"]
        assert own == [v], (name, run, v, own)
PY
}

@test "a sweep's run whose folder cannot be read is left out of the summary with a warning naming file and line" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.1,1.2
	echo garbage,line >>R/point-1/stats.csv
	n=$(wc -l <R/point-1/stats.csv)
	run --separate-stderr "$D" report R
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"R: 2 of 3 runs complete"* ]]
	[[ "$stderr" == *"warning: R: left out of the summary: point-1: R/point-1/stats.csv:$n: 2 fields, expected 7"* ]]
	/usr/bin/python3 -c 'import json; d = json.load(open("R/summary.json")); assert d["points"][0]["runs"] == ["point-0", "point-2"]'
}

@test "a complete run whose stats.csv is cut short (mid-line, or empty) is left out of the summary, naming it" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.1,1.2
	[ "$(cat R/point-1/status)" = complete ]
	# its monitor killed while writing a line
	truncate -s 20010 R/point-1/stats.csv
	[ "$(tail -c 1 R/point-1/stats.csv | od -An -c | tr -d ' ')" != '\n' ]
	: >R/point-2/stats.csv
	run --separate-stderr "$D" report R
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$output" == *"R: 1 of 3 runs complete"* ]]
	n=$(($(wc -l <R/point-1/stats.csv) + 1))
	[[ "$stderr" == *"left out of the summary: point-1: stats.csv ends in the middle of line $n: the monitor was cut short; point-2: no stats (stats.csv: "* ]]
	/usr/bin/python3 - <<'PY'
import json
d = json.load(open("R/summary.json"))
assert d["points"][0]["runs"] == ["point-0"], d["points"][0]["runs"]
assert d["left_out"].startswith("point-1: stats.csv ends in the middle of line"), d["left_out"]
PY
	grep -q '^Left out: point-1: ' R/summary.md
	# the run's own report says so too
	run "$D" report R/point-1
	[[ "$output" == *"warning: stats.csv ends in the middle of line $n: the monitor was cut short"* ]]
	# and the sweep takes them for runs to do again, the old ones kept
	run "$D" sweep status R
	echo "$output"
	[[ "$output" == *"3 runs: 1 complete, 0 running, 2 incomplete"* ]]
	run --separate-stderr "$D" run --resume R --point 1
	echo "$stderr"
	[[ "$stderr" == *"R/point-1 was not complete: kept as R/point-1.attempt-1"* ]]
	[ "$(cat R/point-1.attempt-1/status)" = complete ]
}

@test "report A B of a run that did not complete: an error naming it, nothing compared" {
	cd "$T"
	gen_repeats S1 --single --scale 1
	gen_repeats S2 --single --scale 1.2
	echo "failed: vm 1 had died: killed by the OOM killer" >S2/status
	run --separate-stderr "$D" report -o cmp.html S1 S2
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"S2: its run is failed: vm 1 had died: killed by the OOM killer: its figures are not compared (daxlab report S2 alone shows what it has)"* ]]
	[ ! -e cmp.html ] && [ ! -e cmp.json ]
	# alone, it still gets its report
	run --separate-stderr "$D" report S2
	[ "$status" -eq 0 ]
	[ -s S2/report.html ]
}

@test "a repeated run's report: every headline figure with mean ± CI95 and n; mean latency beside p99" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.02,0.98
	run --separate-stderr "$D" report R
	[ "$status" -eq 0 ]
	grep -q '<h2>Headline figures</h2>' R/report.html
	# the half-width of vm0's shared-hot IOPS, as scipy's t.interval has it
	read -r mean hw _ < <(t_interval R)
	want=$(printf '%.6g ± %.3g (3)' "$mean" "$hw")
	grep -F "<td class=\"l\">vm0.shared-hot.iops</td><td>IO/s</td><td>$want</td>" R/report.html
	grep '^vm0\.shared-hot\.iops  *IO/s  ' R/summary.txt | grep -F "$want"
	grep -q '<th>mean &micro;s</th><th>p50 &micro;s</th><th>p99 &micro;s</th>' R/report.html
	grep -q 'meanus' R/summary.txt
	grep -q '"name":"vm0.shared-hot.mean_latency"\|"name": "vm0.shared-hot.mean_latency"' R/summary.json
}

@test "a mean and its interval are printed down to the interval's second digit: a narrow interval of a large figure keeps its width" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.0000001,1.0000002
	run --separate-stderr "$D" report R
	[ "$status" -eq 0 ]
	/usr/bin/python3 - $(t_interval R) <<'PY'
import re, sys
mean, hw, lo, hi = map(float, sys.argv[1:5])
row = [l for l in open('R/summary.md') if '| vm0.shared-hot.iops |' in l][0]
cells = [x.strip() for x in row.split('|')]
clo, chi = map(float, cells[7].strip('[]').split(','))
assert clo < float(cells[5]) < chi, row
assert abs(clo - lo) < hw / 10 and abs(chi - hi) < hw / 10, (row, lo, hi)
assert abs(float(cells[5]) - mean) < hw / 10, (row, mean)
txt = [l for l in open('R/summary.txt') if l.startswith('vm0.shared-hot.iops ')][0]
m = float(re.search(r'([0-9.e+]+) \u00b1', txt).group(1))
assert abs(m - mean) < hw / 10, (txt, mean, hw)
PY
}

@test "runs of a sweep from hosts or settings that differ (another kernel, NUMA layout, start state): the summary says so, with each value's runs" {
	cd "$T"
	gen_repeats S --repeat 2 --key private_ratio=25,75 --scale 1,1.1,1.02,1.12
	run --separate-stderr "$D" report -q S
	[ "$status" -eq 0 ]
	[[ "$stderr" != *"differ ("* ]]
	[ "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["differs"])' S/summary.json)" = "{}" ]
	run grep -c 'settings differ' S/summary.md S/statistics.html
	[ "$output" = $'S/summary.md:0\nS/statistics.html:0' ]
	# a Slurm node with another kernel and two NUMA nodes ran point-3
	sed -i 's/^kernel = .*/kernel = Linux 6.12.57+deb13-amd64/; s/^topology.nodes = .*/topology.nodes = 2/' S/point-3/provenance.txt
	# and point-2 began warm (a sweep resumed with another --warm)
	for i in 0 1 3; do echo 'start_state = cold' >>S/point-$i/provenance.txt; done
	echo 'start_state = warm' >>S/point-2/provenance.txt
	run --separate-stderr "$D" report -q S
	echo "$stderr"
	[ "$status" -eq 0 ]
	k=$(sed -n 's/^kernel = //p' S/point-0/provenance.txt)
	[[ "$stderr" == *"warning: S: the runs' hosts or settings differ (kernel: '$k' (3 runs), 'Linux 6.12.57+deb13-amd64' (1 run); topology.nodes: '0' (3 runs), '2' (1 run); start_state: 'cold' (3 runs), 'warm' (1 run)): the means and intervals mix them"* ]]
	/usr/bin/python3 - "$k" <<'PY'
import json, sys
d = json.load(open('S/summary.json'))['differs']
assert d == {'kernel': {sys.argv[1]: 3, 'Linux 6.12.57+deb13-amd64': 1},
             'topology.nodes': {'0': 3, '2': 1},
             'start_state': {'cold': 3, 'warm': 1}}, d
PY
	grep -q "^The runs' hosts or settings differ (kernel: " S/summary.md
	grep -qF "<p class=\"warn\"><b>The runs' hosts or settings differ</b> (kernel: " S/statistics.html
}

@test "a sweep summary's figure that has no value (CoV of a mean of 0, stddev of one run) is an empty cell, not nan" {
	cd "$T"
	gen_repeats R --repeat 3 --scale 1,1.02,0.98
	gen_repeats S --repeat 1 --scale 1
	run --separate-stderr "$D" report -q R
	[ "$status" -eq 0 ]
	run --separate-stderr "$D" report -q S
	[ "$status" -eq 0 ]
	! grep -qiw 'nan' R/summary.csv R/summary.md S/summary.csv S/summary.md || false
	# cached twice under DAX: 0 in every run, its CoV is no number
	grep -q '^-,shared.cached_twice,bytes,3,0,0,0,,' R/summary.csv
	grep -q '^| - | shared.cached_twice | bytes | 3 | 0 | 0 | \[0, 0\] | - |' R/summary.md
	# one run: no stddev and no interval
	grep -q '^-,vm0.shared-hot.iops,IO/s,1,[0-9.e+]*,[0-9.e+]*,,[0-9.e+-]*,,,0$' S/summary.csv
	# nor in statistics.html, or in report A B's ratio of two means of 0
	! grep -qiw 'nan' R/statistics.html || false
	run --separate-stderr "$D" report -q -o ab.html R S
	[ "$status" -eq 0 ]
	! grep -qiw 'nan' ab.txt ab.html || false
	grep -Eq '^shared\.cached_twice +bytes .* \+0 +- ' ab.txt
}
