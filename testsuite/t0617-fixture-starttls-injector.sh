#!/bin/bash
# The STARTTLS injector: a raw client sees the plaintext line sent after
# "220 2.0.0 Ready to start TLS"; a client that discards it (openssl
# s_client reads the 220 and whatever came with it) gets TLS with the
# fixture server certificate, and its commands over TLS are logged.
. "$(dirname "$0")/lib.sh"
need openssl socat

starttls_injector_start
DEFAULT_PORT=$INJECTOR_PORT
starttls_injector_start "250-PIPELINING injected"

test_expect_success 'a raw client sees the injected line right after the 220' '
	printf "EHLO client.example.test\r\nSTARTTLS\r\n" | tcp_chat_crlf $DEFAULT_PORT >raw &&
	# then the TLS alert of the server, which got no ClientHello
	head -n 6 raw >out &&
	cat >expect <<-\OUT &&
	220 injector.example.test ESMTP
	250-injector.example.test
	250-STARTTLS
	250 8BITMIME
	220 2.0.0 Ready to start TLS
	250 injected
	OUT
	test_cmp expect out
'

test_expect_success 'the line is configurable' '
	printf "EHLO x\r\nSTARTTLS\r\n" | tcp_chat_crlf $INJECTOR_PORT >raw &&
	sed -n 5,6p raw >out &&
	printf "220 2.0.0 Ready to start TLS\n250-PIPELINING injected\n" >expect &&
	test_cmp expect out
'

test_expect_success 's_client -starttls smtp: TLS with the server certificate, EHLO over TLS' '
	printf "EHLO after.example.test\r\nQUIT\r\n" | timeout 20 openssl s_client -quiet \
		-starttls smtp -name client.example.test -connect "127.0.0.1:$DEFAULT_PORT" -CAfile "$PKI/ca.pem" \
		-verify_return_error -verify_hostname mail.example.test >out 2>err &&
	test_grep -q "^250-injector.example.test" out &&
	! grep -q "STARTTLS" out &&
	test_grep -q "^221 2.0.0 Bye" out &&
	grep -E "^(plain|tls) 127.0.0.1:[0-9]+: " "$TEST_TMP/starttls-injector.log" |
		sed "s/ 127.0.0.1:[0-9]*:/:/" | tail -n 5 >log &&
	cat >expect <<-\OUT &&
	plain: EHLO client.example.test
	plain: STARTTLS
	tls: handshake done TLSv1.3
	tls: EHLO after.example.test
	tls: QUIT
	OUT
	test_cmp expect log
'

test_done
