#!/bin/bash
# The whole chain end to end, on the demo's own set-up (share/demo.sh,
# started here on free ports, so the demo and this test stay in step):
# mail from outside through smtp-edge as the policy says (an executable
# refused, a script stripped, a virus refused by clamd, spam filed in
# Junk, a clean one delivered), the clean one read in owa-cas in Chromium;
# a voicemail left with sipp at um-sipd shows in owa-cas with its WAV; a
# phone provisions through eas-policy, is wiped from owa-cas's options
# page and acknowledges; Autodiscover for a sample user gives the demo's
# URLs.
. "$(dirname "$0")/lib.sh"
need swaks sipp curl openssl jq clamd /usr/bin/python3
browser_need

mkdir -p "$TEST_TMP/demo"
log=$TEST_TMP/demo.log
# Other tests take ports too: when one of ours went meanwhile, again.
for try in 1 2 3; do
	base=$(demo_base) || bail "no 14 free ports in a row"
	DEMO_PORT=$base TMPDIR=$TEST_TMP/demo bg_start demo sh "$SRCDIR/share/demo.sh" "$POSTERN_BUILD"
	for i in $(seq 1 1200); do grep -q "^demo: \(ready\|stopped\)" "$log" && break; sleep 0.05; done
	grep -q "^demo: ready" "$log" && break
	grep -q "in use" "$log" || break
	wait "$(cat "$TEST_TMP/demo.pid")"
done
grep -q "^demo: ready" "$log" || bail "the demo did not start: $(tail -n 5 "$log")"
SMTP=$base OWA=http://127.0.0.1:$((base + 2)) AD=$((base + 3)) EAS=http://127.0.0.1:$((base + 4))
SIP=$((base + 6))
work=$(sed -n 's/^postern demo is up (files in \(.*\))$/\1/p' "$log")
box=$work/mail/alice
CLEAN="Project review on Tuesday" SPAM="Claim your casino bonus now"

send() { swaks --server 127.0.0.1:$SMTP --tls --helo mx.partner.example "$@"; }
# files WHERE: the messages in a Maildir folder
files() { find "$box/$1/new" "$box/$1/cur" -type f 2>/dev/null | sort; }
# holding TEXT: the message in alice's mailbox (any folder) holding TEXT
holding() { grep -rlF -- "$1" "$box" 2>/dev/null | head -n 1; }

test_expect_success 'clamd is in the demo: the edge checks with it' '
	test_grep -q "executables refused, clamd" "$log" &&
	test_grep -q "\"antivirus\": { \"enabled\": true" "$work/postern.json"
'

test_expect_success 'a mail with an executable attached is refused at the edge' '
	printf "MZ not a real program\n" >setup.exe &&
	! send --from eve@outside.example --to alice@demo.test --header "Subject: run me" \
		--attach-type application/octet-stream --attach-name setup.exe --attach @setup.exe >out 2>&1 &&
	test_grep -q "<~\* 550 5.7.1 Executable attachments are not accepted here" out &&
	test -z "$(holding "run me")"
'

test_expect_success 'a script attachment is stripped: the rest is delivered with a notice' '
	printf "alert(\"E2E-SCRIPT-MARKER\")\n" >tool.js &&
	send --from dan@partner.example --to alice@demo.test --header "Subject: with a script" \
		--body "the project schedule is attached" \
		--attach-type application/javascript --attach-name tool.js --attach @tool.js >out 2>&1 &&
	test_grep -q "<~  250 2.0.0 Ok: delivered" out &&
	for i in $(seq 1 50); do test -n "$(holding "with a script")" && break; sleep 0.1; done &&
	f=$(holding "with a script") && test -n "$f" &&
	! grep -q "E2E-SCRIPT-MARKER" "$f" &&
	! grep -q "YWxlcnQo" "$f" &&
	test_grep -q "Scripts are removed" "$f"
'

