#!/usr/bin/env bats
# daxlab stats compare: figures against an independent awk computation,
# plots, errors and the command-line contract.

bats_require_minimum_version 1.5.0

setup() {
	D=$DAXLAB_BUILD/daxlab
	T=$(mktemp -d /tmp/daxlab-compare.XXXXXX)
	cd "$T"
	gen numa_stats.csv 240 1
}

teardown() {
	cd /
	rm -rf "$T"
}

# gen FILE TICKS FACTOR: a monitor-like CSV, the seed's six sources, two
# nodes and a total, four stats; values scaled by FACTOR.
gen() {
	awk -v ticks="$2" -v f="$3" 'BEGIN {
		print "epoch_ms,elapsed_ms,source,stat,node,value,unit"
		ns = split("host virtiofsd vm0-cg vm1-cg vm0 vm1", src, " ")
		nt = split("anon file shmem workingset_refault_file", st, " ")
		for (t = 0; t < ticks; t++)
			for (s = 1; s <= ns; s++)
				for (k = 1; k <= nt; k++) {
					unit = st[k] ~ /^workingset/ ? "count" : "bytes"
					tot = 0
					for (n = 0; n < 2; n++) {
						v = ((t * 7919 + s * 104729 + n * 1299709 + k * 15485863) % 99991) * (unit == "bytes" ? 4096 : 1) * f
						tot += v
						printf "%d,%d,%s,%s,N%d,%d,%s\n", 1732550000000 + t * 500 + s, t * 500, src[s], st[k], n, v, unit
					}
					printf "%d,%d,%s,%s,total,%d,%s\n", 1732550000000 + t * 500 + s, t * 500, src[s], st[k], tot, unit
				}
	}' >"$1"
}

# The figures, computed by awk, as compare's CSV prints them (no file column);
# %.0f, not %d: mawk's %d stops at 2^31 - 1, below a host's page cache.
awk_figures() {
	awk -F, -v want="$2" 'NR > 1 && $4 == want {
		k = $3 "," $5
		if (!(k in n)) { order[++no] = k; first[k] = $6; min[k] = $6; max[k] = $6; unit[k] = $7 }
		n[k]++; last[k] = $6; sum[k] += $6
		if ($6 < min[k]) min[k] = $6
		if ($6 > max[k]) max[k] = $6
	}
	END {
		for (i = 1; i <= no; i++) {
			k = order[i]; split(k, p, ",")
			printf "%s,%s,%s,%s,%d,%.0f,%.0f,%.0f,%.0f,%.0f,%.2f\n", p[1], want, p[2], unit[k], n[k], first[k], last[k], last[k] - first[k], min[k], max[k], sum[k] / n[k]
		}
	}' "$1" | sort
}

@test "the seed's line works as written, through the stats alias" {
	run --separate-stderr "$DAXLAB_BUILD/stats" compare --file numa_stats.csv --stat file --cgroups host virtiofsd vm0-cg vm1-cg vm0 vm1
	[ "$status" -eq 0 ]
	order=$(echo "$output" | awk 'NR > 2 && $2 == "total" { printf "%s ", $1 }')
	[ "$order" = "host virtiofsd vm0-cg vm1-cg vm0 vm1 " ]
	[[ "$output" == *MiB* ]]
}

@test "sources are shown in the order given" {
	run "$D" stats compare --file numa_stats.csv --cgroups vm1 host
	[ "$status" -eq 0 ]
	order=$(echo "$output" | awk 'NR > 2 && $2 == "total" { printf "%s ", $1 }')
	[ "$order" = "vm1 host " ]
}

@test "without --cgroups every source is shown, in file order" {
	run "$D" stats compare --file numa_stats.csv
	[ "$status" -eq 0 ]
	order=$(echo "$output" | awk 'NR > 2 && $2 == "total" { printf "%s ", $1 }')
	[ "$order" = "host virtiofsd vm0-cg vm1-cg vm0 vm1 " ]
}

@test "first, last, delta, min, max and mean match awk on the same CSV" {
	run --separate-stderr "$D" stats compare --file numa_stats.csv --stat file --bytes --format csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "file,source,stat,node,unit,samples,first,last,delta,min,max,mean" ]
	echo "$output" | tail -n +2 | cut -d, -f2- | sort >got
	awk_figures numa_stats.csv file >want
	[ "$(wc -l <want)" -eq 18 ]
	diff -u want got
}

@test "a count stat is compared in counts" {
	run "$D" stats compare -f numa_stats.csv -s workingset_refault_file -F csv
	[ "$status" -eq 0 ]
	echo "$output" | tail -n +2 | cut -d, -f2- | sort >got
	awk_figures numa_stats.csv workingset_refault_file >want
	diff -u want got
	grep -q ',count,' got
}

