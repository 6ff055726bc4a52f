#!/bin/bash
# The SIP responder fixture: OPTIONS over TLS (socat OPENSSL-LISTEN) and
# over plain TCP gets 200 OK with the dialog headers copied, Allow and
# Accept; --verify refuses a client without a certificate.
. "$(dirname "$0")/lib.sh"
need openssl socat

sip_tls_responder_start
TLS_PORT=$SIP_TLS_PORT TLS_LOG=$SIP_TLS_LOG
sip_tls_responder_start --verify
VERIFY_PORT=$SIP_TLS_PORT VERIFY_LOG=$SIP_TLS_LOG
sip_tcp_responder_start

options() {
	printf "OPTIONS sip:gw.example.test SIP/2.0\r\n"
	printf "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-fixture-1\r\n"
	printf "Max-Forwards: 70\r\n"
	printf "From: <sip:probe@example.test>;tag=p1\r\n"
	printf "To: <sip:gw.example.test>\r\n"
	printf "Call-ID: fixture-call-1@127.0.0.1\r\n"
	printf "CSeq: 1 OPTIONS\r\n"
	printf "Content-Length: 0\r\n\r\n"
}

# sclient PORT [s_client args]: OPTIONS through openssl s_client -quiet,
# which ends when its input does: the input stays open until the answer
# (its last header is Content-Length) is in.
sclient() {
	local port=$1 n=0; shift
	rm -f sip.out
	{
		options
		while ! grep -q "^Content-Length" sip.out 2>/dev/null && [ $n -lt 200 ]; do
			sleep 0.05; n=$((n + 1))
		done
	} | timeout 20 openssl s_client -quiet -no_ign_eof -connect "127.0.0.1:$port" \
		-CAfile "$PKI/ca.pem" -verify_return_error "$@" >sip.out 2>err
	tr -d "\r" <sip.out
}

cat >"$TEST_TMP/expect" <<-\OUT
SIP/2.0 200 OK
Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-fixture-1
From: <sip:probe@example.test>;tag=p1
To: <sip:gw.example.test>;tag=fixture1
Call-ID: fixture-call-1@127.0.0.1
CSeq: 1 OPTIONS
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS
Accept: application/sdp
Server: postern-test-sip
Content-Length: 0

OUT

test_expect_success 'OPTIONS over TLS (s_client -quiet): 200 OK, headers copied' '
	sclient $TLS_PORT >out &&
	test_cmp expect out &&
	test_grep -q "^OPTIONS sip:gw.example.test SIP/2.0 from=127.0.0.1$" "$TLS_LOG"
'

test_expect_success 'TLS: the gateway certificate (SAN URI sip:gw.example.test) is served' '
	</dev/null timeout 20 openssl s_client -connect "127.0.0.1:$TLS_PORT" \
		-CAfile "$PKI/ca.pem" -showcerts >out 2>&1 &&
	test_grep -q "subject=CN = gw.example.test" out &&
	test_grep -q "^ 1 s:O = Postern Test, CN = Postern Test Intermediate CA" out &&
	sed -n "/BEGIN CERT/,/END CERT/p;/END CERT/q" out |
		openssl x509 -noout -ext subjectAltName >san &&
	test_grep -q "URI:sip:gw.example.test" san
'

test_expect_success 'socat client: two requests on one connection, one with a body' '
	{
		options
		printf "INFO sip:gw.example.test SIP/2.0\r\nVia: SIP/2.0/TLS x;branch=z9hG4bK-2\r\n"
		printf "Call-ID: c2\r\nCSeq: 2 INFO\r\nContent-Length: 5\r\n\r\nhello"
	} | timeout 20 socat -t 5 - \
		"OPENSSL:127.0.0.1:$TLS_PORT,cafile=$PKI/ca.pem,commonname=gw.example.test" |
		tr -d "\r" >out &&
	test_grep -q "^SIP/2.0 200 OK" out &&
	test_grep -q "^SIP/2.0 501 Not Implemented" out &&
	test_grep -q "^CSeq: 2 INFO" out
'

test_expect_success '--verify: refused without a client certificate' '
	options | timeout 20 socat -t 5 - \
		"OPENSSL:127.0.0.1:$VERIFY_PORT,cafile=$PKI/ca.pem,commonname=gw.example.test" >out 2>err;
	! grep -q "^SIP/2.0 200 OK" out &&
	test_grep -q "peer did not return a certificate" "$TEST_TMP/sip-tls2.log" &&
	! test -s "$VERIFY_LOG"
'

test_expect_success '--verify: 200 OK with the fixture client certificate' '
	sclient $VERIFY_PORT -cert "$PKI/client.pem" -key "$PKI/client.key" \
		-cert_chain "$PKI/int.pem" >out &&
	test_cmp expect out
'

test_expect_success 'OPTIONS over plain TCP' '
	options | tcp_chat_now "$SIP_TCP_PORT" | tr -d "\r" >out &&
	test_cmp expect out &&
	test_grep -q "^OPTIONS sip:gw.example.test SIP/2.0" "$SIP_TCP_LOG"
'

test_done
