#!/bin/bash
# BDAT to the next hop (RFC 3030): a next hop that offers CHUNKING (a
# private Postfix smtpd, relaying to smtp-sink) gets the data in BDAT
# chunks, unstuffed, instead of DATA and its 354. The end-of-data
# look-alikes of t0801 still never make a second message there (refused,
# or normalised into one message), a chunk the next hop refuses is the
# client's answer, and "nexthop_chunking": false keeps DATA. Sessions
# fork per connection ("workers": 0), so each closes its next hop with
# QUIT and Postfix logs the commands it got (bdat=N, data=N).
. "$(dirname "$0")/lib.sh"
need smtp-sink python3

postfix_start --no-tls --sink --set "message_size_limit = 150000"
routes='"relay_domains": ["example.test"], "workers": 0,
  "routes": { "*": { "host": "127.0.0.1:'"$POSTFIX_PORT"'", "tls": "none" } }'
edge_conf "$TEST_TMP/reject.json" "$routes"
edge_start edge-reject "$TEST_TMP/reject.json"
REJECT_PORT=$EDGE_PORT
EDGE_PORT=
edge_conf "$TEST_TMP/normalise.json" "$routes, \"bare_newline\": \"normalise\""
edge_start edge-norm "$TEST_TMP/normalise.json"
NORM_PORT=$EDGE_PORT
EDGE_PORT=
edge_conf "$TEST_TMP/data.json" "$routes, \"nexthop_chunking\": false"
edge_start edge-data "$TEST_TMP/data.json"
DATA_PORT=$EDGE_PORT
EDGE_PORT=
edge_conf "$TEST_TMP/content.json" "$routes"', "content": { "enabled": true,
  "spool_directory": "'"$TEST_TMP"'", "rules_file": "'"$SRCDIR/share/examples/smtp-edge-rules.json"'" }'
edge_start edge-content "$TEST_TMP/content.json"
CONTENT_PORT=$EDGE_PORT

