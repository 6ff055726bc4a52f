#!/bin/bash
# DANE for SMTP (RFC 7672) against a DNSSEC-signed zone (nsd, ldns-signzone)
# behind a validating unbound with the zone's trust anchor: a matching
# DANE-EE(3) record, a DANE-TA(2) record through the intermediate, a record
# that matches nothing, and records in an unsigned zone (not used).
. "$(dirname "$0")/lib.sh"
need postfix

postfix_start
EE=$POSTFIX_PORT
dnssec_cert
postfix_start --cert "$DNSSEC_CERT"
TA=$POSTFIX_PORT
dnssec_start --port $EE --port $TA

probe() {
	mtls-probe --timeout 10s --ca "$PKI/ca.pem" --dane --resolver "$DNSSEC_RESOLVER" \
		--trust-anchor "$DNSSEC_ANCHOR" --ehlo probe.example.test "$@"
}
spki=$(pki_spki_sha256 "$PKI/server.pem" | tr a-f A-F)

test_expect_success 'DANE-EE(3): the record matches; Verified without a name match' '
	probe mail.dane.test:$EE >out &&
	test_grep -q "^DANE: TLSA _$EE._tcp.mail.dane.test: ready: 1 usable TLSA records of 1$" out &&
	test_grep -q "^DANE:   3 1 1 $spki$" out &&
	test_grep -q "^TLS: DANE: matched TLSA 3 1 1 $spki at depth 0$" out &&
	test_grep -q "^TLS: name mail.dane.test: no match" out &&
	test_grep -q "^TLS: verdict: Verified$" out &&
	test_grep -q "^Verified TLS connection established to mail.dane.test\[127.0.0.1\]:$EE:" out
'

test_expect_success 'DANE-TA(2) through the intermediate: matched at depth 1' '
	probe ta.dane.test:$TA >out &&
	test_grep -q "^TLS: DANE: matched TLSA 2 1 1 [0-9A-F]* at depth 1$" out &&
	test_grep -q "^TLS: name ta.dane.test: matched DNS:ta.dane.test$" out &&
	test_grep -q "^TLS: verdict: Verified$" out
'

test_expect_success 'a TLSA record that matches nothing: failed, exit 1' '
	{ probe bad.dane.test:$EE >out; test $? = 1; } &&
	test_grep -q "^TLS: DANE: failed: none of the 1 TLSA records matches the peer.s chain$" out &&
	test_grep -q "^TLS: verdict: Untrusted$" out &&
	test_grep -q "^Check failed: DANE: failed$" out
'

test_expect_success 'records in an unsigned zone are not used: exit 1' '
	{ probe mail.nodane.test:$EE >out; test $? = 1; } &&
	test_grep -q "^DANE: TLSA _$EE._tcp.mail.nodane.test: insecure: 1 TLSA records, but the answer is insecure, not DNSSEC-secure: not used$" out &&
	test_grep -q "^TLS: DANE: insecure" out &&
	test_grep -q "^Check failed: DANE: insecure$" out
'

test_expect_success 'a name without TLSA records: DANE does not apply, exit 1' '
	{ probe ns.dane.test:$EE >out; test $? = 1; } &&
	test_grep -q "^DANE: TLSA _$EE._tcp.ns.dane.test: no records: no TLSA records (NXDOMAIN, secure)$" out
'

test_expect_success '--json: the DANE result' '
	probe --json mail.dane.test:$EE >out.json &&
	python3 - out.json "$spki" <<-\PY
	import json, sys
	o = json.load(open(sys.argv[1]))
	d = o["tls"]["dane"]
	assert d["state"] == "matched" and d["matched"] == "3 1 1 " + sys.argv[2], d
	assert o["exit"] == 0
	PY
'

test_done
