#!/bin/bash
# Layer 1 through `smtp-edge check-ip`: CIDR allow and deny lists (v4, v6,
# files), DNS block lists with weights, return-code filters and a
# threshold, 127.255.255.254 and configured error codes taken as lookup
# errors (logged, never listings), an allow list pulling the score down,
# and all lists asked at once under one deadline.
. "$(dirname "$0")/lib.sh"

dns_start "$SRCDIR/testsuite/fixtures/spf/layer1.zone"
dns_start_silent
cd "$TEST_TMP" || exit 1

printf '# trusted relays\n192.0.2.101\n\n10.9.0.0/16  # lab\n' >allow.cidr
printf '203.0.113.0/24\n' >deny.cidr
cat >edge.json <<JSON
{
  "dns": { "resolver": ["$DNS_RESOLVER"], "timeout": "3s" },
  "smtp-edge": {
    "allow": ["192.0.2.100", "./allow.cidr"],
    "deny": ["198.51.100.0/24", "2001:db8:bad::/48", "./deny.cidr"],
    "dnsbl": [
      { "zone": "bl1.test", "weight": 2, "codes": ["127.0.0.2-127.0.0.11"],
        "error_codes": ["127.0.0.99"] },
      { "zone": "bl2.test" }
    ],
    "dnswl": [ { "zone": "wl.test", "weight": -5 } ],
    "dnsbl_threshold": 3,
    "allow_threshold": -3,
    "dns_tempfail_action": "tempfail"
  }
}
JSON

test_expect_code 1 'listed on both block lists: 2 + 1 reaches 3, rejected' '
	smtp-edge -c edge.json check-ip 192.0.2.10 >out; rc=$?
	cat >expect <<-\OUT &&
	client=192.0.2.10
	dnsbl zone=bl1.test weight=2 answer=127.0.0.2 status=listed
	dnsbl zone=bl2.test weight=1 answer=127.0.0.3 status=listed
	dnswl zone=wl.test weight=-5 answer=NXDOMAIN status=not-listed
	score=3 threshold=3
	decision=reject reason="dnsbl score 3 >= 3 (bl1.test=2 bl2.test=1)"
	reply="554 5.7.1 Service unavailable; client [192.0.2.10] blocked using bl1.test, bl2.test"
	OUT
	test_cmp expect out || exit 99; exit $rc
'

test_expect_success 'an answer outside the codes that count is not a listing' '
	smtp-edge -c edge.json check-ip 192.0.2.11 >out &&
	test_grep -qx "dnsbl zone=bl1.test weight=2 answer=\"127.0.0.20 (not counted)\" status=not-listed" out &&
	test_grep -qx "decision=accept reason=\"dnsbl score 0 < 3\"" out
'

test_expect_code 75 '127.255.255.254 is a lookup error, logged, and tempfails' '
	smtp-edge -c edge.json check-ip 192.0.2.12 >out 2>err; rc=$?
	test_grep -qx "dnsbl zone=bl1.test weight=2 answer=\"127.255.255.254 (error code)\" status=error" out &&
	test_grep -qx "score=0 threshold=3" out &&
	test_grep -q "^reply=\"451 4.7.1 " out &&
	test_grep -q "DNS list lookup failed, not counted as a listing: 127.255.255.254 (error code) layer=1 client=192.0.2.12 list=bl1.test" err ||
	exit 99; exit $rc
'

test_expect_code 75 'a configured error code is a lookup error too' '
	smtp-edge -c edge.json check-ip 192.0.2.13 >out 2>err; rc=$?
	test_grep -qx "dnsbl zone=bl1.test weight=2 answer=\"127.0.0.99 (error code)\" status=error" out &&
	test_grep -q "list=bl1.test answer=\"127.0.0.99 (error code)\"" err || exit 99; exit $rc
'

test_expect_success 'with dns_tempfail_action accept the error lets the client in' '
	sed "s/\"tempfail\"/\"accept\"/" edge.json >accept.json &&
	smtp-edge -c accept.json check-ip 192.0.2.12 >out 2>err &&
	test_grep -qx "decision=accept reason=\"dnsbl score 0 < 3\"" out &&
	test_grep -q "not counted as a listing" err
'

test_expect_success 'the allow list pulls the score to -3: allow-listed' '
	smtp-edge -c edge.json check-ip 192.0.2.14 >out &&
	test_grep -qx "dnswl zone=wl.test weight=-5 answer=127.0.0.2 status=listed" out &&
	test_grep -qx "score=-3 threshold=3" out &&
	test_grep -qx "decision=allow reason=\"dnswl score -3 <= -3 (bl1.test=2 wl.test=-5)\"" out
