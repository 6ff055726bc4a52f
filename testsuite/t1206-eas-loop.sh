#!/bin/bash
# eas-policy's event loop (event_loop, the default with -d): the bytes on
# the wire are those of the process-per-connection way (the same
# requests through both, the answers and what the backend got compared);
# many keep-alive clients at once; a Ping held at the backend while
# others pass; a request sent a byte at a time; a chunked, a
# close-delimited and a large answer (handed to a process of its own) on
# a connection that then goes on; a chunked request body (handed off)
# and a Provision on one connection; a backend that closes its kept
# connection; a client gone before its answer; a slow head (408) and an
# idle client (closed); descriptors back to where they were.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need python3 curl

EAS_PING_DELAY=2
# One secret: the same keys from every eas-policy started here.
head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n" >"$TEST_TMP/secret"
eas_start "\"idle_timeout\": \"3s\", \"header_timeout\": \"2s\", \"secret_file\": \"$TEST_TMP/secret\"" ||
	bail "cannot start eas-policy and its backend"
test_grep -q "event_loop=yes" "$TEST_TMP/eas.log" || bail "eas-policy -d is not on its event loop"
KEY=$(eas_provision alice L1) && test -n "$KEY" || bail "cannot provision the test device"
eas-policy -c "$EAS_CONF" encode <"$EAS_FIX/docs/foldersync.xml" >"$TEST_TMP/fs.wbxml"

# A raw HTTP client: requests from a file of JSON lines (or built here),
# answers read by their framing and printed as JSON lines.
cat >"$TEST_TMP/wire.py" <<'PY'
import json, os, socket, sys, threading, time

KEY = os.environ.get("KEY", "0")
FS = open(os.path.join(os.path.dirname(__file__), "fs.wbxml"), "rb").read()
Q = "/Microsoft-Server-ActiveSync?Cmd=%s&User=alice&DeviceId=%s&DeviceType=T"

def req(cmd, body=FS, extra=b"", key=None, method="POST", target=None, dev="L1"):
    k = KEY if key is None else key
    t = target or Q % (cmd, dev)
    head = ("%s %s HTTP/1.1\r\nHost: eas.test\r\nMS-ASProtocolVersion: 14.1\r\n"
            "X-MS-PolicyKey: %s\r\nAuthorization: Basic YWxpY2U6cHc=\r\n"
            "Content-Type: application/vnd.ms-sync.wbxml\r\n" % (method, t, k)).encode()
    if b"chunked" in extra:
        return head + extra + b"\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    return head + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", int(port)))
        self.buf = b""
    def more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d
    def line(self):
        while b"\r\n" not in self.buf:
            self.more()
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l
    def take(self, n):
        while len(self.buf) < n:
            self.more()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d
    def answer(self, head_only=False):
        status = self.line()
        hdrs = []
        while True:
            l = self.line()
            if not l:
                break
            hdrs.append(l)
        h = {l.split(b":")[0].lower(): l.split(b":", 1)[1].strip() for l in hdrs}
        body = b""
        if head_only:
            pass
        elif h.get(b"transfer-encoding") == b"chunked":
            while True:
                n = int(self.line(), 16)
                if n == 0:
                    self.line()
                    break
                body += self.take(n)
                self.line()
        elif b"content-length" in h:
            body = self.take(int(h[b"content-length"]))
        else:
            try:
                while True:
                    self.more()
            except EOFError:
                pass
            body, self.buf = self.buf, b""
        # The date is the clock's; chunk sizes are the backend's reads.
        hdrs = [l for l in hdrs if not l.lower().startswith(b"date:")]
        return {"status": status.decode(), "headers": [l.decode("latin1") for l in hdrs],
                "body": body.hex()}

def run(port, reqs):
    c = Conn(port)
    out = []
    for r in reqs:
        c.s.sendall(r)
        out.append(c.answer())
    return out
PY
export KEY

