#!/bin/bash
# The pool's short queue: a connection that finds every worker busy waits
# a moment (50 ms) for one to be free before a process is forked for it,
# so a client that connects again as soon as its last session ended is
# served by the same worker; one that finds the worker busy for longer
# still gets a forked process, and the listener's descriptors stay as
# they were.
. "$(dirname "$0")/lib.sh"
need socat

P=$(free_ports 1)
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ], "greeting": "hello",
                     "workers": 1, "worker_max_use": 1000, "max_connections": 2 } }
EOF
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"
D=$(serve_pid d)

workers() { ps -o pid= --ppid "$D" | tr -d ' '; }

test_expect_success 'back-to-back connections all go to the one worker' '
	n=0; while [ -z "$(workers)" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done &&
	before=$(serve_fds $D) &&
	for _ in $(seq 30); do
		printf "PID\nQUIT\n" | tcp_chat $P | sed -n 2p
	done >p &&
	test "$(grep -c . p)" = 30 &&
	test "$(sort -u p | wc -l)" = 1 &&
	test "$(cat p | sort -u)" = "$(workers)" &&
	sleep 0.3 &&
	test "$(serve_fds $D)" = "$before"
'

test_expect_success 'with the worker busy, the next connection waits, then gets a forked process' '
	echo "SLEEP 2" | tcp_chat $P >busy &
	serve_wait_log d "sessions=1$" &&
	sleep 0.2 &&
	printf "PID\nQUIT\n" | tcp_chat $P | sed -n 2p >other &&
	wait &&
	test_grep "^SLEPT 2$" busy &&
	test_grep -x "[0-9][0-9]*" other &&
	test "$(cat other)" != "$(workers)" &&
	test_grep "connection peer=127\.0\.0\.1:[0-9]* listener=127\.0\.0\.1:$P pid=$(cat other) sessions=2$" d.log &&
	! grep "connection refused" d.log
'

test_expect_success 'the queue counts against max_connections: the third is refused' '
	echo "SLEEP 2" | tcp_chat $P >one &
	serve_wait_log d "sessions=1$" &&
	echo "SLEEP 2" | tcp_chat $P >two &
	n=0; while [ "$(grep -c "sessions=2$" d.log)" -lt 2 ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done &&
	tcp_chat_now $P </dev/null >three &&
	wait &&
	test_grep "^ERR busy: too many connections$" three &&
	test_grep "^SLEPT 2$" one &&
	test_grep "^SLEPT 2$" two
'

test_done
