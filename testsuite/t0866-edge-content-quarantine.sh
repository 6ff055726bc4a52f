#!/bin/bash
# smtp-edge's quarantine: spam over the quarantine threshold is written
# durably to a Maildir (an NDR-style report holding the original) before
# the client gets 250; `smtp-edge quarantine list [--json]`, `show`,
# `release` (the sink gets it with the original envelope) and `delete`;
# a quarantine that cannot be written gives 451 4.3.0, not a loss.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/spam/setup.sh"
need swaks smtp-sink jq

scl_setup || bail "cannot train the test model"
T=$TEST_TMP Q=$TEST_TMP/quarantine
smtp_sink_start
edge_conf "$T/edge.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "quarantine": { "directory": "'"$Q"'" },
    "scl": { "enabled": true, "model": "'"$SCL_MODEL"'", "reject_enabled": false,
      "quarantine_enabled": true, "quarantine_threshold": 6 } }'
edge_start edge "$T/edge.json"
LOG=$T/edge.log
SPAM=$(scl_one spam)

spam() {
	sed "s/^Subject: .*/Subject: $1/" "$SPAM" >"$T/$1.eml"
	swaks --server 127.0.0.1:$EDGE_PORT --helo client.test --from win@lottery.invalid \
		--to alice@example.test,carol@example.test --data "@$T/$1.eml"
}
qid() { grep -h "^X-Postern-Quarantine-Id: " "$Q"/new/* | sed -n "${1:-1}p" | cut -d" " -f2 | tr -d "\r"; }

test_expect_success 'spam over the threshold: 250, held in the quarantine, not passed on' '
	spam held-one >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok: held for review" out &&
	test "$(ls "$Q/new" | wc -l)" = 1 &&
	test_grep -E "quarantine: quarantined id=$(qid) reason=\"spam confidence level [6-9]\" layer=3 check=scl" "$LOG" &&
	test "$(edge_sink_count)" = 0
'

test_expect_success 'the item is an NDR-style report holding the original' '
	f=$(ls "$Q"/new/*) &&
	test_grep "^Content-Type: multipart/report; report-type=delivery-status;" "$f" &&
	test_grep "^Content-Type: message/delivery-status" "$f" &&
	test_grep "^Final-Recipient: rfc822; carol@example.test" "$f" &&
	test_grep "^Content-Type: message/rfc822" "$f" &&
	test_grep "^X-Postern-Envelope-From: <win@lottery.invalid>" "$f" &&
	test_grep "^Subject: held-one" "$f"
'

test_expect_success 'quarantine list: id, envelope, reason, subject' '
	smtp-edge -c "$T/edge.json" quarantine list >out &&
	test_grep "^$(qid)  [0-9-]* [0-9:]*  <win@lottery.invalid> -> <alice@example.test> <carol@example.test>" out &&
	test_grep -E "reason: spam confidence level [6-9]$" out &&
	test_grep "subject: held-one" out
'

test_expect_success 'quarantine list --json' '
	smtp-edge -c "$T/edge.json" --json quarantine list >out.json &&
	smtp-edge -c "$T/edge.json" quarantine list --json >out2.json &&
	test_cmp out.json out2.json &&
	test "$(jq -r ".[0].id" out.json)" = "$(qid)" &&
	test "$(jq -r ".[0].recipients[1]" out.json)" = carol@example.test &&
	jq -r ".[0].reason" out.json | test_grep -Eq "^spam confidence level [6-9]$"
'

test_expect_success 'quarantine show: the original message' '
	smtp-edge -c "$T/edge.json" quarantine show "$(qid)" >out &&
	test_grep "^Subject: held-one" out &&
	test_grep -E "^X-Postern-SCL: [6-9]" out &&
	test_grep "^Received: from client.test" out
'

test_expect_success 'quarantine release: the sink gets it with the original envelope, the item goes' '
	id=$(qid) &&
	smtp-edge -c "$T/edge.json" quarantine release "$id" >out 2>err &&
	test_grep "released $id to 2 recipients" out &&
	smtp_sink_wait 1 && f=$(ls "$SINK_DIR"/*) &&
	test_grep "^X-Mail-Args: <win@lottery.invalid>" "$f" &&
	test_grep "^X-Rcpt-Args: <alice@example.test>" "$f" &&
	test_grep "^X-Rcpt-Args: <carol@example.test>" "$f" &&
	test_grep "^Subject: held-one" "$f" &&
	test "$(ls "$Q/new" | wc -l)" = 0
'

test_expect_success 'quarantine delete; show then says there is no such item (exit 1)' '
	spam held-two >out 2>&1 && id=$(qid) && test -n "$id" &&
	smtp-edge -c "$T/edge.json" quarantine delete "$id" >out &&
	test_grep "deleted $id" out &&
	test_expect_code_1() { "$@"; test $? = 1; } &&
	test_expect_code_1 smtp-edge -c "$T/edge.json" quarantine show "$id" 2>err &&
	test_grep "no quarantined message" err &&
	test "$(edge_sink_count)" = 1
'

test_expect_success 'bad ids and usage: exit 1 and 64' '
	smtp-edge -c "$T/edge.json" quarantine show ../../etc/passwd 2>err; test $? = 1 &&
	{ smtp-edge -c "$T/edge.json" quarantine frobnicate 2>err; test $? = 64; }
'

test_expect_success 'the quarantine cannot be written: 451 4.3.0, nothing lost or passed on' '
	mv "$Q" "$Q.away" && : >"$Q" &&
	! spam cannot-hold >out 2>&1 &&
	test_grep "<\*\* 451 4.3.0 Cannot hold the message for review, try again later" out &&
	test_grep "cannot write to quarantine" "$LOG" &&
	rm "$Q" && mv "$Q.away" "$Q" &&
	test "$(edge_sink_count)" = 1
'

test_done
