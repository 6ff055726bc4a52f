#!/bin/bash
# The Postfix fixture: a private smtpd with STARTTLS that posttls-finger
# verifies as mail.example.test, that sends the fixture CA as acceptable
# client CA name, logs each TLS session, and relays to smtp-sink.
. "$(dirname "$0")/lib.sh"
need posttls-finger openssl socat

smtp_sink_start
postfix_start --sink

test_expect_success 'the instance is private: its own config directory and queue' '
	test "$(postconf -c "$POSTFIX_DIR" -h queue_directory)" = "$POSTFIX_DIR/queue" &&
	test_grep -q "^127.0.0.1:$POSTFIX_PORT inet" "$POSTFIX_DIR/master.cf" &&
	test_grep -q "daemon started -- version .*, configuration $POSTFIX_DIR\$" "$POSTFIX_LOG"
'

test_expect_success 'posttls-finger: verified TLS connection to mail.example.test' '
	postfix_finger -c -l verify -F "$PKI/ca.pem" "[127.0.0.1]:$POSTFIX_PORT" \
		mail.example.test >finger 2>&1 &&
	test_grep -q "matched peername: mail.example.test" finger &&
	test_grep -q "Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$POSTFIX_PORT: TLSv1.3" finger &&
	postfix_log_wait "smtpd.*Anonymous TLS connection established from localhost\[127.0.0.1\]"
'

test_expect_success 'posttls-finger: a wrong name is not verified' '
	postfix_finger -c -l verify -F "$PKI/ca.pem" "[127.0.0.1]:$POSTFIX_PORT" \
		wrong.example.test >finger 2>&1;
	test_grep -q "hostname mismatch" finger &&
	test_grep -q "Untrusted TLS connection established" finger
'

test_expect_success 's_client: the fixture CA is the acceptable client CA name' '
	printf "QUIT\r\n" | timeout 20 openssl s_client -starttls smtp \
		-connect "127.0.0.1:$POSTFIX_PORT" -CAfile "$PKI/ca.pem" >sclient 2>&1 &&
	sed -n "/^Acceptable client certificate CA names/{n;p;}" sclient >names &&
	echo "O = Postern Test, CN = Postern Test Root CA" >expect &&
	test_cmp expect names &&
	test_grep -q "Verify return code: 0 (ok)" sclient
'

test_expect_success 'a client certificate with its chain is trusted, logged as such' '
	printf "QUIT\r\n" | timeout 20 openssl s_client -quiet -starttls smtp \
		-connect "127.0.0.1:$POSTFIX_PORT" -CAfile "$PKI/ca.pem" \
		-cert "$PKI/client.pem" -key "$PKI/client.key" -cert_chain "$PKI/int.pem" \
		>sclient 2>&1 &&
	postfix_log_wait "smtpd.*Trusted TLS connection established from localhost\[127.0.0.1\].*client-signature ECDSA"
'

test_expect_success 'mail over TLS is relayed to smtp-sink, which saves it' '
	{
		printf "EHLO client.example.test\r\nMAIL FROM:<a@example.test>\r\n"
		printf "RCPT TO:<b@partner.test>\r\nDATA\r\n"
		printf "Subject: fixture\r\n\r\nhello sink\r\n.\r\nQUIT\r\n"
	} | timeout 20 openssl s_client -quiet -starttls smtp \
		-connect "127.0.0.1:$POSTFIX_PORT" -CAfile "$PKI/ca.pem" >chat 2>&1 &&
	test_grep -q "^250 2.0.0 Ok: queued as" chat &&
	smtp_sink_wait 1 &&
	msg=$(find "$SINK_DIR" -type f) &&
	test_grep -q "^X-Rcpt-Args: <b@partner.test>" $msg &&
	test_grep -q "^hello sink" $msg &&
	test_grep -q "^Received: from client.example.test (localhost \[127.0.0.1\])" $msg &&
	test_grep -q "(using TLSv1.3 with cipher" $msg &&
	postfix_log_wait "relay=127.0.0.1\[127.0.0.1\]:$SINK_PORT.*status=sent"
'

test_expect_success 'postfix_stop ends the master and its daemons' '
	pid=$(tr -d " " <"$POSTFIX_DIR/queue/pid/master.pid") &&
	kill -0 $pid &&
	postfix_stop &&
	! kill -0 $pid 2>/dev/null &&
	! pgrep -f "master -c $POSTFIX_DIR"
'

test_done
