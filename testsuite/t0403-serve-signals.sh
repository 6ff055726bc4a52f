#!/bin/bash
# Signals to a standalone listener: SIGHUP reloads (a new greeting for new
# connections, a broken config keeps the old one); SIGTERM stops accepting,
# lets running sessions finish, then exits 0; sessions still running after
# drain_timeout are terminated.
. "$(dirname "$0")/lib.sh"
need socat

set -- $(free_ports 2)
P=$1 Q=$2
# conf PORT GREETING DRAIN
conf() {
	cat <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$1" ], "greeting": "$2",
                     "drain_timeout": "$3" } }
EOF
}
conf $P "hello one" 10s >"$TEST_TMP/c.json"
conf $Q "hello two" 1s >"$TEST_TMP/q.json"
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"
serve_standalone q "$Q" postern-testd -c "$TEST_TMP/q.json" serve -d ||
	bail "daemon did not start"

test_expect_success 'SIGHUP: new connections get the new greeting' '
	echo QUIT | tcp_chat $P >before &&
	test_grep "^hello one peer=" before &&
	conf $P "hello again" 10s >c.json &&
	kill -HUP $(serve_pid d) &&
	serve_wait_log d "reloaded greeting=\"hello again\"" &&
	echo QUIT | tcp_chat $P >after &&
	test_grep "^hello again peer=127.0.0.1:[0-9]* fdname=127.0.0.1:$P$" after
'

test_expect_success 'SIGHUP with a broken config keeps the old settings' '
	echo "{ broken" >c.json &&
	kill -HUP $(serve_pid d) &&
	serve_wait_log d "reload failed: keeping the previous settings" &&
	echo QUIT | tcp_chat $P >after &&
	test_grep "^hello again peer=" after
'

test_expect_success 'SIGTERM: a running session finishes, then the listener exits 0' '
	printf "SLEEP 1\nPING\n" | tcp_chat $P >sleeper &
	serve_wait_log d "sessions=1" &&
	sleep 0.2 &&
	kill -TERM $(serve_pid d) &&
	serve_wait_log d "stopping: no new connections sessions=1 drain_timeout=10000ms" &&
	! freeport --probe $P &&
	wait &&
	printf "SLEPT 1\nPONG\n" >expected &&
	tail -n 2 sleeper >actual &&
	test_cmp expected actual &&
	test "$(serve_exit d)" = 0 &&
	test_grep "stopped$" d.log &&
	! grep "terminating sessions" d.log
'

test_expect_success 'drain_timeout: sessions still running are terminated' '
	echo "SLEEP 60" | tcp_chat $Q >long &
	serve_wait_log q "sessions=1" &&
	sleep 0.2 &&
	kill -TERM $(serve_pid q) &&
	test "$(serve_exit q 20)" = 0 &&
	wait &&
	test_grep "^hello two peer=" long &&
	! grep SLEPT long &&
	test_grep "warning: stopping: terminating sessions still running sessions=1" q.log &&
	test_grep -E "warning: session killed: Terminated pid=[0-9]+ signal=15" q.log
'

test_done
