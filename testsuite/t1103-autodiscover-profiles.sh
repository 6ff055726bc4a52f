#!/bin/bash
# Thunderbird's autoconfig and Apple's configuration profile, served and
# printed: config-v1.1.xml at both paths parsed with python3's XML, the
# profile parsed with plistlib (com.apple.eas.account and the IMAP/SMTP
# payload), its CMS signature with the site certificate verified by
# openssl cms; the generator for each schema, its exit codes and -n.
. "$(dirname "$0")/lib.sh"
need curl python3 openssl

port=$(free_ports 1)
dom='"example.test": { "display_name": "Example & Co", "login": "localpart",
	"activesync_url": "https://mail.example.test/Microsoft-Server-ActiveSync",
	"owa_url": "https://mail.example.test/owa/",
	"imap": { "host": "imap.example.test" }, "pop": { "host": "pop.example.test", "socket": "starttls" },
	"smtp": { "host": "smtp.example.test", "socket": "starttls" } }'
cat >"$TEST_TMP/conf.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$port"], $(http_tls_json),
    "mobileconfig_sign": true, "domains": { $dom } } }
JSON
cat >"$TEST_TMP/unsigned.json" <<JSON
{ "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
  "autodiscover-gen": { "unknown_users": "error", "domains": { $dom } } }
JSON
http_standalone prof "$port" autodiscover-gen -c "$TEST_TMP/conf.json" --serve -d
base=https://localhost:$port

# tb FILE: the Thunderbird document as "key=value" lines.
tb() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "clientConfig" and root.get("version") == "1.1"
p = root.find("emailProvider")
print("id=" + p.get("id"))
print("domain=" + p.find("domain").text)
print("displayName=" + p.find("displayName").text)
for s in p.findall("incomingServer") + p.findall("outgoingServer"):
    print("%s=%s:%s %s %s %s" % (s.get("type"), s.find("hostname").text, s.find("port").text,
          s.find("socketType").text, s.find("authentication").text, s.find("username").text))
PY
}

test_expect_success 'Thunderbird: /mail/config-v1.1.xml for a known user' '
	hcurl -D h -o r "$base/mail/config-v1.1.xml?emailaddress=alice%40example.test" &&
	test "$(http_header Content-Type h)" = "text/xml; charset=utf-8" &&
	tb r >got && cat >expect <<-EOF &&
	id=example.test
	domain=example.test
	displayName=Example & Co
	imap=imap.example.test:993 SSL password-cleartext alice
	pop3=pop.example.test:110 STARTTLS password-cleartext alice
	smtp=smtp.example.test:587 STARTTLS password-cleartext alice
	EOF
	test_cmp expect got
'

test_expect_success 'Thunderbird: /.well-known/autoconfig/... for an unknown user uses placeholders' '
	hcurl -o r "$base/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=zed%40example.test" &&
	tb r | grep "^imap=" >got &&
	echo "imap=imap.example.test:993 SSL password-cleartext %EMAILLOCALPART%" >expect && test_cmp expect got
'

test_expect_success 'Thunderbird: a domain not served is 404' '
	test "$(http_code "$base/mail/config-v1.1.xml?emailaddress=a%40elsewhere.test")" = 404
'

# plist FILE: the profile as "key=value" lines.
plist() {
	python3 - "$1" <<'PY'
import sys, plistlib
with open(sys.argv[1], "rb") as f:
    p = plistlib.load(f)
assert p["PayloadType"] == "Configuration" and p["PayloadVersion"] == 1
print("name=" + p["PayloadDisplayName"])
for c in p["PayloadContent"]:
    t = c["PayloadType"]
    if t == "com.apple.eas.account":
        print("eas=%s %s %s ssl=%s" % (c["Host"], c["EmailAddress"], c["UserName"], c["SSL"]))
    elif t == "com.apple.mail.managed":
        print("mail=%s %s:%d ssl=%s %s:%d ssl=%s user=%s" % (c["EmailAccountType"],
              c["IncomingMailServerHostName"], c["IncomingMailServerPortNumber"],
              c["IncomingMailServerUseSSL"], c["OutgoingMailServerHostName"],
              c["OutgoingMailServerPortNumber"], c["OutgoingMailServerUseSSL"],
              c["IncomingMailServerUsername"]))
    print("uuid=" + c["PayloadUUID"])
PY
}

