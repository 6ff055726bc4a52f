#!/bin/bash
# certsel --purpose: key usage and extended key usage must fit server,
# client or smime; a server-only certificate is refused for client use.
. "$(dirname "$0")/lib.sh"
need openssl

test_expect_success 'set-up: a serverAuth-only certificate and the fixture client one' '
	mkdir store &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out store/srv.key 2>/dev/null &&
	openssl req -new -key store/srv.key -subj "/CN=client.example.test" -out srv.csr &&
	printf "%s\n" "subjectAltName=DNS:client.example.test" "extendedKeyUsage=serverAuth" \
		"keyUsage=critical,digitalSignature" >srv.ext &&
	openssl x509 -req -in srv.csr -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -set_serial 0x5150 \
		-days 700 -extfile srv.ext -out store/srv.pem 2>/dev/null &&
	cp "$PKI/client.pem" "$PKI/client.key" store/
'

test_expect_success 'server (the default) takes the serverAuth one and refuses the clientAuth one' '
	certsel -s store --name client.example.test >out &&
	echo store/srv.pem >want && test_cmp want out &&
	certsel -s store --name client.example.test --list >list &&
	test_grep -q "store/client.pem: wrong purpose: extended key usage lacks serverAuth$" list
'

test_expect_success '--purpose client refuses the server-only EKU certificate' '
	certsel -s store --name client.example.test --purpose client >out &&
	echo store/client.pem >want && test_cmp want out &&
	certsel -s store --name client.example.test --purpose client --list >list &&
	test_grep -q "store/srv.pem: wrong purpose: extended key usage lacks clientAuth$" list
'

test_expect_success '--purpose smime takes the S/MIME certificate for its address' '
	cp "$PKI/alice.pem" "$PKI/alice.key" store/ &&
	certsel -s store --purpose smime --name alice@example.test >out &&
	echo store/alice.pem >want && test_cmp want out &&
	{ certsel -s store --purpose smime --name bob@example.test --list >list; test $? = 1; } &&
	test_grep -q "store/alice.pem: does not cover bob@example.test$" list &&
	test_grep -q "store/srv.pem: wrong purpose: extended key usage lacks emailProtection; does not cover bob@example.test$" list
'

test_expect_code 64 'an unknown purpose is a usage error' '
	certsel -s store --purpose web
'

test_expect_code 64 'smime names are addresses' '
	certsel -s store --purpose smime --name alice.example.test
'

test_done
