#!/bin/bash
# certsel ranks per SPEC 1: CA-issued before self-signed, each class by
# time left, longest first. Four certificates of different lifetimes are
# picked in that order as each chosen one is removed; the log line carries
# the issuer, serial, SHA-1 and SHA-256 that openssl computes.
. "$(dirname "$0")/lib.sh"
need openssl

# ca NAME DAYS: signed by the fixture intermediate; self NAME DAYS: self-signed.
ca() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out store/$1.key 2>/dev/null &&
	openssl req -new -key store/$1.key -subj "/CN=mail.example.test" -out $1.csr &&
	printf 'subjectAltName=DNS:mail.example.test\nextendedKeyUsage=serverAuth\n' >$1.ext &&
	openssl x509 -req -in $1.csr -CA "$PKI/int.pem" -CAkey "$PKI/int.key" -set_serial "0x$2ABC" \
		-days "$2" -extfile $1.ext -out store/$1.pem 2>/dev/null
}
self() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out store/$1.key 2>/dev/null &&
	openssl req -x509 -new -key store/$1.key -subj "/CN=mail.example.test" -days "$2" \
		-addext subjectAltName=DNS:mail.example.test -out store/$1.pem
}

test_expect_success 'a store of two CA-issued and two self-signed certificates' '
	mkdir store &&
	ca ca-short 200 && ca ca-long 400 && self self-long 300 && self self-short 100 &&
	ls store/*.pem | wc -l | grep -qx 4
'

test_expect_success '--list ranks CA-issued longest, CA-issued shorter, self-signed longest, shortest' '
	certsel -s store --name mail.example.test --list >list 2>err &&
	awk "{print \$1, \$2, \$4}" list >got &&
	printf "%s\n" "1 ca-issued store/ca-long.pem" "2 ca-issued store/ca-short.pem" \
		"3 self-signed store/self-long.pem" "4 self-signed store/self-short.pem" >want &&
	test_cmp want got
'

for want in ca-long ca-short self-long self-short; do
	test_expect_success "picks $want next, the path alone on stdout" '
		certsel -s store --name mail.example.test >out 2>err &&
		echo store/'$want'.pem >want &&
		test_cmp want out &&
		test_grep -q "selected certificate path=store/'$want'.pem key=store/'$want'.key" err &&
		rm store/'$want'.pem
	'
done

test_expect_code 1 'an empty store: nothing chosen, exit 1' '
	certsel -s store --name mail.example.test
'

test_expect_success 'the log carries issuer, serial, SHA-1 and SHA-256 as openssl prints them' '
	rm -rf store && mkdir store && ca leaf 90 &&
	cert=$(certsel -s store --name mail.example.test 2>err) &&
	test "$cert" = store/leaf.pem &&
	sha1=$(openssl x509 -in store/leaf.pem -noout -fingerprint -sha1 | sed "s/.*=//") &&
	sha256=$(openssl x509 -in store/leaf.pem -noout -fingerprint -sha256 | sed "s/.*=//") &&
	serial=$(openssl x509 -in store/leaf.pem -noout -serial | sed "s/.*=//") &&
	test_grep -q " sha1=$sha1 " err &&
	test_grep -q " sha256=$sha256 " err &&
	test_grep -q " serial=$serial " err &&
	test_grep -q "issuer=\"CN=Postern Test Intermediate CA,O=Postern Test\"" err
'

test_expect_success 'a choice expiring within --warn-days warns; the default is 30 days' '
	certsel -s store --name mail.example.test --warn-days 100 >out 2>err &&
	test_grep -q "certificate expires soon path=store/leaf.pem .* days_left=\(89\|90\) warn_days=100" err &&
	certsel -s store --name mail.example.test >out 2>err &&
	! grep -q "expires soon" err &&
	rm -rf store && mkdir store && ca soon 10 &&
	certsel -s store --name mail.example.test >out 2>err &&
	test_grep -q "certificate expires soon path=store/soon.pem .* warn_days=30" err &&
	echo store/soon.pem >want && test_cmp want out
'

test_done
