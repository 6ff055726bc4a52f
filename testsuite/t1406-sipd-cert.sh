#!/bin/bash
# um-sipd's certificate: "cert": "auto" picks from the store by certsel's
# order and logs issuer, serial and a SHA-1 thumbprint equal to openssl's;
# an empty store gets a self-signed one; a certificate within
# cert_warn_days is warned about on every cert_check_interval; SIGHUP
# picks up a new certificate (logged as a change) while a call in
# progress goes on, and new TLS connections get the new one.
. "$(dirname "$0")/lib.sh"
need openssl sipp sox

smtp_sink_start
mkdir -p "$TEST_TMP/store" "$TEST_TMP/empty"
pki_issue umsoon "DNS:um.example.test,IP:127.0.0.1" --days 10 &&
pki_issue umnew "DNS:um.example.test,IP:127.0.0.1" --days 700 || bail "cannot issue certificates"
cp "$PKI_ISSUED/umsoon-chain.pem" "$TEST_TMP/store/umsoon.pem"
cp "$PKI_ISSUED/umsoon.key" "$TEST_TMP/store/umsoon.key"

auto() {
	sipd_conf "$TEST_TMP/$1.json" "\"cert_check_interval\": \"1s\"" &&
	sed -i "s|\"tls\": { \"cert\": \"[^\"]*\", \"key\": \"[^\"]*\",|\"tls\": { \"cert\": \"auto\", \"store\": \"$TEST_TMP/$2\", \"cert_names\": [\"um.example.test\"],|" \
		"$TEST_TMP/$1.json"
}

fp() { openssl x509 -noout -fingerprint -sha1 -in "$1" | sed 's/.*=//'; }

auto c store
sipd_start sipd "$TEST_TMP/c.json"

test_expect_success 'the certificate line gives issuer, serial and the SHA-1 thumbprint openssl prints' '
	test_grep "certificate path=$TEST_TMP/store/umsoon.pem issuer=\"CN=Postern Test Intermediate CA,O=Postern Test\" serial=[0-9A-F]* sha1=$(fp store/umsoon.pem) " sipd.log &&
	serial=$(openssl x509 -noout -serial -in store/umsoon.pem | sed "s/.*=//") &&
	test_grep "serial=$serial " sipd.log
'

test_expect_success 'a certificate expiring within 30 days is warned about on every check' '
	serve_wait_log sipd "certificate expires soon .*days_left=9" &&
	sleep 2.2 &&
	test "$(grep -c "certificate expires soon path=$TEST_TMP/store/umsoon.pem" sipd.log)" -ge 2
'

test_expect_success 'SIGHUP takes a better certificate while a call goes on' '
	sipd_tone tone.ul 2 700 ul &&
	sipd_scenario uac-voicemail call.xml AUDIO="$TEST_TMP/tone.ul" HOLD=2500 &&
	{ sipd_sipp "$TEST_TMP/call.xml" 1001; echo $? >sipp.rc; } &
	serve_wait_log sipd "recording started" &&
	cp "$PKI_ISSUED/umnew-chain.pem" store/umnew.pem &&
	cp "$PKI_ISSUED/umnew.key" store/umnew.key &&
	kill -HUP "$(serve_pid sipd)" &&
	serve_wait_log sipd "certificate changed sha1=$(fp store/umnew.pem) was=$(fp store/umsoon.pem)" &&
	serve_wait_log sipd "reloaded config=" &&
	wait &&
	test "$(cat sipp.rc)" = 0 &&
	serve_wait_log sipd "voicemail delivered" &&
	smtp_sink_wait 1 &&
	sipd_mail_wav "$(ls "$SINK_DIR"/* | head -1)" got.wav &&
	sipd_within "$(sipd_duration got.wav)" 2.0 0.3
'

test_expect_success 'new TLS connections get the new certificate' '
	openssl s_client -connect "127.0.0.1:$SIPS_PORT" -CAfile "$PKI/ca.pem" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha1 | sed "s/.*=//" >got &&
	fp store/umnew.pem >want &&
	test_cmp want got
'

auto e empty

test_expect_success '-n with an empty store: passes, says a certificate will be generated, writes none' '
	um-sipd -c "$TEST_TMP/e.json" -n 2>err &&
	test_grep "no valid certificate in .*: at start um-sipd generates a self-signed one" err &&
	test_grep "config ok" err &&
	test -z "$(ls "$TEST_TMP/empty")"
'

SIPD_PORT= sipd_conf "$TEST_TMP/e0.json"
sed "s/\"sip=127.0.0.1:[0-9]*\", \"sips=127.0.0.1:[0-9]*\"/\"sip=127.0.0.1:$SIPD_PORT\", \"sips=127.0.0.1:$SIPS_PORT\"/" "$TEST_TMP/e.json" >"$TEST_TMP/e2.json"
sipd_start sipd2 "$TEST_TMP/e2.json"

test_expect_success 'an empty store gets a self-signed certificate, logged' '
	test_grep "no valid certificate in store .*generated a self-signed one" sipd2.log &&
	f=$(ls "$TEST_TMP"/empty/*.pem | head -1) &&
	test_grep "certificate path=$f issuer=\"CN=um.example.test\" serial=[0-9A-F]* sha1=$(fp "$f") .*self_signed=yes" sipd2.log
'

test_done
