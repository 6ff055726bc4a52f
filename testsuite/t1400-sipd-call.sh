#!/bin/bash
# um-sipd over TCP with sipp as the gateway: INVITE, 100/180/200 with a
# To-tag, Contact and the Record-Route copied, ACK, RTP with a 440 Hz
# tone, BYE; the voicemail arrives at smtp-sink as a mail whose
# audio/wav part lasts as long as what was sent and carries the tone.
. "$(dirname "$0")/lib.sh"
need sipp sox soxi

smtp_sink_start
sipd_conf "$TEST_TMP/c.json"
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.ul" 2 440 ul

test_expect_success 'sipp places a call to extension 1001 and hangs up' '
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=2300 &&
	sipd_sipp "$TEST_TMP/call.xml" 1001 || { cat sipp.out sipp.err; exit 1; }
'

test_expect_success 'the 180 and the 200 carry our To-tag, Contact and the Record-Route' '
	grep -A12 "SIP/2.0 200 OK" sipp.msg >200.txt &&
	test_grep "^To: <sip:1001@127.0.0.1:$SIPD_PORT>;tag=[0-9a-f]\{16\}" 200.txt &&
	test_grep "^Contact: <sip:um@127.0.0.1:$SIPD_PORT;transport=tcp>" 200.txt &&
	test_grep "^Record-Route: <sip:proxy.example.test;lr>" 200.txt &&
	test_grep "SIP/2.0 180 Ringing" sipp.msg &&
	test_grep "SIP/2.0 100 Trying" sipp.msg
'

test_expect_success 'the answer takes PCMU and telephone-event from the offer' '
	grep -A30 "SIP/2.0 200 OK" sipp.msg >200.txt &&
	test_grep "^m=audio [0-9]* RTP/AVP 0 101" 200.txt &&
	test_grep "^a=rtpmap:101 telephone-event/8000" 200.txt
'

test_expect_success 'the daemon logs the call, the spool and the delivery' '
	serve_wait_log sipd "voicemail delivered .*to=alice@example.test reply=\"250 " &&
	test_grep "call from=sip:5550100@127.0.0.1:[0-9]* number=1001 mailbox=alice@example.test plan=- security=unsecured transport=tcp srtp=no" sipd.log &&
	test_grep "call ended .*reason=bye" sipd.log &&
	! ls "$SIPD_SPOOL"/*.msg 2>/dev/null
'

test_expect_success 'the mail holds the text part and a WAV of the tone' '
	smtp_sink_wait 1 &&
	m=$(ls "$SINK_DIR"/* | head -1) &&
	test_grep "^X-Rcpt-Args: <alice@example.test>" "$m" &&
	test_grep "^Called number: 1001" "$m" &&
	test_grep "^Caller: Test Caller <sip:5550100@127.0.0.1:" "$m" &&
	test_grep "Content-Type: audio/wav" "$m" &&
	sipd_mail_wav "$m" got.wav &&
	soxi got.wav >info &&
	test_grep "Sample Rate    : 8000" info &&
	test_grep "Precision      : 16-bit" info &&
	sipd_within "$(sipd_duration got.wav)" 2.0 0.3 &&
	sipd_within "$(sipd_freq got.wav)" 440 5
'

test_done
