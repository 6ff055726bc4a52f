#!/bin/bash
# eas-policy's admin side: -n with the checks the key table cannot make,
# the example config, exit codes of wipe/recovery/policy/devices, the
# store's files (names, modes, JSON), concurrent admin commands on one
# device, a corrupt record, and one request served under --inetd.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/testsuite/fixtures/eas/setup.sh"
need jq python3

T=$TEST_TMP
eas_ldif >"$EAS_LDIF"
EAS_PORT=1 EAS_BPORT=2
eas_conf "$EAS_CONF"
ep() { eas-policy -c "$EAS_CONF" "$@"; }

test_expect_success 'the example config passes -n (the test PKI certificate in place of its store)' '
	head -c 32 /dev/urandom >secret &&
	sed "s|/etc/postern/eas.secret|$T/secret|; s|\"tls\": {[^}]*}|\"tls\": { \"cert\": \"$PKI/server-chain.pem\", \"key\": \"$PKI/server.key\" }|" \
		"$SRCDIR/share/examples/eas-policy.json" >ex.json &&
	test_grep -q server-chain.pem ex.json &&
	eas-policy -n -c ex.json 2>err &&
	test_grep -q "config ok" err
'

test_expect_success '-n bundled with -v (-nv) runs the same checks' '
	eas-policy -nv -c ex.json >dump 2>err &&
	test_grep -q "config ok" err &&
	test_grep -q "\"eas-policy\"" dump &&
	echo "{\"eas-policy\":{\"default_policy\":\"x\",\"policies\":{\"a\":{}}}}" >bad.json &&
	{ eas-policy -vn -c bad.json 2>err; test $? = 78; }
'

check_bad() {
	echo "$1" >bad.json
	eas-policy -n -c bad.json 2>err
	rc=$?
	[ $rc = 78 ] || { echo "exit $rc"; return 1; }
	test_grep -q "$2" err
}

test_expect_success '-n: a default_policy not among the policies' '
	check_bad "{\"eas-policy\":{\"default_policy\":\"x\",\"policies\":{\"a\":{}}}}" \
		"eas-policy.default_policy: .x. is not one of the policies"
'
test_expect_success '-n: a protocol version eas-policy does not speak' '
	check_bad "{\"eas-policy\":{\"protocol_versions\":[\"14.1\",\"2.5\"]}}" \
		"eas-policy.protocol_versions: .2.5. is not one of"
'
test_expect_success '-n: wipe after 3 failures is out of range' '
	check_bad "{\"eas-policy\":{\"policies\":{\"a\":{\"wipe_after_failures\":3}}}}" \
		"eas-policy.policies.a.wipe_after_failures: 3 is out of range (expected 4 to 16)"
'
test_expect_success '-n: a backend that is no http URL' '
	check_bad "{\"eas-policy\":{\"backend\":\"ftp://x\"}}" "is not an http:// or https:// URL"
'
test_expect_success '-n: check_password without the directory' '
	check_bad "{\"eas-policy\":{\"check_password\":true,\"directory\":false}}" \
		"eas-policy.check_password: needs"
'
test_expect_success '-n: a secret file that cannot be read' '
	check_bad "{\"eas-policy\":{\"secret_file\":\"$T/nope\"}}" "cannot read secret_file"
'

test_expect_code 64 'an unknown command: 64' 'ep frobnicate'
test_expect_code 64 'wipe without a device: 64' 'ep wipe alice'
test_expect_code 1 'wipe of a device never seen: 1' 'ep wipe alice NOSUCH'
test_expect_code 1 'recovery of a device never seen: 1' 'ep recovery alice NOSUCH'
test_expect_code 1 'policy of an unknown name: 1' 'ep policy nosuch'
test_expect_code 64 'policy for protocol 2.5: 64' 'ep policy --protocol 2.5'
test_expect_code 78 'serving without a backend: 78' '
	echo "{\"eas-policy\": {\"store\": \"$T/s2\", \"directory\": false}}" >nobackend.json &&
	eas-policy -c nobackend.json --inetd </dev/null
'

test_expect_success 'devices on an empty store: the header, and [] as JSON' '
	ep devices >list && test "$(wc -l <list)" = 1 && test_grep -q "^USER  *DEVICE" list &&
	ep devices --json >list.json && test "$(jq length list.json)" = 0
'