# The same requests, one connection, through eas-policy (loop) or a
# second one on the process-per-connection way; answers as JSON lines.
cat >"$TEST_TMP/same.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from wire import *
# Refusals by the rules close the connection: each on one of its own.
groups = [[req("FolderSync"), req("FolderSync", key="0"), req("Sync"), req("Ping"),
           req("Settings", body=FS), req("FolderSync", extra=b"Transfer-Encoding: chunked"),
           b"OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: eas.test\r\n\r\n",
           req("FolderSync", dev="NOSUCH"), req("FolderSync")],
          [req("FolderSync", method="GET", body=b"")],
          [req("FolderSync", target="/Microsoft-Server-ActiveSync?Cmd=FolderSync")],
          [req("FolderSync", target=Q % ("FolderSync", "L1") + "&" + "x" * 600)]]
for g in groups:
    for a in run(sys.argv[1], g):
        print(json.dumps(a))
PY

test_expect_success 'the same requests: the same answers and backend requests with and without the loop' '
	: >"$EAS_BLOG" &&
	python3 "$TEST_TMP/same.py" "$EAS_PORT" "$TEST_TMP" >loop.out &&
	cp "$EAS_BLOG" loop.blog &&
	grep -v "^[^}]*\"listen\"" "$EAS_CONF" >/dev/null &&
	read -r P2 <<-EOF &&
	$(free_ports 1)
	EOF
	sed "s/127.0.0.1:$EAS_PORT\"/127.0.0.1:$P2\"/; s/\"backend_timeout\"/\"event_loop\": false, \"backend_timeout\"/" \
		"$EAS_CONF" >procs.json &&
	{ eas-policy -c procs.json -d >procs.log 2>&1 & echo $! >"$TEST_TMP/procs.pid"; } &&
	cleanup_push "kill $(cat "$TEST_TMP/procs.pid")" &&
	wait_port "$P2" &&
	! test_grep -q "event_loop=yes" procs.log &&
	: >"$EAS_BLOG" &&
	python3 "$TEST_TMP/same.py" "$P2" "$TEST_TMP" >procs.out &&
	cp "$EAS_BLOG" procs.blog &&
	test $(wc -l <loop.out) = 12 &&
	test_cmp procs.out loop.out &&
	test_cmp procs.blog loop.blog &&
	test $(wc -l <loop.blog) = 6 &&
	test $(grep -c "\"Content-Length: 15\", \"Content-Type: application/vnd.ms-sync.wbxml\", \"MS-Server" loop.out) = 2 &&
	test_grep -q "HTTP/1.1 405" loop.out &&
	test_grep -q "HTTP/1.1 400" loop.out && test_grep -q "HTTP/1.1 414" loop.out &&
	kill "$(cat "$TEST_TMP/procs.pid")"
'

test_expect_success 'the request log lines are those of the process-per-connection way' '
	# A connection process logs after its answer went out: wait for it.
	for _ in $(seq 50); do
		test $(grep -c "request method=" procs.log) -ge 12 && break; sleep 0.1
	done &&
	sed -n "s/.*\(request method=[^ ]* path=[^ ]* status=[0-9]* bytes=[0-9]*\).*/\1/p" \
		procs.log | sort >procs.lines &&
	# Sorted: answers to different connections may be logged in either
	# order, by the loop as by connection processes.
	sed -n "s/.*\(request method=[^ ]* path=[^ ]* status=[0-9]* bytes=[0-9]*\).*/\1/p" \
		"$TEST_TMP/eas.log" | tail -n $(wc -l <procs.lines) | sort >loop.lines &&
	test $(wc -l <procs.lines) -ge 10 &&
	test_cmp procs.lines loop.lines
'

