#!/bin/bash
# um-sipd's secured mode with baresip as the gateway: TLS with the
# gateway's client certificate, SRTP mandatory with SDES keys, a 2 s
# 800 Hz tone made with sox as its audio. The call is taken on the
# secured plan, the mail's WAV carries the tone (so SRTP was decrypted),
# and our SRTP (greeting, beep, silence) reached baresip.
. "$(dirname "$0")/lib.sh"
need baresip sox soxi

smtp_sink_start
sipd_conf "$TEST_TMP/c.json" '"dial_plans": { "vip": { "extensions": ["+33123451002"],
	"security": "secured", "gateways": ["gw.example.test"] } }'
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.wav" 2 800

test_expect_success 'baresip calls the secured plan over TLS with SRTP' '
	sipd_baresip bs +33123451002 "$TEST_TMP/tone.wav" ||
		{ tail -n 20 bs.baresip.log; exit 1; }
	test_grep "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)" bs.baresip.log &&
	test_grep "Call established" bs.baresip.log &&
	serve_wait_log sipd "call from=sip:gw@gw.example.test number=\+33123451002 mailbox=bob@example.test plan=vip security=secured transport=tls srtp=yes"
'

test_expect_success 'the voicemail reaches bob with the tone decrypted' '
	serve_wait_log sipd "voicemail delivered .*to=bob@example.test" &&
	smtp_sink_wait 1 &&
	m=$(ls "$SINK_DIR"/* | head -1) &&
	test_grep "^X-Rcpt-Args: <bob@example.test>" "$m" &&
	test_grep "^Called number: +33123451002" "$m" &&
	sipd_mail_wav "$m" got.wav &&
	sipd_within "$(sipd_duration got.wav)" 2.0 0.3 &&
	sipd_within "$(sipd_freq got.wav)" 800 5
'

test_expect_success 'our SRTP reached baresip' '
	test_grep "stream: incoming rtp for .audio. established, receiving from 127.0.0.1:" bs.baresip.log &&
	! test_grep -i "srtp.*\(auth\|replay\|unprotect\).*fail" bs.baresip.log
'

test_done
