#!/bin/bash
# autodiscover-gen --serve, the POX Autodiscover service: Outlook and
# mobilesync answers from config and the directory, the path in any
# letter case, RedirectAddr for an alias whose primary address is in
# another domain, RedirectUrl, every error code (500, 501, 600, 601, 603),
# generic answers for unknown users unless config says 500, XML escaping;
# and the npm POX client "autodiscover" against the server through a
# name override.
. "$(dirname "$0")/lib.sh"
need curl python3 node

# The fixture directory plus carl, whose primary address is elsewhere.
cat "$SRCDIR/testsuite/fixtures/dir/users.ldif" - >"$TEST_TMP/users.ldif" <<'LDIF'

dn: uid=carl,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: carl
cn: Carl Other
sn: Other
mail: carl@other.test
posternMailAlias: carl@example.test
LDIF

port=$(free_ports 1)
domains='"example.test": {
	"exch_server": "exch.example.test", "outlook_anywhere": "mail.example.test",
	"outlook_anywhere_auth": "NTLM", "cert_principal_name": "msstd:mail.example.test",
	"ews_url": "https://mail.example.test/EWS/Exchange.asmx",
	"oof_url": "https://mail.example.test/EWS/Exchange.asmx?oof",
	"oab_url": "https://mail.example.test/OAB/", "um_url": "https://mail.example.test/UnifiedMessaging/Service.asmx",
	"owa_url": "https://mail.example.test/owa/?a=1&b=2",
	"activesync_url": "https://mail.example.test/Microsoft-Server-ActiveSync",
	"imap": { "host": "mail.example.test" }, "login": "uid" },
      "redirect.test": { "redirect_url": "https://autodiscover.elsewhere.test/autodiscover/autodiscover.xml" },
      "noeas.test": { "imap": { "host": "imap.noeas.test" } }'
cat >"$TEST_TMP/conf.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$TEST_TMP/users.ldif" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$port"], $(http_tls_json),
    "domains": { $domains } } }
JSON
http_standalone pox "$port" autodiscover-gen -c "$TEST_TMP/conf.json" --serve -d
url=https://localhost:$port/autodiscover/autodiscover.xml

# req SCHEMA ADDRESS: a request body (SCHEMA outlook or mobilesync).
req() {
	local s=$1 r=2006a
	[ "$s" = mobilesync ] && r=2006
	printf '<?xml version="1.0" encoding="utf-8"?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/%s/requestschema/2006"><Request><EMailAddress>%s</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/%s/responseschema/%s</AcceptableResponseSchema></Request></Autodiscover>\n' "$s" "$2" "$s" "$r"
}

# xq FILE EXPR: python3 ElementTree over FILE with the namespaces as
# "a" (outlook response), "m" (mobilesync response), "r" (the envelope).
xq() {
	python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"r": "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006",
      "a": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a",
      "m": "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"}
root = ET.parse(sys.argv[1]).getroot()
for e in root.findall(sys.argv[2], ns):
    print(e.text if e.text is not None else "")
PY
}

# outlook FILE: an Outlook response as "Block/Element=text" lines.
outlook() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
a = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"
resp = ET.parse(sys.argv[1]).getroot().find(a + "Response")
for e in resp.find(a + "User"):
    print("User/%s=%s" % (e.tag[len(a):], e.text))
acc = resp.find(a + "Account")
print("Action=" + acc.find(a + "Action").text)
for p in acc.findall(a + "Protocol"):
    t = p.find(a + "Type").text
    for e in p.iter():
        if e is not p and e.text and e.text.strip() and e.tag != a + "Type":
            print("%s/%s=%s" % (t, e.tag[len(a):], e.text))
PY
}