test_expect_success 'Apple profile: signed with the site certificate, verified by openssl cms' '
	hcurl -D h -o p.der "$base/mobileconfig?email=bob%40example.test" &&
	test "$(http_header Content-Type h)" = application/x-apple-aspen-config &&
	openssl cms -verify -inform DER -in p.der -CAfile "$PKI/root.pem" -purpose any \
		-out p.plist 2>verify.err &&
	grep -q "Verification successful" verify.err &&
	openssl cms -cmsout -print -inform DER -in p.der | grep -q "CN=mail.example.test" &&
	plist p.plist >got && grep -v "^uuid=" got >got2 && cat >expect <<-EOF &&
	name=Example & Co
	eas=mail.example.test Bob@Example.test Bob ssl=True
	mail=EmailTypeIMAP imap.example.test:993 ssl=True smtp.example.test:587 ssl=True user=Bob
	EOF
	test_cmp expect got2
'

test_expect_success 'Apple profile: a tampered signature fails to verify' '
	python3 -c "import sys; d=bytearray(open(\"p.der\",\"rb\").read()); i=d.find(b\"imap.example.test\"); d[i]=ord(\"I\"); open(\"bad.der\",\"wb\").write(d)" &&
	! openssl cms -verify -inform DER -in bad.der -CAfile "$PKI/root.pem" -purpose any -out /dev/null 2>/dev/null
'

test_expect_success 'generator: the unsigned profile, the same UUIDs on every run' '
	autodiscover-gen -c unsigned.json bob@example.test --schema mobileconfig >u1.plist &&
	autodiscover-gen -c unsigned.json --schema mobileconfig bob@example.test >u2.plist &&
	test_cmp u1.plist u2.plist &&
	plist u1.plist >got && grep "^uuid=" got >u && grep "^uuid=" <(plist p.plist) >s && test_cmp s u
'

test_expect_success 'generator: outlook, mobilesync and autoconfig documents' '
	autodiscover-gen -c unsigned.json alice@example.test >o.xml &&
	grep -q "<AutoDiscoverSMTPAddress>alice@example.test</AutoDiscoverSMTPAddress>" o.xml &&
	autodiscover-gen -c unsigned.json alice@example.test --schema mobilesync >m.xml &&
	grep -q "<Url>https://mail.example.test/Microsoft-Server-ActiveSync</Url>" m.xml &&
	autodiscover-gen -c unsigned.json alice@example.test --schema autoconfig >a.xml &&
	tb a.xml | grep -q "^imap=imap.example.test:993 SSL password-cleartext alice$"
'

test_expect_code 1 'generator: an unknown user with unknown_users error exits 1 with the Error' '
	autodiscover-gen -c unsigned.json nobody@example.test >e.xml; rc=$?
	grep -q "<ErrorCode>500</ErrorCode>" e.xml || exit 99; exit $rc
'

test_expect_code 64 'generator: an unknown schema is a usage error' '
	autodiscover-gen -c unsigned.json alice@example.test --schema nope
'

test_expect_code 65 'generator: not an address' '
	autodiscover-gen -c unsigned.json "not an address"
'

test_expect_code 78 '-n: a bad config (unknown key in a domain) exits 78' '
	printf "{ \"autodiscover-gen\": { \"domains\": { \"a.test\": { \"imap\": { \"hots\": \"x\" } } } } }" >bad.json &&
	autodiscover-gen -c bad.json -n
'

test_expect_success '-n: a good config' '
	autodiscover-gen -c unsigned.json -n
'

test_done