'

test_expect_success 'one list alone stays below the threshold' '
	smtp-edge -c edge.json check-ip 192.0.2.15 >out &&
	test_grep -qx "decision=accept reason=\"dnsbl score 2 < 3 (bl1.test=2)\"" out
'

test_expect_code 1 'IPv6 clients are looked up by nibbles' '
	smtp-edge -c edge.json check-ip 2001:db8::1 >out; rc=$?
	test_grep -qx "score=3 threshold=3" out || exit 99; exit $rc
'

test_expect_success 'the allow list (address and file) wins, without DNS lookups' '
	n=$(wc -l <unbound.log) &&
	smtp-edge -c edge.json check-ip 192.0.2.100 >out &&
	printf "client=192.0.2.100\nlist_hit=192.0.2.100\ndecision=allow reason=\"allow 192.0.2.100\"\n" >expect &&
	test_cmp expect out &&
	smtp-edge -c edge.json check-ip 10.9.8.7 >out &&
	test_grep -qx "list_hit=\"10.9.0.0/16 (./allow.cidr:4)\"" out &&
	smtp-edge -c edge.json check-ip ::ffff:192.0.2.101 >out &&
	test_grep -qx "decision=allow reason=\"allow 192.0.2.101 (./allow.cidr:2)\"" out &&
	test $(wc -l <unbound.log) = $n
'

test_expect_code 1 'the deny list: IPv4 CIDR' '
	smtp-edge -c edge.json check-ip 198.51.100.7 >out; rc=$?
	test_grep -qx "reply=\"554 5.7.1 Service unavailable; client \[198.51.100.7\] blocked by local policy\"" out &&
	test_grep -qx "decision=reject reason=\"deny 198.51.100.0/24\"" out || exit 99; exit $rc
'

test_expect_code 1 'the deny list: IPv6 CIDR' '
	smtp-edge -c edge.json check-ip 2001:db8:bad::25 >out; rc=$?
	test_grep -qx "decision=reject reason=\"deny 2001:db8:bad::/48\"" out || exit 99; exit $rc
'

test_expect_success 'list files are read afresh: a new deny entry applies' '
	smtp-edge -c edge.json check-ip 192.0.2.50 >out &&
	echo 192.0.2.48/29 >>deny.cidr &&
	! smtp-edge -c edge.json check-ip 192.0.2.50 >out &&
	test_grep -qx "decision=reject reason=\"deny 192.0.2.48/29 (./deny.cidr:2)\"" out
'

test_expect_code 78 'a bad line in a list file is a config error' '
	echo "192.0.2.300/24" >>deny.cidr &&
	smtp-edge -c edge.json check-ip 192.0.2.1 2>err; rc=$?
	test_grep -q "bad CIDR in list file .\./deny.cidr. line 3: 192.0.2.300/24" err || exit 99; exit $rc
'

test_expect_success '--json gives the same decision as an object' '
	sed -i "\$d" deny.cidr &&
	smtp-edge -c edge.json --json check-ip 192.0.2.10 >out;
	python3 -c "import json,sys; o=json.load(open(\"out\")); assert o[\"decision\"]==\"reject\" and o[\"score\"]==3 and [l[\"zone\"] for l in o[\"lists\"]]==[\"bl1.test\",\"bl2.test\",\"wl.test\"], o"
'

test_expect_success '10 lists on a silent server with a 1s timeout take ~1s, not 10' '
	{
		printf "{ \"dns\": { \"resolver\": [\"%s\"], \"timeout\": \"1s\" },\n" "$DNS_SILENT_RESOLVER"
		printf "  \"smtp-edge\": { \"dnsbl_timeout\": \"1s\", \"dnsbl\": ["
		for i in 1 2 3 4 5 6 7 8 9 10; do
			printf "%s{ \"zone\": \"q%d.test\" }" "${sep:-}" $i; sep=", "
		done
		printf "] } }\n"
	} >silent.json &&
	s=${EPOCHREALTIME/./} &&
	smtp-edge -c silent.json check-ip 192.0.2.10 >out 2>err &&
	e=${EPOCHREALTIME/./} && ms=$(( (e - s) / 1000 )) && echo "took $ms ms" &&
	test $ms -ge 900 && test $ms -lt 2500 &&
	test $(grep -c "status=error" out) = 10 &&
	test_grep -qx "decision=accept reason=\"dnsbl score 0 < 1\"" out &&
	test $(grep -c "not counted as a listing" err) = 10
'

test_done