test_expect_success 'a virus (the EICAR test file) is refused after clamd scanned it' '
	printf "X5O!P%%@AP[4\\\\PZX54(P^)7CC)7}\$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!\$H+H*\n" >eicar.txt &&
	test_grep -q "EICAR-STANDARD" eicar.txt &&
	! send --from eve@outside.example --to alice@demo.test --header "Subject: a virus" \
		--attach-type text/plain --attach-name eicar.txt --attach @eicar.txt >out 2>&1 &&
	test_grep -q "<~\* 554 5.7.1 Message rejected: virus found (Eicar-Test-Signature" out &&
	test -z "$(holding "a virus")"
'

test_expect_success 'spam passes as the policy says: scored by the model, filed in Junk' '
	/usr/bin/python3 "$SRCDIR/share/demo/corpus.py" --one spam "$SPAM" >spam.eml &&
	send --from win@lottery.invalid --to alice@demo.test --data @spam.eml >out 2>&1 &&
	test_grep -q "<~  250 2.0.0 Ok: delivered" out &&
	for i in $(seq 1 50); do files .Junk | grep -q . && break; sleep 0.1; done &&
	f=$(files .Junk | head -n 1) &&
	test_grep -q "^Subject: $SPAM" "$f" &&
	test_grep -Eq "^X-Postern-Spam: p=(0\.[5-9][0-9]*|1\.0+); action=junk; reason=model" "$f" &&
	test -z "$(files "" | xargs -r grep -l "^Subject: $SPAM")"
'

