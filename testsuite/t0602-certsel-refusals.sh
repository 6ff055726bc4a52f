#!/bin/bash
# certsel --list gives the reason for each refused file: a key that does
# not match, garbage, truncated PEM, an empty file, a certificate without
# a key, a CA certificate, a name not covered; none of them crashes it,
# and a valid DER certificate with its NAME.key still counts.
. "$(dirname "$0")/lib.sh"
need openssl

test_expect_success 'a store of broken files next to a good one' '
	mkdir store &&
	cp "$PKI/server-full.pem" store/good.pem &&
	cp "$PKI/server.pem" store/mismatch.pem && cp "$PKI/partner.key" store/mismatch.key &&
	head -c 4096 /dev/urandom >store/garbage.pem &&
	echo "this is not a certificate" >store/text.crt &&
	head -c 300 "$PKI/server.pem" >store/truncated.pem &&
	sed "5s/./#/g" "$PKI/server.pem" >store/damaged.pem && cp "$PKI/server.key" store/damaged.key &&
	: >store/empty.pem &&
	cp "$PKI/server.pem" store/nokey.pem &&
	cp "$PKI/partner-full.pem" store/partner.pem &&
	cp "$PKI/int.pem" store/int.pem && cp "$PKI/int.key" store/int.key &&
	openssl x509 -in "$PKI/server.pem" -outform DER -out store/der.der && cp "$PKI/server.key" store/der.key &&
	cp "$PKI/server.key" store/keyonly.pem &&
	echo "not for us" >store/README && cp "$PKI/server.key" store/.hidden.pem
'

test_expect_success '--list names every refusal with its reason' '
	certsel -s store --name mail.example.test --list >list 2>err &&
	test_grep -q "^-   refused .* store/mismatch.pem: key does not match the certificate$" list &&
	test_grep -q "^-   refused .* store/garbage.pem: unreadable: not PEM, DER or PKCS#12$" list &&
	test_grep -q "^-   refused .* store/text.crt: unreadable: not PEM, DER or PKCS#12$" list &&
	test_grep -q "^-   refused .* store/truncated.pem: unreadable: truncated or damaged PEM" list &&
	test_grep -q "^-   refused .* store/damaged.pem: unreadable: " list &&
	test_grep -q "^-   refused .* store/empty.pem: unreadable: empty file$" list &&
	test_grep -q "^-   refused .* store/nokey.pem: no private key (none in the file, no .store/nokey.key.)$" list &&
	test_grep -q "^-   refused .* store/partner.pem: does not cover mail.example.test (no SAN matches mail.example.test)$" list &&
	test_grep -q "^-   refused .* store/int.pem: is a CA certificate; wrong purpose: key usage does not allow server use; does not cover mail.example.test" list &&
	test_grep -q "^-   refused .* store/keyonly.pem: no certificate in the file (a key alone)$" list
'

test_expect_success 'the good PEM and the DER certificate with NAME.key are ranked; other files ignored' '
	grep -v "^-" list | awk "{print \$1, \$2, \$4}" | sort >got &&
	printf "%s\n" "1 ca-issued store/der.der" "2 ca-issued store/good.pem" | sort >want1 &&
	printf "%s\n" "1 ca-issued store/good.pem" "2 ca-issued store/der.der" | sort >want2 &&
	{ test_cmp want1 got || test_cmp want2 got; } &&
	! grep -q "README\|hidden" list &&
	test $(wc -l <list) = 12
'

test_expect_success 'the same files give the same reasons in the log when nothing is valid' '
	rm store/good.pem store/der.der &&
	{ certsel -s store --name mail.example.test >out 2>err; test $? = 1; } &&
	test ! -s out &&
	test_grep -q "refused certificate path=store/mismatch.pem reason=\"key does not match the certificate\"" err &&
	test_grep -q "error: no valid certificate in .store." err
'

test_expect_success 'a file over the size cap is refused, not read' '
	head -c 1100000 /dev/zero | tr "\0" A >store/huge.pem &&
	{ certsel -s store --name mail.example.test --list >list 2>err; test $? = 1; } &&
	test_grep -q "store/huge.pem: unreadable: larger than 1048576 bytes" list
'

test_expect_success 'a file of more than 16 certificates is refused' '
	for i in $(seq 17); do cat "$PKI/int.pem"; done >store/many.pem &&
	{ certsel -s store --name mail.example.test --list >list 2>err; test $? = 1; } &&
	test_grep -q "store/many.pem: unreadable: more than 16 certificates in one file" list
'

test_expect_code 66 'a store that does not exist exits 66 with the reason' '
	certsel -s nowhere --name mail.example.test 2>err; rc=$?;
	grep -q "cannot read store .nowhere.: No such file or directory" err && exit $rc
'

test_done
