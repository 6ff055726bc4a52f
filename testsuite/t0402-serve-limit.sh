#!/bin/bash
# The connection limit: with max_connections sessions alive, the next
# client gets a clear refusal line and is closed, the log says so, and a
# slot freed by a session that ended is used again.
. "$(dirname "$0")/lib.sh"
need socat

P=$(free_ports 1)
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ], "max_connections": 2 } }
EOF
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"

test_expect_success 'two sessions run, the third connection is refused' '
	echo "SLEEP 2" | tcp_chat $P >one &
	echo "SLEEP 2" | tcp_chat $P >two &
	serve_wait_log d "sessions=2" &&
	tcp_chat_now $P </dev/null >three &&
	echo "ERR busy: too many connections" >expected &&
	test_cmp expected three &&
	wait &&
	test_grep "^SLEPT 2$" one &&
	test_grep "^SLEPT 2$" two
'

test_expect_success 'the log names the refused peer and the limit' '
	test_grep -E "warning: connection refused: too many sessions peer=127\.0\.0\.1:[0-9]+ listener=127\.0\.0\.1:$P max_connections=2$" d.log &&
	test $(grep -c "connection refused" d.log) = 1
'

test_expect_success 'slots are freed when sessions end' '
	echo PING | tcp_chat $P >four &&
	test_grep "^PONG$" four &&
	echo PING | tcp_chat $P >five &&
	test_grep "^PONG$" five &&
	test $(grep -c "connection refused" d.log) = 1
'

test_done