test_expect_success '20 keep-alive clients at once, 10 requests each: all pass' '
	: >"$EAS_BLOG" &&
	python3 - "$EAS_PORT" "$TEST_TMP" >many.out <<-"PY" &&
	import sys, threading
	sys.path.insert(0, sys.argv[2])
	from wire import *
	res = []
	def one():
	    res.extend(a["status"] + " " + a["body"] for a in run(sys.argv[1], [req("FolderSync")] * 10))
	ts = [threading.Thread(target=one) for _ in range(20)]
	[t.start() for t in ts]; [t.join() for t in ts]
	print(len(res), len(set(res)), res[0])
	PY
	test_grep -q "^200 1 HTTP/1.1 200 OK 03016a000007564c03310001520331000101$" many.out &&
	test $(wc -l <"$EAS_BLOG") = 200
'

test_expect_success 'a Ping held at the backend does not hold up another client' '
	python3 - "$EAS_PORT" "$TEST_TMP" >ping.out <<-"PY" &&
	import sys, threading, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	t0 = time.time(); got = {}
	def ping():
	    got["ping"] = (run(sys.argv[1], [req("Ping")])[0]["status"], time.time() - t0)
	t = threading.Thread(target=ping); t.start(); time.sleep(0.3)
	a = run(sys.argv[1], [req("FolderSync")] * 3)
	got["fs"] = (a[-1]["status"], time.time() - t0)
	t.join()
	print("ping", got["ping"][0], "%.1f" % got["ping"][1], "fs", got["fs"][0], "%.1f" % got["fs"][1])
	PY
	cat ping.out &&
	test_grep -q "^ping HTTP/1.1 200 OK [2-4]\.[0-9] fs HTTP/1.1 200 OK [01]\.[0-9]$" ping.out &&
	# held behind the Ping, the FolderSyncs would end with it (2 s or
	# more); a margin below that for a busy machine
	awk "{ exit !(\$10 < 1.8) }" ping.out
'

test_expect_success 'a request sent a byte at a time passes' '
	python3 - "$EAS_PORT" "$TEST_TMP" >bytes.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1])
	for b in req("FolderSync"):
	    c.s.send(bytes([b])); time.sleep(0.001)
	a = c.answer()
	c.s.sendall(req("FolderSync"))
	print(a["status"], a["body"], c.answer()["status"])
	PY
	test_grep -q "^HTTP/1.1 200 OK 03016a000007564c03310001520331000101 HTTP/1.1 200 OK$" bytes.out
'

test_expect_success 'a chunked answer (Sync), then more requests on that connection' '
	python3 - "$EAS_PORT" "$TEST_TMP" >sync.out <<-"PY" &&
	import sys
	sys.path.insert(0, sys.argv[2])
	from wire import *
	for a in run(sys.argv[1], [req("Sync"), req("FolderSync"), req("Sync")]):
	    print(a["status"], a["body"], "chunked" if "Transfer-Encoding: chunked" in a["headers"] else "length")
	PY
	test $(grep -c "^HTTP/1.1 200 OK 03016a000007564c03310001520331000101 chunked$" sync.out) = 2 &&
	test_grep -q "^HTTP/1.1 200 OK 03016a000007564c03310001520331000101 length$" sync.out
'

test_expect_success 'a chunked request body and a Provision on one connection, then a FolderSync' '
	: >"$EAS_BLOG" &&
	python3 - "$EAS_PORT" "$TEST_TMP" >handoff.out <<-"PY" &&
	import subprocess, sys
	sys.path.insert(0, sys.argv[2])
	from wire import *
	prov = subprocess.run(["eas-policy", "-c", sys.argv[2] + "/eas.json", "encode"], check=True,
	    capture_output=True, input=b"<Provision xmlns=\"Provision:\"><Policies><Policy><PolicyType>MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>").stdout
	for a in run(sys.argv[1], [req("FolderSync", extra=b"Transfer-Encoding: chunked"),
	                           req("Provision", body=prov, key="0", dev="L2"), req("FolderSync")]):
	    print(a["status"], len(a["body"]))
	PY
	test $(grep -c "^HTTP/1.1 200 OK" handoff.out) = 3 &&
	test $(wc -l <"$EAS_BLOG") = 2 &&
	test_grep -q "Transfer-Encoding.: .chunked" "$EAS_BLOG"
