#!/bin/bash
# The pass-through's two paths: a plain-HTTP backend on eas-policy's own
# kept-alive connection, and an HTTPS backend through libcurl. A chunked
# request body arrives whole; a backend restarted between two requests
# of one client connection is reconnected to; a backend that is down is
# 502 with a log line.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need python3 curl

FS=$EAS_FIX/docs/foldersync.xml
nreq() { if [ -f "$EAS_BLOG" ]; then wc -l <"$EAS_BLOG"; else echo 0; fi; }

# chunked_post KEY: the FolderSync body sent chunked by curl; prints the status
chunked_post() {
	eas-policy -c "$EAS_CONF" encode <"$FS" >fs.wbxml &&
	curl -s -o reply -w "%{http_code}" -u alice:pw -H "MS-ASProtocolVersion: 14.1" \
		-H "X-MS-PolicyKey: $1" -H "Transfer-Encoding: chunked" --data-binary @fs.wbxml \
		"http://127.0.0.1:$EAS_PORT/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alice&DeviceId=C1&DeviceType=T"
}

eas_start || bail "cannot start eas-policy and its backend"

test_expect_success 'plain backend: a chunked request body reaches it whole' '
	k=$(eas_provision alice C1) && test -n "$k" &&
	test "$(chunked_post "$k")" = 200 &&
	tail -n 1 "$EAS_BLOG" >req.json &&
	python3 -c "import json,sys; r=json.load(open(\"req.json\")); sys.exit(0 if bytes.fromhex(r[\"body\"]) == open(\"fs.wbxml\",\"rb\").read() and r[\"headers\"].get(\"Transfer-Encoding\") == \"chunked\" else 1)"
'

test_expect_success 'plain backend restarted between two requests of one connection: reconnected' '
	k=$(eas_provision alice C1) &&
	eas-policy -c "$EAS_CONF" encode <"$FS" >fs.wbxml &&
	python3 - "$EAS_PORT" "$k" "$EAS_BPORT" "$EAS_BLOG" "$EAS_FIX/backend.py" "$TEST_TMP" >two.out 2>&1 <<-"PY"
	import http.client, subprocess, sys, time, os, signal
	port, key, bport, blog, backend, tmp = sys.argv[1:]
	body = open("fs.wbxml", "rb").read()
	hdr = {"MS-ASProtocolVersion": "14.1", "X-MS-PolicyKey": key,
	       "Authorization": "Basic YWxpY2U6cHc=", "Content-Type": "application/vnd.ms-sync.wbxml"}
	path = "/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=alice&DeviceId=C1&DeviceType=T"
	c = http.client.HTTPConnection("127.0.0.1", int(port))
	c.request("POST", path, body, hdr); r = c.getresponse(); r.read(); print("first", r.status)
	old = int(open(tmp + "/backend.pid").read())
	os.kill(old, signal.SIGTERM); time.sleep(0.3)
	p = subprocess.Popen([sys.executable, backend, bport, blog, "1"])
	open(tmp + "/backend.pid", "w").write(str(p.pid))
	time.sleep(1.2)
	c.request("POST", path, body, hdr); r = c.getresponse(); r.read()
	print("second", r.status, r.getheader("X-Backend"))
	PY
	test_grep -q "^first 200" two.out && test_grep -q "^second 200 seen" two.out
'

test_expect_success 'a backend that is down: 502 and a log line' '
	kill "$(cat "$TEST_TMP/backend.pid")" && sleep 0.3 &&
	k=$(eas_provision alice C1) &&
	eas_dev -U alice:pw -d C1 -k "$k" FolderSync <"$FS" >out &&
	test_grep -q "^status=502" out &&
	test_grep -q "backend failed user=alice device=C1 cmd=FolderSync reason=\"cannot connect to 127.0.0.1:$EAS_BPORT" "$TEST_TMP/eas.log"
'

# The same through an HTTPS backend (libcurl), with the fixture PKI.
kill "$(cat "$TEST_TMP/eas.pid")"
export EAS_BACKEND_CERT=$PKI/server-chain.pem EAS_BACKEND_KEY=$PKI/server.key
EAS_BACKEND_SCHEME=https
eas_conf "$EAS_CONF" "\"backend_ca_file\": \"$PKI/root.pem\""
bg_start backend2 python3 "$EAS_FIX/backend.py" "$EAS_BPORT" "$EAS_BLOG" 1
bg_start eas2 eas-policy -c "$EAS_CONF" -d
wait_port "$EAS_BPORT" && wait_port "$EAS_PORT" || bail "cannot restart with an HTTPS backend"

test_expect_success 'https backend: FolderSync and a chunked Sync reply pass' '
	n=$(nreq) &&
	k=$(eas_provision alice C2) && test -n "$k" &&
	eas_dev -U alice:pw -d C2 -k "$k" FolderSync <"$FS" >out &&
	test_grep -q "^header X-Backend: seen" out &&
	eas_dev -U alice:pw -d C2 -k "$k" Sync <"$EAS_FIX/docs/sync.xml" >out &&
	test_grep -q "<SyncKey>1</SyncKey>" out &&
	test "$(nreq)" = $((n + 2))
'

test_expect_success 'https backend: a chunked request body reaches it whole' '
	k=$(eas_provision alice C1) &&
	test "$(chunked_post "$k")" = 200 &&
	tail -n 1 "$EAS_BLOG" >req.json &&
	python3 -c "import json,sys; r=json.load(open(\"req.json\")); sys.exit(0 if bytes.fromhex(r[\"body\"]) == open(\"fs.wbxml\",\"rb\").read() else 1)"
'

test_expect_success 'https backend whose certificate is not trusted: 502' '
	kill "$(cat "$TEST_TMP/eas2.pid")" && sleep 0.2 &&
	eas_conf "$EAS_CONF" &&
	{ eas-policy -c "$EAS_CONF" -d >eas3.log 2>&1 & echo $! >"$TEST_TMP/eas3.pid"; } &&
	wait_port "$EAS_PORT" &&
	k=$(eas_provision alice C2) &&
	eas_dev -U alice:pw -d C2 -k "$k" FolderSync <"$FS" >out &&
	test_grep -q "^status=502" out &&
	test_grep -q "backend failed user=alice device=C2" eas3.log
'

test_done
