#!/bin/bash
# SMTP smuggling (RFC 5321 2.3.8): end-of-data look-alikes with bare CR or
# LF, sent byte for byte by a raw client, never end a message at smtp-edge
# nor, once passed on, at the next hop. Refused by default (550 5.5.2);
# with bare_newline "normalise", one message whose body holds the
# would-be second one. Also BDAT (CHUNKING) and dot-stuffing.
. "$(dirname "$0")/lib.sh"
need smtp-sink python3

smtp_sink_start
routes='"relay_domains": ["example.test"],
  "routes": { "*": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
edge_conf "$TEST_TMP/reject.json" "$routes"
edge_start edge-reject "$TEST_TMP/reject.json"
REJECT_PORT=$EDGE_PORT
EDGE_PORT=
edge_conf "$TEST_TMP/normalise.json" "$routes, \"bare_newline\": \"normalise\""
edge_start edge-norm "$TEST_TMP/normalise.json"
NORM_PORT=$EDGE_PORT

# smuggle FILE FAKE_END: a transaction whose body holds FAKE_END (printf
# escapes) then a whole second transaction, then the real end.
smuggle() {
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n" >"$1"
	printf "Subject: first\r\n\r\nbody$2" >>"$1"
	printf "MAIL FROM:<evil@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n" >>"$1"
	printf "Subject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n" >>"$1"
}

i=0
for v in '\n.\n' '\r.\n' '\n.\r\n' '\r\n.\r' '\r\n.\n' '\r.\r' '\n.\r' '\r.\r\n' \
	'\n\r.\r\n' '\r\n.\n\r\n' '\r\n.\r\r\n'; do
	i=$((i + 1))
	test_expect_success "smuggling $v: refused with 550 5.5.2, nothing delivered" '
		n=$(edge_sink_count) &&
		smuggle in "'"$v"'" &&
		smtp_raw $REJECT_PORT in >out &&
		test_grep "^550 5.5.2 Message refused: bare CR or LF" out &&
		test "$(grep -c "^250 2.0.0" out)" = 0 &&
		test_grep "^221 " out &&
		sleep 0.3 && test "$(edge_sink_count)" = "$n"
	'
	test_expect_success "smuggling $v normalised: one message, the second inside it" '
		n=$(edge_sink_count) &&
		smuggle in "'"$v"'" &&
		smtp_raw $NORM_PORT in >out &&
		test "$(grep -c "^250 2.0.0 Ok" out)" = 1 &&
		smtp_sink_wait $((n + 1)) && sleep 0.3 &&
		test "$(edge_sink_count)" = $((n + 1)) &&
		f=$(ls -t "$SINK_DIR"/* | head -n 1) &&
		test_grep "^Subject: smuggled" "$f" &&
		test_grep "^X-Mail-Args: <bob@sender.test>" "$f" &&
		! grep -l "X-Mail-Args: <evil@sender.test>" "$SINK_DIR"/*
	'
done

test_expect_success 'the refusals are logged with their layer and reason' '
	test_grep "reject: bare CR or LF in the data layer=2 check=data client=127.0.0.1 from=bob@sender.test" \
		"$TEST_TMP/edge-reject.log"
'

test_expect_success 'dot-stuffed lines arrive intact, stuffed again for the next hop' '
	n=$(edge_sink_count) &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: dots\r\n\r\n..leading dot\r\n...\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: dots" "$SINK_DIR"/*) &&
	test_grep "^\.leading dot" "$f" && test_grep "^\.\.$" "$f"
'

test_expect_success 'BDAT: chunks (one with CR LF split across them) make one message' '
	n=$(edge_sink_count) &&
	body1="Subject: chunked\r\n\r\nfirst part\r" &&
	body2="\n.second part, a dot at the start\r\n" &&
	{ printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\n"
	  printf "BDAT %d\r\n$body1" $(printf "$body1" | wc -c)
	  printf "BDAT %d LAST\r\n$body2" $(printf "$body2" | wc -c)
	  printf "QUIT\r\n"; } >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^250 2.0.0 [0-9]* octets received" out &&
	test_grep "^250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: chunked" "$SINK_DIR"/*) &&
	test_grep "^first part" "$f" && test_grep "^\.second part" "$f"
'

test_expect_success 'BDAT with a bare LF is refused like DATA' '
	n=$(edge_sink_count) &&
	body="Subject: chunky\r\n\r\nx\n.\nMAIL FROM:<evil@x>\r\n" &&
	{ printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\n"
	  printf "BDAT %d LAST\r\n$body" $(printf "$body" | wc -c)
	  printf "QUIT\r\n"; } >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^550 5.5.2" out &&
	sleep 0.3 && test "$(edge_sink_count)" = "$n"
'

test_expect_success 'a bare LF inside a command is never acted on' '
	printf "EHLO c.test\r\nNOOP\nMAIL FROM:<a@b.test>\rRCPT TO:<c@d.test>\r\nQUIT\r\n" >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^500 5.5.2 Syntax error: bare CR" out &&
	! grep "^250 2.1.5" out
'

test_done
