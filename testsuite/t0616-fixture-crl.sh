#!/bin/bash
# The CRL fixtures: crl_make_revoking makes an intermediate CRL listing a
# given certificate (openssl verify -crl_check fails for it, passes for
# others) without touching $PKI; crl_server_start serves it over HTTP, and
# a certificate from pki_issue --cdp names it (openssl verify -crl_download).
. "$(dirname "$0")/lib.sh"
need openssl curl

crls=$TEST_TMP/crls
mkdir -p "$crls"
crl_server_start "$crls"
pki_issue srv "DNS:srv.example.test,DNS:localhost" --cdp "$CRL_SERVER_URL"
cp "$PKI/db/index.txt" "$TEST_TMP/index.before"

verify() {
	openssl verify -CAfile "$PKI/ca.pem" -untrusted "$PKI/int.pem" "$@" 2>&1
}

test_expect_success 'pki_issue: a chain from the fixture CA, its CRL point on our server' '
	verify "$PKI_ISSUED/srv.pem" >out &&
	test_grep -q ": OK$" out &&
	openssl x509 -in "$PKI_ISSUED/srv.pem" -noout -ext crlDistributionPoints >cdp &&
	test_grep -q "URI:$CRL_SERVER_URL/int.crl" cdp &&
	test "$(grep -c BEGIN "$PKI_ISSUED/srv-chain.pem")" = 2 &&
	grep -q "PRIVATE KEY" "$PKI_ISSUED/srv-full.pem"
'

test_expect_success 'crl_make_revoking: the CRL lists the certificate' '
	crl_make_revoking "$PKI_ISSUED/srv.pem" "$crls" &&
	serial=$(openssl x509 -in "$PKI_ISSUED/srv.pem" -noout -serial | cut -d= -f2) &&
	openssl crl -in "$crls/int.crl" -inform DER -noout -text >crl.txt &&
	test_grep -q "Serial Number: $serial" crl.txt &&
	test_grep -q "Issuer: O = Postern Test, CN = Postern Test Intermediate CA" crl.txt &&
	test -s "$crls/root.crl"
'

test_expect_success 'openssl verify -crl_check: revoked with the CRL file, not without' '
	! verify -crl_check -CRLfile "$crls/int.crl.pem" -CRLfile "$PKI/root.crl.pem" \
		"$PKI_ISSUED/srv.pem" >out &&
	test_grep -q "certificate revoked" out &&
	verify -crl_check -CRLfile "$PKI/int.crl.pem" "$PKI_ISSUED/srv.pem" >out &&
	test_grep -q ": OK$" out
'

test_expect_success 'other certificates still pass with the new CRL; revoked stays revoked' '
	verify -crl_check -CRLfile "$crls/int.crl.pem" "$PKI/server.pem" >out &&
	test_grep -q ": OK$" out &&
	! verify -crl_check -CRLfile "$crls/int.crl.pem" "$PKI/revoked.pem" >out &&
	test_grep -q "certificate revoked" out
'

test_expect_success 'the CRL over HTTP: curl, and openssl verify -crl_download' '
	curl -sS --fail -o got.crl "$CRL_SERVER_URL/int.crl" &&
	cmp got.crl "$crls/int.crl" &&
	! verify -crl_check -crl_download "$PKI_ISSUED/srv.pem" >out &&
	test_grep -q "certificate revoked" out &&
	test_grep -q "\"GET /int.crl HTTP/1.1\" 200" "$CRL_SERVER_LOG"
'

test_expect_success 'the run CA database is untouched' '
	test_cmp "$TEST_TMP/index.before" "$PKI/db/index.txt"
'

test_done
