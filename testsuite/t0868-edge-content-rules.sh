#!/bin/bash
# smtp-edge's transport rules (share/examples/smtp-edge-rules.json):
# conditions with exceptions, evaluated in order with stop; actions seen
# at the sink (subject prefix, header, classification, a copy, a
# redirect), refusals (reject text, require TLS to a next hop without
# it), delete; `smtp-edge rules test` says which rules fire and why,
# `rules check` names a bad file's errors.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink

T=$TEST_TMP
RULES=$SRCDIR/share/examples/smtp-edge-rules.json
smtp_sink_start
edge_conf "$T/edge.json" '"relay_domains": ["example.test", "partner.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" },
              "partner.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'", "rules_file": "'"$RULES"'" }'
edge_start edge "$T/edge.json"
LOG=$T/edge.log

send() { swaks --server 127.0.0.1:$EDGE_PORT --helo client.test "$@"; }
sunk() { grep -l "$1" "$SINK_DIR"/* 2>/dev/null | head -n 1; }

test_expect_success 'an outside sender: subject prefixed, header added, rule named' '
	send --from bob@sender.test --to alice@example.test --header "Subject: hello one" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 && f=$(sunk "hello one") &&
	test_grep "^Subject: \[EXTERNAL\] hello one" "$f" &&
	test_grep "^X-External-Sender: yes" "$f" &&
	test_grep "^X-Postern-Rules: external-tag" "$f" &&
	test_grep "match: transport rules fired rules=external-tag layer=3 check=rules" "$LOG"
'

test_expect_success 'the exception: an inside sender keeps its subject' '
	send --from carol@example.test --to alice@example.test --header "Subject: inside two" >out 2>&1 &&
	sleep 0.2 && f=$(sunk "inside two") &&
	test_grep "^Subject: inside two" "$f" && ! grep "^X-External-Sender" "$f"
'

test_expect_success 'attachment condition: a copy to the archive and a sealed classification' '
	echo "%PDF-1.4" >q3.pdf &&
	send --from bob@sender.test --to finance@example.test --header "Subject: figures" \
		--attach-type application/pdf --attach-name q3.pdf --attach @q3.pdf >out 2>&1 &&
	sleep 0.3 && f=$(sunk "figures") &&
	test_grep "^X-Rcpt-Args: <finance@example.test>" "$f" &&
	test_grep "^X-Rcpt-Args: <archive@example.test>" "$f" &&
	test_grep "^X-Postern-Classification: Finance" "$f" &&
	test_grep "accept: copy to=archive@example.test layer=3 check=rules" "$LOG"
'

test_expect_success 'words in the body to the outside: refused with the rule text' '
	! send --from carol@example.test --to bob@partner.test --header "Subject: plans" \
		--body "This is STRICTLY confidential." >out 2>&1 &&
	test_grep "<\*\* 550 5.7.1 Confidential mail may not leave the organisation" out &&
	test_grep "message: from=<carol@example.test> to=<bob@partner.test> rcpts=1 size=[0-9]* scl=none actions=.*rules:reject relay=none status=rejected reply=\"550 5.7.1 Confidential mail" "$LOG"
'

test_expect_success 'require_tls: a next hop without TLS gives 451 4.7.4' '
	! send --from carol@example.test --to bob@partner.test --header "Subject: tls please" >out 2>&1 &&
	test_grep "<\*\* 451 4.7.4 TLS to the next hop is required for this message" out &&
	test -z "$(sunk "tls please")"
'

test_expect_success 'redirect: the next hop gets the new recipient only' '
	send --from bob@sender.test --to alice@example.test --header "Subject: hold it" \
		--header "X-Legal-Hold: yes" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	sleep 0.3 && f=$(sunk "hold it") &&
	test_grep "^X-Rcpt-Args: <legal@example.test>" "$f" &&
	! grep "^X-Rcpt-Args: <alice@example.test>" "$f"
'

test_expect_success 'delete: 250 and nothing at the next hop' '
	send --from bob@sender.test --to alice@example.test --header "Subject: bulk" \
		--header "X-Mailer: MassMailer 2" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "delete: message dropped .* check=rules" "$LOG" &&
	test_grep "message: from=<bob@sender.test> to=<alice@example.test> .* actions=.*rules:delete relay=none status=dropped reply=\"250 " "$LOG" &&
	sleep 0.2 && test -z "$(sunk "Subject: bulk")"
'

cat >"$T/msg" <<'EOF_MSG'
From: Bob <bob@sender.test>
To: finance@example.test
Subject: Lottery winner
X-Mailer: MassMailer 2
Content-Type: text/plain

you won
EOF_MSG

test_expect_success 'rules test: each rule, fired or not and why, then the actions' '
	smtp-edge rules test --rules "$RULES" --to finance@example.test --scl 6 <"$T/msg" >out &&
	test_grep "^external-tag: fired (sender_domain .\*.)" out &&
	test_grep "^finance-copy: not fired (recipient .finance@example.test.; attachment_name: no match)" out &&
	test_grep "^confidential-stays-inside: not fired (subject_or_body_words: no match)" out &&
	test_grep "^lottery: fired (subject_words .lottery.; scl 6), stop" out &&
	test_grep "^bulk-mailer: not evaluated (stopped)" out &&
	test_grep "^fired: 2 external-tag,lottery" out &&
	test_grep "^actions: quarantine prepend_subject=\"\[EXTERNAL\] \"" out
'

test_expect_success 'rules test: below the SCL, the quarantine rule does not fire; none at all exits 1' '
	smtp-edge rules test --rules "$RULES" --scl 2 <"$T/msg" >out &&
	test_grep "^lottery: not fired (subject_words .lottery.; scl 2: out of range)" out &&
	test_grep "^bulk-mailer: fired" out &&
	printf "Subject: x\n\nx\n" >plain &&
	printf "{\"rules\": [{\"name\": \"n\", \"if\": {\"tls\": true}, \"actions\": {\"delete\": true}}]}" >one.json &&
	{ smtp-edge rules test --rules one.json <plain >out; test $? = 1; } &&
	test_grep "^n: not fired (tls: not used)" out
'

test_expect_success 'rules check: a bad file named with the key path, exit 78' '
	printf "{\"rules\": [{\"name\": \"a\", \"if\": {\"colour\": 1}, \"actions\": {\"delete\": true}}]}" >bad.json &&
	{ smtp-edge rules check --rules bad.json 2>err; test $? = 78; } &&
	test_grep "^bad.json: rules\[0\].colour: unknown condition" err &&
	smtp-edge rules check --rules "$RULES" >out &&
	test_grep "^7 rules, no errors" out
'

test_expect_success 'smtp-edge does not start with a bad rules file' '
	sed "s|$RULES|$T/bad.json|" "$T/edge.json" >bad-edge.json &&
	p=$(free_ports 1) && sed -i "s/127.0.0.1:$EDGE_PORT/127.0.0.1:$p/" bad-edge.json &&
	{ smtp-edge -c bad-edge.json -d >log 2>&1; test $? = 78; } &&
	test_grep "bad rules file: .*bad.json: rules\[0\].colour: unknown condition" log
'

test_done
