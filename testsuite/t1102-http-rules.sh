#!/bin/bash
# Publishing rules of the HTTP layer, as an ISA server applies them, each
# refusing its case with the fitting status and a log line naming the
# rule and the check: a URL over 1024 bytes (414), a query over 512 (414),
# "..", "%2e%2e", a backslash and double encoding in the path (403), a
# PUT to the ActiveSync path (405 with Allow), an extension not allowed
# and a denied path (403), too many or too long headers (400), a body
# over the cap (413); and requests within the rules pass.
. "$(dirname "$0")/lib.sh"
need curl socat

port=$(free_ports 1)
cat >"$TEST_TMP/conf.json" <<JSON
{ "log": { "target": "stderr" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$port"], "directory": false,
    "headers_count_max": 20, "body_max": "64k",
    "rules": [
      { "path": "/Microsoft-Server-ActiveSync", "name": "activesync", "methods": ["POST", "OPTIONS"] },
      { "path": "/autodiscover", "name": "autodiscover", "methods": ["POST", "GET"],
        "extensions": ["xml"], "body_max": 2000 },
      { "path": "/private", "name": "private", "action": "deny" },
      { "path": "/mail", "name": "thunderbird", "header_line_max": 100 } ],
    "domains": { "*": { "imap": { "host": "imap.example.test" } } } } }
JSON
http_standalone rules "$port" autodiscover-gen -c "$TEST_TMP/conf.json" --serve -d
base=http://127.0.0.1:$port
log=$TEST_TMP/rules.log

# refused RULE CHECK STATUS: the log line of the last refusal.
refused() {
	tail -n 5 "$log" | grep -Eq "refused rule=$1 check=$2 status=$3 "
}

test_expect_success 'within the rules: 200' '
	test "$(http_code "$base/mail/config-v1.1.xml?emailaddress=a%40b.test")" = 200
'

test_expect_success 'a URL longer than 1024 bytes: 414' '
	long=$(printf "%01100d" 0) &&
	test "$(http_code "$base/mail/$long")" = 414 && refused thunderbird url_max 414
'

test_expect_success 'a query longer than 512 bytes: 414' '
	q=$(printf "%0600d" 0) &&
	test "$(http_code "$base/mail/config-v1.1.xml?emailaddress=$q")" = 414 &&
	refused thunderbird query_max 414
'

test_expect_success '".." in the path: 403' '
	test "$(http_code "$base/mail/../etc/passwd")" = 403 && refused thunderbird blocked_signature 403
'

test_expect_success '"%2e%2e" (after one decode): 403' '
	test "$(http_code "$base/mail/%2e%2e/etc/passwd")" = 403 && refused thunderbird blocked_signature 403
'

test_expect_success 'double encoding ("%252e" leaves a "%"): 403' '
	test "$(http_code "$base/mail/%252e%252e/x")" = 403 && refused thunderbird blocked_signature 403
'

test_expect_success 'a backslash (raw and %5c): 403' '
	printf "GET /mail\\\\..\\\\x HTTP/1.1\r\nHost: x\r\n\r\n" | http_raw "$port" >out &&
	head -n 1 out | grep -q "^HTTP/1.1 403 " &&
	test "$(http_code "$base/mail/%5cwin.ini")" = 403 && refused thunderbird blocked_signature 403
'

test_expect_success 'a PUT to the ActiveSync path (any case): 405 with Allow' '
	hcurl -D h -o /dev/null -X PUT --data x "$base/microsoft-server-activesync?Cmd=Sync" &&
	head -n 1 h | grep -q "^HTTP/1.1 405 " &&
	test "$(http_header Allow h)" = "POST, OPTIONS" && refused activesync method 405
'

test_expect_success 'an extension the rule does not allow: 403' '
	test "$(http_code "$base/autodiscover/autodiscover.exe")" = 403 && refused autodiscover extension 403 &&
	test "$(http_code "$base/autodiscover/autodiscover.xml")" = 200
'

test_expect_success 'a denied path: 403' '
	test "$(http_code "$base/private/x")" = 403 && refused private deny 403
'

test_expect_success 'too many header fields, a header line too long: 400' '
	args= && for i in $(seq 1 25); do args="$args -H X-$i:a"; done &&
	test "$(http_code $args "$base/autodiscover/autodiscover.xml")" = 400 &&
	refused autodiscover headers_count_max 400 &&
	test "$(http_code -H "X-Long: $(printf "%0200d" 0)" "$base/mail/config-v1.1.xml")" = 400 &&
	refused thunderbird header_line_max 400
'

test_expect_success 'a body over the rule cap: 413 before it is read' '
	printf "%05000d" 0 >big &&
	test "$(http_code --data-binary @big "$base/autodiscover/autodiscover.xml")" = 413 &&
	refused autodiscover body_max 413
'

test_expect_success 'a method outside the default list: 405' '
	test "$(http_code -X DELETE "$base/mail/config-v1.1.xml")" = 405 && refused thunderbird method 405
'

test_done
