#!/bin/bash
# The DNSSEC fixture: dane.test signed and served by nsd behind a
# validating unbound answers with AD (drill) and sec=secure (the dns
# module with the trust anchor); nodane.test is insecure; the TLSA data
# are the hashes of the fixture keys; a tampered zone is bogus.
. "$(dirname "$0")/lib.sh"
need drill openssl

dnssec_start --port 2525 "$DNS_FIXTURES/example.test.zone"
dnssec_config "$TEST_TMP/dnssec.json"

test_expect_success 'drill: the signed TLSA answer has the ad flag' '
	drill -D -p "$DNSSEC_PORT" @127.0.0.1 TLSA _25._tcp.mail.dane.test >out &&
	test_grep -q "flags: qr rd ra ad ;" out &&
	test_grep -q "RRSIG" out
'

test_expect_success 'drill: the unsigned zone answers without ad' '
	drill -D -p "$DNSSEC_PORT" @127.0.0.1 TLSA _25._tcp.mail.nodane.test >out &&
	test_grep -q "flags: qr rd ra ;" out &&
	test_grep -q "IN	TLSA	3 1 1 " out
'

test_expect_success 'drill -k: the chain of trust from the anchor verifies' '
	drill -k "$DNSSEC_ANCHOR" -S -p "$DNSSEC_PORT" @127.0.0.1 TLSA _25._tcp.mail.dane.test >out 2>&1 &&
	test_grep -q "^;; Chase successful" out
'

test_expect_success 'dns module: TLSA in dane.test is secure and holds the server key hash' '
	server=$(pki_spki_sha256 "$PKI/server.pem") &&
	other=$(pki_spki_sha256 "$PKI/untrusted.pem") &&
	int=$(pki_spki_sha256 "$PKI/int.pem") &&
	postern-testd -c dnssec.json dns TLSA _25._tcp.mail.dane.test _25._tcp.bad.dane.test \
		_25._tcp.ta.dane.test _2525._tcp.mail.dane.test >out &&
	cat >expect <<-OUT &&
	_25._tcp.mail.dane.test TLSA 3 1 1 $server sec=secure
	_25._tcp.bad.dane.test TLSA 3 1 1 $other sec=secure
	_25._tcp.ta.dane.test TLSA 2 1 1 $int sec=secure
	_2525._tcp.mail.dane.test TLSA 3 1 1 $server sec=secure
	OUT
	test_cmp expect out
'

test_expect_success 'dns module: MX and A in dane.test are secure, NXDOMAIN too' '
	postern-testd -c dnssec.json dns MX dane.test >out &&
	echo "dane.test MX 10 mail.dane.test. sec=secure" >expect &&
	test_cmp expect out &&
	postern-testd -c dnssec.json dns A ta.dane.test >out &&
	echo "ta.dane.test A 127.0.0.1 sec=secure" >expect &&
	test_cmp expect out &&
	{ postern-testd -c dnssec.json dns A nope.dane.test >out; test $? = 1; } &&
	echo "nope.dane.test A NXDOMAIN sec=secure" >expect &&
	test_cmp expect out
'

test_expect_success 'dns module: nodane.test and the local example.test are insecure' '
	postern-testd -c dnssec.json dns TLSA _25._tcp.mail.nodane.test >out &&
	echo "_25._tcp.mail.nodane.test TLSA 3 1 1 $(pki_spki_sha256 "$PKI/server.pem") sec=insecure" >expect &&
	test_cmp expect out &&
	postern-testd -c dnssec.json dns A mail.example.test >out &&
	echo "mail.example.test A 127.0.0.1 sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'dns module: without the trust anchor nothing is secure' '
	dns_config plain.json "$DNSSEC_RESOLVER" &&
	postern-testd -c plain.json dns TLSA _25._tcp.mail.dane.test >out &&
	test_grep -q " sec=insecure$" out
'

test_expect_success 'dns module: a wrong trust anchor makes dane.test bogus' '
	sed "s/IN	DS	\([0-9]*\) 13 2 ..../IN	DS	\1 13 2 0000/" "$DNSSEC_ANCHOR" >wrong.ds &&
	! cmp -s wrong.ds "$DNSSEC_ANCHOR" &&
	printf "{ \"dns\": { \"resolver\": [\"%s\"], \"trust_anchor\": \"%s\" } }\n" \
		"$DNSSEC_RESOLVER" "$PWD/wrong.ds" >wrong.json &&
	{ postern-testd -c wrong.json dns TLSA _25._tcp.mail.dane.test >out 2>err; test $? = 75; } &&
	test_grep -q "_25._tcp.mail.dane.test TLSA BOGUS sec=bogus" out &&
	test_grep -q "DS hash mismatches key" err
'

test_expect_success 'DNSSEC_CERT is a chain from the fixture CA naming ta.dane.test' '
	openssl verify -CAfile "$PKI/ca.pem" -untrusted "$PKI/int.pem" \
		-verify_hostname ta.dane.test "$DNSSEC_CERT.pem" &&
	test "$(pki_spki_sha256 "$DNSSEC_CERT-chain.pem")" != "$(pki_spki_sha256 "$PKI/server.pem")"
'

test_expect_success 'the queries reached nsd through the validator' '
	test_grep -q "_25._tcp.mail.dane.test. TLSA IN" "$DNSSEC_LOG"
'

test_done
