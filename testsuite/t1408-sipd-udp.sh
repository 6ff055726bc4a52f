#!/bin/bash
# um-sipd over UDP when asked (udp_listen): OPTIONS, a whole call with
# RTP recorded and delivered, and a secured plan refused over UDP.
. "$(dirname "$0")/lib.sh"
need sipp sox

smtp_sink_start
UDP_PORT=$(free_ports 1)
sipd_conf "$TEST_TMP/c.json" "\"udp_listen\": [\"127.0.0.1:$UDP_PORT\"],
	\"dial_plans\": { \"open\": { \"extensions\": [\"1001\"], \"security\": \"unsecured\" },
		\"vip\": { \"extensions\": [\"+33123451002\"], \"security\": \"secured\",
			 \"gateways\": [\"gw.example.test\"] } }"
sipd_start sipd "$TEST_TMP/c.json"
serve_wait_log sipd "listening addr=127.0.0.1:$UDP_PORT transport=udp" || bail "no UDP listener"
sipd_tone "$TEST_TMP/tone.ul" 1.5 350 ul

test_expect_success 'OPTIONS over UDP gets 200 with Allow' '
	sipd_scenario uac-options o.xml &&
	SIPD_TRANSPORT=u1 SIPD_TARGET=$UDP_PORT sipd_sipp "$TEST_TMP/o.xml" um &&
	grep -A12 "SIP/2.0 200 OK" sipp.msg >200.txt &&
	test_grep "^Contact: <sip:um@127.0.0.1:$UDP_PORT;transport=udp>" 200.txt
'

test_expect_success 'a call over UDP is recorded and delivered' '
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=1700 &&
	SIPD_TRANSPORT=u1 SIPD_TARGET=$UDP_PORT sipd_sipp "$TEST_TMP/call.xml" 1001 ||
		{ tail -n 20 sipp.out; exit 1; }
	serve_wait_log sipd "call from=.* number=1001 .*transport=udp" &&
	serve_wait_log sipd "voicemail delivered .*to=alice@example.test" &&
	smtp_sink_wait 1 &&
	sipd_mail_wav "$(ls "$SINK_DIR"/* | head -1)" got.wav &&
	sipd_within "$(sipd_duration got.wav)" 1.5 0.3 &&
	sipd_within "$(sipd_freq got.wav)" 350 5
'

test_expect_success 'a secured plan over UDP gets 403' '
	sipd_scenario uac-refused r.xml CODE=403 &&
	SIPD_TRANSPORT=u1 SIPD_TARGET=$UDP_PORT sipd_sipp "$TEST_TMP/r.xml" +33123451002 &&
	serve_wait_log sipd "call refused status=403 number=\+33123451002 plan=vip security=secured reason=\"dial plan vip needs mutual TLS"
'

test_done
