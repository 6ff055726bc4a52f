#!/bin/bash
# DNSBL-style lookups: the client address reversed under the list's zone;
# a listing is an A record in 127.0.0.0/8 (with a TXT reason), an address
# not listed is NXDOMAIN, and the list's error code comes back as data for
# the caller to tell apart.
. "$(dirname "$0")/lib.sh"

dns_start
dns_config "$TEST_TMP/dns.json"

test_expect_success 'the listed test address 127.0.0.2 answers 127.0.0.2' '
	postern-testd -c dns.json dns A 2.0.0.127.dnsbl.test >out &&
	echo "2.0.0.127.dnsbl.test A 127.0.0.2 sec=insecure" >expect &&
	test_cmp expect out &&
	test_grep -q "127.0.0.1 2.0.0.127.dnsbl.test. A IN" unbound.log
'

test_expect_success 'with the reason in TXT' '
	postern-testd -c dns.json dns TXT 2.0.0.127.dnsbl.test >out &&
	echo "2.0.0.127.dnsbl.test TXT \"listed: test entry 127.0.0.2\" sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_code 1 'an address not listed is NXDOMAIN' '
	postern-testd -c dns.json dns A 1.0.0.127.dnsbl.test >out;
	rc=$?
	echo "1.0.0.127.dnsbl.test A NXDOMAIN sec=insecure" >expect &&
	test_cmp expect out || exit 99; exit $rc
'

test_expect_success 'the error code 127.255.255.254 comes back as data' '
	postern-testd -c dns.json dns A 4.0.0.127.dnsbl.test >out &&
	echo "4.0.0.127.dnsbl.test A 127.255.255.254 sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_code 1 'several client addresses checked at once' '
	postern-testd -c dns.json dns A 2.0.0.127.dnsbl.test 3.0.0.127.dnsbl.test \
		4.0.0.127.dnsbl.test >out;
	rc=$?
	cat >expect <<-\OUT &&
	2.0.0.127.dnsbl.test A 127.0.0.2 sec=insecure
	3.0.0.127.dnsbl.test A NXDOMAIN sec=insecure
	4.0.0.127.dnsbl.test A 127.255.255.254 sec=insecure
	OUT
	test_cmp expect out || exit 99; exit $rc
'

test_done
