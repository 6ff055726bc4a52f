#!/bin/bash
# um-sipd with sipp's own uac_pcap scenario (a 7 s G.711 A-law capture,
# then an RFC 4733 '1' sent as its three end packets): the recording
# lasts as long as the capture and the key counts once; then '#' from
# sipp's capture ends the recording and um-sipd hangs up with BYE.
. "$(dirname "$0")/lib.sh"
need sipp sox soxi capinfos

pcaps=/usr/share/sip-tester
[ -e "$pcaps/g711a.pcap" ] || bail "sipp's captures are not in $pcaps"
smtp_sink_start
sipd_conf "$TEST_TMP/c.json"
sipd_start sipd "$TEST_TMP/c.json"
sipd_tone "$TEST_TMP/tone.al" 1 1000 al

test_expect_success 'sipp uac_pcap: a call with 7 s of recorded audio and a DTMF 1' '
	mkdir -p pcap && ln -sf "$pcaps/g711a.pcap" "$pcaps/dtmf_2833_1.pcap" pcap/ &&
	sipd_sipp "" 1001 -sn uac_pcap || { tail -n 20 sipp.out; exit 1; }
'

test_expect_success 'the key is logged once, the recording lasts as the capture' '
	serve_wait_log sipd "voicemail delivered" &&
	test "$(grep -c "dtmf key=1" sipd.log)" = 1 &&
	smtp_sink_wait 1 &&
	sipd_mail_wav "$(ls "$SINK_DIR"/* | head -1)" got.wav &&
	want=$(capinfos -u "$pcaps/g711a.pcap" | awk "/Capture duration/ { print \$3 }") &&
	sipd_within "$(sipd_duration got.wav)" "$want" 0.3
'

test_expect_success '# ends the recording and um-sipd sends BYE' '
	sipd_scenario uac-pound pound.xml AUDIO="$TEST_TMP/tone.al" PCAPDIR="$pcaps" &&
	sipd_sipp "$TEST_TMP/pound.xml" 1001 || { tail -n 30 sipp.out; exit 1; }
	serve_wait_log sipd "dtmf key=#" &&
	serve_wait_log sipd "sent BYE .*reason=#" &&
	smtp_sink_wait 2 &&
	sipd_mail_wav "$(ls -t "$SINK_DIR"/* | head -1)" pound.wav &&
	sipd_within "$(sipd_duration pound.wav)" 1.0 0.3 &&
	sipd_within "$(sipd_freq pound.wav)" 1000 5
'

test_done
