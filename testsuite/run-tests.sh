#!/bin/sh
# Runs the suite under prove once per build directory given (plain,
# then ASan+UBSan), with the fixture PKI and its CRL server shared by the
# run, and ends with the line "N passed, N failed" over all runs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
command -v prove >/dev/null || { echo "run-tests: prove is missing (perl)"; exit 1; }

results=$(mktemp -d /tmp/postern-results.XXXXXX)
trap 'kill $crl_pid 2>/dev/null; rm -rf "$results"' EXIT INT TERM

# One PKI per run, its CRL distribution point on a free loopback port.
first=$1
crl_port=$("$first/tools/freeport" 1) || exit 1
export POSTERN_PKI="$top/$first/fixtures/pki"
export POSTERN_CRL_URL="http://127.0.0.1:$crl_port"
sh testsuite/mkpki.sh "$POSTERN_PKI" "$POSTERN_CRL_URL" >"$results/mkpki.log" 2>&1 ||
	{ cat "$results/mkpki.log"; echo "0 passed, 1 failed"; exit 1; }
python3 -m http.server --bind 127.0.0.1 --directory "$POSTERN_PKI/crl" "$crl_port" \
	>"$results/crl-http.log" 2>&1 &
crl_pid=$!

status=0
for build in "$@"; do
	# TESTS and UNITS (globs) pick a subset: TESTS='testsuite/t11*' UNITS=http_*
	tests=$(ls ${TESTS:-testsuite/t[0-9]*.sh})
	if [ "$build" != "$first" ]; then
		# The fuzz corpora and the -once- tests (packaging) run in the
		# first pass only: they test no build-specific code.
		tests=$(echo "$tests" | grep -v -e '-fuzz-' -e '-once-')
	fi
	units=$(cd "$build/unit" 2>/dev/null && ls ${UNITS:-*} 2>/dev/null | sed "s|^|$build/unit/|")
	echo "== test suite on $build"
	mkdir -p "$results/$build"
	POSTERN_BUILD="$top/$build" TAP_RESULTS="$results/$build" \
		prove -j2 --timer --exec "sh $top/testsuite/tap-exec.sh" $units $tests || status=1
done

# Count test points from the saved TAP; a file that died or broke its plan
# counts as one failure more.
pass=0 fail=0
for f in $(find "$results" -name '*.tap'); do
	p=$(grep -c '^ok ' "$f" | head -1)
	s=$(grep -c '^ok .*# *[Ss][Kk][Ii][Pp]' "$f" | head -1)
	n=$(grep -c '^not ok ' "$f" | head -1)
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$f" | head -1)
	rc=$(cat "${f%.tap}.rc" 2>/dev/null || echo 1)
	pass=$((pass + p - s)); fail=$((fail + n + s))
	if [ "$rc" != 0 ] && [ "$n" = 0 ] || [ -z "$plan" ] || [ "$plan" != $((p + n)) ]; then
		fail=$((fail + 1))
		echo "broken: ${f#$results/} (exit $rc, plan ${plan:-none}, ran $((p + n)))"
	fi
	# prove keeps a failing point's diagnostics to itself: shown here,
	# so that a failure in make check (CI) says why
	[ "$n" = 0 ] || awk -v t="${f#$results/}" '
		/^not ok / { show = 1; print t ": " $0; next }
		/^(ok |1\.\.)/ { show = 0 }
		show && /^#/ { print t ": " $0 }' "$f"
done
[ "$fail" -eq 0 ] || status=1
echo "$pass passed, $fail failed"
exit $status
