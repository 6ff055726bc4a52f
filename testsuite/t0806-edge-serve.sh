#!/bin/bash
# smtp-edge served the three ways with one code path: from inetd
# (systemd-socket-activate --inetd), from a systemd socket (Accept=no and
# Accept=yes), standalone; SIGHUP re-reads a deny-list file; a client that
# talks before the greeting is refused (pregreet).
. "$(dirname "$0")/lib.sh"
need swaks smtp-sink python3

smtp_sink_start
echo "# nobody denied yet" >"$TEST_TMP/deny.txt"
edge_conf "$TEST_TMP/edge.json" '"relay_domains": ["example.test"],
  "deny": ["'"$TEST_TMP"'/deny.txt"],
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
send() { swaks --server "127.0.0.1:$1" --from bob@sender.test --to alice@example.test \
	--helo client.test --header "Subject: $2" --body "via $2"; }

port=$(free_ports 1)
serve_inetd inetd "$port" smtp-edge -c "$TEST_TMP/edge.json" --inetd

test_expect_success 'inetd: one smtp-edge per connection relays, the peer from the socket' '
	send "$port" inetd-mode >out &&
	test_grep -q "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 1 &&
	f=$(grep -l "Subject: inetd-mode" "$SINK_DIR"/*) &&
	test_grep -q "^Received: from client.test (\[127.0.0.1\])" "$f"
'

port=$(free_ports 1)
serve_systemd edge-noaccept "$port" noaccept smtp-edge -c "$TEST_TMP/edge.json"
test_expect_success 'systemd Accept=no: the listening socket is taken over' '
	send "$port" accept-no >out && test_grep -q "<-  250 2.0.0 Ok" out &&
	send "$port" accept-no-2 >out && test_grep -q "<-  250 2.0.0 Ok" out &&
	test_grep -q "listening addr=127.0.0.1:$port" "$TEST_TMP/edge-noaccept.log"
'

port=$(free_ports 1)
serve_systemd edge-accept "$port" accept smtp-edge -c "$TEST_TMP/edge.json"
test_expect_success 'systemd Accept=yes: one session on the passed connection' '
	send "$port" accept-yes >out && test_grep -q "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 4 &&
	grep -l "Subject: accept-yes" "$SINK_DIR"/* >/dev/null
'

EDGE_PORT=
edge_conf "$TEST_TMP/edge-sa.json" '"relay_domains": ["example.test"],
  "deny": ["'"$TEST_TMP"'/deny.txt"], "pregreet_wait": "1s",
  "routes": { "example.test": { "host": "127.0.0.1:'"$SINK_PORT"'", "tls": "none" } }'
edge_start edge "$TEST_TMP/edge-sa.json"
pid=$(serve_pid edge)

test_expect_success 'standalone: relayed before the deny list names the client' '
	send "$EDGE_PORT" before-hup >out && test_grep -q "<-  250 2.0.0 Ok" out
'

test_expect_success 'SIGHUP re-reads the deny file: the next connection is refused' '
	echo "127.0.0.0/8" >>"$TEST_TMP/deny.txt" &&
	kill -HUP "$pid" &&
	serve_wait_log edge "reloaded" &&
	{ send "$EDGE_PORT" after-hup >out; true; } &&
	test_grep -q "<\*\* 554 5.7.1" out &&
	! grep -q "Subject: after-hup" "$SINK_DIR"/* &&
	test_grep -q "layer=1" "$TEST_TMP/edge.log"
'

test_expect_success 'a client that talks before the greeting is refused' '
	: >"$TEST_TMP/deny.txt" && kill -HUP "$pid" &&
	sleep 0.3 &&
	python3 -c "
import socket
s = socket.create_connection((\"127.0.0.1\", $EDGE_PORT), timeout=10)
s.sendall(b\"EHLO early.test\r\n\")
data = b\"\"
while True:
    d = s.recv(4096)
    if not d: break
    data += d
print(data.decode())
" >out &&
	test_grep -q "^554 5.5.1 .*talked before the greeting" out &&
	test_grep -q "pregreet" "$TEST_TMP/edge.log"
'

test_expect_success 'a patient client gets the greeting after the pregreet wait' '
	send "$EDGE_PORT" patient >out && test_grep -q "<-  250 2.0.0 Ok" out
'

test_done
