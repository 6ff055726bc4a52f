#!/bin/bash
# A resolver that never answers: each lookup ends at the configured timeout
# with a temporary failure (exit 75) and the reason "timeout", and lookups
# submitted together time out together, not one after the other.
. "$(dirname "$0")/lib.sh"

dns_start_silent
dns_config "$TEST_TMP/silent.json" "$DNS_SILENT_RESOLVER" 1s

# Runs postern-testd and writes its wall time in milliseconds to ms.
timed() {
	local s e rc
	s=${EPOCHREALTIME/./}
	"$@"; rc=$?
	e=${EPOCHREALTIME/./}
	echo $(( (e - s) / 1000 )) >ms
	return $rc
}

test_expect_code 75 'a lookup that gets no answer exits 75' '
	postern-testd -c silent.json dns A slow.example.test
'

test_expect_success 'its reason is "timeout", on stdout and in the log' '
	! postern-testd -c silent.json dns MX slow.example.test >out 2>err &&
	echo "slow.example.test MX TEMPFAIL reason=timeout" >expect &&
	test_cmp expect out &&
	test_grep -q "cannot resolve .slow.example.test. MX: timeout .*reason=timeout" err
'

test_expect_success '10 lookups with a 1s timeout take about 1s in all' '
	wc -l <dns-silent.log >before &&
	! timed postern-testd -c silent.json dns A q1.test q2.test q3.test q4.test \
		q5.test q6.test q7.test q8.test q9.test q10.test >out &&
	test $(grep -c "A TEMPFAIL reason=timeout$" out) = 10 &&
	echo "took $(cat ms) ms" &&
	test $(cat ms) -ge 900 && test $(cat ms) -lt 2500
'

test_expect_success 'the 10 queries were all sent, not one after the other' '
	for i in 1 2 3 4 5 6 7 8 9 10; do
		grep -q "q$i.test" out || exit 1
	done &&
	test $(( $(wc -l <dns-silent.log) - $(cat before) )) -ge 10
'

test_expect_success 'the timeout comes from the config' '
	dns_config half.json "$DNS_SILENT_RESOLVER" 300ms &&
	! timed postern-testd -c half.json dns A a.test b.test >out &&
	echo "took $(cat ms) ms" &&
	test $(cat ms) -ge 250 && test $(cat ms) -lt 1500
'

test_done
