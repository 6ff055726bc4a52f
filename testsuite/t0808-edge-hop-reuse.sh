#!/bin/bash
# The next-hop session is reused: across the domains of one transaction
# and across transactions when the domains' MX hosts include the host we
# talk to (MX routes), and, in a pooled worker, across client
# connections (parked between them, checked before use, replaced when the
# next hop has gone meanwhile, QUIT at the worker's exit). MAIL goes to
# the next hop pipelined with the first RCPT when it offers PIPELINING.
# DATA goes to the next hop without waiting for its 354 (our 354 at
# once); a DATA it refuses is answered with its refusal after the data,
# the data never reaches it, and RSET follows.
# The sink's own log says how many connections it saw.
. "$(dirname "$0")/lib.sh"
need smtp-sink python3

smtp_sink_start
cat >"$TEST_TMP/reuse.zone" <<'ZONE'
hub.test. 3600 IN SOA ns.hub.test. h.hub.test. 1 3600 600 86400 60
mx.hub.test. 60 IN A 127.0.0.1
mx.other.test. 60 IN A 127.0.0.1
d1.test. 3600 IN SOA ns.hub.test. h.hub.test. 1 3600 600 86400 60
d1.test. 60 IN MX 10 mx.hub.test.
d2.test. 3600 IN SOA ns.hub.test. h.hub.test. 1 3600 600 86400 60
d2.test. 60 IN MX 10 mx.hub.test.
d3.test. 3600 IN SOA ns.hub.test. h.hub.test. 1 3600 600 86400 60
d3.test. 60 IN MX 5 mx.other.test.
d3.test. 60 IN MX 10 mx.hub.test.
d4.test. 3600 IN SOA ns.hub.test. h.hub.test. 1 3600 600 86400 60
d4.test. 60 IN MX 10 mx.other.test.
ZONE
dns_start "$TEST_TMP/reuse.zone"
cd "$TEST_TMP" || exit 1

# A next hop that offers PIPELINING and writes down each read it got
# (commands joined by "|"), to see what came in one write.
cat >pyhop.py <<'PY'
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(4)
log = open(sys.argv[2], "w")

