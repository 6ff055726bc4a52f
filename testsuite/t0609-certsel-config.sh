#!/bin/bash
# certsel's "certsel" config section (store, names, purpose, warn_days,
# ca_file, generate) with command-line options over it; -n on a bad
# section exits 78; usage errors exit 64; the path alone on stdout makes
# cert=$(certsel ...) work.
. "$(dirname "$0")/lib.sh"
need openssl

test_expect_success 'set-up: a store with the server and partner certificates' '
	mkdir store && cp "$PKI/server-full.pem" store/server.pem &&
	cp "$PKI/partner-full.pem" store/partner.pem
'

test_expect_success 'the config gives store, names and warn_days' '
	cat >c.json <<-JSON &&
	{ "certsel": { "store": "store", "names": ["mx.partner.test"], "warn_days": 3000,
	  "purpose": "server", "ca_file": "$PKI/ca.pem", "generate": false } }
	JSON
	certsel -c c.json -n 2>err &&
	cert=$(certsel -c c.json 2>err) &&
	test "$cert" = store/partner.pem &&
	test_grep -q "certificate expires soon .* warn_days=3000" err
'

test_expect_success 'command-line options override the config' '
	cert=$(certsel -c c.json --name mail.example.test --warn-days 1 2>err) &&
	test "$cert" = store/server.pem && ! grep -q "expires soon" err
'

test_expect_success 'generate in the config generates' '
	mkdir gen && echo "{\"certsel\": {\"store\": \"gen\", \"names\": [\"g.example.test\"], \"generate\": true}}" >g.json &&
	cert=$(certsel -c g.json 2>err) && test "$cert" = gen/g.example.test.pem &&
	test "$(stat -c %a gen/g.example.test.key)" = 600
'

test_expect_code 78 '-n on a bad certsel section exits 78 and names the key' '
	echo "{\"certsel\": {\"warn_days\": \"soon\", \"purpose\": \"web\", \"stor\": \"x\"}}" >bad.json &&
	certsel -c bad.json -n 2>err; rc=$?;
	grep -q "^bad.json: certsel.warn_days: " err && grep -q "^bad.json: certsel.purpose: " err &&
	grep -q "^bad.json: certsel.stor: unknown key" err && exit $rc
'

test_expect_code 78 'a bad section stops a normal run too' '
	certsel -c bad.json
'

test_expect_code 64 'an unknown option is a usage error' '
	certsel --frobnicate
'

test_expect_code 64 '--warn-days out of range is a usage error' '
	certsel -s store --warn-days -3
'

test_expect_code 64 '--list and --check together are a usage error' '
	certsel -s store --list --check
'

test_expect_success '--help lists the options' '
	certsel --help >help &&
	for o in --store --name --purpose --ca --generate --rsa --warn-days --list --check --at --json; do
		grep -q -- "$o" help || { echo "missing $o"; exit 1; }
	done
'

test_done
