# Helpers for the stats monitor tests and bench. A private sshd on
# 127.0.0.1 with its own host key, port, config and authorized key, and an
# ssh config that reaches it. Nothing of the system's sshd is touched.
#
#   sshd_start DIR    -> $SSHD_PID, $SSHD_PORT, $SSHD_LOG, $SSH_CONFIG
#   sshd_stop
#   sshd_accepted     number of "Accepted" lines in the sshd log

sshd_start() {
	local dir=$1 port i
	mkdir -p /run/sshd "$dir"
	chmod 700 "$dir"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" </dev/null >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" </dev/null >/dev/null
	cp "$dir/client_key.pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	SSHD_LOG=$dir/sshd.log
	for i in $(seq 1 20); do
		port=$((20000 + RANDOM % 20000))
		cat >"$dir/sshd_config" <<EOC
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile none
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100
MaxSessions 100
LogLevel VERBOSE
EOC
		: >"$SSHD_LOG"
		/usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>>"$SSHD_LOG" &
		SSHD_PID=$!
		# up when it listens, or dead when the port was taken
		local t
		for t in $(seq 1 50); do
			grep -q "Server listening" "$SSHD_LOG" && break
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q "Server listening" "$SSHD_LOG"; then
			SSHD_PORT=$port
			break
		fi
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	done
	[ -n "$SSHD_PID" ] || return 1
	SSH_CONFIG=$dir/ssh_config
	cat >"$SSH_CONFIG" <<EOC
Host *
	HostName 127.0.0.1
	Port $SSHD_PORT
	User root
	IdentityFile $dir/client_key
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	LogLevel ERROR
EOC
	export SSHD_PID SSHD_PORT SSHD_LOG SSH_CONFIG
}

sshd_stop() {
	if [ -n "${SSHD_PID:-}" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	fi
}

sshd_accepted() {
	grep -c "Accepted publickey" "$SSHD_LOG" || true
}

# csv_check_ticks CSV ROWS: the header is exact, the file ends with '\n',
# and every tick (rows grouped by elapsed_ms) has exactly ROWS rows, all with
# one epoch_ms. Prints what is wrong and fails otherwise.
csv_check_ticks() {
	local csv=$1 rows=$2
	[ "$(head -n1 "$csv")" = "epoch_ms,elapsed_ms,source,stat,node,value,unit" ] ||
		{ echo "bad header: $(head -n1 "$csv")"; return 1; }
	[ "$(tail -c1 "$csv" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ echo "no final newline"; return 1; }
	awk -F, -v want="$rows" '
		NR == 1 { next }
		NF != 7 { printf "line %d: %d fields\n", NR, NF; bad = 1 }
		{ n[$2]++; if (($2 in ep) && ep[$2] != $1) { print "tick " $2 ": two epochs"; bad = 1 } ep[$2] = $1 }
		END {
			for (t in n) if (n[t] != want) { printf "tick %s: %d rows, want %d\n", t, n[t], want; bad = 1 }
			exit bad
		}' "$csv"
}

# numastat_rows FILE: rows one tick gives for that memory.numa_stat (a row
# per node and a total per stat): the fields on each line.
numastat_rows() {
	awk '{ n += NF } END { print n }' "$1"
}

# For setup_file/teardown_file: one sshd in its own folder ($SSHD_DIR) for
# all the tests of a file.
sshd_setup_file() {
	SSHD_DIR=$(mktemp -d /tmp/daxlab-sshd.XXXXXX)
	export SSHD_DIR
	sshd_start "$SSHD_DIR"
}

sshd_teardown_file() {
	sshd_stop
	rm -rf "$SSHD_DIR"
}