test_expect_success 'Outlook: the Protocol blocks from config, the user from the directory' '
	req outlook a.liddell@example.test >q &&
	hcurl -D h -o r --data-binary @q -H "Content-Type: text/xml" "$url" &&
	test "$(http_header Content-Type h)" = "text/xml; charset=utf-8" &&
	outlook r >got && cat >expect <<-EOF &&
	User/DisplayName=Alice Liddell
	User/AutoDiscoverSMTPAddress=alice@example.test
	Action=settings
	EXCH/Server=exch.example.test
	EXCH/ASUrl=https://mail.example.test/EWS/Exchange.asmx
	EXCH/EwsUrl=https://mail.example.test/EWS/Exchange.asmx
	EXCH/OOFUrl=https://mail.example.test/EWS/Exchange.asmx?oof
	EXCH/OABUrl=https://mail.example.test/OAB/
	EXCH/UMUrl=https://mail.example.test/UnifiedMessaging/Service.asmx
	EXPR/Server=mail.example.test
	EXPR/SSL=On
	EXPR/AuthPackage=NTLM
	EXPR/CertPrincipalName=msstd:mail.example.test
	EXPR/ASUrl=https://mail.example.test/EWS/Exchange.asmx
	EXPR/EwsUrl=https://mail.example.test/EWS/Exchange.asmx
	EXPR/OOFUrl=https://mail.example.test/EWS/Exchange.asmx?oof
	EXPR/OABUrl=https://mail.example.test/OAB/
	EXPR/UMUrl=https://mail.example.test/UnifiedMessaging/Service.asmx
	WEB/OWAUrl=https://mail.example.test/owa/?a=1&b=2
	WEB/OWAUrl=https://mail.example.test/owa/?a=1&b=2
	IMAP/Server=mail.example.test
	IMAP/Port=993
	IMAP/LoginName=alice
	IMAP/DomainRequired=off
	IMAP/SPA=off
	IMAP/SSL=on
	IMAP/AuthRequired=on
	EOF
	test_cmp expect got
'

test_expect_success 'mobilesync: the ActiveSync URL, in any letter case of the path' '
	req mobilesync bob@example.test >q &&
	hcurl -o r --data-binary @q "https://localhost:$port/AutoDiscover/AUTODISCOVER.xml" &&
	test "$(xq r ./m:Response/m:User/m:DisplayName)" = "Bob Märley" &&
	test "$(xq r ./m:Response/m:Action/m:Settings/m:Server/m:Type)" = MobileSync &&
	test "$(xq r ./m:Response/m:Action/m:Settings/m:Server/m:Url)" = https://mail.example.test/Microsoft-Server-ActiveSync
'

test_expect_success 'an alias whose primary address is elsewhere: RedirectAddr' '
	req outlook carl@example.test >q && hcurl -o r --data-binary @q "$url" &&
	test "$(xq r ./a:Response/a:Account/a:Action)" = redirectAddr &&
	test "$(xq r ./a:Response/a:Account/a:RedirectAddr)" = carl@other.test &&
	req mobilesync carl@example.test >q && hcurl -o r --data-binary @q "$url" &&
	test "$(xq r ./m:Response/m:Action/m:Redirect)" = carl@other.test
'

test_expect_success 'a domain with redirect_url: RedirectUrl' '
	req outlook anyone@redirect.test >q && hcurl -o r --data-binary @q "$url" &&
	test "$(xq r ./a:Response/a:Account/a:Action)" = redirectUrl &&
	test "$(xq r ./a:Response/a:Account/a:RedirectUrl)" = https://autodiscover.elsewhere.test/autodiscover/autodiscover.xml
'

# code FILE: the ErrorCode of an Error response.
code() { xq "$1" ./r:Response/r:Error/r:ErrorCode; }

test_expect_success 'malformed XML: 600; a missing schema: 601; an unknown one: 601' '
	printf "<Autodiscover><Request>" >q && hcurl -o r --data-binary @q "$url" && test "$(code r)" = 600 &&
	req outlook alice@example.test | sed "s|<AcceptableResponseSchema>.*</AcceptableResponseSchema>||" >q &&
	hcurl -o r --data-binary @q "$url" && test "$(code r)" = 601 &&
	req outlook alice@example.test | sed "s|responseschema/2006a|responseschema/2099|" >q &&
	hcurl -o r --data-binary @q "$url" && test "$(code r)" = 601 &&
	grep -q "autodiscover address=alice@example.test schema=- result=601 why=\"no AcceptableResponseSchema\"" "$TEST_TMP/pox.log"
