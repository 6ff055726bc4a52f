#!/bin/bash
# Every libFuzzer harness runs once over its seed corpus (make fuzz runs
# them for longer). A harness without a corpus is an error.
. "$(dirname "$0")/lib.sh"

fuzzdir=$SRCDIR/build-fuzz
test_expect_success 'there are fuzz harnesses, each with a seed corpus' '
	ls "$SRCDIR"/testsuite/fuzz/*.c >/dev/null &&
	for h in "$SRCDIR"/testsuite/fuzz/*.c; do
		n=$(basename "$h" .c)
		ls "$SRCDIR/testsuite/fuzz/corpus/$n"/* >/dev/null 2>&1 ||
			{ echo "$n has no seed corpus"; exit 1; }
	done
'

for h in "$SRCDIR"/testsuite/fuzz/*.c; do
	n=$(basename "$h" .c)
	test_expect_success "fuzz harness $n runs its corpus clean" '
		test -x "$fuzzdir/$n" || { echo "$fuzzdir/$n not built (make fuzz-build)"; exit 1; }
		"$fuzzdir/$n" "$SRCDIR/testsuite/fuzz/corpus/$n"/* >log 2>&1 ||
			{ tail -n 30 log; exit 1; }
	'
done

test_done
