#!/bin/bash
# um-sipd's SIP transactions with sipp scenarios of our own (CANCEL while
# ringing, OPTIONS and 405, no ACK, re-INVITE, the length limit) and a raw
# client for the framing (two messages in one write, one across writes),
# 420, 481, 400 and 513.
. "$(dirname "$0")/lib.sh"
need sipp sox python3

smtp_sink_start
sipd_conf "$TEST_TMP/c.json" '"answer_delay": "500ms", "t1": "20ms", "max_length": "1s"'
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.al" 1 700 al

call() { sipd_scenario "$1" "$1.xml" AUDIO="$TEST_TMP/tone.al" && sipd_sipp "$TEST_TMP/$1.xml" "${2:-1001}" ||
	{ cat sipp.out sipp.err 2>/dev/null | tail -n 30; return 1; }; }

test_expect_success 'CANCEL while it rings: 200 for the CANCEL, 487 for the INVITE' '
	call uac-cancel &&
	test_grep "SIP/2.0 487 Request Terminated" sipp.msg &&
	serve_wait_log sipd "call cancelled" &&
	! test_grep "SIP/2.0 200 OK.*\$" -A8 sipp.msg | grep -q "CSeq: 1 INVITE"
'

test_expect_success 'OPTIONS gets 200 with Allow and Accept; SUBSCRIBE gets 405 with Allow' '
	call uac-options &&
	test_grep "SIP/2.0 405 Method Not Allowed" sipp.msg &&
	serve_wait_log sipd "request refused status=405 method=SUBSCRIBE"
'

test_expect_success 'without an ACK the 200 is sent again, then um-sipd sends BYE' '
	call uac-noack &&
	test "$(grep -c "^SIP/2.0 200 OK" sipp.msg)" -ge 4 &&
	test_grep -i "^BYE sip:5550100@127.0.0.1:[0-9]*;transport=tcp SIP/2.0" sipp.msg &&
	serve_wait_log sipd "no ACK for our 2xx" &&
	serve_wait_log sipd "sent BYE .*reason=\"no ACK\""
'

test_expect_success 'a re-INVITE is answered with the same SDP' '
	call uac-reinvite &&
	serve_wait_log sipd "re-INVITE answered with the same SDP"
'

test_expect_success 'at the length limit um-sipd sends BYE along the route set with its own CSeq' '
	call uac-limit &&
	grep -A10 "^BYE " sipp.msg >bye.txt &&
	test_grep "^Route: <sip:proxy.example.test;lr>" bye.txt &&
	test_grep "^CSeq: 1 BYE" bye.txt &&
	test_grep -i "^BYE sip:5550100@127.0.0.1:[0-9]*;transport=tcp SIP/2.0" bye.txt &&
	serve_wait_log sipd "sent BYE .*reason=\"length limit\"" &&
	serve_wait_log sipd "voicemail delivered" &&
	smtp_sink_wait 1 &&
	sipd_mail_wav "$(ls "$SINK_DIR"/* | head -1)" got.wav &&
	sipd_within "$(sipd_duration got.wav)" 1.0 0.05
'

test_expect_success 'a late offer: our SDP in the 200, the answer in the ACK, the audio recorded' '
	sipd_tone late.ul 0.7 900 ul &&
	sipd_scenario uac-lateoffer late.xml AUDIO="$TEST_TMP/late.ul" HOLD=850 &&
	sipd_sipp "$TEST_TMP/late.xml" +33123451002 || { tail -n 20 sipp.out; exit 1; }
	serve_wait_log sipd "voicemail delivered .*to=bob@example.test" &&
	m=$(grep -l "^X-Rcpt-Args: <bob@example.test>" "$SINK_DIR"/*) &&
	sipd_mail_wav "$m" late.wav &&
	sipd_within "$(sipd_duration late.wav)" 0.7 0.2 &&
	sipd_within "$(sipd_freq late.wav)" 900 5
'

opt() {
	printf "OPTIONS sip:um@127.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK%s\nFrom: <sip:gw@127.0.0.1>;tag=a\nTo: <sip:um@127.0.0.1>\nCall-ID: %s\nCSeq: %s OPTIONS\n%sContent-Length: 0\n\n" "$1" "$1" "${2:-1}" "${3:-}"
}

test_expect_success 'two requests in one write and one across three writes are all answered' '
	{ opt one; opt two 2; printf "\n\n"; opt three 3 | head -c 40; echo "--8<--";
	  opt three 3 | tail -c +41 | head -c 60; echo "--8<--"; opt three 3 | tail -c +101; } |
		sipd_raw "$SIPD_PORT" >out &&
	test "$(grep -c "^SIP/2.0 200 OK" out)" = 3 &&
	grep "^Call-ID:" out >ids && printf "Call-ID: one\nCall-ID: two\nCall-ID: three\n" >want &&
	test_cmp want ids
'

test_expect_success 'a CRLF CRLF keep-alive ping gets a CRLF pong' '
	printf "\n\n" | sipd_raw "$SIPD_PORT" >out &&
	printf "\n" >want &&
	test_cmp want out
'

test_expect_success 'an unknown Require gets 420 with Unsupported' '
	opt req 1 "Require: 100rel, foo\n" | sipd_raw "$SIPD_PORT" >out &&
	test_grep "^SIP/2.0 420 Bad Extension" out &&
	test_grep "^Unsupported: 100rel, foo" out
'

test_expect_success 'BYE for an unknown dialog gets 481' '
	printf "BYE sip:um@127.0.0.1 SIP/2.0\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKb\nFrom: <sip:gw@127.0.0.1>;tag=a\nTo: <sip:um@127.0.0.1>;tag=nosuch\nCall-ID: nosuch\nCSeq: 2 BYE\nContent-Length: 0\n\n" |
		sipd_raw "$SIPD_PORT" >out &&
	test_grep "^SIP/2.0 481 Call/Transaction Does Not Exist" out
'

test_expect_success 'a Content-Length over the cap gets 513 and the connection is closed' '
	printf "INVITE sip:1001@127.0.0.1 SIP/2.0\nContent-Length: 999999\n\n" | sipd_raw "$SIPD_PORT" >out &&
	test_grep "^SIP/2.0 513 Message Too Large" out &&
	serve_wait_log sipd "cannot frame SIP from .*body too large; closing"
'

test_done
