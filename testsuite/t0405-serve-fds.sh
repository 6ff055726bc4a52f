#!/bin/bash
# No descriptor leaks in the listener: 500 sequential sessions, and 100
# refused connections, leave its /proc/PID/fd count as it was, and every
# session process is reaped.
. "$(dirname "$0")/lib.sh"

set -- $(free_ports 2)
P=$1 Q=$2
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$P" ] } }
EOF
cat >"$TEST_TMP/q.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "127.0.0.1:$Q" ], "max_connections": 1 } }
EOF
serve_standalone d "$P" postern-testd -c "$TEST_TMP/c.json" serve -d ||
	bail "daemon did not start"
serve_standalone q "$Q" postern-testd -c "$TEST_TMP/q.json" serve -d ||
	bail "daemon did not start"

# sessions PORT N: N connections one after the other, each saying QUIT
# and reading to the end; prints how many got BYE.
sessions() {
	local port=$1 n=$2 ok=0 line
	for _ in $(seq "$n"); do
		exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
		echo QUIT >&3
		while IFS= read -r line <&3; do
			[ "$line" = BYE ] && ok=$((ok + 1))
		done
		exec 3>&-
	done
	echo "$ok"
}

# no_children PID: waits until PID has no child processes left.
no_children() {
	local tries=100
	while [ -n "$(ps -o pid= --ppid "$1")" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05; tries=$((tries - 1))
	done
	[ -z "$(ps -o pid= --ppid "$1")" ]
}

test_expect_success '500 sessions: the listener holds as many fds as before' '
	pid=$(serve_pid d) &&
	serve_fds $pid >before &&
	test "$(sessions $P 500)" = 500 &&
	no_children $pid &&
	serve_fds $pid >after &&
	test_cmp before after &&
	test $(grep -c "connection peer=" d.log) = 500
'

test_expect_success '100 refused connections: the same' '
	pid=$(serve_pid q) || exit 1
	echo "SLEEP 30" | tcp_chat $Q >/dev/null &
	serve_wait_log q "sessions=1" &&
	serve_fds $pid >before &&
	for i in $(seq 100); do
		tcp_chat_now $Q </dev/null >>refused || exit 1
	done &&
	test $(grep -c "^ERR busy: too many connections$" refused) = 100 &&
	serve_fds $pid >after &&
	test_cmp before after &&
	test $(grep -c "connection refused" q.log) = 100 &&
	kill $(ps -o pid= --ppid $pid) &&
	wait
'

test_done
