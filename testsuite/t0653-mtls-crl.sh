#!/bin/bash
# Revocation by CRL: fetched over HTTP from the distribution points named
# in the chain (python3 http.server), or read from --crl-file. A listed
# server certificate is reported revoked (exit 1), an unlisted one good,
# an unreachable CRL unknown (exit 1). And by OCSP: openssl ocsp as the
# responder (--ocsp-url), and a response stapled by s_server.
. "$(dirname "$0")/lib.sh"
need openssl python3

# A CRL server of this test's own that lists a certificate issued for it.
mkdir -p "$TEST_TMP/crls"
crl_server_start "$TEST_TMP/crls"
pki_issue listed "DNS:listed.example.test" --cdp "$CRL_SERVER_URL" || bail "cannot issue"
crl_make_revoking "$PKI_ISSUED/listed.pem" "$TEST_TMP/crls" || bail "cannot revoke"
pki_issue nocrl "DNS:nocrl.example.test" --cdp "http://127.0.0.1:$(free_ports 1)" || bail "cannot issue"

sserver_start good
GOOD=$SSERVER_PORT
sserver_start revoked --cert revoked
REVOKED=$SSERVER_PORT
sserver_start listed --cert "$PKI_ISSUED/listed"
LISTED=$SSERVER_PORT
sserver_start nocrl --cert "$PKI_ISSUED/nocrl"
NOCRL=$SSERVER_PORT

# OCSP: a responder for the intermediate's database, and stapled answers.
OCSP_PORT=$(free_ports 1)
bg_start ocsp openssl ocsp -index "$PKI/db/index.txt" -url "http://127.0.0.1:$OCSP_PORT" \
	-rsigner "$PKI/int.pem" -rkey "$PKI/int.key" -CA "$PKI/int.pem"
# Not wait_port: the responder serves one connection at a time, and an
# empty probe connection would hold it up.
for i in $(seq 100); do
	grep -q "waiting for OCSP client connections" "$TEST_TMP/ocsp.log" && break
	sleep 0.05
done
for c in server revoked; do
	openssl ocsp -issuer "$PKI/int.pem" -cert "$PKI/$c.pem" -reqout "$TEST_TMP/$c.req" -no_nonce &&
	openssl ocsp -index "$PKI/db/index.txt" -rsigner "$PKI/int.pem" -rkey "$PKI/int.key" \
		-CA "$PKI/int.pem" -reqin "$TEST_TMP/$c.req" -respout "$TEST_TMP/$c.ocsp" >/dev/null 2>&1 ||
		bail "cannot make the OCSP response for $c"
done
sserver_start stapled -status_file "$TEST_TMP/server.ocsp"
STAPLED=$SSERVER_PORT
sserver_start stapled-revoked --cert revoked -status_file "$TEST_TMP/revoked.ocsp"
STAPLED_REVOKED=$SSERVER_PORT

probe() { mtls-probe --timeout 10s --proto https --get --ca "$PKI/ca.pem" "$@"; }

test_expect_success 'an unlisted certificate: good, with the URLs used' '
	probe --crl --name mail.example.test 127.0.0.1:$GOOD >out &&
	test_grep -q "^TLS: revocation (CRL): good: whole chain checked \[$POSTERN_CRL_URL/int.crl\]$" out
'

test_expect_success 'the run CRL lists "revoked": reported revoked, exit 1' '
	{ probe --crl --name revoked.example.test 127.0.0.1:$REVOKED >out; test $? = 1; } &&
	serial=$(openssl x509 -in "$PKI/revoked.pem" -noout -serial | sed "s/.*=//") &&
	test_grep -q "^TLS: revocation (CRL): revoked: certificate at depth 0 (serial $serial) revoked on 20[0-9-]*T[0-9:]*Z \[$POSTERN_CRL_URL/int.crl\]$" out &&
	test_grep -q "^Check failed: revocation (CRL): revoked$" out
'

test_expect_success 'a CRL server of the test: fetched once, the certificate revoked' '
	{ probe --crl --name listed.example.test 127.0.0.1:$LISTED >out; test $? = 1; } &&
	test_grep -q "^TLS: revocation (CRL): revoked: .*\[$CRL_SERVER_URL/int.crl\]$" out &&
	test_grep -q "\"GET /int.crl HTTP/1.1\" 200" "$CRL_SERVER_LOG"
'

test_expect_success 'without --crl, nothing is fetched and the session passes' '
	before=$(grep -c "GET /int.crl" "$CRL_SERVER_LOG") &&
	probe --name listed.example.test 127.0.0.1:$LISTED >out &&
	! grep -q "revocation" out &&
	test "$(grep -c "GET /int.crl" "$CRL_SERVER_LOG")" = "$before"
'

test_expect_success '--crl-file: the leaf checked against the file' '
	{ probe --crl-file "$PKI/int.crl.pem" --name revoked.example.test 127.0.0.1:$REVOKED >out; test $? = 1; } &&
	test_grep -q "^TLS: revocation (CRL): revoked: .*\[file $PKI/int.crl.pem\]$" out &&
	probe --crl-file "$PKI/int.crl.pem" --name mail.example.test 127.0.0.1:$GOOD >out2 &&
	test_grep -q "^TLS: revocation (CRL): good: leaf checked \[file $PKI/int.crl.pem\]$" out2
'

test_expect_success 'an unreachable distribution point: unknown, exit 1' '
	{ probe --crl --name nocrl.example.test 127.0.0.1:$NOCRL >out 2>err; test $? = 1; } &&
	test_grep -q "^TLS: revocation (CRL): unknown: unable to get certificate CRL (depth 0) \[http://127.0.0.1:[0-9]*/int.crl: .*\]$" out &&
	test_grep -q "cannot fetch CRL" err
'

test_expect_success 'OCSP responder: good for the server, revoked for "revoked"' '
	probe --ocsp-url http://127.0.0.1:$OCSP_PORT --name mail.example.test 127.0.0.1:$GOOD >out &&
	test_grep -q "^TLS: revocation (OCSP): good \[ocsp http://127.0.0.1:$OCSP_PORT\]$" out &&
	{ probe --ocsp-url http://127.0.0.1:$OCSP_PORT --name revoked.example.test 127.0.0.1:$REVOKED >out2; test $? = 1; } &&
	test_grep -q "^TLS: revocation (OCSP): revoked: revoked on 20[0-9-]*T[0-9:]*Z (no reason given) \[ocsp http://127.0.0.1:$OCSP_PORT\]$" out2 &&
	test_grep -q "^Check failed: revocation (OCSP): revoked$" out2
'

test_expect_success 'OCSP stapling: the stapled answer is used, no query made' '
	probe --ocsp --name mail.example.test 127.0.0.1:$STAPLED >out &&
	test_grep -q "^TLS: revocation (OCSP): good \[ocsp stapled\]$" out &&
	{ probe --ocsp --name revoked.example.test 127.0.0.1:$STAPLED_REVOKED >out2; test $? = 1; } &&
	test_grep -q "^TLS: revocation (OCSP): revoked: .*\[ocsp stapled\]$" out2
'

test_expect_success 'OCSP without a staple or a responder: unknown, exit 1' '
	{ probe --ocsp --name mail.example.test 127.0.0.1:$GOOD >out; test $? = 1; } &&
	test_grep -q "^TLS: revocation (OCSP): unknown: no stapled response and no responder in the certificate \[ocsp\]$" out
'

test_done