# A device record as the daemon leaves it, made through the daemon's
# own code path (a Provision over --inetd).
provision_inetd() {
	body=$(ep encode <"$EAS_FIX/docs/provision-initial.xml" | base64 -w0)
	python3 - "$body" "$1" "$2" >req <<'PY'
import base64, sys
body = base64.b64decode(sys.argv[1])
sys.stdout.buffer.write(("POST /Microsoft-Server-ActiveSync?Cmd=Provision&User=%s&DeviceId=%s&DeviceType=T HTTP/1.1\r\n"
    "Host: x\r\nMS-ASProtocolVersion: 14.1\r\nX-MS-PolicyKey: 0\r\nConnection: close\r\n"
    "Content-Length: %d\r\n\r\n" % (sys.argv[2], sys.argv[3], len(body))).encode() + body)
PY
	sed "s|\"backend\": \"http://[^\"]*\"|\"backend\": \"http://127.0.0.1:9\"|; s|\"store\":|${EXTRA:-}&|" \
		"$EAS_CONF" >inetd.json
	REMOTE_ADDR=127.0.0.1 eas-policy -c inetd.json --inetd <req >resp 2>inetd.log
}

test_expect_success 'a Provision served under --inetd records the device' '
	provision_inetd alice "odd%2Fdev.ice" &&
	head -n 1 resp | grep -q "^HTTP/1.1 200" &&
	test_grep -q "provision user=alice device=odd/dev.ice" inetd.log &&
	ls "$EAS_STORE" >files &&
	test_grep -q "^alice,odd%2Fdev.ice.json$" files &&
	test "$(stat -c %a "$EAS_STORE/alice,odd%2Fdev.ice.json")" = 600 &&
	test "$(stat -c %a "$EAS_STORE")" = 700 &&
	jq -e ".device_id == \"odd/dev.ice\" and .key_state == \"temporary\" and .model == \"Pixel 8\"" \
		"$EAS_STORE/alice,odd%2Fdev.ice.json"
'

test_expect_success 'wipe, --cancel, and the second --cancel says there is nothing to cancel' '
	ep wipe ALICE "odd/dev.ice" >out && test_grep -q "^wipe pending: alice odd/dev.ice" out &&
	jq -e ".wipe == \"pending\" and (.wipe_by | length > 0)" "$EAS_STORE/alice,odd%2Fdev.ice.json" &&
	ep wipe --cancel alice "odd/dev.ice" >out && test_grep -q "^wipe cancelled" out &&
	jq -e ".wipe == \"none\"" "$EAS_STORE/alice,odd%2Fdev.ice.json" &&
	test_expect_code_inline() { "$@"; test $? = 1; } &&
	test_expect_code_inline ep wipe alice "odd/dev.ice" --cancel
'

test_expect_success 'a user given by mail address is filed under the directory uid' '
	ep wipe alice@example.test "odd/dev.ice" >out &&
	test_grep -q "^wipe pending: alice " out &&
	ep devices --user a.liddell@example.test --json >l.json &&
	test "$(jq -r ".[0].wipe" l.json)" = pending
'

test_expect_success 'twenty admin commands at once on one device leave one valid record' '
	for i in $(seq 10); do
		ep wipe alice "odd/dev.ice" >/dev/null &
		ep wipe --cancel alice "odd/dev.ice" >/dev/null 2>&1 &
	done &&
	wait &&
	jq -e ".device_id == \"odd/dev.ice\"" "$EAS_STORE/alice,odd%2Fdev.ice.json" &&
	! ls "$EAS_STORE" | grep -v "\.json$" | grep -v "\.lock$"
'

test_expect_success 'a corrupt record is skipped by devices, with its name in the log' '
	provision_inetd bob PHONE2 &&
	echo "{ not json" >"$EAS_STORE/bob,PHONE2.json" &&
	ep devices >list 2>err &&
	test_grep -q "corrupt device record .*bob,PHONE2.json" err &&
	test_grep -q "^alice " list && ! grep -q "^bob " list
'

test_expect_success 'and a request for that device gets 503, not a fresh record over it' '
	provision_inetd bob PHONE2 &&
	head -n 1 resp | grep -q "^HTTP/1.1 503" &&
	test_grep -q "not json" "$EAS_STORE/bob,PHONE2.json"
'

test_expect_success 'a third device for a user with max_devices 2: Provision Status 177, no record' '
	EXTRA="\"max_devices\": 2, " provision_inetd carol CD1 &&
	EXTRA="\"max_devices\": 2, " provision_inetd carol CD2 &&
	EXTRA="\"max_devices\": 2, " provision_inetd carol CD3 &&
	sed "1,/^\r\$/d" resp | ep decode >reply.xml &&
	test_grep -q "<Status>177</Status>" reply.xml &&
	test_grep -q "result=too-many-devices" inetd.log &&
	! test -e "$EAS_STORE/carol,CD3.json" &&
	EXTRA="\"max_devices\": 2, " provision_inetd carol CD2 &&
	sed "1,/^\r\$/d" resp | ep decode >reply.xml &&
	test_grep -q "<PolicyKey>" reply.xml
'

test_done
