#!/bin/bash
# The HTTP layer (lib/http) as autodiscover-gen serves it: HTTPS with the
# status line, Date and security headers, keep-alive, HEAD, chunked and
# 100-continue bodies, the three serving modes, plain HTTP behind a
# proxy with X-Forwarded-For believed only from trusted_proxies, and a
# slow client (slowloris) cut at header_timeout without holding up a
# second one.
. "$(dirname "$0")/lib.sh"
need curl socat python3 systemd-socket-activate

port=$(free_ports 1)
cat >"$TEST_TMP/conf.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
  "autodiscover-gen": {
    "listen": ["127.0.0.1:$port"], "workers": 1, "header_timeout": "3s",
    $(http_tls_json),
    "domains": { "example.test": { "outlook_anywhere": "mail.example.test",
      "ews_url": "https://mail.example.test/EWS/Exchange.asmx",
      "imap": { "host": "mail.example.test" } } } } }
JSON
http_standalone https "$port" autodiscover-gen -c "$TEST_TMP/conf.json" --serve -d
url=https://localhost:$port

cat >"$TEST_TMP/req.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>alice@example.test</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>
XML

test_expect_success '-n loads the TLS certificate the server would use: a missing one is 78' '
	autodiscover-gen -n -c "$TEST_TMP/conf.json" 2>err &&
	test_grep -q "config ok" err &&
	sed "s|\"cert\": \"[^\"]*\"|\"cert\": \"$TEST_TMP/no-such-cert.pem\"|" "$TEST_TMP/conf.json" >nocert.json &&
	test_grep -q no-such-cert nocert.json &&
	{ autodiscover-gen -n -c nocert.json 2>err; test $? = 78; } &&
	test_grep -q "no-such-cert.pem" err
'

test_expect_success 'HTTPS: status line, Date, length and security headers' '
	hcurl -D h -o body --data-binary @req.xml -H "Content-Type: text/xml" \
		"$url/autodiscover/autodiscover.xml" &&
	head -n 1 h | tr -d "\r" >status && echo "HTTP/1.1 200 OK" >expect && test_cmp expect status &&
	http_header Date h | test_grep -Eq "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} GMT$" &&
	test "$(http_header Content-Length h)" = "$(wc -c <body)" &&
	test "$(http_header X-Content-Type-Options h)" = nosniff &&
	test "$(http_header Referrer-Policy h)" = no-referrer &&
	test "$(http_header Strict-Transport-Security h)" = "max-age=15552000" &&
	test_grep -q "<AutoDiscoverSMTPAddress>alice@example.test</AutoDiscoverSMTPAddress>" body
'

test_expect_success 'keep-alive: three requests on one TLS connection, HEAD without a body' '
	{ printf "GET /mail/config-v1.1.xml?emailaddress=alice%%40example.test HTTP/1.1\r\nHost: x\r\n\r\n"
	  printf "HEAD /mail/config-v1.1.xml?emailaddress=alice%%40example.test HTTP/1.1\r\nHost: x\r\n\r\n"
	  printf "GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"; } |
		http_raw "$port" tls >out &&
	test "$(grep -c "^HTTP/1.1 200 OK" out)" = 2 &&
	test "$(grep -c "<clientConfig" out)" = 1 &&
	grep -q "^HTTP/1.1 404 Not Found" out &&
	test "$(grep -c "^Connection: close" out)" = 1 &&
	serve_wait_log https "request method=HEAD path=/mail/config-v1.1.xml status=200 "
'

test_expect_success 'chunked request body and Expect: 100-continue' '
	hcurl -D h -o body -H "Transfer-Encoding: chunked" -H "Expect: 100-continue" \
		--data-binary @req.xml "$url/autodiscover/autodiscover.xml" &&
	grep -q "^HTTP/1.1 100 Continue" h && grep -q "^HTTP/1.1 200 OK" h &&
	test_grep -q "<Type>EXPR</Type>" body
'

test_expect_success 'bad framing: Content-Length and chunked together is 400, then close' '
	printf "POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" |
		http_raw "$port" tls >out &&
	head -n 1 out | grep -q "^HTTP/1.1 400 " && grep -q "^Connection: close" out
'

test_expect_success 'a slow client is cut at header_timeout and does not hold up another' '
	{ printf "GET /mail/config-v1.1.xml HTTP/1.1\r\n"; for i in $(seq 1 12); do printf "X-$i: a\r\n"; sleep 0.4; done; } |
		http_raw "$port" tls >slow &
	sleep 0.3 &&
	start=$(date +%s%N) &&
	test "$(http_code "$url/mail/config-v1.1.xml?emailaddress=bob%40example.test")" = 200 &&
	test $(( ($(date +%s%N) - start) / 1000000 )) -lt 2500 &&
	wait &&
	head -n 1 slow | grep -q "^HTTP/1.1 408 " &&
	grep -n "bad request status=408\|request method=GET path=/mail/config-v1.1.xml status=200" "$TEST_TMP/https.log" >order &&
	grep -q "status=200" order && tail -n 1 order | grep -q "status=408"
'

