#!/bin/bash
# The DANE fixtures end to end, checked with independent tools: the TLSA
# records drill gets from the validating resolver (ad flag) for the ports
# of two Postfix servers make openssl s_client's DANE verification pass
# for mail.dane.test (3 1 1) and ta.dane.test (2 1 1 with $DNSSEC_CERT),
# and fail for bad.dane.test.
. "$(dirname "$0")/lib.sh"
need drill openssl

postfix_start
EE_PORT=$POSTFIX_PORT
dnssec_cert
postfix_start --cert "$DNSSEC_CERT"
TA_PORT=$POSTFIX_PORT
dnssec_start --port "$EE_PORT" --port "$TA_PORT"

# tlsa NAME: the TLSA records of NAME, one "U S M HEX" a line, when the
# answer is authenticated (ad).
tlsa() {
	drill -D -p "$DNSSEC_PORT" @127.0.0.1 TLSA "$1" >drill.out &&
	grep -q "flags: qr rd ra ad ;" drill.out &&
	awk -v n="$1." '$1 == n && $4 == "TLSA" { print $5, $6, $7, $8 }' drill.out
}

# dane PORT DOMAIN RRDATA...: s_client -starttls smtp with DANE, no name
# checks for DANE-EE(3) as RFC 7672 says for SMTP.
dane() {
	local port=$1 domain=$2 rr args=""; shift 2
	for rr; do args="$args -dane_tlsa_rrdata '$rr'"; done
	printf "QUIT\r\n" | eval timeout 20 openssl s_client -starttls smtp \
		-connect 127.0.0.1:$port -CAfile "$PKI/ca.pem" -dane_tlsa_domain $domain -dane_ee_no_namechecks $args 2>&1
}

test_expect_success 'mail.dane.test: the secure 3 1 1 record for the port matches' '
	tlsa _$EE_PORT._tcp.mail.dane.test >rr &&
	test "$(cat rr)" = "3 1 1 $(pki_spki_sha256 "$PKI/server.pem")" &&
	dane $EE_PORT mail.dane.test "$(cat rr)" >out &&
	test_grep -q "^Verification: OK" out &&
	test_grep -q "^DANE TLSA 3 1 1 .* matched EE certificate at depth 0" out
'

test_expect_success 'bad.dane.test: its record matches no served key' '
	tlsa _25._tcp.bad.dane.test >rr &&
	dane $EE_PORT bad.dane.test "$(cat rr)" >out;
	test_grep -q "^Verification error: no matching DANE TLSA records" out
'

test_expect_success 'ta.dane.test: 2 1 1 on the intermediate, with the ta.dane.test certificate' '
	tlsa _$TA_PORT._tcp.ta.dane.test >rr &&
	test "$(cat rr)" = "2 1 1 $(pki_spki_sha256 "$PKI/int.pem")" &&
	dane $TA_PORT ta.dane.test "$(cat rr)" >out &&
	test_grep -q "^Verification: OK" out &&
	test_grep -q "^DANE TLSA 2 1 1 .* matched TA certificate at depth 1" out &&
	test_grep -q "^Verified peername: ta.dane.test" out
'

test_expect_success 'ta.dane.test record against the server certificate: name mismatch' '
	dane $EE_PORT ta.dane.test "$(cat rr)" >out;
	test_grep -q "^Verification error: hostname mismatch" out
'

test_expect_success 'nodane.test: the record is there, without ad' '
	drill -D -p "$DNSSEC_PORT" @127.0.0.1 TLSA _$EE_PORT._tcp.mail.nodane.test >out &&
	test_grep -q "flags: qr rd ra ;" out &&
	test_grep -q "TLSA	3 1 1 $(pki_spki_sha256 "$PKI/server.pem")" out
'

test_done
