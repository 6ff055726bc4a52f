#!/bin/bash
# smtp-edge's anti-virus stage with a real clamd (test signatures only:
# EICAR and a custom one): a clean message gets a stamp sealed with the
# organisation key; a virus is refused; clamd down is a temporary
# failure (451 4.7.1); a stamp from outside, or with a bad seal, is
# removed and the message scanned; a valid stamp from a trusted peer
# (our other site, by XCLIENT) skips the scan: clamd's log shows none.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink clamd

T=$TEST_TMP
smtp_sink_start
clamd_start
printf 'organisation-key-for-tests-0123456789\n' >"$T/org.key"
cont='"content": { "enabled": true, "spool_directory": "'"$T"'",
    "antivirus": { "enabled": true, "clamd": "unix:'"$CLAMD_SOCK"'", "timeout": "10s" },
    "organisation": { "key_file": "'"$T/org.key"'", "trusted_peers": ["192.0.2.10/32"] } }'
edge_conf "$T/edge.json" '"relay_domains": ["example.test"],
  "trusted_networks": ["127.0.0.1/32"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }, '"$cont"
edge_start edge "$T/edge.json"
LOG=$T/edge.log
E1=$EDGE_PORT

send() {
	swaks --server 127.0.0.1:$E1 --helo client.test --from bob@sender.test \
		--to alice@example.test "$@"
}
sunk() { grep -l "$1" "$SINK_DIR"/* 2>/dev/null | head -n 1; }
# the message as the sink got it, without smtp-sink's envelope lines
# and its Received field
# scanned_since N: clamd has logged more than N scans (its log may lag
# its answer a little)
scanned_since() {
	for i in $(seq 40); do [ "$(clamd_scans)" -gt "$1" ] && return 0; sleep 0.05; done
	return 1
}
as_sent() { sed '1,/^X-Rcpt-Args/d' "$1" | sed '1,/^Received: from edge/{/^Received: from edge/d;/^\t/d}'; }

test_expect_success 'a clean message: scanned, stamped and sealed' '
	s0=$(clamd_scans) &&
	send --header "Subject: clean one" --body "nothing bad here" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 && f=$(sunk "clean one") &&
	test_grep "^X-Postern-AV: clean; engine=clamd; t=[0-9]*; bh=[A-Za-z0-9+/=]*; s=[A-Za-z0-9+/=]*\$" "$f" &&
	test_grep "^X-Postern-Org-Seal: t=[0-9]*; h=X-Postern-AV; bh=" "$f" &&
	test_grep "accept: clamd says clean layer=3 check=antivirus" "$LOG" &&
	scanned_since "$s0"
'

test_expect_success 'EICAR in an attachment: 554 5.7.1 naming the signature' '
	printf "X5O!P%%@AP[4\\\\PZX54(P^)7CC)7}\$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!\$H+H*" >eicar.com &&
	! send --header "Subject: eicar" --attach-type application/octet-stream \
		--attach-name eicar.com --attach @eicar.com >out 2>&1 &&
	test_grep "<\*\* 554 5.7.1 Message rejected: virus found (Eicar-Test-Signature" out &&
	test_grep "reject: virus found virus=Eicar-Test-Signature" "$LOG" &&
	test -z "$(sunk "Subject: eicar")"
'

test_expect_success 'the custom signature in the text: refused too' '
	! send --header "Subject: custom" --body "POSTERN-TEST-VIRUS-7f3a" >out 2>&1 &&
	test_grep "<\*\* 554 5.7.1 Message rejected: virus found (Postern.Test.Custom" out
'

test_expect_success 'a stamp from outside is removed and the message scanned' '
	f=$(sunk "clean one") && as_sent "$f" | sed "s/^Subject: clean one/Subject: forged outside/" >fwd &&
	s0=$(clamd_scans) &&
	sleep 1 && # the new stamp has another t= than the forwarded one
	send --data @fwd >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	scanned_since "$s0" &&
	test_grep "strip: internal header fields removed count=2 origin=outside" "$LOG" &&
	sleep 0.2 && g=$(sunk "forged outside") &&
	test "$(grep -c "^X-Postern-AV:" "$g")" = 1 &&
	! grep "$(grep "^X-Postern-AV:" "$f")" "$g"
'

test_expect_success 'a valid stamp from the trusted peer skips clamd (its log shows no scan)' '
	f=$(sunk "clean one") && as_sent "$f" >fwd2 &&
	s0=$(clamd_scans) &&
	send --xclient-addr 192.0.2.10 --data @fwd2 >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "skip: valid stamp from a trusted peer, not scanned layer=3 check=antivirus client=192.0.2.10" "$LOG" &&
	sleep 0.3 && test "$(clamd_scans)" = "$s0"
'

test_expect_success 'a stamp with a bad seal from the trusted peer: removed, scanned' '
	f=$(sunk "clean one") && as_sent "$f" | sed "s/^nothing bad here/something changed/" >fwd3 &&
	s0=$(clamd_scans) &&
	send --xclient-addr 192.0.2.10 --data @fwd3 >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "strip: anti-virus stamp not valid: body changed layer=3 check=antivirus client=192.0.2.10" "$LOG" &&
	scanned_since "$s0"
'

EDGE_PORT=$(free_ports 1)
edge_conf "$T/edge-down.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "antivirus": { "enabled": true, "clamd": "unix:'"$T"'/no-clamd.sock" } }'
edge_start edge-down "$T/edge-down.json"

test_expect_success 'clamd down: 451 4.7.1, nothing passed on' '
	n=$(edge_sink_count) &&
	! swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: no clamd" >out 2>&1 &&
	test_grep "<\*\* 451 4.7.1 Virus scan unavailable, try again later" out &&
	test_grep "tempfail: clamd failed: \"cannot connect to clamd: No such file or directory\"" "$T/edge-down.log" &&
	sleep 0.2 && test "$(edge_sink_count)" = "$n"
'

EDGE_PORT=$(free_ports 1)
edge_conf "$T/edge-accept.json" '"relay_domains": ["example.test"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } },
  "content": { "enabled": true, "spool_directory": "'"$T"'",
    "antivirus": { "enabled": true, "clamd": "unix:'"$T"'/no-clamd.sock", "on_failure": "accept" },
    "organisation": { "key_file": "'"$T/org.key"'" } }'
edge_start edge-accept "$T/edge-accept.json"

test_expect_success 'clamd down with on_failure accept: passed on, unscanned and unstamped' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test \
		--header "Subject: accepted unscanned" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	test_grep "accept: clamd failed: " "$T/edge-accept.log" &&
	sleep 0.3 && f=$(sunk "accepted unscanned") &&
	! grep "^X-Postern-AV:" "$f"
'

test_done
