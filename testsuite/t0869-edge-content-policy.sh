#!/bin/bash
# The content section per policy: a policy overrides it member by member
# (here inbound has its own rules file, outbound turns the content layer
# off, the default keeps the section's). A transport rule's redirect goes
# through the route of its target: a second sink gets the redirected
# message, the first gets nothing; a target without a route is 451. One
# summary line per message says what became of it.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink

T=$TEST_TMP
smtp_sink_start
HUB_PORT=$SINK_PORT HUB_DIR=$SINK_DIR
smtp_sink_start
LEGAL_PORT=$SINK_PORT LEGAL_DIR=$SINK_DIR
read -r P_IN P_OUT P_DEF <<EOF
$(free_ports 3)
EOF

cat >"$T/rules.json" <<'EOF'
{ "rules": [
  { "name": "default-tag", "if": { "sender_domain": "*" },
    "actions": { "prepend_subject": "[DEF] " } },
  { "name": "legal-hold", "if": { "header": { "name": "X-Legal-Hold", "contains": "yes" } },
    "actions": { "redirect": "hold@legal.test" } },
  { "name": "nowhere", "if": { "header": { "name": "X-Nowhere", "contains": "yes" } },
    "actions": { "redirect": "lost@nowhere.test" } },
  { "name": "two-routes", "if": { "header": { "name": "X-Two", "contains": "yes" } },
    "actions": { "redirect": ["hold2@legal.test", "bob@example.test"] } }
] }
EOF
cat >"$T/rules-in.json" <<'EOF'
{ "rules": [
  { "name": "in-tag", "if": { "sender_domain": "*" },
    "actions": { "prepend_subject": "[IN] " } }
] }
EOF
cat >"$T/edge.json" <<EOF
{
  "log": { "target": "stderr" },
  "smtp-edge": {
    "listen": ["inbound=127.0.0.1:$P_IN", "outbound=127.0.0.1:$P_OUT", "127.0.0.1:$P_DEF"],
    "hostname": "edge.example.test", "timeout": "20s",
    "nexthop_connect_timeout": "2s", "nexthop_timeout": "3s",
    "spf": { "enabled": false },
    "relay_domains": ["example.test"],
    "routes": { "example.test": { "host": "127.0.0.1:$HUB_PORT", "tls": "none" },
                "legal.test": { "host": "127.0.0.1:$LEGAL_PORT", "tls": "none" } },
    "content": { "enabled": true, "spool_directory": "$T", "rules_file": "$T/rules.json" },
    "policies": {
      "inbound": { "content": { "rules_file": "$T/rules-in.json" } },
      "outbound": { "content": { "enabled": false } }
    }
  }
}
EOF
EDGE_PORT=$P_DEF edge_start edge "$T/edge.json"
LOG=$T/edge.log

send() { local port=$1; shift; swaks --server 127.0.0.1:$port --helo client.test \
	--from bob@sender.test --to alice@example.test "$@"; }
sunk() { grep -l "$2" "$1"/* 2>/dev/null | head -n 1; }
waitfor() { for i in $(seq 50); do f=$(sunk "$1" "$2") && [ -n "$f" ] && return 0; sleep 0.1; done; return 1; }

test_expect_success 'inbound: its own rules file' '
	send $P_IN --header "Subject: one in" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	waitfor "$HUB_DIR" "one in" &&
	test_grep "^Subject: \[IN\] one in" "$f" &&
	test_grep "^X-Postern-Rules: in-tag" "$f" &&
	test_grep "transport rules fired rules=in-tag layer=3 check=rules .*policy=inbound" "$LOG"
'

test_expect_success 'outbound: the content layer off, the message untouched' '
	send $P_OUT --header "Subject: two out" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	waitfor "$HUB_DIR" "two out" &&
	test_grep "^Subject: two out" "$f" &&
	! grep "^X-Postern" "$f"
'

test_expect_success 'the default policy: the section'"'"'s rules file' '
	send $P_DEF --header "Subject: three def" >out 2>&1 &&
	waitfor "$HUB_DIR" "three def" &&
	test_grep "^Subject: \[DEF\] three def" "$f"
'

test_expect_success 'redirect: through the target'"'"'s route, to the second sink only' '
	send $P_DEF --header "Subject: four hold" --header "X-Legal-Hold: yes" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	waitfor "$LEGAL_DIR" "four hold" &&
	test_grep "^X-Rcpt-Args: <hold@legal.test>" "$f" &&
	! grep "^X-Rcpt-Args: <alice@example.test>" "$f" &&
	test -z "$(sunk "$HUB_DIR" "four hold")" &&
	test_grep "redirect: through route=legal.test hop=127.0.0.1:$LEGAL_PORT" "$LOG" &&
	test_grep "accept: redirected to=hold@legal.test layer=3 check=rules" "$LOG" &&
	test_grep -E "message: from=<bob@sender.test> to=<alice@example.test> rcpts=1 size=[0-9]+ scl=none actions=rules:match,rules:accept relay=127.0.0.1:$LEGAL_PORT status=sent reply=\"250 " "$LOG"
'

test_expect_success 'the next message goes through the first route again' '
	send $P_DEF --header "Subject: five after" >out 2>&1 &&
	waitfor "$HUB_DIR" "five after"
'

test_expect_success 'redirect to a domain without a route: 451, nothing delivered' '
	! send $P_DEF --header "Subject: six lost" --header "X-Nowhere: yes" >out 2>&1 &&
	test_grep "<\*\* 451 4.4.0 No route for the redirected message" out &&
	test_grep "defer: redirect: no route to=lost@nowhere.test" "$LOG" &&
	test_grep "message: from=<bob@sender.test> .* status=deferred reply=\"451 4.4.0 No route for the redirected message\"" "$LOG" &&
	sleep 0.2 &&
	test -z "$(sunk "$HUB_DIR" "six lost")" && test -z "$(sunk "$LEGAL_DIR" "six lost")"
'

test_expect_success 'redirect to two routes: the first target'"'"'s only, the other left out' '
	send $P_DEF --header "Subject: seven two" --header "X-Two: yes" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	waitfor "$LEGAL_DIR" "seven two" &&
	test_grep "^X-Rcpt-Args: <hold2@legal.test>" "$f" &&
	! grep "^X-Rcpt-Args: <bob@example.test>" "$f" &&
	test_grep "refuse: redirected to=bob@example.test: not on the route of the first target route=legal.test" "$LOG" &&
	test -z "$(sunk "$HUB_DIR" "seven two")"
'

test_expect_success 'rules check --policy: the policy'"'"'s rules file, else the section'"'"'s' '
	smtp-edge -c "$T/edge.json" rules check --policy inbound >out &&
	test_grep "^1 rules, no errors" out &&
	smtp-edge -c "$T/edge.json" rules check --policy outbound >out &&
	test_grep "^4 rules, no errors" out &&
	smtp-edge -c "$T/edge.json" rules check >out &&
	test_grep "^4 rules, no errors" out &&
	{ smtp-edge -c "$T/edge.json" rules check --policy nosuch 2>err; test $? = 78; } &&
	test_grep "no policy .nosuch. in smtp-edge.policies" err
'

test_done
