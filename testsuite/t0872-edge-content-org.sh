#!/bin/bash
# Organisation header authentication: the internal fields an edge adds
# (here a classification from a transport rule) are sealed with the
# organisation key (X-Postern-Org-Seal); an edge receiving them from a
# trusted site with a good seal keeps them, from outside or with a
# field changed they are removed.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink

T=$TEST_TMP
smtp_sink_start
printf 'organisation-key-for-tests-0123456789\n' >"$T/org.key"
cat >"$T/rules.json" <<'EOF_R'
{ "rules": [ { "name": "classify", "if": { "header": { "name": "X-Classify-Me", "contains": "yes" } },
  "actions": { "classification": "Internal Only" } } ] }
EOF_R
edge_conf "$T/edge.json" '"relay_domains": ["example.test"], "trusted_networks": ["127.0.0.1/32"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'", "rules_file": "'"$T/rules.json"'",
    "organisation": { "key_file": "'"$T/org.key"'", "trusted_peers": ["192.0.2.10/32"] } }'
edge_start edge "$T/edge.json"
LOG=$T/edge.log

send() { swaks --server 127.0.0.1:$EDGE_PORT --helo client.test --from carol@example.test \
	--to alice@example.test "$@"; }
sunk() { grep -l "$1" "$SINK_DIR"/* 2>/dev/null | head -n 1; }
# the message as the sink got it, without smtp-sink's lines, its
# Received field and the rule's trigger
as_sent() { sed '1,/^X-Rcpt-Args/d' "$1" | sed '1,/^Received: from edge/{/^Received: from edge/d;/^\t/d}' |
	grep -v "^X-Classify-Me:"; }

test_expect_success 'the source site seals the classification it adds' '
	send --header "Subject: sealed one" --header "X-Classify-Me: yes" >out 2>&1 &&
	smtp_sink_wait 1 && f=$(sunk "sealed one") &&
	test_grep "^X-Postern-Classification: Internal Only" "$f" &&
	test_grep "^X-Postern-Org-Seal: t=[0-9]*; h=X-Postern-Classification; bh=[^;]*; s=" "$f"
'

test_expect_success 'from a trusted site with a good seal: kept and believed' '
	as_sent "$(sunk "sealed one")" | sed "s/^Subject: sealed one/Subject: from site/" >m1 &&
	f0=$(grep "^X-Postern-Org-Seal" "$(sunk "sealed one")") &&
	send --xclient-addr 192.0.2.10 --data @m1 >out 2>&1 &&
	test_grep "trust: organisation seal verified fields=X-Postern-Classification layer=3 check=organisation client=192.0.2.10" "$LOG" &&
	sleep 0.3 && f=$(sunk "Subject: from site") &&
	test_grep "^X-Postern-Classification: Internal Only" "$f"
'

test_expect_success 'the same from outside: removed' '
	sed "s/^Subject: from site/Subject: from outside/" m1 >m2 &&
	send --data @m2 >out 2>&1 &&
	sleep 0.3 && f=$(sunk "Subject: from outside") &&
	! grep "^X-Postern-Classification" "$f" && ! grep "^X-Postern-Org-Seal" "$f" &&
	test_grep "strip: internal header fields removed count=2 origin=outside" "$LOG"
'

test_expect_success 'from the trusted site with the field changed: seal refused, removed' '
	sed "s/^X-Postern-Classification: Internal Only/X-Postern-Classification: Public/; s/^Subject: from site/Subject: changed field/" m1 >m3 &&
	send --xclient-addr 192.0.2.10 --data @m3 >out 2>&1 &&
	test_grep "strip: organisation seal not valid: bad seal layer=3 check=organisation client=192.0.2.10" "$LOG" &&
	sleep 0.3 && f=$(sunk "Subject: changed field") &&
	! grep "^X-Postern-Classification" "$f"
'

test_done
