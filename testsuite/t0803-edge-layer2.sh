#!/bin/bash
# Layer 2 at smtp-edge: recipient validation against the directory (slapd
# with the test LDIF), harvest defence (tarpit, then disconnect), the
# directory down (451 4.3.0, never 550), sender and recipient lists, SPF
# with an action per result (test DNS), and XCLIENT from the trusted
# network to speak for other client addresses.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink python3

smtp_sink_start
slapd_start || bail "slapd did not start"
cat >"$TEST_TMP/spf.zone" <<'ZONE'
fail.test. 3600 IN SOA ns.fail.test. h.fail.test. 1 3600 600 86400 60
fail.test. 3600 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
when.test. 3600 IN SOA ns.when.test. h.when.test. 1 3600 600 86400 60
when.test. 3600 IN TXT "v=spf1 -all exp=why.when.test"
why.when.test. 3600 IN TXT "checked at %{t} for %{l}"
ZONE
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/spf.zone"

edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test"],
  "local_domains": ["example.test"], "validate_recipients": true,
  "harvest_limit": 3, "harvest_delay": "400ms", "harvest_disconnect": 2,
  "sender_deny": ["spammer@bad.test", ".worse.test"],
  "recipient_deny": ["nobody@example.test"],
  "trusted_networks": ["127.0.0.1/32"],
  "spf": { "enabled": true, "softfail": "tag", "fail": "reject" },
  "routes": { "*": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }' \
'"directory": { "backend": "ldap", "ldap": { "uri": "'"$LDAP_URI"'", "base": "'"$LDAP_BASE"'",
  "bind_dn": "'"$LDAP_BIND_DN"'", "bind_password_file": "'"$LDAP_BIND_PW_FILE"'",
  "timeout": "2s", "connect_timeout": "1s" } }'
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log

test_expect_success 'a recipient in the directory is accepted and relayed' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to alice@example.test \
		--header "Subject: known" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1
'

test_expect_success 'an alias is found too' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to robert@example.test \
		--quit-after RCPT >out 2>&1 &&
	test_grep "<-  250 " out
'

test_expect_success 'an unknown recipient gets 550 5.1.1, logged layer 2' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to nosuch@example.test \
		--quit-after RCPT >out 2>&1;
	test_grep "<\*\* 550 5.1.1 <nosuch@example.test>: Recipient address rejected: User unknown" out &&
	test_grep "reject: unknown recipient to=nosuch@example.test layer=2 check=recipient_validation" "$LOG"
'

test_expect_success 'harvest defence: tarpit after 3 unknown, disconnect after 2 more' '
	{ printf "EHLO c.test\r\nMAIL FROM:<bob@example.test>\r\n"
	  for i in 1 2 3 4 5 6 7 8; do printf "RCPT TO:<u$i@example.test>\r\n"; done
	  printf "QUIT\r\n"; } >in &&
	t0=$(date +%s%N) && smtp_raw $EDGE_PORT in >out && t1=$(date +%s%N) &&
	test "$(grep -c "^550 5.1.1" out)" = 5 &&
	test_grep "^421 4.7.0 edge.example.test Too many unknown recipients" out &&
	! grep "^221" out &&
	test $(( (t1 - t0) / 1000000 )) -ge 800 &&
	test_grep "tarpit: directory harvest unknown=4 delay_ms=400 layer=2 check=harvest" "$LOG" &&
	test_grep "disconnect: directory harvest unknown=6 layer=2 check=harvest" "$LOG"
'

test_expect_success 'sender lists: an address and a subdomain entry refuse, 550 5.7.1' '
	swaks --server 127.0.0.1:$EDGE_PORT --from spammer@bad.test --to alice@example.test \
		--quit-after MAIL >out 2>&1;
	test_grep "<\*\* 550 5.7.1 <spammer@bad.test>: Sender address rejected" out &&
	swaks --server 127.0.0.1:$EDGE_PORT --from x@mail.worse.test --to alice@example.test \
		--quit-after MAIL >out 2>&1;
	test_grep "<\*\* 550 5.7.1" out &&
	test_grep "reject: sender on the deny list entry=.worse.test layer=2 check=sender_deny" "$LOG"
'

test_expect_success 'recipient list: a listed recipient is refused before the directory' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to nobody@example.test \
		--quit-after RCPT >out 2>&1;
	test_grep "<\*\* 550 5.7.1 <nobody@example.test>: Recipient address rejected: Access denied" out &&
	test_grep "reject: recipient on the deny list to=nobody@example.test" "$LOG"
'