'

test_expect_success 'a client gone before its answer: the others go on' '
	python3 - "$EAS_PORT" "$TEST_TMP" >gone.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1]); c.s.sendall(req("Ping")); time.sleep(0.2); c.s.close()
	print(run(sys.argv[1], [req("FolderSync")])[0]["status"])
	time.sleep(2.5)
	print(run(sys.argv[1], [req("FolderSync")])[0]["status"])
	PY
	test $(grep -c "^HTTP/1.1 200 OK$" gone.out) = 2
'

test_expect_success 'a head that does not come whole in header_timeout: 408' '
	python3 - "$EAS_PORT" "$TEST_TMP" >slow.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1]); c.s.sendall(req("FolderSync")[:40]); t0 = time.time()
	a = c.answer()
	print(a["status"], "%.0f" % (time.time() - t0))
	PY
	test_grep -q "^HTTP/1.1 408 Request Timeout 2$" slow.out &&
	test_grep -q "bad request status=408" "$TEST_TMP/eas.log"
'

test_expect_success 'a client idle past idle_timeout is closed' '
	python3 - "$EAS_PORT" "$TEST_TMP" >idle.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1]); c.s.sendall(req("FolderSync")); c.answer(); t0 = time.time()
	print(c.s.recv(10), "%.0f" % (time.time() - t0))
	PY
	test_grep -q "^b.. 3$" idle.out
'

# A backend of odd answers: FolderSync close-delimited, ItemOperations
# 300000 bytes by length, GetAttachment 32 MiB; every kept connection
# closed after 0.5 s idle.
cat >"$TEST_TMP/odd.py" <<'PY'
import socket, sys, threading
BODY = bytes(range(256)) * 1172
def serve(c):
    c.settimeout(0.5)
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
            while len(buf) < n:
                buf += c.recv(65536)
            buf = buf[n:]
            if b"Cmd=FolderSync" in head:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nuntil the end")
                return
            body = BODY if b"Cmd=ItemOperations" in head else b"short"
            if b"Cmd=GetAttachment" in head:
                body = b"x" * (32 << 20)
            if b"Cmd=MoveItems" in head:
                c.sendall(b"HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 5\r\n\r\nshort")
                continue
            if b"Cmd=GetItemEstimate" in head:
                c.sendall(b"HTTP/1.1 200 OK\r\nX-Odd:\t  two  words \t\r\nX-Empty:\r\n"
                          b"X-C\rR: name\r\nX-V: val\rue\r\nContent-Length: 5\r\n\r\nshort")
                continue
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    except socket.timeout:
        pass
    finally:
        c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
while True:
    threading.Thread(target=serve, args=(s.accept()[0],), daemon=True).start()
PY
read -r OPORT P3 <<EOF
$(free_ports 2)
EOF
bg_start odd python3 "$TEST_TMP/odd.py" "$OPORT"
sed "s/127.0.0.1:$EAS_PORT\"/127.0.0.1:$P3\"/; s/127.0.0.1:$EAS_BPORT\"/127.0.0.1:$OPORT\"/" \
	"$EAS_CONF" >"$TEST_TMP/odd.json"
bg_start eas3 eas-policy -c "$TEST_TMP/odd.json" -d
wait_port "$OPORT" && wait_port "$P3" || bail "cannot start the odd backend"

