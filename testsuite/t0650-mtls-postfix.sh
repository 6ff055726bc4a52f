#!/bin/bash
# mtls-probe against a private Postfix smtpd with STARTTLS that asks for a
# client certificate: the transcript before and after TLS, the chain, the
# acceptable CA names, our certificate accepted, the posttls-finger style
# verdict line, --json, the key log and -i through a pipe.
. "$(dirname "$0")/lib.sh"
need postfix python3

postfix_start
P=127.0.0.1:$POSTFIX_PORT
probe() { mtls-probe --ca "$PKI/ca.pem" --name mail.example.test --ehlo probe.example.test "$@"; }

test_expect_success 'EHLO before and after STARTTLS, then QUIT' '
	probe $P >out &&
	grep -E "^(S|C): " out >dialogue &&
	test_grep -q "^S: 220 mail.example.test ESMTP Postfix$" dialogue &&
	sed -n "2p;/^C: STARTTLS/,/^S: 220 /p" dialogue >head &&
	cat >expect <<-\OUT &&
	C: EHLO probe.example.test
	C: STARTTLS
	S: 220 2.0.0 Ready to start TLS
	OUT
	test_cmp expect head &&
	test "$(grep -c "^C: EHLO probe.example.test" dialogue)" = 2 &&
	test_grep -q "^S: 250-STARTTLS" dialogue &&
	test "$(grep -c "^S: 250-STARTTLS" dialogue)" = 1 &&
	tail -n 2 dialogue >end &&
	printf "C: QUIT\nS: 221 2.0.0 Bye\n" >expect &&
	test_cmp expect end
'

test_expect_success 'the TLS section: protocol, group, chain, checks' '
	probe $P >out &&
	test_grep -q "^TLS: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)$" out &&
	test_grep -q "^TLS: key exchange X25519, server signature ECDSA (prime256v1) with SHA256$" out &&
	test_grep -q "^TLS: peer certificate chain (2):$" out &&
	test_grep -q "^TLS:  0 subject: CN=mail.example.test$" out &&
	test_grep -q "^TLS:    issuer: CN=Postern Test Intermediate CA,O=Postern Test$" out &&
	test_grep -q "^TLS:  1 subject: CN=Postern Test Intermediate CA,O=Postern Test$" out &&
	fp=$(openssl x509 -in "$PKI/server.pem" -noout -fingerprint -sha256 | sed "s/.*=//") &&
	test_grep -q "^TLS:    SHA-256: $fp$" out &&
	serial=$(openssl x509 -in "$PKI/server.pem" -noout -serial | sed "s/.*=//") &&
	test_grep -q "^TLS:    serial: $serial$" out &&
	test_grep -q "^TLS:    names: DNS:mail.example.test, DNS:autodiscover.example.test, DNS:localhost, IP:127.0.0.1$" out &&
	test_grep -q "^TLS: chain verification: ok$" out &&
	test_grep -q "^TLS: name mail.example.test: matched DNS:mail.example.test$" out &&
	test_grep -q "^TLS: verdict: Verified$" out
'

test_expect_success 'the acceptable CA names Postfix asks with; none sent without --cert' '
	probe $P >out &&
	sed -n "/asked for a client certificate/,/client certificate:/p" out >ca &&
	cat >expect <<-\OUT &&
	TLS: the server asked for a client certificate; acceptable CA names (1):
	TLS:   CN=Postern Test Root CA,O=Postern Test
	TLS: client certificate: none sent (no --cert given)
	OUT
	test_cmp expect ca
'

test_expect_success 'our client certificate is sent and accepted; Postfix logs it as trusted' '
	probe --cert "$PKI/client-chain.pem" --key "$PKI/client.key" $P >out &&
	test_grep -q "^TLS: client certificate: sent, accepted$" out &&
	postfix_log_wait "Trusted TLS connection established from localhost\[127.0.0.1\].*client-signature ECDSA"
'

