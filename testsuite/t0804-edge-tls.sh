#!/bin/bash
# TLS at smtp-edge with the fixture PKI: STARTTLS inbound (what TLS proved
# goes into Received), inbound domain security for partner.test (accepted
# with the partner's certificate; refused without TLS, without a
# certificate, with a wrong name, with a revoked certificate), and
# outbound domain security to a private Postfix that only relays for
# verified client certificates (accepted with the right partner name;
# deferred 4.7.5 for a wrong name and for a revoked server certificate).
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink postfix

smtp_sink_start
postfix_start --cert partner --relay-ccert --sink
GOOD_PORT=$POSTFIX_PORT GOOD_LOG=$POSTFIX_LOG
postfix_start --cert revoked --sink
REVOKED_PORT=$POSTFIX_PORT

# swaks sends the leaf alone: the trust file holds the intermediate too.
edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test", "partner.test", "wrong.test", "revoked.test"],
  "tls": { "cert": "'"$PKI/server-full.pem"'", "ca": "'"$PKI/chain.pem"'" },
  "partners": { "partner.test": { "names": ["mx.partner.test"] },
                "strict.test": { "names": ["mx.strict.test"], "action": "reject" } },
  "routes": {
    "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" },
    "partner.test": { "host": "127.0.0.1:'"$GOOD_PORT"'", "tls": "domain-security",
                      "partner": "mx.partner.test" },
    "wrong.test": { "host": "127.0.0.1:'"$GOOD_PORT"'", "tls": "domain-security",
                    "partner": "mx.wrong.test" },
    "revoked.test": { "host": "127.0.0.1:'"$REVOKED_PORT"'", "tls": "domain-security",
                      "partner": "revoked.example.test" }
  }'
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log

# partner_send CERT-NAME [swaks args]: carol@partner.test over STARTTLS
# with the fixture certificate NAME (none: no certificate).
partner_send() {
	local cert=$1; shift
	if [ "$cert" = none ]; then
		swaks --server 127.0.0.1:$EDGE_PORT --tls --from carol@partner.test \
			--to alice@example.test "$@"
	else
		swaks --server 127.0.0.1:$EDGE_PORT --tls --tls-cert "$PKI/$cert-chain.pem" \
			--tls-key "$PKI/$cert.key" --from carol@partner.test --to alice@example.test "$@"
	fi
}

test_expect_success 'STARTTLS is offered and used; Received says how' '
	n=$(edge_sink_count) &&
	swaks --server 127.0.0.1:$EDGE_PORT --tls --from bob@example.test --to alice@example.test \
		--header "Subject: over tls" >out 2>&1 &&
	test_grep "<[-~]  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: over tls" "$SINK_DIR"/*) &&
	test_grep "(using TLSv1.[23] with cipher [A-Z0-9_-]* ([0-9]*/[0-9]* bits))" "$f" &&
	test_grep "(no client certificate requested or sent)" "$f" &&
	test_grep "with ESMTPS id" "$f"
'

test_expect_success 'commands pipelined behind STARTTLS are dropped' '
	printf "EHLO c.test\r\nSTARTTLS\r\nMAIL FROM:<a@b.test>\r\n" >in &&
	SMTP_RAW_HALFCLOSE=1 smtp_raw $EDGE_PORT in >out;
	test_grep "^220 2.0.0 Ready to start TLS" out &&
	! grep "^250 2.1.0" out &&
	test_grep "client pipelined after STARTTLS: dropped bytes=" "$LOG"
'

test_expect_success 'domain security in: the partner certificate is accepted and stated' '
	n=$(edge_sink_count) &&
	partner_send partner --header "Subject: from the partner" >out 2>&1 &&
	test_grep "<[-~]  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: from the partner" "$SINK_DIR"/*) &&
	test_grep "(domain security: client certificate verified, partner partner.test, name mx.partner.test)" "$f" &&
	test_grep "accept: partner verified partner=partner.test name=mx.partner.test layer=4 check=domain_security" "$LOG"
'

test_expect_success 'domain security in: refused without TLS (451 4.7.1)' '
	swaks --server 127.0.0.1:$EDGE_PORT --from carol@partner.test --to alice@example.test \
		--quit-after MAIL >out 2>&1;
	test_grep "\* 451 4.7.1 Domain security: partner partner.test must use TLS" out &&
	test_grep "defer: .*partner partner.test must use TLS.* layer=4 check=domain_security" "$LOG"
'

test_expect_success 'domain security in: refused without a client certificate' '
	partner_send none --quit-after MAIL >out 2>&1;
	test_grep "\* 451 4.7.1 Domain security: partner partner.test sent no client certificate" out
'

test_expect_success 'domain security in: refused with a certificate for another name' '
	partner_send client --quit-after MAIL >out 2>&1;
	test_grep "\* 451 4.7.1 Domain security: partner partner.test certificate does not name mx.partner.test" out
'

test_expect_success 'domain security in: refused with a revoked certificate' '
	partner_send revoked --quit-after MAIL >out 2>&1;
	test_grep "\* 451 4.7.1 Domain security: partner partner.test certificate" out &&
	grep -E "revoked|does not verify" out
'

test_expect_success 'domain security in: action reject gives 550 5.7.1' '
	swaks --server 127.0.0.1:$EDGE_PORT --from x@strict.test --to alice@example.test \
		--quit-after MAIL >out 2>&1;
	test_grep "\* 550 5.7.1 Domain security: partner strict.test must use TLS" out
'

test_expect_success 'domain security out: mutual TLS to the partner, verified, delivered' '
	n=$(edge_sink_count) &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to dan@partner.test \
		--header "Subject: to the partner" >out 2>&1 &&
	test_grep "<[-~]  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) 20 &&
	test_grep "next hop ready route=partner.test tls=domain-security .*verdict=Verified" "$LOG" &&
	POSTFIX_LOG=$GOOD_LOG postfix_log_wait "Trusted TLS connection established from .*127.0.0.1"
'

test_expect_success 'domain security out: a wrong partner name defers with 4.7.5' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to dan@wrong.test \
		--quit-after RCPT >out 2>&1;
	test_grep "\* 451 4.7.5 Next hop 127.0.0.1:$GOOD_PORT: " out &&
	test_grep "defer: next hop unavailable route=wrong.test layer=4 check=nexthop" "$LOG"
'

test_expect_success 'domain security out: a revoked server certificate defers with 4.7.5' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to dan@revoked.test \
		--quit-after RCPT >out 2>&1;
	test_grep "\* 451 4.7.5 Next hop 127.0.0.1:$REVOKED_PORT" out
'

test_done