# pf_count PATTERN: lines of Postfix's log matching the extended regex.
pf_count() { grep -Ec -- "$1" "$POSTFIX_LOG" || :; }
# pf_wait PATTERN N: waits until N lines of Postfix's log match.
pf_wait() {
	local tries=200
	while [ "$(pf_count "$1")" -lt "$2" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	[ "$(pf_count "$1")" -ge "$2" ] || { echo "fewer than $2 lines matching '$1'" >&2; return 1; }
}
QUEUED='postfix/cleanup.*message-id='
BYE='postfix/smtpd.*disconnect from .* quit=1'

test_expect_success 'a message goes to a CHUNKING next hop in one BDAT LAST, no DATA' '
	n=$(edge_sink_count) q=$(pf_count "$QUEUED") b=$(pf_count "$BYE") &&
	swaks --server 127.0.0.1:$REJECT_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: chunked hop" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	pf_wait "$BYE" $((b + 1)) &&
	grep -E "$BYE" "$POSTFIX_LOG" | tail -n 1 >bye &&
	test_grep " mail=1 rcpt=1 bdat=1 quit=1 " bye &&
	! grep " data=" bye &&
	test "$(pf_count "$QUEUED")" = $((q + 1)) &&
	f=$(grep -l "Subject: chunked hop" "$SINK_DIR"/*) &&
	test_grep "^X-Mail-Args: <bob@sender.test>" "$f" &&
	test_grep "by edge.example.test (postern smtp-edge) with ESMTP id" "$f"
'

test_expect_success 'dot-stuffed lines arrive intact, not stuffed for BDAT' '
	n=$(edge_sink_count) &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: bdat dots\r\n\r\n..leading dot\r\n...\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: bdat dots" "$SINK_DIR"/*) &&
	test_grep -x "\.leading dot" "$f" && test_grep -x "\.\." "$f"
'

test_expect_success 'a large message goes in several chunks and arrives whole' '
	n=$(edge_sink_count) b=$(pf_count "$BYE") &&
	awk "BEGIN { printf \"Subject: bdat big\\r\\n\\r\\n\"
		for (i = 1; i <= 3000; i++) printf \"line %05d of the big message\\r\\n\", i }" >big.txt &&
	swaks --server 127.0.0.1:$REJECT_PORT --from bob@sender.test --to alice@example.test \
		--data @big.txt >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	pf_wait "$BYE" $((b + 1)) &&
	grep -E "$BYE" "$POSTFIX_LOG" | tail -n 1 >bye &&
	chunks=$(sed -n "s/.* bdat=\([0-9]*\) .*/\1/p" bye) &&
	test "$chunks" -ge 2 &&
	f=$(grep -l "Subject: bdat big" "$SINK_DIR"/*) &&
	test "$(grep -c "^line [0-9]* of the big message" "$f")" = 3000 &&
	test_grep "^line 03000 of the big message" "$f"
'

test_expect_success 'a chunk the next hop refuses is the answer; the session goes on' '
	n=$(edge_sink_count) &&
	awk "BEGIN { printf \"Subject: bdat too big\\r\\n\\r\\n\"
		for (i = 1; i <= 8000; i++) printf \"line %05d of the message too big\\r\\n\", i }" >huge.txt &&
	{ printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n"
	  cat huge.txt; printf ".\r\n"
	  printf "MAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: after the refusal\r\n\r\nhi\r\n.\r\nQUIT\r\n"; } >in &&
	smtp_raw $REJECT_PORT in >out &&
	test_grep "^552 5.3.4 " out &&
	test "$(grep -c "^250 2.0.0 Ok" out)" = 1 &&
	smtp_sink_wait $((n + 1)) && sleep 0.5 &&
	test "$(edge_sink_count)" = $((n + 1)) &&
	grep -l "Subject: after the refusal" "$SINK_DIR"/* &&
	! grep -l "Subject: bdat too big" "$SINK_DIR"/* &&
	test_grep "reject: next hop refused the message" "$TEST_TMP/edge-reject.log"
'

test_expect_success 'nexthop_chunking false: DATA to the same next hop' '
	n=$(edge_sink_count) b=$(pf_count "$BYE") &&
	swaks --server 127.0.0.1:$DATA_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: data hop" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	pf_wait "$BYE" $((b + 1)) &&
	grep -E "$BYE" "$POSTFIX_LOG" | tail -n 1 >bye &&
	test_grep " mail=1 rcpt=1 data=1 quit=1 " bye &&
	! grep " bdat=" bye
'

test_expect_success 'content mode: the message as the rules made it, in BDAT' '
	n=$(edge_sink_count) b=$(pf_count "$BYE") &&
	swaks --server 127.0.0.1:$CONTENT_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: content hop" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	pf_wait "$BYE" $((b + 1)) &&
	grep -E "$BYE" "$POSTFIX_LOG" | tail -n 1 >bye &&
	test_grep " mail=1 rcpt=1 bdat=1 quit=1 " bye &&
	f=$(grep -l "content hop" "$SINK_DIR"/*) &&
	test_grep "^Subject: \[EXTERNAL\] content hop" "$f" &&
	test_grep "^X-External-Sender: yes" "$f"
'

# smuggle FILE FAKE_END: a transaction whose body holds FAKE_END (printf
# escapes) then a whole second transaction, then the real end.
smuggle() {
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n" >"$1"
	printf "Subject: first\r\n\r\nbody$2" >>"$1"
	printf "MAIL FROM:<evil@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n" >>"$1"
	printf "Subject: smuggled\r\n\r\nevil\r\n.\r\nQUIT\r\n" >>"$1"
}

for v in '\n.\n' '\r.\n' '\n.\r\n' '\r\n.\r' '\r\n.\n' '\r.\r' '\n.\r' '\r.\r\n' \
	'\n\r.\r\n' '\r\n.\n\r\n' '\r\n.\r\r\n'; do
	test_expect_success "BDAT hop, smuggling $v: refused with 550 5.5.2, nothing queued" '
		n=$(edge_sink_count) q=$(pf_count "$QUEUED") &&
		smuggle in "'"$v"'" &&
		smtp_raw $REJECT_PORT in >out &&
		test_grep "^550 5.5.2 Message refused: bare CR or LF" out &&
		test "$(grep -c "^250 2.0.0" out)" = 0 &&
		sleep 0.5 && test "$(edge_sink_count)" = "$n" &&
		test "$(pf_count "$QUEUED")" = "$q"
	'
	test_expect_success "BDAT hop, smuggling $v normalised: one message, the second inside it" '
		n=$(edge_sink_count) q=$(pf_count "$QUEUED") &&
		smuggle in "'"$v"'" &&
		smtp_raw $NORM_PORT in >out &&
		test "$(grep -c "^250 2.0.0 Ok" out)" = 1 &&
		smtp_sink_wait $((n + 1)) && sleep 0.5 &&
		test "$(edge_sink_count)" = $((n + 1)) &&
		test "$(pf_count "$QUEUED")" = $((q + 1)) &&
		f=$(ls -t "$SINK_DIR"/* | head -n 1) &&
		test_grep "^Subject: smuggled" "$f" &&
		test_grep "^X-Mail-Args: <bob@sender.test>" "$f" &&
		! grep -l "X-Mail-Args: <evil@sender.test>" "$SINK_DIR"/*
	'
done

test_expect_success 'every session with the next hop used BDAT but the one told not to' '
	test "$(grep -E "$BYE" "$POSTFIX_LOG" | grep -c " data=")" = 1
'

test_done
