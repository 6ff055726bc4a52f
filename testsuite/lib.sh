# Shared test library, sourced by every testsuite/tNNNN-<area>-<what>.sh.
# TAP output for prove, git-style test_expect_success blocks, a private
# temp dir per test file, teardown at exit, and the real peers (PKI, slapd,
# DNS, daemons) from testsuite/lib/*.sh on free loopback ports.
# A fixture whose tool is missing fails the test loudly; nothing skips.

set -u
TEST_NAME=$(basename "$0" .sh)
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
: "${POSTERN_BUILD:=$SRCDIR/build}"
case $POSTERN_BUILD in /*) ;; *) POSTERN_BUILD=$SRCDIR/$POSTERN_BUILD ;; esac
BIN=$POSTERN_BUILD/bin
TOOLS=$POSTERN_BUILD/tools
UNIT=$POSTERN_BUILD/unit
: "${POSTERN_PKI:=$POSTERN_BUILD/fixtures/pki}"
PKI=$POSTERN_PKI
export PATH="$BIN:$TOOLS:$PATH"
# Sanitizer runs: fail on the first report, and say where.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:exitcode=86}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=86}"
unset POSTERN_CONFIG

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/postern-$TEST_NAME.XXXXXX")
test_count=0
test_failed=0
_cleanups=""

# Registers a shell command to run at exit, last registered first.
cleanup_push() { _cleanups="$1
$_cleanups"; }

_test_exit() {
	local rc=$?
	printf '%s\n' "$_cleanups" | while IFS= read -r c; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	# bg_start inside a test body (a subshell) loses its cleanup_push;
	# its pid files remain: the daemon's own (serve_*'s .dpid) is told
	# to stop first, so that its pooled workers go with it.
	for p in "$TEST_TMP"/*.dpid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null && sleep 0.1 &&
			kill -9 "$(cat "$p")" 2>/dev/null
	done
	for p in "$TEST_TMP"/*.pid; do
		[ -e "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	if [ -n "${KEEP_TMP:-}" ]; then
		echo "# kept $TEST_TMP" >&2
	else
		rm -rf "$TEST_TMP"
	fi
	exit $rc
}
trap _test_exit EXIT
trap 'exit 130' INT TERM

# Stops the whole test file: prove reports it as failed.
bail() { echo "Bail out! $TEST_NAME: $*"; exit 1; }

# Every tool a test uses is named here; a missing one fails the file.
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			bail "missing tool '$t' (share/deps.sh installs it)"
	done
}

say() { printf '# %s\n' "$*"; }

_ok() { test_count=$((test_count + 1)); echo "ok $test_count - $1"; }
_notok() {
	test_count=$((test_count + 1)); test_failed=$((test_failed + 1))
	echo "not ok $test_count - $1"
}

# test_expect_success 'what it shows' 'commands chained with &&'
# Output of the commands goes to $TEST_TMP/out.N and is shown on failure.
test_expect_success() {
	local desc=$1 body=$2 out
	out=$TEST_TMP/out.$((test_count + 1))
	if (cd "$TEST_TMP" && eval "$body") >"$out" 2>&1; then
		_ok "$desc"
	else
		_notok "$desc"
		# awk, not sed: output whose last line has no newline (sipp's
		# does) would swallow the next "ok N" line and break the plan
		awk '{ print "#   " $0 }' "$out" | tail -n 40
	fi
}

# test_expect_code N 'what' 'command': the command's exit code must be N.
test_expect_code() {
	local want=$1 desc=$2 body=$3 out rc
	out=$TEST_TMP/out.$((test_count + 1))
	(cd "$TEST_TMP" && eval "$body") >"$out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then
		_ok "$desc"
	else
		_notok "$desc"
		echo "#   exit code $rc, expected $want"
		awk '{ print "#   " $0 }' "$out" | tail -n 40
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# test_cmp EXPECTED ACTUAL: shows a diff when they differ.
test_cmp() { diff -u "$1" "$2"; }
# grep that shows the file it searched when the pattern is missing.
test_grep() {
	local last
	for last; do :; done
	grep "$@" && return 0
	echo "pattern not found; the file holds:"; sed 's/^/  | /' "$last" | tail -n 30
	return 1
}

# Prints N free TCP ports on 127.0.0.1 (held together, so distinct).
free_ports() { "$TOOLS/freeport" "${1:-1}"; }

# Waits until something accepts TCP connections on 127.0.0.1:PORT.
wait_port() {
	local port=$1 tries=${2:-100}
	while [ "$tries" -gt 0 ]; do
		"$TOOLS/freeport" --probe "$port" && return 0
		sleep 0.05; tries=$((tries - 1))
	done
	echo "nothing listens on 127.0.0.1:$port" >&2
	return 1
}

# Runs a command in the background with its output in $TEST_TMP/NAME.log;
# it is killed at exit. Sets $! as usual.
bg_start() {
	local name=$1; shift
	"$@" >"$TEST_TMP/$name.log" 2>&1 &
	local pid=$!
	echo "$pid" >"$TEST_TMP/$name.pid"
	cleanup_push "kill $pid; sleep 0.1; kill -9 $pid"
}

for _f in "$SRCDIR"/testsuite/lib/*.sh; do
	[ -e "$_f" ] && . "$_f"
done
unset _f
