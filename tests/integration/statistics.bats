#!/usr/bin/env bats
# lib/statistics.c (issue 17) against scipy, Debian's python3-scipy, on
# fixed data: describe (mean, median, sample stddev, CoV, min, max, the 95%
# interval from t.interval), Welch's t-test (ttest_ind(equal_var=False)),
# outliers by the modified Z-score on median_abs_deviation, Holm's
# adjustment and t quantiles; 1e-9 relative. The degenerate cases
# (n = 2, equal values, a zero-variance group) are where statistics.h
# says what daxlab does, and scipy's NaN is checked as that.
# /usr/bin/python3: Debian's, which has python3-scipy (a python3 earlier
# on PATH may not).

bats_require_minimum_version 1.5.0

setup() {
	REF=$DAXLAB_BUILD/tests/helpers/stats-ref
	[ -x "$REF" ]
}

CASES='describe 1 2
describe 5 5 5 5
describe 3.1 2.7 3.3 2.9 3.0 3.5 2.8
describe 1e9 1.000001e9 0.999999e9 1.0000005e9
describe 100 102 98 101 99 250
describe 0.5 0.25 0.125 0.0625 0.03125 0.015625 0.0078125 0.00390625 0.001953125 0.0009765625 2 4 8 16 32 64 128 256 512 1024
welch 1,2 3,4
welch 3.1,2.7,3.3,2.9,3.0 3.6,3.9,3.4,3.8,4.1,3.7
welch 10,11,12,13 10.5,11.5,12.5,13.5
welch 1,1,1 2,2,2
welch 7,7,7 7,7,7
welch 5,5,5,5 4,6,5,7
welch 1e6,1.1e6,0.9e6 1,2,3,4,5,6,7,8
welch 100,101,102,103,104,105,106,107,108,109 200,210,190,205,195
outliers 100 102 98 101 99 250
outliers 5 5 5 5 9
outliers 1 2 3 4 5 6 7 8 9 10
outliers 10 10.1 9.9 10.05 9.95 30 -5
holm 0.01 0.04 0.03 0.005
holm 0.5 0.2 0.9
holm 0.001
tq 0.975 1
tq 0.975 2
tq 0.975 4.5
tq 0.975 29
tq 0.995 10
tq 0.6 3
tq 0.975 1000'

reference() {
	/usr/bin/python3 -c '
import math, sys
import numpy as np
from scipy import stats

def g(x):
    return "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else repr(float(x))

for line in sys.stdin:
    w = line.split()
    if not w:
        continue
    k = w[0]
    if k == "describe":
        x = np.array([float(v) for v in w[1:]])
        n = len(x)
        m = float(np.mean(x))
        sd = float(np.std(x, ddof=1)) if n > 1 else float("nan")
        cov = sd / abs(m) if n > 1 and m != 0 else float("nan")
        if n < 2:
            lo = hi = float("nan")
        elif sd == 0:
            lo = hi = m  # scipy: nan (scale 0); daxlab: [mean, mean]
        else:
            lo, hi = stats.t.interval(0.95, n - 1, loc=m, scale=stats.sem(x))
        print(n, g(m), g(np.median(x)), g(sd), g(cov), g(x.min()), g(x.max()), g(lo), g(hi))
    elif k == "welch":
        a = np.array([float(v) for v in w[1].split(",")])
        b = np.array([float(v) for v in w[2].split(",")])
        va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
        if va == 0 and vb == 0:
            # scipy: nan; daxlab: an exact difference
            same = a.mean() == b.mean()
            t = 0.0 if same else math.copysign(math.inf, a.mean() - b.mean())
            df, p = float("nan"), 1.0 if same else 0.0
        else:
            r = stats.ttest_ind(a, b, equal_var=False)
            t, p = r.statistic, r.pvalue
            sa, sb = va / len(a), vb / len(b)
            df = (sa + sb) ** 2 / (sa * sa / (len(a) - 1) + sb * sb / (len(b) - 1))
        ratio = b.mean() / a.mean() if a.mean() != 0 else float("nan")
        print(g(t), g(df), g(p), g(b.mean() - a.mean()), g(ratio))
    elif k == "outliers":
        x = np.array([float(v) for v in w[1:]])
        med = np.median(x)
        mad = stats.median_abs_deviation(x)
        if mad == 0:
            out = [i for i, v in enumerate(x) if v != med]
        else:
            z = 0.6745 * (x - med) / mad
            out = [i for i, v in enumerate(z) if abs(v) > 3.5]
        print(" ".join(str(i) for i in out))
    elif k == "holm":
        p = [float(v) for v in w[1:]]
        n = len(p)
        order = sorted(range(n), key=lambda i: p[i])
        adj, run = [0.0] * n, 0.0
        for k2, i in enumerate(order):
            run = max(run, (n - k2) * p[i])
            adj[i] = min(run, 1.0)
        print(" ".join(g(v) for v in adj))
    elif k == "tq":
        # t.ppf(0.995, 10) misses its own t.cdf by 5e-11 (1.7e-9 in t):
        # one Newton step on t.cdf and t.pdf makes the reference exact
        q, df = float(w[1]), float(w[2])
        x = stats.t.ppf(q, df)
        x -= (stats.t.cdf(x, df) - q) / stats.t.pdf(x, df)
        print(g(x))
'
}

# close A B: equal, both NaN, or within 1e-9 relative (1e-300 absolute)
close() {
	/usr/bin/python3 -c '
import math, sys
a, b = sys.argv[1:3]
if a == b:
    sys.exit(0)
try:
    x, y = float(a), float(b)
except ValueError:
    sys.exit(1)
if math.isnan(x) and math.isnan(y):
    sys.exit(0)
if math.isinf(x) or math.isinf(y):
    sys.exit(0 if x == y else 1)
sys.exit(0 if abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-300 else 1)
' "$1" "$2"
}

@test "the statistics agree with scipy to 1e-9 relative, degenerate cases as documented" {
	local ours theirs
	ours=$("$REF" <<<"$CASES")
	theirs=$(reference <<<"$CASES")
	paste -d '|' <(echo "$CASES") <(echo "$ours") <(echo "$theirs") >"$BATS_TEST_TMPDIR/cmp"
	local bad=0 c o t i
	while IFS='|' read -r c o t; do
		read -ra ow <<<"$o"
		read -ra tw <<<"$t"
		if [ "${#ow[@]}" -ne "${#tw[@]}" ]; then
			echo "$c: ours '$o', scipy '$t'"
			bad=1
			continue
		fi
		for i in "${!ow[@]}"; do
			close "${ow[$i]}" "${tw[$i]}" || {
				echo "$c: field $i: ours ${ow[$i]}, scipy ${tw[$i]}"
				bad=1
			}
		done
	done <"$BATS_TEST_TMPDIR/cmp"
	[ "$bad" -eq 0 ]
	# the cases ran: as many answers as questions
	[ "$(wc -l <<<"$ours")" -eq "$(wc -l <<<"$CASES")" ]
}

@test "a zero-variance pair and n = 1 are what statistics.h says" {
	run "$REF" <<<'welch 7,7,7 7,7,7
welch 1,1,1 2,2,2
describe 4
welch 1 2,3'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "0 nan 1 0 1" ]
	[ "${lines[1]}" = "-inf nan 0 1 2" ]
	[ "${lines[2]}" = "1 4 4 nan nan 4 4 nan nan" ]
	[ "${lines[3]}" = "nan nan nan nan nan" ]
}
