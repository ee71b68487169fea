# Helpers of the lab-host suite (tests/labhost/*.bats). Every command goes
# into the lab host through `labhost ssh`; results come back with tar and
# are measured here (measure.py).
#
# tests/run boots one lab host for all the files (LABHOST_SHARED=1); a file
# run alone with bats boots its own and brings it down at the end.

top=${DAXLAB_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
LH=$top/tests/labhost/labhost
NUMA2=/usr/local/share/daxlab/examples/numa2.ini
# Inside, /tmp is tmpfs: everything of the tests lives here.
W=/var/lib/daxlab-test

# A run boots nested guests: minutes under TCG on a busy machine.
export LABHOST_TIMEOUT=${LABHOST_TIMEOUT:-1200}
lh() { "$LH" ssh -- "$@"; }

labhost_setup_file() {
	if [ -n "${LABHOST_SHARED:-}" ]; then
		"$LH" status >&2
	else
		"$LH" up >&2
		export LABHOST_OWNED=1
	fi
	lh mkdir -p "$W"
}

labhost_teardown_file() {
	if [ -n "${LABHOST_OWNED:-}" ]; then
		"$LH" down >&2
	fi
}

# lh_run NAME CMD...: CMD inside, detached from the ssh connection, its
# stdout and stderr in files $W/.bg-NAME-*; then waits for it and prints
# both. Its exit code is CMD's, from a file it leaves: a long run
# does not hang on one ssh session (a lab host too busy to answer ssh's
# keepalives for 30 s ends that session with 255 and nothing said, while
# the run inside goes on). A poll that ssh fails is said and tried again.
# After a failed poll and once a minute, it asks whether the lab host's
# kernel is deadlocked (labhost deadlock) and if so says where and gives
# up at once (125): nothing in it will run again.
lh_run() {
	local name=$1 base=$W/.bg-$1-$BASHPID-$RANDOM rc r
	local deadline=$((SECONDS + LABHOST_TIMEOUT)) asked=$SECONDS dl
	shift
	lh sh -c 'setsid -f "$@" </dev/null >/dev/null 2>&1' sh \
		sh -c '"$@" >"$0.out" 2>"$0.err"; echo $? >"$0.rc.new"; mv "$0.rc.new" "$0.rc"' \
		"$base" "$@" </dev/null
	while :; do
		r=0
		rc=$(timeout -k 5 90 "$LH" ssh -- sh -c 'cat "$1" 2>/dev/null || :' \
			sh "$base.rc" </dev/null) || r=$?
		[ $r -eq 0 ] && [ -n "$rc" ] && break
		[ $r -eq 0 ] || echo "lh_run: ssh into the lab host failed ($r) while $name ran; asking again" >&2
		if [ $r -ne 0 ] || [ $((SECONDS - asked)) -ge 60 ]; then
			asked=$SECONDS
			if dl=$("$LH" deadlock 2>&1); then
				echo "lh_run: $name cannot end: $dl" >&2
				return 125
			fi
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "lh_run: $name still running after $LABHOST_TIMEOUT s" >&2
			return 124
		fi
		sleep 2
	done
	lh sh -c 'cat "$1.out" "$1.err" && rm -f "$1.out" "$1.err" "$1.rc"' sh "$base" </dev/null
	return "$rc"
}

# put LOCAL REMOTE: a file into the lab host.
put() { lh install -D -m 0644 /dev/stdin "$2" <"$1"; }

# fetch REMOTE_DIR LOCAL_DIR: a folder out of the lab host.
fetch() {
	mkdir -p "$2"
	lh tar -C "$1" -cf - . | tar -C "$2" -xf -
}

# lab_config OUT EDIT...: examples/numa2.ini with edits, each one of
#   KEY=VALUE    replace the line of KEY (it must be there)
#   +KEY=VALUE   add KEY to [lab]
#   -SECTION     drop the section "[SECTION]" (e.g. "-vm 0")
lab_config() {
	local out=$1 e k v
	shift
	cp "$top/examples/numa2.ini" "$out"
	for e in "$@"; do
		case $e in
		-*)
			awk -v s="[${e#-}]" '/^\[/ { skip = ($0 == s) } !skip' \
				"$out" >"$out.new" && mv "$out.new" "$out"
			! grep -qxF "[${e#-}]" "$out"
			;;
		+*)
			k=${e#+} v=${k#*=} k=${k%%=*}
			sed -i "/^\[lab\]/a $k = $v" "$out"
			grep -q "^$k = $v\$" "$out"
			;;
		*)
			k=${e%%=*} v=${e#*=}
			grep -q "^$k *=" "$out"
			sed -i "s|^$k *=.*|$k = $v|" "$out"
			grep -q "^$k = $v\$" "$out"
			;;
		esac
	done
}

# metric KEY: a figure of measure.py's output in $M (a file).
metric() {
	local v
	v=$(sed -n "s|^$1=||p" "$M")
	[ -n "$v" ] || { echo "no figure $1 in $M" >&2; return 1; }
	echo "$v"
}

# at_least PART WHOLE PCT WHAT: PART >= PCT% of WHOLE, and WHOLE > 0.
at_least() {
	echo "$4: $1 of $2 bytes (need >= $3%)"
	[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] || { echo "not numbers"; return 1; }
	[ "$2" -gt 0 ] && [ $(($1 * 100)) -ge $(($2 * $3)) ]
}

# Nothing of a lab runs in the lab host: no qemu, virtiofsd, fio client or
# daxlab, no VM or virtiofsd cgroup, no daxlab scope.
assert_lab_gone() {
	local left
	left=$(lh sh -c 'pgrep -a "qemu-system|virtiofsd|^fio$|daxlab" ;
		find /sys/fs/cgroup -type d \( -name "virtual-vm*" -o \
		-name virtiofsd -o -name "daxlab*" \)' || true)
	[ -z "$left" ] || { echo "left in the lab host: $left"; return 1; }
}
