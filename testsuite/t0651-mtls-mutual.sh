#!/bin/bash
# Mutual TLS against openssl s_server -Verify 1 -verify_return_error: our
# client certificate accepted; refused without one (TLS 1.3: the alert
# after the handshake; TLS 1.2: inside it); refused when revoked by the
# server's CRL. Each refusal says why and exits 1.
. "$(dirname "$0")/lib.sh"
need openssl

sserver_start mtls -Verify 1 -verify_return_error
MTLS=$SSERVER_PORT
crl_make_revoking "$PKI/client.pem" "$TEST_TMP/crl" || bail "cannot make the CRL"
sserver_start mtls-crl -Verify 1 -verify_return_error -CRL "$TEST_TMP/crl/int.crl.pem" -crl_check
CRL=$SSERVER_PORT
sserver_start mtls12 -Verify 1 -verify_return_error -tls1_2
TLS12=$SSERVER_PORT

probe() { mtls-probe --timeout 10s --proto https --get --ca "$PKI/ca.pem" --name mail.example.test "$@"; }

test_expect_success 'our client certificate is accepted; the page is fetched' '
	probe --cert "$PKI/client-full.pem" 127.0.0.1:$MTLS >out &&
	test_grep -q "^TLS: the server asked for a client certificate; acceptable CA names (1):$" out &&
	test_grep -q "^TLS:   CN=Postern Test Root CA,O=Postern Test$" out &&
	test_grep -q "^TLS: client certificate: sent, accepted$" out &&
	test_grep -q "^S: HTTP/1.0 200 ok$" out &&
	test_grep -q "^Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$MTLS: TLSv1.3" out
'

test_expect_success 'without a certificate: refused by the TLS 1.3 alert, exit 1' '
	{ probe 127.0.0.1:$MTLS >out; test $? = 1; } &&
	test_grep -q "^TLS: client certificate: none sent (no --cert given)$" out &&
	test_grep -q "^TLS: the server refused the session without one: tlsv13 alert certificate required$" out &&
	test_grep -q "^Check failed: the server refused our client certificate: tlsv13 alert certificate required$" out &&
	! grep -q "^C: GET" out
'

test_expect_success 'TLS 1.2: refused inside the handshake, exit 1' '
	{ probe 127.0.0.1:$TLS12 >out; test $? = 1; } &&
	test_grep -q "^TLS: handshake failed: sslv3 alert handshake failure$" out &&
	test_grep -q "^TLS: the server asked for a client certificate" out &&
	test_grep -q "^TLS: peer certificate chain (2):$" out &&
	test_grep -q "^No TLS connection established to 127.0.0.1\[127.0.0.1\]:$TLS12: sslv3 alert handshake failure$" out
'

test_expect_success 'TLS 1.2 with our certificate: accepted in the handshake' '
	probe --cert "$PKI/client-full.pem" 127.0.0.1:$TLS12 >out &&
	test_grep -q "^TLS: TLSv1.2 with cipher ECDHE-ECDSA-AES256-GCM-SHA384 (256/256 bits)$" out &&
	test_grep -q "^TLS: client certificate: sent, accepted$" out
'

test_expect_success 'a revoked client certificate: refused with the alert, exit 1' '
	{ probe --cert "$PKI/client-full.pem" 127.0.0.1:$CRL >out; test $? = 1; } &&
	test_grep -q "^TLS: client certificate: sent, refused: sslv3 alert certificate revoked$" out &&
	test_grep -q "^Check failed: the server refused our client certificate: sslv3 alert certificate revoked$" out
'

test_expect_success 'the same server takes a certificate it has not revoked' '
	probe --cert "$PKI/partner-full.pem" 127.0.0.1:$CRL >out &&
	test_grep -q "^TLS: client certificate: sent, accepted$" out
'

test_expect_success '--json records the refusal' '
	{ probe --json 127.0.0.1:$MTLS >out.json; test $? = 1; } &&
	python3 - out.json <<-\PY
	import json, sys
	o = json.load(open(sys.argv[1]))
	cc = o["tls"]["client_certificate"]
	assert cc["asked"] is True and cc["sent"] is False, cc
	assert cc["accepted"] == "no" and cc["error"] == "tlsv13 alert certificate required", cc
	assert o["exit"] == 1 and o["failures"], o["failures"]
	PY
'

test_done
