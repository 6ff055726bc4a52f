#!/bin/bash
# smtp-edge serves from a pool of pre-forked workers by default (two per
# CPU, 4 to 32, never more than max_connections): connections one after
# another are served by the same few processes. "workers": 0 keeps the
# process forked per connection.
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink getconf

smtp_sink_start
route='"routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
send() { swaks --server "127.0.0.1:$EDGE_PORT" --from bob@sender.test --to alice@example.test \
	--helo client.test --header "Subject: $1" --body "via $1"; }
# the pids that served connections, one a line, as their workers logged
# them (a connection line carries none of the last session's fields)
pids() { sed -n 's/.*connection peer=.* pid=\([0-9]*\) sessions=.*/\1/p' "$1"; }

cpus=$(getconf _NPROCESSORS_ONLN)
want=$((cpus * 2))
[ "$want" -ge 4 ] || want=4
[ "$want" -le 32 ] || want=32

edge_conf "$TEST_TMP/pool.json" '"relay_domains": ["example.test"], '"$route"
edge_start pool "$TEST_TMP/pool.json"

test_expect_success "default: a pool of $want workers (2 x $cpus CPUs, 4 to 32)" '
	test_grep -q "listening addr=127.0.0.1:$EDGE_PORT .* workers=$want$" "$TEST_TMP/pool.log"
'

test_expect_success 'default: 8 connections in turn, all relayed by pooled workers' '
	for i in 1 2 3 4 5 6 7 8; do
		send pool-$i >out.$i && test_grep -q "<-  250 2.0.0 Ok" out.$i || exit 1
	done &&
	smtp_sink_wait 8 &&
	pids "$TEST_TMP/pool.log" >pool.pids &&
	test "$(wc -l <pool.pids)" = 8 &&
	n=$(sort -u pool.pids | wc -l) &&
	test "$n" -le "$want" &&
	test "$n" -lt 8 &&
	! grep "connection peer=.* \(session\|client\)=" "$TEST_TMP/pool.log" &&
	test "$(grep -c "message: from=<bob@sender.test> to=<alice@example.test> rcpts=1 size=[0-9]* scl=none actions=none relay=127.0.0.1:$SINK_PORT status=sent reply=\"250 " "$TEST_TMP/pool.log")" = 8
'

EDGE_PORT=
edge_conf "$TEST_TMP/small.json" '"relay_domains": ["example.test"],
  "max_connections": 2, '"$route"
edge_start small "$TEST_TMP/small.json"

test_expect_success 'default: never more workers than max_connections' '
	test_grep -q "listening addr=127.0.0.1:$EDGE_PORT .* max_connections=2 workers=2$" \
		"$TEST_TMP/small.log"
'

EDGE_PORT=
edge_conf "$TEST_TMP/fork.json" '"relay_domains": ["example.test"], "workers": 0, '"$route"
edge_start fork "$TEST_TMP/fork.json"

test_expect_success 'workers 0: a process forked per connection, each relays' '
	test_grep -q "listening addr=127.0.0.1:$EDGE_PORT .* workers=0$" "$TEST_TMP/fork.log" &&
	for i in 1 2 3; do
		send fork-$i >out.$i && test_grep -q "<-  250 2.0.0 Ok" out.$i || exit 1
	done &&
	smtp_sink_wait 11 &&
	pids "$TEST_TMP/fork.log" >fork.pids &&
	test "$(wc -l <fork.pids)" = 3 &&
	test "$(sort -u fork.pids | wc -l)" = 3
'

test_done