@test "pagecache is file - shmem per tick, source and node, as awk computes it" {
	awk -F, 'NR == 1 { print; next }
		$4 == "file" { f[$2 "," $3 "," $5] = $6 }
		$4 == "shmem" { k = $2 "," $3 "," $5; print $1 "," $2 "," $3 ",pagecache," $5 "," f[k] - $6 "," $7 }' \
		numa_stats.csv >pc.csv
	awk_figures pc.csv pagecache >want
	run "$D" stats compare -f numa_stats.csv -s pagecache -F csv
	[ "$status" -eq 0 ]
	echo "$output" | tail -n +2 | cut -d, -f2- | sort >got
	diff -u want got
}

@test "the plot is an SVG that parses as XML, a panel per source" {
	run "$D" stats compare -f numa_stats.csv -c host vm0 vm1 --plot plot.svg
	[ "$status" -eq 0 ]
	xmllint --noout plot.svg
	[ "$(grep -c 'class="panel"' plot.svg)" -eq 3 ]
	grep -q 'time (s)' plot.svg
	grep -q 'file (MiB)' plot.svg
	[ "$(grep -c '<polyline' plot.svg)" -eq 9 ]
}

@test "a plot that cannot be written fails first; a failed run leaves no plot" {
	run --separate-stderr "$D" stats compare -f numa_stats.csv --plot "$T/no/such/dir/plot.svg"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot write $T/no/such/dir/plot.svg"* ]]
	run --separate-stderr "$D" stats compare -f numa_stats.csv -s slab --plot plot.svg
	[ "$status" -eq 1 ]
	[ ! -e plot.svg ]
}

@test "an unknown source is an error listing the sources the file holds" {
	run --separate-stderr "$D" stats compare -f numa_stats.csv -c host vm7
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source 'vm7' not in numa_stats.csv; it holds: host, virtiofsd, vm0-cg, vm1-cg, vm0, vm1"* ]]
}

@test "an unknown stat is an error listing the stats the file holds" {
	run --separate-stderr "$D" stats compare -f numa_stats.csv -s slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"stat 'slab' not in numa_stats.csv; it holds: anon, file, shmem, workingset_refault_file"* ]]
}

@test "several files: side by side, with the change against the first in percent" {
	gen double.csv 240 2
	run --separate-stderr "$D" stats compare -f numa_stats.csv -f double.csv -c vm0 --bytes
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *numa_stats.csv*double.csv*CHANGE* ]]
	# Every figure doubled: 100% more (a fall: 100% further down).
	[ "$(echo "$output" | grep -Ec '(first|last|min|max|mean) .*\+100\.0%$')" -eq 15 ]
	[ "$(echo "$output" | grep -Ec 'delta .*[+-]100\.0%$')" -eq 3 ]
	run "$D" stats compare -f numa_stats.csv double.csv -c vm0 -F csv
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -Ec '^double.csv,vm0,.*,100.00,100.00,-?100.00,100.00,100.00,100.00$')" -eq 3 ]
}

@test "a source missing from a later file shows as '-', unless asked for" {
	grep -v ',vm1,' numa_stats.csv >novm1.csv
	run --separate-stderr "$D" stats compare -f numa_stats.csv -f novm1.csv --bytes
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^vm1 +N0 +first +[0-9]+ +- +-$'
	run --separate-stderr "$D" stats compare -f numa_stats.csv -f novm1.csv -c vm0 vm1
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"source 'vm1' not in novm1.csv; it holds: host, virtiofsd, vm0-cg, vm1-cg, vm0"* ]]
}

@test "json output holds the same figures" {
	run "$D" stats compare -f numa_stats.csv -c host -F json
	[ "$status" -eq 0 ]
	echo "$output" >out.json
	want=$(awk_figures numa_stats.csv file | awk -F, '$1 == "host" && $3 == "N0" { print $7 }')
	got=$(python3 -c 'import json,sys; d=json.load(open("out.json")); print(d["series"][0]["files"][0]["last"])')
	[ "$got" = "$want" ]
}

@test "a malformed line is an error naming the file and line" {
	{ head -5 numa_stats.csv; echo "1732550000000,0,host,anon,N1"; tail -n +6 numa_stats.csv; } >bad.csv
	run --separate-stderr "$D" stats compare -f bad.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.csv:6: 5 fields, expected 7"* ]]
	{ head -9 numa_stats.csv; echo "1732550000000,0,host,file,N1,12x,bytes"; tail -n +10 numa_stats.csv; } >bad.csv
	run --separate-stderr "$D" stats compare -f bad.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.csv:10: value '12x' is not an integer"* ]]
}

@test "a wrong header is an error" {
	{ echo "time,source,value"; tail -n +2 numa_stats.csv; } >bad.csv
	run --separate-stderr "$D" stats compare -f bad.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.csv:1: header is 'time,source,value'"* ]]
}