'

test_expect_success 'a DOCTYPE with entities: 600, nothing expanded' '
	printf "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"alice@example.test\">]><Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\"><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>" >q &&
	hcurl -o r --data-binary @q "$url" && test "$(code r)" = 600
'

test_expect_success 'an unknown domain: 500; mobilesync without an ActiveSync URL: 501' '
	req outlook alice@nowhere.test >q && hcurl -o r --data-binary @q "$url" && test "$(code r)" = 500 &&
	req mobilesync x@noeas.test >q && hcurl -o r --data-binary @q "$url" && test "$(code r)" = 501
'

test_expect_success 'an unknown user gets the generic answer by default (no enumeration)' '
	req outlook nobody@example.test >q && hcurl -o r --data-binary @q "$url" &&
	test "$(xq r ./a:Response/a:Account/a:Action)" = settings &&
	test "$(xq r "./a:Response/a:Account/a:Protocol[a:Type=\"IMAP\"]/a:LoginName")" = nobody@example.test
'

test_expect_success 'an address with & and < stays well-formed XML' '
	req outlook "o&amp;b&lt;c@example.test" >q && hcurl -o r --data-binary @q "$url" &&
	test "$(xq r ./a:Response/a:User/a:AutoDiscoverSMTPAddress)" = "o&b<c@example.test" &&
	grep -q "<DisplayName>o&amp;b&lt;c@example.test</DisplayName>" r
'

test_expect_success 'GET of the Autodiscover URL: 600 Error document' '
	hcurl -o r "$url" && test "$(code r)" = 600
'

eport=$(free_ports 1)
cat >"$TEST_TMP/strict.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$TEST_TMP/users.ldif" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$eport"], "unknown_users": "error", $(http_tls_json),
    "domains": { $domains } } }
JSON
http_standalone strict "$eport" autodiscover-gen -c "$TEST_TMP/strict.json" --serve -d

test_expect_success 'unknown_users error: 500 for an unknown user, settings for a known one' '
	req outlook nobody@example.test >q &&
	hcurl -o r --data-binary @q "https://localhost:$eport/autodiscover/autodiscover.xml" &&
	test "$(code r)" = 500 &&
	req outlook alice@example.test >q &&
	hcurl -o r --data-binary @q "https://localhost:$eport/autodiscover/autodiscover.xml" &&
	test "$(xq r ./a:Response/a:Account/a:Action)" = settings
'

aport=$(free_ports 1)
cat >"$TEST_TMP/auth.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "file", "file": "$TEST_TMP/users.ldif" },
  "autodiscover-gen": { "listen": ["127.0.0.1:$aport"], "authentication": "basic",
    $(http_tls_json), "domains": { $domains } } }
JSON
http_standalone auth "$aport" autodiscover-gen -c "$TEST_TMP/auth.json" --serve -d

test_expect_success 'authentication basic: 401 without or with wrong credentials, settings with good ones' '
	req outlook alice@example.test >q &&
	aurl=https://localhost:$aport/autodiscover/autodiscover.xml &&
	hcurl -D h -o /dev/null --data-binary @q "$aurl" &&
	head -n 1 h | grep -q "^HTTP/1.1 401 " &&
	test "$(http_header WWW-Authenticate h)" = "Basic realm=\"autodiscover\", charset=\"UTF-8\"" &&
	test "$(http_code -u alice:wrong --data-binary @q "$aurl")" = 401 &&
	hcurl -o r -u alice:alice-Secret-1 --data-binary @q "$aurl" &&
	test "$(xq r ./a:Response/a:Account/a:Action)" = settings &&
	grep -q "authentication user=alice result=ok" "$TEST_TMP/auth.log" &&
	grep -q "authentication user=alice result=\"not found\"" "$TEST_TMP/auth.log" &&
	! grep -q "alice-Secret-1\|wrong" "$TEST_TMP/auth.log"
'