test_expect_success 'a close-delimited and a large answer, a backend closing its kept connection' '
	python3 - "$P3" "$TEST_TMP" >odd.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1])
	for cmd in ["Search", "FolderSync", "ItemOperations", "Search"]:
	    c.s.sendall(req(cmd)); a = c.answer()
	    print(cmd, a["status"], len(a["body"]) // 2, a["body"][:8])
	time.sleep(1)
	c.s.sendall(req("Search")); a = c.answer(); print("after", a["status"], a["body"])
	PY
	cat odd.out &&
	test_grep -q "^Search HTTP/1.1 200 OK 5 73686f72$" odd.out &&
	test_grep -q "^FolderSync HTTP/1.1 200 OK 13 756e7469$" odd.out &&
	test_grep -q "^ItemOperations HTTP/1.1 200 OK 300032 00010203$" odd.out &&
	test $(grep -c "^Search HTTP/1.1 200 OK 5" odd.out) = 2 &&
	test_grep -q "^after HTTP/1.1 200 OK 73686f7274$" odd.out
'

test_expect_success 'a backend head with a NUL in a field: 502; blanks around a value as the blocking way has them; a CR in a name or value: that field dropped' '
	python3 - "$P3" "$TEST_TMP" >heads.out <<-"PY" &&
	import sys
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1])
	for cmd in ["MoveItems", "GetItemEstimate", "Search"]:
	    c.s.sendall(req(cmd)); a = c.answer()
	    print(cmd, a["status"], "|".join(h for h in a["headers"] if h.startswith("X-")), a["body"])
	PY
	cat heads.out &&
	test_grep -q "^MoveItems HTTP/1.1 502 " heads.out &&
	test_grep -q "backend failed user=alice device=L1 cmd=MoveItems reason=.no valid answer" \
		"$TEST_TMP/eas3.log" &&
	test_grep -q "^GetItemEstimate HTTP/1.1 200 OK X-Odd: two  words $(printf "\t")|X-Empty: |X-Content-Type-Options" heads.out &&
	test_grep -q "^Search HTTP/1.1 200 OK .* 73686f7274$" heads.out
'

test_expect_success 'a client gone in the middle of a large answer: logged, the next passes' '
	python3 - "$P3" "$TEST_TMP" >cut.out <<-"PY" &&
	import sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1]); c.s.sendall(req("GetAttachment")); c.answer(head_only=True)
	c.s.close(); time.sleep(0.3)
	print(run(sys.argv[1], [req("Search")])[0]["status"])
	PY
	test_grep -q "^HTTP/1.1 200 OK$" cut.out &&
	sleep 0.5 &&
	test_grep -q "pass-through cut short user=alice device=L1 cmd=GetAttachment" "$TEST_TMP/eas3.log"
'

