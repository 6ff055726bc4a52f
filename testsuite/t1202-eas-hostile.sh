#!/bin/bash
# What a hostile or broken client gets from eas-policy: malformed WBXML
# in Provision or Settings (truncated, bad page, deep nesting, huge string,
# huge body) is 400 or 413 with a log line and never reaches the backend;
# the publishing rule of the path (POST and OPTIONS only, URL 1024,
# query 512, blocked signatures); bad queries and versions; no user; and
# the daemon still answers afterwards.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need python3 curl

eas_start || bail "cannot start eas-policy and its backend"
LOG=$TEST_TMP/eas.log
URL=http://127.0.0.1:$EAS_PORT/Microsoft-Server-ActiveSync
Q="Cmd=Provision&User=alice&DeviceId=H1&DeviceType=T"
nreq() { if [ -f "$EAS_BLOG" ]; then wc -l <"$EAS_BLOG"; else echo 0; fi; }
# post QUERY FILE [VERSION]: prints the HTTP status
post() {
	curl -s -o body -w "%{http_code}" -u alice:pw -H "MS-ASProtocolVersion: ${3:-14.1}" \
		-H "X-MS-PolicyKey: 0" -H "Content-Type: application/vnd.ms-sync.wbxml" \
		--data-binary @"$2" "$URL?$1"
}
hdr() { printf '\003\001\152\000'; }

hdr >/dev/null
{ hdr; printf '\000\016\105\106\107\110\003MS-EAS'; } >"$TEST_TMP/truncated.wbxml"
{ hdr; printf '\000\100\105\001'; } >"$TEST_TMP/badpage.wbxml"
{ hdr; printf '\000\016'; for i in $(seq 60); do printf '\105'; done
  for i in $(seq 60); do printf '\001'; done; } >"$TEST_TMP/deep.wbxml"
{ hdr; printf '\000\016\105\003'; head -c 20000 /dev/zero | tr '\0' A; printf '\000\001'; } \
	>"$TEST_TMP/hugestring.wbxml"
{ hdr; printf '\000\016\105\303\210\200\200\200\000'; printf 'x\001'; } >"$TEST_TMP/hugeopaque.wbxml"
{ hdr; printf '\000\016\105\003'; head -c 100000 /dev/zero | tr '\0' A; printf '\000\001'; } \
	>"$TEST_TMP/hugebody.wbxml"
printf '\003\001\152\000\000\016\305\001\001' >"$TEST_TMP/attrs.wbxml"

for f in truncated:"truncated document" badpage:"unknown code page" deep:"nested too deep" \
	 hugestring:"too big" hugeopaque:"too big" attrs:"token not used by ActiveSync"; do
	name=${f%%:*} why=${f#*:}
	test_expect_success "Provision with $name WBXML: 400 and a log line" '
		test "$(post "$Q" "$TEST_TMP/'"$name"'.wbxml")" = 400 &&
		test_grep -q "malformed WBXML user=alice device=H1 cmd=Provision reason=\"\?'"$why"'" "$LOG"
	'
done

test_expect_success 'a Provision body over wbxml_max: 413 and a log line' '
	test "$(post "$Q" "$TEST_TMP/hugebody.wbxml")" = 413 &&
	test_grep -q "cannot read request body user=alice device=H1 cmd=Provision" "$LOG"
'

test_expect_success 'no record was made for the malformed requests' '
	! test -e "$EAS_STORE/alice,H1.json"
'

test_expect_success 'malformed Settings from a provisioned device: 400, not passed on' '
	k=$(eas_provision alice H2) && test -n "$k" &&
	n=$(nreq) &&
	status=$(curl -s -o body -w "%{http_code}" -u alice:pw -H "MS-ASProtocolVersion: 14.1" \
		-H "X-MS-PolicyKey: $k" --data-binary @"$TEST_TMP/deep.wbxml" \
		"$URL?Cmd=Settings&User=alice&DeviceId=H2&DeviceType=T") &&
	test "$status" = 400 && test "$(nreq)" = "$n"
'

test_expect_success 'GET is refused by the publishing rule (405, Allow)' '
	curl -s -D h -o /dev/null -w "%{http_code}" "$URL?$Q" >code &&
	test "$(cat code)" = 405 && test_grep -qi "^Allow:.*POST" h
'

test_expect_success 'PUT is refused (405)' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data x "$URL?$Q")" = 405
'

test_expect_success 'a query over 512 bytes: 414' '
	long=$(head -c 600 /dev/zero | tr "\0" a) &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST --data x "$URL?$Q&x=$long")" = 414
'

test_expect_success 'a URL over 1024 bytes: 414' '
	long=$(head -c 1100 /dev/zero | tr "\0" a) &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X POST --data x "$URL/$long")" = 414
'

test_expect_success 'a blocked signature in the path: 403, logged with the rule' '
	test "$(curl -s -o /dev/null -w "%{http_code}" --path-as-is -X POST --data x \
		"http://127.0.0.1:$EAS_PORT/Microsoft-Server-ActiveSync/%2e%2e/x?$Q")" = 403 &&
	test_grep -q "refused .*check=" "$LOG"
'

test_expect_success 'a query without DeviceId: 400' '
	test "$(post "Cmd=FolderSync&User=alice" "$TEST_TMP/badpage.wbxml")" = 400 &&
	test_grep -q "bad ActiveSync request client=127.0.0.1 reason=\"no DeviceId in the query\"" "$LOG"
'

test_expect_success 'an unknown command: 400' '
	test "$(post "Cmd=Format&User=alice&DeviceId=H1" "$TEST_TMP/badpage.wbxml")" = 400
'

test_expect_success 'a query that is neither form: 400' '
	test "$(post "%%%%" "$TEST_TMP/badpage.wbxml")" = 400
'

test_expect_success 'protocol 2.5 is not offered: 400' '
	test "$(post "$Q" "$TEST_TMP/badpage.wbxml" 2.5)" = 400 &&
	test_grep -q "unsupported protocol version client=127.0.0.1 device=H1 version=2.5" "$LOG"
'

test_expect_success 'no credentials and no User: 401 with a Basic challenge' '
	curl -s -D h -o /dev/null -w "%{http_code}" -H "MS-ASProtocolVersion: 14.1" --data x \
		"$URL?Cmd=FolderSync&DeviceId=H1&DeviceType=T" >code &&
	test "$(cat code)" = 401 && test_grep -qi "^WWW-Authenticate: Basic" h
'

test_expect_success 'the daemon still answers, and the backend saw nothing it should not' '
	eas_dev --options >out && test_grep -q "^status=200" out &&
	test "$(nreq)" = 0
'

test_done
