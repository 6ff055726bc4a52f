#!/bin/bash
# The pool's workers accept their connections themselves: they serve with
# the listener stopped (SIGSTOP), a worker counts every session of the
# daemon against max_connections and refuses beyond it on its own (a
# retired worker's session still counts), and on SIGTERM the listening
# socket stops listening for the workers too, so that a connection made
# during the drain is refused at once instead of waiting in the kernel's
# queue for a worker that will not take it.
. "$(dirname "$0")/lib.sh"
need socat

P=$(free_ports 1)
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ], "greeting": "hello",
                     "workers": 2, "worker_max_use": 1000, "max_connections": 2,
                     "drain_timeout": "10s" } }
EOF
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"
D=$(serve_pid d)
cleanup_push "kill -CONT $D 2>/dev/null"

workers() { ps -o pid= --ppid "$D" | tr -d ' ' | sort -n; }
# wait_workers N: until the listener has N children.
wait_workers() {
	local n=0
	while [ "$(workers | wc -l)" != "$1" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	test "$(workers | wc -l)" = "$1"
}

test_expect_success 'with the listener stopped, the workers still serve' '
	wait_workers 2 &&
	workers >w &&
	kill -STOP $D &&
	for _ in 1 2 3 4 5; do
		printf "PID\nQUIT\n" | CHAT_TIMEOUT=5 tcp_chat $P | sed -n 2p
	done >p &&
	kill -CONT $D &&
	test "$(grep -c . p)" = 5 &&
	! grep -vxf w p &&
	test "$(grep -c "connection peer=127\.0\.0\.1:[0-9]* listener=127\.0\.0\.1:$P pid=[0-9]* sessions=1$" d.log)" = 5
'

test_expect_success 'a worker refuses beyond max_connections itself; a retired worker'"'"'s session counts' '
	echo "SLEEP 3" | tcp_chat $P >old &
	serve_wait_count d "sessions=1$" 6 || exit 1
	kill -HUP $D &&
	serve_wait_log d "reloaded greeting" &&
	wait_workers 3 &&
	kill -STOP $D || exit 1
	echo "SLEEP 2" | CHAT_TIMEOUT=10 tcp_chat $P >new &
	serve_wait_log d "sessions=2$" &&
	CHAT_TIMEOUT=5 tcp_chat_now $P </dev/null >third &&
	kill -CONT $D &&
	wait &&
	echo "ERR busy: too many connections" >expected &&
	test_cmp expected third &&
	test_grep "^SLEPT 3$" old &&
	test_grep "^SLEPT 2$" new &&
	test_grep -E "warning: connection refused: too many sessions peer=127\.0\.0\.1:[0-9]+ listener=127\.0\.0\.1:$P max_connections=2$" d.log
'

test_expect_success 'SIGTERM: a connection during the drain is refused at once, the session in a worker finishes' '
	sleep 0.3;
	n=$(grep -c "sessions=1$" d.log);
	printf "SLEEP 2\nPING\n" | tcp_chat $P >sleeper &
	serve_wait_count d "sessions=1$" $((n + 1)) &&
	kill -TERM $D &&
	serve_wait_log d "stopping: no new connections sessions=1 " &&
	t0=$(date +%s%N) &&
	! socat -T 5 - TCP:127.0.0.1:$P </dev/null 2>refused &&
	t1=$(date +%s%N) &&
	test_grep "Connection refused" refused &&
	test $(( (t1 - t0) / 1000000 )) -lt 1000 &&
	wait &&
	printf "SLEPT 2\nPONG\n" >expected &&
	tail -n 2 sleeper >actual &&
	test_cmp expected actual &&
	serve_wait_log d "stopped$" &&
	test "$(serve_exit d)" = 0
'

test_done