test_expect_success 'three requests in one write (pipelined): three answers in order' '
	python3 - "$EAS_PORT" "$TEST_TMP" >pipe.out <<-"PY" &&
	import sys
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1])
	c.s.sendall(req("FolderSync") + req("Sync") + b"OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: a\r\n\r\n")
	for _ in range(3):
	    a = c.answer(); print(a["status"], len(a["body"]) // 2)
	PY
	printf "HTTP/1.1 200 OK %s\n" 18 18 0 >want &&
	test_cmp want pipe.out
'

test_expect_success 'a client that does not read its answers holds up no one else' '
	python3 - "$EAS_PORT" "$TEST_TMP" >noread.out <<-"PY" &&
	import socket, sys, threading, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn.__new__(Conn); c.buf = b""
	c.s = socket.socket(); c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
	c.s.connect(("127.0.0.1", int(sys.argv[1])))
	t = threading.Thread(target=c.s.sendall, args=(req("FolderSync") * 400,)); t.start()
	time.sleep(1.5); t0 = time.time()
	a = run(sys.argv[1], [req("FolderSync")])[0]
	print("other", a["status"], "%.1f" % (time.time() - t0))
	n = sum(1 for _ in range(400) if c.answer()["status"] == "HTTP/1.1 200 OK")
	t.join(); print("slow", n)
	PY
	cat noread.out &&
	test_grep -q "^other HTTP/1.1 200 OK 0\.[0-4]$" noread.out &&
	test_grep -q "^slow 400$" noread.out
'

# A backend whose connections hang (a full listen queue, SYNs dropped):
# its connect waits in the loop, not in front of the other clients.
cat >"$TEST_TMP/stall.py" <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(0)
fill = []
for _ in range(8):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", int(sys.argv[1]))); fill.append(c)
open(sys.argv[2], "w").write("full\n")
time.sleep(600)
PY
read -r SPORT P4 <<EOF
$(free_ports 2)
EOF
bg_start stall python3 "$TEST_TMP/stall.py" "$SPORT" "$TEST_TMP/stall.ready"
sed "s/127.0.0.1:$EAS_PORT\"/127.0.0.1:$P4\"/; s/127.0.0.1:$EAS_BPORT\"/127.0.0.1:$SPORT\"/; s/\"backend_timeout\"/\"backend_connect_timeout\": \"1500ms\", \"backend_timeout\"/" \
	"$EAS_CONF" >"$TEST_TMP/stall.json"
bg_start eas4 eas-policy -c "$TEST_TMP/stall.json" -d
wait_port "$P4" || bail "cannot start eas-policy in front of the stalled backend"

test_expect_success 'a backend connection that hangs: 502 after the connect timeout, others served meanwhile' '
	for _ in $(seq 50); do test -s "$TEST_TMP/stall.ready" && break; sleep 0.1; done &&
	python3 - "$P4" "$TEST_TMP" >stall.out <<-"PY" &&
	import sys, threading, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	t0 = time.time(); got = {}
	def fs():
	    got["fs"] = (run(sys.argv[1], [req("FolderSync")])[0]["status"], time.time() - t0)
	t = threading.Thread(target=fs); t.start(); time.sleep(0.3)
	a = run(sys.argv[1], [b"OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: a\r\n\r\n"])[0]
	got["opt"] = (a["status"], time.time() - t0)
	t.join()
	print("options", got["opt"][0], "%.1f" % got["opt"][1], "fs", got["fs"][0], "%.0f" % got["fs"][1])
	PY
	cat stall.out &&
	test_grep -q "^options HTTP/1.1 200 OK 0\.[3-9] fs HTTP/1.1 502 Bad Gateway 2$" stall.out &&
	test_grep -q "backend failed user=alice device=L1 cmd=FolderSync reason=\"cannot connect to 127.0.0.1:$SPORT: Operation now in progress\"" "$TEST_TMP/eas4.log"
'

test_expect_success 'descriptors and processes back to where they were' '
	pid=$(cat "$TEST_TMP/eas.pid") &&
	sleep 3.5 &&
	ls /proc/$pid/fd | wc -l >before &&
	python3 - "$EAS_PORT" "$TEST_TMP" <<-"PY" &&
	import sys, threading
	sys.path.insert(0, sys.argv[2])
	from wire import *
	def one():
	    run(sys.argv[1], [req("FolderSync"), req("Sync"), req("FolderSync", extra=b"Transfer-Encoding: chunked")])
	ts = [threading.Thread(target=one) for _ in range(30)]
	[t.start() for t in ts]; [t.join() for t in ts]
	PY
	sleep 3.5 &&
	ls /proc/$pid/fd | wc -l >after &&
	test_cmp before after &&
	test -z "$(ps -o pid= --ppid $pid)"
'

test_expect_success 'SIGTERM: connections waiting for a request close, the loop stops' '
	pid=$(cat "$TEST_TMP/eas3.pid") &&
	python3 - "$P3" "$TEST_TMP" "$pid" >term.out <<-"PY" &&
	import os, signal, sys, time
	sys.path.insert(0, sys.argv[2])
	from wire import *
	c = Conn(sys.argv[1]); c.s.sendall(req("Search")); c.answer()
	os.kill(int(sys.argv[3]), signal.SIGTERM); t0 = time.time()
	print(c.s.recv(10), "%.0f" % (time.time() - t0))
	PY
	test_grep -q "^b.. 0$" term.out &&
	sleep 0.5 &&
	test_grep -q "stopped" "$TEST_TMP/eas3.log" &&
	! kill -0 $pid 2>/dev/null
'

test_done
