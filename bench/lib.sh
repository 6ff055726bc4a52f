# Shared helpers for the benchmarks in bench/: the test suite's fixtures
# (testsuite/lib.sh: private temp dir, free ports, real peers), wall-clock
# timing of one command, medians and ratios.
#
# Usage, from bench/NAME.sh: . "$(dirname "$0")/lib.sh"
# BUILD names the build directory (default build; relative to the top of
# the tree; it overrides POSTERN_BUILD); the fixture PKI is the run's ($POSTERN_PKI, or
# $BUILD/fixtures/pki) or, when there is none, one made for this run.

: "${BUILD:=build}"
export POSTERN_BUILD=$BUILD
_bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $POSTERN_BUILD in /*) ;; *) POSTERN_BUILD=$_bench_top/$POSTERN_BUILD ;; esac
[ -x "$POSTERN_BUILD/tools/freeport" ] || {
	echo "bench: $POSTERN_BUILD/tools/freeport is missing: run 'make testbins' first" >&2
	exit 69
}
. "$_bench_top/testsuite/lib.sh"
if [ ! -e "$PKI/ca.pem" ]; then
	PKI=$TEST_TMP/bench-pki
	sh "$_bench_top/testsuite/mkpki.sh" "$PKI" http://127.0.0.1:9 >"$TEST_TMP/mkpki.log" 2>&1 ||
		{ cat "$TEST_TMP/mkpki.log" >&2; echo "bench: cannot make a PKI" >&2; exit 70; }
fi

# bench_fail MESSAGE [CODE]: says why the benchmark cannot run and exits
# (69, unavailable, by default).
bench_fail() { echo "bench: $1" >&2; exit "${2:-69}"; }

# bench_time OUTFILE CMD...: runs CMD with its output (stdout and stderr)
# in OUTFILE and prints its wall time in milliseconds (3 decimals). The
# command's exit code is kept in $bench_rc. No fork for the clock
# ($EPOCHREALTIME), so both sides of a comparison pay the same.
bench_time() {
	local out=$1 t0 t1; shift
	t0=$EPOCHREALTIME
	"$@" >"$out" 2>&1
	bench_rc=$?
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# bench_median FILE: the median of the numbers in FILE, one a line (the
# mean of the two middle ones for an even count).
bench_median() {
	sort -g "$1" | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) exit 1
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f\n", m
	}'
}

# bench_ratio A B: A / B with 3 decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) exit 1; printf "%.3f\n", a / b }'; }

# bench_le A B: true when A <= B (decimal numbers).
bench_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
