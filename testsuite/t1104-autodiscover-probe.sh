#!/bin/bash
# autodiscover-gen --probe against autodiscover-gen --serve: with a
# certificate that lacks autodiscover.example.test in its SAN, the
# autodiscover.DOMAIN step fails on the name and the plain-HTTP redirect
# leads to the same failure, the SRV record then gives the settings; with
# a certificate that covers it, that step succeeds; a redirect to plain
# http is refused; --json; exit 1 when nothing answers.
. "$(dirname "$0")/lib.sh"
need curl jq

ports=$(free_ports 3); set -- $ports
bad=$1 good=$2 plain=$3
cat >"$TEST_TMP/extra.zone" <<ZONE
autodiscover.example.test. 3600 IN A 127.0.0.1
_autodiscover._tcp.example.test. 3600 IN SRV 0 0 $bad mail.example.test.
ZONE
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/extra.zone"
dns_config "$TEST_TMP/dns.json"

site() {	# FILE PORT CERT [extra]
	cat >"$1" <<-JSON
	{ "log": { "target": "stderr" },
	  "directory": { "backend": "file", "file": "$SRCDIR/testsuite/fixtures/dir/users.ldif" },
	  "autodiscover-gen": { "listen": ["127.0.0.1:$2"], ${3:+$(http_tls_json "$3"),} ${4:-}
	    "domains": { "example.test": { "outlook_anywhere": "mail.example.test",
	      "ews_url": "https://mail.example.test/EWS/Exchange.asmx" } } } }
	JSON
}
site "$TEST_TMP/bad.json" "$bad" server-rsa
site "$TEST_TMP/good.json" "$good" server
site "$TEST_TMP/plain.json" "$plain" "" '"https_redirect": "https://autodiscover.example.test",'
http_standalone bad "$bad" autodiscover-gen -c "$TEST_TMP/bad.json" --serve -d
http_standalone good "$good" autodiscover-gen -c "$TEST_TMP/good.json" --serve -d
http_standalone plain "$plain" autodiscover-gen -c "$TEST_TMP/plain.json" --serve -d

# probe PORT ARGS...: the probe with the https steps sent to PORT and the
# plain-HTTP one to the redirecting server.
probe() {
	local p=$1; shift
	autodiscover-gen -c "$TEST_TMP/dns.json" --ca "$PKI/root.pem" --timeout 3s \
		--connect-to "example.test:443:127.0.0.1:$p" \
		--connect-to "autodiscover.example.test:443:127.0.0.1:$p" \
		--connect-to "autodiscover.example.test:80:127.0.0.1:$plain" "$@"
}

test_expect_success 'a certificate without autodiscover.*: that step fails, SRV succeeds' '
	probe "$bad" --probe alice@example.test >out &&
	cat out &&
	grep -A4 "^1\. domain https://example.test/" out | grep -q "tls .*FAIL.*do not cover example.test" &&
	grep -A4 "^2\. autodiscover https://autodiscover.example.test/" out |
		grep -q "tls .*FAIL.*certificate names (DNS:mail.example.test, DNS:localhost, IP:127.0.0.1) do not cover autodiscover.example.test" &&
	grep -A4 "^3\. http-redirect http://autodiscover.example.test/" out |
		grep -q "redirect ok   302 to https://autodiscover.example.test/autodiscover/autodiscover.xml" &&
	grep -A4 "^5\. srv dns:_autodiscover._tcp.example.test" out |
		grep -q "srv .*ok .*mail.example.test. port $bad" &&
	grep -A6 "^6\. srv-target https://mail.example.test:$bad/" out | grep -q "xml .*ok .*settings: EXPR" &&
	tail -n 1 out | grep -q "^result: settings (EXPR) from https://mail.example.test:$bad/autodiscover/autodiscover.xml$"
'

test_expect_success 'a certificate covering autodiscover.*: the second step gives the settings' '
	probe "$good" --probe alice@example.test >out &&
	grep -A4 "^2\. autodiscover " out | grep -q "tls .*ok .*chain verified, autodiscover.example.test matches" &&
	grep -A6 "^2\. autodiscover " out | grep -q "http .*ok .*POST status 200 text/xml" &&
	! grep -q "^3\. " out &&
	tail -n 1 out | grep -q "^result: settings (EXPR) from https://autodiscover.example.test/autodiscover/autodiscover.xml$"
'

test_expect_success '--json: the steps and their checks' '
	probe "$good" --probe alice@example.test --json >out.json &&
	jq -e ".settings == true and .url == \"https://autodiscover.example.test/autodiscover/autodiscover.xml\"" out.json &&
	jq -e "[.rounds[0].steps[0].checks[] | select(.check == \"tls\")][0].ok == false" out.json &&
	jq -e "[.rounds[0].steps[1].checks[].check] == [\"dns\", \"tcp\", \"tls\", \"http\", \"xml\"]" out.json
'

test_expect_success 'the server logged the probe request' '
	grep -q "autodiscover address=alice@example.test schema=outlook result=0" "$TEST_TMP/good.log"
'

test_expect_success '--resolve like curl; a refused connection is reported as such' '
	autodiscover-gen -c "$TEST_TMP/dns.json" --ca "$PKI/root.pem" --timeout 3s \
		--connect-to "example.test:443:127.0.0.1:1" \
		--connect-to "autodiscover.example.test::127.0.0.1:1" \
		--resolve "mail.example.test:$bad:127.0.0.1" --probe alice@example.test >out &&
	grep -A3 "^1\. domain " out | grep -q "tcp .*FAIL 127.0.0.1 port 1: Connection refused" &&
	grep -A3 "^3\. http-redirect " out | grep -q "dns .*ok .*autodiscover.example.test port 80 -> 127.0.0.1 port 1 (--connect-to)" &&
	grep -A3 "^5\. srv-target " out | grep -q "dns .*ok .*mail.example.test -> 127.0.0.1 (--resolve)" &&
	tail -n 1 out | grep -q "^result: settings"
'

rport=$(free_ports 1)
cat >"$TEST_TMP/toplain.json" <<JSON
{ "log": { "target": "stderr" }, "autodiscover-gen": { "listen": ["127.0.0.1:$rport"],
  "directory": false, "https_redirect": "http://autodiscover.example.test" } }
JSON
http_standalone toplain "$rport" autodiscover-gen -c "$TEST_TMP/toplain.json" --serve -d

test_expect_code 1 'a redirect to plain http is refused; nothing answers: exit 1' '
	autodiscover-gen -c "$TEST_TMP/dns.json" --ca "$PKI/root.pem" --timeout 2s \
		--resolve nowhere.test:443:127.0.0.1 --connect-to "nowhere.test:443:127.0.0.1:1" \
		--connect-to "autodiscover.nowhere.test:80:127.0.0.1:$rport" \
		--resolve autodiscover.nowhere.test:80:127.0.0.1 \
		--probe bob@nowhere.test >out; rc=$?
	cat out
	grep -q "redirect FAIL 302 to http://autodiscover.example.test/autodiscover/autodiscover.xml (refused: not https)" out &&
	grep -q "srv .*FAIL .*_autodiscover._tcp.nowhere.test" out &&
	tail -n 1 out | grep -q "^result: no settings found$" || exit 99; exit $rc
'

test_done
