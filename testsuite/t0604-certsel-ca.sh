#!/bin/bash
# certsel --ca: a CA-issued certificate counts only when its chain
# verifies against the file; one from an untrusted root is refused with
# the verifier's reason, self-signed ones keep their own place.
. "$(dirname "$0")/lib.sh"
need openssl

test_expect_success 'set-up: untrusted CA-issued, trusted with chain, self-signed' '
	mkdir store &&
	cp "$PKI/untrusted-full.pem" store/untrusted.pem &&
	cp "$PKI/selfsigned.pem" "$PKI/selfsigned.key" store/
'

test_expect_success 'without --ca the untrusted CA-issued one wins over self-signed' '
	certsel -s store --name mail.example.test >out 2>err &&
	echo store/untrusted.pem >want && test_cmp want out
'

test_expect_success 'with --ca it is refused with the reason and the self-signed one is chosen' '
	certsel -s store --name mail.example.test --ca "$PKI/ca.pem" >out 2>err &&
	echo store/selfsigned.pem >want && test_cmp want out &&
	certsel -s store --name mail.example.test --ca "$PKI/ca.pem" --list >list &&
	test_grep -q "^-   refused .* store/untrusted.pem: chain does not verify against .*/ca.pem.: unable to get local issuer certificate$" list
'

test_expect_success 'a certificate whose file carries its chain verifies and wins again' '
	cat "$PKI/server-chain.pem" "$PKI/server.key" >store/server.pem &&
	certsel -s store --name mail.example.test --ca "$PKI/ca.pem" >out &&
	echo store/server.pem >want && test_cmp want out
'

test_expect_success 'the leaf alone does not chain to the root: refused' '
	cat "$PKI/server.pem" "$PKI/server.key" >store/server.pem &&
	certsel -s store --name mail.example.test --ca "$PKI/ca.pem" --list >list &&
	test_grep -q "store/server.pem: chain does not verify" list
'

test_expect_success 'the intermediate alone is enough when it is the CA file given' '
	certsel -s store --name mail.example.test --ca "$PKI/chain.pem" >out &&
	echo store/server.pem >want && test_cmp want out
'

test_expect_code 66 'an unreadable CA file is an error with the reason' '
	certsel -s store --name mail.example.test --ca nosuch.pem 2>err; rc=$?;
	grep -q "cannot load CA file .nosuch.pem." err && exit $rc
'

test_done
