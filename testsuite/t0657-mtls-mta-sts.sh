#!/bin/bash
# MTA-STS (RFC 8461): the _mta-sts TXT record through the resolver, the
# policy over HTTPS, the MX host checked against its mx patterns and the
# TLS session required to be Verified.
. "$(dirname "$0")/lib.sh"
need postfix python3

postfix_start
mtasts_start example.test enforce mail.example.test "*.mx.example.test"
ENFORCE_PORT=$MTASTS_PORT
mtasts_start partner.test testing mx.partner.test
TESTING_PORT=$MTASTS_PORT
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/mta-sts-example.test/zone" "$MTASTS_ZONE"

probe() {
	mtls-probe --timeout 10s --ca "$PKI/ca.pem" --resolver "$DNS_RESOLVER" --mta-sts \
		--connect-to mta-sts.example.test:443:127.0.0.1:$ENFORCE_PORT \
		--connect-to mta-sts.partner.test:443:127.0.0.1:$TESTING_PORT "$@"
}

test_expect_success 'the MX host is in the enforce policy and TLS is Verified' '
	probe mail.example.test:$POSTFIX_PORT >out &&
	test_grep -q "^MTA-STS: TXT _mta-sts.example.test: v=STSv1; id=[0-9a-f]* (insecure)$" out &&
	test_grep -q "^MTA-STS: policy https://mta-sts.example.test/.well-known/mta-sts.txt: fetched" out &&
	test_grep -q "^MTA-STS: mode enforce, max_age 86400, 2 mx patterns$" out &&
	test_grep -q "^MTA-STS: mail.example.test matches mx mail.example.test$" out &&
	tail -n 1 out | test_grep -q "^Verified TLS connection established to mail.example.test\[127.0.0.1\]"
'

test_expect_success 'a host the policy does not list: exit 1' '
	{ probe --domain example.test --name mail.example.test --resolve mx9.example.test:$POSTFIX_PORT:127.0.0.1 mx9.example.test:$POSTFIX_PORT >out; test $? = 1; } &&
	test_grep -q "^MTA-STS: mx9.example.test matches no mx pattern of the policy$" out &&
	test_grep -q "^Check failed: MTA-STS: mx9.example.test is not an mx of the policy$" out
'

test_expect_success 'a wildcard pattern covers one label only' '
	{ probe --domain example.test --name mail.example.test --resolve a.b.mx.example.test:$POSTFIX_PORT:127.0.0.1 a.b.mx.example.test:$POSTFIX_PORT >out; test $? = 1; } &&
	test_grep -q "matches no mx pattern" out &&
	probe --domain example.test --name mail.example.test --resolve b.mx.example.test:$POSTFIX_PORT:127.0.0.1 b.mx.example.test:$POSTFIX_PORT >out2 &&
	test_grep -q "^MTA-STS: b.mx.example.test matches mx \*.mx.example.test$" out2
'

test_expect_success 'enforce with a session that is not Verified: exit 1' '
	{ probe --name other.example.test mail.example.test:$POSTFIX_PORT >out; test $? = 1; } &&
	test_grep -q "^MTA-STS: the TLS session is Trusted, not Verified as the policy requires$" out
'

test_expect_success 'no TXT record: exit 1' '
	{ probe --domain nope.example.test mail.example.test:$POSTFIX_PORT >out; test $? = 1; } &&
	test_grep -q "^MTA-STS: TXT _mta-sts.nope.example.test: NXDOMAIN$" out
'

test_expect_success '--json: the policy and its verdict' '
	probe --json mail.example.test:$POSTFIX_PORT >out.json &&
	python3 - out.json <<-\PY
	import json, sys
	m = json.load(open(sys.argv[1]))["mta_sts"]
	assert m["domain"] == "example.test" and m["mode"] == "enforce", m
	assert m["mx"] == ["mail.example.test", "*.mx.example.test"], m
	assert m["matched_mx"] == "mail.example.test" and m["ok"] is True, m
	PY
'

test_done
