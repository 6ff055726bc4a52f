#!/bin/bash
# The Postfix fixture's client-certificate options: --require-ccert refuses
# a client without a verified certificate; --relay-ccert lets only such a
# client relay.
. "$(dirname "$0")/lib.sh"
need openssl

postfix_start --require-ccert
REQ_PORT=$POSTFIX_PORT REQ_LOG=$POSTFIX_LOG
postfix_start --relay-ccert
RELAY_PORT=$POSTFIX_PORT RELAY_LOG=$POSTFIX_LOG

# chat PORT [s_client args]: an SMTP transaction over STARTTLS.
chat() {
	local port=$1; shift
	{
		printf "EHLO client.example.test\r\nMAIL FROM:<a@example.test>\r\n"
		printf "RCPT TO:<b@partner.test>\r\nQUIT\r\n"
	} | timeout 20 openssl s_client -quiet -starttls smtp \
		-connect "127.0.0.1:$port" -CAfile "$PKI/ca.pem" "$@" 2>&1
}
CCERT="-cert $PKI/client.pem -key $PKI/client.key -cert_chain $PKI/int.pem"

test_expect_success '--require-ccert: no plaintext mail' '
	printf "EHLO x\r\nMAIL FROM:<a@example.test>\r\nQUIT\r\n" | tcp_chat_crlf $REQ_PORT >out &&
	test_grep -q "^530 5.7.0 Must issue a STARTTLS command first" out
'

test_expect_success '--require-ccert: refused without a client certificate' '
	chat $REQ_PORT >out;
	test_grep -q "^421 4.7.1 mail.example.test Error: No client certificate presented" out
'

test_expect_success '--require-ccert: accepted with the fixture client certificate' '
	chat $REQ_PORT $CCERT >out &&
	test_grep -q "^250 2.1.5 Ok" out
'

test_expect_success '--require-ccert: an untrusted client certificate is refused' '
	chat $REQ_PORT -cert "$PKI/untrusted.pem" -key "$PKI/untrusted.key" >out;
	test_grep -q "^421 4.7.1 mail.example.test Error: Client certificate not trusted" out &&
	! grep -q "^250 2.1.5 Ok" out
'

test_expect_success '--relay-ccert: no relaying without a client certificate' '
	chat $RELAY_PORT >out &&
	test_grep -q "^554 5.7.1 <b@partner.test>: Relay access denied" out
'

test_expect_success '--relay-ccert: relaying with the fixture client certificate' '
	chat $RELAY_PORT $CCERT >out &&
	test_grep -q "^250 2.1.5 Ok" out &&
	POSTFIX_LOG=$RELAY_LOG postfix_log_wait "Trusted TLS connection established"
'

test_done
