#!/bin/bash
# bench/mtls-probe.sh and bench/lib.sh, with stand-ins for mtls-probe: the
# posttls-finger half verifies against the private Postfix, the medians and
# the ratio are printed, and the exit code says whether the target holds
# (0), is missed (1), the program is missing (69) or fails (70).
. "$(dirname "$0")/lib.sh"
need posttls-finger

bench=$SRCDIR/bench/mtls-probe.sh
# The stand-ins: one fast, one slower than posttls-finger, one failing.
printf '#!/bin/sh\nexit 0\n' >"$TEST_TMP/fast"
printf '#!/bin/sh\nsleep 0.2\nexit 0\n' >"$TEST_TMP/slow"
printf '#!/bin/sh\necho "no such peer" >&2\nexit 1\n' >"$TEST_TMP/failing"
chmod +x "$TEST_TMP/fast" "$TEST_TMP/slow" "$TEST_TMP/failing"
export BUILD=$POSTERN_BUILD RUNS=3

test_expect_code 69 'without mtls-probe: says it is not built' '
	MTLS_PROBE=$TEST_TMP/nonexistent "$bench" >out 2>err;
	rc=$?; test_grep -q "^bench: mtls-probe is not built: .*nonexistent is missing" err && exit $rc
'

test_expect_success 'a faster program: medians, ratio below 1, exit 0' '
	MTLS_PROBE=$TEST_TMP/fast "$bench" >out 2>err &&
	test_grep -Eq "^posttls-finger: median [0-9]+\.[0-9]{3} ms over 3 runs$" out &&
	test_grep -Eq "^mtls-probe: median [0-9]+\.[0-9]{3} ms over 3 runs$" out &&
	test_grep -Eq "^ratio mtls-probe/posttls-finger: 0\.[0-9]{3} \(target <= 1.0\)$" out
'

test_expect_code 1 'a slower program: ratio above 1, exit 1' '
	MTLS_PROBE=$TEST_TMP/slow "$bench" >out 2>err;
	rc=$?; test_grep -q "^mtls-probe is slower than posttls-finger" err &&
	test_grep -Eq "^ratio mtls-probe/posttls-finger: [1-9][0-9]*\.[0-9]{3} " out || exit 99; exit $rc
'

test_expect_code 70 'a program that does not verify: exit 70 with its output' '
	MTLS_PROBE=$TEST_TMP/failing "$bench" >out 2>err;
	rc=$?; test_grep -q "no such peer" err && test_grep -q "did not verify" err && exit $rc
'

test_expect_success 'bench_median and bench_ratio' '
	eval "$(sed -n "/^bench_median()/,/^}/p;/^bench_ratio()/p;/^bench_le()/p" "$SRCDIR/bench/lib.sh")" &&
	printf "5\n1\n3\n" >odd && test "$(bench_median odd)" = 3.000 &&
	printf "4\n1\n3\n10\n" >even && test "$(bench_median even)" = 3.500 &&
	test "$(bench_ratio 1 4)" = 0.250 &&
	bench_le 1.000 1.0 && ! bench_le 1.001 1.0
'

test_done
