#!/bin/bash
# smtp-edge as a before-queue proxy to smtp-sink: a message relayed with
# our Received header, relay refused for foreign domains, the next hop's
# refusal of a recipient relayed as it is, PIPELINING, the SIZE limit,
# and recipients of two routes in one transaction (452 4.5.3).
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink

smtp_sink_start
refuse_port=$(free_ports 1)
bg_start sink-refuse smtp-sink -u root -f RCPT "127.0.0.1:$refuse_port" 16
wait_port "$refuse_port" || bail "smtp-sink -f RCPT does not listen"

edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test", "refuse.test", "other.test"],
  "message_size_limit": "4k",
  "routes": {
    "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" },
    "other.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "opportunistic" },
    "refuse.test": { "host": "127.0.0.1:'"$refuse_port"'", "tls": "none" }
  }'
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log

test_expect_success 'smtp-edge -n accepts the config' '
	smtp-edge -n -c "$TEST_TMP/edge.json"
'

test_expect_success 'a message is relayed to the next hop and acknowledged with its reply' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--helo client.test --header "Subject: relay one" --body "hello through the edge" >out &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 &&
	f=$(grep -l "relay one" "$SINK_DIR"/*) &&
	test_grep "^Received: from client.test (\[127.0.0.1\])" "$f" &&
	test_grep "by edge.example.test (postern smtp-edge) with ESMTP id" "$f" &&
	test_grep "for <alice@example.test>;" "$f" &&
	test_grep "^Authentication-Results: edge.example.test; none" "$f" &&
	test_grep "^X-Mail-Args: <bob@sender.test>" "$f" &&
	test_grep "^X-Rcpt-Args: <alice@example.test>" "$f" &&
	test_grep "hello through the edge" "$f" &&
	test_grep "accept: message passed on .*layer=4 check=nexthop client=127.0.0.1" "$LOG"
'

test_expect_success 'a domain without relay permission is refused (554 5.7.1), logged layer 4' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to eve@elsewhere.test \
		--quit-after RCPT >out 2>&1;
	test_grep "<\*\* 554 5.7.1 <eve@elsewhere.test>: Relay access denied" out &&
	test_grep "reject: relay access denied to=eve@elsewhere.test layer=4 check=relay" "$LOG"
'

test_expect_success 'the next hop refusing a recipient: its reply goes to the client' '
	n=$(edge_sink_count) &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to carol@refuse.test \
		--quit-after RCPT >out 2>&1;
	test_grep "<\*\* 5[0-9][0-9] " out &&
	test_grep "reject: next hop refused recipient to=carol@refuse.test layer=4 check=nexthop" "$LOG" &&
	test "$(edge_sink_count)" = "$n"
'

test_expect_success 'EHLO announces the extensions' '
	swaks --server 127.0.0.1:$EDGE_PORT --quit-after EHLO >out 2>&1 &&
	for k in PIPELINING "SIZE 4096" ENHANCEDSTATUSCODES 8BITMIME DSN SMTPUTF8 CHUNKING; do
		test_grep "<-  250[- ]$k" out || exit 1
	done &&
	! grep STARTTLS out
'

test_expect_success 'PIPELINING: the whole transaction in one write' '
	n=$(edge_sink_count) &&
	swaks --pipeline --server 127.0.0.1:$EDGE_PORT --from bob@sender.test \
		--to alice@example.test --header "Subject: pipelined" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	grep -l "Subject: pipelined" "$SINK_DIR"/* >/dev/null
'

test_expect_success 'SIZE: a declared size over the limit is refused at MAIL (552 5.3.4)' '
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test> SIZE=999999\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^552 5.3.4 Message size exceeds fixed limit" out &&
	test_grep "reject: declared size over the limit size=999999 layer=2 check=size" "$LOG"
'

test_expect_success 'SIZE: a message over the limit is refused at the end, nothing delivered' '
	n=$(edge_sink_count) &&
	head -c 6000 /dev/zero | tr "\0" "x" | fold -w 70 >big &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--body @big >out 2>&1;
	test_grep "<\*\* 552 5.3.4 Message size exceeds fixed limit" out &&
	sleep 0.5 && test "$(edge_sink_count)" = "$n"
'

test_expect_success 'recipients of two routes: the second gets 452 4.5.3, the first is delivered' '
	n=$(edge_sink_count) &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<x@other.test>\r\nDATA\r\nSubject: two routes\r\n\r\nbody\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^452 4.5.3 <x@other.test>: Recipient for another route" out &&
	test_grep "^250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: two routes" "$SINK_DIR"/*) &&
	! grep "X-Rcpt-Args: <x@other.test>" "$f"
'

test_expect_success 'VRFY is answered 252 and never says who exists' '
	printf "EHLO c.test\r\nVRFY alice\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^252 2.5.2 Cannot VRFY user" out
'

test_expect_success 'command syntax: bad paths, unknown verbs, too-long lines' '
	{ printf "EHLO c.test\r\nMAIL FROM:bob@\r\nFOO\r\nMAIL FROM:<a@b.test> BOGUS=1\r\n"
	  printf "NOOP %02000d\r\nQUIT\r\n" 0; } >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^501 5.1.7 Bad sender address syntax" out &&
	test_grep "^500 5.5.2 Error: command not recognized" out &&
	test_grep "^555 5.5.4 Unsupported option: BOGUS" out &&
	test_grep "^500 5.5.2 Error: line too long" out &&
	test_grep "^221 2.0.0 Bye" out
'

test_expect_success 'the error cap closes the session with 421' '
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf "FOO\r\n"; done >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^421 4.7.0 edge.example.test Too many errors" out &&
	test "$(grep -c "^500 " out)" = 10
'

test_done
