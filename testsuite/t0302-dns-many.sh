#!/bin/bash
# Many names at once: 50 lookups submitted together all come back, each
# with its own answer, whatever order the server answers in.
. "$(dirname "$0")/lib.sh"

for i in $(seq 1 50); do
	echo "h$i.bulk.test. 60 IN A 127.0.1.$i"
done >"$TEST_TMP/bulk.zone"
echo "bulk.test. 3600 IN SOA ns.bulk.test. hostmaster.bulk.test. 1 3600 600 86400 60" >>"$TEST_TMP/bulk.zone"
dns_start $DNS_DEFAULT_ZONES "$TEST_TMP/bulk.zone"
dns_config "$TEST_TMP/dns.json"

test_expect_success '50 names at once are all answered, in the order asked' '
	names=$(for i in $(seq 1 50); do printf "h%d.bulk.test " $i; done) &&
	postern-testd -c dns.json dns A $names >out &&
	for i in $(seq 1 50); do
		echo "h$i.bulk.test A 127.0.1.$i sec=insecure"
	done >expect &&
	test_cmp expect out
'

test_expect_success 'the server saw each of the 50 names' '
	for i in $(seq 1 50); do
		grep -q " h$i.bulk.test. A IN" unbound.log || { echo "h$i missing"; exit 1; }
	done
'

test_expect_code 1 '50 names with some missing: the others are still answered' '
	names=$(for i in $(seq 41 60); do printf "h%d.bulk.test " $i; done) &&
	postern-testd -c dns.json dns A $names >out;
	rc=$?
	test $(grep -c "A 127.0.1" out) = 10 &&
	test $(grep -c "A NXDOMAIN" out) = 10 &&
	exit $rc
'

test_expect_success 'different types of one name at once' '
	postern-testd -c dns.json dns MX example.test partner.test >mx &&
	postern-testd -c dns.json dns TXT example.test partner.test >txt &&
	test $(wc -l <mx) = 3 && test $(wc -l <txt) = 2
'

test_done
