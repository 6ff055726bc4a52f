#!/bin/bash
# Faults on the way to the next hop: down (4xx at RCPT), slow (timeout,
# 4xx), the session process (the pooled worker serving the client: its pid
# from the listener's log) killed with -9 in the middle of DATA (the
# client never got 250, the next hop delivered nothing); nothing is ever
# acknowledged that the next hop has not accepted.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink python3

smtp_sink_start
down_port=$(free_ports 1)
slow_port=$(free_ports 1)
bg_start sink-slow smtp-sink -u root -w 6 "127.0.0.1:$slow_port" 16
wait_port "$slow_port" || bail "slow smtp-sink does not listen"

edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test", "down.test", "slow.test"],
  "routes": {
    "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" },
    "down.test": { "host": "127.0.0.1:'"$down_port"'", "tls": "none" },
    "slow.test": { "host": "127.0.0.1:'"$slow_port"'", "tls": "none" }
  }'
edge_start edge "$TEST_TMP/edge.json"
LOG=$TEST_TMP/edge.log
EDGE_PID=$(serve_pid edge)

test_expect_success 'next hop down: 451 4.4.1 at RCPT, logged layer 4' '
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to x@down.test >out 2>&1;
	test_grep "<\*\* 451 4.4.1 Next hop 127.0.0.1:$down_port: connect: Connection refused, try again later" out &&
	test_grep "defer: next hop unavailable route=down.test layer=4 check=nexthop" "$LOG"
'

test_expect_success 'next hop slow: the timeout gives 4xx, nothing delivered' '
	n=$(edge_sink_count) &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to x@slow.test >out 2>&1;
	test_grep "<\*\* 451 4.4.2 Next hop 127.0.0.1:$slow_port: timed out, try again later" out &&
	! grep "<-  250 2.0.0" out &&
	test "$(edge_sink_count)" = "$n"
'

test_expect_success 'the session goes on after a failed hop: the next message passes' '
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<x@down.test>\r\nRSET\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\nSubject: after\r\n\r\nok\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test_grep "^451 4.4.1" out && test_grep "^250 2.0.0 Ok" out
'

test_expect_success 'kill -9 of the session mid-DATA: no 250 for the client, nothing at the sink' '
	n=$(edge_sink_count)
	rm -f sent
	edge_midata_client $EDGE_PORT sent >client.out 2>&1 &
	client=$!

	for i in $(seq 100); do [ -e sent ] && break; sleep 0.05; done &&
	sleep 0.3 &&
	child=$(sed -n "s/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p" "$LOG" | tail -n 1) &&
	test -n "$child" && pgrep -P "$EDGE_PID" | grep -qx "$child" &&
	kill -9 "$child" &&
	wait $client &&
	test_grep "^354 " client.out &&
	! grep "^250 2.0.0" client.out &&
	sleep 1 &&
	test "$(edge_sink_count)" = "$n" &&
	! grep -l "Subject: killed" "$SINK_DIR"/*
'

test_expect_success 'the listener survives, logs the kill and serves the next client' '
	test_grep "warning: session killed: Killed pid=[0-9]* signal=9" "$LOG" &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to alice@example.test >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out
'

test_done