dport=$(free_ports 2) lport=${dport#* } dport=${dport% *}
cat >"$TEST_TMP/down.json" <<JSON
{ "log": { "target": "stderr" },
  "directory": { "backend": "ldap", "ldap": { "uri": "ldap://127.0.0.1:$lport", "base": "dc=example,dc=test",
    "connect_timeout": "500ms", "timeout": "500ms" } },
  "autodiscover-gen": { "listen": ["127.0.0.1:$dport"], "domains": { $domains } } }
JSON
http_standalone down "$dport" autodiscover-gen -c "$TEST_TMP/down.json" --serve -d

test_expect_success 'the directory down: 603, never "unknown"' '
	req outlook alice@example.test >q &&
	hcurl -o r --data-binary @q "http://127.0.0.1:$dport/autodiscover/autodiscover.xml" &&
	test "$(code r)" = 603 &&
	grep -q "directory lookup failed" "$TEST_TMP/down.log"
'

# The npm client asks https://example.test/... then
# https://autodiscover.example.test/... on port 443: a preloaded hook
# sends both names to 127.0.0.1 and port 443 to ours. The first fails
# (the certificate does not cover example.test), the second answers.
cat >"$TEST_TMP/hook.js" <<JS
const dns = require("dns"), tls = require("tls"), net = require("net");
const lookup = dns.lookup;
dns.lookup = function (name, opts, cb) {
	if (typeof opts === "function") { cb = opts; opts = {}; }
	if (/example\.test\$/.test(name))
		return opts && opts.all ? process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }])
			: process.nextTick(cb, null, "127.0.0.1", 4);
	return lookup.call(dns, name, opts, cb);
};
const connect = tls.connect;
tls.connect = function (...a) {
	const o = a.find((x) => x && typeof x === "object");
	if (o && (o.port == 443 || o.port === undefined)) o.port = process.env.AD_PORT;
	return connect.apply(tls, a);
};
for (const f of ["connect", "createConnection"]) {
	const orig = net[f];
	net[f] = function (...a) {
		const o = a.find((x) => x && typeof x === "object");
		if (o && o.port == 80 && process.env.AD_HTTP_PORT) o.port = process.env.AD_HTTP_PORT;
		return orig.apply(net, a);
	};
}
JS
cat >"$TEST_TMP/client.js" <<'JS'
const ad = require("autodiscover");
ad.getEwsUrl(process.argv[2], { username: "alice", password: "x" }, (err, url) => {
	if (err) { console.log("error: " + err.message); process.exit(1); }
	console.log("ews: " + url);
});
JS

test_expect_success 'the npm POX client gets the EWS URL through the name override' '
	AD_PORT=$port NODE_PATH=$SRCDIR/testsuite/node/node_modules NODE_EXTRA_CA_CERTS=$PKI/root.pem \
		node --require ./hook.js client.js alice@example.test >out 2>err &&
	echo "ews: https://mail.example.test/EWS/Exchange.asmx" >expect && test_cmp expect out &&
	grep -q "autodiscover address=alice@example.test schema=outlook result=0" "$TEST_TMP/pox.log"
'

rport=$(free_ports 1)
cat >"$TEST_TMP/redir.json" <<JSON
{ "log": { "target": "stderr" }, "autodiscover-gen": { "listen": ["127.0.0.1:$rport"],
  "directory": false, "https_redirect": "https://autodiscover.example.test" } }
JSON
http_standalone redir "$rport" autodiscover-gen -c "$TEST_TMP/redir.json" --serve -d

test_expect_success 'and, after the plain-HTTP redirect, the Error code 500 of an unknown user' '
	test_must_fail() { ! "$@"; } &&
	test_must_fail env AD_PORT=$eport AD_HTTP_PORT=$rport NODE_PATH=$SRCDIR/testsuite/node/node_modules \
		NODE_EXTRA_CA_CERTS=$PKI/root.pem node --require ./hook.js client.js nobody@example.test >out 2>err &&
	test_grep -q "errorCode: 500" out &&
	grep -q "request method=GET path=/autodiscover/autodiscover.xml status=302" "$TEST_TMP/redir.log"
'

test_done
