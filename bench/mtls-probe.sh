#!/bin/bash
# mtls-probe against posttls-finger on the same private Postfix STARTTLS
# server: RUNS (20) runs each, alternating which goes first, both verifying
# the chain against the fixture CA and the name mail.example.test. Prints
# the median wall time of each and the ratio mtls-probe/posttls-finger;
# exits 1 when the ratio is above 1.0 (mtls-probe must not be slower), 69
# when a program is missing, 70 when a run does not verify.
# Usage: [BUILD=build] [RUNS=20] bench/mtls-probe.sh
# MTLS_PROBE names another binary to time (default $BUILD/bin/mtls-probe).
. "$(dirname "$0")/lib.sh"

runs=${RUNS:-20}
probe=${MTLS_PROBE:-$BIN/mtls-probe}
command -v posttls-finger >/dev/null || bench_fail "posttls-finger is missing (package postfix)"
[ -x "$probe" ] || bench_fail "mtls-probe is not built: $probe is missing (build it: make O=$BUILD)"

postfix_start
dest=127.0.0.1:$POSTFIX_PORT
finger() {
	postfix_finger -c -l verify -F "$PKI/ca.pem" "[127.0.0.1]:$POSTFIX_PORT" mail.example.test
}
mprobe() { "$probe" --proto smtp --ca "$PKI/ca.pem" --name mail.example.test "$dest"; }

# One run of each, checked, untimed: the comparison is void if either
# fails to verify.
out=$TEST_TMP/run.out
bench_time "$out" finger >/dev/null
grep -q "^posttls-finger: Verified TLS connection established" "$out" ||
	{ cat "$out" >&2; bench_fail "posttls-finger did not verify $dest" 70; }
bench_time "$out" mprobe >/dev/null
[ "$bench_rc" -eq 0 ] ||
	{ cat "$out" >&2; bench_fail "$probe did not verify $dest (exit $bench_rc)" 70; }

: >"$TEST_TMP/finger.ms"
: >"$TEST_TMP/probe.ms"
for i in $(seq "$runs"); do
	if [ $((i % 2)) -eq 1 ]; then order="finger mprobe"; else order="mprobe finger"; fi
	for what in $order; do
		bench_time "$out" "$what" >>"$TEST_TMP/$what.ms.tmp"
		[ "$bench_rc" -eq 0 ] || { cat "$out" >&2; bench_fail "$what failed in run $i" 70; }
	done
done
mv "$TEST_TMP/finger.ms.tmp" "$TEST_TMP/finger.ms"
mv "$TEST_TMP/mprobe.ms.tmp" "$TEST_TMP/probe.ms"

f=$(bench_median "$TEST_TMP/finger.ms")
p=$(bench_median "$TEST_TMP/probe.ms")
ratio=$(bench_ratio "$p" "$f")
printf 'posttls-finger: median %s ms over %d runs\n' "$f" "$runs"
printf 'mtls-probe: median %s ms over %d runs\n' "$p" "$runs"
printf 'ratio mtls-probe/posttls-finger: %s (target <= 1.0)\n' "$ratio"
bench_le "$ratio" 1.0 || { echo "mtls-probe is slower than posttls-finger" >&2; exit 1; }
exit 0
