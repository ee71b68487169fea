# Helpers for the fault_*.bats and hostile_*.bats files (issue 7).
#
#   csv_whole_ticks CSV ROWS   every line has 7 fields and ends in '\n', and
#                              every tick has ROWS rows, except that the LAST
#                              tick may be short (a SIGKILL in flight)
#   wait_rows CSV N            until CSV has at least N lines
#   pwned_check FILE           FILE does not exist (a shell ran nothing)

load stats_monitor_helpers

csv_whole_ticks() {
	local csv=$1 rows=$2
	[ "$(head -n1 "$csv")" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ] ||
		{ echo "bad header: $(head -n1 "$csv")"; return 1; }
	awk -F, -v want="$rows" '
		NR == 1 { next }
		NF != 7 || $6 !~ /^[0-9]+$/ || ($7 != "bytes" && $7 != "count") {
			printf "line %d broken: %s\n", NR, $0; bad = 1
		}
		{ if (!($2 in n)) order[++k] = $2; n[$2]++ }
		END {
			for (i = 1; i < k; i++)
				if (n[order[i]] != want) {
					printf "tick %s: %d rows, want %d\n", order[i], n[order[i]], want
					bad = 1
				}
			if (k > 0 && n[order[k]] > want) { print "last tick too long"; bad = 1 }
			exit bad
		}' "$csv"
}

wait_rows() {
	local i
	for i in $(seq 1 200); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
