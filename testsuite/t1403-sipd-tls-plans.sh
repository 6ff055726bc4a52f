#!/bin/bash
# um-sipd over TLS on its SIPS listener, with socat OPENSSL in front of
# sipp as the gateway, and dial plans: the gateway certificate's call is
# taken; a wrong name, a wildcard, no client certificate, an untrusted
# root, TCP to a secured plan, an address not listed, plain RTP to a
# secured plan, a number in no plan and one not in the directory are
# each refused with their status and a log line naming the reason.
. "$(dirname "$0")/lib.sh"
need sipp sox socat openssl

smtp_sink_start
pki_issue sipwild "DNS:*.example.test" || bail "cannot issue the wildcard certificate"
sipd_conf "$TEST_TMP/c.json" '"dial_plans": {
	"hq": { "extensions": ["1xxx"], "security": "sip-secured", "gateways": ["gw.example.test"] },
	"vip": { "extensions": ["+33123451002"], "security": "secured", "gateways": ["gw.example.test"] },
	"lab": { "extensions": ["9xxx"], "security": "unsecured", "addresses": ["127.0.0.1"],
		 "catch_all": "reception@example.test" },
	"far": { "extensions": ["8*"], "security": "unsecured", "addresses": ["192.0.2.50"] } }'
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.ul" 1 500 ul

# refused NUMBER CODE [SCHEME]: a call through the current front that
# must get CODE.
refused() {
	sipd_scenario uac-refused r.xml CODE="$2" SCHEME="${3:-sip}" &&
	SIPD_TARGET=${SIPD_TARGET:-$SIPD_FRONT_PORT} sipd_sipp "$TEST_TMP/r.xml" "$1" ||
		{ tail -n 20 sipp.out; cat sipp.err 2>/dev/null | tail -n 5; return 1; }
}

sipd_tls_front gw gateway
GW_PORT=$SIPD_FRONT_PORT

test_expect_success 'the gateway certificate over TLS: a sips: call to a sip-secured plan is taken' '
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=1300 SCHEME=sips &&
	SIPD_TARGET=$GW_PORT sipd_sipp "$TEST_TMP/call.xml" 1001 || { tail -n 20 sipp.out; exit 1; }
	grep -A12 "SIP/2.0 200 OK" sipp.msg >200.txt &&
	test_grep "^Contact: <sips:um@127.0.0.1:$SIPS_PORT>" 200.txt &&
	serve_wait_log sipd "call from=.* number=1001 .*plan=hq security=sip-secured transport=tls srtp=no" &&
	serve_wait_log sipd "TLS peer .*verdict=" &&
	serve_wait_log sipd "voicemail delivered .*to=alice@example.test"
'

test_expect_success 'plain RTP offered to a secured plan gets 488' '
	SIPD_FRONT_PORT=$GW_PORT refused +33123451002 488 &&
	serve_wait_log sipd "call refused status=488 number=\+33123451002 reason=\"plain RTP offered where SRTP is required\""
'

test_expect_success 'a number in a plan but not in the directory gets 404 saying so' '
	SIPD_FRONT_PORT=$GW_PORT refused 1999 404 &&
	test_grep "^Warning: 399 127.0.0.1 \"extension 1999 is not in the directory\"" sipp.msg &&
	serve_wait_log sipd "call refused status=404 number=1999"
'

test_expect_success 'a number in no dial plan gets 404' '
	SIPD_FRONT_PORT=$GW_PORT refused 7000 404 &&
	serve_wait_log sipd "call refused status=404 number=7000 reason=\"number 7000 is in no dial plan\""
'

test_expect_success 'TCP to a sip-secured plan gets 403' '
	SIPD_TARGET=$SIPD_PORT refused 1001 403 &&
	serve_wait_log sipd "call refused status=403 number=1001 plan=hq security=sip-secured reason=\"dial plan hq needs mutual TLS, the call came over TCP\""
'

test_expect_success 'an unsecured plan takes only its listed addresses' '
	SIPD_TARGET=$SIPD_PORT refused 8001 403 &&
	serve_wait_log sipd "reason=\"address 127.0.0.1 is not a gateway of dial plan far\""
'

test_expect_success 'an unsecured plan sends an unknown number to its catch-all mailbox' '
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=1300 &&
	SIPD_TARGET=$SIPD_PORT sipd_sipp "$TEST_TMP/call.xml" 9999 &&
	serve_wait_log sipd "to the catch-all number=9999 mailbox=reception@example.test" &&
	serve_wait_log sipd "voicemail delivered .*to=reception@example.test"
'

sipd_tls_front wrong partner
test_expect_success 'a gateway certificate with the wrong name gets 403' '
	refused 1001 403 &&
	serve_wait_log sipd "call refused status=403 number=1001 plan=hq security=sip-secured reason=\"certificate names none of the gateways of dial plan hq"
'

sipd_tls_front wild "$PKI_ISSUED/sipwild"
test_expect_success 'a wildcard certificate gets 403 (RFC 5922: no wildcards)' '
	refused 1001 403 &&
	grep "call refused status=403" sipd.log | tail -n 1 >last &&
	test_grep "certificate names none of the gateways of dial plan hq: .*wildcard" last
'

sipd_tls_front anon
test_expect_success 'no client certificate gets 403' '
	refused 1001 403 &&
	serve_wait_log sipd "reason=\"no client certificate \(dial plan hq needs mutual TLS\)\""
'

sipd_tls_front untrusted untrusted
test_expect_success 'a certificate from an untrusted root gets 403' '
	refused 1001 403 &&
	serve_wait_log sipd "reason=\"client certificate chain does not verify: unable to get local issuer certificate\""
'

test_done
