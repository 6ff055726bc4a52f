#!/bin/bash
# SPF (RFC 7208) against the test zone: every mechanism, modifier, macro,
# limit and error result, the Appendix A examples, each case asserting the
# result, the mechanism that matched and the explanation. Runs through
# `smtp-edge spf` (or, while smtp-edge has no main, lib/spf's driver).
. "$(dirname "$0")/lib.sh"

SPF_FIX=$SRCDIR/testsuite/fixtures/spf
dns_start "$SPF_FIX/spf.zone"
dns_config "$TEST_TMP/dns.json"

# spf_query IP SENDER HELO: prints the result lines; exit 0 pass, 1 else, 75 temperror.
spf_query() {
	if [ -x "$BIN/smtp-edge" ] && smtp-edge --help >/dev/null 2>&1; then
		smtp-edge -c "$TEST_TMP/dns.json" spf --ip "$1" --sender "$2" --helo "$3" \
			--receiver receiver.test
	else
		"$UNIT/spf_eval" --resolver "$DNS_RESOLVER" --ip "$1" --sender "$2" --helo "$3" \
			--receiver receiver.test
	fi
}

n=0
while IFS='|' read -r ip sender helo result mech expl; do
	case $ip in '#'*|'') continue ;; esac
	n=$((n + 1))
	test_expect_success "case $n: $ip ${sender:-<>} ($helo) is $result${mech:+ by $mech}" '
		rc=0; spf_query "$ip" "$sender" "$helo" >out 2>err || rc=$?
		case '"$result"' in pass) want=0 ;; temperror) want=75 ;; *) want=1 ;; esac
		test $rc = $want &&
		echo "'"$result"'" >expect && head -n 1 out >actual && test_cmp expect actual &&
		if test -n "'"$mech"'"; then
			test_grep -qxF "mechanism='"$mech"'" out
		else
			! grep -q "^mechanism=" out
		fi &&
		if test "'"$expl"'" != "-"; then
			test_grep -qxF "explanation='"$expl"'" out
		else
			! grep -q "^explanation=" out
		fi &&
		test_grep -q "^Received-SPF: '"$result"' (receiver.test: " out
	'
done <"$SPF_FIX/cases.txt"

test_expect_success 'at least 60 cases ran' '
	test '"$n"' -ge 60
'

test_expect_success 'the problem is named for errors' '
	spf_query 10.0.0.11 u@limit.spf.test h.test >out; test $? = 1 &&
	test_grep -qx "problem=more than 10 DNS lookups" out &&
	{ spf_query 192.0.2.1 u@void.spf.test h.test >out; test $? = 1; } &&
	test_grep -qx "problem=more than 2 void DNS lookups" out &&
	{ spf_query 192.0.2.1 u@multi.spf.test h.test >out; test $? = 1; } &&
	test_grep -qx "problem=more than one SPF record for multi.spf.test" out &&
	{ spf_query 192.0.2.60 u@incnone.spf.test h.test >out; test $? = 1; } &&
	test_grep -qx "problem=include of nospf.spf.test, which has no SPF record" out &&
	test_grep -q "problem=\"include of nospf.spf.test, which has no SPF record\";" out
'

test_expect_success 'the lookups are counted' '
	spf_query 10.0.0.10 u@limit10.spf.test h.test >out &&
	test_grep -qx "lookups=10 void_lookups=0" out
'

test_done
