# smtp-edge test helpers: a config with a listener on a free port and
# routes to a next hop, starting it standalone, and a raw SMTP client
# that sends bytes exactly as given (pipelined, for smuggling and BDAT).

# edge_conf FILE 'EXTRA' ['TOP']: an smtp-edge config listening on
# 127.0.0.1:$EDGE_PORT (picked here once), named edge.example.test, logging
# to stderr, SPF off (unless EXTRA has "spf"), short timeouts; EXTRA is more members of the
# smtp-edge object (e.g. '"routes": {...}'), TOP more top-level sections.
edge_conf() {
	local file=$1 extra=${2:+, $2} top=${3:+, $3} dns='' spf=', "spf": { "enabled": false }'
	case $extra in *'"spf"'*) spf= ;; esac
	[ -n "${EDGE_PORT:-}" ] || EDGE_PORT=$(free_ports 1)
	[ -z "${DNS_RESOLVER:-}" ] || dns=", \"dns\": { \"resolver\": [\"$DNS_RESOLVER\"], \"timeout\": \"3s\" }"
	cat >"$file" <<-EOF
	{
	  "log": { "target": "stderr" }$dns$top,
	  "smtp-edge": {
	    "listen": ["127.0.0.1:$EDGE_PORT"],
	    "hostname": "edge.example.test",
	    "data_timeout": "20s",
	    "nexthop_connect_timeout": "2s", "nexthop_timeout": "3s",
	    "timeout": "20s"$spf$extra
	  }
	}
	EOF
	export EDGE_PORT
}

# edge_start NAME CONFIG [ARGS...]: smtp-edge -d with CONFIG, returns once
# it listens on $EDGE_PORT; its log is $TEST_TMP/NAME.log.
edge_start() {
	local name=$1 conf=$2; shift 2
	need smtp-edge
	serve_standalone "$name" "$EDGE_PORT" smtp-edge -c "$conf" -d "$@" ||
		bail "smtp-edge did not start: $(tail -n 5 "$TEST_TMP/$name.log")"
}

# edge_sink_count: messages in $SINK_DIR.
edge_sink_count() { find "$SINK_DIR" -type f | wc -l; }

# smtp_raw PORT FILE: connects, waits for the greeting, sends FILE's bytes
# as they are, then reads every reply until the server closes (or 20 s
# pass) and prints them with CRs removed. With SMTP_RAW_HALFCLOSE=1 the
# sending side is shut after the bytes.
smtp_raw() {
	need python3
	python3 - "$1" "$2" <<-'PY'
	import os, socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
	buf = b""
	while b"\r\n" not in buf:
	    d = s.recv(4096)
	    if not d:
	        break
	    buf += d
	s.sendall(open(sys.argv[2], "rb").read())
	if os.environ.get("SMTP_RAW_HALFCLOSE"):
	    s.shutdown(socket.SHUT_WR)
	try:
	    while True:
	        d = s.recv(65536)
	        if not d:
	            break
	        buf += d
	except socket.timeout:
	    pass
	sys.stdout.write(buf.decode("utf-8", "replace").replace("\r", ""))
	PY
}

# edge_midata_client PORT MARKER: a client that sends a message's head and
# half its body, creates the file MARKER, then prints every reply it gets
# until the connection ends (for a session killed in the middle of DATA).
edge_midata_client() {
	python3 - "$@" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.recv(1000)
s.sendall(b"EHLO c.test\r\nMAIL FROM:<bob@sender.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
buf = b""
while b"354" not in buf:
    buf += s.recv(1000)
s.sendall(b"Subject: killed\r\n\r\n" + b"half of the body\r\n" * 100)
open(sys.argv[2], "w").close()
try:
    while True:
        d = s.recv(1000)
        if not d:
            break
        buf += d
except Exception as e:
    print("error", e)
sys.stdout.write(buf.decode().replace("\r", ""))
PY
}
