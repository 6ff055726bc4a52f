#!/bin/bash
# STARTTLS command injection (CVE-2011-0411 seen from the client): a
# server that sends plaintext right after "220 Ready to start TLS" and
# before the handshake. mtls-probe drops those bytes, says how many, and
# reads its EHLO answer only from inside TLS.
. "$(dirname "$0")/lib.sh"
need python3

starttls_injector_start
ONE=$INJECTOR_PORT
ONELOG=$INJECTOR_LOG
starttls_injector_start "250-PIPELINING injected"

probe() { mtls-probe --timeout 10s --ca "$PKI/ca.pem" --name mail.example.test --ehlo probe.example.test "$@"; }

test_expect_success 'the injected line is discarded and counted' '
	probe 127.0.0.1:$ONE >out &&
	test_grep -q "^S: 220 2.0.0 Ready to start TLS$" out &&
	test_grep -q "^TLS: discarded 14 bytes of plaintext the server sent before the handshake (STARTTLS injection defence)$" out &&
	! grep -q "^S: 250 injected" out &&
	test_grep -q "^TLS: verdict: Verified$" out &&
	test_grep -q "tls .*: EHLO probe.example.test" "$ONELOG"
'

test_expect_success 'the EHLO answer after TLS is the real one' '
	probe 127.0.0.1:$ONE >out &&
	sed -n "/^TLS: verdict/,\$p" out | grep "^S: 250" >after &&
	! grep -q injected after &&
	test -s after
'

test_expect_success 'another line, another count; in --json too' '
	probe --json 127.0.0.1:$INJECTOR_PORT >out.json &&
	python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
assert o[\"tls\"][\"discarded\"] == len(\"250-PIPELINING injected\r\n\"), o[\"tls\"][\"discarded\"]
assert not any(\"injected\" in l for l in o[\"transcript\"] if l.startswith(\"S:\"))
" out.json
'

test_done
