#!/bin/bash
# One session code path, four ways in: the same line-protocol exchange in
# standalone, inetd, systemd Accept=no and Accept=yes modes, each with the
# right peer address and listener name, and the peer from inetd's
# environment variables.
. "$(dirname "$0")/lib.sh"
need socat systemd-socket-activate

set -- $(free_ports 8)
P_SA=$1 P_IN=$2 P_NA=$3 P_AC=$4 C_SA=$5 C_IN=$6 C_NA=$7 C_AC=$8
cat >"$TEST_TMP/c.json" <<EOF
{ "log": { "target": "stderr" },
  "postern-testd": { "listen": [ "main=127.0.0.1:$P_SA" ] } }
EOF
printf 'PING\nECHO hello  world\nENV LISTEN_PID\nENV LISTEN_FDS\nQUIT\n' >"$TEST_TMP/script"
CMD="postern-testd -c $TEST_TMP/c.json serve"

# expect PEERPORT FDNAME: the reply to the script.
expect() {
	cat <<EOF
postern-testd ready peer=127.0.0.1:$1 fdname=$2
PONG
hello  world
(unset)
(unset)
BYE
EOF
}

serve_standalone sa "$P_SA" $CMD -d || bail "standalone daemon did not start"
serve_inetd inetd "$P_IN" $CMD --inetd || bail "inetd did not start"
serve_systemd sdlisten "$P_NA" noaccept $CMD || bail "socket activation did not start"
serve_systemd sdconn "$P_AC" accept $CMD || bail "socket activation did not start"

test_expect_success 'standalone: the exchange, the peer and the listener name' '
	tcp_chat $P_SA ",sourceport=$C_SA,reuseaddr" <script >actual &&
	expect $C_SA main >expected &&
	test_cmp expected actual &&
	test_grep "connection peer=127.0.0.1:$C_SA listener=main pid=[0-9]* sessions=1" sa.log
'

test_expect_success 'inetd: the same exchange on stdin and stdout' '
	tcp_chat $P_IN ",sourceport=$C_IN,reuseaddr" <script >actual &&
	expect $C_IN inetd >expected &&
	test_cmp expected actual &&
	test_grep "connection peer=127.0.0.1:$C_IN listener=inetd" inetd.log
'

test_expect_success 'systemd Accept=no: the accept loop on the passed socket' '
	tcp_chat $P_NA ",sourceport=$C_NA,reuseaddr" <script >actual &&
	expect $C_NA sdlisten >expected &&
	test_cmp expected actual &&
	test_grep "listening addr=127.0.0.1:$P_NA listener=sdlisten" sdlisten.log &&
	test_grep "connection peer=127.0.0.1:$C_NA listener=sdlisten pid=" sdlisten.log
'

test_expect_success 'systemd Accept=no: later connections reach the same listener' '
	echo PING | tcp_chat $P_NA >actual &&
	test_grep "^PONG$" actual &&
	test $(grep -c "listening addr=" sdlisten.log) = 1
'

test_expect_success 'systemd Accept=yes: one session on the passed connection' '
	tcp_chat $P_AC ",sourceport=$C_AC,reuseaddr" <script >actual &&
	expect $C_AC sdconn >expected &&
	test_cmp expected actual &&
	test_grep "connection peer=127.0.0.1:$C_AC listener=sdconn$" sdconn.log
'

test_expect_success 'inetd: peer from REMOTE_ADDR and REMOTE_PORT' '
	echo QUIT | REMOTE_ADDR=192.0.2.7 REMOTE_PORT=4444 $CMD --inetd >actual 2>log &&
	printf "postern-testd ready peer=192.0.2.7:4444 fdname=inetd\nBYE\n" >expected &&
	test_cmp expected actual
'

test_expect_success 'inetd: peer from TCPREMOTEIP and TCPREMOTEPORT (IPv6)' '
	echo QUIT | TCPREMOTEIP=2001:db8::25 TCPREMOTEPORT=587 $CMD --inetd >actual 2>log &&
	test_grep "^postern-testd ready peer=\[2001:db8::25\]:587 fdname=inetd$" actual
'

test_expect_success 'inetd: a malformed REMOTE_ADDR is ignored and logged' '
	echo QUIT | REMOTE_ADDR="1.2.3.4 x" REMOTE_PORT=1 $CMD --inetd >actual 2>log &&
	test_grep "^postern-testd ready peer=unknown fdname=inetd$" actual &&
	test_grep "ignoring a malformed peer address var=REMOTE_ADDR value=\"1.2.3.4 x\"" log
'

test_expect_code 64 'no mode and no socket activation is a usage error' '
	timeout 10 $CMD </dev/null 2>log; rc=$?;
	grep -q "not socket-activated" log && exit $rc
'

test_expect_code 64 'an unknown serve option is a usage error' '
	timeout 10 $CMD --bogus </dev/null
'

test_done