pport=$(free_ports 1)
cat >"$TEST_TMP/plain.json" <<JSON
{ "log": { "target": "stderr" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$pport"], "directory": false,
    "trusted_proxies": ["127.0.0.0/8"], "https_redirect": "https://mail.example.test",
    "domains": { "*": { "imap": { "host": "imap.example.test" } } } } }
JSON
http_standalone plain "$pport" autodiscover-gen -c "$TEST_TMP/plain.json" --serve -d

test_expect_success 'plain HTTP behind a trusted proxy: X-Forwarded-For is the client' '
	hcurl -o /dev/null -H "X-Forwarded-For: 203.0.113.7, 127.0.0.9" \
		"http://127.0.0.1:$pport/mail/config-v1.1.xml?emailaddress=a%40b.test" &&
	serve_wait_log plain "request method=GET .* status=200 .*client=203\.0\.113\.7 "
'

test_expect_success 'X-Forwarded-For from an untrusted peer is ignored' '
	n=$(grep -c "request method=" "$TEST_TMP/https.log") &&
	hcurl -o /dev/null -H "X-Forwarded-For: 203.0.113.8" \
		"$url/mail/config-v1.1.xml?emailaddress=a%40example.test" &&
	serve_wait_count https "request method=" $((n + 1)) &&
	grep "request method=" "$TEST_TMP/https.log" | tail -n 1 | grep -q "client=127\.0\.0\.1 " &&
	! grep -q "203.0.113.8" "$TEST_TMP/https.log"
'

test_expect_success 'X-Forwarded-Proto https from the proxy: no redirect; plain: 302 to https' '
	test "$(http_code -H "X-Forwarded-Proto: https" "http://127.0.0.1:$pport/autodiscover/autodiscover.xml")" = 200 &&
	hcurl -D h -o /dev/null "http://127.0.0.1:$pport/autodiscover/autodiscover.xml" &&
	head -n 1 h | grep -q "^HTTP/1.1 302 " &&
	test "$(http_header Location h)" = "https://mail.example.test/autodiscover/autodiscover.xml" &&
	test -z "$(http_header Strict-Transport-Security h)"
'

iport=$(free_ports 1)
serve_inetd inetd "$iport" autodiscover-gen -c "$TEST_TMP/plain.json" --serve --inetd

test_expect_success 'inetd mode: one connection, keep-alive inside it' '
	printf "GET /mail/config-v1.1.xml?emailaddress=x%%40y.test HTTP/1.1\r\nHost: autoconfig.y.test\r\n\r\nGET /.well-known/autoconfig/mail/config-v1.1.xml HTTP/1.1\r\nHost: autoconfig.y.test\r\nConnection: close\r\n\r\n" |
		http_raw "$iport" >out &&
	test "$(grep -c "^HTTP/1.1 200 OK" out)" = 2 &&
	grep -q "<domain>y.test</domain>" out
'

sport=$(free_ports 1)
serve_systemd adsd "$sport" accept autodiscover-gen -c "$TEST_TMP/plain.json" --serve

test_expect_success 'systemd socket activation (Accept=yes)' '
	test "$(http_code "http://127.0.0.1:$sport/mail/config-v1.1.xml?emailaddress=x%40y.test")" = 200
'

nport=$(free_ports 1)
serve_systemd adsn "$nport" noaccept autodiscover-gen -c "$TEST_TMP/plain.json" --serve

test_expect_success 'systemd socket activation (Accept=no): keep-alive on the passed socket' '
	printf "GET /mail/config-v1.1.xml?emailaddress=x%%40y.test HTTP/1.1\r\nHost: y\r\n\r\nGET /nothing HTTP/1.1\r\nHost: y\r\nConnection: close\r\n\r\n" |
		http_raw "$nport" >out &&
	grep -q "^HTTP/1.1 200 OK" out && grep -q "^HTTP/1.1 404 Not Found" out
'

test_expect_success 'SIGHUP re-reads the config: a new rule and new domain settings' '
	sed "s/\"imap.example.test\"/\"imap2.example.test\"/; s/\"trusted_proxies\"/\"rules\": [{ \"path\": \"\/mobileconfig\", \"name\": \"apple\", \"action\": \"deny\" }], \"trusted_proxies\"/" \
		"$TEST_TMP/plain.json" >new.json && cp new.json "$TEST_TMP/plain.json" &&
	kill -HUP "$(cat "$TEST_TMP/plain.dpid")" &&
	serve_wait_log plain "reloaded config=" &&
	hcurl -o r "http://127.0.0.1:$pport/mail/config-v1.1.xml?emailaddress=a%40b.test" &&
	grep -q "<hostname>imap2.example.test</hostname>" r &&
	test "$(http_code "http://127.0.0.1:$pport/mobileconfig?email=a%40b.test")" = 403 &&
	serve_wait_log plain "refused rule=apple check=deny status=403"
'

test_expect_success 'a bad config on SIGHUP keeps the old one' '
	echo "{ \"autodiscover-gen\": { \"nope\": 1 } }" >"$TEST_TMP/plain.json" &&
	kill -HUP "$(cat "$TEST_TMP/plain.dpid")" &&
	serve_wait_log plain "reload failed" &&
	hcurl -o r "http://127.0.0.1:$pport/mail/config-v1.1.xml?emailaddress=a%40b.test" &&
	grep -q "<hostname>imap2.example.test</hostname>" r
'

test_done