def session(c):
    c.sendall(b"220 pyhop ESMTP\r\n")
    buf, data, nodata = b"", False, False
    while True:
        d = c.recv(65536)
        if not d:
            return
        if not data:
            log.write(d.decode().replace("\r\n", "|") + "\n")
            log.flush()
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.rstrip(b"\r")
            if data:
                if line == b".":
                    data = False
                    c.sendall(b"250 2.0.0 queued by pyhop\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                c.sendall(b"250-pyhop\r\n250 PIPELINING\r\n")
            elif verb == b"DATA" and nodata:
                c.sendall(b"554 5.5.1 no data for nodata\r\n")
            elif verb == b"DATA":
                data = True
                c.sendall(b"354 go\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 bye\r\n")
                return
            else:
                if verb == b"RSET":
                    nodata = False
                elif line.upper().startswith(b"RCPT TO:<NODATA@"):
                    nodata = True
                c.sendall(b"250 2.0.0 ok\r\n")

while True:
    c, _ = ls.accept()
    try:
        session(c)
    except OSError:
        pass
    c.close()
PY
PY_PORT=$(free_ports 1)
edge_conf edge.json '"workers": 1, "relay_networks": ["127.0.0.0/8"],
    "routes": { "pipe.test": { "host": "127.0.0.1:'"$PY_PORT"'", "tls": "none" },
                "*": { "mx": true, "port": '"$SINK_PORT"', "tls": "none" } }'
edge_start edge edge.json
LOG=$TEST_TMP/edge.log

# connections the sink saw (wait_port's probe included)
sink_conns() { grep -c "connect (AF_INET" "$SINK_LOG"; }
log_since() { tail -n +"$(($1 + 1))" "$LOG"; }

test_expect_success 'two domains with the same MX host: one transaction, one hop session' '
	before=$(wc -l <"$LOG") && conns=$(sink_conns) &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<a@d1.test>\r\nRCPT TO:<b@d2.test>\r\nRCPT TO:<c@d4.test>\r\nRCPT TO:<d@d3.test>\r\nDATA\r\nSubject: shared\r\n\r\nx\r\n.\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<e@d2.test>\r\nDATA\r\nSubject: again\r\n\r\ny\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test "$(grep -c "^250 2.1.5" out)" = 4 &&
	test_grep "^452 4.5.3 <c@d4.test>: Recipient for another route" out &&
	test "$(grep -c "^250 2.0.0 Ok" out)" = 2 &&
	smtp_sink_wait 2 &&
	f=$(grep -l "Subject: shared" "$SINK_DIR"/*) &&
	test_grep "X-Rcpt-Args: <a@d1.test>" "$f" &&
	test_grep "X-Rcpt-Args: <b@d2.test>" "$f" &&
	test_grep "X-Rcpt-Args: <d@d3.test>" "$f" &&
	! grep -q "d4.test" "$f" &&
	f=$(grep -l "Subject: again" "$SINK_DIR"/*) &&
	test_grep "X-Rcpt-Args: <e@d2.test>" "$f" &&
	test "$(sink_conns)" = $((conns + 1)) &&
	log_since $before >session.log &&
	test "$(grep -c "next hop ready" session.log)" = 1 &&
	test_grep "defer: other route to=c@d4.test" session.log
'

test_expect_success 'MAIL and the first RCPT reach the hop in one write (PIPELINING)' '
	before=$(wc -l <"$LOG") &&
	bg_start pyhop python3 "$TEST_TMP/pyhop.py" $PY_PORT "$TEST_TMP/pyhop.chunks" &&
	wait_port $PY_PORT &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<p@pipe.test>\r\nRCPT TO:<q@pipe.test>\r\nDATA\r\nSubject: piped\r\n\r\nz\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	test "$(grep -c "^250 2.0.0 ok" out)" = 2 &&
	test_grep "^250 2.0.0 queued by pyhop" out &&
	test_grep -x "MAIL FROM:<bob@sender.test>|RCPT TO:<p@pipe.test>|" pyhop.chunks &&
	test_grep -x "RCPT TO:<q@pipe.test>|" pyhop.chunks
'

test_expect_success 'a DATA the hop refuses: its reply after the data, nothing of it sent, RSET, the next message passes' '
	n0=$(wc -l <pyhop.chunks) &&
	printf "EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<nodata@pipe.test>\r\nDATA\r\nSubject: refused\r\n\r\nz\r\n.\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<p@pipe.test>\r\nDATA\r\nSubject: next\r\n\r\nz\r\n.\r\nQUIT\r\n" >in &&
	smtp_raw $EDGE_PORT in >out &&
	cat out &&
	test "$(grep -c "^354 " out)" = 2 &&
	test_grep "^554 5.5.1 no data for nodata" out &&
	test "$(grep -c "^250 2.0.0 queued by pyhop" out)" = 1 &&
	tail -n +"$((n0 + 1))" pyhop.chunks >chunks &&
	cat chunks &&
	! grep -q "Subject: refused" chunks &&
	test_grep "RSET" chunks &&
	test_grep "reject: next hop refused the message" "$LOG" &&
	test_grep "status=rejected reply=\"554 5.5.1 no data for nodata\"" "$LOG"
'

test_expect_success 'the next client connection in the worker reuses the parked hop session' '
	before=$(wc -l <"$LOG") && conns=$(sink_conns) &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to f@d1.test \
		--helo client.test --header "Subject: parked" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	smtp_sink_wait 3 &&
	test "$(sink_conns)" = $conns &&
	log_since $before >session.log &&
	! grep -q "next hop ready" session.log &&
	test_grep "accept: message passed on .*hop=127.0.0.1:$SINK_PORT(mx.hub.test)" session.log
'

test_expect_success 'a parked hop session that died meanwhile is replaced, nothing lost' '
	kill $(cat smtp-sink.pid) && sleep 0.3 &&
	bg_start smtp-sink-again smtp-sink -v -u root -h sink.example.test \
		-d "$SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 16 &&
	wait_port $SINK_PORT &&
	swaks --server 127.0.0.1:$EDGE_PORT --from bob@sender.test --to g@d2.test \
		--helo client.test --header "Subject: after restart" >out 2>&1 &&
	test_grep "<-  250 2.0.0 Ok" out &&
	grep -l "Subject: after restart" "$SINK_DIR"/* &&
	test "$(grep -c "connect (AF_INET" smtp-sink-again.log)" = 2
'

test_expect_success 'the worker says QUIT to its parked hop session when it exits' '
	kill -TERM $(serve_pid edge) &&
	test "$(serve_exit edge)" = 0 &&
	sleep 0.2 &&
	tail -n 2 smtp-sink-again.log >tail &&
	test_grep "QUIT" tail
'

test_done