@test "an incomplete last line is skipped with a note" {
	{ cat numa_stats.csv; printf '1732550120000,120000,host,file,N0,4'; } >live.csv
	run --separate-stderr "$D" stats compare -f live.csv --bytes -F csv
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"note: live.csv:$(($(wc -l <live.csv) + 1)): incomplete last line ignored"* ]]
	echo "$output" | cut -d, -f2- >got
	"$D" stats compare -f numa_stats.csv --bytes -F csv | cut -d, -f2- >want
	diff -u want got
}

@test "--quiet leaves out the notes" {
	{ cat numa_stats.csv; printf '1732550120000,120000,host,file,N0,4'; } >live.csv
	run --separate-stderr "$D" stats compare -f live.csv --quiet
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}

@test "CRLF line ends are read like LF" {
	sed 's/$/\r/' numa_stats.csv >crlf.csv
	a=$("$D" stats compare -f numa_stats.csv -F csv | cut -d, -f2-)
	b=$("$D" stats compare -f crlf.csv -F csv | cut -d, -f2-)
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "parallel ranges give the same figures as one pass" {
	gen big.csv 3000 1
	a=$("$D" stats compare -f big.csv -s pagecache -F csv -j 1)
	b=$("$D" stats compare -f big.csv -s pagecache -F csv -j 3)
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "--help prints usage to stdout and exits 0" {
	run --separate-stderr "$D" stats compare --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: daxlab stats compare"* ]]
	[[ "$output" == *"--cgroups"* ]]
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run "$D" stats compare --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^daxlab\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "usage errors point to stats compare --help and exit 1" {
	for args in "" "--file" "-f numa_stats.csv --format xml" "-f numa_stats.csv --bogus" "extra -f numa_stats.csv" "-f numa_stats.csv -j 0" "-f numa_stats.csv -s a/b"; do
		run --separate-stderr "$D" stats compare $args
		echo "$args: $status $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == *"Try 'daxlab stats compare --help'"* ]]
	done
}

@test "a missing file is a runtime error naming it" {
	run --separate-stderr "$D" stats compare -f nonexistent.csv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"nonexistent.csv: No such file or directory"* ]]
}

@test "compare reads what the monitor writes on this machine's cgroups" {
	"$D" stats monitor --cgroups root=/sys/fs/cgroup/memory --interval 50 --count 6 --output real.csv --quiet
	run --separate-stderr "$D" stats compare -f real.csv -s file -F csv
	[ "$status" -eq 0 ]
	echo "$output" | tail -n +2 | cut -d, -f2- | sort >got
	awk_figures real.csv file >want
	[ -s want ]
	diff -u want got
	# cgroup v1 has no shmem: the pagecache of its root is the whole
	# tree's file, hierarchical_file (its own file is next to nothing),
	# with a note
	awk_figures real.csv hierarchical_file >want
	[ -s want ]
	run --separate-stderr "$D" stats compare -f real.csv -s pagecache -F csv
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"source 'root' has no shmem rows (cgroup v1?): its pagecache is its hierarchical_file"* ]]
	[ "$(echo "$output" | tail -n +2 | cut -d, -f6-)" = "$(cut -d, -f5- want)" ]
}

