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
	! grep -Eiq '<script|<link|src=|@import|url\(' "$T/real-pr25/report.html"
	! grep -Eo 'https?://[^"]*' "$T/real-pr25/report.html" | grep -v '^http://www.w3.org/2000/svg$'
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
