#!/bin/bash
# um-sipd without dial plans (start_secured 1), a per-user greeting, the
# silence timeout, recordings shorter than min_length dropped, serving
# under inetd, and a dial plan that cannot work refused at start (78).
. "$(dirname "$0")/lib.sh"
need sipp sox socat systemd-socket-activate

smtp_sink_start
mkdir -p "$TEST_TMP/greetings"
sipd_tone "$TEST_TMP/greetings/1001.wav" 0.1 300
sipd_conf "$TEST_TMP/c.json" "\"silence_timeout\": \"1s\", \"greetings_dir\": \"$TEST_TMP/greetings\""
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/short.ul" 0.3 500 ul
sox -n -r 8000 -c 1 -t ul "$TEST_TMP/talk.ul" synth 1 sine 500 vol 0.5 pad 0 2

test_expect_success 'the user greeting from greetings_dir is played; a short recording is dropped' '
	sipd_scenario uac-voicemail short.xml AUDIO="$TEST_TMP/short.ul" HOLD=400 &&
	sipd_sipp "$TEST_TMP/short.xml" 1001 &&
	serve_wait_log sipd "call from=.* number=1001 .* greeting=user" &&
	serve_wait_log sipd "recording dropped: shorter than min_length" &&
	! ls "$SIPD_SPOOL"/*.msg 2>/dev/null
'

test_expect_success 'silence ends the recording; um-sipd hangs up and keeps the speech' '
	sipd_scenario uac-limit talk.xml AUDIO="$TEST_TMP/talk.ul" &&
	sed -i "s/,-1,8/,-1,0/; s/RTP\/AVP 8 101/RTP\/AVP 0 101/; s/rtpmap:8 PCMA/rtpmap:0 PCMU/" talk.xml &&
	sipd_sipp "$TEST_TMP/talk.xml" +33123451002 || { tail -n 20 sipp.out; exit 1; }
	serve_wait_log sipd "sent BYE .*reason=silence" &&
	serve_wait_log sipd "call from=.* number=\+33123451002 .* greeting=none" &&
	smtp_sink_wait 1 &&
	sipd_mail_wav "$(ls "$SINK_DIR"/* | head -1)" got.wav &&
	sipd_within "$(sipd_duration got.wav)" 1.0 0.15 &&
	sipd_within "$(sipd_freq got.wav)" 500 5
'

SIPD_PORT= sipd_conf "$TEST_TMP/s.json" '"start_secured": 1'
sipd_start sipd2 "$TEST_TMP/s.json"
sipd_tls_front gw gateway

test_expect_success 'start_secured 1 without dial plans: TCP gets 403' '
	sipd_scenario uac-refused r.xml CODE=403 &&
	sipd_sipp "$TEST_TMP/r.xml" 1001 &&
	serve_wait_log sipd2 "call refused status=403 number=1001 plan=- security=secured reason=\"dial plan \(none\) needs mutual TLS"
'

test_expect_success 'start_secured 1: a verified gateway with plain RTP gets 488' '
	sipd_scenario uac-refused r.xml CODE=488 &&
	SIPD_TARGET=$SIPD_FRONT_PORT sipd_sipp "$TEST_TMP/r.xml" 1001 &&
	serve_wait_log sipd2 "call refused status=488 number=1001 reason=\"plain RTP offered where SRTP is required\""
'

SIPD_PORT= SIPD_SPOOL=$TEST_TMP/spool-inetd sipd_conf "$TEST_TMP/i.json"
serve_inetd inetd "$SIPD_PORT" um-sipd -c "$TEST_TMP/i.json" --inetd
sipd_tone "$TEST_TMP/tone.ul" 1 700 ul

test_expect_success 'under inetd a call is recorded and delivered' '
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=1100 &&
	sipd_sipp "$TEST_TMP/call.xml" 1001 &&
	serve_wait_log inetd "voicemail delivered .*to=alice@example.test" &&
	smtp_sink_wait 2
'

test_expect_code 78 'a secured dial plan without gateways stops the start' '
	SIPD_PORT= sipd_conf bad.json "\"dial_plans\": { \"x\": { \"extensions\": [\"1\"] } }" &&
	um-sipd -c bad.json -d 2>err; rc=$?; cat err; exit $rc
'

test_expect_success 'and says why' '
	test_grep "dial plan x: a secured plan needs gateways" out.6
'

test_expect_success '-n finds the same fault without starting (78, the reason, config not usable)' '
	{ um-sipd -c bad.json -n 2>err; test $? = 78; } &&
	test_grep "dial plan x: a secured plan needs gateways" err &&
	test_grep "config not usable: .*bad.json" err
'

test_expect_success '-n refuses a greeting file that cannot be read; a good config passes' '
	sed "s|\"greeting\": \"none\"|\"greeting\": \"$TEST_TMP/missing.wav\"|" "$TEST_TMP/c.json" >nogreet.json &&
	test_grep -q missing.wav nogreet.json &&
	{ um-sipd -c nogreet.json -n 2>err; test $? = 78; } &&
	test_grep "missing.wav" err &&
	um-sipd -c "$TEST_TMP/c.json" -n 2>err &&
	test_grep "config ok" err
'

test_done