test_expect_success 'the verdict line is the last line, as posttls-finger writes it' '
	probe $P >out &&
	tail -n 1 out >last &&
	echo "Verified TLS connection established to 127.0.0.1[127.0.0.1]:$POSTFIX_PORT: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256" >expect &&
	test_cmp expect last &&
	postfix_finger -c -l verify -F "$PKI/ca.pem" "[127.0.0.1]:$POSTFIX_PORT" mail.example.test >pf 2>&1 &&
	grep "TLS connection established" pf | sed "s/^posttls-finger: //" >pfline &&
	test_cmp pfline last
'

test_expect_success 'an unknown name: Trusted, exit 1' '
	{ probe --name other.example.test $P >out; test $? = 1; } &&
	test_grep -q "^TLS: name other.example.test: no match: no SAN matches other.example.test$" out &&
	test_grep -q "^Trusted TLS connection established to" out
'

test_expect_success '--json: one object with the transcript and the report' '
	probe --json --cert "$PKI/client-full.pem" $P >out.json &&
	python3 - out.json <<-\PY
	import json, sys
	o = json.load(open(sys.argv[1]))
	t = o["tls"]
	assert o["exit"] == 0 and o["verdict"] == "Verified", o["verdict"]
	assert o["proto"] == "smtp" and o["address"] == "127.0.0.1"
	assert o["starttls_offered"] is True
	assert o["transcript"][0].startswith("S: 220 mail.example.test"), o["transcript"][0]
	assert "C: STARTTLS" in o["transcript"]
	assert t["version"] == "TLSv1.3" and t["group"] == "X25519"
	assert t["chain"][0]["subject"] == "CN=mail.example.test"
	assert len(t["chain"]) == 2 and ":" in t["chain"][0]["sha1"]
	assert t["verification"]["ok"] is True
	assert t["name"]["matched"] == "mail.example.test"
	assert t["name"]["how"] == "DNS:mail.example.test"
	cc = t["client_certificate"]
	assert cc["asked"] and cc["sent"] and cc["accepted"] == "yes", cc
	assert cc["ca_names"] == ["CN=Postern Test Root CA,O=Postern Test"], cc
	assert o["verdict_line"].startswith("Verified TLS connection established")
	assert o["failures"] == []
	PY
'

test_expect_success '--keylog writes NSS key log lines that match the session' '
	rm -f keys &&
	probe --keylog keys $P >out &&
	test_grep -q "^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]\{64\} [0-9a-f]\{64,\}$" keys &&
	test_grep -q "^SERVER_TRAFFIC_SECRET_0 " keys &&
	test_grep -q "^EXPORTER_SECRET " keys &&
	test "$(cut -d" " -f2 keys | sort -u | wc -l)" = 1 &&
	test "$(stat -c %a keys)" = 600
'

test_expect_success '-i: commands from a pipe go out with CRLF over TLS' '
	printf "NOOP\nMAIL FROM:<a@example.test>\nQUIT\n" | probe -i $P >out &&
	sed -n "/^TLS: verdict/,\$p" out | grep -E "^(C|S): " >session &&
	cat >expect <<-\OUT &&
	C: EHLO probe.example.test
	S: 250-mail.example.test
	S: 250-PIPELINING
	S: 250-SIZE 10240000
	S: 250-VRFY
	S: 250-ETRN
	S: 250-ENHANCEDSTATUSCODES
	S: 250-8BITMIME
	S: 250-DSN
	S: 250-SMTPUTF8
	S: 250 CHUNKING
	C: NOOP
	S: 250 2.0.0 Ok
	C: MAIL FROM:<a@example.test>
	S: 250 2.1.0 Ok
	C: QUIT
	S: 221 2.0.0 Bye
	OUT
	test_cmp expect session &&
	test_grep -q "^Verified TLS connection established" out
'

postfix_start --no-tls
test_expect_success 'no STARTTLS offered: said, exit 1' '
	{ mtls-probe --ca "$PKI/ca.pem" --name mail.example.test 127.0.0.1:$POSTFIX_PORT >out; test $? = 1; } &&
	test_grep -q "^TLS: the server does not offer STARTTLS$" out &&
	test_grep -q "^No TLS connection established to 127.0.0.1\[127.0.0.1\]:$POSTFIX_PORT: STARTTLS not offered$" out
'

test_done
