#!/bin/bash
# What a standalone daemon listens on: several named listeners, a unix
# socket (a stale socket file is replaced, ours removed at stop), the
# wildcard on IPv4 and IPv6; and the config errors that stop it early.
. "$(dirname "$0")/lib.sh"
need socat

set -- $(free_ports 4)
P1=$1 P2=$2 PW=$3 PB=$4
SOCK=$TEST_TMP/testd.sock
# conf LISTEN-JSON-ARRAY: a config with that listen list.
conf() {
	printf '{ "log": { "target": "stderr" }, "postern-testd": { "listen": %s } }\n' "$1"
}
conf "[ \"sip=127.0.0.1:$P1\", \"sips=127.0.0.1:$P2\", \"local=unix:$SOCK\" ]" \
	>"$TEST_TMP/multi.json"
conf "[ \"*:$PW\" ]" >"$TEST_TMP/wild.json"

# A socket file left by a daemon that died: bound, then the owner killed.
socat UNIX-LISTEN:"$SOCK" /dev/null & stale=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.05; done
kill -9 $stale; wait $stale 2>/dev/null
[ -S "$SOCK" ] || bail "could not leave a stale socket file"

serve_standalone multi "$P1" postern-testd -c "$TEST_TMP/multi.json" serve -d ||
	bail "daemon did not start"
serve_standalone wild "$PW" postern-testd -c "$TEST_TMP/wild.json" serve -d ||
	bail "daemon did not start"

test_expect_success 'each listener is logged with its name' '
	test_grep "listening addr=127.0.0.1:$P1 listener=sip " multi.log &&
	test_grep "listening addr=127.0.0.1:$P2 listener=sips " multi.log &&
	test_grep "listening addr=unix:$SOCK listener=local " multi.log
'

test_expect_success 'the session knows which listener took the connection' '
	echo QUIT | tcp_chat $P1 >a &&
	test_grep "^postern-testd ready peer=127.0.0.1:[0-9]* fdname=sip$" a &&
	echo QUIT | tcp_chat $P2 >b &&
	test_grep "^postern-testd ready peer=127.0.0.1:[0-9]* fdname=sips$" b
'

test_expect_success 'a unix socket, in place of the stale file' '
	echo PING | socat -t 5 - UNIX-CONNECT:$SOCK >u &&
	printf "postern-testd ready peer=unix fdname=local\nPONG\n" >expected &&
	test_cmp expected u
'

test_expect_success 'the wildcard listens on IPv4 and IPv6' '
	test_grep "listening addr=0.0.0.0:$PW listener=\*:$PW " wild.log &&
	echo QUIT | tcp_chat $PW >w4 &&
	test_grep "^postern-testd ready peer=127.0.0.1:[0-9]* fdname=\*:$PW$" w4 &&
	if grep -q " lo$" /proc/net/if_inet6; then
		test_grep "listening addr=\[::\]:$PW listener=\*:$PW " wild.log &&
		echo QUIT | socat -t 5 - TCP6:[::1]:$PW >w6 &&
		test_grep "^postern-testd ready peer=\[::1\]:[0-9]* fdname=\*:$PW$" w6
	else
		test_grep "no IPv6 on this host" wild.log
	fi
'

test_expect_success 'SIGTERM removes the unix socket file' '
	kill $(serve_pid multi) &&
	test "$(serve_exit multi)" = 0 &&
	! test -e $SOCK
'

test_expect_code 78 'a host name in listen is a config error' '
	conf "[ \"localhost:$PB\" ]" >bad.json &&
	timeout 10 postern-testd -c bad.json serve -d 2>log; rc=$?;
	test_grep "bad listen address: not a numeric IPv4 address" log && exit $rc
'

test_expect_code 78 'an empty listen list is a config error' '
	conf "[]" >empty.json &&
	timeout 10 postern-testd -c empty.json serve -d 2>log; rc=$?;
	test_grep "nothing to listen on" log && exit $rc
'

test_expect_code 69 'a port in use makes the service unavailable' '
	conf "[ \"127.0.0.1:$PB\", \"127.0.0.1:$PW\" ]" >busy.json &&
	timeout 10 postern-testd -c busy.json serve -d 2>log; rc=$?;
	test_grep "cannot listen: Address already in use addr=127.0.0.1:$PW" log &&
	test "$(wc -l <log)" = 1 || exit 1
	exit $rc
'

test_done
