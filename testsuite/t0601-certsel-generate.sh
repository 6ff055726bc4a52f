#!/bin/bash
# certsel --generate: with no valid candidate (only an expired one), a new
# self-signed certificate covering every name, ECDSA P-256 (RSA 2048 with
# --rsa), key mode 0600, written into the store without touching the old
# file, logged and selected; a store it cannot write into exits 73.
. "$(dirname "$0")/lib.sh"
need openssl stat

test_expect_success 'a store with only an expired certificate' '
	mkdir store && cp "$PKI/expired.pem" "$PKI/expired.key" store/ &&
	{ certsel -s store --name expired.example.test >out 2>err; test $? = 1; } &&
	test_grep -q "refused certificate path=store/expired.pem reason=\"expired 2021-01-01T00:00:00Z\"" err &&
	test ! -s out
'

test_expect_success '--generate makes and selects a self-signed certificate for the names' '
	certsel -s store --name expired.example.test --name www.example.test --generate >out 2>err &&
	echo store/expired.example.test.pem >want && test_cmp want out &&
	test_grep -q "generated self-signed certificate path=store/expired.example.test.pem key=store/expired.example.test.key" err &&
	test_grep -q "selected certificate path=store/expired.example.test.pem .* self_signed=yes" err &&
	openssl x509 -in store/expired.example.test.pem -noout -ext subjectAltName >san &&
	test_grep -q "DNS:expired.example.test, DNS:www.example.test" san &&
	openssl x509 -in store/expired.example.test.pem -noout -subject >subj &&
	test_grep -q "subject=CN = expired.example.test" subj
'

test_expect_success 'the key is ECDSA P-256, mode 0600, and matches; the old files are untouched' '
	test "$(stat -c %a store/expired.example.test.key)" = 600 &&
	openssl pkey -in store/expired.example.test.key -noout -text >key &&
	test_grep -q "NIST CURVE: P-256" key &&
	test "$(openssl pkey -in store/expired.example.test.key -pubout)" = \
	     "$(openssl x509 -in store/expired.example.test.pem -noout -pubkey)" &&
	cmp store/expired.pem "$PKI/expired.pem" && cmp store/expired.key "$PKI/expired.key"
'

test_expect_success 'one year, serverAuth and clientAuth, and not a CA' '
	openssl x509 -in store/expired.example.test.pem -noout -ext extendedKeyUsage,basicConstraints >ext &&
	test_grep -q "TLS Web Server Authentication, TLS Web Client Authentication" ext &&
	test_grep -q "CA:FALSE" ext &&
	openssl x509 -in store/expired.example.test.pem -noout -checkend $((364 * 86400)) &&
	! openssl x509 -in store/expired.example.test.pem -noout -checkend $((366 * 86400))
'

test_expect_success 'the next run selects it without generating again' '
	certsel -s store --name expired.example.test --generate >out 2>err &&
	echo store/expired.example.test.pem >want && test_cmp want out &&
	! grep -q generated err && ls store | wc -l | grep -qx 4
'

test_expect_success 'a name not covered: a new one next to, never over, the existing file' '
	cp store/expired.example.test.pem before.pem &&
	certsel -s store --name expired.example.test --name new.example.test --generate >out 2>err &&
	grep -qx "store/expired.example.test-[0-9]\{8\}T[0-9]\{6\}.pem" out &&
	cmp before.pem store/expired.example.test.pem
'

test_expect_success '--rsa generates RSA 2048; an IP name becomes an IP SAN' '
	mkdir rsa &&
	certsel -s rsa --name 127.0.0.1 --name rsa.example.test --generate --rsa >out 2>err &&
	echo rsa/127.0.0.1.pem >want && test_cmp want out &&
	openssl x509 -in rsa/127.0.0.1.pem -noout -text >text &&
	test_grep -q "Public-Key: (2048 bit)" text &&
	test_grep -q "IP Address:127.0.0.1, DNS:rsa.example.test" text
'

test_expect_success 'one_file in the config puts the key in the certificate file, mode 0600' '
	mkdir one && echo "{\"certsel\": {\"one_file\": true}}" >one.json &&
	certsel -c one.json -s one --name one.example.test --generate >out 2>err &&
	echo one/one.example.test.pem >want && test_cmp want out &&
	test "$(stat -c %a one/one.example.test.pem)" = 600 &&
	grep -q "BEGIN PRIVATE KEY" one/one.example.test.pem && ! test -e one/one.example.test.key &&
	test_grep -q "selected certificate path=one/one.example.test.pem key=one/one.example.test.pem" err
'

test_expect_success 'smime: an emailProtection certificate with an rfc822Name' '
	mkdir smime &&
	certsel -s smime --purpose smime --name alice@example.test --generate >out 2>err &&
	openssl x509 -in "$(cat out)" -noout -ext subjectAltName,extendedKeyUsage >ext &&
	test_grep -q "email:alice@example.test" ext && test_grep -q "E-mail Protection" ext
'

test_expect_code 73 'a store it cannot write into exits 73 (EX_CANTCREAT)' '
	certsel -s /proc/self --name x.example.test --generate 2>err; rc=$?;
	grep -q "cannot write" err && exit $rc
'

test_expect_code 64 '--generate without a name is a usage error' '
	certsel -s store --generate
'

test_done
