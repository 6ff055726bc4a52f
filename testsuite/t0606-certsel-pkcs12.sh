#!/bin/bash
# certsel reads PKCS#12 bundles with NAME.p12.pass next to them, or the
# password file from --password-file / the config; a wrong or missing
# password is a refusal with its reason, and the password never shows.
. "$(dirname "$0")/lib.sh"
need openssl

test_expect_success 'set-up: a PKCS#12 bundle of the server certificate, key and chain' '
	mkdir store && printf "s3cret-Pass\n" >store/mail.p12.pass &&
	openssl pkcs12 -export -in "$PKI/server.pem" -inkey "$PKI/server.key" -certfile "$PKI/int.pem" \
		-passout file:store/mail.p12.pass -out store/mail.p12
'

test_expect_success 'NAME.p12 with NAME.p12.pass is chosen and verified with its chain' '
	certsel -s store --name mail.example.test --ca "$PKI/ca.pem" >out 2>err &&
	echo store/mail.p12 >want && test_cmp want out &&
	test_grep -q "selected certificate path=store/mail.p12 key=store/mail.p12 " err &&
	sha1=$(openssl x509 -in "$PKI/server.pem" -noout -fingerprint -sha1 | sed "s/.*=//") &&
	test_grep -q " sha1=$sha1 " err &&
	! grep -r s3cret-Pass err out
'

test_expect_success 'a wrong password is a refusal that says so' '
	echo wrong >store/mail.p12.pass &&
	{ certsel -s store --name mail.example.test --list >list 2>err; test $? = 1; } &&
	test_grep -q "store/mail.p12: unreadable: PKCS#12 password is wrong$" list
'

test_expect_success 'no password file at all says what is missing' '
	rm store/mail.p12.pass &&
	{ certsel -s store --name mail.example.test --list >list; test $? = 1; } &&
	test_grep -q "store/mail.p12: unreadable: PKCS#12 needs a password file$" list
'

test_expect_success '--password-file and the config password_file are used when NAME.p12.pass is absent' '
	printf "s3cret-Pass" >pw &&
	certsel -s store --name mail.example.test --password-file pw >out &&
	echo store/mail.p12 >want && test_cmp want out &&
	echo "{\"certsel\": {\"password_file\": \"pw\", \"store\": \"store\"}}" >c.json &&
	certsel -c c.json --name mail.example.test >out &&
	test_cmp want out
'

test_expect_success 'a .pfx bundle without a MAC password and a damaged one' '
	openssl pkcs12 -export -in "$PKI/partner.pem" -inkey "$PKI/partner.key" \
		-passout pass: -out store/partner.pfx &&
	certsel -s store --name mx.partner.test >out &&
	echo store/partner.pfx >want && test_cmp want out &&
	head -c 500 store/mail.p12 >store/cut.p12 &&
	certsel -s store --password-file pw --list >list &&
	test_grep -q "store/cut.p12: unreadable: not PEM, DER or PKCS#12$" list
'

test_done