test_expect_success 'SPF fail is refused with the explanation (550 5.7.23)' '
	swaks --server 127.0.0.1:$EDGE_PORT --from x@fail.test --to alice@example.test \
		--quit-after MAIL >out 2>&1;
	test_grep "<\*\* 550 5.7.23" out &&
	test_grep "reject: spf=fail mechanism=-all layer=2 check=spf" "$LOG"
'

# mail_twice PORT CMDS1 CMDS2: one session, the replies to CMDS1, a pause
# of 1.2 s (the next second of %{t}), then those to CMDS2. With LOG_HAS
# set, says after the replies to CMDS1 whether the log holds that text
# (while the session is still open).
mail_twice() {
	python3 - "$@" <<-'PY'
	import os, socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
	f = s.makefile("rb")
	def reply():
	    while True:
	        l = f.readline().decode()
	        sys.stdout.write(l.replace("\r", ""))
	        if len(l) < 4 or l[3] != "-":
	            return
	reply()
	for i, cmds in enumerate(sys.argv[2:]):
	    if i:
	        if os.environ.get("LOG_HAS"):
	            has = os.environ["LOG_HAS"] in open(os.environ["LOG"]).read()
	            print("log-has=%s" % ("yes" if has else "no"))
	        time.sleep(1.2)
	    for c in cmds.split("|"):
	        s.sendall(c.encode() + b"\r\n")
	        reply()
	PY
}

test_expect_success 'SPF in a session: the same check is not made again, each MAIL logged' '
	mail_twice $EDGE_PORT "EHLO c.test|MAIL FROM:<a@when.test>|RSET" \
		"MAIL FROM:<a@when.test>|MAIL FROM:<b@when.test>|EHLO d.test|MAIL FROM:<a@when.test>|QUIT" >out &&
	grep "^550 5.7.23" out >rej &&
	test $(wc -l <rej) = 4 &&
	t1=$(sed -n "1s/.*checked at \([0-9]*\) for a.*/\1/p" rej) &&
	test -n "$t1" &&
	test_grep -x "550 5.7.23 SPF fail: checked at $t1 for a" rej &&
	test $(grep -c "checked at $t1 for a" rej) = 2 &&
	sed -n 3p rej | grep -v "checked at $t1 " | grep "for b\$" &&
	sed -n 4p rej | grep -v "checked at $t1 " | grep "for a\$" &&
	test $(grep -c "reject: spf=fail mechanism=-all layer=2 check=spf client=127.0.0.1 from=a@when.test" "$LOG") = 3
'

test_expect_success 'SPF through XCLIENT: 127.0.0.3 passes for partner.test, headers added' '
	n=$(edge_sink_count) &&
	printf "EHLO c.test\r\nXCLIENT ADDR=127.0.0.3 NAME=mx.partner.test HELO=mx.partner.test\r\nEHLO mx.partner.test\r\nMAIL FROM:<carol@partner.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: spf pass\r\n\r\nhi\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^250 2.0.0 Ok" out &&
	smtp_sink_wait $((n + 1)) &&
	f=$(grep -l "Subject: spf pass" "$SINK_DIR"/*) &&
	test_grep "^Received: from mx.partner.test (mx.partner.test \[127.0.0.3\])" "$f" &&
	test_grep "^Received-SPF: pass" "$f" &&
	test_grep "spf=pass smtp.mailfrom=carol@partner.test" "$f" &&
	test_grep "xclient: client now 127.0.0.3 layer=1 check=xclient" "$LOG"
'

test_expect_success 'the log lines of a transaction are written before the reply that settles it' '
	LOG=$LOG LOG_HAS="tag: spf=softfail mechanism=~all layer=2 check=spf client=127.0.0.1 from=held@partner.test" \
		mail_twice $EDGE_PORT "EHLO c.test|MAIL FROM:<held@partner.test>" \
		"RCPT TO:<nobody@example.test>" "QUIT" >out &&
	test_grep "^250 2.1.0" out &&
	test_grep "^550 5.7.1 <nobody@example.test>" out &&
	grep "^log-has=" out >has &&
	printf "log-has=no\nlog-has=yes\n" >expect &&
	test_cmp expect has
'

test_expect_success 'SPF softfail is tagged, not refused' '
	swaks --server 127.0.0.1:$EDGE_PORT --from carol@partner.test --to alice@example.test >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "tag: spf=softfail" "$LOG"
'

test_expect_success 'the directory down: 451 4.3.0, never 550' '
	slapd_stop &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@example.test --to alice@example.test \
		--quit-after RCPT >out 2>&1;
	test_grep "<\*\* 451 4.3.0 <alice@example.test>: Temporary lookup failure" out &&
	! grep "<\*\* 550" out &&
	test_grep "tempfail: directory unavailable to=alice@example.test .*layer=2 check=recipient_validation" "$LOG"
'

test_done
