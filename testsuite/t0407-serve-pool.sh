#!/bin/bash
# The pre-forked pool ("workers": N): sessions run in reused worker
# processes (the PID command answers the same pid for several
# connections), a worker is replaced after worker_max_use connections,
# the connection limit still refuses the connection beyond
# max_connections (busy workers and forked overflow sessions count alike),
# the listener's descriptors stay as they were, SIGHUP brings new workers
# with the new config, and SIGTERM lets a session in a worker finish.
. "$(dirname "$0")/lib.sh"
need socat

set -- $(free_ports 2)
P=$1 Q=$2
# conf PORT GREETING: two workers, each used for 3 connections at most,
# 3 sessions at once.
conf() {
	cat <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$1" ], "greeting": "$2",
                     "workers": 2, "worker_max_use": 3, "max_connections": 3,
                     "drain_timeout": "10s" } }
EOF
}
conf $P "hello pool" >"$TEST_TMP/c.json"
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"
D=$(serve_pid d)

# pids N: N connections one after the other, each asking PID; prints the
# pids, one a line.
pids() {
	for _ in $(seq "$1"); do
		printf 'PID\nQUIT\n' | tcp_chat $P | sed -n 2p
	done
}

# workers: the listener's children.
workers() { ps -o pid= --ppid "$D" | tr -d ' ' | sort -n; }

test_expect_success 'the workers are there before any connection' '
	n=0; while [ "$(workers | wc -l)" != 2 ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done &&
	test "$(workers | wc -l)" = 2
'

test_expect_success 'sessions run in reused workers, at most worker_max_use times each' '
	workers >w0 &&
	pids 6 >p &&
	test "$(wc -l <p)" = 6 &&
	! grep -vx "[0-9][0-9]*" p &&
	! grep -x "$D" p &&
	sort p | uniq -c | sort -rn >counts &&
	cat counts &&
	test "$(head -n 1 counts | awk "{ print \$1 }")" -ge 2 &&
	test "$(head -n 1 counts | awk "{ print \$1 }")" -le 3 &&
	test "$(sort -u p | wc -l)" -ge 2 &&
	head -n 1 p >first &&
	grep -qxf first w0 &&
	for pid in $(sort -u p); do
		test_grep -q "connection peer=127\.0\.0\.1:[0-9]* listener=127\.0\.0\.1:$P pid=$pid sessions=1$" d.log || exit 1
	done
'

test_expect_success 'a worker is replaced after worker_max_use connections' '
	pids 9 >p9 &&
	sort p9 | uniq -c | awk "\$1 > 3 { bad = 1 } END { exit bad }" &&
	test "$(cat p p9 | sort -u | wc -l)" -ge 5 &&
	n=0; while [ "$(workers | wc -l)" != 2 ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done &&
	test "$(workers | wc -l)" = 2
'

test_expect_success 'the connection limit holds: 2 workers and 1 forked session busy, the 4th is refused' '
	echo "SLEEP 2" | tcp_chat $P >one &
	echo "SLEEP 2" | tcp_chat $P >two &
	echo "SLEEP 2" | tcp_chat $P >three &
	serve_wait_log d "sessions=3$" &&
	tcp_chat_now $P </dev/null >four &&
	echo "ERR busy: too many connections" >expected &&
	test_cmp expected four &&
	wait &&
	test_grep "^SLEPT 2$" one &&
	test_grep "^SLEPT 2$" two &&
	test_grep "^SLEPT 2$" three &&
	test_grep -E "warning: connection refused: too many sessions peer=127\.0\.0\.1:[0-9]+ listener=127\.0\.0\.1:$P max_connections=3$" d.log
'

test_expect_success 'slots are freed when sessions in workers end' '
	sleep 0.3 &&
	echo PING | tcp_chat $P >five &&
	test_grep "^PONG$" five &&
	echo PING | tcp_chat $P >six &&
	test_grep "^PONG$" six &&
	test $(grep -c "connection refused" d.log) = 1
'

test_expect_success 'the listener holds as many descriptors after 60 sessions' '
	sleep 0.3 &&
	before=$(serve_fds $D) &&
	pids 60 >p60 &&
	test "$(grep -c . p60)" = 60 &&
	sleep 0.3 &&
	test "$(serve_fds $D)" = "$before"
'

test_expect_success 'SIGHUP: new workers with the new config' '
	workers >old &&
	conf $P "hello again" >c.json &&
	kill -HUP $D &&
	serve_wait_log d "reloaded greeting=\"hello again\"" &&
	printf "PID\nQUIT\n" | tcp_chat $P >after &&
	test_grep "^hello again peer=" after &&
	! grep -qxf old <(sed -n 2p after)
'

test_expect_success 'SIGTERM: a session in a worker finishes, then the listener exits 0 and no worker is left' '
	n=$(grep -c "sessions=1$" d.log);
	printf "SLEEP 1\nPING\n" | tcp_chat $P >sleeper &
	serve_wait_count d "sessions=1$" $((n + 1)) &&
	sleep 0.2 &&
	kill -TERM $D &&
	serve_wait_log d "stopping: no new connections sessions=1 drain_timeout=10000ms" &&
	wait &&
	printf "SLEPT 1\nPONG\n" >expected &&
	tail -n 2 sleeper >actual &&
	test_cmp expected actual &&
	test "$(serve_exit d)" = 0 &&
	test_grep "stopped$" d.log &&
	! grep "terminating sessions" d.log &&
	test -z "$(ps -o pid= --ppid $D)"
'

test_done
