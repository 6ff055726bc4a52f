#!/bin/bash
# The s_server fixture: with -Verify 1 -verify_return_error it refuses a
# client without a certificate and takes the fixture client certificate;
# with a revoking CRL and -crl_check it refuses the revoked client; it
# sends the fixture CA as acceptable client CA name and its chain.
. "$(dirname "$0")/lib.sh"
need openssl

sserver_start plain
PLAIN_PORT=$SSERVER_PORT
sserver_start mtls -Verify 1 -verify_return_error
MTLS_PORT=$SSERVER_PORT
crl_make_revoking "$PKI/client.pem" "$TEST_TMP/crl"
sserver_start mtls-crl -Verify 1 -verify_return_error \
	-CRL "$TEST_TMP/crl/int.crl.pem" -crl_check
CRL_PORT=$SSERVER_PORT
sserver_start untrusted --cert untrusted
UNTRUSTED_PORT=$SSERVER_PORT

# get PORT [s_client args]: an HTTP GET through s_client, its output.
get() {
	local port=$1; shift
	printf "GET / HTTP/1.0\r\n\r\n" | timeout 20 openssl s_client -ign_eof \
		-connect "127.0.0.1:$port" -CAfile "$PKI/ca.pem" -verify_return_error \
		-verify_hostname mail.example.test "$@" 2>&1
}
CCERT="-cert $PKI/client.pem -key $PKI/client.key -cert_chain $PKI/int.pem"

test_expect_success 'the server chain verifies as mail.example.test; -www answers' '
	get $PLAIN_PORT >out &&
	test_grep -q "Verify return code: 0 (ok)" out &&
	test_grep -q "^ 1 s:O = Postern Test, CN = Postern Test Intermediate CA" out &&
	test_grep -q "HTTP/1.0 200 ok" out &&
	test_grep -q "^New, TLSv1.3" out
'

test_expect_success '-Verify: the fixture CA is the acceptable client CA name' '
	get $MTLS_PORT $CCERT >out &&
	sed -n "/^Acceptable client certificate CA names/{n;p;}" out >names &&
	echo "O = Postern Test, CN = Postern Test Root CA" >expect &&
	test_cmp expect names
'

test_expect_success '-Verify -verify_return_error: refused without a client certificate' '
	! get $MTLS_PORT >out &&
	test_grep -q "alert certificate required\|alert handshake failure" out &&
	! grep -q "HTTP/1.0 200 ok" out &&
	test_grep -q "peer did not return a certificate" "$TEST_TMP/mtls.log"
'

test_expect_success '-Verify: accepted with the fixture client certificate' '
	get $MTLS_PORT $CCERT >out &&
	test_grep -q "HTTP/1.0 200 ok" out &&
	test_grep -q "^depth=0 CN = client.example.test" "$TEST_TMP/mtls.log"
'

test_expect_success '-Verify: accepted with client-full.pem as one file' '
	get $MTLS_PORT -cert "$PKI/client-full.pem" -cert_chain "$PKI/client-full.pem" >out &&
	test_grep -q "HTTP/1.0 200 ok" out
'

test_expect_success '-CRL -crl_check: the revoked client certificate is refused' '
	! get $CRL_PORT $CCERT >out &&
	! grep -q "HTTP/1.0 200 ok" out &&
	test_grep -q "certificate revoked" "$TEST_TMP/mtls-crl.log"
'

test_expect_success '-CRL -crl_check: another client certificate is accepted' '
	get $CRL_PORT -cert "$PKI/partner.pem" -key "$PKI/partner.key" \
		-cert_chain "$PKI/int.pem" >out &&
	test_grep -q "HTTP/1.0 200 ok" out
'

test_expect_success '--cert untrusted: a client with the fixture CA refuses it' '
	! get $UNTRUSTED_PORT >out &&
	test_grep -q "unable to get local issuer certificate\|self-signed certificate\|unable to verify the first certificate" out
'

test_done
