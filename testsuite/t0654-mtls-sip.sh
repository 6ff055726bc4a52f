#!/bin/bash
# SIP: OPTIONS over TLS to a responder behind socat OPENSSL-LISTEN (sips),
# and over plain TCP (sip); the status line and Allow shown; names by
# RFC 5922 (a SAN URI sip:DOMAIN or a dNSName, no wildcards).
. "$(dirname "$0")/lib.sh"
need socat python3

sip_tls_responder_start
TLS=$SIP_TLS_PORT
TLSLOG=$SIP_TLS_LOG
sip_tls_responder_start --verify
VERIFY=$SIP_TLS_PORT
sip_tcp_responder_start

probe() { mtls-probe --timeout 10s --ca "$PKI/ca.pem" --ehlo probe.example.test "$@"; }

test_expect_success 'sips: OPTIONS over TLS, 200 OK and Allow shown' '
	probe --proto sips --name gw.example.test 127.0.0.1:$TLS >out &&
	test_grep -q "^C: OPTIONS sips:gw.example.test SIP/2.0$" out &&
	test_grep -q "^C: Via: SIP/2.0/TLS probe.example.test;branch=z9hG4bK[0-9a-f]*;rport$" out &&
	test_grep -q "^S: SIP/2.0 200 OK$" out &&
	test_grep -q "^SIP: 200 OK$" out &&
	test_grep -q "^SIP: Allow: .*OPTIONS" out &&
	test_grep -q "^TLS: name gw.example.test: matched " out &&
	test_grep -q "^Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$TLS:" out &&
	test_grep -q "^OPTIONS sips:gw.example.test SIP/2.0" "$TLSLOG"
'

test_expect_success 'sips: the SIP name rule matches the SAN URI sip:gw.example.test' '
	probe --proto sips --name gw.example.test 127.0.0.1:$TLS >out &&
	test_grep -Eq "^TLS: name gw.example.test: matched (URI:sip:gw.example.test|DNS:gw.example.test)$" out
'

test_expect_success 'sips: a name the gateway does not have, exit 1' '
	{ probe --proto sips --name sip.example.test 127.0.0.1:$TLS >out; test $? = 1; } &&
	test_grep -q "^TLS: name sip.example.test: no match" out &&
	test_grep -q "^SIP: 200 OK$" out
'

test_expect_success 'sips with a client certificate required: ours accepted' '
	probe --proto sips --name gw.example.test --cert "$PKI/client-full.pem" 127.0.0.1:$VERIFY >out &&
	test_grep -q "^TLS: client certificate: sent, accepted$" out &&
	test_grep -q "^SIP: 200 OK$" out
'

test_expect_success 'sips with a client certificate required: refused without, exit 1' '
	{ probe --proto sips --name gw.example.test 127.0.0.1:$VERIFY >out; test $? = 1; } &&
	test_grep -q "refused" out &&
	! grep -q "^SIP: 200" out
'

test_expect_success 'sip: OPTIONS over plain TCP, no TLS section' '
	probe --proto sip --name gw.example.test 127.0.0.1:$SIP_TCP_PORT >out &&
	test_grep -q "^C: OPTIONS sip:gw.example.test SIP/2.0$" out &&
	test_grep -q "^C: Via: SIP/2.0/TCP probe.example.test;" out &&
	test_grep -q "^SIP: 200 OK$" out &&
	! grep -q "^TLS:" out &&
	test_grep -q "^Plain-text SIP connection to 127.0.0.1\[127.0.0.1\]:$SIP_TCP_PORT (no TLS)$" out
'

test_expect_success 'sips --json carries the SIP answer' '
	probe --json --proto sips --name gw.example.test 127.0.0.1:$TLS >out.json &&
	python3 - out.json <<-\PY
	import json, sys
	o = json.load(open(sys.argv[1]))
	assert o["sip_status"] == 200 and o["sip_reason"] == "OK", o
	assert "OPTIONS" in o["sip_allow"]
	assert o["tls"]["name"]["ok"] is True
	PY
'

test_done