test_expect_success 'the clean mail is delivered to the inbox' '
	send --from carol@partner.example --to alice@demo.test --header "Subject: $CLEAN" \
		--body "Hello Alice, the project meeting agenda and the quarterly report review are on the team schedule for Tuesday. Regards" \
		>out 2>&1 &&
	test_grep -q "<~  250 2.0.0 Ok: delivered" out &&
	for i in $(seq 1 50); do test -n "$(holding "$CLEAN")" && break; sleep 0.1; done &&
	f=$(holding "$CLEAN") && case $f in "$box"/new/*) ;; *) echo "in $f"; false ;; esac &&
	test_grep -q "^X-Postern-Spam: p=0\.[0-9]*; action=deliver; reason=model" "$f" &&
	test_grep -q "accept: clamd says clean layer=3 check=antivirus" "$work/smtp-edge.log" &&
	test_grep -q "by mail.demo.test (postern smtp-edge) with ESMTPS" "$f"
'

test_expect_success 'a caller leaves a voicemail with sipp; it arrives as mail with a WAV' '
	(cd "$TEST_TMP" && timeout 40 sipp -sf "$work/voicemail.xml" -s 1001 -t t1 -m 1 \
		-p $((base + 8)) -mp $((base + 10)) -nostdin -timeout 30s "127.0.0.1:$SIP" >sipp.out 2>&1) ||
		{ tail -n 20 sipp.out; false; } &&
	for i in $(seq 1 200); do test -n "$(holding "audio/wav")" && break; sleep 0.1; done &&
	f=$(holding "audio/wav") && test -n "$f" &&
	test_grep -q "^Subject: Voicemail from Demo Caller" "$f" &&
	test_grep -q "voicemail delivered .*to=alice@demo.test reply=\"250 2.0.0 Ok: delivered\"" "$work/um-sipd.log"
'

test_expect_success 'a phone provisions through eas-policy' '
	sh "$SRCDIR/share/demo/phone.sh" "$TOOLS/eas-client" "$EAS" alice:alice-Demo-1 E2EPHONE >out 2>&1 &&
	test_grep -q "^phone: provisioned, policy key [0-9]" out &&
	test_grep -q "^phone: FolderSync through eas-policy to the backend: ok" out &&
	"$BIN/eas-policy" -c "$work/postern.json" devices --json >dev.json &&
	jq -e ".[] | select(.device_id == \"E2EPHONE\") | .key_state == \"provisioned\" and .wipe == \"none\" and .policy == \"default\"" dev.json
'

test_expect_success 'in Chromium: the clean mail read, spam in Junk, the voicemail, the phone wiped' '
	BROWSER_SHOTS=$TEST_TMP/shots browser_run e2e.js "$OWA" alice alice-Demo-1 "$CLEAN" "$SPAM" E2EPHONE e2e.json ||
		{ cat e2e.json; false; } &&
	test "$(jq -r .after_login e2e.json)" = /mail &&
	jq -e --arg s "$CLEAN" ".inbox | index(\$s) != null" e2e.json &&
	jq -e --arg s "$SPAM" ".inbox | index(\$s) == null" e2e.json &&
	test "$(jq -r .read_title e2e.json)" = "$CLEAN" &&
	jq -e ".read_body | test(\"the project meeting agenda and the quarterly report review\")" e2e.json &&
	jq -e ".junk_has_spam" e2e.json &&
	jq -e ".voicemail_title | startswith(\"Voicemail from Demo Caller\")" e2e.json &&
	jq -e ".voicemail_attachments[0].name | test(\"^voicemail-[0-9-]*\\\\.wav$\")" e2e.json &&
	jq -e ".voicemail_audio.status == 200 and .voicemail_audio.riff == \"RIFF\" and .voicemail_audio.wave == \"WAVE\" and .voicemail_audio.bytes > 40000" e2e.json &&
	test "$(jq -r .device_listed e2e.json)" = 1 &&
	jq -e ".wipe_note | test(\"Wipe requested\")" e2e.json &&
	"$BIN/eas-policy" -c "$work/postern.json" devices --json >dev.json &&
	jq -e ".[] | select(.device_id == \"E2EPHONE\") | .wipe == \"pending\" and .wipe_by == \"owa-cas:alice\"" dev.json
'

test_expect_success 'the phone obeys the wipe and acknowledges it' '
	sh "$SRCDIR/share/demo/phone.sh" "$TOOLS/eas-client" "$EAS" alice:alice-Demo-1 E2EPHONE >out 2>&1 &&
	test_grep -q "^phone: the server asks for a remote wipe" out &&
	test_grep -q "^phone: wiped" out &&
	"$BIN/eas-policy" -c "$work/postern.json" devices --json >dev.json &&
	jq -e ".[] | select(.device_id == \"E2EPHONE\") | .wipe == \"done\" and .wipe_status == 1" dev.json &&
	test_grep -q "remote wipe acknowledged user=alice device=E2EPHONE status=1" "$work/eas-policy.log"
'

# ad SCHEMA RESPONSE-SCHEMA ADDRESS: a POX Autodiscover request to the demo,
# trusting the certificate certsel made.
ad() {
	printf '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/%s/requestschema/2006"><Request><EMailAddress>%s</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/%s/responseschema/%s</AcceptableResponseSchema></Request></Autodiscover>' \
		"$1" "$3" "$1" "$2" |
	curl -sS --noproxy '*' --cacert "$work/certs/mail.demo.test.pem" --data-binary @- \
		-H "Content-Type: text/xml" "https://localhost:$AD/autodiscover/autodiscover.xml"
}

test_expect_success 'Autodiscover for a sample user gives the demo URLs (over the certsel certificate)' '
	ad outlook 2006a bob@demo.test >ol.xml &&
	test_grep -q "<DisplayName>Bob Demo</DisplayName>" ol.xml &&
	test_grep -q "<OWAUrl AuthenticationMethod=\"Fba\">$OWA/</OWAUrl>" ol.xml &&
	test_grep -q "<Port>$SMTP</Port>" ol.xml &&
	ad mobilesync 2006 bob@demo.test >ms.xml &&
	test_grep -q "<Url>$EAS/Microsoft-Server-ActiveSync</Url>" ms.xml
'

test_expect_success 'no program reported a sanitizer error or died' '
	! grep -l "runtime error\|AddressSanitizer\|LeakSanitizer" "$work"/*.log &&
	for p in smtp-edge owa-cas autodiscover-gen eas-policy um-sipd; do
		pgrep -f "$p -c $work/postern.json" >/dev/null || { echo "$p is gone"; return 1; }
	done
'

test_expect_success 'stopping the demo stops every program and removes its files' '
	kill -TERM "$(cat "$TEST_TMP/demo.pid")" &&
	for i in $(seq 1 100); do test -d "$work" || break; sleep 0.1; done &&
	! test -d "$work" &&
	! pgrep -f "$work" >/dev/null &&
	test -z "$(ls "$TEST_TMP/demo")"
'

test_done