@test "--test: Welch's p of each source and node against the first file, from effective sample sizes, as scipy's t has it, Holm over all" {
	gen b.csv 240 1.5
	gen c.csv 240 1
	run --separate-stderr "$D" stats compare --file numa_stats.csv b.csv c.csv --stat file --test -F csv
	[ "$status" -eq 0 ]
	echo "$output" >ours.csv
	/usr/bin/python3 - <<'PY'
import csv, math
from collections import defaultdict
from scipy import stats
def n_eff(x):
    # AR(1): n (1 - r1) / (1 + r1) when the lag-1 autocorrelation r1 > 0
    n = len(x)
    m = sum(x) / n
    ss = sum((v - m) ** 2 for v in x)
    if n < 3 or ss == 0:
        return n
    r1 = sum((x[i] - m) * (x[i - 1] - m) for i in range(1, n)) / ss
    return n * (1 - r1) / (1 + r1) if r1 > 0 else n
def welch(a, b):
    na, nb = n_eff(a), n_eff(b)
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    va = sum((v - ma) ** 2 for v in a) / (len(a) - 1)
    vb = sum((v - mb) ** 2 for v in b) / (len(b) - 1)
    sa, sb = va / na, vb / nb
    if sa + sb == 0:
        return 1.0 if ma == mb else 0.0
    t = (ma - mb) / math.sqrt(sa + sb)
    df = (sa + sb) ** 2 / (sa * sa / (na - 1) + sb * sb / (nb - 1))
    return 2 * stats.t.sf(abs(t), df)
def samples(path):
    s = defaultdict(list)
    for r in csv.DictReader(open(path)):
        if r['stat'] == 'file':
            s[(r['source'], r['node'])].append(float(r['value']))
    return s
base = samples('numa_stats.csv')
ours = list(csv.DictReader(open('ours.csv')))
tested = [r for r in ours if r['p']]
assert len(tested) == 2 * len(base), len(tested)
n = len(tested)
order = sorted(range(n), key=lambda i: float(tested[i]['p']))
holm, run = {}, 0.0
for k, i in enumerate(order):
    run = max(run, (n - k) * float(tested[i]['p']))
    holm[i] = min(run, 1.0)
for i, r in enumerate(tested):
    a, b = base[(r['source'], r['node'])], samples(r['file'])[(r['source'], r['node'])]
    p = welch(a, b)
    # without autocorrelation, what scipy's ttest_ind has
    if n_eff(a) == len(a) and n_eff(b) == len(b):
        assert abs(p - stats.ttest_ind(a, b, equal_var=False).pvalue) <= 1e-9 * p
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    for got, want in ((float(r['p']), p), (float(r['diff']), mb - ma), (float(r['ratio']), mb / ma), (float(r['p_holm']), holm[i])):
        assert abs(got - want) <= 1e-9 * max(abs(got), abs(want)) + 1e-300, (r, got, want)
    assert (r['significant'] == 'true') == (holm[i] < 0.05)
    # the same file: no difference at all
    if r['file'] == 'c.csv':
        assert float(r['p']) == 1.0 and r['significant'] == 'false'
# half as much again in every sample of b.csv is found
assert any(r['significant'] == 'true' for r in tested if r['file'] == 'b.csv')
PY
}

@test "--test: two series of one AR(1) process are not told apart; the same with an offset are" {
	/usr/bin/python3 - <<'PY'
import random
def series(path, seed, off):
    # one process (x = 0.995 x + noise), 3600 ticks of 500 ms
    rng = random.Random(seed)
    x = 0.0
    with open(path, "w") as f:
        f.write("epoch_ms,elapsed_ms,source,stat,node,value,unit\n")
        for t in range(3600):
            x = 0.995 * x + rng.gauss(0, 1 << 20)
            v = int((1 << 34) + off + x)
            f.write("%d,%d,host,file,total,%d,bytes\n" % (1732550000000 + t * 500, t * 500, v))
series("ar_0.csv", 0, 0)
for k in range(1, 21):
    series("ar_%d.csv" % k, k, 0)
series("ar_off.csv", 0, 1 << 30)
PY
	run --separate-stderr "$D" stats compare --file ar_{0..20}.csv ar_off.csv --stat file --test -F json
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
f = j["series"][0]["files"]
for k, x in enumerate(f):
    print(k, x["r1"], x["n_eff"], x.get("test"))
# strongly autocorrelated: worth a few dozen samples, not 3600
assert all(x["r1"] > 0.9 and x["n_eff"] < 100 for x in f)
# 20 series like the first: p below 0.05 about once (counted as 3600
# independent samples, each of them was, at p < 1e-10)
low = [k for k in range(1, 21) if f[k]["test"]["p"] < 0.05]
assert len(low) <= 4, low
assert not any(x["test"]["significant"] for x in f[1:21])
# a GiB more in every sample is found
assert f[21]["test"]["significant"] is True
'
}

@test "--test in the table and JSON: marker, Holm note; one file is a usage error" {
	gen b.csv 240 1.5
	run --separate-stderr "$D" stats compare --file numa_stats.csv b.csv --cgroups host --test
	[ "$status" -eq 0 ]
	[[ "$output" == *"3 comparisons tested, p Holm-adjusted over them"* ]]
	echo "$output" | grep -E '^host +total +b\.csv .* \*$'
	run --separate-stderr "$D" stats compare --file numa_stats.csv b.csv --cgroups host --test -F json
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["test"]["comparisons"] == 3 and j["test"]["alpha"] == 0.05
f = [s for s in j["series"] if s["node"] == "total"][0]["files"]
assert "test" not in f[0] and f[1]["test"]["significant"] is True
assert f[1]["test"]["p_holm"] >= f[1]["test"]["p"]
'
	run --separate-stderr "$D" stats compare --file numa_stats.csv --test
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"--test compares files"* ]]
}

@test "--test against a base whose mean is 0: the ratio is '-', not nan" {
	gen z.csv 20 0
	gen b.csv 20 1
	run --separate-stderr "$D" stats compare --file z.csv b.csv --stat file --test
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" != *nan* ]]
	grep -Eq '^host +N0 +b\.csv +[0-9.e+]+ +0 +\+[0-9.e+]+ +- +[0-9.]+' <<<"$output"
}
