#!/bin/bash
# Negative answers: NXDOMAIN (no such name) against NODATA (the name is
# there, not the type), and what is neither (REFUSED, an unfit name).
. "$(dirname "$0")/lib.sh"

dns_start
dns_config "$TEST_TMP/dns.json"

test_expect_code 1 'NXDOMAIN exits 1' '
	postern-testd -c dns.json dns A nope.example.test
'

test_expect_success 'NXDOMAIN is told as such' '
	! postern-testd -c dns.json dns A nope.example.test >out &&
	echo "nope.example.test A NXDOMAIN sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_success 'NODATA: the name exists without records of the type' '
	! postern-testd -c dns.json dns SRV example.test >out &&
	! postern-testd -c dns.json dns AAAA mail2.example.test >>out &&
	! postern-testd -c dns.json dns MX mail.example.test >>out &&
	cat >expect <<-\OUT &&
	example.test SRV NODATA sec=insecure
	mail2.example.test AAAA NODATA sec=insecure
	mail.example.test MX NODATA sec=insecure
	OUT
	test_cmp expect out
'

test_expect_success 'an empty non-terminal is NODATA, not NXDOMAIN' '
	! postern-testd -c dns.json dns A _tcp.example.test >out &&
	echo "_tcp.example.test A NODATA sec=insecure" >expect &&
	test_cmp expect out
'

test_expect_code 1 'found and not found together exit 1, in the order asked' '
	postern-testd -c dns.json dns A nope.example.test mail.example.test partner.test >out;
	rc=$?
	cat >expect <<-\OUT &&
	nope.example.test A NXDOMAIN sec=insecure
	mail.example.test A 127.0.0.1 sec=insecure
	partner.test A NODATA sec=insecure
	OUT
	test_cmp expect out || exit 99; exit $rc
'

test_expect_code 75 'a name the server refuses is a temporary failure' '
	postern-testd -c dns.json dns A example.org >out 2>err;
	rc=$?
	test_grep -q "^example.org A TEMPFAIL reason=SERVFAIL$" out &&
	test_grep -q "cannot resolve .example.org. A: SERVFAIL" err &&
	exit $rc
'

test_expect_code 65 'a name unfit to look up exits 65 and is not sent' '
	postern-testd -c dns.json dns A "bad..name" mail.example.test >out 2>err;
	rc=$?
	cat >expect <<-\OUT &&
	bad..name A INVALID
	mail.example.test A 127.0.0.1 sec=insecure
	OUT
	test_cmp expect out &&
	test_grep -q "invalid domain name .bad..name." err &&
	! grep -q "bad" "$TEST_TMP/unbound.log" &&
	exit $rc
'

test_expect_code 64 'an unknown type is a usage error' '
	postern-testd -c dns.json dns BOGUS example.test
'

test_done
